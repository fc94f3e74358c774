"""Scenarios: every shipped one passes both env checkers and keeps the simulation's invariants;
each new mechanism on a hand-computed case; a batch of warehouses plays exactly the episodes
of single envs; and every bad scenario input is a one-line error (exit code 2) on the CLIs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils import seeding
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from hypothesis import given, settings
from hypothesis import strategies as st
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from inventory_rl.app.scenario import OWN, pick_scenario, with_overrides
from inventory_rl.cli import evaluate as evaluate_cli
from inventory_rl.cli import train as train_cli
from inventory_rl.envs import ENV_ID
from inventory_rl.envs.single import InventoryEnv, day_info
from inventory_rl.runs.layout import MODEL_NAME, load_run_config
from inventory_rl.world.config import InventoryConfig, ScenarioError, list_scenarios, load_scenario
from inventory_rl.world.warehouses import Warehouses
from tests import ROOT

SCENARIOS = {scenario.name: scenario for scenario in list_scenarios()}
SHIPPED = ("default", "seasonal", "lead-time", "disrupted", "costs", "big", "sample-data", "lost-sales")
PROPERTY = settings(max_examples=12, deadline=None)
SEEDS = st.integers(0, 2**31 - 1)


def short(config: InventoryConfig, days: int = 12) -> InventoryConfig:
    """The same scenario with short episodes, to keep property tests quick."""
    return dataclasses.replace(config, episode_days=min(days, config.episode_days))


def test_every_promised_scenario_is_shipped_with_a_description():
    assert set(SHIPPED) <= set(SCENARIOS)
    assert all(SCENARIOS[name].description for name in SHIPPED)
    assert SCENARIOS["default"].config == InventoryConfig()


def test_lost_sales_is_the_literature_benchmark():
    config = SCENARIOS["lost-sales"].config
    assert (config.n_products, config.rate_low, config.rate_high) == (1, 5.0, 5.0)
    assert (config.holding_cost, config.lost_sale_cost, config.lead_time) == (1.0, 9.0, 3)  # L = 2
    assert config.order_mode == "free" and config.reward_mode == "cost"
    assert config.capacity >= 20 * config.max_lead_time * config.max_demand // 2  # never binds


# ---------------------------------------------------------------------------- contracts
@pytest.mark.parametrize("name", SHIPPED)
def test_both_checkers_pass_for_every_shipped_scenario(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gymnasium_check_env(InventoryEnv(short(SCENARIOS[name].config)), skip_render_check=True)
        sb3_check_env(InventoryEnv(short(SCENARIOS[name].config)))
    unexpected = [str(w.message) for w in caught if "symmetric and normalized Box action space" not in str(w.message)]
    assert unexpected == []


def test_gymnasium_make_takes_a_scenario_and_overrides():
    env = gym.make(ENV_ID, scenario="lead-time", overrides=["lead_time=4"])
    assert env.unwrapped.config.lead_time == 4
    assert env.observation_space.shape == (10 * (6 + 3),)  # three in-transit columns per product
    assert gym.make(ENV_ID, scenario="costs").action_space.shape == (11,)  # the share of the gap
    assert gym.make(ENV_ID).observation_space.shape == (60,)  # the default stays the original


@pytest.mark.parametrize("name", SHIPPED)
@PROPERTY
@given(seed=SEEDS, action_seed=SEEDS)
def test_invariants_hold_in_every_scenario(name, seed, action_seed):
    config = short(SCENARIOS[name].config)
    env = InventoryEnv(config)
    obs, info = env.reset(seed=seed)
    assert env.observation_space.contains(obs)
    rng = np.random.default_rng(action_seed)
    stock = info["stock"]
    for _ in range(config.episode_days):
        manual = rng.random() < 0.3
        if manual:
            obs, _, _, _, info = env.step_units(rng.integers(0, config.capacity // 4 + 2, config.n_products))
        else:
            obs, _, _, _, info = env.step(rng.random(config.action_size).astype(np.float32))
        assert env.observation_space.contains(obs)
        received = info["received"] if "received" in info else info["orders"]
        np.testing.assert_array_equal(info["stock"], stock + received - info["sales"])  # units are conserved
        np.testing.assert_array_equal(info["sales"] + info["lost_sales"], info["demand"])
        in_transit = int(info["in_transit"].sum()) if "in_transit" in info else 0
        assert int(info["stock"].sum()) + in_transit <= config.capacity  # never overflows, pipeline included
        if "cost_parts" in info:
            assert all((part >= 0).all() for part in info["cost_parts"].values())
            assert (info["cost"] >= 0).all()
            np.testing.assert_allclose(info["profit"], info["revenue"] - info["cost"])
        stock = info["stock"]


@pytest.mark.parametrize("name", SHIPPED)
def test_the_same_seed_gives_the_same_episode_in_every_scenario(name):
    config = short(SCENARIOS[name].config)
    episodes = []
    for _ in range(2):
        env = InventoryEnv(config)
        env.reset(seed=42)
        env.action_space.seed(7)
        episodes.append([env.step(env.action_space.sample()) for _ in range(config.episode_days)])
    for (obs_a, reward_a, *_, info_a), (obs_b, reward_b, *_, info_b) in zip(*episodes, strict=True):
        np.testing.assert_array_equal(obs_a, obs_b)
        assert reward_a == reward_b
        np.testing.assert_array_equal(info_a["demand"], info_b["demand"])


def assert_same_info(batch_info: dict, single_info: dict) -> None:
    """Every key of a step's ``info``, with the same values and types (arrays: the same dtype)."""
    assert list(batch_info) == list(single_info)
    for key, value in single_info.items():
        if isinstance(value, dict):
            assert_same_info(batch_info[key], value)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(batch_info[key], value, err_msg=key, strict=True)
        else:
            assert type(batch_info[key]) is type(value) and batch_info[key] == value, key


