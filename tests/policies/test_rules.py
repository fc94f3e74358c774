"""The classic rules on hand-made states, and through the real env."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_rl.envs.single import InventoryEnv, order_action
from inventory_rl.policies.newsvendor import demand_survival, newsvendor_units
from inventory_rl.policies.rules import BASELINES, make_baseline
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.observation import Observation
from inventory_rl.world.warehouses import largest_remainder

CONFIG = InventoryConfig()


def make_obs(stock, avg7, config=CONFIG) -> np.ndarray:
    """An observation with the given stock and 7-day average demand (in units) per product."""
    stock = np.asarray(stock, np.int64)
    avg7 = np.asarray(avg7, np.float64)
    share = avg7 / avg7.sum() if avg7.sum() else np.full(config.n_products, 1 / config.n_products)
    total = int(stock.sum())
    zeros = np.zeros(config.n_products, np.int64)
    return Observation(stock, zeros, avg7, share, total, config.capacity - total).encode(config)


def gap_of(stock, config=CONFIG) -> int:
    return config.capacity - int(np.sum(stock))


def exact_survival(rate: float, level: int, max_demand: int) -> float:
    """P(min(Poisson(rate), max_demand) > level) straight from the definition."""
    if level >= max_demand:
        return 0.0
    return 1.0 - sum(math.exp(-rate) * rate**k / math.factorial(k) for k in range(level + 1))


def orders_from(policy_name: str, stock, avg7, info=None, config=CONFIG) -> np.ndarray:
    """The whole units the env would deliver for the policy's action on a hand-made state."""
    policy = make_baseline(policy_name, config)
    obs = make_obs(stock, avg7, config)
    info = info or {"day": 0, "stock": np.asarray(stock), "demand_rates": np.asarray(avg7, np.float64)}
    policy.reset(obs, info)
    return largest_remainder(np.clip(policy.act(obs, info), 0, 1), gap_of(stock, config))


unit_counts = st.lists(st.integers(0, 120), min_size=1, max_size=15).map(np.array)


@given(unit_counts)
def test_an_order_of_units_round_trips_through_the_envs_rounding(units):
    config = InventoryConfig(n_products=len(units))
    fractions = order_action(units, int(units.sum()), config)  # fill mode: the fractions alone
    assert ((fractions >= 0) & (fractions <= 1)).all()
    np.testing.assert_array_equal(largest_remainder(fractions, int(units.sum())), units)
    free = order_action(units, 2 * int(units.sum()) + 1, dataclasses.replace(config, order_mode="free"))
    total = int(np.rint(np.float64(free[-1]) * (2 * int(units.sum()) + 1)))  # the share of the gap, back in units
    assert total == units.sum()
    np.testing.assert_array_equal(largest_remainder(free[:-1], total), units)


def test_demand_survival_matches_the_definition():
    rates = np.array([0.5, 2.0, 9.3, 18.0])
    survival = demand_survival(rates, max_demand=20, n_levels=25)
    assert survival.shape == (25, 4)
    for level in range(25):
        for i, rate in enumerate(rates):
            assert survival[level, i] == pytest.approx(exact_survival(rate, level, 20), abs=1e-12)


def test_demand_survival_handles_zero_and_huge_rates():
    survival = demand_survival(np.array([0.0, 5000.0]), max_demand=20, n_levels=22)
    assert np.isfinite(survival).all()
    np.testing.assert_array_equal(survival[:, 0], 0.0)  # demand is always 0
    np.testing.assert_allclose(survival[:20, 1], 1.0)  # demand is always capped at 20
    np.testing.assert_array_equal(survival[20:, 1], 0.0)


def test_newsvendor_puts_units_where_the_next_one_is_most_likely_to_sell():
    rates = np.array([2.0, 10.0])
    # From empty: P(D > level) for rate 10 stays above rate 2's first unit (0.865) up to
    # level 6 (0.870), so the order is: p1 x7, p0, p1, p1, p0, p1.
    np.testing.assert_array_equal(newsvendor_units(np.array([0, 0]), 12, rates, 20), [2, 10])
    # Starting from stock: p1 already holds 8, so its next unit sells with 0.667 < 0.865.
    np.testing.assert_array_equal(newsvendor_units(np.array([0, 8]), 4, rates, 20), [2, 2])
    # At max_demand a unit can never sell, however high the rate.
    np.testing.assert_array_equal(newsvendor_units(np.array([20, 0]), 3, np.array([18.0, 1.0]), 20), [0, 3])


