"""Tests of env.py against the rules of issue 2: the Gymnasium and SB3 contracts, the
simulation invariants (property tests), each reward component on hand-computed cases,
the observation features, determinism, rendering and every documented error.

States are built only through the public API: a seeded env is stepped with
``step_units``. When a case must know a day's demand in advance, the seed is first
played with empty orders (``demand_schedule``) and then replayed with the planned
orders; that is sound because demand never depends on the actions (tested below).
"""

from __future__ import annotations

import copy
import random
import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from inventory_rl.envs import ENV_ID
from inventory_rl.envs.single import InventoryEnv
from inventory_rl.world.config import InventoryConfig, ScenarioError
from inventory_rl.world.observation import FEATURE_NAMES, N_FEATURES
from inventory_rl.world.warehouses import REWARD_COMPONENTS, largest_remainder

CONFIG = InventoryConfig()
N = CONFIG.n_products
COL = {name: index for index, name in enumerate(FEATURE_NAMES)}
PROPERTY = settings(max_examples=30, deadline=None)
SEEDS = st.integers(0, 2**32 - 1)

STEP_KEYS = {
    "day",
    "demand",
    "sales",
    "lost_sales",
    "stock",
    "orders",
    "ordered",
    "refused",
    "gap",
    "fill_rate",
    "stockouts",
    "utilization",
    "order_accuracy",
    "allocation_quality",
    "demand_rates",
    "reward_components",
}
PER_PRODUCT_KEYS = ("demand", "sales", "lost_sales", "stock", "orders", "ordered", "refused", "demand_rates")


# ---------------------------------------------------------------------- helpers
class Day(NamedTuple):
    """One step as seen by the caller, with the observation it was taken from."""

    obs_before: np.ndarray
    obs: np.ndarray
    reward: float
    terminated: bool
    truncated: bool
    info: dict


def play(env: gym.Env, seed: int | None, orders: Sequence, manual: bool = False) -> tuple[np.ndarray, dict, list[Day]]:
    """Reset with ``seed`` and play a whole episode, cycling through ``orders``
    (fractions for ``step``, or whole units for ``step_units`` when ``manual``)."""
    obs, reset_info = env.reset(seed=seed)
    first_obs = obs
    act = env.unwrapped.step_units if manual else env.step
    days = []
    truncated = False
    while not truncated:
        result = act(orders[len(days) % len(orders)])
        days.append(Day(obs, *result))
        obs, truncated = result[0], result[3]
    return first_obs, reset_info, days


def demand_schedule(seed: int, config: InventoryConfig = CONFIG) -> np.ndarray:
    """The episode's demand, (days, products), learnt by playing it with empty orders."""
    _, _, days = play(InventoryEnv(config), seed, [np.zeros(config.n_products)], manual=True)
    return np.array([day.info["demand"] for day in days])


def features(obs: np.ndarray, config: InventoryConfig = CONFIG) -> np.ndarray:
    """One row per product, one column per feature."""
    return obs.reshape(config.n_products, N_FEATURES)


def window_sums(obs: np.ndarray, config: InventoryConfig = CONFIG) -> np.ndarray:
    """The demand of the last ``history_days`` days per product, recovered as whole units."""
    avg = features(obs, config)[:, COL["avg7_demand"]].astype(np.float64)
    return np.rint(avg * config.max_demand * config.history_days)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation, 0 when either vector is constant."""
    xc = np.asarray(x, np.float64) - np.mean(x)
    yc = np.asarray(y, np.float64) - np.mean(y)
    denominator = np.sqrt((xc @ xc) * (yc @ yc))
    return float(xc @ yc / denominator) if denominator > 0 else 0.0


def accuracy_points(error: int) -> float:
    """The seed's order-accuracy tiers, written out independently of env.py."""
    if error < 10:
        return 2000.0
    if error < 20:
        return 1000.0
    return 1000.0 - 100.0 * (error - 20)


def spread_units(total: int, n: int = N) -> np.ndarray:
    """``total`` units spread as evenly as possible over ``n`` products."""
    return np.bincount(np.arange(total) % n, minlength=n)


def fresh_env(seed: int = 0, config: InventoryConfig = CONFIG) -> InventoryEnv:
    env = InventoryEnv(config)
    env.reset(seed=seed)
    return env


def assert_same_days(first: list[Day], second: list[Day]) -> None:
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.obs, b.obs)
        assert (a.reward, a.terminated, a.truncated) == (b.reward, b.terminated, b.truncated)
        assert a.info.keys() == b.info.keys()
        for key, value in a.info.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(value, b.info[key])
            else:
                assert value == b.info[key], key


