"""The network simulator: a batch of networks of warehouses stepped as arrays.

``Networks(network, batch)`` holds ``batch`` copies of one ``NetworkConfig``. Each node is a
``world.warehouses.Warehouses`` of the batch (its day, demand, costs and reward are that class's,
not written again here); this module moves orders and stock between them. A one-node network
supplied by the outside supplier therefore plays exactly the episodes of ``InventoryEnv``.

## One day (``step_units``; ``step_fractions`` first turns the action into whole units)
Decisions are taken at the end of a day, after its demand, knowing what is listed below; one
step runs from them to the end of the next day:

1. **Decisions.** Every node places an order on its supply lane (cut to its gap: capacity minus
   stock, units in transit and units on order) and every transfer lane gets the units to send.
2. **Orders reach the suppliers.** An order travels ``order_delay`` days (0: it arrives at once).
3. **Shipping.** The outside supplier ships every order that reaches it (less what a partial
   shipment or a disrupted day withholds: that part is cancelled). A node ships from its stock
   what it owes its children and the orders that reached it; when it is short, ``rationing``
   splits its stock (``proportional`` to what each child asks; ``fifo``: what is owed from
   earlier days first, then the new orders, each tier proportionally; ``priority``: children by
   ``priority``, lower first; ``balanced``: the children's positions, stock + in transit - what they
   owe, after the shipment as equal as possible, none getting more than it asks, ties to the
   earlier child; ``decided``: part of the decision: whoever decides for the parent gives each child
   a ``claim`` that day, and the stock is split in proportion to claim x what the child asks, none
   getting more than it asks, what is left then split in proportion to what is still asked; equal
   claims, or none, split it as ``proportional`` does). A lane's ``capacity`` caps its units a
   day. What is not shipped is owed and shipped first later (``owed = "backorder"``) or
   cancelled (``owed = "cancel"``). Then each transfer lane sends what its sender still has, up
   to what was asked and what the receiver has room for (its gap, less what it ordered today).
   A shipment on a lane with lead time L is on the receiving shelf before the demand of the
   day L days later (L = 1: before the next day's demand).
4. **The next day** (each node, ``Warehouses.advance``): arrivals go on the shelf; customers'
   demand is served, what is owed to customers first; the rest is lost or owed
   (``unmet_demand``).
5. **Costs**, per node: holding on the stock kept overnight (for a node that ships, after its
   shipments left, i.e. counted in the step that ships), lost sales, backorders owed at the end
   of the day, ordering and purchase, as ``Warehouses`` counts them; a node's ``backorder_cost``
   also on the units it owes its children at the end of the day (``owed``); plus each lane's shipping
   cost (per unit and per shipment, charged to the node that decided the shipment: the receiver
   of a supply lane, the sender of a transfer) and, with ``transit_holding``, units in transit
   at the shipping node's holding cost, charged for the whole trip when a shipment leaves
   (units x lead time x rate; the outside supplier's rate is 0).

## What a decision maker has seen when it decides
Its own stock, what it owes its customers, what is on its way to it (shipped, by arrival day)
and on order (placed, not shipped), what it owes its children, the orders that reached it that
day, and its customers' demand up to that day. A central planner sees all of it for every node.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inventory_rl.world.network import NetworkConfig
from inventory_rl.world.warehouses import MAX_ORDER_UNITS, Day, Orders, Warehouses, largest_remainder

NETWORK_COSTS = ("shipping", "transit_holding", "owed")  # a node's costs that only a network has


@dataclass(slots=True)
class NetworkDay:
    """What one step did to every network of a batch: a ``Day`` per node, and what moved between them.

    Per-lane arrays are ``(batch, n_products)``, in the order of ``NetworkConfig.supply_lanes``
    (one per node) and ``transfer_lanes``; per-node totals are ``(batch,)``."""

    day: int
    nodes: list[Day]
    ordered: list[np.ndarray]  # accepted orders placed on each supply lane
    arrived: list[np.ndarray]  # orders that reached each lane's supplier
    shipped: list[np.ndarray]  # units each supply lane carried
    owed: list[np.ndarray]  # units each lane's supplier owes the node after shipping
    cancelled: list[np.ndarray]  # units of orders cancelled (not shipped and not owed)
    transferred: list[np.ndarray]  # units each transfer lane carried
    network_costs: list[dict[str, np.ndarray]]  # each node's costs beside its warehouse's (NETWORK_COSTS), (batch,)
    costs: list[np.ndarray]  # each node's cost of the day: its warehouse's cost parts and its network costs
    rewards: list[np.ndarray]  # each node's reward: its warehouse's reward minus its network costs
    reward: np.ndarray  # the network's: the sum of the nodes'


class Networks:
    """A batch of networks of one ``NetworkConfig`` (see the module docstring)."""

    def __init__(self, network: NetworkConfig, batch: int):
        self.network = network
        self.batch = batch
        self.nodes = [Warehouses(node.config, batch) for node in network.nodes]
        for warehouse in self.nodes:
            warehouse.networked = True
        self.lanes = network.supply_lanes
        self.transfers = network.transfer_lanes
        self.parents = network.parents
        self.children = network.children
        self._transfer_ends = [(network.index[lane.source], network.index[lane.target]) for lane in self.transfers]
        senders = {source for source, _ in self._transfer_ends}
        self.shippers = [bool(self.children[node]) or node in senders for node in range(len(self.nodes))]
        self.order_pipes: list[np.ndarray] = []  # per supply lane (batch, order_delay + 1, n): slot 0 arrives today
        self.owed: list[np.ndarray] = []  # per supply lane (batch, n): what its supplier owes the node
        self.arrived: list[np.ndarray] = []  # per supply lane (batch, n): orders that reached the supplier today
        self._new_lane_arrays()
        self.day = 0

    # ------------------------------------------------------------------ episodes
    def reset(self, rngs: Sequence[np.random.Generator]) -> None:
        """A new episode in every network; each draws its nodes' episodes, parents first, from its generator."""
        for warehouse in self.nodes:
            warehouse.reset(rngs)
        self._new_lane_arrays()  # not zeroed in place: the last episode's infos may still hold views of them
        for warehouse, lane, pipe in zip(self.nodes, self.lanes, self.order_pipes, strict=True):
            pipe[:, : lane.order_delay] = lane.initial_orders  # orders on their way to the supplier
            # shipments on their way here, arriving on days 1 .. lead_time - 1: day lead_time's arrivals are
            # what the first step ships (a lead time of 1 leaves nothing in transit at the start)
            warehouse.pipeline[:, : lane.lead_time - 1] = lane.initial_in_transit
            warehouse.on_order = pipe.sum(axis=1)
            warehouse.transit_total = warehouse.pipeline.sum(axis=(1, 2))
            warehouse.gap = warehouse.gap - warehouse.transit_total - warehouse.on_order.sum(axis=1)
        self.day = 0

    def _new_lane_arrays(self) -> None:
        n = self.network.n_products
        self.order_pipes = [np.zeros((self.batch, lane.order_delay + 1, n), np.int64) for lane in self.lanes]
        self.owed = [np.zeros((self.batch, n), np.int64) for _ in self.lanes]
        self.arrived = [np.zeros((self.batch, n), np.int64) for _ in self.lanes]

    # ------------------------------------------------------------------ what is known
    def owed_to_children(self, node: int) -> np.ndarray:
        """Units node ``node`` owes its children, per product ``(batch, n)``."""
        return sum(
            (self.owed[child] for child in self.children[node]),
            np.zeros((self.batch, self.network.n_products), np.int64),
        )

    def orders_arrived(self, node: int) -> np.ndarray:
        """The orders of node ``node``'s children that reached it today, per product ``(batch, n)``."""
        return sum(
            (self.arrived[child] for child in self.children[node]),
            np.zeros((self.batch, self.network.n_products), np.int64),
        )

    # ------------------------------------------------------------------ the day
    def step_fractions(self, actions: np.ndarray) -> NetworkDay:
        """One day with every decision as env actions ``(batch, action_size)``: each node's own env
        action (``Warehouses.orders_from_fractions``: fractions of its gap), in node order, then for
        each transfer lane the share of the sender's stock to send, per product (floored), then for each
        of the network's ``claimants`` (nodes whose parent rations as decided) its claim at its parent, per product."""
        actions = np.asarray(actions, np.float64)
        n = self.network.n_products
        sizes = [node.config.action_size for node in self.network.nodes]
        claimants = self.network.claimants  # nodes whose parent splits short stock by their claims
        expected = (self.batch, sum(sizes) + (len(self.transfers) + len(claimants)) * n)
        if actions.shape != expected:
            raise ValueError(f"actions must have shape {expected}, got {actions.shape}")
        bounds = np.cumsum([0, *sizes])
        orders = [
            warehouse.orders_from_fractions(actions[:, bounds[i] : bounds[i + 1]])
            for i, warehouse in enumerate(self.nodes)
        ]
        tail = np.clip(actions[:, bounds[-1] :].reshape(self.batch, -1, n), 0, 1)
        sends = [
            (tail[:, k] * self.nodes[source].stock).astype(np.int64)
            for k, (source, _) in enumerate(self._transfer_ends)
        ]
        claims = np.zeros((self.batch, len(self.nodes), n))
        claims[:, claimants] = tail[:, len(self.transfers) :]
        return self._advance(orders, sends, claims)

    def step_units(
        self, orders: np.ndarray, transfers: np.ndarray | None = None, claims: np.ndarray | None = None
    ) -> NetworkDay:
        """One day with whole units: ``orders`` ``(batch, n_nodes, n_products)`` on the supply lanes (cut
        to each node's gap, as ``Warehouses.step_units`` does) and ``transfers`` ``(batch, n_transfers,
        n_products)`` (cut to what the sender has), and where a parent's rationing is ``decided`` each
        node's ``claims`` at its parent ``(batch, n_nodes, n_products)``, numbers of at least 0 (read only
        for the ``claimants``; none given: 0, a proportional split). ``ValueError`` for negative, fractional or
        absurd units and for negative or non-finite claims."""
        n = self.network.n_products
        shape = (self.batch, len(self.nodes), n)
        claims = np.zeros(shape) if claims is None else np.asarray(claims, np.float64)
        if claims.shape != shape:
            raise ValueError(f"claims must have shape {shape}, got {claims.shape}")
        if not np.isfinite(claims).all() or (claims < 0).any():
            raise ValueError(f"claims must be finite numbers of at least 0, got {claims}")
        orders = np.asarray(orders, np.float64)
        if orders.shape != (self.batch, len(self.nodes), n):
            raise ValueError(f"orders must have shape {(self.batch, len(self.nodes), n)}, got {orders.shape}")
        transfers = (
            np.zeros((self.batch, len(self.transfers), n)) if transfers is None else np.asarray(transfers, np.float64)
        )
        if transfers.shape != (self.batch, len(self.transfers), n):
            raise ValueError(f"transfers must have shape {(self.batch, len(self.transfers), n)}, got {transfers.shape}")
        _check_units(transfers, "transfers")
        placed = [warehouse.orders_from_units(orders[:, i]) for i, warehouse in enumerate(self.nodes)]
        return self._advance(placed, list(transfers.astype(np.int64).transpose(1, 0, 2)), claims)

    def _advance(self, orders: Sequence[Orders], sends: Sequence[np.ndarray], claims: np.ndarray) -> NetworkDay:
        if not self.nodes[0].started:
            raise RuntimeError("call reset() before step()")
        if self.day >= self.network.episode_days:
            raise RuntimeError("the episode is over: call reset() before step()")
        day = self.day
        rate = [node.config.holding_cost for node in self.network.nodes]
        extra = [{name: np.zeros(self.batch) for name in NETWORK_COSTS} for _ in self.nodes]
        for i, (_, _, accepted, _) in enumerate(orders):  # orders set off; those without delay arrive at once
            pipe = self.order_pipes[i]
            pipe[:, -1] += accepted
            self.nodes[i].on_order += accepted
            self.arrived[i] = pipe[:, 0].copy()
            pipe[:, :-1] = pipe[:, 1:]
            pipe[:, -1] = 0
        shipped, cancelled = self._ship(day, claims)
        for i, units in enumerate(shipped):  # shipments on their way
            warehouse, lane = self.nodes[i], self.lanes[i]
            warehouse.on_order -= units + cancelled[i]
            warehouse.put_in_transit(units, day)
            warehouse.transit_total = warehouse.transit_total + units.sum(axis=1)
            warehouse.inbound = units
            extra[i]["shipping"] += _lane_cost(lane.unit_cost, lane.shipment_cost, units)
            if self.network.transit_holding and self.parents[i] is not None:
                extra[i]["transit_holding"] += rate[self.parents[i]] * _lead_days(warehouse, units, day)
        transferred = []
        free = [warehouse.gap - placed[3] for warehouse, placed in zip(self.nodes, orders, strict=True)]
        for k, ((source, target), lane) in enumerate(zip(self._transfer_ends, self.transfers, strict=True)):
            sender, receiver = self.nodes[source], self.nodes[target]
            units = np.minimum(np.maximum(sends[k], 0), sender.stock)
            units = _cap(units, np.minimum(free[target], lane.capacity or MAX_ORDER_UNITS))  # its room and the lane's
            free[target] = free[target] - units.sum(axis=1)
            _release(sender, units)
            receiver.put_in_transit(units, day, lane.lead_time)
            receiver.transit_total = receiver.transit_total + units.sum(axis=1)
            transferred.append(units)
            extra[source]["shipping"] += _lane_cost(lane.unit_cost, lane.shipment_cost, units)
            if self.network.transit_holding:
                extra[source]["transit_holding"] += rate[source] * lane.lead_time * units.sum(axis=1)
        for node, kids in enumerate(self.children):  # what a node still owes its children tonight
            if kids:
                owed = sum(self.owed[child].sum(axis=1) for child in kids)
                extra[node]["owed"] += self.network.nodes[node].config.backorder_cost * owed
        for i, warehouse in enumerate(self.nodes):  # what a shipping node keeps overnight, after it shipped
            warehouse.night_stock = warehouse.stock.copy() if self.shippers[i] else None
        days = [warehouse.advance(*placed) for warehouse, placed in zip(self.nodes, orders, strict=True)]
        self.day = day + 1
        network_costs = [functools.reduce(operator.add, parts.values()) for parts in extra]
        costs = [_cost(node_day) + network_costs[i] for i, node_day in enumerate(days)]
        rewards = [node_day.reward - network_costs[i] for i, node_day in enumerate(days)]
        return NetworkDay(
            day=self.day,
            nodes=days,
            ordered=[accepted for _, _, accepted, _ in orders],
            arrived=[arrived.copy() for arrived in self.arrived],
            shipped=shipped,
            owed=[owed.copy() for owed in self.owed],
            cancelled=cancelled,
            transferred=transferred,
            network_costs=extra,
            costs=costs,
            rewards=rewards,
            reward=functools.reduce(operator.add, rewards),
        )

    def _ship(self, day: int, claims: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """What each supply lane ships today and what of its orders is cancelled (see the module docstring);
        ``claims`` ``(batch, n_nodes, n)``: each node's claim at a parent that rations as decided."""
        shipped: list[np.ndarray] = [np.zeros_like(owed) for owed in self.owed]
        cancelled: list[np.ndarray] = [np.zeros_like(owed) for owed in self.owed]
        for i, parent in enumerate(self.parents):  # the outside supplier ships what reaches it
            if parent is None:
                units = self.nodes[i].supplier_ships(self.arrived[i], day)
                if self.lanes[i].capacity:
                    units = _cap(units, self.lanes[i].capacity)
                shipped[i], cancelled[i] = units, self.arrived[i] - units
        for node, kids in enumerate(self.children):
            if not kids:
                continue
            spec, warehouse = self.network.nodes[node], self.nodes[node]
            owed = np.stack([self.owed[child] for child in kids], axis=1)  # (batch, kids, n)
            new = np.stack([self.arrived[child] for child in kids], axis=1)
            positions = self._positions(kids) if spec.rationing == "balanced" else None
            priorities = [self.network.nodes[c].priority for c in kids]
            units = _ration(warehouse.stock, owed, new, spec.rationing, priorities, positions, claims[:, kids])
            for position, child in enumerate(kids):
                if self.lanes[child].capacity:
                    units[:, position] = _cap(units[:, position], self.lanes[child].capacity)
            _release(warehouse, units.sum(axis=1))
            for position, child in enumerate(kids):
                left = owed[:, position] + new[:, position] - units[:, position]
                shipped[child] = units[:, position]
                if spec.owed == "cancel":
                    cancelled[child], self.owed[child] = left, np.zeros_like(left)
                else:
                    self.owed[child] = left
        return shipped, cancelled

    def _positions(self, kids: Sequence[int]) -> np.ndarray:
        """What balanced rationing equalises, ``(batch, kids, n)``: each child's stock plus units in transit
        to it, less what it owes its customers and its own children (its orders not yet shipped left out)."""
        return np.stack(
            [
                self.nodes[kid].stock
                + self.nodes[kid].pipeline.sum(axis=1)
                - self.nodes[kid].backlog
                - self.owed_to_children(kid)
                for kid in kids
            ],
            axis=1,
        )


def _check_units(units: np.ndarray, name: str) -> None:
    if not np.isfinite(units).all() or (units < 0).any() or (units != np.round(units)).any():
        raise ValueError(f"{name} must be whole numbers of at least 0, got {units}")
    if (units > MAX_ORDER_UNITS).any():
        raise ValueError(f"{name} must be at most {MAX_ORDER_UNITS} per product, got {units}")


def _release(warehouse: Warehouses, units: np.ndarray) -> None:
    """Take shipped units, per product ``(batch, n)``, off a warehouse's shelf."""
    warehouse.stock = warehouse.stock - units
    warehouse.stock_total = warehouse.stock_total - units.sum(axis=1)


def _ration(
    stock: np.ndarray,
    owed: np.ndarray,
    new: np.ndarray,
    rule: str,
    priorities: Sequence[int],
    positions: np.ndarray | None = None,
    claims: np.ndarray | None = None,
) -> np.ndarray:
    """Units for each child ``(batch, kids, n)`` from ``stock`` ``(batch, n)``: everything asked where it
    suffices, else split by ``rule`` (see the module docstring; ``balanced`` needs the children's ``positions``,
    ``decided`` their ``claims``)."""
    if rule == "balanced":
        return _balanced(stock, owed + new, positions)
    if rule == "decided":
        return _claimed(stock, owed + new, claims)
    if rule == "fifo":
        first = _proportional(stock, owed)
        return first + _proportional(stock - first.sum(axis=1), new)
    asked = owed + new
    if rule == "priority":
        units, left = np.zeros_like(asked), stock.copy()
        for position in sorted(range(asked.shape[1]), key=lambda kid: (priorities[kid], kid)):
            units[:, position] = np.minimum(asked[:, position], left)
            left = left - units[:, position]
        return units
    return _proportional(stock, asked)


def _proportional(available: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """``asked`` ``(batch, kids, n)`` where ``available`` ``(batch, n)`` covers it, else ``available`` split in
    proportion to it (largest remainders, per product)."""
    short = asked.sum(axis=1) > available
    if not short.any():
        return asked.copy()
    units = asked.copy()
    batch_index, product = np.nonzero(short)
    weights = asked[batch_index, :, product].astype(np.float64)  # (rows, kids)
    units[batch_index, :, product] = largest_remainder(weights, available[batch_index, product])
    return units


def _claimed(available: np.ndarray, asked: np.ndarray, claims: np.ndarray) -> np.ndarray:
    """``asked`` ``(batch, kids, n)`` where ``available`` ``(batch, n)`` covers it, else ``available`` split in
    proportion to ``claims`` x ``asked`` (largest remainders), none given more than it asks, and what that leaves
    split in proportion to what is still asked (so every unit ships while someone asks for it; equal claims, or
    all 0: the proportional split)."""
    short = asked.sum(axis=1) > available
    if not short.any():
        return asked.copy()
    units = asked.copy()
    batch_index, product = np.nonzero(short)
    ask, have = asked[batch_index, :, product], available[batch_index, product]
    weights = claims[batch_index, :, product] * ask  # (rows, kids)
    given = np.where(weights.sum(axis=1, keepdims=True) > 0, np.minimum(largest_remainder(weights, have), ask), 0)
    left = have - given.sum(axis=1)
    units[batch_index, :, product] = given + _proportional(left[:, None], (ask - given)[:, :, None])[:, :, 0]
    return units


def _balanced(available: np.ndarray, asked: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``asked`` ``(batch, kids, n)`` where ``available`` ``(batch, n)`` covers it, else water-filling: the
    largest whole level λ with sum_k clip(λ - position_k, 0, asked_k) <= available, each child raised
    towards it, and the units left over one each to the children that would take one more at λ + 1,
    earlier children first."""
    short = asked.sum(axis=1) > available
    if not short.any():
        return asked.copy()
    units = asked.copy()
    batch_index, product = np.nonzero(short)
    ask = asked[batch_index, :, product]  # (rows, kids)
    position = positions[batch_index, :, product]
    have = available[batch_index, product]
    low, high = position.min(axis=1), (position + ask).max(axis=1)  # f(low) = 0 <= have < f(high)
    while (high - low > 1).any():  # invariant: f(low) <= have < f(high)
        middle = (low + high) // 2
        fits = np.clip(middle[:, None] - position, 0, ask).sum(axis=1) <= have
        low, high = np.where(fits, middle, low), np.where(fits, high, middle)
    given = np.clip(low[:, None] - position, 0, ask)
    more = np.clip(low[:, None] + 1 - position, 0, ask) > given  # would take one more unit at the next level
    left = have - given.sum(axis=1)
    given = given + (more & (np.cumsum(more, axis=1) <= left[:, None]))
    units[batch_index, :, product] = given
    return units


def _cap(units: np.ndarray, capacity: int | np.ndarray) -> np.ndarray:
    """``units`` ``(batch, n)`` cut in proportion (largest remainders) where their total exceeds ``capacity``
    (a number, or one per network)."""
    capacity = np.broadcast_to(capacity, units.shape[:1])
    over = units.sum(axis=1) > capacity
    if not over.any():
        return units
    units = units.copy()
    units[over] = largest_remainder(units[over], np.maximum(capacity[over], 0))
    return units


def _lane_cost(unit_cost: float, shipment_cost: float, units: np.ndarray) -> np.ndarray:
    """A lane's shipping cost of a day: per unit, and per shipment (a day it carries anything)."""
    total = units.sum(axis=1)
    return unit_cost * total + shipment_cost * (total > 0)


def _lead_days(warehouse: Warehouses, units: np.ndarray, day: int) -> np.ndarray:
    """Unit-days in transit of today's shipment to ``warehouse``: units times each one's lead time."""
    config = warehouse.config
    if config.lead_time_max > config.lead_time:
        return (units * warehouse.lead_times[:, day]).sum(axis=1)
    return config.lead_time * units.sum(axis=1)


def _cost(day: Day) -> np.ndarray:
    """A node's cost of the day from its ``Day``: every cost part, every product (0 without costs)."""
    if not day.cost_parts:
        return np.zeros(len(day.reward))
    return functools.reduce(operator.add, (part.sum(axis=1) for part in day.cost_parts.values()))
