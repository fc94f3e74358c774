"""Fixtures shared by several test modules."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A log directory from one real training run of 2,048 steps, shared by the session."""
    log_dir = tmp_path_factory.mktemp("run")
    command = [sys.executable, "train.py", "--total-timesteps", "2048", "--n-envs", "2"]
    command += ["--checkpoint-freq", "1024", "--log-dir", str(log_dir)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return log_dir