@pytest.mark.parametrize("name", SHIPPED)
def test_a_batch_plays_exactly_the_episodes_of_single_envs(name):
    """A single env is a batch of one with its own arithmetic (``sim._OneMath``): both must give
    the same bits, through fractions (first episode) and whole units beyond the gap (second)."""
    config = short(SCENARIOS[name].config, days=8)
    seeds = [3, 4, 5]
    batch = Warehouses(config, len(seeds))
    generators = [seeding.np_random(seed)[0] for seed in seeds]  # as env.reset(seed=...) makes them
    singles = [InventoryEnv(config) for _ in seeds]
    for episode in range(2):  # the second episode carries on with each generator, as envs do
        single_obs = [
            env.reset(seed=seed if episode == 0 else None)[0] for env, seed in zip(singles, seeds, strict=True)
        ]
        batch.reset(generators)
        np.testing.assert_array_equal(batch.observe(), np.stack(single_obs))
        rng = np.random.default_rng(episode)
        for _ in range(config.episode_days):
            if episode == 0:
                actions = rng.random((len(seeds), config.action_size))
                day, steps = batch.step_fractions(actions), [env.step for env in singles]
            else:
                actions = rng.integers(0, config.capacity // 2, (len(seeds), config.n_products)).astype(float)
                day, steps = batch.step_units(actions), [env.step_units for env in singles]
            for index, step in enumerate(steps):
                obs, reward, *_, info = step(actions[index])
                np.testing.assert_array_equal(batch.observe()[index], obs, strict=True)
                assert day.reward[index] == reward
                assert_same_info(day_info(batch, day, index), info)


# ---------------------------------------------------------------------------- hand-computed cases
QUIET = InventoryConfig(n_products=2, capacity=50, rate_low=0.0, rate_high=0.0)  # no demand at all


def test_a_three_day_lead_time_delivers_before_the_demand_of_the_third_day():
    env = InventoryEnv(dataclasses.replace(QUIET, lead_time=3))
    env.reset(seed=0)
    _, _, _, _, day1 = env.step_units([5, 0])  # placed at the end of day 0, on the shelf before day 3's demand
    assert day1["shipped"].tolist() == [5, 0] and day1["received"].tolist() == [0, 0]
    assert day1["in_transit"].tolist() == [[0, 5], [0, 0]]  # per product: arriving in 1 day, in 2 days
    _, _, _, _, day2 = env.step_units([50, 0])  # the gap counts the 5 in transit: 45 fit
    assert day2["gap"] == 45 and day2["refused"].tolist() == [5, 0]
    assert day2["in_transit"].tolist() == [[5, 45], [0, 0]]
    _, _, _, _, day3 = env.step_units([0, 0])
    assert day3["received"].tolist() == [5, 0] and day3["stock"].tolist() == [5, 0]
    _, _, _, _, day4 = env.step_units([0, 0])
    assert day4["received"].tolist() == [45, 0] and day4["stock"].tolist() == [50, 0]


def test_a_disrupted_day_ships_nothing_and_the_gap_stays_open():
    env = InventoryEnv(dataclasses.replace(QUIET, disruption_prob=1.0))
    env.reset(seed=0)
    _, _, _, _, info = env.step_units([10, 10])
    assert info["disrupted"] and info["shipped"].tolist() == [0, 0] and info["received"].tolist() == [0, 0]
    assert info["refused"].tolist() == [0, 0]  # accepted, then cancelled by the supplier
    _, _, _, _, info = env.step_units([0, 0])
    assert info["gap"] == 50  # nothing arrived, nothing is owed


def test_a_partial_shipment_carries_its_drawn_share_and_cancels_the_rest():
    env = InventoryEnv(dataclasses.replace(QUIET, partial_prob=1.0, partial_min=0.5))
    env.reset(seed=1)
    share = env.sim.delivered_share[0, 0]
    _, _, _, _, info = env.step_units([10, 7])
    assert info["shipped"].tolist() == np.floor(np.array([10, 7]) * share).astype(int).tolist()
    assert (0.5 * np.array([10, 7]) <= info["shipped"] + 1).all() and (info["shipped"] <= [10, 7]).all()
    assert info["received"].tolist() == info["shipped"].tolist()  # lead time 1: on the shelf today
    _, _, _, _, info = env.step_units([0, 0])
    assert info["gap"] == 50 - int(info["stock"].sum())  # the cancelled units do not block the warehouse


def test_each_cost_part_on_a_hand_computed_day():
    config = dataclasses.replace(
        QUIET,
        rate_low=3.0,
        rate_high=3.0,
        holding_cost=2.0,
        lost_sale_cost=3.0,
        order_cost=7.0,
        unit_cost=0.5,
        price=4.0,
    )
    env = InventoryEnv(dataclasses.replace(config, reward_mode="cost"))
    env.reset(seed=5)
    _, reward, _, _, info = env.step_units([4, 0])
    demand = info["demand"]
    sales = np.minimum([4, 0], demand)
    expected = {
        "holding": 2.0 * (np.array([4, 0]) - sales),
        "lost_sale": 3.0 * (demand - sales),
        "ordering": np.array([7.0, 0.0]),  # only product 0 was ordered
        "purchase": np.array([2.0, 0.0]),  # 4 units at 0.5
    }
    for part, values in expected.items():
        np.testing.assert_allclose(info["cost_parts"][part], values)
    np.testing.assert_allclose(info["cost"], sum(expected.values()))
    np.testing.assert_allclose(info["revenue"], 4.0 * sales)
    assert reward == pytest.approx(-sum(values.sum() for values in expected.values()))
    profit_env = InventoryEnv(dataclasses.replace(config, reward_mode="profit"))
    profit_env.reset(seed=5)
    _, profit, _, _, _ = profit_env.step_units([4, 0])
    assert profit == pytest.approx(4.0 * sales.sum() - sum(values.sum() for values in expected.values()))


def test_a_weekly_factor_of_zero_empties_every_sunday():
    config = InventoryConfig(n_products=3, rate_low=10.0, rate_high=10.0, weekly=(1, 1, 1, 1, 1, 1, 0))
    env = InventoryEnv(config)
    _, info = env.reset(seed=2)
    assert info["weekday"] == 0  # day 1 of every episode is a Monday
    for day in range(1, config.episode_days + 1):
        _, _, _, _, info = env.step(np.ones(3))
        if day % 7 == 0:  # a Sunday
            assert info["demand"].sum() == 0
        assert info["weekday"] == day % 7  # the next day's
        expected_rate = 0.0 if info["weekday"] == 6 else 10.0
        assert info["demand_rates"].tolist() == [expected_rate] * 3


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("date,product,units\n" + "\n".join(rows) + "\n")
    return path


def test_a_csv_window_is_the_files_days_in_order(tmp_path):
    start = np.datetime64("2024-03-04")  # a Monday
    rows = [f"{start + day},A,{day % 9}" for day in range(40)] + [f"{start + day},B,25" for day in range(0, 40, 2)]
    path = write_csv(tmp_path / "sales.csv", rows)  # B sells nothing on odd days (no row) and 25 > max_demand
    config = InventoryConfig(n_products=2, demand_model="file", demand_file=str(path))
    env = InventoryEnv(config)
    _, info = env.reset(seed=3)
    first = int((np.datetime64(info["date"]) - start).astype(int)) - config.history_days  # the window's start
    assert 0 <= first <= 40 - 37
    assert info["demand_rates"] is None  # no hidden rates behind a file
    for day in range(config.episode_days):
        _, _, _, _, step = env.step(np.ones(2))
        index = first + config.history_days + day
        assert step["demand"].tolist() == [index % 9, 20 if index % 2 == 0 else 0]  # capped at max_demand


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["2024-01-01,A"], "units"),
        (["2024-13-01,A,3"], "line 2: date '2024-13-01' is not YYYY-MM-DD"),
        (["2024-01-01,A,-1"], "line 2: units '-1' must be a whole number"),
        (["2024-01-01,A,2.5"], "line 2: units '2.5' must be a whole number"),
        ([], "no rows"),
    ],
)
def test_a_bad_csv_is_named_with_its_line(tmp_path, rows, message):
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ScenarioError, match=message):
        InventoryEnv(InventoryConfig(n_products=1, demand_model="file", demand_file=str(path))).reset(seed=0)


