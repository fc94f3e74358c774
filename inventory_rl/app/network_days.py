"""One episode of a network of warehouses, day by day, as the dashboard shows it, without Streamlit.

``NetworkTrace`` holds what each node and lane did every day of one episode (of one seed) played by
one network policy (``play_trace``), or by a person and co-players (``app.beer_game``, which feeds a
``TraceRecorder`` week by week). From it: the summary of several policies on the same demand
(``summary_table``), the per-node frames of the charts (``node_frame``), the bullwhip panels
(``bullwhip_panels``: each stage's orders above the customers' demand, with its variance ratio), and
the network's diagram of one day in Graphviz's DOT language (``diagram_dot``), which
``st.graphviz_chart`` draws in the browser (no Graphviz install needed).

Days are counted from 1; row 0 of every array is the start of the episode (states as the episode
begins, flows 0), so ``trace.stock[day]`` is the stock at the end of ``day``. Every figure is summed
over the products.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from inventory_rl.evaluation.episodes import generators
from inventory_rl.policies.network_rules import NetworkPolicy, bullwhip_ratio
from inventory_rl.world.network import SUPPLIER, NetworkConfig
from inventory_rl.world.networks import NetworkDay, Networks

STATES = ("stock", "backorders", "owed", "in_transit", "on_order")  # at the end of each day
FLOWS = ("demand", "unserved", "sales", "ordered", "incoming", "received", "shipped_in", "cost")  # during each day
MEASURES = {  # the per-node charts: measure -> (title, what it is)
    "stock": ("Stock", "units on the shelf at the end of the day"),
    "backlog": ("Backorders", "units owed to customers and to the nodes below, at the end of the day"),
    "ordered": ("Orders placed", "units ordered from the supplier that day"),
    "orders_received": ("Orders received", "units the nodes below (or the customers) asked for that day"),
    "received": ("Shipments received", "units put on the shelf that day"),
    "on_the_way": ("On the way", "units ordered and not yet received: on order and in transit"),
}
DEMAND_SERIES = "customer demand"


@dataclass(frozen=True)
class NetworkTrace:
    """One played episode of a network, day by day (see the module docstring): per-node arrays
    ``(days + 1, n_nodes)`` and per transfer lane ``transfers`` ``(days + 1, n_transfers)``.

    ``backorders`` are owed to customers, ``owed`` to the nodes below; ``in_transit`` is shipped and on
    its way to the node, ``on_order`` ordered and not shipped yet; ``unserved`` the units of the day's
    customer demand not served that day; ``incoming`` the orders of the nodes below that reached the
    node; ``shipped_in`` what its supply lane carried that day; ``cost`` the node's cost of the day."""

    name: str
    seed: int
    network: NetworkConfig
    stock: np.ndarray
    backorders: np.ndarray
    owed: np.ndarray
    in_transit: np.ndarray
    on_order: np.ndarray
    demand: np.ndarray
    unserved: np.ndarray
    sales: np.ndarray
    ordered: np.ndarray
    incoming: np.ndarray
    received: np.ndarray
    shipped_in: np.ndarray
    cost: np.ndarray
    transfers: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))

    @property
    def days(self) -> int:
        """Days played."""
        return len(self.stock) - 1

    @property
    def orders_received(self) -> np.ndarray:
        """What each node was asked for each day: the orders of the nodes below that reached it, and
        its customers' demand (a retailer's incoming orders are its customers')."""
        return self.incoming + self.demand

    @property
    def backlog(self) -> np.ndarray:
        """What each node owes at the end of each day: to its customers and to the nodes below."""
        return self.backorders + self.owed

    @property
    def on_the_way(self) -> np.ndarray:
        """What each node has ordered and not yet received: on order (not shipped) and in transit."""
        return self.on_order + self.in_transit

    @property
    def demand_below(self) -> np.ndarray:
        """The customers' demand each node serves, its own and its subtree's ``(days + 1, n_nodes)``."""
        return np.stack([self.demand[:, members].sum(axis=1) for members in self.network.subtrees], axis=1)

    @property
    def customer_demand(self) -> np.ndarray:
        """The customers' demand of the whole network each day ``(days + 1,)``."""
        return self.demand.sum(axis=1)

    def total_cost(self, node: int | None = None) -> float:
        """The cost of the days played: the network's, or node ``node``'s."""
        costs = self.cost[1:]
        return float(costs.sum() if node is None else costs[:, node].sum())

    def cost_per_day(self, node: int | None = None) -> float:
        """``total_cost`` per day played (0 before the first)."""
        return self.total_cost(node) / self.days if self.days else 0.0

    def fill_rate(self) -> float:
        """The share of the customers' demand served the day it came (1 without demand)."""
        demand = float(self.demand[1:].sum())
        return 1.0 - float(self.unserved[1:].sum()) / demand if demand else 1.0

    def bullwhip(self) -> dict[str, float]:
        """Each node's bullwhip ratio over the days played: the variance of its daily orders over the
        variance of the customers' demand it serves (``network_rules.bullwhip_ratio``; nan where the
        demand does not vary, or before two days)."""
        if self.days < 2:
            return {name: math.nan for name in self.network.names}
        below = self.demand_below[1:]
        return {name: bullwhip_ratio(self.ordered[1:, i], below[:, i]) for i, name in enumerate(self.network.names)}


