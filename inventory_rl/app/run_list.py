"""The runs under the dashboard's log directory, as TensorBoard lists them, without Streamlit.

``--log-dir`` is a root: the root itself if it holds a run, and every folder below it (up to
``MAX_DEPTH`` levels) that holds a run's ``run_config.json`` or ``stream_data.json``. Folders a run
keeps for itself (its checkpoints, its TensorBoard logs) and hidden ones are not searched. Each run
is labelled by its path relative to the root (the root is ``.``) and its scenario, read from its
run config or, for a run that has only started its stream, from the stream's first line.

Listing stays cheap: one ``os.scandir`` per folder, and each scenario is read once per version of
its file (the page caches the list for a few seconds on top).
"""

from __future__ import annotations

import functools
import json
import os
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory_rl.runs.layout import CHECKPOINT_DIR, MODEL_NAME, RUN_CONFIG_NAME, STREAM_NAME, ScenarioRecord

MAX_DEPTH = 3  # levels of folders searched below the root
MAX_FOLDERS = 2_000  # folders visited at most: a root pointed at a large tree still lists quickly
ROOT_LABEL = "."
RUN_FILES = (RUN_CONFIG_NAME, STREAM_NAME)  # a folder holding one of these holds a run
# Folders that are never runs: a run's checkpoints and TensorBoard logs (training.run.TENSORBOARD_DIR),
# the rules' cache, the Beer Game's saved games (app.beer_game.GAME_DIR), Python's; hidden folders
# (.git, ...) are skipped too.
SKIPPED_FOLDERS = frozenset({CHECKPOINT_DIR, "sb3_logs", "cache", "beer_games", "__pycache__", "node_modules"})
MAX_HEADER_BYTES = 1_000_000  # a stream's header line is a few kilobytes
UNKNOWN_SCENARIO = "scenario unknown"


@dataclass(frozen=True)
class RunInfo:
    """One run under the root: its folder, its path relative to the root, its scenario's label and
    when one of its files last changed (the newest run is the default when the root holds none)."""

    path: Path
    relative: str  # "." for the root itself, else the POSIX path below it: "quick", "costs/seed-1"
    scenario: str  # "lost-sales --set lead_time=4", or UNKNOWN_SCENARIO
    modified: float  # seconds since the epoch

    @property
    def label(self) -> str:
        """How the run picker names it: ``quick · lost-sales``."""
        return f"{self.relative} · {self.scenario}"


def find_runs(root: Path, max_depth: int = MAX_DEPTH) -> list[RunInfo]:
    """Every run under ``root``: the root's own first (if it holds one), then the others by path.
    A missing or unreadable root has none."""
    found = []
    visited = 0
    pending = deque([(root, ROOT_LABEL, 0)])  # breadth first: near folders before deep ones
    while pending and visited < MAX_FOLDERS:
        folder, relative, depth = pending.popleft()
        visited += 1
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:
            continue
        names = {entry.name for entry in listed}
        if any(name in names for name in RUN_FILES):
            found.append(_run_info(folder, relative))
        if depth >= max_depth:
            continue
        for entry in listed:
            if _searched(entry):
                below = entry.name if relative == ROOT_LABEL else f"{relative}/{entry.name}"
                pending.append((folder / entry.name, below, depth + 1))
    return sorted(found, key=lambda run: (run.relative != ROOT_LABEL, run.relative))


def _searched(entry: os.DirEntry) -> bool:
    """A folder worth searching for runs: not a symlink (no loops), not hidden, not a run's own."""
    try:
        is_folder = entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
    return is_folder and not entry.name.startswith(".") and entry.name not in SKIPPED_FOLDERS


def _run_info(folder: Path, relative: str) -> RunInfo:
    """The run in ``folder``: its scenario and the newest modification time of its files."""
    versions = {}
    for name in (*RUN_FILES, MODEL_NAME):
        try:
            stat = (folder / name).stat()
        except OSError:
            continue
        versions[name] = (stat.st_mtime_ns, stat.st_size)
    modified = max(modified_ns for modified_ns, _ in versions.values()) / 1e9 if versions else 0.0
    scenario = UNKNOWN_SCENARIO
    for name in RUN_FILES:  # the run config first: it is small and always complete
        if name in versions:
            scenario = _scenario_of(str(folder / name), *versions[name])
            if scenario != UNKNOWN_SCENARIO:
                break
    return RunInfo(folder, relative, scenario, modified)


@functools.lru_cache(maxsize=256)
def _scenario_of(path: str, modified_ns: int, size: int) -> str:
    """The scenario label recorded in the run config or stream at ``path`` (as it was at
    ``modified_ns`` and ``size``): a stream is read up to its first line only."""
    record = header_record(path)
    return scenario_label(record) if isinstance(record, Mapping) else UNKNOWN_SCENARIO


def header_record(path: str) -> object:
    """The JSON a run config at ``path`` holds, or a stream's first line (its header) only; None where
    it cannot be read or parsed (a run being written, a foreign file)."""
    try:
        with open(path, "rb") as file:
            text = file.readline(MAX_HEADER_BYTES) if path.endswith(STREAM_NAME) else file.read(MAX_HEADER_BYTES)
        return json.loads(text)
    except (OSError, ValueError):
        return None


def scenario_label(record: Mapping[str, Any]) -> str:
    """``lost-sales --set lead_time=4``: the scenario a run config (or stream header) records, as a
    command line names it; ``default`` for a run from before scenarios (no ``scenario``), and
    ``UNKNOWN_SCENARIO`` for a stream line that is not a header."""
    if record.get("type", "header") != "header":
        return UNKNOWN_SCENARIO
    scenario = ScenarioRecord.from_dict(record.get("scenario"))  # the run config's own reading of it
    return " ".join([scenario.name, *(f"--set {text}" for text in scenario.overrides)])


def default_run(runs: Sequence[RunInfo]) -> RunInfo | None:
    """The run shown first: the root's own if it holds one, else the most recently modified; None without runs."""
    if not runs:
        return None
    own = next((run for run in runs if run.relative == ROOT_LABEL), None)
    return own or max(runs, key=lambda run: run.modified)


def pick_run(runs: Sequence[RunInfo], relative: str | None) -> RunInfo | None:
    """The run whose relative path is ``relative`` (the picker's value), else the ``default_run``."""
    return next((run for run in runs if run.relative == relative), None) or default_run(runs)