# ---------------------------------------------------------------------------- scenario files and the CLIs
def scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text('description = "a user\'s own scenario"\n' + text)
    return path


def test_overrides_and_files_resolve_and_say_what_changed(tmp_path):
    scenario = load_scenario("lost-sales", ["lead_time=5", "lost_sale_cost=39"])
    assert (scenario.config.lead_time, scenario.config.lost_sale_cost) == (5, 39.0)
    assert scenario.overrides == ("lead_time=5", "lost_sale_cost=39")
    assert load_scenario(str(scenario_file(tmp_path, "weekly = [1, 1, 1, 1, 1, 2, 2]\n"))).changes() == {
        "weekly": [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0]
    }
    assert load_scenario("seasonal", ["order_mode=free"]).config.order_mode == "free"  # a bare string is fine


BAD_SCENARIOS = {
    "unknown-key": (["--scenario", "default", "--set", "warehouses=2"], "warehouses: not a setting"),
    "wrong-type": (["--set", "lead_time=2.5"], "lead_time: must be a whole number"),
    "out-of-range": (["--set", "disruption_prob=1.5"], "disruption_prob: must be a probability"),
    "missing-scenario": (["--scenario", "atlantis"], "no scenario 'atlantis'"),
    "missing-csv": (["--set", "demand_model=file", "--set", "demand_file=/nowhere.csv"], "no such file"),
    "not-key-value": (["--set", "lead_time"], "expected key=value"),
}
AT_FAULT = {  # the option the error names: the one the user typed that is wrong (the CSV cases: --scenario)
    "unknown-key": "--set",
    "wrong-type": "--set",
    "out-of-range": "--set",
    "missing-scenario": "--scenario",
    "missing-csv": "--set",
    "not-key-value": "--set",
}