class TraceRecorder:
    """Gathers a ``NetworkTrace`` day by day from the simulator (network ``index`` of its batch)."""

    def __init__(self, sim: Networks, index: int = 0) -> None:
        self.sim, self.index = sim, index
        self.rows: list[dict[str, np.ndarray]] = []
        self.transfers: list[np.ndarray] = []
        self.add_start()

    def _states(self) -> dict[str, np.ndarray]:
        sim, k = self.sim, self.index
        return {
            "stock": np.array([warehouse.stock[k].sum() for warehouse in sim.nodes]),
            "backorders": np.array([warehouse.backlog[k].sum() for warehouse in sim.nodes]),
            "owed": np.array([sim.owed_to_children(i)[k].sum() for i in range(len(sim.nodes))]),
            "in_transit": np.array([warehouse.pipeline[k].sum() for warehouse in sim.nodes]),
            "on_order": np.array([warehouse.on_order[k].sum() for warehouse in sim.nodes]),
        }

    def add_start(self) -> None:
        """Row 0: the states as the episode starts, no flows."""
        nodes = len(self.sim.nodes)
        self.rows = [{**self._states(), **{name: np.zeros(nodes) for name in FLOWS}}]
        self.transfers = [np.zeros(len(self.sim.transfers))]

    def add(self, day: NetworkDay) -> None:
        """The day ``sim`` has just played (``Networks.step_units`` returned ``day``)."""
        k, children = self.index, self.sim.children
        flows = {
            "demand": np.array([node.demand[k].sum() for node in day.nodes]),
            "unserved": np.array([float(np.asarray(node.total_lost)[k]) for node in day.nodes]),
            "sales": np.array([node.sales[k].sum() for node in day.nodes]),
            "ordered": np.array([units[k].sum() for units in day.ordered]),
            "incoming": np.array([sum(day.arrived[child][k].sum() for child in kids) for kids in children]),
            "received": np.array([node.received[k].sum() for node in day.nodes]),
            "shipped_in": np.array([units[k].sum() for units in day.shipped]),
            "cost": np.array([float(cost[k]) for cost in day.costs]),
        }
        self.rows.append({**self._states(), **flows})
        self.transfers.append(np.array([units[k].sum() for units in day.transferred]))

    def trace(self, name: str, seed: int) -> NetworkTrace:
        """The days recorded so far as a trace."""
        arrays = {key: np.array([row[key] for row in self.rows], np.float64) for key in (*STATES, *FLOWS)}
        transfers = np.array(self.transfers, np.float64).reshape(len(self.rows), len(self.sim.transfers))
        return NetworkTrace(name, seed, self.sim.network, transfers=transfers, **arrays)


def play_trace(policy: NetworkPolicy, seed: int, name: str | None = None) -> NetworkTrace:
    """One episode of ``policy`` on its network with ``seed``: the demand ``play_network`` and
    ``InventoryNetworkEnv.reset(seed=seed)`` draw for it, so every policy faces the same days."""
    sim = Networks(policy.network, 1)
    sim.reset(generators([seed]))
    policy.reset(sim)
    recorder = TraceRecorder(sim)
    for _ in range(policy.network.episode_days):
        orders, transfers = policy.decide(sim)
        recorder.add(sim.step_units(orders, transfers, policy.claims))
    return recorder.trace(name or policy.name, seed)


# ---------------------------------------------------------------------------- tables and frames
def ratio_text(value: float) -> str:
    """A bullwhip ratio as shown: ``3.2×``, or ``–`` where it is undefined."""
    return "–" if value is None or math.isnan(value) else f"{value:.2f}×"