def check_day(env: gym.Env, day_number: int, stock_before: np.ndarray, day: Day, fractions: object = None) -> None:
    """Every rule of issue 2 that one step must satisfy; ``fractions`` is the action of
    ``step`` (None for ``step_units``)."""
    config = env.unwrapped.config
    info = day.info
    # Observation and episode flags.
    assert day.obs.shape == (config.n_products * N_FEATURES,)
    assert day.obs.dtype == np.float32
    assert env.observation_space.contains(day.obs)
    assert day.terminated is False
    assert day.truncated is (day_number == config.episode_days)
    assert info["day"] == day_number
    # Stock, deliveries and sales.
    for key in ("demand", "sales", "lost_sales", "stock", "orders", "ordered", "refused"):
        assert info[key].dtype.kind == "i", key
    gap = config.capacity - int(stock_before.sum())
    assert info["gap"] == gap
    assert np.all((info["demand"] >= 0) & (info["demand"] <= config.max_demand))
    ordered, delivered = info["ordered"].astype(np.float64), info["orders"]
    assert np.all((delivered >= 0) & (delivered <= ordered))
    assert delivered.sum() == min(ordered.sum(), gap)
    np.testing.assert_array_equal(info["refused"], ordered - delivered)
    shelf = stock_before + delivered
    np.testing.assert_array_equal(info["sales"], np.minimum(shelf, info["demand"]))
    np.testing.assert_array_equal(info["lost_sales"], info["demand"] - info["sales"])
    np.testing.assert_array_equal(info["stock"], shelf - info["sales"])
    assert info["stock"].min() >= 0 and info["stock"].sum() <= config.capacity
    if fractions is not None:
        weights = np.clip(np.asarray(fractions, np.float64), 0.0, 1.0)
        share = weights / weights.sum() * gap if weights.sum() > 0 else np.full(config.n_products, gap / weights.size)
        assert delivered.sum() == gap
        assert np.all(np.abs(delivered - share) < 1 + 1e-9)
        np.testing.assert_array_equal(info["refused"], 0)
    # Reward: the five components, each by its rule, and their exact sum.
    parts = info["reward_components"]
    assert tuple(parts) == REWARD_COMPONENTS
    assert day.reward == sum(parts.values())
    error = abs(int(ordered.sum()) - gap)
    lost = int(info["lost_sales"].sum())
    correlation = pearson(ordered, window_sums(day.obs_before, config))
    assert parts["order_accuracy"] == accuracy_points(error)
    assert parts["perfect_fulfillment"] == (1000.0 if lost == 0 else 0.0)
    assert parts["stock_bonus"] == (500.0 if shelf.sum() >= 0.8 * config.capacity else 0.0)
    assert parts["allocation"] == pytest.approx(500.0 * max(0.0, correlation), abs=1e-6)
    assert parts["stockout_penalty"] == -100.0 * lost
    # Scalar metrics.
    demand_total = int(info["demand"].sum())
    assert info["fill_rate"] == pytest.approx(info["sales"].sum() / demand_total if demand_total else 1.0)
    assert info["stockouts"] == np.count_nonzero(info["lost_sales"])
    assert info["utilization"] == pytest.approx(shelf.sum() / config.capacity)
    assert info["order_accuracy"] == pytest.approx(max(0.0, 1 - error / max(gap, 1)))
    assert info["allocation_quality"] == pytest.approx(correlation, abs=1e-9)
    # The observation's stock and warehouse columns follow the new stock.
    rows = features(day.obs, config)
    np.testing.assert_allclose(rows[:, COL["stock"]] * config.max_demand, info["stock"], rtol=1e-6)
    np.testing.assert_allclose(rows[:, COL["total_stock"]], info["stock"].sum() / config.capacity, rtol=1e-6)
    np.testing.assert_allclose(rows[:, COL["free_space"]], 1 - info["stock"].sum() / config.capacity, atol=1e-6)


def check_episode(env: gym.Env, reset_info: dict, days: list[Day], actions: Sequence | None = None) -> None:
    """``check_day`` over a whole episode; ``actions`` are the cycled fractions, if any."""
    config = env.unwrapped.config
    assert len(days) == config.episode_days
    stock = reset_info["stock"]
    for number, day in enumerate(days, start=1):
        fractions = None if actions is None else actions[(number - 1) % len(actions)]
        check_day(env, number, stock, day, fractions)
        stock = day.info["stock"]


