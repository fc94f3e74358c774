"""optimal.py: the exact lost-sales optimum, against a hand solution, the newsvendor, Zipkin (2008) and simulation."""

import math
import time

import numpy as np
import pytest

from inventory_rl.policies import lost_sales_optimum
from inventory_rl.policies.lost_sales_optimum import (
    LostSalesProblem,
    cache_path,
    simulate,
    simulate_costs,
    solve,
    solve_cached,
)


def poisson_pmf(mean: float, max_demand: int) -> np.ndarray:
    """P(min(Poisson(mean), max_demand) = k), k = 0 .. max_demand, straight from the definition."""
    pmf = [math.exp(-mean) * mean**k / math.factorial(k) for k in range(max_demand)]
    return np.array([*pmf, 1.0 - sum(pmf)])


# ---------------------------------------------------------------------------- exact answers


@pytest.mark.parametrize(("lost_sale_cost", "cost", "policy"), [(3.0, 5 / 6, [1, 0, 0]), (9.0, 1.0, [1, 1, 0])])
def test_a_tiny_instance_matches_the_hand_solution(lost_sale_cost, cost, policy):
    """L = 1, D = 0 or 1 with probability 1/2 each (mean ln 2, max_demand 1), h = 1, positions <= 2.

    State y in {0, 1, 2}; y' = (y - D)^+ + q; q <= 2 - y. Period cost: c(0) = p/2, c(1) = 1/2, c(2) = 3/2.
    The deterministic policies (q(0), q(1); q(2) = 0) and their average costs:
      (1, 0): 0 -> 1, 1 -> {0, 1}; pi = (1/3, 2/3, 0)      -> p/6 + 1/3
      (2, 0): 0 -> 2, 2 -> {1, 2}, 1 -> {0, 1}; pi = (1/5, 2/5, 2/5) -> p/10 + 4/5
      (*, 1): 1 -> {1, 2}, 2 -> {1, 2}; pi = (0, 1/2, 1/2)  -> 1, with 0 transient; its relative values
              give v(2) - v(1) = c(2) - c(1) = 1, so from 0 the best order is 1
      (0, 0) or (0, 1): 0 is absorbing                      -> p/2 from there
    p = 3: min(5/6, 11/10, 1, 3/2) = 5/6 by (1, 0). p = 9: min(11/6, 17/10, 1, 9/2) = 1 by (1, 1).
    """
    problem = LostSalesProblem(1, mean=math.log(2), max_demand=1, lost_sale_cost=lost_sale_cost, max_position=2)
    solution = solve(problem, tolerance=1e-11)
    assert solution.average_cost == pytest.approx(cost, abs=1e-9)
    assert solution.lower_bound - 1e-12 <= cost <= solution.upper_bound + 1e-12
    assert [solution.order((y,)) for y in range(3)] == policy


@pytest.mark.parametrize("lost_sale_cost", [2.0, 9.0, 39.0])
def test_without_lead_time_the_optimum_is_the_newsvendor(lost_sale_cost):
    """L = 0: the order arrives at once, so each period is a newsvendor: order up to the smallest S with
    P(D <= S) >= p / (p + h), at that newsvendor's expected cost."""
    problem = LostSalesProblem(0, lost_sale_cost=lost_sale_cost)
    pmf = poisson_pmf(5.0, 20)
    level = int(np.searchsorted(np.cumsum(pmf), lost_sale_cost / (lost_sale_cost + 1.0)))
    demand = np.arange(21)
    cost = pmf @ (np.maximum(level - demand, 0) + lost_sale_cost * np.maximum(demand - level, 0))
    solution = solve(problem)
    assert solution.average_cost == pytest.approx(cost, rel=1e-6)
    assert [solution.order((y,)) for y in range(problem.max_position + 3)] == [
        max(level - y, 0) for y in range(problem.max_position + 3)
    ]


@pytest.mark.parametrize(("lead_time", "lost_sale_cost", "published"), [(1, 4.0, 4.04), (2, 9.0, 6.09)])
def test_zipkin_2008_published_optimal_costs(lead_time, lost_sale_cost, published):
    solution = solve_cached(LostSalesProblem(lead_time, lost_sale_cost=lost_sale_cost))
    assert solution.average_cost == pytest.approx(published, abs=0.005)
    assert solution.lower_bound <= solution.average_cost <= solution.upper_bound
    assert solution.upper_bound - solution.lower_bound <= lost_sales_optimum.TOLERANCE * solution.upper_bound