def summary_table(traces: Mapping[str, NetworkTrace]) -> pd.DataFrame:
    """One row per policy: the network's cost per day, the customers' fill rate, what they are owed
    per day, each node's cost per day and each node's bullwhip ratio."""
    rows = {}
    for label, trace in traces.items():
        names = trace.network.names
        row = {
            "cost / day": f"{trace.cost_per_day():,.2f}",
            "fill rate": f"{100 * trace.fill_rate():.1f}%",
            "backorders / day": f"{trace.backorders[1:].sum() / max(trace.days, 1):,.2f}",
        }
        row.update({f"{name}: cost / day": f"{trace.cost_per_day(i):,.2f}" for i, name in enumerate(names)})
        ratios = trace.bullwhip()
        row["bullwhip (" + ", ".join(names) + ")"] = " ".join(ratio_text(ratios[name]) for name in names)
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def node_frame(trace: NetworkTrace, measures: Sequence[str] = tuple(MEASURES)) -> pd.DataFrame:
    """Long frame (day, node, measure, units) of ``measures`` (``MEASURES``' keys) for days 1 .. end."""
    days = np.arange(1, trace.days + 1)
    parts = []
    for measure in measures:
        values = getattr(trace, measure)[1:]
        for i, name in enumerate(trace.network.names):
            parts.append(pd.DataFrame({"day": days, "node": name, "measure": measure, "units": values[:, i]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["day", "node", "measure", "units"])


@dataclass(frozen=True)
class BullwhipPanel:
    """One row of the bullwhip chart: a stage's orders each day (or the customers' demand), and its
    variance ratio to the demand it serves (None for the demand itself)."""

    label: str
    values: np.ndarray  # per day, from day 1
    ratio: float | None

    @property
    def title(self) -> str:
        """``wholesaler: orders, variance 3.20× the demand's``, or the demand's own title."""
        if self.ratio is None:
            return f"{self.label}: what the customers asked for"
        return f"{self.label}: orders, variance {ratio_text(self.ratio)} the demand's"


def bullwhip_panels(trace: NetworkTrace, labels: Mapping[str, str] | None = None) -> list[BullwhipPanel]:
    """The bullwhip chart's rows, top to bottom: each stage's orders, upstream first (the network's
    node order: parents first), then the customers' demand. ``labels`` renames stages (``you
    (wholesaler)``)."""
    labels = labels or {}
    ratios = trace.bullwhip()
    panels = [
        BullwhipPanel(labels.get(name, name), trace.ordered[1:, i], ratios[name])
        for i, name in enumerate(trace.network.names)
    ]
    panels.append(BullwhipPanel(DEMAND_SERIES, trace.customer_demand[1:], None))
    return panels


def cumulative_costs(traces: Mapping[str, NetworkTrace]) -> dict[str, np.ndarray]:
    """Each policy's network cost summed up to each day, from day 1."""
    return {label: np.cumsum(trace.cost[1:].sum(axis=1)) for label, trace in traces.items()}


def day_table(trace: NetworkTrace, day: int) -> pd.DataFrame:
    """One row per node: what it holds, owes and has on its way at the end of ``day``, and what it was
    asked for, received, ordered and paid that day."""
    columns = {
        "stock": trace.stock,
        "backorders": trace.backlog,
        "in transit": trace.in_transit,
        "on order": trace.on_order,
        "orders received": trace.orders_received,
        "shipment received": trace.received,
        "ordered": trace.ordered,
    }
    frame = pd.DataFrame({name: values[day].round().astype(int) for name, values in columns.items()})
    frame["cost"] = [f"{cost:,.2f}" for cost in trace.cost[day]]
    frame.index = list(trace.network.names)
    return frame


# ---------------------------------------------------------------------------- the diagram
NODE_FILL, SHORT_FILL, EDGE_COLOR, TRANSFER_COLOR = "#eaf1fb", "#fde2e1", "#4c78a8", "#b279a2"


def _units(value: float) -> str:
    return f"{round(value):,}"


def _node_label(trace: NetworkTrace, node: int, day: int) -> str:
    """A node's HTML-like label: its name, stock and backorders, what is on its way."""
    name = html.escape(trace.network.names[node])
    stock, owed = trace.stock[day, node], trace.backlog[day, node]
    transit, on_order = trace.in_transit[day, node], trace.on_order[day, node]
    lines = [
        f"<b>{name}</b>",
        f"stock {_units(stock)} · backorders {_units(owed)}",
        f"in transit {_units(transit)} · on order {_units(on_order)}",
    ]
    if day > 0:
        lines.append(f"ordered {_units(trace.ordered[day, node])} · cost {trace.cost[day, node]:,.2f}")
    return "<" + "<br/>".join(lines) + ">"


def diagram_dot(trace: NetworkTrace, day: int, rankdir: str = "TB") -> str:
    """The network at the end of ``day`` (0: as the episode starts) in Graphviz's DOT language: each
    node with its stock, backorders and what is on its way to it (in transit, on order), red where it
    owes anything; each supply lane with what it shipped that day and carries (in transit), dashed
    transfer lanes with what they sent; the customers with their demand and what they got. ``rankdir``:
    Graphviz's direction, top to bottom by default (a chain stays narrow enough to read beside a table)."""
    network = trace.network
    lines = [
        "digraph network {",
        f'  graph [rankdir={rankdir}, bgcolor="transparent", nodesep=0.3, ranksep=0.4];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, color="#4c78a8"];',
        '  edge [fontname="Helvetica", fontsize=10, color="#4c78a8"];',
        '  supplier [label="outside\\nsupplier", shape=ellipse, fillcolor="#eeeeee", color="#888888"];',
    ]
    for i in range(len(network.nodes)):
        fill = SHORT_FILL if trace.backlog[day, i] > 0 else NODE_FILL
        lines.append(f'  n{i} [label={_node_label(trace, i, day)}, fillcolor="{fill}"];')
    for i, lane in enumerate(network.supply_lanes):
        source = "supplier" if lane.source == SUPPLIER else f"n{network.index[lane.source]}"
        label = f"  ships {_units(trace.shipped_in[day, i])}, {_units(trace.in_transit[day, i])} on the way"
        lines.append(
            f'  {source} -> n{i} [label="{label}", penwidth={1 + min(trace.shipped_in[day, i], 40) / 10:.1f}];'
        )
    for k, lane in enumerate(network.transfer_lanes):
        source, target = network.index[lane.source], network.index[lane.target]
        sent = trace.transfers[day, k] if trace.transfers.shape[1] else 0.0
        lines.append(
            f'  n{source} -> n{target} [label="sends {_units(sent)}", style=dashed, color="{TRANSFER_COLOR}", '
            f'fontcolor="{TRANSFER_COLOR}", constraint=false];'
        )
    for i, node in enumerate(network.nodes):
        if node.has_customers:
            asked, got = trace.demand[day, i], trace.demand[day, i] - trace.unserved[day, i]
            label = f"customers\\nasked {_units(asked)}\\ngot {_units(got)}" if day else "customers"
            lines.append(f'  c{i} [label="{label}", shape=plaintext, style="", fontcolor="#555555"];')
            lines.append(f'  n{i} -> c{i} [color="#999999"];')
    lines.append("}")
    return "\n".join(lines)


def structure_dot(network: NetworkConfig, rankdir: str = "TB") -> str:
    """The network's shape in DOT: each node with its holding and backorder (or lost-sale) costs, each
    supply lane with its order delay and lead time, dashed transfer lanes, the customers."""
    lines = [
        "digraph network {",
        f'  graph [rankdir={rankdir}, bgcolor="transparent", nodesep=0.3, ranksep=0.4];',
        f'  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, color="{EDGE_COLOR}", '
        f'fillcolor="{NODE_FILL}"];',
        f'  edge [fontname="Helvetica", fontsize=10, color="{EDGE_COLOR}"];',
        '  supplier [label="outside\\nsupplier", shape=ellipse, fillcolor="#eeeeee", color="#888888"];',
    ]
    for i, node in enumerate(network.nodes):
        config = node.config
        short = (
            f"backorder {config.backorder_cost:g}"
            if config.unmet_demand == "backorder"
            else f"lost {config.lost_sale_cost:g}"
        )
        lines.append(
            f"  n{i} [label=<<b>{html.escape(node.name)}</b><br/>holding {config.holding_cost:g} · {short}<br/>"
            f"capacity {config.capacity:,}>];"
        )
    for i, lane in enumerate(network.supply_lanes):
        source = "supplier" if lane.source == SUPPLIER else f"n{network.index[lane.source]}"
        delay = f"order {lane.order_delay} + " if lane.order_delay else ""
        lines.append(f'  {source} -> n{i} [label="{delay}ship {lane.lead_time} days"];')
    for lane in network.transfer_lanes:
        source, target = network.index[lane.source], network.index[lane.target]
        lines.append(
            f'  n{source} -> n{target} [label="transfer {lane.lead_time} d", style=dashed, color="{TRANSFER_COLOR}", '
            f'fontcolor="{TRANSFER_COLOR}", constraint=false];'
        )
    for i, node in enumerate(network.nodes):
        if node.has_customers:
            lines.append(f'  c{i} [label="customers", shape=plaintext, style="", fontcolor="#555555"];')
            lines.append(f'  n{i} -> c{i} [color="#999999"];')
    lines.append("}")
    return "\n".join(lines)