def fraction_actions(n: int = N) -> st.SearchStrategy:
    """Actions for ``step``: in range, any finite float32/float64 (clipped), zeros,
    one-hot, tiny values and Python lists."""
    return st.one_of(
        hnp.arrays(np.float32, n, elements=st.floats(0, 1, width=32)),
        hnp.arrays(np.float32, n, elements=st.floats(width=32, allow_nan=False, allow_infinity=False)),
        hnp.arrays(np.float64, n, elements=st.floats(allow_nan=False, allow_infinity=False)),
        st.just(np.zeros(n, np.float32)),
        st.integers(0, n - 1).map(lambda index: np.eye(n, dtype=np.float32)[index]),
        hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1e-30, 1.4e-45, 5e-324, -1e-30])),
        st.lists(st.floats(-2.0, 3.0), min_size=n, max_size=n),
    )


def unit_orders(n: int = N) -> st.SearchStrategy:
    """Orders for ``step_units``: whole units as int or float arrays and lists, up to far
    more than the warehouse holds."""
    counts = st.integers(0, 60) | st.integers(0, 10**6)
    return st.one_of(
        hnp.arrays(np.int64, n, elements=counts),
        hnp.arrays(np.float64, n, elements=counts.map(float)),
        st.lists(counts, min_size=n, max_size=n),
    )


@st.composite
def configs(draw: st.DrawFn) -> InventoryConfig:
    low, high = sorted(draw(st.lists(st.floats(0, 40), min_size=2, max_size=2)))
    return InventoryConfig(
        n_products=draw(st.integers(1, 12)),
        capacity=draw(st.integers(1, 200)),
        max_demand=draw(st.integers(1, 30)),
        rate_low=low,
        rate_high=high,
        history_days=draw(st.integers(1, 10)),
        episode_days=draw(st.integers(1, 10)),
    )


# ---------------------------------------------------------------------- library checkers
# Each checker reports problems as warnings; these are the only ones allowed.
EXPECTED_WARNINGS = (
    "different from the unwrapped version",  # gymnasium.make's wrappers are checked on purpose
    "Not able to test alternative render modes",  # a bare env has no spec to remake it from
    "symmetric and normalized Box action space",  # SB3's advice; agent.py rescales to [-1, 1]
)
ENV_FACTORIES = {
    "class": lambda: InventoryEnv(),
    "class-ansi": lambda: InventoryEnv(render_mode="ansi"),
    "make": lambda: gym.make(ENV_ID),
    "make-human": lambda: gym.make(ENV_ID, render_mode="human"),
}


