"""The live JSON Lines stream a training run writes and the dashboard tails: the one definition
of its episode record, ``StreamWriter`` (one flushed line per record) and ``StreamReader``
(reads only the new bytes, skips a half-written line until it is whole)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from inventory_rl.evaluation.metrics import METRICS, TRAJECTORY
from inventory_rl.runs.files import atomic_writer
from inventory_rl.world.config import InventoryConfig

# ---------------------------------------------------------------------------- the stream's records
# An episode record: its place in the run, its metrics (``EPISODE_FIGURES``: ``metrics.METRICS``), its
# points per reward component (the scenario's: sim.reward_component_names), its stockouts, and
# for some episodes the day-by-day trajectory.
# train.py writes it (``episode_record``), ``StreamReader`` reads it, the dashboard charts it.
STREAM_KEYS = {"mean_reward": "reward"}  # metric -> the stream's own name for it (kept: old streams are read)
DECIMALS = {"mean_reward": 2}  # decimals a figure keeps in the stream (the reward is in the env's points); else 4
EPISODE_FIGURES: dict[str, int] = {STREAM_KEYS.get(name, name): DECIMALS.get(name, 4) for name in METRICS}
TRAJECTORY_FIELDS = tuple(name for name in TRAJECTORY if name != "lost_sales")


def stream_figures(metrics: dict[str, float]) -> dict[str, float]:
    """An episode's ``metrics`` under the stream's keys (``STREAM_KEYS``)."""
    return {STREAM_KEYS.get(name, name): value for name, value in metrics.items()}


def trajectory_fields(config: InventoryConfig) -> tuple[str, ...]:
    """The day-by-day arrays a sampled episode carries: ``TRAJECTORY_FIELDS`` (its units per product
    of ``metrics.TRAJECTORY``, less the lost sales, which are demand - sales), and ``in_transit``
    (units still in transit at the end of each day) where orders can be in transit."""
    return (*TRAJECTORY_FIELDS, "in_transit") if config.transit_slots else TRAJECTORY_FIELDS


def episode_record(
    run_id: str, episode: int, env_index: int, timesteps: int, summary: dict, with_trajectory: bool = False
) -> dict:
    """The stream's record of one episode from its ``summary`` (``EPISODE_FIGURES``, plus
    ``reward_components``, ``stockouts`` and, if asked for, its ``trajectory``: the arrays of
    ``trajectory_fields``), numbers rounded."""
    record = {
        "type": "episode",
        "run_id": run_id,
        "episode": episode,
        "env": env_index,
        "timesteps": timesteps,
        "reward_components": {name: round(float(points), 2) for name, points in summary["reward_components"].items()},
        "stockouts": int(summary["stockouts"]),
        **{name: round(float(summary[name]), digits) for name, digits in EPISODE_FIGURES.items()},
    }
    if with_trajectory:
        record["trajectory"] = {key: np.asarray(days).tolist() for key, days in summary["trajectory"].items()}
    return record


class StreamWriter:
    """Writes the JSON Lines stream of a training run, one flushed line per record."""

    def __init__(self, path: str | Path, header: dict, *, _append: bool = False):
        """Start a fresh stream with ``header``, replacing any old stream in one step."""
        self.path = Path(path)
        line = _encode(header)
        if not _append:
            with atomic_writer(self.path, "w") as file:
                file.write(line)
        if _append and _ends_mid_line(self.path):
            line = "\n" + line  # a crash left half a line: end it, readers skip it as corrupt
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed by close())
        if _append:
            self._write_line(line)

    @classmethod
    def resume(cls, path: str | Path, header: dict) -> StreamWriter:
        """Continue an existing stream: ``header`` is appended after its records."""
        return cls(path, header, _append=True)

    def write(self, record: dict) -> None:
        """Append one record and flush it, so a reader sees it at once and whole."""
        self._write_line(_encode(record))

    def _write_line(self, line: str) -> None:
        self._file.write(line)
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _ends_mid_line(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            if file.tell() == 0:
                return False
            file.seek(-1, os.SEEK_END)
            return file.read(1) != b"\n"
    except FileNotFoundError:
        return False


def _encode(record: dict) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"


class StreamReader:
    """Tails a stream written by ``StreamWriter``: each ``poll`` reads only the new bytes.

    An incomplete last line is held back until it is complete; a corrupt complete line is
    skipped. When a new run replaces the stream (another file, a shorter file, a different
    first line, or a header with another run id) the reader starts over and counts it in
    ``restarts``. ``header``, ``episodes`` (trajectories stripped) and ``trajectories``
    (episode number -> trajectory) accumulate across polls.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.restarts = 0
        self.header: dict | None = None
        self.episodes: list[dict] = []
        self.trajectories: dict[int, dict] = {}
        self._file_id: tuple[int, int] | None = None
        self._offset = 0  # bytes consumed, including the held-back partial line
        self._pending = b""
        self._first_line = b""

    def _forget_run(self) -> None:
        self.header = None
        self.episodes = []
        self.trajectories = {}
        self.restarts += 1

    def poll(self) -> list[dict]:
        """The complete records added since the last call ([] if the file is missing)."""
        try:
            file = open(self.path, "rb")  # noqa: SIM115 (closed below)
        except FileNotFoundError:
            return []
        with file:
            stat = os.fstat(file.fileno())
            file_id = (stat.st_dev, stat.st_ino)
            replaced = self._file_id is not None and (
                file_id != self._file_id
                or stat.st_size < self._offset
                or file.read(len(self._first_line)) != self._first_line
            )
            if replaced:
                self._forget_run()
                self._offset, self._pending, self._first_line = 0, b"", b""
            self._file_id = file_id
            file.seek(self._offset)
            data = file.read()
        self._offset += len(data)
        *lines, self._pending = (self._pending + data).split(b"\n")
        if not self._first_line and lines:
            self._first_line = lines[0] + b"\n"
        records: list[dict] = []
        for record in _decode_lines(lines):
            if record["type"] == "header" and self.header and record.get("run_id") != self.header.get("run_id"):
                self._forget_run()  # another run was appended to this file: keep only its records
                records = []
            self._absorb(record)
            records.append(record)
        return records

    def _absorb(self, record: dict) -> None:
        kind = record["type"]
        if kind == "header":
            self.header = record
        elif kind == "episode":
            if "trajectory" in record:
                self.trajectories[record.get("episode")] = record["trajectory"]
                record = {key: value for key, value in record.items() if key != "trajectory"}
            self.episodes.append(record)


def _decode_lines(lines: list[bytes]) -> list[dict]:
    """The records of complete lines, blank and corrupt ones skipped.

    A first read holds ~100,000 lines: they are parsed as one JSON array (a third less time than
    line by line), and line by line only when that fails or gives another count of values (a
    corrupt line), so a bad line costs only itself."""
    filled = [line for line in lines if line.strip()]
    try:
        values = json.loads(b"[" + b",".join(filled) + b"]")
    except ValueError:  # also covers UnicodeDecodeError
        values = None
    if values is None or len(values) != len(filled):
        values = [_decode(line) for line in filled]
    return [value for value in values if isinstance(value, dict) and isinstance(value.get("type"), str)]


def _decode(line: bytes) -> dict | None:
    """One line's value, or None for a corrupt line."""
    try:
        return json.loads(line)
    except ValueError:  # also covers UnicodeDecodeError
        return None
