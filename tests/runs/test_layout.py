"""runs.layout: the run config as one typed record (``RunConfig``), written and read back, old run
folders' files, broken ones, and finding it beside a model or a checkpoint."""

import json
import subprocess
import sys

import pytest

from inventory_rl.runs.files import write_json_atomic
from inventory_rl.runs.layout import (
    CHECKPOINT_DIR,
    MODEL_NAME,
    ORIGINAL_DESCRIPTION,
    RUN_CONFIG_NAME,
    ModelLoadError,
    RunConfig,
    ScenarioRecord,
    load_run_config,
    read_run_config,
    write_run_config,
)
from inventory_rl.world.config import InventoryConfig, Scenario, load_scenario
from tests import ROOT

KEYS = [  # run_config.json's keys, in the order train.py has always written them
    "scenario",
    "env_config",
    "agent",
    "agent_base",
    "hyperparams",
    "hyperparams_file",
    "seed",
    "total_timesteps",
    "run_id",
    "versions",
    "command",
]


def full_run_config() -> RunConfig:
    """A run config with every field set, as a run in a scenario with changes writes it."""
    scenario = load_scenario("lost-sales", ["lead_time=3"])
    return RunConfig(
        env_config=scenario.config.with_demand_part("train"),
        scenario=ScenarioRecord.of(scenario),
        agent="structured",
        agent_base={"rule": "capped-base-stock", "parameters": {"q": 0.875, "cap": 1.2}},
        hyperparams={"n_steps": 64, "gamma": 0.95, "net_width": 64, "n_envs": 16},
        hyperparams_file="best_hyperparams.json",
        seed=3,
        total_timesteps=2048,
        run_id="20260101-120000-abcdef",
        versions={"python": "3.11.7", "torch": "2.13.0+cpu"},
        command=("python", "train.py", "--scenario", "lost-sales", "--set", "lead_time=3"),
    )