def unexpected_warnings(check: Callable[[], object]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check()
    return [str(w.message) for w in caught if not any(text in str(w.message) for text in EXPECTED_WARNINGS)]


@pytest.mark.parametrize("factory", ENV_FACTORIES.values(), ids=ENV_FACTORIES.keys())
def test_gymnasium_env_checker_passes_without_warnings(factory):
    assert unexpected_warnings(lambda: gymnasium_check_env(factory())) == []


@pytest.mark.parametrize("factory", ENV_FACTORIES.values(), ids=ENV_FACTORIES.keys())
def test_sb3_env_checker_passes_without_warnings(factory):
    assert unexpected_warnings(lambda: sb3_check_env(factory(), warn=True)) == []


def test_registered_id_makes_the_env_and_passes_the_config():
    env = gym.make(ENV_ID, config=InventoryConfig(n_products=3, capacity=30))
    assert isinstance(env.unwrapped, InventoryEnv)
    assert env.observation_space.shape == (3 * N_FEATURES,)
    assert env.action_space == gym.spaces.Box(0.0, 1.0, (3,), np.float32)


# ---------------------------------------------------------------------- properties
EXTREME_ACTIONS = [
    np.zeros(N, np.float32),
    np.eye(N, dtype=np.float32)[0],
    np.full(N, 1e-30, np.float32),
    np.r_[5e-324, np.zeros(N - 1)],
    np.full(N, 1e308),
    np.linspace(-5, 5, N),
    [2.0, -1.0] * (N // 2),
]


@PROPERTY
@given(seed=SEEDS, actions=st.lists(fraction_actions(), min_size=1, max_size=30))
@example(seed=0, actions=EXTREME_ACTIONS)
def test_fraction_episodes_keep_every_rule(seed, actions):
    env = InventoryEnv()
    _, reset_info, days = play(env, seed, actions)
    check_episode(env, reset_info, days, actions)
    for day in days:  # with step the order always is the gap
        assert day.info["reward_components"]["order_accuracy"] == 2000.0
        assert day.info["reward_components"]["stock_bonus"] == 500.0
        assert day.info["order_accuracy"] == 1.0 and day.info["utilization"] == 1.0


@PROPERTY
@given(seed=SEEDS, orders=st.lists(unit_orders(), min_size=1, max_size=30))
def test_manual_episodes_keep_every_rule(seed, orders):
    env = InventoryEnv()
    _, reset_info, days = play(env, seed, orders, manual=True)
    check_episode(env, reset_info, days)


@PROPERTY
@given(config=configs(), seed=SEEDS)
def test_any_valid_config_keeps_every_rule(config, seed):
    env = InventoryEnv(config)
    actions = np.random.default_rng(seed).random((config.episode_days, config.n_products))
    _, reset_info, days = play(env, seed, actions)
    check_episode(env, reset_info, days, actions)
    rates = reset_info["demand_rates"]
    assert np.all((rates >= config.rate_low) & (rates <= config.rate_high))


@PROPERTY
@given(seed=SEEDS, actions=st.lists(fraction_actions(), min_size=1, max_size=5))
def test_same_seed_gives_the_same_trajectory(seed, actions):
    bare, made = InventoryEnv(), gym.make(ENV_ID)
    first_obs, _, first = play(bare, seed, actions)
    second_obs, _, second = play(made, seed, actions)
    np.testing.assert_array_equal(first_obs, second_obs)
    assert_same_days(first, second)
    # Unseeded resets continue each env's generator identically.
    assert_same_days(play(bare, None, actions)[2], play(made, None, actions)[2])
    # Re-seeding an env that has already played replays the first episode.
    assert_same_days(play(bare, seed, actions)[2], first)


@PROPERTY
@given(
    seed=SEEDS, actions=st.lists(fraction_actions(), min_size=1, max_size=5), orders=st.lists(unit_orders(), min_size=1)
)
def test_demand_does_not_depend_on_the_actions(seed, actions, orders):
    obs_a, reset_a, by_fractions = play(InventoryEnv(), seed, actions)
    obs_b, reset_b, by_units = play(InventoryEnv(), seed, orders, manual=True)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(reset_a["demand_rates"], reset_b["demand_rates"])
    demand_columns = [COL["yesterday_demand"], COL["avg7_demand"], COL["demand_ratio"]]
    for a, b in zip(by_fractions, by_units, strict=True):
        np.testing.assert_array_equal(a.info["demand"], b.info["demand"])
        np.testing.assert_array_equal(a.info["demand_rates"], b.info["demand_rates"])
        np.testing.assert_array_equal(features(a.obs)[:, demand_columns], features(b.obs)[:, demand_columns])


def test_randomness_comes_only_from_np_random():
    actions = [np.linspace(0, 1, N)]
    np.random.seed(1)
    random.seed(1)
    _, _, first = play(InventoryEnv(), 7, actions)
    np.random.seed(2)
    random.seed(2)
    _, _, second = play(InventoryEnv(), 7, actions)
    assert_same_days(first, second)
    # Nor does the env draw from the global generators.
    next_numpy, next_python = np.random.random(), random.random()
    np.random.seed(2)
    random.seed(2)
    assert (np.random.random(), random.random()) == (next_numpy, next_python)


def test_returned_arrays_are_snapshots():
    env = InventoryEnv()
    obs, _ = env.reset(seed=3)
    kept = [(obs, obs.copy())]
    for _ in range(CONFIG.episode_days):
        obs, _, _, _, info = env.step(np.ones(N))
        kept.append((obs, obs.copy()))
        kept.append((info, copy.deepcopy(info)))
    for returned, snapshot in kept:
        if isinstance(returned, dict):
            for key in PER_PRODUCT_KEYS:
                np.testing.assert_array_equal(returned[key], snapshot[key])
        else:
            np.testing.assert_array_equal(returned, snapshot)


# ---------------------------------------------------------------------- largest remainder
@PROPERTY
@given(weights=hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(0, 1e6)), total=st.integers(0, 1000))
@example(weights=np.r_[5e-324, 0.0], total=100)
def test_largest_remainder_sums_exactly_and_stays_within_one_unit(weights, total):
    units = largest_remainder(weights, total)
    assert units.dtype.kind == "i"
    assert units.sum() == total
    weight_sum = weights.sum()
    share = weights / weight_sum * total if weight_sum > 0 else np.full(weights.size, total / weights.size)
    excess = units - share
    assert np.all(np.abs(excess) < 1 + 1e-9)
    # Hamilton's method: an extra unit never goes to a smaller remainder than one left out.
    assert excess.max() - excess.min() <= 1 + 1e-9


@pytest.mark.parametrize("total", [0, 7, 95, 100, 101])
def test_largest_remainder_splits_zero_weights_evenly_extras_first(total):
    expected = total // N + (np.arange(N) < total % N)
    np.testing.assert_array_equal(largest_remainder(np.zeros(N), total), expected)


def test_all_zero_and_one_hot_actions():
    env = fresh_env(seed=4)
    _, _, _, _, info = env.step(np.zeros(N, np.float32))
    np.testing.assert_array_equal(info["orders"], np.full(N, 10))
    _, _, _, _, info = env.step(np.zeros(N))
    gap = info["gap"]
    assert gap < CONFIG.capacity  # the first day's stock was not all sold
    np.testing.assert_array_equal(info["orders"], gap // N + (np.arange(N) < gap % N))
    _, _, _, _, info = env.step(np.eye(N)[3])
    assert info["orders"][3] == info["gap"] and info["orders"].sum() == info["gap"]


def test_float64_subnormal_fractions_are_split_like_any_other():
    """Regression: ``weights * (total / weight_sum)`` overflowed for a weight sum below
    ~5e-307, turning the orders into -2**63."""
    env = fresh_env()
    _, _, _, _, info = env.step(np.r_[5e-324, np.zeros(N - 1)])
    np.testing.assert_array_equal(info["orders"], np.r_[100, np.zeros(N - 1, int)])
    _, _, _, _, info = env.step(np.full(N, 1e-310))
    assert info["orders"].sum() == info["gap"] and info["orders"].min() >= 0


def test_huge_finite_fractions_are_clipped_not_rejected():
    """Regression: the NaN/inf check summed the action, so finite values near 1e308
    overflowed to inf and were refused although the docs say out-of-range is clipped."""
    env = fresh_env()
    _, _, _, _, info = env.step(np.full(N, 1e308))
    np.testing.assert_array_equal(info["orders"], np.full(N, 10))
    _, _, _, _, info = env.step(np.r_[-1e308, -1e308, np.ones(N - 2)])
    assert info["orders"][:2].sum() == 0 and info["orders"].sum() == info["gap"]


# ---------------------------------------------------------------------- episode
def test_an_episode_is_thirty_days_then_refuses_to_go_on():
    env = InventoryEnv()
    env.reset(seed=0)
    flags = [env.step(np.ones(N))[2:4] for _ in range(30)]
    assert flags == [(False, False)] * 29 + [(False, True)]
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.ones(N))
    with pytest.raises(RuntimeError, match="reset"):
        env.step_units(np.zeros(N))
    _, info = env.reset()
    assert info["day"] == 0 and env.step(np.ones(N))[4]["day"] == 1


@pytest.mark.parametrize("manual", [False, True], ids=["step", "step_units"])
def test_step_before_reset_raises(manual):
    env = InventoryEnv()
    with pytest.raises(RuntimeError, match="reset"):
        (env.step_units if manual else env.step)(np.ones(N))


# ---------------------------------------------------------------------- hand-computed rewards
@pytest.mark.parametrize(
    ("error", "points"),
    [(0, 2000), (9, 2000), (10, 1000), (19, 1000), (20, 1000), (25, 500), (30, 0), (35, -500)],
)
@pytest.mark.parametrize("direction", [-1, 1], ids=["under", "over"])
def test_order_accuracy_tiers_judge_the_placed_order(error, points, direction):
    env = fresh_env(seed=5)  # empty warehouse: the gap is the capacity, 100
    placed = 100 + direction * error
    _, reward, _, _, info = env.step_units(spread_units(placed))
    assert info["reward_components"]["order_accuracy"] == points
    assert info["order_accuracy"] == pytest.approx(1 - error / 100)
    assert info["ordered"].sum() == placed
    assert info["orders"].sum() == min(placed, 100)
    assert info["refused"].sum() == max(0, placed - 100)
    assert reward == sum(info["reward_components"].values())


@pytest.mark.parametrize(("error", "points"), [(-10, 1000), (-9, 2000), (9, 2000), (10, 1000)])
def test_order_accuracy_is_measured_against_the_current_gap(error, points):
    env = fresh_env(seed=5)
    carried = env.step_units(spread_units(100))[4]["stock"]
    gap = CONFIG.capacity - int(carried.sum())
    info = env.step_units(spread_units(gap + error))[4]
    assert info["gap"] == gap
    assert info["reward_components"]["order_accuracy"] == points


def seed_with_small_first_day(limit: int = CONFIG.capacity) -> tuple[int, np.ndarray]:
    """The first seed whose day-1 demand fits in the warehouse, with that demand."""
    for seed in range(100):
        first_day = demand_schedule(seed)[0]
        if first_day.sum() <= limit:
            return seed, first_day
    raise AssertionError("no seed below 100 has a small first day")


def test_ordering_exactly_the_demand_fulfils_it_perfectly():
    seed, demand = seed_with_small_first_day()
    info = fresh_env(seed).step_units(demand)[4]
    np.testing.assert_array_equal(info["sales"], demand)
    np.testing.assert_array_equal(info["stock"], 0)
    assert info["reward_components"]["perfect_fulfillment"] == 1000
    assert info["reward_components"]["stockout_penalty"] == 0
    assert info["stockouts"] == 0 and info["fill_rate"] == 1.0


def test_each_lost_unit_costs_one_hundred_and_the_perfect_bonus():
    seed, demand = seed_with_small_first_day()
    short = demand.copy()
    busiest = int(np.argmax(demand))
    short[busiest] -= 3
    info = fresh_env(seed).step_units(short)[4]
    assert info["lost_sales"][busiest] == 3 and info["lost_sales"].sum() == 3
    assert info["reward_components"]["perfect_fulfillment"] == 0
    assert info["reward_components"]["stockout_penalty"] == -300
    assert info["stockouts"] == 1
    assert info["fill_rate"] == pytest.approx(1 - 3 / demand.sum())


def test_an_empty_warehouse_loses_the_whole_day():
    demand = demand_schedule(seed=6)[0]
    _, reward, _, _, info = fresh_env(seed=6).step_units(np.zeros(N))
    assert info["reward_components"] == {
        "order_accuracy": 1000 - 100 * (100 - 20),
        "perfect_fulfillment": 0.0,
        "stock_bonus": 0.0,
        "allocation": 0.0,
        "stockout_penalty": -100.0 * demand.sum(),
    }
    assert reward == -7000 - 100 * demand.sum()
    assert info["stockouts"] == np.count_nonzero(demand) and info["fill_rate"] == 0.0


@pytest.mark.parametrize(("placed", "bonus"), [(79, 0), (80, 500), (100, 500), (105, 500)])
def test_stock_bonus_counts_the_stock_after_delivery(placed, bonus):
    info = fresh_env(seed=7).step_units(spread_units(placed))[4]
    assert info["reward_components"]["stock_bonus"] == bonus
    assert info["utilization"] == min(placed, 100) / 100


@pytest.mark.parametrize(("shelf", "bonus"), [(79, 0), (80, 500)])
def test_stock_bonus_includes_the_stock_carried_over(shelf, bonus):
    env = fresh_env(seed=7)
    carried = env.step_units(spread_units(100))[4]["stock"]
    assert carried.sum() < 79  # the seed's first day sold more than 21 units
    top_up = np.zeros(N, int)
    top_up[0] = shelf - carried.sum()
    info = env.step_units(top_up)[4]
    assert info["utilization"] == shelf / 100
    assert info["reward_components"]["stock_bonus"] == bonus


def test_allocation_rewards_orders_proportional_to_the_known_average():
    env = InventoryEnv()
    obs, _ = env.reset(seed=8)
    for _ in range(5):  # on several days: the average used is the one known when ordering
        known = window_sums(obs)
        assert np.ptp(known) > 0
        obs, _, _, _, info = env.step_units(known)
        assert info["allocation_quality"] == pytest.approx(1.0)
        assert info["reward_components"]["allocation"] == pytest.approx(500.0)


def test_allocation_is_zero_for_anticorrelated_or_constant_orders():
    env = InventoryEnv()
    obs, _ = env.reset(seed=8)
    known = window_sums(obs)
    info = env.step_units(known.max() - known)[4]
    assert info["allocation_quality"] == pytest.approx(-1.0)
    assert info["reward_components"]["allocation"] == 0.0
    for constant in (np.zeros(N), np.full(N, 10)):
        info = env.step_units(constant)[4]
        assert info["allocation_quality"] == 0.0
        assert info["reward_components"]["allocation"] == 0.0


def test_allocation_is_zero_when_the_average_is_constant():
    silent = InventoryConfig(rate_low=0.0, rate_high=0.0)  # Poisson(0): no demand at all
    info = fresh_env(config=silent).step_units(np.arange(N))[4]
    assert info["allocation_quality"] == 0.0
    assert info["reward_components"]["allocation"] == 0.0


@pytest.mark.parametrize("huge", [4e9, 1e19, 2.0**63])
def test_huge_manual_orders_never_corrupt_the_state(huge):
    """Regression: units were cast to int64 unchecked (1e19 became -2**63, so sales went
    negative) and ``ordered @ ordered`` overflowed, corrupting the correlation.
    Refusing absurd orders with ValueError is an acceptable fix."""
    env = InventoryEnv()
    obs, reset_info = env.reset(seed=9)
    try:
        result = env.step_units(np.r_[huge, 0.75 * huge, np.zeros(N - 2)])
    except ValueError as error:
        assert "units" in str(error)
        return
    check_day(env, 1, reset_info["stock"], Day(obs, *result))


# ---------------------------------------------------------------------- bad input
BAD_ACTIONS = {
    "nan": (np.full(N, np.nan), "finite"),
    "one-nan": (np.r_[np.full(N - 1, 0.5), np.nan], "finite"),
    "inf": (np.r_[np.ones(N - 1), np.inf], "finite"),
    "-inf": (np.r_[np.ones(N - 1), -np.inf], "finite"),
    "short": (np.ones(N - 1), "shape"),
    "column": (np.ones((N, 1)), "shape"),
    "batch": (np.ones((2, N)), "shape"),
    "scalar": (0.5, "shape"),
    "long-list": ([0.1] * (N + 1), "shape"),
}
BAD_UNITS = {
    "negative": (np.r_[-1, np.zeros(N - 1)], "negative"),
    "nan": (np.r_[np.nan, np.zeros(N - 1)], "finite"),
    "inf": (np.r_[np.inf, np.zeros(N - 1)], "finite"),
    "fractional": (np.r_[2.5, np.zeros(N - 1)], "whole"),
    "short": (np.zeros(N - 1), "shape"),
    "batch": (np.zeros((2, N)), "shape"),
    "list": ([1] * (N + 1), "shape"),
}


@pytest.mark.parametrize(("action", "message"), BAD_ACTIONS.values(), ids=BAD_ACTIONS.keys())
def test_step_rejects_bad_actions_without_advancing(action, message):
    env = fresh_env()
    with pytest.raises(ValueError, match=message):
        env.step(action)
    assert env.step(np.ones(N))[4]["day"] == 1


@pytest.mark.parametrize(("units", "message"), BAD_UNITS.values(), ids=BAD_UNITS.keys())
def test_step_units_rejects_bad_orders_without_advancing(units, message):
    env = fresh_env()
    with pytest.raises(ValueError, match=message):
        env.step_units(units)
    assert env.step_units(np.zeros(N))[4]["day"] == 1


@pytest.mark.parametrize("mode", ["rgb_array", "ANSI", ""])
def test_unknown_render_mode_raises(mode):
    with pytest.raises(ValueError, match="render_mode"):
        InventoryEnv(render_mode=mode)


@pytest.mark.parametrize("values", [{"capacity": 0}, {"n_products": 0}, {"rate_low": 5.0, "rate_high": 2.0}])
def test_invalid_config_raises(values):
    with pytest.raises(ValueError):
        InventoryConfig(**values)


def test_config_round_trips_and_refuses_unknown_keys():
    config = InventoryConfig(capacity=50, rate_high=12.0)
    assert InventoryConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ScenarioError, match="warehouses: not a setting"):
        InventoryConfig.from_dict({**config.to_dict(), "warehouses": 2})


