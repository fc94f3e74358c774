"""The classic rules for networks of warehouses, as policies on the network simulator (``world.networks``).

A network policy decides, at the end of each day, every node's order in whole units ``(batch, n_nodes,
n_products)`` and every transfer ``(batch, n_transfers, n_products)`` for a batch of networks, from the state
of ``Networks`` (``NetworkPolicy.decide``; ``Networks.step_units`` plays them). What a node knows when it
decides is listed in ``world.networks`` ("What a decision maker has seen"); ``NetworkState`` gathers it for
every node. Each rule says below what it reads: **local** (the node's own state: its stock, what it owes
its customers and children, what is on its way to it and on order, the orders that reached it, its own
customers' demand) or **echelon** (everything at and below the node, the orders on their way from the nodes
below it to their suppliers and those they place the same day: a central planner's view of the subtree).

| rule                   | what each node does                                                   | sees       |
|------------------------|-----------------------------------------------------------------------|------------|
| `base-stock`           | order up to ``S_i`` on its installation position: stock + in transit  | local      |
|                        | + on order - owed to its customers - owed to its children; with       |            |
|                        | ``smoothing`` T, order r + (S_i - position - r) / T (r its rate)      |            |
| `echelon-base-stock`   | order up to ``S_i`` on its echelon position: the installation         | echelon    |
|                        | positions of every node at and below it, an order on its way to a     |            |
|                        | supplier counted from the moment it is placed until it arrives; a     |            |
|                        | short parent rations by the network's own rule (proportional here)    |            |
| `echelon-balanced`     | the same; a short parent ships so as to equalise its children's       | echelon    |
|                        | positions (``rationing = "balanced"`` at every parent of two or more) |            |
| `s-S`                  | at or below ``s_i`` (installation position) order up to ``S_i``       | local      |
| `base-stock+transfers` | base-stock, and on each transfer lane send a sibling what it would    | local and  |
|                        | lack before an order placed today reaches it, out of what the sender  | the two    |
|                        | holds beyond the same need of its own                                 | siblings   |
| `sterman`              | Sterman (1989)'s anchoring and adjustment: order = max(0, L + a_S (S' | local      |
|                        | - stock + backlog - b x supply line)), L the smoothed incoming orders |            |
| `newsvendor`           | nodes where customers buy play ``policies.rules``' newsvendor on      | local      |
|                        | their own warehouse observation; the others base-stock                |            |
| `proportional`         | the same with ``policies.rules``' proportional rule (order, or split  | local      |
|                        | the gap, by each product's 7-day average demand)                      |            |
| `oracle`               | the same with ``policies.rules``' oracle: the newsvendor rule on the  | local and  |
|                        | true (hidden) demand rates of the coming days                         | the rates  |
| `optimal`              | echelon base-stock at the exact Clark-Scarf levels (network_optimum)  | echelon    |

Levels are days of demand (``cover``): ``S_i = round(cover_i x rate_i)`` with ``rate_i`` the mean daily demand
the node serves (its customers' and those below it): the stated mean where the scenario fixes it (Poisson or
constant demand with ``rate_low == rate_high``, uniform demand; the base rate, before any known step), else an
estimate: a node's own customers' mean over the last ``history_days`` days, and for a node without customers
the mean of the orders that reached it over those days (local) or the sum of its subtree's customers'
estimates (echelon). Where the rate is fixed every whole level is one step of ``1 / rate`` days: tuning
(``policies/network_tuning.py``) walks them. A node in ``fill`` order mode (the original warehouses of
``regional``) always orders its gap; every rule splits it with ``policies.rules``' newsvendor rule on the
node's decoded warehouse observation (what it has on order counted with its stock), except the
single-warehouse rules (``WAREHOUSE_RULES``), which split it by their own rule.

Sterman's rule plays the means of his estimates over the beer game's subjects, θ = 0.36 (smoothing of the
incoming orders), α_S = 0.26 (share of the stock gap corrected a week), β = 0.34 (weight of the supply line:
two thirds of it ignored) and S' = 17 (desired stock, at a demand of 4 a week; scaled with the network's mean
demand elsewhere): J. D. Sterman, Modeling managerial behavior: misperceptions of feedback in a dynamic
decision making experiment, Management Science 35(3), 321-339, 1989. These are the values as they are
commonly quoted (the paper's own table could not be consulted here); ``STERMAN`` holds them and
``make_network_rule("sterman", network, beta=1.0)`` plays others. A stage's stock is its stock less what it
owes (its customers and its children), its supply line what is on its way to it and on order.

Base-stock's ``smoothing`` is the proportional order-up-to policy (POUT: S. M. Disney and D. R. Towill, On the
bullwhip and inventory variance produced by an ordering policy, Omega 31(3), 157-167, 2003): a node closes
1 / T of its gap a day on top of its mean demand, and so passes on less of the waves that reach it. T = 1 (or
no ``smoothing``) is base-stock; only one seat among co-players tunes it (``network_tuning.tuned_seat_rule``).

Parameters are numbers per node (or per batch row and node, so that tuning plays many candidates at once as
one batch); ``make_network_rule`` builds a rule with its untuned values, ``applicable`` says where it makes
sense and why not elsewhere.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inventory_rl.policies.base import Known
from inventory_rl.policies.rules import KNOWING, Rule, make_rule
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.network import NetworkConfig
from inventory_rl.world.networks import Networks
from inventory_rl.world.observation import Observation
from inventory_rl.world.warehouses import MAX_ORDER_UNITS, largest_remainder

RULES = (
    "base-stock",
    "echelon-base-stock",
    "echelon-balanced",
    "s-S",
    "base-stock+transfers",
    "sterman",
    "newsvendor",
    "proportional",
    "oracle",
    "optimal",
)
WAREHOUSE_RULES = ("newsvendor", "proportional", "oracle")  # policies.rules' rules at the nodes where customers buy
# Sterman (1989), Management Science 35(3): the mean of the decision rule's estimates over the subjects of
# the beer game (smoothing of incoming orders, stock adjustment, weight of the supply line, desired stock in
# cases when the demand is 4 a week); S' is scaled with the network's mean demand where it is not 4.
STERMAN = {"theta": 0.36, "alpha_s": 0.26, "beta": 0.34, "s_prime": 17.0}
STERMAN_DEMAND = 4.0  # the weekly demand S' was estimated at
TUNABLE = {  # a rule's parameters: per node (covers, in days of demand) or per network ("z")
    "base-stock": ("cover",),
    "echelon-base-stock": ("cover",),
    "echelon-balanced": ("cover",),
    "s-S": ("cover", "gap"),
    "base-stock+transfers": ("cover", "z"),
    "newsvendor": ("cover",),
    "proportional": ("cover",),
    "oracle": ("cover",),
}
SEES = {  # what each rule reads when a node decides (see the module docstring)
    "base-stock": "local",
    "echelon-base-stock": "echelon",
    "echelon-balanced": "echelon",
    "s-S": "local",
    "base-stock+transfers": "local+siblings",
    "sterman": "local",
    "newsvendor": "local",
    "proportional": "local",
    "oracle": "local+rates",
    "optimal": "echelon",
}
ECHELON = tuple(name for name, sees in SEES.items() if sees == "echelon")
OPTIONAL = {"base-stock": ("smoothing",)}  # parameters a rule takes where given, which tuning leaves out


# ---------------------------------------------------------------------------- what is known
@dataclass(frozen=True)
class NetworkState:
    """What every node of a batch of networks knows when it decides (``world.networks``): per-node arrays
    ``(batch, n_nodes, n_products)``, and ``arrivals`` ``(batch, n_nodes, days, n_products)``: the units on
    their way to each node by the day they reach its shelf (index 0: before tomorrow's demand)."""

    day: int
    stock: np.ndarray
    backorders: np.ndarray  # owed to its customers
    owed_to_children: np.ndarray
    on_order: np.ndarray  # placed, not shipped yet (on its way to the supplier, or owed by it)
    arrivals: np.ndarray
    orders_arrived: np.ndarray  # the orders of its children that reached it today
    reaching: np.ndarray  # its own orders that reach its supplier in the coming step (after the decisions)
    demand: np.ndarray  # its customers' demand of the day (0 where none buy)
    mean_demand: np.ndarray  # its customers' mean demand over the last history_days days

    @classmethod
    def of(cls, sim: Networks) -> NetworkState:
        """The state of every node of ``sim`` now."""
        days = max(warehouse.pipeline.shape[1] for warehouse in sim.nodes)
        arrivals = np.zeros((sim.batch, len(sim.nodes), days, sim.network.n_products), np.int64)
        for i, warehouse in enumerate(sim.nodes):
            arrivals[:, i, : warehouse.pipeline.shape[1]] = warehouse.pipeline
        demand, mean = [], []
        for warehouse in sim.nodes:
            today = warehouse.config.history_days + warehouse.day  # the demand row of the coming day
            demand.append(warehouse.demand[:, today - 1])
            mean.append(warehouse.demand[:, today - warehouse.config.history_days : today].mean(axis=1))
        return cls(
            day=sim.day,
            stock=np.stack([warehouse.stock for warehouse in sim.nodes], axis=1),
            backorders=np.stack([warehouse.backlog for warehouse in sim.nodes], axis=1),
            owed_to_children=np.stack([sim.owed_to_children(i) for i in range(len(sim.nodes))], axis=1),
            on_order=np.stack([warehouse.on_order for warehouse in sim.nodes], axis=1),
            arrivals=arrivals,
            orders_arrived=np.stack([sim.orders_arrived(i) for i in range(len(sim.nodes))], axis=1),
            reaching=np.stack([pipe[:, 0] for pipe in sim.order_pipes], axis=1),
            demand=np.stack(demand, axis=1),
            mean_demand=np.stack(mean, axis=1),
        )

    @property
    def in_transit(self) -> np.ndarray:
        """Units on their way to each node (shipped), ``(batch, n_nodes, n)``."""
        return self.arrivals.sum(axis=2)

    @property
    def net_stock(self) -> np.ndarray:
        """Stock less what each node owes its customers and its children."""
        return self.stock - self.backorders - self.owed_to_children

    @property
    def position(self) -> np.ndarray:
        """The installation inventory position: stock + in transit + on order - owed to customers and children."""
        return self.net_stock + self.in_transit + self.on_order


# ---------------------------------------------------------------------------- the network's shape
def total_lead_time(network: NetworkConfig, node: int) -> int:
    """Λ_i: the days from an order to the shelf when the supplier has the stock (order delay + longest lead time)."""
    lane = network.supply_lanes[node]
    return lane.order_delay + lane.max_lead_time


def stated_rate(config: InventoryConfig) -> float | None:
    """The mean daily demand per product a scenario states (the base rate, before any known step), None
    where it is hidden (drawn per episode, or read from a file); 0 where no customers buy."""
    if config.demand_model == "none":
        return 0.0
    if config.demand_model == "uniform":
        return (config.rate_low + config.rate_high) / 2
    if config.demand_model == "file" or config.rate_low != config.rate_high:
        return None
    return config.rate_low


def prior_rate(config: InventoryConfig) -> float:
    """The middle of the stated range: a node's first guess of a hidden rate (0 without customers)."""
    return 0.0 if config.demand_model == "none" else (config.rate_low + config.rate_high) / 2


def fixed_rates(network: NetworkConfig) -> list[float | None]:
    """Each node's stated demand rate (its subtree's customers' summed), None where one of them is hidden."""
    stated = [stated_rate(node.config) for node in network.nodes]
    rates: list[float | None] = []
    for members in network.subtrees:
        values = [stated[k] for k in members]
        rates.append(None if any(value is None for value in values) else float(sum(values)))
    return rates


# ---------------------------------------------------------------------------- the policies
class NetworkPolicy:
    """Base of every network policy: ``reset`` at the start of an episode, then ``decide`` once a day.

    ``network`` is the network the policy plays: a rule may bring its own rationing (``echelon-balanced``),
    so evaluation and tuning build the simulator from ``policy.network``, not from the scenario."""

    name = "policy"
    # each node's claim at a parent that rations as decided (world.networks), set by the last ``decide`` of a
    # policy that splits a short parent's stock itself; None: it gives none (the proportional split)
    claims: np.ndarray | None = None

    def __init__(self, network: NetworkConfig):
        self.network = network

    def reset(self, sim: Networks) -> None:
        """Remember what the episode's start says (nothing, by default)."""

    def decide(self, sim: Networks) -> tuple[np.ndarray, np.ndarray]:
        """Every node's order ``(batch, n_nodes, n)`` and every transfer ``(batch, n_transfers, n)``, whole units."""
        raise NotImplementedError


class NetworkRule(NetworkPolicy):
    """One of ``RULES`` for one network, with its parameters (see the module docstring)."""

    def __init__(self, name: str, network: NetworkConfig, parameters: Mapping[str, Any]):
        if name == "echelon-balanced":
            network = with_rationing(network, "balanced")
        super().__init__(network)
        self.name = name
        self.parameters = dict(parameters)
        self.n_nodes, self.n_products = len(network.nodes), network.n_products
        self.below = network.subtrees
        self.fixed = fixed_rates(network)
        self.free = [node.config.order_mode == "free" for node in network.nodes]
        self.customers = [node.has_customers for node in network.nodes]
        self.history = network.nodes[0].config.history_days
        split = name if name in WAREHOUSE_RULES else "newsvendor"  # how a node in fill mode splits its gap
        self.warehouse_rules: dict[int, Rule] = {
            i: make_rule(split, node.config)
            for i, node in enumerate(network.nodes)
            if not self.free[i] or (name in WAREHOUSE_RULES and node.has_customers)
        }
        self.received = np.zeros(0)  # (batch, n_nodes, history_days, n): orders that reached each node
        self.expected = np.zeros(0)  # sterman: each node's smoothed incoming orders, (batch, n_nodes, n)

    # -------------------------------------------------------------- episodes
    def reset(self, sim: Networks) -> None:
        nodes = self.network.nodes
        below = np.array([sum(prior_rate(nodes[k].config) for k in self.below[i][1:]) for i in range(self.n_nodes)])
        shape = (sim.batch, self.n_nodes, self.history, self.n_products)
        self.received = np.broadcast_to(below[None, :, None, None], shape).astype(np.float64).copy()
        prior = below + np.array([prior_rate(node.config) for node in nodes])
        stated = np.array([rate if rate is not None else prior[i] for i, rate in enumerate(self.fixed)])
        self.expected = np.broadcast_to(stated[None, :, None], (sim.batch, self.n_nodes, self.n_products)).copy()

    def decide(self, sim: Networks) -> tuple[np.ndarray, np.ndarray]:
        state = NetworkState.of(sim)
        if state.day > 0:  # the orders of the day that reached each node (none before the first day)
            self.received = np.roll(self.received, -1, axis=2)
            self.received[:, :, -1] = state.orders_arrived
        orders = np.zeros((sim.batch, self.n_nodes, self.n_products), np.int64)
        transfers = np.zeros((sim.batch, len(self.network.transfer_lanes), self.n_products), np.int64)
        for i, rule in self.warehouse_rules.items():
            orders[:, i] = self._warehouse_units(sim, state, i, rule)
        name = self.name
        if name == "sterman":
            orders = np.where(self._free_column(), self._sterman(state), orders)
        elif name in ECHELON:
            orders = self._echelon(sim, state, orders)
        else:
            if name == "base-stock+transfers":
                transfers = self._transfers(state)
            position = state.position + self._transfer_effect(transfers)
            levels = self._levels(state, "cover", echelon=False)
            if name == "s-S":
                high = levels + np.maximum(np.rint(self._column("gap") * self._rates(state, echelon=False)), 1)
                wanted = np.where(position <= levels, high - position, 0)
            elif "smoothing" in self.parameters:  # proportional order-up-to (see the module docstring)
                rates = self._rates(state, echelon=False)
                wanted = np.maximum(np.rint(rates + (levels - position - rates) / self._column("smoothing")), 0)
            else:
                wanted = np.maximum(levels - position, 0)
            own = self._free_column() & ~self._warehouse_mask()
            orders = np.where(own, wanted, orders)
        return np.clip(orders, 0, MAX_ORDER_UNITS).astype(np.int64), transfers

    # -------------------------------------------------------------- parameters and rates
    def _column(self, key: str) -> np.ndarray:
        """Parameter ``key`` per node as ``(batch or 1, n_nodes, 1)`` (one value per node, or per row and node)."""
        value = np.asarray(self.parameters[key], np.float64)
        if value.ndim == 1:
            value = value[None]
        return value[:, :, None]

    def _free_column(self) -> np.ndarray:
        return np.array(self.free)[None, :, None]

    def _warehouse_mask(self) -> np.ndarray:
        return np.array([i in self.warehouse_rules for i in range(self.n_nodes)])[None, :, None]

    def _rates(self, state: NetworkState, echelon: bool) -> np.ndarray:
        """Each node's daily demand rate ``(batch, n_nodes, n)`` (see the module docstring)."""
        rates = np.zeros(state.stock.shape)
        own = state.mean_demand
        for i in range(self.n_nodes):
            if self.fixed[i] is not None:
                rates[:, i] = self.fixed[i]
            elif echelon:
                rates[:, i] = sum(own[:, k] for k in self.below[i] if self.customers[k])
            else:
                rates[:, i] = (own[:, i] if self.customers[i] else 0.0) + self.received[:, i].mean(axis=1)
        return rates

    def _levels(self, state: NetworkState, key: str, echelon: bool) -> np.ndarray:
        if "levels" in self.parameters:  # given levels in units (the optimum)
            return np.asarray(self.parameters["levels"], np.float64)[None, :, None]
        return np.rint(np.nan_to_num(self._column(key)) * self._rates(state, echelon))

    # -------------------------------------------------------------- the rules
    def _warehouse_units(self, sim: Networks, state: NetworkState, node: int, rule: Rule) -> np.ndarray:
        """``policies.rules``' units for a node on its own warehouse observation; what it has on order (and
        owes) counts with its stock. In fill mode the units split its gap."""
        warehouse = sim.nodes[node]
        observation = Observation.decode(warehouse.observe(), warehouse.config)
        observation = observation._replace(stock=state.net_stock[:, node] + state.on_order[:, node])
        units = rule.units(observation, Known.of(warehouse))
        if warehouse.config.order_mode == "fill":
            return largest_remainder(np.asarray(units, np.float64), np.maximum(warehouse.gap, 0))
        return np.rint(units)

    def _echelon(self, sim: Networks, state: NetworkState, orders: np.ndarray) -> np.ndarray:
        """Order up to each node's echelon level, bottom-up. A node's echelon position is the sum of the
        installation positions at and below it, in which an order on its way to its supplier counts for the
        node that placed it and not yet against its supplier: an order below the node raises its echelon
        position from the moment it is placed (today's, where they have an order delay) until the day it
        reaches its supplier, when it counts as arrived (it reaches it after today's decisions, before the
        shipping). That is the information of Chen-Zheng's equivalence, with which their levels reproduce
        their cost (``policies.serial_optimum``); an order without delay reaches its supplier at once, and
        its two counts cancel."""
        levels = self._levels(state, "cover", echelon=True)
        position = state.position
        placed = orders.copy()
        gaps = np.stack([warehouse.gap for warehouse in sim.nodes], axis=1)  # (batch, n_nodes)
        delayed = [lane.order_delay > 0 for lane in self.network.supply_lanes]
        for i in reversed(range(self.n_nodes)):
            if not self.free[i] or i in self.warehouse_rules:
                continue
            members = self.below[i]
            below = members[1:]
            echelon = sum(position[:, k] for k in members) - sum(state.reaching[:, k] for k in below)
            echelon = echelon + sum(placed[:, k] for k in below if delayed[k])
            order = np.maximum(levels[:, i] - echelon, 0)
            if self.n_products == 1:
                order = np.minimum(order, np.maximum(gaps[:, i : i + 1], 0))  # what the simulator accepts
            placed[:, i] = order
        return placed

    def _sterman(self, state: NetworkState) -> np.ndarray:
        """Sterman (1989)'s rule at every node: expected orders by exponential smoothing (θ) of the incoming
        orders (a retailer's: its customers' demand), then anchoring and adjustment of the stock and the supply
        line (what is in transit or on order)."""
        theta, alpha, beta = (self.parameters.get(key, STERMAN[key]) for key in ("theta", "alpha_s", "beta"))
        if state.day > 0:
            incoming = state.orders_arrived + state.demand
            self.expected = theta * incoming + (1 - theta) * self.expected
        desired = self.parameters.get("s_prime", STERMAN["s_prime"]) * self._demand_scale()
        supply_line = state.in_transit + state.on_order
        wanted = self.expected + alpha * (desired - state.net_stock - beta * supply_line)
        return np.maximum(np.rint(wanted), 0)

    def _demand_scale(self) -> float:
        """The network's mean customer demand over the beer game's 4 a week: S' in that proportion."""
        root = self.fixed[0]
        return 1.0 if not root else root / STERMAN_DEMAND

    def _transfers(self, state: NetworkState) -> np.ndarray:
        """On each transfer lane, what the receiver would lack, before an order placed today reaches it, below
        its mean demand plus ``z`` standard deviations (Poisson), out of what the sender holds beyond the same
        need of its own until its own order could arrive; lanes in file order, each one's units taken off."""
        network = self.network
        z = np.asarray(self.parameters["z"], np.float64)
        z = z[:, None] if z.ndim else z  # one per network: a number, or (batch, 1)
        rates = self._rates(state, echelon=False)
        cumulative = state.net_stock[:, :, None] + np.cumsum(state.arrivals, axis=2)  # [d - 1]: before day d's demand
        last = cumulative.shape[2] - 1
        batch = state.stock.shape[0]
        need = np.zeros(state.stock.shape)
        spare = np.zeros(state.stock.shape)
        for i in range(self.n_nodes):
            horizon = total_lead_time(network, i)
            inbound = [lane.lead_time for lane in network.transfer_lanes if network.index[lane.target] == i]
            short = np.zeros((batch, self.n_products))
            for d in range(min(inbound, default=horizon), horizon):  # days a transfer reaches and an order does not
                demand = rates[:, i] * d
                short = np.maximum(short, demand + z * np.sqrt(demand) - cumulative[:, i, min(d - 1, last)])
            need[:, i] = np.ceil(short)
            keep = np.full((batch, self.n_products), -np.inf)
            for d in range(1, max(horizon - 1, 1) + 1):  # its own days until an order placed today arrives
                demand = rates[:, i] * d
                keep = np.maximum(keep, demand + z * np.sqrt(demand) - cumulative[:, i, min(d - 1, last)])
            spare[:, i] = np.clip(np.floor(-keep), 0, state.stock[:, i])
        sends = np.zeros((state.stock.shape[0], len(network.transfer_lanes), self.n_products), np.int64)
        for k, lane in enumerate(network.transfer_lanes):
            source, target = network.index[lane.source], network.index[lane.target]
            if not self.free[target]:
                continue  # a fill-mode receiver orders its whole gap: a transfer finds no room
            units = np.minimum(need[:, target], spare[:, source]).astype(np.int64)
            sends[:, k] = units
            need[:, target] -= units
            spare[:, source] -= units
        return sends

    def _transfer_effect(self, sends: np.ndarray) -> np.ndarray:
        """What today's transfers do to each node's position: the sender's falls, the receiver's rises."""
        effect = np.zeros((sends.shape[0], self.n_nodes, self.n_products), np.int64)
        for k, lane in enumerate(self.network.transfer_lanes):
            effect[:, self.network.index[lane.source]] -= sends[:, k]
            effect[:, self.network.index[lane.target]] += sends[:, k]
        return effect


class SeatPolicy(NetworkPolicy):
    """``rule`` in one node (``seat``), ``co_players`` in the others: one seat among co-players."""

    def __init__(self, rule: NetworkPolicy, co_players: NetworkPolicy, seat: str):
        super().__init__(rule.network)
        self.rule, self.co_players, self.seat = rule, co_players, rule.network.index[seat]
        self.name = f"{rule.name} in the seat"

    def reset(self, sim: Networks) -> None:
        self.rule.reset(sim)
        self.co_players.reset(sim)

    def decide(self, sim: Networks) -> tuple[np.ndarray, np.ndarray]:
        own, transfers = self.rule.decide(sim)
        orders, _ = self.co_players.decide(sim)
        orders[:, self.seat] = own[:, self.seat]
        return orders, transfers


def with_rationing(network: NetworkConfig, rationing: str) -> NetworkConfig:
    """``network`` with ``rationing`` at every node that supplies two or more others."""
    nodes = tuple(
        dataclasses.replace(node, rationing=rationing) if len(network.children[i]) > 1 else node
        for i, node in enumerate(network.nodes)
    )
    return dataclasses.replace(network, nodes=nodes)


# ---------------------------------------------------------------------------- where each rule applies
def is_serial(network: NetworkConfig) -> bool:
    """One chain: a single node supplied by the outside supplier, no node supplying two."""
    roots = sum(parent is None for parent in network.parents)
    return roots == 1 and all(len(kids) <= 1 for kids in network.children)


def applicable(name: str, network: NetworkConfig) -> str | None:
    """None if rule ``name`` makes sense in ``network``, else why not (one line)."""
    free = [i for i, node in enumerate(network.nodes) if node.config.order_mode == "free"]
    if name not in RULES:
        raise ValueError(f"unknown network rule {name!r}; choose from {', '.join(RULES)}")
    if not free:
        return "every node orders its whole gap (order_mode = fill): there is no order size to decide"
    if name == "echelon-base-stock" and not any(network.children):
        return "no node supplies another: every node's echelon is the node itself (that is base-stock)"
    if name == "echelon-balanced" and not any(len(kids) > 1 for kids in network.children):
        return "no node supplies two others: a short parent has nobody to balance"
    if name == "s-S" and not _fixed_cost(network):
        return "ordering has no fixed cost (order_cost and shipment_cost are 0): s-S is base-stock"
    if name == "base-stock+transfers":
        if not network.transfer_lanes:
            return "the network has no transfer lanes"
        if all(
            network.nodes[network.index[lane.target]].config.order_mode == "fill" for lane in network.transfer_lanes
        ):
            return "every transfer lands at a warehouse that orders its whole gap (order_mode = fill): no room for it"
    if name == "sterman":
        if not is_serial(network) or network.n_products != 1 or len(free) < len(network.nodes):
            return "Sterman's rule was estimated on the beer game: a serial chain of one product, every order free"
        if any(node.config.unmet_demand != "backorder" for node in network.nodes if node.has_customers):
            return "Sterman's rule was estimated with backlogs: customers' unmet demand must be owed (backorder)"
    if name in WAREHOUSE_RULES:
        buying = [node for node in network.nodes if node.has_customers]
        if name == "newsvendor" and all(node.config.order_mode == "fill" for node in buying):
            return "the warehouses fill their gap (order_mode = fill): every rule splits it by the newsvendor rule"
        if any(node.config.unmet_demand == "backorder" for node in buying if node.config.order_mode == "free"):
            return "the single-warehouse rules weigh lost sales; here customers are backordered (use base-stock)"
        if name == "oracle":
            if not all(node.config.rates_known for node in buying):
                return "demand comes from a file: there are no hidden rates to know"
            if all(stated_rate(node.config) is not None for node in buying):
                return "the scenario states its demand rates: the oracle would know what the newsvendor rule knows"
    if name == "optimal":
        from inventory_rl.policies.network_optimum import serial_problem

        _, reason = serial_problem(network)
        return reason
    return None


def _fixed_cost(network: NetworkConfig) -> bool:
    nodes = any(node.config.order_cost > 0 for node in network.nodes if node.config.order_mode == "free")
    return nodes or any(lane.shipment_cost > 0 for lane in network.supply_lanes)


def untuned(name: str, network: NetworkConfig) -> dict[str, Any]:
    """Rule ``name``'s starting parameters: base-stock covers of the total lead time plus a day (echelon: the
    longest chain of total lead times below the node), an s-S gap of a day, transfers at the mean (z = 0)."""
    n = len(network.nodes)
    own = np.array([total_lead_time(network, i) + 1.0 for i in range(n)])
    chain = np.array([total_lead_time(network, i) for i in range(n)], np.float64)
    for i in reversed(range(n)):
        chain[i] += max((chain[kid] for kid in network.children[i]), default=0.0)
    values: dict[str, Any] = {}
    if name in TUNABLE:
        values["cover"] = chain + 1.0 if name.startswith("echelon") else own
    if name == "s-S":
        values["gap"] = np.ones(n)
    if name == "base-stock+transfers":
        values["z"] = 0.0
    return values


def make_network_rule(name: str, network: NetworkConfig, **parameters: Any) -> NetworkRule:
    """Rule ``name`` for ``network``; parameters not given take their untuned values (``untuned``).
    ``optimal`` takes the solver's levels. ``ValueError`` for an unknown rule or one that does not apply."""
    reason = applicable(name, network)
    if reason is not None:
        raise ValueError(f"{name}: {reason}")
    known = {*TUNABLE.get(name, ()), *OPTIONAL.get(name, ()), *(STERMAN if name == "sterman" else ())}
    unknown = set(parameters) - known
    if unknown:
        raise ValueError(f"{name} has no parameter {sorted(unknown)[0]!r}")
    values = {**untuned(name, network), **parameters}
    if name == "optimal":
        from inventory_rl.policies.network_optimum import serial_optimum

        values = {"levels": serial_optimum(network).node_levels}
    return NetworkRule(name, network, values)


def best_rule(costs: Mapping[str, np.ndarray]) -> str:
    """The cheapest of the played policies ``costs`` (cost per day per episode) that is a rule a decision maker
    could play: the yardstick an agent is judged against (not the oracle, not the optimum)."""
    return min((name for name in costs if name not in KNOWING), key=lambda name: costs[name].mean())


def bullwhip_ratio(orders: np.ndarray, demand: np.ndarray) -> float:
    """The variance of the orders a stage places over the variance of the customers' demand it serves, each
    over the days of a series (the last axis), pooled over any leading axes (episodes); nan without variance."""
    placed = np.asarray(orders, np.float64)
    asked = np.asarray(demand, np.float64)
    spread = float(np.mean(np.var(asked, axis=-1, ddof=1)))
    return float(np.mean(np.var(placed, axis=-1, ddof=1))) / spread if spread > 0 else math.nan


def describe(parameters: Mapping[str, Any], network: NetworkConfig) -> str:
    """``cover: factory 5.2, dc 3; z=0.5``: tuned values as reported."""
    parts = []
    for key, value in parameters.items():
        if np.ndim(value) == 1:
            shown = ", ".join(
                f"{name} {float(v):g}" for name, v in zip(network.names, value, strict=True) if not math.isnan(float(v))
            )
            parts.append(f"{key}: {shown}")
        else:
            parts.append(f"{key}={float(value):g}")
    return "; ".join(parts)


def parameter_sequence(values: Sequence[float]) -> list[float | None]:
    """A per-node parameter as JSON (nan, for nodes the rule does not set, as None)."""
    return [None if math.isnan(float(v)) else float(v) for v in values]