def assert_one_line_error(excinfo, *words):
    message = str(excinfo.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_a_run_config_round_trips_through_its_file(tmp_path):
    run_config = full_run_config()
    path = tmp_path / RUN_CONFIG_NAME
    write_run_config(path, run_config)
    assert read_run_config(path) == run_config
    written = json.loads(path.read_text(encoding="utf-8"))
    assert list(written) == KEYS
    assert written == run_config.to_dict()
    assert written["scenario"] == {
        "name": "lost-sales",
        "description": load_scenario("lost-sales").description,
        "path": run_config.scenario.path,
        "overrides": ["lead_time=3"],
    }
    assert written["env_config"] == run_config.env_config.to_dict() and written["command"][:2] == ["python", "train.py"]
    assert path.read_text(encoding="utf-8") == json.dumps(written, indent=2) + "\n"  # as write_json_atomic writes


def test_a_file_read_and_written_again_is_the_same_file(tmp_path):
    """What train.py wrote before the record existed (the same keys) reads and writes back byte for byte."""
    values = full_run_config().to_dict()
    values["agent_base"] = None
    values["hyperparams_file"] = None
    original = tmp_path / "original.json"
    write_json_atomic(original, values)
    write_run_config(tmp_path / "again.json", read_run_config(original))
    assert (tmp_path / "again.json").read_bytes() == original.read_bytes()


def test_the_stream_header_carries_the_run_config_but_its_provenance():
    run_config = full_run_config()
    fields = run_config.to_dict(provenance=False)
    assert list(fields) == KEYS[:-2]
    header = {"type": "header", "run_id": run_config.run_id, "started": "2026-01-01T12:00:00", "resumed": False}
    header.update(fields)
    read = RunConfig.from_dict(header)  # the header's own keys are passed over
    assert read == RunConfig(**{**vars(run_config), "versions": {}, "command": ()})
    assert read.as_scenario() == Scenario(
        "lost-sales", run_config.scenario.description, run_config.env_config, run_config.scenario.path, ("lead_time=3",)
    )


def test_an_old_run_config_without_the_newer_keys_loads_with_the_defaults(tmp_path):
    """A run from before scenarios and agents: no ``scenario``, ``agent``, ``agent_base`` or
    ``hyperparams_file``; they take the values every reader used for them."""
    config = InventoryConfig(n_products=4, capacity=60)
    old = {
        "env_config": config.to_dict(),
        "hyperparams": {"n_steps": 64, "batch_size": 64},
        "seed": 0,
        "total_timesteps": 128,
        "versions": {},
        "command": ["test"],
        "run_id": "old",
    }
    (tmp_path / RUN_CONFIG_NAME).write_text(json.dumps(old), encoding="utf-8")
    run_config = load_run_config(tmp_path / MODEL_NAME)
    assert run_config.env_config == config
    assert run_config.agent == "structured" and run_config.agent_base is None and run_config.hyperparams_file is None
    assert run_config.scenario == ScenarioRecord("default", ORIGINAL_DESCRIPTION)
    assert (run_config.run_id, run_config.seed, run_config.total_timesteps) == ("old", 0, 128)
    assert run_config.hyperparams == {"n_steps": 64, "batch_size": 64} and run_config.command == ("test",)
    scenario = run_config.as_scenario()
    assert (scenario.name, scenario.description, scenario.overrides) == ("default", ORIGINAL_DESCRIPTION, ())
    assert scenario.config == config


def test_the_least_a_run_config_holds_is_its_env_config(tmp_path):
    """Older still (or written by hand): only the env config, and some of its settings at that."""
    (tmp_path / RUN_CONFIG_NAME).write_text(json.dumps({"env_config": {"n_products": 5}}), encoding="utf-8")
    run_config = read_run_config(tmp_path / RUN_CONFIG_NAME)
    assert run_config == RunConfig(InventoryConfig(n_products=5))
    assert run_config.run_id is None and run_config.hyperparams is None and run_config.seed is None
    assert run_config.total_timesteps == 0 and run_config.versions == {} and run_config.command == ()
    scenario_without_keys = RunConfig.from_dict({"env_config": {}, "scenario": {"name": "costs"}}).scenario
    assert scenario_without_keys == ScenarioRecord("costs", "", "", ())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "JSONDecodeError"),
        ("", "JSONDecodeError"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"run_id": "r"}), "no env_config"),
        (json.dumps({"env_config": None}), "TypeError"),
        (json.dumps({"env_config": {"a_setting_from_the_future": 1}}), "a_setting_from_the_future"),
        (json.dumps({"env_config": {"n_products": "ten"}}), "n_products"),
        (json.dumps({"env_config": {}, "total_timesteps": "many"}), "ValueError"),
        (json.dumps({"env_config": {}, "hyperparams": 3}), "TypeError"),
    ],
    ids=["not-json", "empty", "a-list", "no-env-config", "null-env-config", "unknown-setting", "bad-setting",
         "bad-timesteps", "bad-hyperparams"],
)  # fmt: skip
def test_a_broken_run_config_is_a_one_line_model_load_error(tmp_path, text, reason):
    path = tmp_path / RUN_CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelLoadError) as excinfo:
        read_run_config(path)
    assert_one_line_error(excinfo, str(path), "not a valid run config", reason)


def test_a_missing_run_config_is_a_model_load_error(tmp_path):
    with pytest.raises(ModelLoadError) as excinfo:
        read_run_config(tmp_path / RUN_CONFIG_NAME)
    assert_one_line_error(excinfo, "not a valid run config")
    (tmp_path / "a" / "b").mkdir(parents=True)
    with pytest.raises(ModelLoadError) as excinfo:
        load_run_config(tmp_path / "a" / "b" / MODEL_NAME)
    assert_one_line_error(excinfo, f"no {RUN_CONFIG_NAME} beside")


def test_a_checkpoint_finds_the_run_config_of_its_run(tmp_path):
    write_run_config(tmp_path / RUN_CONFIG_NAME, full_run_config())
    assert load_run_config(tmp_path / CHECKPOINT_DIR / "inventory_model_10_steps.zip") == full_run_config()


def test_the_run_layout_loads_without_torch_or_sb3():
    code = "import sys, inventory_rl.runs.layout; print(sorted({'torch', 'stable_baselines3'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