# ---------------------------------------------------------------------- observation and demand
def test_reset_observation_and_info():
    env = InventoryEnv()
    obs, info = env.reset(seed=10)
    assert obs.shape == (60,) and obs.dtype == np.float32 and env.observation_space.contains(obs)
    rows = features(obs)
    np.testing.assert_array_equal(rows[:, COL["stock"]], 0)
    np.testing.assert_array_equal(rows[:, COL["total_stock"]], 0)
    np.testing.assert_array_equal(rows[:, COL["free_space"]], 1)
    assert rows[:, COL["demand_ratio"]].sum() == pytest.approx(1, abs=1e-6)
    assert info["day"] == 0
    np.testing.assert_array_equal(info["stock"], np.zeros(N))
    rates = info["demand_rates"]
    assert rates.shape == (N,) and np.all((rates >= 2) & (rates <= 18))


def test_demand_features_follow_the_history_and_the_days():
    """Rebuild the 7 history days from the observations alone and check every day's
    yesterday, 7-day average and ratio against them and the reported demand."""
    h = CONFIG.history_days
    _, _, days = play(InventoryEnv(), 11, [np.ones(N)])
    observations = [day.obs_before for day in days] + [days[-1].obs]
    sums = np.array([window_sums(obs) for obs in observations])
    played = np.array([day.info["demand"] for day in days])
    # window t covers days t..t+h-1 of history+episode, so consecutive windows differ
    # by the day that left (history) and the day that entered (episode).
    history = sums[:h] - sums[1 : h + 1] + played[:h]
    assert np.all((history >= 0) & (history <= CONFIG.max_demand))
    all_days = np.concatenate([history, played])
    for t, obs in enumerate(observations):
        rows = features(obs)
        window = all_days[t : t + h]
        np.testing.assert_array_equal(sums[t], window.sum(axis=0))
        np.testing.assert_allclose(rows[:, COL["yesterday_demand"]] * CONFIG.max_demand, all_days[t + h - 1], rtol=1e-6)
        np.testing.assert_allclose(rows[:, COL["demand_ratio"]], window.sum(axis=0) / window.sum(), rtol=1e-5)
        assert rows[:, COL["demand_ratio"]].sum() == pytest.approx(1, abs=1e-5)


