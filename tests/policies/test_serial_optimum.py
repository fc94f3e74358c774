"""serial_optimum.py: the Clark-Scarf / Chen-Zheng optimum of a serial system, against published optima, the
newsvendor, its own cost function and a period-by-period simulation."""

import math
import time

import numpy as np
import pytest

from inventory_rl.policies.serial_optimum import (
    SerialProblem,
    beer_game,
    evaluate,
    poisson_pmf,
    solve,
    uniform_pmf,
)


def installation_costs(echelon: tuple[float, ...]) -> tuple[float, ...]:
    """H_j = h_j + ... + h_N: the published instances give echelon holding costs, the problem takes H."""
    return tuple(sum(echelon[j:]) for j in range(len(echelon)))


def two_stage_poisson() -> SerialProblem:
    """Poisson(5) demand, lead times 2 (retailer) and 3 (warehouse), holding 2 and 1, backorders 19."""
    return SerialProblem(tuple(poisson_pmf(5.0)), lead_times=(2, 3), holding_costs=(2.0, 1.0), backorder_cost=19.0)


def example_6_1_poisson() -> SerialProblem:
    """Snyder & Shen's Example 6.1 (h = 3, 2, 2 from the retailer up, L = 1, 1, 2, p = 37.12) with Poisson(5)."""
    return SerialProblem(tuple(poisson_pmf(5.0)), (1, 1, 2), installation_costs((3.0, 2.0, 2.0)), 37.12)


# ---------------------------------------------------------------------------- published optima


@pytest.mark.parametrize(
    ("row", "echelon", "backorder", "levels", "cost"),
    [
        (1, (0.25, 0.25, 0.25, 0.25), 9.0, (8, 13, 18, 22), 12.688),
        (9, (0.25, 2.5, 2.5, 0.25), 9.0, (9, 10, 13, 19), 53.008),
        (17, (0.25, 0.25, 0.25, 0.25), 99.0, (11, 17, 22, 27), 16.206),
        (25, (0.25, 2.5, 2.5, 0.25), 99.0, (11, 14, 18, 26), 74.564),
    ],
)
def test_shang_song_table_1(row, echelon, backorder, levels, cost):
    """Shang & Song (2003), Management Science 49(5), Table 1 (as stockpyl's instances ``shang_song_<row>`` and
    tests/test_ssm_serial.py give them): 4 stages, Poisson demand of rate 16, every lead time 0.25, echelon holding
    costs h (retailer first) and backorder cost p per unit time. The recursion only sees the demand over each lead
    time, Poisson(4), so one period of 0.25 with lead time 1 is the same problem and, fed the per-unit-time costs,
    its value is the published cost rate: the optimal levels exactly and the cost to its 3 decimals."""
    problem = SerialProblem(tuple(poisson_pmf(4.0)), (1, 1, 1, 1), installation_costs(echelon), backorder)
    solution = solve(problem)
    assert solution.levels == levels
    assert solution.cost == pytest.approx(cost, abs=5e-4)
    assert solution.cost == pytest.approx(solution.recursion_value, rel=1e-12)  # no order delays: the two coincide


def test_snyder_shen_example_6_1_with_poisson_demand():
    """stockpyl's tests/test_ssm_serial.py, ``test_example_6_1_poisson``: S* = (9, 15, 26), C* = 72.0435. stockpyl
    cuts the lead-time demand and the grid at the normal 4-sigma tail probabilities (3.2e-5), so its cost is
    approximate; the exact one, 72.04674, is 4.4e-5 relative above it."""
    solution = solve(example_6_1_poisson())
    assert solution.levels == (9, 15, 26)
    assert solution.cost == pytest.approx(72.0435, rel=1e-4)
    assert solution.cost == pytest.approx(72.04674, abs=1e-5)


