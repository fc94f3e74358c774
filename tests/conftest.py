"""Fixtures shared by several test modules."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests import ROOT


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        help="save the dashboard's screenshots (training, replay, manual, compare and tuning .png) into DIR, "
        "e.g. docs; by default they go to a temporary directory",
    )


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory):
    """Tuned rules and optimal solutions go to a folder of this test session, not logs/cache."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INVENTORY_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def sb3_log_dir(tmp_path_factory):
    """SB3's logger, given no folder (a model learning without TensorBoard), makes one per ``learn``
    under the system's temporary folder (``SB3-<time>``); this session's go to its own folder."""
    folder = tmp_path_factory.mktemp("sb3")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SB3_LOGDIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A log directory from one real training run of 2,048 steps, shared by the session."""
    log_dir = tmp_path_factory.mktemp("run")
    command = [sys.executable, "train.py", "--total-timesteps", "2048", "--n-envs", "2"]
    command += ["--checkpoint-freq", "1024", "--log-dir", str(log_dir)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return log_dir


@pytest.fixture(scope="session")
def scenario_runs(tmp_path_factory) -> dict[str, Path]:
    """One tiny training run (1,024 steps, 2 envs, one checkpoint) in each of the ``lead-time``
    (orders take 3 days), ``costs`` and ``sample-data`` scenarios, trained in parallel and shared
    by the dashboard and browser tests: scenario -> log directory."""
    started = {}
    for name in ("lead-time", "costs", "sample-data"):
        log_dir = tmp_path_factory.mktemp(f"run-{name}")
        command = [sys.executable, "train.py", "--scenario", name, "--total-timesteps", "1024", "--n-envs", "2"]
        command += ["--checkpoint-freq", "1024", "--log-dir", str(log_dir)]
        started[name] = (
            log_dir,
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
        )
    for _, process in started.values():
        _, errors = process.communicate(timeout=600)
        assert process.returncode == 0, errors.decode()[-2000:]
    return {name: log_dir for name, (log_dir, _) in started.items()}
