"""The exact optimum of a serial (multi-echelon) inventory system with backorders: Clark & Scarf (1960), computed by
Chen & Zheng's (1994) recursion on an integer grid.

Model (the spec of this module)
-------------------------------
Stages ``1..N`` in a line: stage 1, the retailer, faces customer demand; stage ``j`` is supplied by stage ``j + 1``;
stage ``N`` by an outside supplier with unlimited stock. Every tuple below lists stage 1 first.

* Demand per period ``D_t``: i.i.d., any distribution on ``0..K`` given as a pmf (``poisson_pmf``, ``uniform_pmf``).
  Unmet demand is backordered at the retailer.
* Timing (the project's convention): stage ``j`` places its order at the end of period ``t``; the order takes
  ``order_delay_j`` periods to reach the supplier, which ships at the end of period ``t + order_delay_j`` what it has
  on hand (a shortfall waits, filled first later); a shipment made at the end of period ``u`` arrives before the
  demand of period ``u + L_j`` (``L_j`` = ``lead_times[j - 1]`` >= 0). So a unit the supplier has is on the shelf
  before the demand of ``t + Λ_j``, ``Λ_j = L_j + order_delay_j``. With this rule the serial-system literature's
  lead time ``L`` (Snyder & Shen's, Chen & Zheng's: the echelon inventory level at the end of period ``t + L`` is
  the position after the order of period ``t`` less the demand of ``L`` periods) equals the project's ``lead_time``
  (unlike Zipkin's lost-sales convention, where it is ``lead_time - 1``; see ``lost_sales_optimum``). ``L = 0`` is
  allowed: such a lane delivers at once.
* Costs per unit per period, charged at the end of the period: installation holding cost ``H_j`` on stage ``j``'s
  on-hand stock (``holding_costs``), backorder cost ``p`` on the retailer's backorders (``backorder_cost``), and, in
  Chen & Zheng's accounting, units in transit into stage ``j`` at the rate of the stage that shipped them,
  ``H_{j+1}`` (``H_{N+1} = 0``: the outside supplier's goods cost nothing until they reach stage ``N``). The echelon
  holding cost ``h_j = H_j - H_{j+1}`` must be ``>= 0``: holding costs rise downstream, as value is added. If
  ``H_j < H_{j+1}``, a unit is cheaper one stage down, ``C_j`` below decreases without bound (``S_j* = +inf``: ship
  everything downstream at once) and the decomposition does not hold; such problems are refused.
* Policy: echelon base-stock. Stage ``j``'s echelon = everything at and below it: on hand at stages ``1..j``, in
  transit to them, less the retailer's backorders. Each period stage ``j`` orders what raises its echelon inventory
  position (that plus its own outstanding orders; with order delays, see below which orders it counts) to ``S_j``.
  Clark & Scarf (1960) proved this policy optimal for the serial system; the levels come from the recursion below.

Order delays count as lead time, ``Λ_j = L_j + order_delay_j``
-----------------------------------------------------------------
The recursion runs on ``Λ_j``, as the literature treats an order (information) delay: Chen (1999) studies serial
systems in which a stage learns of demand only through the orders it receives, after a delay, and the information
lead times enter its echelon-stock policy alongside the shipping lead times. Why, in this module's terms: under a
base-stock policy each stage passes the demand on as its order, so stage ``j + 1`` learns of a demand
``order_delay_j`` periods after stage ``j`` did and everything it does happens that much later; shifting each
stage's clock by the delays below it (``δ_{j+1} = δ_j + order_delay_j``) turns the system into one without order
delays whose lane into ``j`` takes ``Λ_j``: the same orders, shipments and shortfalls, each stage's on-hand stock and
the retailer's backorders with the same stationary distribution. The stock "in the lanes" of that equivalent system
includes, for ``order_delay_j`` periods per unit, goods that in the real system are not yet shipped (they are counted
in the stages' on-hand stock, or not yet ordered upstream). Hence:

* the recursion's value ``C_N(S_N)`` = on-hand holding + backorders + ``Σ_{j<N} H_{j+1} · μ · Λ_j`` (``μ`` = mean
  demand per period: the lane carries ``Λ_j`` periods of shipments, ``μ`` a period on average);
* goods physically in transit into stage ``j`` cost ``H_{j+1} · μ · L_j`` per period, shipping lead time only:
  an order on its way to the supplier is information, not stock.

``SerialSolution`` reports the cost with in-transit holding (``cost``, the recursion's value when there are no order
delays) and without it (``cost_without_in_transit``), so a simulator that does or does not charge pipeline holding
compares like for like. The equivalence needs the demand to reach a stage through the orders it receives, i.e. its
echelon inventory position counts an order below it from the moment the order is placed (installation base-stock
with ``s_j = S_j - S_{j-1}``, each stage passing on what it receives, is the same policy): the beer game's
information. ``tests/policies/test_serial_optimum.py`` simulates the beer game period by period and checks this. If
every stage saw the retailer's sales at once, an upstream stage could act ``order_delay_j`` periods earlier and do
better (Chen 1999 on the value of that information), but not with these levels: a simulation that orders up to them
on the physical echelon position costs about 26.4 a week in the beer game instead of 16.2, as that position leaves
out the orders on their way up, so each echelon keeps about ``μ`` times the order delays below it more stock than
its level intends.

Algorithm (Chen & Zheng 1994; Snyder & Shen 2019, section 6.2; stockpyl's ``ssm_serial.optimize_base_stock_levels``)
--------------------------------------------------------------------------------------------------------------------
With ``D^{(j)}`` the demand over ``Λ_j`` periods (the pmf convolved ``Λ_j`` times) and ``x`` an echelon inventory
level::

    G_0(x) = (p + H_1) · max(-x, 0)                        backorders, at p plus the holding charged to them below
    for j = 1..N:
        Ĝ_j(x) = h_j · x + G_{j-1}(x)                      echelon j's holding, plus the stages below
        C_j(y) = E[Ĝ_j(y - D^{(j)})]                       echelon j's position y, Λ_j periods before its level
        S_j* = argmin_y C_j(y)                              (the smallest minimiser; see below)
        G_j(x) = C_j(min(S_j, x))                           stage j+1 can ship only what it has: x caps j's position
    optimal cost = C_N(S_N*)

``solve`` reports ``min(S_j*, S_{j+1}*, ..., S_N*)``: stage j's echelon position cannot exceed stage j+1's echelon
inventory level, at most ``S_{j+1}``, so a higher ``S_j`` never binds and the cost is the same (it happens where
``h_j = 0`` leaves ``C_j`` flat, or a steep ``h_{j+1}`` holds stage j+1 back); the levels then rise upstream.
``evaluate`` runs the same recursion with given levels in place of the argmins, so any echelon base-stock rule gets
its exact long-run cost. The split into on-hand, backorder and in-transit parts comes from the distribution of each
echelon's inventory level: ``X_N = S_N - D^{(N)}``, ``X_j = min(S_j, X_{j+1}) - D^{(j)}`` (independent terms); the
retailer holds ``X_1^+`` and owes ``X_1^-``, stage ``j >= 2`` holds ``(X_j - S_{j-1})^+``. The tests check that the
parts add up to the recursion's value.

Grid. All functions live on one integer grid of inventory levels, exact (no extrapolation and no truncation of the
demand, unlike stockpyl's linear asymptotes): ``C_j`` is needed on ``[lo_j, hi]``, which takes ``Ĝ_j`` on ``[lo_j -
W_j, hi]``, ``W_j = Λ_j · K`` the largest demand over ``Λ_j`` periods; so ``lo_{j-1} = lo_j - W_j`` down to ``G_0``,
known in closed form. Bounds: ``S_j* >= 0`` (below ``min(0, S_1..S_{j-1})`` every ``C_j`` falls with slope ``-(p +
H_{j+1}) < 0``) and ``S_j* <= (Λ_1 + ... + Λ_j) · K`` (beyond it ``C_j`` rises with slope ``h_j >= 0``), so ``lo_N =
-1`` and ``hi = (Λ_1 + ... + Λ_N) · K + 1`` contain every minimiser strictly inside; ``solve`` checks that none sits
at an edge (and ``margin`` widens the grid, which the tests use to show nothing changes). Given levels widen the grid
to include them.

Cost per instance (``solve`` with its cost split, measured on this project's machine, 2 shared cores): the beer game
(4 stages, ``Λ_j = 4``, demand uniform on 0..8, a grid of 259 points) 0.14 ms; Snyder & Shen's Example 6.1 with
Poisson(5) demand 0.08 ms; their Problem 6.2 with Poisson(32) (5 stages, demand up to 79 a period, 793 points)
0.16 ms; 4 stages with Poisson(20) demand and ``Λ_j = 6`` (2,601 points) 0.56 ms. ``evaluate`` costs the same.

References: A. J. Clark and H. Scarf, Optimal policies for a multi-echelon inventory problem, Management Science
6(4), 1960. F. Chen and Y.-S. Zheng, Lower bounds for multi-echelon stochastic inventory systems, Management Science
40(11), 1994. F. Chen, Decentralized supply chains subject to information delays, Management Science 45(8), 1999.
K. H. Shang and J.-S. Song, Newsvendor bounds and heuristic for optimal policies in serial supply chains, Management
Science 49(5), 2003. L. V. Snyder and Z.-J. M. Shen, Fundamentals of Supply Chain Theory, 2nd ed., Wiley, 2019.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

POISSON_TAIL = 1e-12  # default probability mass cut from the Poisson's upper tail (then renormalised)
PMF_TOLERANCE = 1e-9  # how far from 1 a given pmf may sum
MAX_WORK = 500_000_000  # grid points times demand support summed over stages beyond which a problem is refused
BEER_GAME_STAGES = ("retailer", "wholesaler", "distributor", "factory")


def poisson_pmf(mean: float, tail: float = POISSON_TAIL) -> np.ndarray:
    """P(D = k), k = 0..K, for Poisson(mean) demand cut at the smallest K with P(D > K) <= tail and renormalised.

    The solver needs a finite support; cutting ``tail`` of the mass (1e-12 by default) and renormalising changes
    costs by about ``tail`` relative. Computed in log space, so large means neither overflow nor underflow.
    """
    mean = check_float("mean", mean, 0.0, strict=True)
    tail = check_float("tail", tail, 0.0, strict=True)
    if tail >= 1.0:
        raise ValueError(f"tail must be below 1, got {tail!r}")
    top = int(mean + 40.0 * math.sqrt(mean) + 40.0)  # the mass beyond is below 1e-300
    k = np.arange(top + 1)
    log_pmf = k * math.log(mean) - mean - np.array([math.lgamma(i + 1.0) for i in k])
    pmf = np.exp(log_pmf)
    survival = np.cumsum(pmf[::-1])[::-1] - pmf  # P(D > k), summed from the small end of the tail
    cut = int(np.argmax(survival <= tail))
    pmf = pmf[: cut + 1]
    return pmf / pmf.sum()


def uniform_pmf(low: int, high: int) -> np.ndarray:
    """P(D = k), k = 0..high, for demand uniform on the whole numbers ``low..high`` (0 below ``low``)."""
    low = check_int("low", low, 0)
    high = check_int("high", high, low)
    pmf = np.zeros(high + 1)
    pmf[low:] = 1.0 / (high - low + 1)
    return pmf


@dataclass(frozen=True)
class SerialProblem:
    """A serial system: the demand pmf, each stage's shipping lead time, installation holding cost and order delay
    (stage 1, the retailer, first), and the retailer's backorder cost per unit per period. See the module docstring.

    ``order_delays`` defaults to zeros. Sequences (lists, arrays) are stored as tuples; a pmf is stored normalised,
    without trailing zeros.
    """

    demand_pmf: tuple[float, ...]
    lead_times: tuple[int, ...]
    holding_costs: tuple[float, ...]
    backorder_cost: float
    order_delays: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        pmf = _check_pmf(self.demand_pmf)
        lead_times = _check_ints("lead_times", self.lead_times, None)
        n = len(lead_times)
        if n == 0:
            raise ValueError("lead_times must name at least one stage, got ()")
        delays = (0,) * n if self.order_delays is None else _check_ints("order_delays", self.order_delays, n)
        holding = _check_floats("holding_costs", self.holding_costs, n)
        for j in range(n - 1):
            if holding[j] < holding[j + 1]:
                raise ValueError(
                    f"holding_costs must not fall downstream (echelon cost h_j = H_j - H_(j+1) >= 0), got stage "
                    f"{j + 1}: {holding[j]} < stage {j + 2}: {holding[j + 1]} (C_j unbounded below, S_j* = +inf)"
                )
        backorder = check_float("backorder_cost", self.backorder_cost, 0.0, strict=True)
        object.__setattr__(self, "demand_pmf", pmf)
        object.__setattr__(self, "lead_times", lead_times)
        object.__setattr__(self, "order_delays", delays)
        object.__setattr__(self, "holding_costs", holding)
        object.__setattr__(self, "backorder_cost", backorder)
        work = _grid_work(self, 0, ())
        if work > MAX_WORK:
            raise ValueError(
                f"lead_times: the grid times the demand over the lead times is {work:,} > {MAX_WORK:,}; "
                "shorten the lead times or the demand's support"
            )

    @property
    def n_stages(self) -> int:
        """N, the number of stages."""
        return len(self.lead_times)

    @property
    def max_demand(self) -> int:
        """K, the largest demand of one period."""
        return len(self.demand_pmf) - 1

    @property
    def mean_demand(self) -> float:
        """μ, the mean demand per period."""
        return float(np.dot(np.arange(len(self.demand_pmf)), self.demand_pmf))

    @property
    def total_lead_times(self) -> tuple[int, ...]:
        """Λ_j = L_j + order_delay_j, the lead times the recursion runs on."""
        return tuple(lead + delay for lead, delay in zip(self.lead_times, self.order_delays, strict=True))

    @property
    def echelon_holding_costs(self) -> tuple[float, ...]:
        """h_j = H_j - H_{j+1}, with H_{N+1} = 0."""
        holding = (*self.holding_costs, 0.0)
        return tuple(holding[j] - holding[j + 1] for j in range(self.n_stages))


@dataclass(frozen=True)
class SerialSolution:
    """Echelon base-stock levels and their exact long-run expected cost per period, split into its parts.

    ``cost`` = ``cost_without_in_transit`` + sum(``in_transit_holding``); ``cost_without_in_transit`` =
    sum(``on_hand_holding``) + ``backorder_cost``. ``in_transit_holding[j - 1]`` = ``H_{j+1} · μ · L_j``: goods
    shipped to stage ``j`` and not yet there, at the shipping stage's rate (0 for the lane into stage N). The
    recursion's own value, ``recursion_value``, also charges ``H_{j+1} · μ · order_delay_j`` for the order delays
    (see the module docstring); it equals ``cost`` when there are none. ``optimal`` says whether the levels are the
    solver's (``solve``) or given (``evaluate``).
    """

    levels: tuple[int, ...]
    cost: float
    cost_without_in_transit: float
    on_hand_holding: tuple[float, ...]
    in_transit_holding: tuple[float, ...]
    backorder_cost: float
    expected_on_hand: tuple[float, ...]
    expected_backorders: float
    recursion_value: float
    optimal: bool


def solve(problem: SerialProblem, margin: int = 0) -> SerialSolution:
    """The optimal echelon base-stock levels S_1..S_N and their cost; ``margin`` widens the grid on both sides (the
    default grid already contains every minimiser strictly inside, see the module docstring)."""
    margin = check_int("margin", margin, 0)
    levels, value = _recursion(problem, None, margin)
    capped = [levels[-1]]  # S_j above S_{j+1} never binds (see the docstring): report the equivalent min(S_j, S_{j+1})
    for level in reversed(levels[:-1]):
        capped.append(min(level, capped[-1]))
    return _solution(problem, tuple(reversed(capped)), value, optimal=True)


def evaluate(problem: SerialProblem, levels: Sequence[int]) -> SerialSolution:
    """The exact long-run cost per period of the echelon base-stock levels ``levels`` (S_1 first), by the same
    recursion with the given levels in place of the minimisers: tuned rules can be compared with the optimum."""
    levels = _check_ints("levels", levels, problem.n_stages, low=None)
    _, value = _recursion(problem, levels, 0)
    return _solution(problem, levels, value, optimal=False)


def beer_game(demand_pmf: Sequence[float] | None = None) -> SerialProblem:
    """The beer game in its stationary form: retailer, wholesaler, distributor, factory (``BEER_GAME_STAGES``), each
    lane an order delay of 2 and a shipping lead time of 2 periods (weeks), holding 1, 0.75, 0.5, 0.25 per unit and
    week from the retailer up, backorders 10 at the retailer, demand uniform on 0..8 unless ``demand_pmf`` is given."""
    pmf = uniform_pmf(0, 8) if demand_pmf is None else demand_pmf
    return SerialProblem(
        demand_pmf=tuple(pmf),
        lead_times=(2, 2, 2, 2),
        holding_costs=(1.0, 0.75, 0.5, 0.25),
        backorder_cost=10.0,
        order_delays=(2, 2, 2, 2),
    )


# ---------------------------------------------------------------------------- the recursion


def _demand_pmfs(problem: SerialProblem) -> list[np.ndarray]:
    """The pmf of the demand over Λ_j periods, for each stage (support 0..Λ_j · K)."""
    base = np.asarray(problem.demand_pmf)
    pmfs = []
    for periods in problem.total_lead_times:
        pmf = np.ones(1)
        for _ in range(periods):
            pmf = np.convolve(pmf, base)
        pmfs.append(pmf)
    return pmfs


def _grid(problem: SerialProblem, margin: int, levels: Sequence[int]) -> tuple[int, int, list[int]]:
    """``(lo_0, hi, offsets)``: the grid is ``lo_0..hi``, stage j's functions live from index ``offsets[j]``
    (``offsets[0] = 0`` for ``G_0``); see the module docstring for why these bounds contain every minimiser."""
    widths = [periods * problem.max_demand for periods in problem.total_lead_times]
    hi = sum(widths) + 1 + margin
    lo_top = -1 - margin
    if levels:
        hi = max(hi, max(levels) + 1)
        lo_top = min(lo_top, min(levels) - 1)
    offsets = [int(sum(widths[:j])) for j in range(problem.n_stages + 1)]
    return lo_top - offsets[-1], hi, offsets


def _grid_work(problem: SerialProblem, margin: int, levels: Sequence[int]) -> int:
    """Multiply-adds of the recursion's convolutions: grid points times the support of the demand, over stages."""
    lo, hi, offsets = _grid(problem, margin, levels)
    size = hi - lo + 1
    return sum((size - offsets[j]) * (offsets[j + 1] - offsets[j] + 1) for j in range(problem.n_stages))


