"""Fixtures of the dashboard's tests beyond tests/conftest.py's: the app built for a log directory
(``app``), the single-warehouse runs by scenario family (``runs``), and tiny training runs of networks
of warehouses (``network_runs``), made once per session, in parallel (a few seconds each)."""

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import ROOT

APP = str(ROOT / "dashboard.py")
TIMEOUT = 120  # seconds per AppTest run: the first imports torch and SB3, a rule may be tuned (seconds)

NETWORK_RUNS = {  # name -> train.py's arguments
    "per-node": ["--scenario", "beer-game-classic", "--agents", "per-node"],
    "central": ["--scenario", "beer-game", "--agents", "central"],
    "seat": ["--scenario", "beer-game-classic", "--seat", "wholesaler", "--co-players", "sterman"],
}


@pytest.fixture(scope="session")
def network_runs(tmp_path_factory, cache_dir) -> dict[str, Path]:
    """One tiny training run (2,048 steps, 2 networks) of each kind of network agents: per-node agents
    and one agent in the wholesaler's seat (among Sterman's rule) on ``beer-game-classic``, a central
    agent on ``beer-game`` (whose exact optimum is known): name -> log directory."""
    started = {}
    for name, arguments in NETWORK_RUNS.items():
        log_dir = tmp_path_factory.mktemp(f"network-{name}")
        command = [sys.executable, "train.py", *arguments, "--total-timesteps", "2048", "--n-envs", "2"]
        command += ["--checkpoint-freq", "1024", "--log-dir", str(log_dir)]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started[name] = (log_dir, process)
    for _, process in started.values():
        _, errors = process.communicate(timeout=600)
        assert process.returncode == 0, errors.decode()[-2000:]
    return {name: log_dir for name, (log_dir, _) in started.items()}


@pytest.fixture(scope="session")
def runs(run_dir, scenario_runs) -> dict[str, Path]:
    """One tiny training run per scenario family (tests/conftest.py's): family -> log directory."""
    return {"default": run_dir, **scenario_runs}


@pytest.fixture
def app(monkeypatch):
    """Build the app for a log directory, given through the environment as users may; ``argv``: what
    follows ``--`` on the command line (``--allow-any-path``)."""

    def build(log_dir: Path, argv: tuple[str, ...] = ()) -> AppTest:
        monkeypatch.setenv("INVENTORY_LOG_DIR", str(log_dir))
        monkeypatch.setattr(sys, "argv", ["dashboard.py", *argv])
        return AppTest.from_file(APP, default_timeout=TIMEOUT)

    return build