def test_snyder_shen_problem_6_2b():
    """stockpyl's ``test_problem_6_2b`` (Snyder & Shen, Problem 6.2 with Poisson demand): 5 stages, demand rate 64,
    lead times 0.5 (so Poisson(32) per lead time, as one period of 0.5), echelon holding costs 2, 2, 1, 1, 1 from the
    retailer up, p = 24: S* = (41, 74, 109, 142, 174), C* = 453.6856 from stockpyl's truncated demand (exact
    453.6916)."""
    problem = SerialProblem(tuple(poisson_pmf(32.0)), (1,) * 5, installation_costs((2.0, 2.0, 1.0, 1.0, 1.0)), 24.0)
    solution = solve(problem)
    assert solution.levels == (41, 74, 109, 142, 174)
    assert solution.cost == pytest.approx(453.6856, rel=2e-5)


# ---------------------------------------------------------------------------- the newsvendor and the cost function


@pytest.mark.parametrize(
    ("pmf", "lead_time", "holding", "backorder"),
    [
        (tuple(poisson_pmf(5.0)), 1, 1.0, 9.0),
        (tuple(poisson_pmf(3.5)), 3, 2.0, 19.0),
        (tuple(uniform_pmf(0, 8)), 2, 1.0, 10.0),
        (tuple(uniform_pmf(2, 6)), 4, 0.5, 0.5),
    ],
)
def test_one_stage_is_the_newsvendor(pmf, lead_time, holding, backorder):
    """N = 1: order up to the smallest S with P(D_L <= S) >= p / (p + h), D_L the demand over L periods, at the
    newsvendor's cost E[h (S - D_L)^+ + p (D_L - S)^+]; nothing is in transit at a charge (H_2 = 0)."""
    lead_demand = np.ones(1)
    for _ in range(lead_time):
        lead_demand = np.convolve(lead_demand, pmf)
    level = int(np.argmax(np.cumsum(lead_demand) >= backorder / (backorder + holding) - 1e-12))
    d = np.arange(len(lead_demand))
    cost = lead_demand @ (holding * np.maximum(level - d, 0) + backorder * np.maximum(d - level, 0))
    solution = solve(SerialProblem(pmf, (lead_time,), (holding,), backorder))
    assert solution.levels == (level,)
    assert solution.cost == pytest.approx(cost, rel=1e-12)
    assert solution.in_transit_holding == (0.0,)


@pytest.mark.parametrize("problem", [two_stage_poisson(), example_6_1_poisson(), beer_game()], ids=["2", "6.1", "beer"])
def test_no_neighbour_of_the_optimum_is_cheaper(problem):
    """The cost of given levels (``evaluate``) at the optimum is the solver's, and moving any one S_j by 1 either way
    costs at least as much; the neighbours are not all ties (the optimum is not flat)."""
    optimum = solve(problem)
    assert evaluate(problem, optimum.levels).cost == pytest.approx(optimum.cost, rel=1e-12)
    neighbour_costs = []
    for j in range(problem.n_stages):
        for step in (-1, 1):
            levels = list(optimum.levels)
            levels[j] += step
            neighbour_costs.append(evaluate(problem, levels).cost)
    assert min(neighbour_costs) >= optimum.cost - 1e-9
    assert max(neighbour_costs) > optimum.cost + 1e-3


@pytest.mark.parametrize(
    ("problem", "levels"),
    [
        (two_stage_poisson(), None),
        (example_6_1_poisson(), None),
        (example_6_1_poisson(), (5, 20, 22)),
        (example_6_1_poisson(), (12, 9, 30)),  # S_2 < S_1: stage 2 ships all it has, stage 1 never reaches 12
        (beer_game(), None),
        (beer_game(), (20, 40, 60, 80)),
    ],
)
def test_the_cost_split_adds_up_to_the_recursion(problem, levels):
    """Two computations agree: the recursion's value C_N(S_N) and the parts from the echelon levels' distributions,
    on-hand holding + backorders + the pipeline Σ_{j<N} H_{j+1} μ Λ_j the recursion charges (order delays included);
    and ``cost`` is the parts with in-transit holding of the shipping lead times only."""
    solution = solve(problem) if levels is None else evaluate(problem, levels)
    holding = (*problem.holding_costs, 0.0)
    mu = problem.mean_demand
    pipeline = sum(holding[j + 1] * mu * problem.total_lead_times[j] for j in range(problem.n_stages))
    parts = sum(solution.on_hand_holding) + solution.backorder_cost
    assert parts == pytest.approx(solution.cost_without_in_transit, rel=1e-12)
    assert parts + pipeline == pytest.approx(solution.recursion_value, rel=1e-10)
    in_transit = [holding[j + 1] * mu * problem.lead_times[j] for j in range(problem.n_stages)]
    assert solution.in_transit_holding == pytest.approx(in_transit, rel=1e-12)
    assert solution.cost == pytest.approx(parts + sum(in_transit), rel=1e-12)