def test_a_day_without_demand():
    silent = InventoryConfig(rate_low=0.0, rate_high=0.0)
    env = InventoryEnv(silent)
    obs, _ = env.reset(seed=12)
    rows = features(obs)
    np.testing.assert_array_equal(rows[:, COL["avg7_demand"]], 0)
    np.testing.assert_allclose(rows[:, COL["demand_ratio"]], 1 / N)
    info = env.step(np.ones(N))[4]
    assert info["fill_rate"] == 1.0 and info["stockouts"] == 0
    assert info["reward_components"]["perfect_fulfillment"] == 1000


def test_demand_is_capped_poisson_around_the_rate():
    flooded = InventoryConfig(rate_low=60.0, rate_high=60.0)  # P(Poisson(60) < 20) ~ 1e-11
    np.testing.assert_array_equal(demand_schedule(13, flooded), flooded.max_demand)
    steady = InventoryConfig(rate_low=5.0, rate_high=5.0)
    samples = np.concatenate([demand_schedule(seed, steady) for seed in range(5)])
    assert samples.mean() == pytest.approx(5.0, abs=0.3)  # 1500 draws: standard error 0.06
    assert samples.var() == pytest.approx(5.0, abs=1.0)


def test_info_has_every_documented_key():
    _, reset_info, days = play(InventoryEnv(), 14, [np.ones(N)])
    assert set(reset_info) == {"day", "stock", "demand_rates"}
    for day in days:
        assert set(day.info) >= STEP_KEYS
        for key in PER_PRODUCT_KEYS:
            assert isinstance(day.info[key], np.ndarray) and day.info[key].shape == (N,), key
        for key in ("fill_rate", "utilization", "order_accuracy", "allocation_quality"):
            assert isinstance(day.info[key], float), key
        np.testing.assert_array_equal(day.info["demand_rates"], reset_info["demand_rates"])


