"""dcl.py: Deep Controlled Learning in the lost-sales family: replaying states, labels that are the
optimum's corrections, a network that learns them, and train.py running it where the settings ask."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from inventory_rl.agent import dcl
from inventory_rl.agent.dcl import (
    CANDIDATES,
    Player,
    improvable,
    improve,
    played_corrections,
    rollout_values,
    state_observation,
    taught_rounds,
    visited_states,
)
from inventory_rl.agent.trained import TrainedAgent
from inventory_rl.agent.vec_env import AgentVecEnv
from inventory_rl.agent.view import AgentView, projected_reward
from inventory_rl.cli import train as train_cli
from inventory_rl.evaluation.episodes import generators, play_batch
from inventory_rl.policies.base import Known
from inventory_rl.policies.rules import make_rule, solver_state
from inventory_rl.training.run import build_model
from inventory_rl.world.config import InventoryConfig, load_scenario
from inventory_rl.world.observation import Observation
from inventory_rl.world.warehouses import Warehouses

LOST_SALES = dataclasses.replace(load_scenario("lost-sales").config, episode_days=300)


@pytest.mark.parametrize("lead_time_max", [0, 5], ids=["fixed-lead-time", "random-lead-times"])
def test_a_batch_started_from_a_state_plays_on_as_the_original(lead_time_max):
    config = dataclasses.replace(LOST_SALES, episode_days=20, lead_time=2, lead_time_max=lead_time_max)
    sim = Warehouses(config, 3)
    sim.reset(generators([1, 2, 3]))
    orders = np.array([[3.0], [5.0], [8.0]])
    for _ in range(5):
        sim.step_units(orders)
    demand = sim.demand[:, 5 : 5 + config.history_days + 10]
    lead_times = sim.lead_times[:, 5:15] if lead_time_max else None  # the orders' lead times, where they vary
    replay = Warehouses(dataclasses.replace(config, episode_days=10), 3)
    replay.start_from(sim.stock, sim.pipeline, demand, lead_times)
    np.testing.assert_array_equal(replay.observe(), sim.observe())
    for _ in range(10):
        original, replayed = sim.step_units(orders), replay.step_units(orders)
        for field in ("demand", "sales", "stock", "received", "reward"):
            np.testing.assert_array_equal(getattr(replayed, field), getattr(original, field))
    if lead_time_max:
        assert len(np.unique(sim.lead_times)) > 1  # the lead times did vary
        with pytest.raises(ValueError, match="lead_times must have shape"):
            replay.start_from(sim.stock, sim.pipeline, demand)


def test_start_from_refuses_wrong_shapes_and_unreliable_supply():
    sim = Warehouses(LOST_SALES, 2)
    demand = np.zeros((2, LOST_SALES.history_days + LOST_SALES.episode_days, 1), np.int64)
    with pytest.raises(ValueError, match="stock must have shape"):
        sim.start_from(np.zeros((3, 1)), sim.pipeline, demand)
    with pytest.raises(ValueError, match="demand must have shape"):
        sim.start_from(np.zeros((2, 1)), sim.pipeline, demand[:, 1:])
    disrupted = Warehouses(load_scenario("disrupted").config, 1)
    with pytest.raises(ValueError, match="reliable supply"):
        disrupted.start_from(disrupted.stock, disrupted.pipeline, disrupted.demand)


def test_it_applies_only_where_a_state_has_one_future():
    assert improvable(LOST_SALES)
    assert improvable(load_scenario("lost-sales", ["lead_time=5", "lost_sale_cost=39"]).config)
    assert improvable(load_scenario("lost-sales", ["lead_time_max=5"]).config)  # random lead times
    for name in ("default", "costs", "lead-time", "seasonal", "disrupted", "sample-data"):
        assert not improvable(load_scenario(name).config), name
    assert not improvable(dataclasses.replace(LOST_SALES, rate_high=6.0))  # the rate is hidden, not fixed
    with pytest.raises(ValueError, match="one product"):
        improve(None, AgentView(InventoryConfig()), [0], 10, 0)


def test_rollout_labels_are_the_optimal_corrections_on_most_days():
    view = AgentView(LOST_SALES)
    _, _, stock, pipeline = visited_states(view, range(4))
    states = np.concatenate([stock, pipeline.reshape(len(pipeline), -1)], axis=1)
    distinct, visits = np.unique(states, axis=0, return_counts=True)
    common = np.argsort(-visits)[:40]  # the states of most days
    rule = make_rule(view.base["rule"], LOST_SALES, **view.base["parameters"])
    stock, pipeline = distinct[common, :1], distinct[common, 1:].reshape(len(common), -1, 1)
    values, own = rollout_values(Player(view), stock, pipeline, 100, 0)
    assert not own.any()  # the rule's own correction of itself
    labels = CANDIDATES[np.argmax(values, axis=1)]
    observation = state_observation(LOST_SALES, stock, pipeline)
    known = Known(0, None, None)
    optimum = make_rule("optimal", LOST_SALES).solution.orders(solver_state(observation))
    corrections = optimum - rule.units(observation, known)[:, 0]
    assert set(np.unique(corrections)) <= {-1, 0, 1}  # the optimum is never more than a unit away here
    agree = visits[common] @ (labels == corrections) / visits[common].sum()
    assert agree >= 0.95, agree
    assert (labels != 0).any()  # and the rule is not the answer everywhere


def test_the_network_learns_the_improved_rule_and_plays_it(tmp_path):
    env = AgentVecEnv(LOST_SALES, 4, seed=0)
    model = build_model(env, 0)
    torch.manual_seed(0)
    improvement = improve(model.policy, env.view, range(4), 30, 0)
    assert improvement.samples == 4 * (LOST_SALES.episode_days - 50)
    assert 0.05 < improvement.changed < 0.4
    assert improvement.learned >= 0.85
    agent = TrainedAgent(model, LOST_SALES, "structured", env.view.base)
    rule = make_rule(env.view.base["rule"], LOST_SALES, **env.view.base["parameters"])
    ours, theirs = play_batch(agent, LOST_SALES, [7, 8]), play_batch(rule, LOST_SALES, [7, 8])
    differs = np.mean([(a.ordered != b.ordered).mean() for a, b in zip(ours, theirs, strict=True)])
    assert 0.02 < differs < 0.5  # the agent is no longer the rule, nor far from it


def test_train_runs_it_where_the_settings_ask_and_records_them(tmp_path, capsys):
    argv = ["--scenario", "lost-sales", "--set", "episode_days=200", "--total-timesteps", "256", "--n-envs", "4"]
    assert train_cli.main([*argv, "--log-dir", str(tmp_path / "a")]) == 0
    assert "Deep Controlled Learning, 5 rounds (the last's figures): 600 days" in capsys.readouterr().out  # 4 x 150
    run_config = json.loads((tmp_path / "a" / "run_config.json").read_text())
    assert (run_config["hyperparams"]["dcl_paths"], run_config["hyperparams"]["dcl_rounds"]) == (100, 5)
    assert train_cli.main(["--total-timesteps", "256", "--n-envs", "4", "--log-dir", str(tmp_path / "b")]) == 0
    assert "Deep Controlled Learning" not in capsys.readouterr().out  # off by default


def test_rollouts_count_each_distinct_day_once_with_the_same_values(monkeypatch):
    view = AgentView(LOST_SALES)
    _, _, stock, pipeline = visited_states(view, range(2))
    states = np.unique(np.concatenate([stock, pipeline.reshape(len(pipeline), -1)], axis=1), axis=0)[:30]
    arguments = (Player(view), states[:, :1], states[:, 1:].reshape(len(states), -1, 1), 20, 0)
    shared, _ = rollout_values(*arguments)
    monkeypatch.setattr(dcl, "_distinct_projected_reward", projected_reward)  # every warehouse on its own
    np.testing.assert_array_equal(rollout_values(*arguments)[0], shared)


@pytest.mark.parametrize("setting", [{"dcl_paths": 10}, {"dcl_rounds": 3}])
def test_dcl_settings_for_the_direct_agent_are_a_one_line_error(tmp_path, capsys, setting):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(setting))
    with pytest.raises(SystemExit) as exit_info:
        train_cli.main(["--agent", "direct", "--hyperparams", str(path), "--log-dir", str(tmp_path / "logs")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "argument --hyperparams: " in error and "structured agent only" in error
    assert not (tmp_path / "logs").exists()


def test_a_later_round_plays_the_fitted_network_whose_orders_depend_on_the_state_alone():
    config = dataclasses.replace(LOST_SALES, episode_days=120)
    env = AgentVecEnv(config, 4, seed=0)  # 4 x 64 steps: PPO's minibatch of 256
    model = build_model(env, 0)
    view = env.view
    _, _, stock, pipeline = visited_states(view, range(2))
    rule_orders = Player(view).orders(*_observed(config, stock, pipeline, 1))
    np.testing.assert_array_equal(rule_orders[0], rule_orders[1])  # round 1 plays the rule
    torch.manual_seed(0)
    next(taught_rounds(model.policy, view, range(2), 10, 0, 1))
    player = Player(view, model.policy)
    first, second = (player.orders(*_observed(config, stock, pipeline, seed)) for seed in (1, 2))
    np.testing.assert_array_equal(first[1], second[1])  # another demand history, the same orders
    assert (first[1] != first[0]).any()  # and not the rule's


def test_a_second_round_brings_the_network_closer_to_the_optimum():
    config = dataclasses.replace(load_scenario("lost-sales", ["lead_time=4"]).config, episode_days=400)
    env = AgentVecEnv(config, 4, seed=0)
    model = build_model(env, 0)
    torch.manual_seed(0)
    solution = make_rule("optimal", config).solution
    rounds = taught_rounds(model.policy, env.view, range(4), 40, 0, 2)
    first = next(rounds)
    observation = state_observation(config, first.stock, first.pipeline)
    wanted = solution.orders(solver_state(observation)) - env.view.rule.units(observation, Known(0, None, None))[:, 0]
    after_one = (played_corrections(model.policy, first)[:, 0] == wanted).mean()
    next(rounds)
    after_two = (played_corrections(model.policy, first)[:, 0] == wanted).mean()
    assert after_two > after_one + 0.01, (after_one, after_two)


def _observed(config: InventoryConfig, stock: np.ndarray, pipeline: np.ndarray, seed: int) -> tuple:
    """Warehouses in the given states, a demand history drawn from ``seed``: their observations, raw and decoded."""
    sim = Warehouses(dataclasses.replace(config, episode_days=5), len(stock))
    demand = np.random.default_rng(seed).poisson(config.rate_low, (len(stock), config.history_days + 5, 1))
    sim.start_from(stock, pipeline, demand)
    obs = sim.observe()
    return obs, Observation.decode(obs, config)