def test_levels_that_never_bind_are_reported_as_the_binding_ones():
    """Equal holding costs at the retailer and above (h_1 = 0): C_1 is flat from the largest lead-time demand up,
    so S_1 is not pinned down by C_1; the warehouse's S_2 caps it, and S_1 = S_2 is reported, at the same cost."""
    problem = SerialProblem(tuple(poisson_pmf(3.0)), (1, 1), (1.0, 1.0), 5.0)
    solution = solve(problem)
    assert solution.levels[0] == solution.levels[1]
    level = solution.levels[1]
    assert evaluate(problem, (level + 7, level)).cost == pytest.approx(solution.cost, rel=1e-12)
    assert evaluate(problem, (level - 1, level)).cost > solution.cost + 1e-6


def test_a_wider_grid_changes_nothing():
    """The grid's bounds do not bind: 60 more points on each side give the same levels and costs."""
    for problem in (two_stage_poisson(), example_6_1_poisson(), beer_game()):
        narrow, wide = solve(problem), solve(problem, margin=60)
        assert wide.levels == narrow.levels
        assert wide.recursion_value == pytest.approx(narrow.recursion_value, rel=1e-12)
        assert wide.cost == pytest.approx(narrow.cost, rel=1e-12)


def test_an_order_delay_is_lead_time_to_the_recursion_but_not_to_the_pipeline():
    """Moving 2 of a lane's 4 periods from shipping to the order delay keeps the levels and the recursion's value
    and lowers the in-transit holding by H_{j+1} μ 2 per lane: those goods are not shipped yet."""
    delayed = beer_game()
    shipped = SerialProblem(delayed.demand_pmf, (4, 4, 4, 4), delayed.holding_costs, delayed.backorder_cost)
    a, b = solve(delayed), solve(shipped)
    assert a.levels == b.levels
    assert a.recursion_value == pytest.approx(b.recursion_value, rel=1e-12)
    assert a.cost_without_in_transit == pytest.approx(b.cost_without_in_transit, rel=1e-12)
    assert b.cost - a.cost == pytest.approx((0.75 + 0.5 + 0.25) * 4.0 * 2, rel=1e-12)


def test_the_beer_game_optimum():
    """The stationary beer game's optimum as computed here (reported; the simulation below checks it)."""
    solution = solve(beer_game())
    assert solution.levels == (26, 46, 63, 81)
    assert solution.cost_without_in_transit == pytest.approx(16.2207, abs=1e-4)
    assert solution.cost == pytest.approx(16.2207 + 12.0, abs=1e-4)  # in transit: (0.75 + 0.5 + 0.25) x 4 x 2
    assert solution.recursion_value == pytest.approx(16.2207 + 24.0, abs=1e-4)  # and as much for the order delays


def test_a_solve_is_fast():
    """Cost per instance (the figures in the module docstring): the beer game well under 50 ms."""
    problem = beer_game()
    start = time.perf_counter()
    for _ in range(20):
        solve(problem)
    assert (time.perf_counter() - start) / 20 < 0.05


# ---------------------------------------------------------------------------- demand helpers and validation


