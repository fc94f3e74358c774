"""The agent's view of the env: features, action decoding, training reward, policy wrapper."""

import numpy as np
import pytest

from agent import LOST_UNIT_COST, AgentAdapter, AgentPolicy, expected_sales_table, wrap_env
from baselines import demand_survival, make_baseline
from env import N_FEATURES, InventoryConfig, InventoryEnv

CONFIG = InventoryConfig()


class ConstantModel:
    """A stand-in for a trained model: always the same correction."""

    def __init__(self, value: float):
        self.action = np.full(CONFIG.n_products, value, np.float32)

    def predict(self, observation, deterministic=True):
        assert deterministic
        return self.action, None


def play(policy, seed):
    env = InventoryEnv(CONFIG)
    obs, info = env.reset(seed=seed)
    policy.reset(obs, info)
    infos = []
    for _ in range(CONFIG.episode_days):
        obs, _, _, _, info = env.step(policy.act(obs, info))
        infos.append(info)
    return infos


def test_running_mean_feature_is_the_mean_of_every_day_seen():
    env = InventoryEnv(CONFIG)
    obs, _ = env.reset(seed=3)
    adapter = AgentAdapter(CONFIG)
    agent_obs = adapter.reset(obs)
    history = env._demand[: CONFIG.history_days]
    rows = agent_obs.reshape(CONFIG.n_products, -1)
    np.testing.assert_allclose(rows[:, N_FEATURES] * CONFIG.max_demand, history.mean(axis=0), rtol=1e-5)
    seen = [*history]
    for day in range(5):
        obs, _, _, _, info = env.step(np.ones(CONFIG.n_products))
        seen.append(info["demand"])
        rows = adapter.observe(obs).reshape(CONFIG.n_products, -1)
        np.testing.assert_allclose(rows[:, N_FEATURES] * CONFIG.max_demand, np.mean(seen, axis=0), rtol=1e-5)
        assert rows[0, N_FEATURES + 1] == pytest.approx((day + 1) / CONFIG.episode_days)
        np.testing.assert_array_equal(rows[:, :N_FEATURES], obs.reshape(CONFIG.n_products, N_FEATURES))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_zero_correction_is_exactly_the_newsvendor_rule(seed):
    agent_days = play(AgentPolicy(ConstantModel(0.0), CONFIG), seed)
    rule_days = play(make_baseline("newsvendor", CONFIG), seed)
    for agent_day, rule_day in zip(agent_days, rule_days, strict=True):
        np.testing.assert_array_equal(agent_day["orders"], rule_day["orders"])


def test_corrections_move_units_towards_products_whose_rate_is_raised():
    base = AgentAdapter(CONFIG)
    env = InventoryEnv(CONFIG)
    obs, _ = env.reset(seed=5)
    base.reset(obs)
    plain = base.to_env_action(np.zeros(CONFIG.n_products), obs)
    boost = np.zeros(CONFIG.n_products)
    boost[0] = 1.0
    raised = base.to_env_action(boost, obs)
    gap = CONFIG.capacity
    from env import largest_remainder

    assert largest_remainder(raised.astype(np.float64), gap)[0] > largest_remainder(plain.astype(np.float64), gap)[0]
    assert ((raised >= 0) & (raised <= 1)).all()


def test_expected_sales_table_matches_the_survival_sums():
    rates = np.array([0.5, 4.0, 17.0])
    table = expected_sales_table(rates, CONFIG.max_demand)
    survival = demand_survival(rates, CONFIG.max_demand, CONFIG.max_demand + 1).T
    assert table.shape == (3, CONFIG.max_demand + 2)
    np.testing.assert_allclose(table[:, 0], 0)
    np.testing.assert_allclose(table[:, 5], survival[:, :5].sum(axis=1))
    # Expected demand of a capped Poisson: close to the rate when the cap rarely binds.
    assert table[1, -1] == pytest.approx(4.0, abs=1e-6)
    assert table[2, -1] < 17.0


def test_training_reward_is_minus_the_expected_lost_sales_of_the_shelf():
    env = wrap_env(InventoryEnv(CONFIG))
    _, info = env.reset(seed=2)
    table = expected_sales_table(info["demand_rates"], CONFIG.max_demand)
    for _ in range(3):
        _, reward, _, _, info = env.step(np.zeros(CONFIG.n_products, np.float32))
        shelf = info["stock"] + info["sales"]
        expected_lost = table[:, -1].sum() - table[np.arange(CONFIG.n_products), shelf].sum()
        assert reward == pytest.approx(-LOST_UNIT_COST * expected_lost)
        assert reward <= 0
        assert set(info["reward_components"]) >= {"stockout_penalty", "allocation"}  # env info untouched


def test_agent_policy_is_deterministic_and_uses_the_same_days():
    first = play(AgentPolicy(ConstantModel(0.3), CONFIG), seed=8)
    second = play(AgentPolicy(ConstantModel(0.3), CONFIG), seed=8)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a["orders"], b["orders"])
    other = play(AgentPolicy(ConstantModel(-0.3), CONFIG), seed=8)
    assert all((a["demand"] == b["demand"]).all() for a, b in zip(first, other, strict=True))
    assert any((a["orders"] != b["orders"]).any() for a, b in zip(first, other, strict=True))