def bad_csv_arguments(tmp_path: Path, kind: str) -> tuple[list[str], str]:
    rows = {
        "csv-missing-column": ("date,product\n2024-01-01,A\n", "missing column 'units'"),
        "csv-bad-date": ("date,product,units\n01/02/2024,A,3\n", "line 2: date '01/02/2024' is not YYYY-MM-DD"),
        "csv-no-such-day": ("date,product,units\n2023-02-30,A,3\n", "line 2: date '2023-02-30' does not exist"),
        "csv-negative": ("date,product,units\n2024-01-01,A,-3\n", "line 2: units '-3'"),
        "csv-fractional": ("date,product,units\n2024-01-01,A,1.5\n", "line 2: units '1.5'"),
        "csv-too-short": ("date,product,units\n2024-01-01,A,3\n2024-01-20,A,3\n", "fewer than one episode needs"),
    }
    text, message = rows[kind]
    (tmp_path / "data.csv").write_text(text)
    toml = scenario_file(tmp_path, 'n_products = 1\ndemand_model = "file"\ndemand_file = "data.csv"\n')
    return ["--scenario", str(toml)], message


CSV_CASES = ("csv-missing-column", "csv-bad-date", "csv-no-such-day", "csv-negative", "csv-fractional", "csv-too-short")