def _recursion(problem: SerialProblem, levels: Sequence[int] | None, margin: int) -> tuple[tuple[int, ...], float]:
    """Chen & Zheng's recursion: the minimising levels (or the given ones) and ``C_N(S_N)``."""
    lo, hi, offsets = _grid(problem, margin, levels or ())
    x = np.arange(lo, hi + 1, dtype=np.float64)
    p, h = problem.backorder_cost, problem.echelon_holding_costs
    g = (p + problem.holding_costs[0]) * np.maximum(-x, 0.0)  # G_0 on the whole grid
    chosen: list[int] = []
    c = g
    for j, pmf in enumerate(_demand_pmfs(problem)):
        g_hat = h[j] * x[offsets[j] :] + g  # Ĝ_j from lo_{j-1}
        c = np.convolve(g_hat, pmf, mode="valid")  # C_j(y) = Σ_d pmf[d] Ĝ_j(y - d), from lo_j
        if levels is None:
            best = float(c.min())
            at = int(np.argmax(c <= best + 1e-12 * (1.0 + abs(best))))  # the smallest minimiser, up to rounding
            if at == 0 or at == len(c) - 1:
                raise RuntimeError(f"stage {j + 1}: the minimiser {lo + offsets[j + 1] + at} is at the grid's edge")
            chosen.append(lo + offsets[j + 1] + at)
        else:
            chosen.append(int(levels[j]))
            at = chosen[-1] - lo - offsets[j + 1]
        g = c.copy()
        g[at + 1 :] = c[at]  # G_j(x) = C_j(min(S_j, x))
    return tuple(chosen), float(c[chosen[-1] - lo - offsets[-1]])