# ---------------------------------------------------------------------- rendering
def test_ansi_render_is_a_table_of_the_day():
    env = InventoryEnv(render_mode="ansi")
    env.reset(seed=15)
    assert "day 0" in env.render()
    _, _, _, _, info = env.step(np.ones(N))
    text = env.render()
    assert "day 1/30" in text
    lines = text.splitlines()
    assert len(lines) == 2 + N
    columns = ("ordered", "orders", "demand", "sales", "lost_sales", "stock")
    assert lines[2].split() == ["0", *(str(info[column][0]) for column in columns)]


def test_human_render_prints_every_day(capsys):
    env = InventoryEnv(render_mode="human")
    env.reset(seed=15)
    env.step(np.ones(N))
    assert "day 1/30" in capsys.readouterr().out
    assert env.render() is None
    assert "day 1/30" in capsys.readouterr().out


def test_human_render_prints_exactly_the_ansi_table_once_per_step(capsys):
    human, ansi = InventoryEnv(render_mode="human"), InventoryEnv(render_mode="ansi")
    for env in (human, ansi):
        env.reset(seed=15)
    for _ in range(2):
        human.step(np.ones(N))
        ansi.step(np.ones(N))
        assert capsys.readouterr().out == ansi.render() + "\n"  # no stray "None" line


def test_render_without_mode_warns_and_returns_none():
    env = fresh_env()
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.render() is None