@pytest.mark.parametrize("cli", [train_cli, evaluate_cli], ids=["train", "evaluate"])
@pytest.mark.parametrize("case", [*BAD_SCENARIOS, *CSV_CASES])
def test_bad_scenario_input_is_one_line_and_exit_2(cli, case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, message = BAD_SCENARIOS[case] if case in BAD_SCENARIOS else bad_csv_arguments(tmp_path, case)
    if cli is train_cli:
        argv = [*argv, "--log-dir", str(tmp_path / "logs")]
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    assert excinfo.value.code == 2
    stderr = capsys.readouterr().err
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], errors
    assert stderr.count("\n") == 1  # the error alone, no usage block
    assert f"error: argument {AT_FAULT.get(case, '--scenario')}: " in errors[0]
    assert "--set --set" not in errors[0] and ": --set " not in errors[0]  # the option is named once
    assert not (tmp_path / "logs").exists()  # nothing written


def test_a_bad_file_names_the_file_and_the_key(tmp_path):
    path = scenario_file(tmp_path, "lead_time = 0\n")
    with pytest.raises(ScenarioError, match=r"mine\.toml: lead_time: must be at least 1, got 0"):
        load_scenario(str(path))
    broken = scenario_file(tmp_path, "lead_time = \n")
    with pytest.raises(ScenarioError, match="not a readable TOML file"):
        load_scenario(str(broken))


def test_the_dashboards_changes_are_checked_as_set_is():
    """The Replay and Manual pages' changes to a run's own scenario (``ui/scenario.py``, no
    Streamlit) go through ``load_scenario``'s checks: the same one-line messages, and a demand
    file that no longer fits is a ``ScenarioError`` the picker shows, not a traceback later."""
    own = load_scenario("sample-data")
    for changed in (
        lambda: with_overrides(own, ["n_products=3"]),
        lambda: pick_scenario(OWN, own, "", ["n_products=3"]),
    ):
        with pytest.raises(ScenarioError) as caught:
            changed()
        assert "\n" not in str(caught.value) and "has 10 products, the scenario has n_products = 3" in str(caught.value)
    for override in ("lead_time=0", "lead_tiem=3", "lead_time=2.5"):
        with pytest.raises(ScenarioError) as by_set:
            load_scenario("sample-data", [override])
        with pytest.raises(ScenarioError) as by_page:
            with_overrides(own, [override])
        assert str(by_page.value) == str(by_set.value) and str(by_set.value).startswith(f"--set {override}: ")
    with pytest.raises(ScenarioError, match="holdout part"):  # fits the whole file, not its held-out days
        pick_scenario("sample-data", own, "", ["episode_days=300"])
    assert with_overrides(own, ["lead_time=2"]).config.lead_time == 2


def test_list_scenarios_prints_each_with_its_description():
    result = subprocess.run(
        [sys.executable, "evaluate.py", "--list-scenarios"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    for name in SHIPPED:
        assert any(line.startswith(name) and SCENARIOS[name].description[:30] in line for line in lines), name


def test_a_model_remembers_its_scenario_and_refuses_one_with_other_spaces(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    argv = ["--scenario", "lead-time", "--set", "lead_time=2", "--total-timesteps", "64", "--n-envs", "1"]
    assert train_cli.main([*argv, "--log-dir", str(log_dir), "--checkpoint-freq", "1000"]) == 0
    run_config = load_run_config(log_dir / MODEL_NAME)
    assert run_config.scenario.name == "lead-time" and run_config.scenario.overrides == ("lead_time=2",)
    assert run_config.env_config.lead_time == 2
    model = str(log_dir / MODEL_NAME)
    capsys.readouterr()
    assert evaluate_cli.main(["--model", model, "--episodes", "2", "--policies", "ppo"]) == 0
    assert "scenario lead-time" in capsys.readouterr().out
    with pytest.raises(SystemExit) as excinfo:
        evaluate_cli.main(["--model", model, "--episodes", "2", "--scenario", "default"])
    assert excinfo.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == (  # in settings, not tensor shapes
        f"evaluate.py: error: {model} cannot play this scenario: trained with lead_time=2; this scenario has "
        "lead_time=1, which drops the in-transit features (see evaluate.py --help)"
    )