@given(
    st.lists(st.integers(0, 30), min_size=2, max_size=10),
    st.lists(st.floats(0.0, 20.0), min_size=10, max_size=10),
    st.integers(0, 60),
)
def test_newsvendor_fills_the_gap_greedily_and_never_removes_stock(stock, rates, gap):
    stock = np.array(stock)
    rates = np.array(rates[: len(stock)])
    units = newsvendor_units(stock, gap, rates, 20)
    assert (units >= 0).all()
    assert units.sum() == gap
    # Greedy optimality: every unit added is at least as likely to sell as any unit left out.
    survival = demand_survival(rates, 20, int(stock.max()) + gap + 1)
    levels = stock + units
    last_added = [survival[level - 1, i] for i, level in enumerate(levels) if units[i] > 0]
    next_left_out = survival[levels, np.arange(len(stock))]
    if last_added:
        assert min(last_added) >= next_left_out.max()


def test_newsvendor_policy_orders_its_rule_from_the_observation():
    stock = np.array([0, 3, 0, 12, 5, 0, 1, 0, 7, 2])
    avg7 = np.array([2.0, 5.0, 17.0, 9.0, 4.0, 11.0, 6.0, 3.0, 14.0, 8.0])
    expected = newsvendor_units(stock, gap_of(stock), avg7, CONFIG.max_demand)
    orders = orders_from("newsvendor", stock, avg7)
    np.testing.assert_array_equal(orders, expected)
    assert orders[2] > orders[0]  # busier product, same (empty) shelf


def test_oracle_uses_the_true_rates_not_the_7_day_average():
    stock = np.zeros(10, np.int64)
    avg7 = np.full(10, 10.0)
    true_rates = np.array([18.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    info = {"day": 0, "stock": stock, "demand_rates": true_rates}
    oracle = orders_from("oracle", stock, avg7, info)
    np.testing.assert_array_equal(oracle, newsvendor_units(stock, 100, true_rates, CONFIG.max_demand))
    assert oracle[0] > 15 > oracle[1]
    np.testing.assert_array_equal(orders_from("newsvendor", stock, avg7, info), np.full(10, 10))


def test_proportional_matches_demand_shares():
    stock = np.array([4, 0, 0, 6, 0, 0, 0, 0, 0, 0])  # gap 90, ignored by the split
    avg7 = np.array([1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 0.0, 6.0, 7.0, 2.0])  # sums to 30
    np.testing.assert_array_equal(orders_from("proportional", stock, avg7), avg7 * 3)
    np.testing.assert_array_equal(orders_from("proportional", np.zeros(10), np.zeros(10)), np.full(10, 10))


def test_uniform_splits_evenly():
    np.testing.assert_array_equal(orders_from("uniform", np.zeros(10), np.arange(10.0)), np.full(10, 10))
    stock = np.array([20, 20, 20, 20, 13, 0, 0, 0, 0, 0])  # gap 7
    assert sorted(orders_from("uniform", stock, np.arange(10.0))) == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]


def test_random_is_reproducible_by_seed():
    def actions(seed):
        policy = make_baseline("random", CONFIG, seed=seed)
        return np.array([policy.act(make_obs(np.zeros(10), np.ones(10)), {}) for _ in range(5)])

    first = actions(7)
    np.testing.assert_array_equal(first, actions(7))
    assert not np.array_equal(first, actions(8))
    assert ((first >= 0) & (first <= 1)).all()


@pytest.mark.parametrize("name", BASELINES)
def test_every_rule_returns_valid_fractions_on_a_full_warehouse(name):
    stock = np.array([10, 10, 10, 10, 10, 10, 10, 10, 10, 10])  # gap 0
    avg7 = np.arange(1.0, 11.0)
    policy = make_baseline(name, CONFIG)
    obs = make_obs(stock, avg7)
    info = {"day": 0, "stock": stock, "demand_rates": avg7}
    policy.reset(obs, info)
    fractions = np.asarray(policy.act(obs, info))
    assert fractions.shape == (10,)
    assert np.isfinite(fractions).all() and ((fractions >= 0) & (fractions <= 1)).all()
    np.testing.assert_array_equal(largest_remainder(fractions, 0), np.zeros(10))


@pytest.mark.parametrize("name", ["newsvendor", "oracle"])
def test_newsvendor_rules_fill_the_gap_every_day_of_a_real_episode(name):
    env = InventoryEnv()
    policy = make_baseline(name, CONFIG)
    obs, info = env.reset(seed=3)
    policy.reset(obs, info)
    for _ in range(CONFIG.episode_days):
        observation = Observation.decode(obs, CONFIG)
        stock = observation.stock
        rates = info["demand_rates"] if name == "oracle" else observation.avg7_demand
        expected = newsvendor_units(stock, gap_of(stock), rates, CONFIG.max_demand)
        obs, _, _, _, info = env.step(policy.act(obs, info))
        np.testing.assert_array_equal(info["orders"], expected)
        assert info["orders"].sum() == info["gap"]


def test_make_baseline_names_and_unknown_name():
    assert [make_baseline(name, CONFIG).name for name in BASELINES] == list(BASELINES)
    with pytest.raises(ValueError, match="unknown rule 'magic'"):
        make_baseline("magic", CONFIG)
