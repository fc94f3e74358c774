"""utils.py: the atomic writer, the training lock, and the stream writer and incremental reader."""

import itertools
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_rl.runs.files import _UMASK, atomic_writer, write_json_atomic
from inventory_rl.runs.layout import LOCK_NAME
from inventory_rl.runs.lock import LogDirBusy, training_lock
from inventory_rl.runs.stream import StreamReader, StreamWriter
from tests import ROOT


def header(run_id="run-a", resumed=False):
    return {"type": "header", "run_id": run_id, "resumed": resumed}


def episode(number, run_id="run-a", trajectory=None):
    record = {"type": "episode", "run_id": run_id, "episode": number, "env": 0, "timesteps": 30 * number}
    if trajectory is not None:
        record["trajectory"] = trajectory
    return record


def line(record):
    return (json.dumps(record) + "\n").encode()


def append(path, data):
    with open(path, "ab") as file:
        file.write(data)


# ---------------------------------------------------------------------------- atomic writes
def test_atomic_writer_replaces_the_file_on_success(tmp_path):
    target = tmp_path / "model.zip"
    target.write_bytes(b"old")
    with atomic_writer(target) as file:
        file.write(b"new")
        assert target.read_bytes() == b"old"  # readers see the old file until the end
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["model.zip"]


def test_atomic_writer_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "run_config.json"
    write_json_atomic(target, {"seed": 1})
    with pytest.raises(RuntimeError), atomic_writer(target, "w") as file:
        file.write('{"seed": ')
        raise RuntimeError("disk full")
    assert json.loads(target.read_text()) == {"seed": 1}
    assert os.listdir(tmp_path) == ["run_config.json"]  # no temp file left behind


# ---------------------------------------------------------------------------- training lock
def test_training_lock_admits_one_run_per_log_dir_and_names_its_process(tmp_path):
    with training_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(LogDirBusy, match=f"process {os.getpid()}") as excinfo, training_lock(tmp_path):
            pass
        assert "\n" not in str(excinfo.value)
        with training_lock(tmp_path / "another"):  # another folder is free
            pass
    with training_lock(tmp_path):  # released when the run ends
        pass