def test_the_demand_helpers():
    """Poisson: the tail cut is at most 1e-12 and renormalised; uniform: flat on low..high."""
    pmf = poisson_pmf(20.0)
    exact = [math.exp(-20.0 + k * math.log(20.0) - math.lgamma(k + 1)) for k in range(len(pmf))]
    assert pmf.sum() == pytest.approx(1.0, abs=1e-15)
    assert 0.0 < 1.0 - sum(exact) <= 1e-12
    assert 1.0 - sum(exact[:-1]) > 1e-12  # the smallest such support
    assert pmf == pytest.approx(exact, rel=1e-11)
    assert np.array_equal(uniform_pmf(2, 5), [0.0, 0.0, 0.25, 0.25, 0.25, 0.25])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"demand_pmf": (0.5, 0.4)}, "demand_pmf"),
        ({"demand_pmf": (0.5, -0.1, 0.6)}, "demand_pmf"),
        ({"lead_times": (2, -1)}, "lead_times"),
        ({"lead_times": (2, 1.5)}, "lead_times"),
        ({"lead_times": ()}, "lead_times"),
        ({"holding_costs": (1.0,)}, "holding_costs"),
        ({"holding_costs": (1.0, 2.0)}, "holding_costs"),  # dearer upstream: h_1 < 0
        ({"holding_costs": (1.0, math.nan)}, "holding_costs"),
        ({"backorder_cost": 0.0}, "backorder_cost"),
        ({"order_delays": (1,)}, "order_delays"),
        ({"order_delays": (0, -2)}, "order_delays"),
        ({"lead_times": (20_000, 20_000)}, "lead_times"),  # too large a grid
    ],
)
def test_bad_problems_are_refused_naming_the_field(changes, field):
    fields = {"demand_pmf": (0.5, 0.5), "lead_times": (2, 1), "holding_costs": (2.0, 1.0), "backorder_cost": 9.0}
    with pytest.raises(ValueError, match=field):
        SerialProblem(**{**fields, **changes})


def test_bad_levels_and_helpers_are_refused():
    with pytest.raises(ValueError, match="levels"):
        evaluate(two_stage_poisson(), (3,))
    with pytest.raises(ValueError, match="levels"):
        evaluate(two_stage_poisson(), (3, 4.5))
    with pytest.raises(ValueError, match="mean"):
        poisson_pmf(0.0)
    with pytest.raises(ValueError, match="high"):
        uniform_pmf(5, 2)


# ---------------------------------------------------------------------------- simulation


def simulate(problem: SerialProblem, levels: tuple[int, ...], n_runs: int, n_periods: int, warmup: int, seed: int):
    """The serial system under echelon base-stock levels, period by period, for ``n_runs`` independent runs at once
    (numpy arrays over runs). Returns per run the mean per period after ``warmup`` of: on hand at each stage
    (n_stages, n_runs), the retailer's backorders, and the units in transit into each stage (n_stages, n_runs).

    Project timing, each period t:
    1. shipments made at the end of period t - L_j arrive at stage j;
    2. demand at the retailer: backorders are filled first, then today's demand, from on-hand stock; the rest waits;
    3. orders placed at the end of period t - d_j reach stage j's supplier (the outside supplier ships them at once);
    4. every stage orders up to its echelon level: its echelon position counts the stock on hand at and below it,
       in transit to those stages, the orders below it from the moment they are placed (a stage learns of demand
       through the orders it receives) and its own unfilled orders, less the retailer's backorders; the order starts
       its d_j periods to the supplier (d_j = 0: it is there now);
    5. each stage ships to the one below what it owes, as far as its on-hand stock goes; shipments reach the stage
       below before the demand of t + L_j;
    6. end of period: on-hand, backorders and units in transit are recorded.
    """
    rng = np.random.default_rng(seed)
    n, lead, delay = problem.n_stages, problem.lead_times, problem.order_delays
    cdf = np.cumsum(problem.demand_pmf)
    zeros = [np.zeros(n_runs, np.int64) for _ in range(n)]
    on_hand = [z.copy() for z in zeros]  # start: each stage holds its share S_j - S_{j-1}
    for j in range(n):
        on_hand[j] += levels[j] - (levels[j - 1] if j else 0)
    owed = [z.copy() for z in zeros]  # owed[j]: units stage j owes its customer (the retailer: backorders)
    shipments = [np.zeros((lead[j], n_runs), np.int64) for j in range(n)]  # slot t % L_j: arrives at period t
    orders = [np.zeros((max(delay[j], 1), n_runs), np.int64) for j in range(n)]  # slot t % d_j: reaches supplier at t
    in_transit = [z.copy() for z in zeros]  # units in shipments[j]
    in_mail = [z.copy() for z in zeros]  # units in orders[j]
    sum_on_hand, sum_in_transit, sum_backorders = np.zeros((n, n_runs)), np.zeros((n, n_runs)), np.zeros(n_runs)
    for t in range(n_periods):
        for j in range(n):  # 1. arrivals
            arriving = shipments[j][t % lead[j]]
            on_hand[j] += arriving
            in_transit[j] -= arriving
            arriving[:] = 0
        owed[0] += np.searchsorted(cdf, rng.random(n_runs), side="right")  # 2. demand
        served = np.minimum(on_hand[0], owed[0])
        on_hand[0] -= served
        owed[0] -= served
        for j in range(n):  # 3. orders reach the supplier
            if delay[j]:
                received = orders[j][t % delay[j]].copy()
                orders[j][t % delay[j]] = 0
                in_mail[j] -= received
                _receive(j, received, owed, shipments, in_transit, t, lead)
        position = np.zeros(n_runs, np.int64)
        for j in range(n):  # 4. orders
            owed_to_me = owed[j + 1] if j + 1 < n else 0
            position = position + on_hand[j] + in_transit[j] + in_mail[j] + owed_to_me - owed[j]
            order = np.maximum(levels[j] - position, 0)
            position = position + order
            if delay[j]:
                orders[j][t % delay[j]] += order
                in_mail[j] += order
            else:
                _receive(j, order, owed, shipments, in_transit, t, lead)
        for j in range(1, n):  # 5. shipping
            shipped = np.minimum(on_hand[j], owed[j])
            on_hand[j] -= shipped
            owed[j] -= shipped
            shipments[j - 1][t % lead[j - 1]] += shipped
            in_transit[j - 1] += shipped
        if t >= warmup:  # 6. the record
            sum_on_hand += on_hand
            sum_in_transit += in_transit
            sum_backorders += owed[0]
    periods = n_periods - warmup
    return sum_on_hand / periods, sum_backorders / periods, sum_in_transit / periods


