"""evaluate.py: episodes, statistics, the report, the command line with and without a model."""

import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from stable_baselines3 import PPO

from inventory_rl.agent.vec_env import AgentVecEnv
from inventory_rl.cli.evaluate import main
from inventory_rl.evaluation.episodes import play_episode
from inventory_rl.evaluation.metrics import METRICS
from inventory_rl.evaluation.report import allocation_by_demand_rank, evaluate, format_table
from inventory_rl.policies.rule_tuning import tuned_rule
from inventory_rl.policies.rules import BASELINES, make_baseline
from inventory_rl.world.config import InventoryConfig, load_scenario
from tests import ROOT

CONFIG = InventoryConfig()

SCRIPT = ROOT / "evaluate.py"
REPORT_KEYS = {key for metric in (*METRICS, "gap") for key in (metric, f"{metric}_ci95")} | {"gap_percent"}


def write_run_config(folder: Path, config: InventoryConfig) -> None:
    run_config = {
        "env_config": config.to_dict(),
        "hyperparams": {"n_steps": 64, "batch_size": 64},
        "seed": 0,
        "total_timesteps": 128,
        "versions": {},
        "command": ["test"],
        "run_id": "test",
    }
    (folder / "run_config.json").write_text(json.dumps(run_config))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A folder holding a tiny trained model and its run config, as train.py leaves them."""
    folder = tmp_path_factory.mktemp("run")
    model = PPO("MlpPolicy", AgentVecEnv(InventoryConfig(), 1), n_steps=64, batch_size=64, seed=0)
    model.learn(128)
    model.save(folder / "real_inventory_model.zip")
    write_run_config(folder, CONFIG)
    return folder


def run_cli(tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def assert_one_line_usage_error(capsys_or_stderr: str, fragment: str) -> None:
    errors = [line for line in capsys_or_stderr.splitlines() if line.startswith("evaluate.py: error:")]
    assert len(errors) == 1 and fragment in errors[0], capsys_or_stderr
    assert "Traceback" not in capsys_or_stderr


# ---------------------------------------------------------------------------- the figure


def test_allocation_by_demand_rank_shares():
    results = [play_episode(make_baseline("proportional", CONFIG), CONFIG, seed=s) for s in range(3)]
    order_share, demand_share = allocation_by_demand_rank(results)
    assert order_share.sum() == pytest.approx(1.0) and demand_share.sum() == pytest.approx(1.0)
    assert (np.diff(demand_share) <= 0).all()  # ranked busiest first
    assert order_share[0] > order_share[-1]  # proportional orders more for the busiest


# ---------------------------------------------------------------------------- the report


def test_evaluate_report_schema_and_reproducibility():
    policies = [make_baseline(name, CONFIG, seed=1) for name in ("random", "newsvendor")]
    report = evaluate(policies, CONFIG, episodes=4, seed=100)
    assert set(report) == {"episodes", "seed", "main_metric", "reference", "policies"}
    assert report["episodes"] == 4 and report["seed"] == 100
    assert report["main_metric"] == "fill_rate" and report["reference"] == "newsvendor"  # the best of the two
    assert report["policies"]["newsvendor"]["gap"] == 0.0
    random_gap = report["policies"]["random"]["gap"]
    assert random_gap == pytest.approx(
        report["policies"]["random"]["fill_rate"] - report["policies"]["newsvendor"]["fill_rate"]
    )
    assert list(report["policies"]) == ["random", "newsvendor"]
    for entry in report["policies"].values():
        assert set(entry) == REPORT_KEYS
        for metric in METRICS:
            low, high = entry[f"{metric}_ci95"]
            assert low <= entry[metric] <= high
    assert report["policies"]["newsvendor"]["fill_rate"] > report["policies"]["random"]["fill_rate"]
    again = evaluate([make_baseline(name, CONFIG, seed=1) for name in ("random", "newsvendor")], CONFIG, 4, 100)
    assert again == report
    json.dumps(report)  # plain JSON types only


def column_spans(lines: list[str]) -> list[tuple[int, int]]:
    """The character spans of a text table's columns, read across every line: separated by runs of
    two or more positions where no line has a character (within a column, a space between words or
    before a ``±`` is a single one)."""
    width = max(map(len, lines))
    used = [any(column < len(line) and line[column] != " " for line in lines) for column in range(width)]
    gaps = [match.span() for match in re.finditer(r"0{2,}", "".join("1" if taken else "0" for taken in used))]
    edges = [0, *(edge for gap in gaps for edge in gap), width]
    return list(zip(edges[::2], edges[1::2], strict=True))


@pytest.mark.parametrize("scenario", ["default", "costs"])
def test_the_table_is_aligned_in_columns_that_never_touch(scenario):
    config = load_scenario(scenario).config
    policies = [make_baseline(name, config, seed=1) for name in ("random", "uniform", "newsvendor")]
    report = evaluate(policies, config, episodes=3, seed=5)
    lines = format_table(report, config).splitlines()
    n_columns = 1 + (5 if config.has_costs else 6) + 1  # the policy, each metric, the gap to the reference
    spans = column_spans(lines)
    assert len(spans) == n_columns, "\n".join(lines)  # a cell touching its neighbour would merge two spans
    assert all(end + 2 <= start for (_, end), (start, _) in itertools.pairwise(spans)), "\n".join(lines)
    for line in lines:  # every line has a cell in every column: names flush left, numbers flush right
        assert line[: spans[0][1]].strip() and line[0] != " "
        for start, end in spans[1:]:
            assert line[start:end].strip() and line[end - 1] != " ", (line, start, end)
    for line in lines[1:]:
        assert line.count("±") == n_columns - 2 and line.count("[") == 1
    assert len({line.index("[") for line in lines[1:]}) == 1  # the interval's bracket lines up too
    for metric_start, metric_end in spans[1:-1]:
        assert len({line.index("±", metric_start, metric_end) for line in lines[1:]}) == 1  # so do the ±


def test_evaluate_rejects_duplicate_policy_names():
    with pytest.raises(ValueError, match="unique"):
        evaluate([make_baseline("uniform", CONFIG)] * 2, CONFIG, 2, 0)


# ---------------------------------------------------------------------------- command line


def test_cli_without_a_model_evaluates_every_rule(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no logs/real_inventory_model.zip here
    assert main(["--episodes", "3", "--seed", "7", "--json", "out.json", "--plot", "out.png"]) == 0
    report = json.loads((tmp_path / "out.json").read_text())
    assert list(report["policies"]) == list(BASELINES)
    assert report["episodes"] == 3 and report["seed"] == 7
    assert report.pop("scenario") == "the default scenario"
    assert set(report.pop("skipped")) == {"capped-base-stock", "constant-order", "s-S", "optimal"}
    assert set(report.pop("tuned")) == {"base-stock"}
    assert report == evaluate([tuned_rule(name, CONFIG, seed=7)[0] for name in BASELINES], CONFIG, 3, 7)
    assert (tmp_path / "out.png").read_bytes().startswith(b"\x89PNG")
    table = capsys.readouterr().out
    assert "the default scenario" in table
    for name in BASELINES:
        assert name in table
    unplayed = [line for line in table.splitlines() if ": not evaluated, " in line]
    assert unplayed[0] == (  # ppo first, with the other policies not evaluated
        "ppo: not evaluated, no model at logs/real_inventory_model.zip (train one with python train.py, "
        "or give --model PATH)"
    )
    assert len(unplayed) == 5


def test_cli_without_a_model_names_the_models_of_runs_below_logs(tmp_path, monkeypatch, model_dir, capsys):
    shutil.copytree(model_dir, tmp_path / "logs" / "quick")  # as run_quick.sh leaves it
    monkeypatch.chdir(tmp_path)
    assert main(["--episodes", "2", "--policies", "newsvendor"]) == 0  # ppo not asked for: no line about it
    assert "ppo" not in capsys.readouterr().out
    assert main(["--episodes", "2"]) == 0
    assert (
        "ppo: not evaluated, no model at logs/real_inventory_model.zip (give one with --model PATH, "
        "e.g. --model logs/quick/real_inventory_model.zip)"
    ) in capsys.readouterr().out


def test_cli_a_file_or_folder_that_is_not_a_model_says_so(tmp_path, monkeypatch, model_dir, capsys):
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text("# not a model\n")
    shutil.copytree(model_dir, tmp_path / "run")
    for path, said in [
        (
            "README.md",
            "README.md is not a model (a model is the .zip a training run saves, e.g. logs/real_inventory_model.zip)",
        ),
        (
            "run",
            "run is a folder, not a model (a model is the .zip a training run saves, e.g. "
            "run/real_inventory_model.zip)",
        ),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            main(["--model", path, "--episodes", "2"])
        assert exit_info.value.code == 2
        assert capsys.readouterr().err == f"evaluate.py: error: {said} (see evaluate.py --help)\n"


def test_cli_with_a_model_evaluates_ppo_on_its_config(tmp_path, monkeypatch, model_dir, capsys):
    shutil.copytree(model_dir, tmp_path / "logs")
    monkeypatch.chdir(tmp_path)  # the default model path now exists: ppo joins the default list
    assert main(["--episodes", "2", "--json", "out.json", "--plot", "out.svg"]) == 0
    report = json.loads((tmp_path / "out.json").read_text())
    assert list(report["policies"]) == ["ppo", *BASELINES]
    assert set(report["policies"]["ppo"]) == REPORT_KEYS
    assert "<svg" in (tmp_path / "out.svg").read_text()
    assert "as saved with logs/real_inventory_model.zip" in capsys.readouterr().out


def test_cli_plays_every_policy_on_the_models_config(tmp_path, model_dir):
    small = InventoryConfig(capacity=60)
    shutil.copy(model_dir / "real_inventory_model.zip", tmp_path / "model.zip")
    write_run_config(tmp_path, small)
    args = ["--model", str(tmp_path / "model.zip"), "--policies", "ppo,uniform", "--episodes", "2"]
    assert main([*args, "--json", str(tmp_path / "out.json")]) == 0
    report = json.loads((tmp_path / "out.json").read_text())
    expected = evaluate([make_baseline("uniform", small, seed=1000)], small, 2, 1000)["policies"]["uniform"]
    played = report["policies"]["uniform"]
    assert {key: played[key] for key in expected if not key.startswith("gap")} == {
        key: value for key, value in expected.items() if not key.startswith("gap")
    }  # the gaps differ: the reference here is the better of ppo and uniform


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--episodes", "0"], "argument --episodes: must be at least 2, got 0"),
        (["--episodes", "1"], "argument --episodes: must be at least 2, got 1"),
        (["--episodes", "x"], "argument --episodes: expected a whole number, got 'x'"),
        (["--seed", "-1"], "argument --seed: must be between 0 and 4294967295, got -1"),
        (["--seed", "4294967296"], "argument --seed: must be between 0 and 4294967295"),
        (["--seed", "1.5"], "argument --seed: expected a whole number, got '1.5'"),
        (["--policies", "newsvendor,magic"], "unknown policy 'magic'"),
        (["--policies", " , "], "--policies needs at least one"),
        (["--policies", "ppo"], "no model file at logs/real_inventory_model.zip"),
        (["--model", "nowhere.zip"], "no model file at nowhere.zip"),
        (["--json", "missing/out.json"], "--json: directory 'missing' does not exist"),
        (["--plot", "out.xyz"], "--plot: unsupported file type '.xyz'"),
    ],
)
def test_cli_bad_input_is_a_one_line_usage_error(tmp_path, monkeypatch, capsys, args, fragment):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert_one_line_usage_error(capsys.readouterr().err, fragment)


def test_cli_corrupt_model_is_a_one_line_error_in_a_real_process(tmp_path):
    (tmp_path / "model.zip").write_bytes(b"this is not a zip file")
    write_run_config(tmp_path, CONFIG)
    completed = run_cli(tmp_path, "--model", "model.zip", "--episodes", "2")
    assert completed.returncode == 2
    assert_one_line_usage_error(completed.stderr, "model.zip is not a loadable PPO model")
    assert completed.stdout == ""


def test_cli_bad_seed_in_a_real_process(tmp_path):
    completed = run_cli(tmp_path, "--seed", "-1", "--episodes", "2")
    assert completed.returncode == 2
    assert_one_line_usage_error(completed.stderr, "argument --seed: must be between 0 and")
    assert completed.stdout == ""


def test_cli_missing_model_in_a_real_process(tmp_path):
    completed = run_cli(tmp_path, "--policies", "ppo,newsvendor", "--episodes", "2")
    assert completed.returncode == 2
    assert_one_line_usage_error(completed.stderr, "no model file")
