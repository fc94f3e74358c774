"""The project as users install it: a wheel that holds the package and its scenarios and no
generic top-level module, and an installed copy that works from any folder and writes only
under its log directory (never inside the package)."""

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built as ``pip wheel . --no-deps`` builds it, from a copy of the checkout
    (a build leaves a ``build/`` folder behind, and the checkout must stay as it was)."""
    source = tmp_path_factory.mktemp("source") / "project"
    generated = shutil.ignore_patterns(".git", ".venv", "venv", "build", "*.egg-info", "__pycache__")

    def skipped(folder: str, names: list[str]) -> set[str]:
        top = {"logs", "runs"} if Path(folder) == ROOT else set()  # run folders (not inventory_rl/runs)
        return set(generated(folder, names)) | (top & set(names))

    shutil.copytree(ROOT, source, ignore=skipped)
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--quiet", "-w", str(folder)],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (built,) = folder.glob("inventory_rl-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel unpacked into a folder of its own (what ``pip install`` puts in site-packages)."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def run_installed(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``python ARGS`` in ``cwd``, outside the checkout, importing the installed copy first."""
    cache = cwd.parent / f"{cwd.name}-cache"  # beside cwd, so that cwd holds only what the command writes
    environment = {**os.environ, "PYTHONPATH": str(installed), "INVENTORY_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=300
    )


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and a hash of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_the_package_and_its_scenarios_and_no_generic_module(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"inventory_rl", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    for shipped in ("default.toml", "lost-sales.toml", "sample-data.toml", "data/sample_demand.csv"):
        assert f"inventory_rl/scenarios/{shipped}" in names
    assert "inventory_rl/app/pages/training.py" in names
    assert "inventory_rl/runs/layout.py" in names
    entry_points = zipfile.ZipFile(wheel).read(next(name for name in names if name.endswith("entry_points.txt")))
    assert b"inventory-rl = inventory_rl.cli.main:main" in entry_points


def test_the_installed_package_works_from_another_folder(installed, tmp_path):
    code = (
        "import gymnasium, inventory_rl\n"
        "from inventory_rl.world.config import SCENARIO_DIR, list_scenarios\n"
        "assert str(SCENARIO_DIR).startswith(sys.argv[1]), SCENARIO_DIR\n"
        "names = [scenario.name for scenario in list_scenarios()]\n"
        "assert {'default', 'lost-sales', 'sample-data'} <= set(names), names\n"
        "env = gymnasium.make('InventoryManagement-v0', scenario='lost-sales')\n"
        "obs, _ = env.reset(seed=0)\n"
        "assert env.observation_space.contains(obs)\n"
        "vec = gymnasium.make_vec('InventoryManagement-v0', num_envs=3, vectorization_mode='vector_entry_point')\n"
        "assert vec.reset(seed=0)[0].shape == (3, 60)\n"
        "print('ok', len(names))\n"
    )
    result = run_installed(installed, tmp_path, "-c", "import sys\n" + code, str(installed))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("ok")


def test_a_tiny_training_writes_only_under_its_log_dir(installed, tmp_path):
    before = tree_digest(installed)
    work = tmp_path / "work"
    work.mkdir()
    argv = ["-m", "inventory_rl.cli.main", "train", "--total-timesteps", "64", "--n-envs", "1"]
    result = run_installed(installed, work, *argv, "--log-dir", "runs/tiny")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (work / "runs" / "tiny" / "real_inventory_model.zip").is_file()
    assert sorted(path.name for path in work.iterdir()) == ["runs"]  # nothing beside the log dir
    assert tree_digest(installed) == before  # nothing written inside the package


def test_the_command_lists_the_scenarios_and_refuses_an_unknown_command(installed, tmp_path):
    listed = run_installed(installed, tmp_path, "-m", "inventory_rl.cli.main", "scenarios")
    assert listed.returncode == 0 and listed.stdout.startswith("big ")
    unknown = run_installed(installed, tmp_path, "-m", "inventory_rl.cli.main", "fly")
    assert unknown.returncode == 2 and "unknown command 'fly'" in unknown.stderr
    assert unknown.stderr.count("\n") == 2  # the usage line and the error, no traceback


def test_the_design_cards_files_stay_the_entry_points(tmp_path):
    """``import env`` registers the env from the project folder, ``utils`` still holds the run files'
    helpers for old code, and the doors are a few lines each."""
    code = (
        "import env, gymnasium, utils\n"
        "warehouse = gymnasium.make('InventoryManagement-v0')\n"
        "assert warehouse.observation_space.shape == (60,)\n"
        "assert utils.MODEL_NAME == 'real_inventory_model.zip' and callable(utils.atomic_writer)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    for door in ("train.py", "evaluate.py", "tune.py", "dashboard.py"):
        assert len((ROOT / door).read_text().splitlines()) <= 15, door


def test_the_installed_dashboard_command_serves_the_app_on_this_machine(installed, tmp_path):
    """``inventory-rl dashboard`` of an installed copy, from another folder: Streamlit answers on localhost."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "PYTHONPATH": str(installed), "INVENTORY_CACHE_DIR": str(tmp_path / "cache")}
    argv = ["-m", "inventory_rl.cli.main", "dashboard", f"--server.port={port}", "--server.headless=true"]
    argv += ["--browser.gatherUsageStats=false", "--log-dir", str(tmp_path / "logs")]
    server = subprocess.Popen(
        [sys.executable, *argv],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline, answered = time.monotonic() + 60, False
        while time.monotonic() < deadline and not answered:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    answered = response.status == 200
            except OSError:
                time.sleep(0.3)
        assert answered, "the dashboard did not answer"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