def _receive(j, order, owed, shipments, in_transit, t, lead):
    """Stage j's order reaches its supplier: stage j + 1 owes it, or the outside supplier ships it now."""
    if j + 1 < len(owed):
        owed[j + 1] += order
    else:
        shipments[j][t % lead[j]] += order
        in_transit[j] += order


@pytest.mark.parametrize(
    ("problem", "seed"), [(two_stage_poisson(), 1), (beer_game(), 2)], ids=["two-stage-poisson", "beer-game"]
)
def test_a_simulation_of_the_optimal_levels_costs_what_the_solver_says(problem, seed):
    """250 independent runs of 4,200 periods, the first 200 dropped (the system starts with its stock on the shelves,
    nothing in transit): 1,000,000 simulated periods. The on-hand + backorder cost per period matches the solver's
    ``cost_without_in_transit`` within 1% (its standard error over the runs is below 0.3%, so a 1% gap is a real
    disagreement), the in-transit holding at H_{j+1} per unit the solver's part within 1%, and each stage's mean
    stock and the mean backorders their exact values within 4 standard errors (each below 2% of the value)."""
    solution = solve(problem)
    n_runs = 250
    on_hand, backorders, in_transit = simulate(problem, solution.levels, n_runs, 4_200, 200, seed)
    holding = np.array([*problem.holding_costs, 0.0])
    cost = holding[:-1] @ on_hand + problem.backorder_cost * backorders
    error = cost.std(ddof=1) / math.sqrt(n_runs)
    assert error < 0.003 * solution.cost_without_in_transit
    assert cost.mean() == pytest.approx(solution.cost_without_in_transit, rel=0.01)
    transit_cost = holding[1:] @ in_transit
    assert transit_cost.mean() == pytest.approx(sum(solution.in_transit_holding), rel=0.01)
    means = np.vstack([on_hand, backorders]).mean(axis=1)
    errors = np.vstack([on_hand, backorders]).std(axis=1, ddof=1) / math.sqrt(n_runs)
    exact = np.array([*solution.expected_on_hand, solution.expected_backorders])
    assert np.all(errors < 0.02 * exact)
    assert np.all(np.abs(means - exact) < 4 * errors)