def _solution(problem: SerialProblem, levels: tuple[int, ...], value: float, optimal: bool) -> SerialSolution:
    """The cost split from the distributions of the echelon inventory levels X_N, ..., X_1 (see the docstring)."""
    pmfs = _demand_pmfs(problem)
    n, mu = problem.n_stages, problem.mean_demand
    on_hand = [0.0] * n
    low, dist = levels[-1], np.ones(1)  # min(S_N, X_{N+1}) = S_N: the outside supplier always ships
    for j in reversed(range(n)):
        if j < n - 1:  # min(S_j, X_{j+1})
            values = low + np.arange(len(dist))
            if levels[j] < low:
                low, dist = levels[j], np.array([1.0])
            elif levels[j] < values[-1]:
                keep = levels[j] - low
                dist = np.concatenate([dist[:keep], [dist[keep:].sum()]])
        width = len(pmfs[j]) - 1
        low, dist = low - width, np.convolve(dist, pmfs[j][::-1])  # X_j = min(S_j, X_{j+1}) - D^{(j)}
        values = low + np.arange(len(dist))
        if j > 0:  # stage j+1 (1-based) holds what exceeds the stage below's level
            on_hand[j] = float(dist @ np.maximum(values - levels[j - 1], 0))
        else:
            on_hand[0] = float(dist @ np.maximum(values, 0))
            backorders = float(dist @ np.maximum(-values, 0))
    holding = (*problem.holding_costs, 0.0)
    on_hand_holding = tuple(holding[j] * on_hand[j] for j in range(n))
    in_transit = tuple(holding[j + 1] * mu * problem.lead_times[j] for j in range(n))
    without = sum(on_hand_holding) + problem.backorder_cost * backorders
    return SerialSolution(
        levels=tuple(int(s) for s in levels),
        cost=without + sum(in_transit),
        cost_without_in_transit=without,
        on_hand_holding=on_hand_holding,
        in_transit_holding=in_transit,
        backorder_cost=problem.backorder_cost * backorders,
        expected_on_hand=tuple(on_hand),
        expected_backorders=backorders,
        recursion_value=value,
        optimal=optimal,
    )


