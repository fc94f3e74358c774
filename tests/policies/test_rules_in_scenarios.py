"""The rules in every scenario: the action contract, hand-checked decisions (a base-stock level,
a capped order, an (s, S) decision, the constant order, the oracle's calendar, the optimum's
state), tuning on seeds evaluation never uses, and rules that do not apply."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from inventory_rl.cli import evaluate as evaluate_cli
from inventory_rl.envs.single import InventoryEnv
from inventory_rl.evaluation.episodes import play_batch
from inventory_rl.policies import rule_tuning
from inventory_rl.policies.base import Known
from inventory_rl.policies.newsvendor import newsvendor_units
from inventory_rl.policies.rule_tuning import TUNING_SEED, grid, tune, tuned, tuned_rule, tuning_seeds
from inventory_rl.policies.rules import RULES, applicable, make_rule, solver_state
from inventory_rl.world.config import InventoryConfig, list_scenarios, load_scenario
from inventory_rl.world.observation import Observation

SCENARIOS = {scenario.name: scenario.config for scenario in list_scenarios()}
LOST_SALES = load_scenario("lost-sales").config  # Poisson(5), lead_time 3 (L = 2), free order size


def short(config: InventoryConfig, days: int = 10) -> InventoryConfig:
    return dataclasses.replace(config, episode_days=min(days, config.episode_days))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_applicable_rule_keeps_the_action_contract(name):
    config = short(SCENARIOS[name])
    for rule_name in RULES:
        if applicable(rule_name, config) is not None:
            continue
        rule = make_rule(rule_name, config, seed=1)
        results = play_batch(rule, config, [11, 12, 13])  # the env raises on a malformed action
        assert len(results) == 3 and all(len(result.demand) == config.episode_days for result in results)
        obs = np.stack([InventoryEnv(config).reset(seed=seed)[0] for seed in (1, 2)])
        warehouses = InventoryEnv(config).sim
        rule.reset(obs, Known(0, None, None))
        actions = rule.act(obs, Known(0, np.zeros(2, int), np.full((2, config.max_lead_time, config.n_products), 5.0)))
        assert actions.shape == (2, config.action_size) and warehouses.batch == 1
        assert np.isfinite(actions).all() and ((actions >= 0) & (actions <= 1)).all(), rule_name


def lost_sales_obs(stock: int, transit: list[int], config: InventoryConfig = LOST_SALES) -> np.ndarray:
    """A one-product observation: ``stock`` on the shelf, ``transit`` arriving in 0, 1, ... days."""
    gap = config.capacity - stock - sum(transit)
    observation = Observation(
        np.array([stock]), np.array([5]), np.array([5.0]), np.array([1.0]), stock, gap, np.array([transit])
    )
    return observation.encode(config)[None]


def ordered(rule_name: str, stock: int, transit: list[int], config: InventoryConfig = LOST_SALES, **params) -> int:
    """The units the rule orders in that state (the env's share of the gap, back in units)."""
    rule = make_rule(rule_name, config, **params)
    obs = lost_sales_obs(stock, transit, config)
    rule.reset(obs, Known(0, None, None))
    action = rule.act(obs, Known(0, None, None))[0]
    gap = config.capacity - stock - sum(transit)
    return int(np.rint(np.float64(np.float32(action[-1])) * gap))


def test_a_base_stock_level_is_the_quantile_of_the_lead_time_demand():
    # Demand over 3 days ~ Poisson(15): P(<= 19) = 0.875, P(<= 20) = 0.917, so the 0.9 level is 20.
    assert ordered("base-stock", 10, [3, 2], q=0.9) == 20 - 15  # position 15
    assert ordered("base-stock", 10, [3, 2], q=0.87) == 19 - 15
    assert ordered("base-stock", 18, [3, 2], q=0.9) == 0  # above the level: nothing


def test_a_capped_order_never_exceeds_its_cap():
    assert ordered("capped-base-stock", 10, [3, 2], q=0.9, cap=0.6) == 3  # cap 0.6 x rate 5 = 3 < 5
    assert ordered("capped-base-stock", 10, [3, 2], q=0.9, cap=2.0) == 5  # the cap does not bind
    assert ordered("constant-order", 10, [3, 2], factor=0.8) == 4  # 0.8 x 5, whatever the state
    assert ordered("constant-order", 0, [0, 0], factor=0.8) == 4


def test_an_s_S_decision_orders_up_to_S_only_below_s():
    costly = dataclasses.replace(LOST_SALES, order_cost=10.0)
    # s = the 0.9 level of Poisson(15) = 20; S = s + 1 day x rate 5 = 25
    assert ordered("s-S", 10, [3, 2], costly, q=0.9, days=1.0) == 25 - 15
    assert ordered("s-S", 14, [3, 2], costly, q=0.9, days=1.0) == 25 - 19
    assert ordered("s-S", 16, [3, 2], costly, q=0.9, days=1.0) == 0  # position 21 > s


def test_the_optimal_rule_reads_the_solvers_state_from_the_observation():
    rule = make_rule("optimal", LOST_SALES)
    observation = Observation.decode(lost_sales_obs(7, [4, 6]), LOST_SALES)
    np.testing.assert_array_equal(solver_state(observation), [[11, 6]])  # (stock + today's arrival, tomorrow's)
    np.testing.assert_array_equal(observation.position(), [[17]])  # the inventory position: 7 + 4 + 6
    assert ordered("optimal", 7, [4, 6]) == rule.solution.order((11, 6))
    no_lead = dataclasses.replace(LOST_SALES, lead_time=1)
    assert ordered("optimal", 3, [], no_lead) == make_rule("optimal", no_lead).solution.order((3,))


def test_the_oracle_uses_the_true_rates_of_the_coming_days():
    config = short(SCENARIOS["seasonal"])
    env = InventoryEnv(config)
    obs, info = env.reset(seed=4)
    oracle = make_rule("oracle", config)
    oracle.reset(obs, info)
    for _ in range(config.episode_days):
        observation = Observation.decode(obs, config)
        expected = newsvendor_units(observation.stock, observation.free_space, info["demand_rates"], config.max_demand)
        obs, _, _, _, info = env.step(oracle.act(obs, info))
        np.testing.assert_array_equal(info["orders"], expected)


def test_the_newsvendor_rule_protects_the_lead_time_demand_of_the_position():
    config = short(SCENARIOS["lead-time"])
    env = InventoryEnv(config)
    obs, info = env.reset(seed=6)
    rule = make_rule("newsvendor", config)
    rule.reset(obs, info)
    for _ in range(config.episode_days):
        o = Observation.decode(obs, config)
        days = config.lead_time
        expected = newsvendor_units(o.stock + o.in_transit.sum(-1), o.free_space, o.avg7_demand * days, days * 20)
        obs, _, _, _, info = env.step(rule.act(obs, info))
        np.testing.assert_array_equal(info["ordered"], expected)


def test_rules_that_do_not_apply_say_why():
    assert "file" in applicable("oracle", SCENARIOS["sample-data"])
    assert "fill" in applicable("capped-base-stock", SCENARIOS["default"])
    assert "fixed cost" in applicable("s-S", LOST_SALES)
    assert applicable("s-S", SCENARIOS["costs"]) is None
    assert "one product" in applicable("optimal", SCENARIOS["costs"])
    assert applicable("optimal", LOST_SALES) is None
    with pytest.raises(ValueError, match="oracle: demand comes from a file"):
        make_rule("oracle", SCENARIOS["sample-data"])


def test_evaluate_refuses_an_asked_rule_that_does_not_apply(capsys):
    with pytest.raises(SystemExit) as excinfo:
        evaluate_cli.main(["--scenario", "sample-data", "--policies", "newsvendor,oracle", "--episodes", "2"])
    assert excinfo.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "oracle does not apply here: demand comes from a file" in errors[0]


# ---------------------------------------------------------------------------- tuning
def test_tuning_seeds_never_meet_evaluation_or_training_seeds():
    for config in SCENARIOS.values():
        seeds = set(tuning_seeds(config))
        assert min(seeds) == TUNING_SEED and len(seeds) * config.episode_days >= 2000
        assert not seeds & set(range(1000, 1000 + 10_000))  # evaluate.py's episodes
        assert not seeds & set(range(0, 256))  # train.py's envs


def test_a_tuned_rule_is_the_best_of_its_grid_saved_and_reported(cache_dir, monkeypatch):
    config = dataclasses.replace(LOST_SALES, episode_days=200)
    first = tuned("base-stock", config)
    assert first.rule == "base-stock" and first.candidates == len(grid("base-stock", config))
    assert first.parameters["q"] in [candidate["q"] for candidate in grid("base-stock", config)]
    untuned = make_rule("base-stock", config)  # the critical ratio 9 / 10
    from inventory_rl.evaluation.episodes import score_batch

    seeds = tuning_seeds(config)
    tuned_cost = score_batch(make_rule("base-stock", config, **first.parameters), config, seeds).mean()
    assert tuned_cost == pytest.approx(first.score) and tuned_cost <= score_batch(untuned, config, seeds).mean()
    saved = list((cache_dir / "rules").glob("base-stock-*.json"))
    assert saved and "score" in saved[0].read_text()
    monkeypatch.setattr(rule_tuning, "tune", lambda *args: pytest.fail("should have come from the cache"))
    assert tuned("base-stock", config) == first
    rule, result = tuned_rule("base-stock", config)
    assert rule.parameters == first.parameters and result == first
    assert "q=" in first.describe()


def test_a_rule_without_parameters_tunes_as_one_candidate_its_score_on_the_tuning_seeds():
    from inventory_rl.evaluation.episodes import score_batch

    config = dataclasses.replace(LOST_SALES, episode_days=50)
    assert grid("newsvendor", config) == [{}]
    result = tune("newsvendor", config)
    seeds = tuning_seeds(config)
    assert (result.rule, result.parameters, result.candidates, result.episodes) == ("newsvendor", {}, 1, len(seeds))
    assert result.score == float(score_batch(make_rule("newsvendor", config), config, seeds).mean())
