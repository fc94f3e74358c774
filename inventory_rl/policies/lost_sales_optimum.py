"""The exact optimum of the single-product lost-sales inventory problem (Zipkin 2008's benchmark).

Model (Zipkin 2008, "Old and new methods for lost-sales inventory systems", Operations Research 56(5)).
One product; in each period t (a day):

1. order ``q_t >= 0`` whole units, knowing the state;
2. the order placed ``L`` periods earlier, ``q_{t-L}``, arrives on the shelf (with ``L = 0``, ``q_t`` itself);
3. demand ``D_t = min(Poisson(mean), max_demand)``, i.i.d., is served from the shelf; the excess is lost;
4. cost: ``h`` per unit left on the shelf, ``p`` per unit of lost demand, ``c`` per unit ordered.

The objective is the long-run average cost per period. ``L`` is the literature's lead time; the project's
config calls ``L + 1`` its ``lead_time``.

State before the decision of period t: ``(y, q_{t-L+1}, ..., q_{t-1})``, the outstanding orders oldest first,
where ``y`` is what will be on the shelf when demand t comes, apart from ``q_t``: last period's leftover plus
today's arrival ``q_{t-L}``. So ``L`` components for ``L >= 1``; for ``L = 0`` the state is ``(y,)``, the
leftover, to which the order is added at once.

Algorithm: relative value iteration with the Odoni bounds, ``min(TV - V) <= optimal cost <= max(TV - V)``,
stopping when the gap is below ``TOLERANCE`` relative (see ``solve``). Bounds: the state space is cut at
inventory positions ``y + sum(outstanding) <= max_position``, chosen by default so that it does not bind (see
``LostSalesProblem``). Cache: ``solve_cached`` keeps solutions in memory, or as ``.npz`` files written
atomically, keyed by the problem, ``ALGORITHM_VERSION`` and ``TOLERANCE``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from inventory_rl.policies.newsvendor import demand_survival
from inventory_rl.policies.serial_optimum import check_float, check_int
from inventory_rl.runs.files import atomic_writer

ALGORITHM_VERSION = "rvi-1"
TOLERANCE = 1e-6  # relative gap between the upper and lower bound of the average cost at which `solve` stops
MAX_STATE_ACTIONS = 30_000_000  # (state, order) pairs beyond which a problem is refused: memory, not time
POSITION_QUANTILE_MARGIN = 10  # default max_position: the quantile 1 - (1 - beta) / 10 of the lead-time demand


@dataclass(frozen=True)
class LostSalesProblem:
    """One lost-sales problem: the lead time ``L``, Poisson demand and costs, and the solver's bounds.

    ``max_position`` caps the inventory position ``y + sum(outstanding)`` after ordering (so the state space
    is finite); ``max_order`` caps a single order. Left at ``None`` they are filled in: ``max_position`` is
    the ``1 - (1 - beta) / 10`` quantile of the demand over ``L + 1`` periods, ``beta = (p - c) / (p - c + h)``
    (a unit cost ``c`` acts as a lower lost-sale cost, as every unit sold was bought). The optimal order does
    not raise the position above the base-stock level of the backorder model, the ``beta`` quantile itself
    (Morton 1969's bound; so it is in every case of L = 0..4, p = 4..39 solved here), so the default leaves a
    margin above a level that already does not bind; the tests check that raising it changes nothing.
    ``max_order`` defaults to ``max_position``: no cap beyond the position's.
    """

    lead_time_periods: int
    mean: float = 5.0
    holding_cost: float = 1.0
    lost_sale_cost: float = 9.0
    unit_cost: float = 0.0
    max_demand: int = 20
    max_order: int | None = None
    max_position: int | None = None

    def __post_init__(self) -> None:
        checked = {
            "lead_time_periods": check_int("lead_time_periods", self.lead_time_periods, 0),
            "max_demand": check_int("max_demand", self.max_demand, 1),
            "mean": check_float("mean", self.mean, 0.0, strict=True),
            "holding_cost": check_float("holding_cost", self.holding_cost, 0.0, strict=True),
            "unit_cost": check_float("unit_cost", self.unit_cost, 0.0, strict=False),
            "lost_sale_cost": check_float("lost_sale_cost", self.lost_sale_cost, 0.0, strict=True),
        }
        if checked["lost_sale_cost"] <= checked["unit_cost"]:
            p, c = checked["lost_sale_cost"], checked["unit_cost"]
            raise ValueError(f"lost_sale_cost must exceed unit_cost (else never ordering is optimal), got {p} <= {c}")
        for name, value in checked.items():  # normalised types: equal problems hash and cache alike
            object.__setattr__(self, name, value)
        if self.max_position is None:
            object.__setattr__(self, "max_position", self._default_max_position())
        object.__setattr__(self, "max_position", check_int("max_position", self.max_position, 1))
        if self.max_order is None:
            object.__setattr__(self, "max_order", self.max_position)
        object.__setattr__(self, "max_order", check_int("max_order", self.max_order, 1))
        if self.state_actions > MAX_STATE_ACTIONS:
            raise ValueError(
                f"{self.state_actions:,} (state, order) pairs exceed {MAX_STATE_ACTIONS:,}: "
                "lower max_position, the lead time or the lost-sale cost"
            )

    @property
    def state_size(self) -> int:
        """Components of a state: ``y`` and the ``L - 1`` outstanding orders (just ``y`` when ``L = 0``)."""
        return max(self.lead_time_periods, 1)

    @property
    def state_actions(self) -> int:
        """How many (state, order) pairs the solver visits each iteration."""
        n, top = self.state_size, self.max_position
        orders = min(self.max_order, top) + 1
        # states with position m (comb(m + n - 1, n - 1) of them) may order min(max_order, top - m) units
        return sum(math.comb(m + n - 1, n - 1) * min(orders, top - m + 1) for m in range(top + 1))

    def demand_pmf(self) -> np.ndarray:
        """``P(D = k)`` for ``k = 0 .. max_demand``, from the project's truncated-Poisson survival function."""
        survival = demand_survival(np.array([self.mean]), self.max_demand, self.max_demand + 1)[:, 0]
        return -np.diff(np.concatenate([[1.0], survival]))

    def period_cost(self, shelf: np.ndarray) -> np.ndarray:
        """Expected holding plus lost-sale cost of a period that meets demand with ``shelf`` units."""
        demand = np.arange(self.max_demand + 1)
        gap = np.asarray(shelf)[..., None] - demand
        per_demand = self.holding_cost * np.maximum(gap, 0) + self.lost_sale_cost * np.maximum(-gap, 0)
        return per_demand @ self.demand_pmf()

    def states(self) -> np.ndarray:
        """Every state within the bounds, shape ``(count, state_size)``, in the order of ``Solution.policy``."""
        return _states(self.state_size, self.max_position)

    def _default_max_position(self) -> int:
        pmf = self.demand_pmf()
        lead_time_demand = functools.reduce(np.convolve, [pmf] * (self.lead_time_periods + 1))
        margin = self.lost_sale_cost - self.unit_cost
        beta = margin / (margin + self.holding_cost)
        level = 1.0 - (1.0 - beta) / POSITION_QUANTILE_MARGIN
        return max(int(np.searchsorted(np.cumsum(lead_time_demand), level)), 1)


@functools.lru_cache(maxsize=8)
def _binomials(dims: int, total: int) -> np.ndarray:
    """``table[k, r] = comb(r + k, k)``: how many points of ``k`` whole components sum to at most ``r``."""
    return np.array([[math.comb(r + k, k) for r in range(total + 1)] for k in range(dims + 1)], np.int64)


def _rank(state: Sequence, total: int) -> np.ndarray | int:
    """Index of a state among all states with position ``<= total``, in ``_states`` order.

    ``state`` is a sequence of components (whole numbers, or equal-length arrays for a batch). The order is
    lexicographic with the last component most significant and ``y`` least, so states that differ only in
    ``y`` are neighbours: lowering ``y`` by ``j`` lowers the rank by ``j``, which ``solve`` relies on.
    """
    table = _binomials(len(state), total)
    rank, rest = 0, total
    for dims, value in zip(range(len(state), 0, -1), reversed(state), strict=True):  # states ranked before
        rank = rank + table[dims, rest] - table[dims, rest - value]
        rest = rest - value
    return rank


def _states(dims: int, total: int) -> np.ndarray:
    """Every state of ``dims`` whole components summing to at most ``total``, shape ``(count, dims)``, by rank."""
    points, used = np.zeros((1, 0), np.int64), np.zeros(1, np.int64)
    for _ in range(dims):  # append a component, most significant first: lexicographic by construction
        counts = total - used + 1
        parent = np.repeat(np.arange(len(points)), counts)
        value = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        points, used = np.column_stack([points[parent], value]), used[parent] + value
    return points[:, ::-1]


@dataclass(frozen=True, eq=False)
class Solution:
    """The optimal stationary policy of a problem, its average cost and the bounds at which ``solve`` stopped.

    ``policy`` and ``values`` (the relative values, 0 at the empty state) are aligned with ``problem.states()``;
    ``order`` and ``orders`` look states up. States above ``max_position`` order 0: the default bound lies
    above the level to which the optimal policy ever raises the position.
    """

    problem: LostSalesProblem
    average_cost: float
    lower_bound: float
    upper_bound: float
    iterations: int
    seconds: float
    policy: np.ndarray
    values: np.ndarray

    def order(self, state: Sequence[int]) -> int:
        """The optimal order in state ``(y, q_{t-L+1}, ..., q_{t-1})`` (``(y,)`` for ``L = 0``).

        Scalar arithmetic, no batch arrays: a simulator calls it once per period.
        """
        n, total = self.problem.state_size, self.problem.max_position
        if len(state) != n or min(state) < 0:
            raise ValueError(f"a state is {n} non-negative whole numbers (y, then orders oldest first), got {state}")
        if sum(state) > total:
            return 0
        return int(self.policy[_rank(state, total)])

    def orders(self, states: np.ndarray) -> np.ndarray:
        """The optimal orders of a batch of states, shape ``(batch, L)`` (``(batch, 1)`` for ``L = 0``)."""
        n, total = self.problem.state_size, self.problem.max_position
        states = np.asarray(states)
        if states.ndim != 2 or states.shape[1] != n or (states < 0).any():
            raise ValueError(f"states must be non-negative whole numbers of shape (batch, {n}), got {states.shape}")
        inside = states.sum(axis=1) <= total
        ranks = _rank(list(np.where(inside[:, None], states, 0).astype(np.int64).T), total)
        return np.where(inside, self.policy[ranks], 0)


def _actions(problem: LostSalesProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (state, order) pair, grouped by state: how many orders each state has, then per pair the order,
    its immediate expected cost and where ``solve``'s flattened expected-next-value matrix holds its value."""
    total, top, lead = problem.max_position, problem.max_demand, problem.lead_time_periods
    states = problem.states()
    counts = np.minimum(problem.max_order, total - states.sum(axis=1)) + 1
    owner = np.repeat(np.arange(len(states)), counts)
    order = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    state = states[owner].T
    shelf = state[0] + order if lead == 0 else state[0]
    base = [shelf] if lead == 0 else [state[0] + order] if lead == 1 else [state[0] + state[1], *state[2:], order]
    expected_index = np.minimum(shelf, top) * len(states) + _rank(base, total)
    order_cost = problem.unit_cost * order + problem.period_cost(np.arange(total + 1))[shelf]
    return counts, order, order_cost, expected_index


def solve(problem: LostSalesProblem, tolerance: float = TOLERANCE, max_iterations: int = 100_000) -> Solution:
    """The average-cost optimal policy, by relative value iteration.

    Value iteration rather than policy iteration: a sweep is a few array operations with no linear system to
    solve, and its Odoni bounds ``min(TV - V) <= g* <= max(TV - V)`` bracket the optimal cost ``g*`` at every
    sweep, so the stopping rule (``max - min <= tolerance * max``) is a guarantee on the cost, not a guess. The
    reported cost is the midpoint; the policy is greedy for the last values, smaller orders winning ties. No
    aperiodicity damping: demand has mass on both 0 and 1, and the sweeps converge within tens of iterations in
    every case tried (``max_iterations`` guards the rest).

    One sweep: an order ``q`` in state ``(y, a_1, ..., a_{L-1})`` leads to ``(u - min(y, D), a_2, ..., q)``
    with ``u = y + a_1`` (``u = y + q`` for ``L = 1``; for ``L = 0`` the shelf ``y + q`` is ``u`` and plays
    ``y``). So every expected next value is some ``E[k, s] = E V(s - min(k, D) e_1)``, over base states ``s``
    and shelves ``k <= max_demand``: the product of the small matrix ``P(min(k, D) = j)`` with the values
    shifted by ``j`` in ``y``, which in ``_rank``'s order are the values shifted by ``j`` places. It is then read
    once per (state, order) pair and minimised over each state's orders with ``reduceat``, in fixed buffers.
    """
    start = time.perf_counter()
    total, top = problem.max_position, problem.max_demand
    counts, order, order_cost, expected_index = _actions(problem)
    starts = np.cumsum(counts) - counts
    pmf = problem.demand_pmf()
    sold, shelf = np.indices((top + 1, top + 1))
    sold_given_shelf = np.where(sold < shelf, pmf[sold], 0.0) + np.where(sold == shelf, pmf[::-1].cumsum()[::-1], 0.0)
    # window row m holds V(s - j) for j = top - m, so the weights are P(min(k, D) = top - m), transposed
    weights = np.ascontiguousarray(sold_given_shelf[::-1].T)
    n = len(counts)
    padded = np.zeros(top + n)  # the first `top` zeros stand in for V(s - j) with j > y, whose weight is 0
    window, expected, action_values = np.empty((top + 1, n)), np.empty((top + 1, n)), np.empty(len(order))

    values, iteration = np.zeros(n), 0
    while True:
        iteration += 1
        padded[top:] = values
        np.copyto(window, sliding_window_view(padded, n))  # contiguous, for a fast matrix product
        np.matmul(weights, window, out=expected)
        np.take(expected.ravel(), expected_index, out=action_values)
        action_values += order_cost
        updated = np.minimum.reduceat(action_values, starts)
        change = updated - values
        lower, upper = float(change.min()), float(change.max())
        values = updated - updated[0]
        if upper - lower <= tolerance * upper:
            break
        if iteration == max_iterations:
            raise RuntimeError(f"relative value iteration did not converge in {max_iterations} sweeps")
    best = np.repeat(updated, counts)
    policy = np.minimum.reduceat(np.where(action_values <= best, order, total + 1), starts)  # ties: smaller order
    return Solution(
        problem=problem,
        average_cost=(lower + upper) / 2,
        lower_bound=lower,
        upper_bound=upper,
        iterations=iteration,
        seconds=time.perf_counter() - start,
        policy=policy.astype(np.int32),
        values=values,
    )


def _cache_key(problem: LostSalesProblem) -> str:
    return json.dumps({"algorithm": ALGORITHM_VERSION, "tolerance": TOLERANCE, **asdict(problem)}, sort_keys=True)


def cache_path(problem: LostSalesProblem, cache_dir: Path) -> Path:
    """Where ``solve_cached`` keeps the solution of ``problem``: a hash of its parameters and the algorithm's."""
    digest = hashlib.sha256(_cache_key(problem).encode()).hexdigest()[:20]
    return Path(cache_dir) / f"lost_sales_L{problem.lead_time_periods}_{digest}.npz"


@functools.lru_cache(maxsize=16)
def _solve_in_memory(problem: LostSalesProblem) -> Solution:
    return solve(problem)


def solve_cached(problem: LostSalesProblem, cache_dir: Path | None = None) -> Solution:
    """``solve(problem)``, remembered in this process (``cache_dir=None``) or on disk under ``cache_dir``.

    A disk entry is an ``.npz`` holding the arrays, the numbers and the cache key (the problem's parameters,
    ``ALGORITHM_VERSION``, ``TOLERANCE``), written through ``runs.files.atomic_writer``, so a concurrent reader
    sees the whole file or none. A missing, unreadable or mismatched file is recomputed and rewritten.
    """
    if cache_dir is None:
        return _solve_in_memory(problem)
    path = cache_path(problem, cache_dir)
    try:
        return _load(path, problem)
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        solution = solve(problem)
        _save(solution, path)
        return solution


def _load(path: Path, problem: LostSalesProblem) -> Solution:
    with np.load(path, allow_pickle=False) as data:
        if str(data["key"]) != _cache_key(problem):
            raise ValueError(f"{path} holds another problem")
        average, lower, upper, iterations, seconds = data["numbers"].tolist()
        policy, values = data["policy"], data["values"]
    if not len(policy) == len(values) == math.comb(problem.max_position + problem.state_size, problem.state_size):
        raise ValueError(f"{path} has arrays of the wrong size")
    return Solution(problem, average, lower, upper, int(iterations), seconds, policy, values)


def _save(solution: Solution, path: Path) -> None:
    numbers = [solution.average_cost, solution.lower_bound, solution.upper_bound, solution.iterations, solution.seconds]
    with atomic_writer(path) as file:
        np.savez_compressed(
            file,
            key=np.array(_cache_key(solution.problem)),
            numbers=np.array(numbers, np.float64),
            policy=solution.policy,
            values=solution.values,
        )


Policy = Solution | Callable[[tuple[int, ...]], int]


def simulate_costs(policy: Policy, problem: LostSalesProblem, days: int, seed: int) -> np.ndarray:
    """Each period's cost when ``policy`` (a ``Solution`` or any function of the state tuple returning the order)
    runs the problem for ``days`` periods, starting empty, on demand from ``np.random.default_rng(seed)``."""
    order = policy.order if isinstance(policy, Solution) else policy
    lead = problem.lead_time_periods
    h, p, c = problem.holding_cost, problem.lost_sale_cost, problem.unit_cost
    demand = np.minimum(np.random.default_rng(seed).poisson(problem.mean, days), problem.max_demand).tolist()
    y, pipeline, costs = 0, [0] * (lead - 1), []  # pipeline: q_{t-L+1} .. q_{t-1}
    for d in demand:
        q = int(order((y, *pipeline)))
        if q < 0:
            raise ValueError(f"the policy ordered {q} units in state {(y, *pipeline)}")
        shelf = y + q if lead == 0 else y
        sold = min(shelf, d)
        costs.append(h * (shelf - sold) + p * (d - sold) + c * q)
        if lead == 0:
            y = shelf - sold
        else:
            pipeline.append(q)
            y = shelf - sold + pipeline.pop(0)
    return np.array(costs)


def simulate(policy: Policy, problem: LostSalesProblem, days: int, seed: int) -> float:
    """The average cost per period of ``policy`` simulated for ``days`` periods (see ``simulate_costs``)."""
    return float(simulate_costs(policy, problem, days, seed).mean())
