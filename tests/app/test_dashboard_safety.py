"""Safe by default: the documented ways to start the dashboard serve this machine only; paths typed
into a page are read only under the log directory and the scenario folder (unless the dashboard was
started with ``--allow-any-path``); the Tuning page creates no file and no table; the Beer Game saves
only under the log directory, in files it names.
"""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from inventory_rl.app.beer_game import GAME_DIR, GAME_ID
from inventory_rl.cli import demo
from inventory_rl.cli.main import dashboard_command
from inventory_rl.runs.layout import MODEL_NAME
from inventory_rl.world.config import SCENARIO_DIR
from tests import ROOT
from tests.app.test_dashboard import copy_run, switch, texts

SERVER_START_SECONDS = 60
LISTEN = "0A"  # a socket's state in /proc/net/tcp: listening


# ---------------------------------------------------------------------------- who can reach it
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_addresses(port: int) -> list[str]:
    """The local addresses of the sockets listening on ``port`` (Linux's /proc/net/tcp and tcp6)."""
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] != LISTEN or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(address)
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # each 32-bit word is little-endian
            found.append(socket.inet_ntop(family, words))
    return found


def loopback(address: str) -> bool:
    return address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")


def outside_address() -> str | None:
    """This machine's address on its network (None without one): where another machine would connect."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if loopback(address) else address


@contextlib.contextmanager
def serving(command: list[str], port: int, env: dict | None = None):
    """Run a dashboard command until it answers its health check on ``port``; stop it after."""
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dashboard did not start (exit code {server.poll()})") from None
                time.sleep(0.2)
        yield
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)


def test_the_config_file_and_the_commands_say_localhost(tmp_path, monkeypatch):
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"  # read by `streamlit run dashboard.py` in the project
    assert "--server.address=localhost" in dashboard_command(["--log-dir", "logs"])  # inventory-rl dashboard
    shared = dashboard_command(["--server.address=0.0.0.0"])  # sharing on purpose, as docs/dashboard.md says
    assert "--server.address=0.0.0.0" in shared and "--server.address=localhost" not in shared
    spaced = dashboard_command(["--server.port", "8599", "--log-dir", "logs"])  # Streamlit's option, as often typed
    assert spaced[-5:] == ["--server.port=8599", "--server.address=localhost", "--", "--log-dir", "logs"]
    (tmp_path / MODEL_NAME).touch()  # a model: the demo starts no training
    called = []
    monkeypatch.setattr(demo, "dashboard_running", lambda port: False)
    monkeypatch.setattr(demo, "port_taken", lambda port: False)
    monkeypatch.setattr(demo.subprocess, "call", lambda command: called.append(command) or 0)
    assert demo.main(["--log-dir", str(tmp_path)]) == 0  # ./run_demo.sh, run_demo.bat
    [command] = called
    assert "--server.address=localhost" in command


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's table of sockets")
@pytest.mark.parametrize("how", ["streamlit run dashboard.py", "inventory-rl dashboard", "run_demo"])
def test_the_documented_commands_listen_on_this_machine_only(how, tmp_path):
    port = free_port()
    (tmp_path / MODEL_NAME).touch()  # the demo starts no training beside a model
    headless = {"STREAMLIT_SERVER_HEADLESS": "true", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    python, log_dir = sys.executable, str(tmp_path)
    commands = {  # as docs/dashboard.md gives them, with a free port and no browser
        "streamlit run dashboard.py": [python, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port)],
        "inventory-rl dashboard": [python, "-m", "inventory_rl.cli.main", "dashboard", f"--server.port={port}"],
        "run_demo": [python, "-m", "inventory_rl.cli.demo", "--port", str(port)],  # what run_demo.sh runs
    }
    command = [*commands[how], "--", "--log-dir", log_dir] if how.startswith("streamlit") else [*commands[how]]
    if not how.startswith("streamlit"):
        command += ["--log-dir", log_dir]
    with serving(command, port, headless):
        addresses = listening_addresses(port)
        assert addresses and all(loopback(address) for address in addresses), addresses
        outside = outside_address()
        if outside is not None:  # another machine would knock here: nobody answers
            with pytest.raises(OSError), socket.create_connection((outside, port), timeout=2):
                pass


# ---------------------------------------------------------------------------- typed paths
def test_compare_reads_only_under_the_log_directory_unless_allowed(app, tmp_path):
    root = tmp_path / "logs"
    root.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    at = switch(app(root).run(), "Compare")
    for typed in ("/etc", str(outside), str(root / ".." / "elsewhere")):
        at.text_input(key="compare_where").input(typed).run()
        assert not at.exception, at.exception
        [error] = at.error
        assert "outside the folders the dashboard reads" in error.value and "\n" not in error.value
        assert "--allow-any-path" in error.value
    at.text_input(key="compare_where").input(str(SCENARIO_DIR)).run()  # the scenario folder may be read
    assert not at.error and "No evaluation report" in texts(at.info)
    at = switch(app(root, ("--allow-any-path",)).run(), "Compare")
    at.text_input(key="compare_where").input(str(outside)).run()
    assert not at.error and "No evaluation report" in texts(at.info)


def test_the_scenario_picker_reads_files_only_under_the_log_directory_and_the_scenarios(app, run_dir, tmp_path):
    root = copy_run(run_dir, tmp_path / "logs")
    mine = tmp_path / "mine.toml"
    mine.write_text('description = "Mine"\nlead_time = 3\n')
    for page, prefix in (("Replay", "replay"), ("Manual", "manual")):
        at = switch(app(root).run(), page)
        at.selectbox(key=f"{prefix}_scenario").set_value("file").run()
        at.text_input(key=f"{prefix}_scenario_path").input(str(mine)).run()
        assert not at.exception, at.exception
        [error] = at.error
        assert error.value.startswith("Scenario: ") and "outside the folders the dashboard reads" in error.value
        at.text_input(key=f"{prefix}_scenario_path").input(str(SCENARIO_DIR / "default.toml")).run()
        assert not at.error and "Scenario: `default`" in texts(at.markdown)  # the shipped scenarios may be read
    at = switch(app(root, ("--allow-any-path",)).run(), "Replay")
    at.selectbox(key="replay_scenario").set_value("file").run()
    at.text_input(key="replay_scenario_path").input(str(mine)).run()
    assert "outside" not in texts(at.error) and "Scenario: `mine`" in texts(at.markdown)  # (the rules play it)


def test_a_demand_file_named_in_the_changes_is_read_only_where_the_dashboard_reads(app, run_dir, tmp_path):
    root = copy_run(run_dir, tmp_path / "logs")
    elsewhere = tmp_path / "demand.csv"
    elsewhere.write_text("date,p0\n2024-01-01,1\n")
    at = switch(app(root).run(), "Replay")
    # the run's own scenario reads a relative name where it is written (not beside its TOML file): checked there
    for typed in ("/etc/passwd", str(elsewhere), "../../../../../../etc/passwd", "/no/such/file.csv", "data/x.csv"):
        at.text_input(key="replay_overrides").input(f"demand_model=file demand_file={typed}").run()
        assert not at.exception, at.exception
        [error] = at.error  # refused before the file is opened: nothing about its contents or existence
        assert "outside the folders the dashboard reads" in error.value and "\n" not in error.value
    at.selectbox(key="replay_scenario").set_value("sample-data").run()  # its own file, in the scenario folder
    at.text_input(key="replay_overrides").input("demand_file=data/sample_demand.csv").run()
    [mismatch] = at.error  # the run's model cannot play file demand, said in settings: the rules play it
    assert "demand_model=poisson" in mismatch.value and "this scenario has demand_model=file" in mismatch.value
    assert "Scenario: `sample-data --set demand_file=data/sample_demand.csv`" in texts(at.markdown)


# ---------------------------------------------------------------------------- the tuning page writes nothing
def tables(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def test_the_tuning_page_creates_no_file_and_no_table(app, tmp_path):
    root = tmp_path / "logs"
    root.mkdir()
    at = switch(app(root).run(), "Tuning")
    assert "No tuning study" in texts(at.info)
    assert not (root / "tuning.db").exists()  # the default storage is not created by looking
    for typed in ("new.db", "deeper/new.db"):
        at.text_input(key="tuning_url").input(f"sqlite:///{root / typed}").run()
        assert not at.exception, at.exception
        assert len(at.error) == 1 and "no SQLite file" in at.error[0].value
    assert sorted(path.name for path in root.iterdir()) == []  # neither the files nor their folder
    empty = root / "empty.db"
    empty.touch()
    at.text_input(key="tuning_url").input(f"sqlite:///{empty}").run()
    assert "holds no Optuna study yet" in texts(at.error) and empty.stat().st_size == 0
    other = root / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
        connection.commit()
    before = other.read_bytes()
    at.text_input(key="tuning_url").input(f"sqlite:///{other}").run()
    assert "holds no Optuna study yet" in texts(at.error)
    assert tables(other) == ["notes"] and other.read_bytes() == before
    outside = tmp_path / "outside.db"
    at.text_input(key="tuning_url").input(f"sqlite:///{outside}").run()
    [error] = at.error
    assert "outside the folders the dashboard reads" in error.value and not outside.exists()


# ---------------------------------------------------------------------------- the beer game's files
def files_below(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def test_the_beer_game_saves_only_under_the_log_directory_in_files_it_names(app, tmp_path):
    root = tmp_path / "logs"
    at = switch(app(root).run(), "Beer Game")
    before = files_below(tmp_path)
    at.radio(key="beer_co_players").set_value("sterman").run()
    at.button(key="beer_start").click().run()
    for units in ("4", "5"):
        at.text_input(key="beer_order").input(units)
        next(button for button in at.button if button.label == "Place order").click().run()
    assert not at.exception, at.exception
    [saved] = files_below(tmp_path) - before
    assert saved.parent == root / GAME_DIR and GAME_ID.match(saved.stem.removeprefix("game-"))
    assert saved.name == f"game-{at.query_params['game']}.json"