# ---------------------------------------------------------------------------- validation


def check_int(name: str, value: object, low: int | None) -> int:
    """``value`` as an int, or ``ValueError`` naming ``name`` unless it is a whole number (>= ``low``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (low is not None and value < low):
        raise ValueError(f"{name} must be a whole number{'' if low is None else f' >= {low}'}, got {value!r}")
    return int(value)


def check_float(name: str, value: object, low: float, strict: bool) -> float:
    """``value`` as a float, or ``ValueError`` naming ``name`` unless finite and >= ``low`` (> with ``strict``)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < low or (strict and value == low):
        raise ValueError(f"{name} must be a finite number {'>' if strict else '>='} {low}, got {value!r}")
    return float(value)


def _as_tuple(name: str, values: object, n: int | None) -> tuple:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise ValueError(f"{name} must be a sequence, got {values!r}")
    values = tuple(values.tolist() if isinstance(values, np.ndarray) else values)
    if n is not None and len(values) != n:
        raise ValueError(f"{name} must have one entry per stage ({n}), got {len(values)}")
    return values


def _check_ints(name: str, values: object, n: int | None, low: int | None = 0) -> tuple[int, ...]:
    items = _as_tuple(name, values, n)
    return tuple(check_int(f"{name}[{i}]", v, low) for i, v in enumerate(items))


def _check_floats(name: str, values: object, n: int) -> tuple[float, ...]:
    items = _as_tuple(name, values, n)
    return tuple(check_float(f"{name}[{i}]", v, 0.0, strict=False) for i, v in enumerate(items))


def _check_pmf(values: object) -> tuple[float, ...]:
    items = _as_tuple("demand_pmf", values, None)
    pmf = [check_float(f"demand_pmf[{i}]", v, 0.0, strict=False) for i, v in enumerate(items)]
    total = sum(pmf)
    if abs(total - 1.0) > PMF_TOLERANCE:
        raise ValueError(f"demand_pmf must sum to 1, got {total!r}")
    while len(pmf) > 1 and pmf[-1] == 0.0:
        pmf.pop()
    return tuple(v / total for v in pmf)
