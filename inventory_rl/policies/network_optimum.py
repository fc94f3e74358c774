"""The exact optimum of a network where it is known, and lower bounds on the cost where it is not.

* **Serial chains of the Clark-Scarf form** (``serial_problem``, ``serial_optimum``): one product, a line of
  nodes from the outside supplier down to the one node where customers buy, whose unmet demand is owed at
  ``backorder_cost`` (the only backorder cost: the simulator also charges a node's owed units to its child at
  its own ``backorder_cost``, which must then be 0), holding costs per node that do not fall downstream, any
  stated demand (Poisson or negative binomial at a fixed rate, uniform, constant; capped at ``max_demand`` as
  the simulator caps it), fixed lead times and order delays, no fixed costs, no caps. Its optimum is
  ``policies.serial_optimum``'s (Chen and Zheng's recursion): echelon base-stock levels and their exact
  long-run cost. The simulator's accounting is the solver's: holding on what a node keeps overnight, the
  retailer's backorders at the end of the day, and with ``[network] transit_holding = true`` each unit in
  transit at the shipping node's rate for the whole trip (``SerialOptimum.cost`` picks the solver's cost with
  or without it); purchase and per-unit lane costs add their mean, a constant.
* **Full pooling** (``pooling_bound``): siblings supplied by the outside supplier (``transshipment``), alike in
  costs and lead time. One warehouse holding all their stock, facing their summed demand, with free and
  instant transfers, can do whatever the siblings do (its shortfalls are never more than theirs, and with
  the same holding and backorder costs, h (sum x)^+ + b (sum x)^- <= sum (h x^+ + b x^-)): its optimal
  base-stock cost (the one-stage Chen-Zheng solution, a newsvendor on the lead-time demand) is a lower bound.
* **The oracle** (``oracle_bound``): where customers' unmet demand is lost and demand is Poisson (hidden rates:
  ``distribution``, ``regional``), a node's cost of a day is at least what the best stock on its shelf before
  the day's demand costs for the true rates of that day (holding what is left, losing what is short), with
  that stock within its capacity: the capacity-constrained newsvendor, computed per episode from the rates
  the episode draws; every other cost is at least 0. It knows the hidden rates and ignores the upstream
  nodes, their lead times and their capacities, so it is loose: a bound, not a policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from inventory_rl.policies.newsvendor import demand_survival
from inventory_rl.policies.serial_optimum import SerialProblem, SerialSolution, evaluate, solve, uniform_pmf
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.network import NetworkConfig
from inventory_rl.world.networks import Networks

CAPACITY_MARGIN = 2  # the optimum needs every node's capacity at least this many times the top echelon level


def demand_pmf(config: InventoryConfig) -> np.ndarray | None:
    """P(D = k), k = 0..max_demand, of a node's daily customer demand as the simulator draws it (capped at
    ``max_demand``), where the scenario states it and it does not change within an episode; else None."""
    if config.demand_model == "file" or config.has_varying_rates:
        return None
    top = config.max_demand
    if config.demand_model == "uniform":
        pmf = uniform_pmf(int(config.rate_low), int(config.rate_high))
        capped = np.zeros(top + 1)
        capped[: min(len(pmf), top + 1)] = pmf[: top + 1]
        capped[top] += pmf[top + 1 :].sum()
        return capped
    if config.rate_low != config.rate_high:
        return None
    rate = config.rate_low
    k = np.arange(top)
    if config.demand_model == "constant":
        pmf = np.zeros(top + 1)
        pmf[min(int(np.rint(rate)), top)] = 1.0
        return pmf
    if config.demand_model == "poisson":
        if rate <= 0:
            return np.eye(top + 1)[0]
        log_pmf = k * math.log(rate) - rate - np.array([math.lgamma(i + 1.0) for i in k])
    elif config.demand_model == "negative_binomial":
        if rate <= 0:
            return np.eye(top + 1)[0]
        shape = config.nb_shape
        p = shape / (shape + rate)
        log_pmf = (
            np.array([math.lgamma(i + shape) - math.lgamma(i + 1.0) - math.lgamma(shape) for i in k])
            + shape * math.log(p)
            + k * math.log(1 - p)
        )
    else:
        return None
    below = np.exp(log_pmf)
    return np.append(below, max(1.0 - below.sum(), 0.0))


def chain(network: NetworkConfig) -> list[int] | None:
    """The nodes of a serial chain from the one where customers buy up to the top, None if not one chain."""
    roots = [i for i, parent in enumerate(network.parents) if parent is None]
    if len(roots) != 1 or any(len(kids) > 1 for kids in network.children):
        return None
    leaves = [i for i, kids in enumerate(network.children) if not kids]
    order = [leaves[0]]
    while network.parents[order[-1]] is not None:
        order.append(network.parents[order[-1]])
    return order


def serial_problem(network: NetworkConfig) -> tuple[SerialProblem | None, str | None]:
    """The Clark-Scarf problem of ``network`` (stage 1 the node where customers buy), or None and why not."""
    stages = chain(network)
    if stages is None:
        return None, "not a serial chain: the exact optimum is known for a line of nodes (one supplier each, one child)"
    nodes = [network.nodes[i] for i in stages]
    retailer = nodes[0]
    lanes = [network.supply_lanes[i] for i in stages]
    if network.n_products != 1:
        return None, "the exact optimum is for one product"
    if any(node.has_customers for node in nodes[1:]) or not retailer.has_customers:
        return None, "customers must buy at the bottom of the chain only"
    if retailer.config.unmet_demand != "backorder" or any(node.owed != "backorder" for node in nodes[1:]):
        return None, "unmet demand must be owed (backorder), by customers and by every node to the one below"
    if retailer.config.backorder_cost <= 0 or any(node.config.backorder_cost > 0 for node in nodes[1:]):
        return (
            None,
            "the Clark-Scarf form has a backorder cost at the retailer only (backorder_cost > 0 there, 0 above)",
        )
    if any(node.config.reward_mode != "cost" or node.config.price > 0 for node in nodes):
        return None, "the exact optimum minimises cost: reward_mode = cost, no price"
    if any(node.config.order_cost > 0 for node in nodes) or any(lane.shipment_cost > 0 for lane in lanes):
        return None, "a fixed cost per order or shipment: base-stock is no longer optimal"
    if any(node.config.order_mode != "free" for node in nodes):
        return None, "every node must choose its order size (order_mode = free)"
    if any(lane.lead_time_max > lane.lead_time or lane.capacity for lane in lanes):
        return None, "lead times must be fixed and lanes uncapped"
    if any(node.config.disruption_prob > 0 or node.config.partial_prob > 0 for node in nodes):
        return None, "the outside supplier must ship every order"
    pmf = demand_pmf(retailer.config)
    if pmf is None:
        return None, "the retailer's demand must be stated and stationary (a fixed rate, uniform or constant, no step)"
    try:
        problem = SerialProblem(
            demand_pmf=tuple(pmf),
            lead_times=tuple(lane.lead_time for lane in lanes),
            holding_costs=tuple(node.config.holding_cost for node in nodes),
            backorder_cost=retailer.config.backorder_cost,
            order_delays=tuple(lane.order_delay for lane in lanes),
        )
    except ValueError as error:
        return None, f"not a Clark-Scarf problem: {error}"
    levels = solve(problem).levels
    small = [node.name for node in nodes if node.config.capacity < CAPACITY_MARGIN * levels[-1]]
    if small:
        return None, f"capacity could bind at {', '.join(small)} (below {CAPACITY_MARGIN} x the top level {levels[-1]})"
    return problem, None


@dataclass(frozen=True)
class SerialOptimum:
    """The exact optimum of a serial network: the solver's solution, its echelon levels in node order
    (``node_levels``, for ``network_rules``' ``optimal``), and ``cost``, the long-run cost per day the
    simulator should charge under them (with in-transit holding where the network charges it, plus the
    constant purchase and per-unit lane costs)."""

    problem: SerialProblem
    solution: SerialSolution
    node_levels: tuple[int, ...]
    stages: tuple[int, ...]  # the node of each of the solver's stages, retailer first
    transit_holding: bool
    constant: float  # mean purchase and per-unit lane costs per day

    @property
    def cost(self) -> float:
        return self.cost_of(self.solution)

    def cost_of(self, solution: SerialSolution) -> float:
        """What the simulator charges per day in the long run for a solution (optimal or ``evaluate``d)."""
        held = solution.cost if self.transit_holding else solution.cost_without_in_transit
        return held + self.constant

    def evaluate_levels(self, node_levels: tuple[int, ...] | list[int]) -> float:
        """The exact long-run cost per day of echelon levels given in node order (a tuned rule's)."""
        return self.cost_of(evaluate(self.problem, [int(node_levels[node]) for node in self.stages]))


def serial_optimum(network: NetworkConfig) -> SerialOptimum:
    """The exact optimum of a serial network; ``ValueError`` with the reason where there is none."""
    problem, reason = serial_problem(network)
    if problem is None:
        raise ValueError(f"no exact optimum: {reason}")
    stages = chain(network)
    solution = solve(problem)
    levels = [0] * len(network.nodes)
    for stage, node in enumerate(stages):
        levels[node] = solution.levels[stage]
    mean = problem.mean_demand
    constant = mean * sum(network.nodes[i].config.unit_cost + network.supply_lanes[i].unit_cost for i in stages)
    return SerialOptimum(problem, solution, tuple(levels), tuple(stages), network.transit_holding, constant)


# ---------------------------------------------------------------------------- bounds
@dataclass(frozen=True)
class Bound:
    """A lower bound on the network's cost per day that is the same in every episode (``value``), and what it is
    (the oracle's differs per episode: ``oracle_bound``)."""

    name: str
    description: str
    value: float | None = None


def pooling_problem(network: NetworkConfig) -> tuple[SerialProblem | None, str | None]:
    """The one-stage problem of full pooling (see the module docstring), or None and why it does not apply."""
    if any(parent is not None for parent in network.parents) or len(network.nodes) < 2:
        return None, "full pooling bounds siblings supplied by the outside supplier"
    configs = [node.config for node in network.nodes]
    first, lanes = configs[0], network.supply_lanes
    if network.n_products != 1 or any(c.unmet_demand != "backorder" for c in configs):
        return None, "full pooling is computed for one product with backorders"
    alike = (
        all((c.holding_cost, c.backorder_cost) == (first.holding_cost, first.backorder_cost) for c in configs)
        and len({(lane.lead_time, lane.order_delay) for lane in lanes}) == 1
    )
    if not alike or any(lane.lead_time_max > lane.lead_time for lane in lanes):
        return None, "full pooling needs siblings alike in holding and backorder costs and fixed lead times"
    if any(c.price > 0 or c.reward_mode != "cost" or c.disruption_prob or c.partial_prob for c in configs):
        return None, "full pooling is computed for cost, with a reliable supplier"
    pmfs = [demand_pmf(c) for c in configs]
    if any(pmf is None for pmf in pmfs) or first.backorder_cost <= 0:
        return None, "full pooling needs stated, stationary demand and a backorder cost"
    pooled = np.ones(1)
    for pmf in pmfs:
        pooled = np.convolve(pooled, pmf)
    problem = SerialProblem(
        tuple(pooled), (lanes[0].lead_time,), (first.holding_cost,), first.backorder_cost, (lanes[0].order_delay,)
    )
    return problem, None


def pooling_bound(network: NetworkConfig) -> Bound:
    """Full pooling's cost per day (see the module docstring); ``ValueError`` where it does not apply."""
    problem, reason = pooling_problem(network)
    if problem is None:
        raise ValueError(reason)
    solution = solve(problem)
    return Bound(
        "pooling bound",
        f"one warehouse holding all {len(network.nodes)} nodes' stock, free instant transfers: base-stock "
        f"{solution.levels[0]} on the summed demand (exact, Chen-Zheng with one stage)",
        solution.cost,
    )


def oracle_applies(network: NetworkConfig) -> str | None:
    """None where the oracle bound is computed, else why not."""
    buying = [node.config for node in network.nodes if node.has_customers]
    if not buying or any(c.unmet_demand != "lost" or c.demand_model != "poisson" for c in buying):
        return "the oracle bound is computed where customers buy Poisson demand and unmet demand is lost"
    if any(c.reward_mode != "cost" for c in (node.config for node in network.nodes)):
        return "the oracle bound is a cost: reward_mode = cost"
    return None


def oracle_bound(sim: Networks) -> np.ndarray:
    """Each episode's oracle bound per day ``(batch,)`` for a freshly reset ``sim`` (see the module docstring):
    the customers' nodes' best expected cost of each day for the true rates of that day, within capacity."""
    network = sim.network
    total = np.zeros(sim.batch)
    for i, node in enumerate(network.nodes):
        if not node.has_customers:
            continue
        config, warehouse = node.config, sim.nodes[i]
        h = config.history_days
        rates = warehouse.rates[:, h : h + config.episode_days]  # (batch, days, n)
        if not config.has_varying_rates:
            rates = rates[:, :1]
        daily = newsvendor_cost(rates.reshape(-1, config.n_products), config)
        total += daily.reshape(sim.batch, -1).mean(axis=1)
    return total


def newsvendor_cost(rates: np.ndarray, config: InventoryConfig) -> np.ndarray:
    """The least expected cost of one day ``(rows,)`` for Poisson rates ``(rows, n)`` capped at ``max_demand``:
    shelf levels ``y`` with ``sum y <= capacity``, cost ``holding E(y - D)^+ + lost_sale E(D - y)^+`` per product.
    A unit more at level y changes the cost by ``h - (h + p) P(D > y)``: the separable convex cost is minimised
    by the ``capacity`` most negative such steps."""
    top = config.max_demand
    h, p = config.holding_cost, config.lost_sale_cost
    survival = np.swapaxes(demand_survival(rates, top, top), -1, -2)  # (rows, n, top): P(D > y), y < top
    base = p * survival.sum(axis=(1, 2))  # y = 0 everywhere: every unit lost
    steps = np.sort((h - (h + p) * survival).reshape(len(rates), -1), axis=1)
    steps = np.minimum(steps[:, : config.capacity], 0.0)
    return base + steps.sum(axis=1)