def test_a_unit_cost_is_a_lower_lost_sale_cost_plus_the_cost_of_the_mean_demand():
    """Every unit sold was bought and the stock stays bounded, so in the long run units ordered = units sold
    = E[D] - units lost: c * ordered = c * E[D] - c * lost."""
    with_cost = solve(LostSalesProblem(2, lost_sale_cost=9.0, unit_cost=2.0))
    without = solve(LostSalesProblem(2, lost_sale_cost=7.0))
    mean_demand = poisson_pmf(5.0, 20) @ np.arange(21)
    assert with_cost.average_cost == pytest.approx(without.average_cost + 2.0 * mean_demand, rel=2e-6)
    np.testing.assert_array_equal(with_cost.policy, without.policy)


# ---------------------------------------------------------------------------- simulation


def test_the_simulated_cost_of_the_optimal_policy_matches_its_average_cost():
    problem = LostSalesProblem(2, lost_sale_cost=9.0)
    solution = solve_cached(problem)
    costs = simulate_costs(solution, problem, 200_000, seed=7)
    batch_means = costs.reshape(50, -1).mean(axis=1)  # batches of 4,000 periods: far longer than the memory
    standard_error = batch_means.std(ddof=1) / math.sqrt(len(batch_means))
    assert abs(costs.mean() - solution.average_cost) < 3 * standard_error
    assert simulate(solution, problem, 1000, seed=7) == pytest.approx(costs[:1000].mean())


def test_the_best_base_stock_policy_is_worse_than_the_optimum():
    """Zipkin (2008): base-stock is notably worse for these costs. Same demand for every policy."""
    problem = LostSalesProblem(2, lost_sale_cost=9.0)
    optimum = simulate(solve_cached(problem), problem, 20_000, seed=3)
    base_stock = [simulate(lambda state, s=s: max(s - sum(state), 0), problem, 20_000, seed=3) for s in range(17, 22)]
    assert min(base_stock) > optimum + 0.1


def test_simulate_follows_the_timing_of_the_model():
    """L = 2, order 3 every period, demand from seed 0: replay the first days by hand."""
    problem = LostSalesProblem(2, holding_cost=1.0, lost_sale_cost=10.0, unit_cost=0.5)
    seen = []
    costs = simulate_costs(lambda state: seen.append(state) or 3, problem, 5, seed=0)
    demand = np.minimum(np.random.default_rng(0).poisson(5.0, 5), 20)
    y, expected = 0, []
    for t, d in enumerate(demand):
        assert seen[t] == (y, 0 if t == 0 else 3)  # (y, the order of yesterday)
        expected.append(max(y - d, 0) + 10.0 * max(d - y, 0) + 0.5 * 3)
        y = max(y - d, 0) + (3 if t >= 1 else 0)  # the order of the day before yesterday arrives
    np.testing.assert_allclose(costs, expected)
    with pytest.raises(ValueError, match="ordered -1"):
        simulate(lambda state: -1, problem, 3, seed=0)


# ---------------------------------------------------------------------------- bounds and parameters


@pytest.mark.parametrize(("lead_time", "lost_sale_cost"), [(1, 39.0), (3, 9.0)])
def test_raising_the_bounds_changes_nothing(lead_time, lost_sale_cost):
    problem = LostSalesProblem(lead_time, lost_sale_cost=lost_sale_cost)
    bigger = LostSalesProblem(lead_time, lost_sale_cost=lost_sale_cost, max_position=problem.max_position + 8)
    solution, wider = solve(problem), solve(bigger)
    assert wider.average_cost == pytest.approx(solution.average_cost, rel=1e-6)
    states = problem.states()
    np.testing.assert_array_equal(wider.orders(states), solution.policy)
    assert problem.max_order == problem.max_position and bigger.max_order == bigger.max_position
    # a binding order cap, by contrast, costs something
    capped = solve(LostSalesProblem(lead_time, lost_sale_cost=lost_sale_cost, max_order=4))
    assert capped.average_cost > solution.average_cost + 0.01


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lead_time_periods": -1}, "lead_time_periods"),
        ({"lead_time_periods": 1.5}, "lead_time_periods"),
        ({"lead_time_periods": True}, "lead_time_periods"),
        ({"mean": 0.0}, "mean"),
        ({"mean": float("nan")}, "mean"),
        ({"holding_cost": 0.0}, "holding_cost"),
        ({"unit_cost": -1.0}, "unit_cost"),
        ({"lost_sale_cost": 2.0, "unit_cost": 2.0}, "exceed unit_cost"),
        ({"lost_sale_cost": "9"}, "lost_sale_cost"),
        ({"max_demand": 0}, "max_demand"),
        ({"max_order": 0}, "max_order"),
        ({"max_position": 0}, "max_position"),
        ({"lead_time_periods": 7}, "pairs exceed"),
    ],
)
def test_bad_parameters_raise_a_one_line_value_error(changes, message):
    with pytest.raises(ValueError, match=message) as error:
        LostSalesProblem(**{"lead_time_periods": 1, **changes})
    assert "\n" not in str(error.value)