def test_training_lock_is_released_when_its_process_dies(tmp_path):
    hold = (
        "import sys, time\nfrom inventory_rl.runs.lock import training_lock\n"
        "with training_lock(sys.argv[1]):\n print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LogDirBusy, match=f"process {holder.pid}"), training_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()
    with training_lock(tmp_path):  # the OS freed the lock of the killed process
        pass


# ---------------------------------------------------------------------------- StreamWriter
def test_writer_replaces_an_old_stream_in_one_step(tmp_path):
    path = tmp_path / "stream_data.json"
    path.write_bytes(line(header("old")) + line(episode(1, "old")))
    old_inode = path.stat().st_ino
    writer = StreamWriter(path, header("new"))
    writer.write(episode(1, "new"))
    assert path.stat().st_ino != old_inode  # a new file, so a reader never sees a mix
    assert [json.loads(text)["run_id"] for text in path.read_text().splitlines()] == ["new", "new"]
    writer.close()


def test_writer_flushes_each_record_at_once(tmp_path):
    path = tmp_path / "stream_data.json"
    writer = StreamWriter(path, header())
    writer.write(episode(1))
    assert len(path.read_text().splitlines()) == 2  # visible before close()
    writer.close()


def test_writer_resume_appends_and_ends_a_half_written_line(tmp_path):
    path = tmp_path / "stream_data.json"
    path.write_bytes(line(header()) + line(episode(1)) + b'{"type": "episode", "epi')  # a crash mid-line
    writer = StreamWriter.resume(path, header(resumed=True))
    writer.write(episode(2))
    writer.close()
    reader = StreamReader(path)
    records = reader.poll()
    assert [record["type"] for record in records] == ["header", "episode", "header", "episode"]
    assert [record["episode"] for record in reader.episodes] == [1, 2]
    assert reader.header["resumed"] is True


# ---------------------------------------------------------------------------- StreamReader
def test_reader_of_a_missing_file_returns_nothing_until_it_appears(tmp_path):
    path = tmp_path / "stream_data.json"
    reader = StreamReader(path)
    assert reader.poll() == []
    assert reader.header is None
    path.write_bytes(line(header()))
    assert reader.poll() == [header()]
    assert reader.restarts == 0


def test_reader_returns_only_records_added_since_the_last_poll(tmp_path):
    path = tmp_path / "stream_data.json"
    path.write_bytes(line(header()) + line(episode(1)))
    reader = StreamReader(path)
    assert reader.poll() == [header(), episode(1)]
    assert reader.poll() == []
    append(path, line(episode(2)) + line(episode(3)))
    assert reader.poll() == [episode(2), episode(3)]
    assert reader.episodes == [episode(1), episode(2), episode(3)]


def test_reader_holds_back_a_partial_last_line(tmp_path):
    path = tmp_path / "stream_data.json"
    full = line(episode(1))
    path.write_bytes(line(header()) + full[:10])
    reader = StreamReader(path)
    assert reader.poll() == [header()]
    assert reader.poll() == []
    append(path, full[10:])
    assert reader.poll() == [episode(1)]


def test_reader_skips_a_corrupt_complete_line(tmp_path):
    path = tmp_path / "stream_data.json"
    path.write_bytes(line(header()) + b"{garbage\n" + b'"a string"\n' + line(episode(1)))
    reader = StreamReader(path)
    assert reader.poll() == [header(), episode(1)]


def test_reader_skips_a_corrupt_line_that_would_parse_inside_a_json_array(tmp_path):
    """The reader parses many lines as one JSON array: a line that is two records glued by a
    comma is still corrupt on its own and must not slip in."""
    path = tmp_path / "stream_data.json"
    glued = line(episode(2)).rstrip(b"\n") + b", " + line(episode(3))
    path.write_bytes(line(header()) + glued + line(episode(1)))
    reader = StreamReader(path)
    assert reader.poll() == [header(), episode(1)]


def test_reader_starts_over_when_a_new_run_replaces_the_stream(tmp_path):
    path = tmp_path / "stream_data.json"
    writer = StreamWriter(path, header("a"))
    for number in (1, 2, 3):
        writer.write(episode(number, "a"))
    writer.close()
    reader = StreamReader(path)
    assert len(reader.poll()) == 4
    writer = StreamWriter(path, header("b"))
    writer.write(episode(1, "b"))
    writer.close()
    assert reader.poll() == [header("b"), episode(1, "b")]
    assert reader.restarts == 1
    assert reader.header == header("b")
    assert reader.episodes == [episode(1, "b")]


@pytest.mark.parametrize("new_content", [line(header("b")), line(header("b")) + line(episode(1, "b")) * 9])
def test_reader_starts_over_when_the_file_is_rewritten_in_place(tmp_path, new_content):
    """Same file (inode), rewritten shorter or longer: the size or the first line gives it away."""
    path = tmp_path / "stream_data.json"
    path.write_bytes(line(header("a")) + line(episode(1, "a")) + line(episode(2, "a")))
    reader = StreamReader(path)
    reader.poll()
    with open(path, "r+b") as file:
        file.truncate(0)
        file.write(new_content)
    records = reader.poll()
    assert records[0] == header("b")
    assert reader.restarts == 1
    assert all(record["run_id"] == "b" for record in reader.episodes)


def test_reader_header_of_another_run_appended_starts_over_but_a_resume_does_not(tmp_path):
    path = tmp_path / "stream_data.json"
    resumed_run = line(header("a")) + line(episode(1, "a")) + line(header("a", resumed=True)) + line(episode(2, "a"))
    path.write_bytes(resumed_run)
    reader = StreamReader(path)
    reader.poll()
    assert reader.restarts == 0
    assert reader.header["resumed"] is True
    assert [record["episode"] for record in reader.episodes] == [1, 2]
    append(path, line(header("b")) + line(episode(1, "b")))
    assert reader.poll() == [header("b"), episode(1, "b")]
    assert reader.restarts == 1
    assert reader.episodes == [episode(1, "b")]


def test_reader_keeps_trajectories_apart_from_episodes(tmp_path):
    path = tmp_path / "stream_data.json"
    trajectory = {"stock": [[1, 2]], "demand": [[3, 4]], "orders": [[5, 6]], "sales": [[1, 2]]}
    path.write_bytes(line(header()) + line(episode(1, trajectory=trajectory)) + line(episode(2)))
    reader = StreamReader(path)
    records = reader.poll()
    assert records[1]["trajectory"] == trajectory  # poll returns records whole
    assert reader.trajectories == {1: trajectory}
    assert reader.episodes == [episode(1), episode(2)]


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_reader_sees_the_same_records_however_the_bytes_arrive(tmp_path_factory, cuts):
    """Whatever chunks a writer's bytes arrive in, polling between chunks yields every record once."""
    records = [header(), *(episode(number) for number in range(1, 8))]
    data = b"".join(line(record) for record in records)
    bounds = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    path = tmp_path_factory.mktemp("chunks") / "stream_data.json"
    path.write_bytes(b"")
    reader = StreamReader(path)
    seen = reader.poll()
    for start, end in itertools.pairwise(bounds):
        append(path, data[start:end])
        seen += reader.poll()
    assert seen == records
    assert reader.restarts == 0


def test_atomic_writer_gives_the_file_a_normal_mode(tmp_path):
    target = tmp_path / "model.zip"
    with atomic_writer(target) as file:
        file.write(b"data")
    assert target.read_bytes() == b"data"
    assert target.stat().st_mode & 0o777 == 0o666 & ~_UMASK
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]  # no temp file left behind