def test_default_bounds_are_whole_numbers_and_equal_problems_are_equal():
    problem = LostSalesProblem(np.int64(2), lost_sale_cost=9)
    assert problem == LostSalesProblem(2, lost_sale_cost=9.0, max_position=problem.max_position)
    assert type(problem.lead_time_periods) is int and type(problem.lost_sale_cost) is float
    assert problem.max_position == 25  # the 0.99 quantile of the demand over 3 days (Poisson 15)


# ---------------------------------------------------------------------------- policy lookup


@pytest.mark.parametrize("lead_time", [0, 1, 3])
def test_order_and_orders_agree_and_order_nothing_above_the_bounds(lead_time):
    solution = solve_cached(LostSalesProblem(lead_time, lost_sale_cost=19.0))
    n, top = solution.problem.state_size, solution.problem.max_position
    states = np.random.default_rng(1).integers(0, top + 5, size=(500, n))
    batch = solution.orders(states)
    assert batch.tolist() == [solution.order(tuple(int(v) for v in state)) for state in states]
    assert (batch[states.sum(axis=1) > top] == 0).all()
    assert solution.orders(np.zeros((1, n), np.int64))[0] > 0  # empty: order
    with pytest.raises(ValueError, match="non-negative"):
        solution.order((-1,) + (0,) * (n - 1))
    with pytest.raises(ValueError, match="shape"):
        solution.orders(np.zeros((3, n + 1), np.int64))


# ---------------------------------------------------------------------------- monotonicity


def test_the_optimal_cost_grows_with_the_lead_time_and_the_lost_sale_cost():
    by_lead_time = [solve_cached(LostSalesProblem(lead, lost_sale_cost=9.0)).average_cost for lead in range(5)]
    by_penalty = [solve_cached(LostSalesProblem(2, lost_sale_cost=p)).average_cost for p in (4.0, 9.0, 19.0, 39.0)]
    assert np.all(np.diff(by_lead_time) > 0) and np.all(np.diff(by_penalty) > 0)


# ---------------------------------------------------------------------------- cache


def test_the_disk_cache_returns_the_same_solution_without_solving(tmp_path, monkeypatch):
    problem = LostSalesProblem(2, lost_sale_cost=19.0)
    first = solve_cached(problem, tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == [cache_path(problem, tmp_path).name]  # no temp left

    def no_solving(problem):
        raise AssertionError("solved again")

    monkeypatch.setattr(lost_sales_optimum, "solve", no_solving)
    start = time.perf_counter()
    second = solve_cached(problem, tmp_path)
    assert time.perf_counter() - start < 0.5
    assert second is not first and second.problem == problem
    for name in ("average_cost", "lower_bound", "upper_bound", "iterations", "seconds"):
        assert getattr(second, name) == getattr(first, name)
    np.testing.assert_array_equal(second.policy, first.policy)
    np.testing.assert_array_equal(second.values, first.values)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "another problem"])
def test_a_damaged_cache_file_is_recomputed_and_rewritten(tmp_path, monkeypatch, damage):
    problem = LostSalesProblem(1, lost_sale_cost=9.0)
    path = cache_path(problem, tmp_path)
    good = solve_cached(problem, tmp_path)
    if damage == "another problem":
        other = LostSalesProblem(1, lost_sale_cost=4.0, max_position=problem.max_position)
        solve_cached(other, tmp_path)
        broken = cache_path(other, tmp_path).read_bytes()
    else:
        whole = path.read_bytes()
        broken = {"garbage": b"not a cache file", "truncated": whole[: len(whole) // 2], "empty": b""}[damage]
    path.write_bytes(broken)
    again = solve_cached(problem, tmp_path)
    assert again.average_cost == good.average_cost
    np.testing.assert_array_equal(again.policy, good.policy)
    monkeypatch.setattr(lost_sales_optimum, "solve", None)  # the rewritten file now loads without solving
    assert solve_cached(problem, tmp_path).average_cost == good.average_cost
