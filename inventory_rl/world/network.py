"""Networks of warehouses: named nodes joined by lanes, and the TOML files that describe them.

A network file lives beside the scenarios (``scenarios/*.toml``) and is told apart from a
single warehouse by its ``[nodes.NAME]`` tables::

    description = "A factory, a DC and a retailer in a line."
    episode_days = 100          # top-level settings: every node's, unless the node says otherwise
    unmet_demand = "backorder"

    [network]
    transit_holding = true      # network-wide settings (NETWORK_SETTINGS)

    [nodes.factory]             # each node: any InventoryConfig setting that applies (NODE_ONLY
    holding_cost = 0.25         # ones too), over the top-level settings
    demand_model = "none"       # no customers buy here: it only serves the nodes below it

    [nodes.retailer]
    holding_cost = 1.0
    backorder_cost = 10.0

    [[lanes]]                   # each node has exactly one supply lane: from its parent node, or
    from = "supplier"           # from the outside supplier ("supplier"), which is unlimited unless
    to = "factory"              # the node's disruption_prob / partial_prob say otherwise
    lead_time = 2

    [[lanes]]
    kind = "transfer"           # lateral transshipment between two siblings, one way
    from = "store_1"
    to = "store_2"
    lead_time = 1
    unit_cost = 0.5

Supply lanes make a tree (serial chains, distribution trees); transfer lanes join siblings
(nodes with the same supplier). A lane's settings are ``LANE_SETTINGS``. ``--set`` reaches every
level: ``KEY=V`` (every node), ``nodes.NAME.KEY=V``, ``lanes.TARGET.KEY=V`` (the supply lane into
TARGET), ``transfers.SOURCE.TARGET.KEY=V`` and ``network.KEY=V``. Every mistake is a
``ScenarioError`` with one line naming the file (or the ``--set``) and the key.

The lead time follows the project's rule: what is shipped at the end of day t on a lane with
lead time L is on the receiving shelf before the demand of day t + L. An order placed at the end
of day t reaches its supplier ``order_delay`` days later, and is shipped then, from what the
supplier has. The simulator (``world.networks``) has the full sequence of a day.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory_rl.world.config import (
    SCENARIO_DIR,
    InventoryConfig,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_override,
    read_scenario_file,
    scenario_path,
)

SUPPLIER = "supplier"  # the outside supplier: the source of a lane into the top of a tree
LANE_KINDS = ("supply", "transfer")
RATIONING = ("proportional", "fifo", "priority", "balanced", "decided")
OWED = ("backorder", "cancel")
NETWORK_WIDE = ("episode_days", "history_days")  # every node of a network lives on one calendar
NODE_ONLY = {  # settings of a node that are not settings of its warehouse: name -> (default, kind)
    "rationing": ("proportional", RATIONING),  # how a short node splits its stock among its children's orders
    "owed": ("backorder", OWED),  # what is not shipped of a child's order: owed and shipped first later, or cancelled
    "priority": (0, int),  # with rationing = priority, the parent serves lower numbers first
}
LANE_OWNED = ("lead_time", "lead_time_max")  # the lane's, not the node's: set on [[lanes]]
NETWORK_SETTINGS = {"transit_holding": False}  # charge units in transit at the shipping node's holding cost


@dataclass(frozen=True)
class Lane:
    """A lane: ``supply`` (from the parent node or the outside supplier, ``SUPPLIER``) or ``transfer``
    (between two siblings, one way). Costs are per unit shipped and per shipment (a day the lane
    carries anything); ``capacity`` caps the units shipped a day (0: no cap)."""

    source: str
    target: str
    kind: str = "supply"
    lead_time: int = 1
    lead_time_max: int = 0  # 0: always lead_time; else each shipment's lead time is drawn in [lead_time, max]
    order_delay: int = 0  # days an order takes to reach the source (supply lanes)
    unit_cost: float = 0.0
    shipment_cost: float = 0.0
    capacity: int = 0
    initial_in_transit: int = 0  # units per product on their way at the start, in each of days 1 .. lead_time - 1
    initial_orders: int = 0  # units per product ordered at the start, in each day of the order delay

    def __post_init__(self) -> None:
        label = f"lane {self.source} -> {self.target}"
        for key in ("lead_time", "lead_time_max", "order_delay", "capacity", "initial_in_transit", "initial_orders"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ScenarioError(f"{label}: {key}: must be a whole number, got {value!r}", key)
        for key in ("unit_cost", "shipment_cost"):
            value = getattr(self, key)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ScenarioError(f"{label}: {key}: must be a number of at least 0, got {value!r}", key)
            object.__setattr__(self, key, float(value))
        if self.kind not in LANE_KINDS:
            raise ScenarioError(f"{label}: kind: must be one of {LANE_KINDS}, got {self.kind!r}", "kind")
        if self.lead_time < 1:
            raise ScenarioError(f"{label}: lead_time: must be at least 1, got {self.lead_time}", "lead_time")
        if self.lead_time_max and self.lead_time_max < self.lead_time:
            raise ScenarioError(
                f"{label}: lead_time_max: must be 0 or at least lead_time = {self.lead_time}, got {self.lead_time_max}",
                "lead_time_max",
            )
        for key in ("order_delay", "capacity", "initial_in_transit", "initial_orders"):
            if getattr(self, key) < 0:
                raise ScenarioError(f"{label}: {key}: must be at least 0, got {getattr(self, key)}", key)
        if self.source == self.target:
            raise ScenarioError(f"{label}: a lane from a node to itself", "to")
        if self.kind == "transfer" and SUPPLIER in (self.source, self.target):
            raise ScenarioError(f"{label}: a transfer lane joins two nodes, not the outside supplier", "from")
        if self.kind == "transfer" and (self.order_delay or self.lead_time_max):
            key = "order_delay" if self.order_delay else "lead_time_max"
            raise ScenarioError(f"{label}: {key}: a transfer lane has a fixed lead time and no order delay", key)

    @property
    def max_lead_time(self) -> int:
        """The longest a shipment on this lane can take, in days."""
        return max(self.lead_time, self.lead_time_max)

    @property
    def label(self) -> str:
        return f"{self.source}->{self.target}"


LANE_SETTINGS = tuple(field.name for field in dataclasses.fields(Lane) if field.name not in ("source", "target"))


@dataclass(frozen=True)
class Node:
    """A node: a warehouse (its ``InventoryConfig``: products, capacity, costs, demand where
    customers buy; its supply lane's lead times) and how it serves the nodes below it."""

    name: str
    config: InventoryConfig
    rationing: str = "proportional"
    owed: str = "backorder"
    priority: int = 0

    @property
    def has_customers(self) -> bool:
        """Customers buy here (a node without them only serves the nodes below it)."""
        return self.config.demand_model != "none"


@dataclass(frozen=True)
class NetworkConfig:
    """A network of warehouses: its nodes (parents before children, in the file's order otherwise),
    its lanes and the network-wide settings. Built and checked by ``build_network``."""

    nodes: tuple[Node, ...]
    lanes: tuple[Lane, ...]
    transit_holding: bool = False

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(node.name for node in self.nodes)

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Node name -> its position in ``nodes``."""
        return {name: position for position, name in enumerate(self.names)}

    @functools.cached_property
    def supply_lanes(self) -> tuple[Lane, ...]:
        """The supply lane of each node, in the order of ``nodes``."""
        by_target = {lane.target: lane for lane in self.lanes if lane.kind == "supply"}
        return tuple(by_target[name] for name in self.names)

    @functools.cached_property
    def transfer_lanes(self) -> tuple[Lane, ...]:
        return tuple(lane for lane in self.lanes if lane.kind == "transfer")

    @functools.cached_property
    def parents(self) -> tuple[int | None, ...]:
        """The index of each node's supplier node, None where it is the outside supplier."""
        return tuple(None if lane.source == SUPPLIER else self.index[lane.source] for lane in self.supply_lanes)

    @functools.cached_property
    def children(self) -> tuple[tuple[int, ...], ...]:
        """The indices of the nodes each node supplies."""
        return tuple(
            tuple(child for child, parent in enumerate(self.parents) if parent == node)
            for node in range(len(self.nodes))
        )

    @functools.cached_property
    def claimants(self) -> tuple[int, ...]:
        """The nodes whose parent rations as decided (``rationing = "decided"``): whoever decides for the parent
        gives each of them a claim on its stock every day (``Networks.step_units``)."""
        return tuple(
            child
            for child, parent in enumerate(self.parents)
            if parent is not None and self.nodes[parent].rationing == "decided"
        )

    @functools.cached_property
    def subtrees(self) -> tuple[tuple[int, ...], ...]:
        """The nodes at and below each node (the node first, then its children's subtrees)."""
        below: list[list[int]] = [[node] for node in range(len(self.nodes))]
        for node in reversed(range(len(self.nodes))):  # parents come first: their children are done before them
            for child in self.children[node]:
                below[node].extend(below[child])
        return tuple(tuple(members) for members in below)

    @functools.cached_property
    def is_serial(self) -> bool:
        """A chain: the first node supplied from outside, each other by the one before it, no transfers."""
        return not self.transfer_lanes and self.parents == (None, *range(len(self.nodes) - 1))

    @property
    def n_products(self) -> int:
        return self.nodes[0].config.n_products

    @property
    def episode_days(self) -> int:
        return self.nodes[0].config.episode_days

    def to_dict(self) -> dict:
        """Plain-JSON form, for ``run_config.json``."""
        return {
            "nodes": [
                {"name": node.name, "rationing": node.rationing, "owed": node.owed, "priority": node.priority}
                | {"config": node.config.to_dict()}
                for node in self.nodes
            ],
            "lanes": [dataclasses.asdict(lane) for lane in self.lanes],
            "transit_holding": self.transit_holding,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> NetworkConfig:
        """Inverse of ``to_dict``, checked as a file is."""
        nodes = [
            Node(
                item["name"],
                InventoryConfig.from_dict(item["config"]),
                **{key: item[key] for key in NODE_ONLY if key in item},
            )
            for item in values["nodes"]
        ]
        lanes = [Lane(**lane) for lane in values["lanes"]]
        return check_network(nodes, lanes, bool(values.get("transit_holding", False)), "run config")


@dataclass(frozen=True)
class NetworkScenario:
    """A named, described network: what ``--scenario NAME --set k=v`` resolves to for a network."""

    name: str
    description: str
    network: NetworkConfig
    path: str = ""
    overrides: tuple[str, ...] = ()
    train: dict = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict:
        """What ``run_config.json`` records of the scenario (the network itself goes beside it)."""
        return {
            "name": self.name,
            "description": self.description,
            "path": self.path,
            "overrides": list(self.overrides),
            "kind": "network",
        }


def is_network_table(table: Mapping[str, Any]) -> bool:
    """Whether a scenario file's table describes a network (it has ``[nodes.NAME]`` tables)."""
    return "nodes" in table


def load_network(name_or_path: str, overrides: Sequence[str] = ()) -> NetworkScenario:
    """The network in a TOML file (by name or path) with ``--set`` overrides applied, checked."""
    path, shown, table = read_scenario_file(name_or_path)
    if not is_network_table(table):
        raise ScenarioError(f"{shown}: not a network (it has no [nodes.NAME] tables)")
    description, train = table.pop("description", ""), table.pop("train", {})
    if not isinstance(description, str) or not isinstance(train, dict):
        raise ScenarioError(f"{shown}: description must be a string and [train] a table")
    network = network_from_table(table, overrides, shown, path.parent)
    return NetworkScenario(path.stem, description, network, str(path), tuple(overrides), train)


def network_from_table(
    table: Mapping[str, Any], overrides: Sequence[str], source: str, folder: Path | None = None
) -> NetworkConfig:
    """The checked network of a file's table with ``--set`` overrides applied (see the module docstring)."""
    table = _deep_copy(table)
    for override in overrides:
        key, value = parse_override(override)
        try:
            _apply(table, key, value)
        except ScenarioError as error:
            raise ScenarioError(f"--set {override}: {error}", error.key) from None
    try:
        return _build(table, folder)
    except ScenarioError as error:
        given = [override for override in overrides if error.key and _mentions(override, error.key)]
        prefix = f"--set {given[-1]}" if given else source
        raise ScenarioError(f"{prefix}: {error}", error.key) from None


def _mentions(override: str, key: str) -> bool:
    return override.partition("=")[0].strip().split(".")[-1] == key


def _deep_copy(table: Mapping[str, Any]) -> dict:
    return {
        key: _deep_copy(value)
        if isinstance(value, Mapping)
        else [_deep_copy(item) if isinstance(item, Mapping) else item for item in value]
        if isinstance(value, list)
        else value
        for key, value in table.items()
    }


def _apply(table: dict, key: str, value: Any) -> None:
    """Set one ``--set`` key in a network's table: ``KEY``, ``nodes.NAME.KEY``, ``lanes.TARGET.KEY``,
    ``transfers.SOURCE.TARGET.KEY`` or ``network.KEY``."""
    parts = key.split(".")
    if len(parts) == 1:
        table[key] = value
        return
    head = parts[0]
    if head == "nodes" and len(parts) == 3:
        nodes = table.get("nodes", {})
        if parts[1] not in nodes:
            raise ScenarioError(f"no node {parts[1]!r}; the nodes are {', '.join(nodes)}", parts[2])
        nodes[parts[1]][parts[2]] = value
    elif head == "network" and len(parts) == 2:
        table.setdefault("network", {})[parts[1]] = value
    elif head in ("lanes", "transfers") and len(parts) in (3, 4):
        kind = "supply" if head == "lanes" else "transfer"
        *ends, setting = parts[1:]
        lanes = [lane for lane in table.get("lanes", []) if lane.get("kind", "supply") == kind]
        matching = [
            lane
            for lane in lanes
            if (kind == "supply" and len(ends) == 1 and lane.get("to") == ends[0])
            or (kind == "transfer" and len(ends) == 2 and [lane.get("from"), lane.get("to")] == ends)
        ]
        if not matching:
            raise ScenarioError(f"no {kind} lane {'.'.join(ends)!r}", setting)
        matching[0][setting] = value
    else:
        raise ScenarioError(
            "expected KEY, nodes.NAME.KEY, lanes.TARGET.KEY, transfers.SOURCE.TARGET.KEY or network.KEY", parts[-1]
        )


def _build(table: Mapping[str, Any], folder: Path | None) -> NetworkConfig:
    """The network of a file's table (overrides applied): nodes over the top-level settings, lanes."""
    table = dict(table)
    nodes_table, lanes_table = table.pop("nodes"), table.pop("lanes", [])
    network_table = table.pop("network", {})
    if (
        not isinstance(nodes_table, dict)
        or not nodes_table
        or not all(isinstance(v, dict) for v in nodes_table.values())
    ):
        raise ScenarioError("[nodes.NAME] must be tables of settings, at least one", "nodes")
    if not isinstance(lanes_table, list) or not all(isinstance(lane, dict) for lane in lanes_table):
        raise ScenarioError("[[lanes]] must be tables", "lanes")
    if not isinstance(network_table, dict):
        raise ScenarioError("[network] must be a table", "network")
    for key, value in network_table.items():
        if key not in NETWORK_SETTINGS:
            raise ScenarioError(f"[network]: {key}: not a network setting; known: {', '.join(NETWORK_SETTINGS)}", key)
        if not isinstance(value, type(NETWORK_SETTINGS[key])):
            raise ScenarioError(f"[network]: {key}: must be true or false, got {value!r}", key)
    for key in LANE_OWNED:
        if key in table:
            raise ScenarioError(f"{key}: a lane's setting: set it on [[lanes]] (or lanes.TARGET.{key})", key)
    lanes = [_lane(lane) for lane in lanes_table]
    nodes = [_node(name, {**table, **settings}, set(settings), lanes, folder) for name, settings in nodes_table.items()]
    return check_network(nodes, lanes, bool(network_table.get("transit_holding", False)), "")


def _lane(values: Mapping[str, Any]) -> Lane:
    values = dict(values)
    source, target = values.pop("from", None), values.pop("to", None)
    for key, end in (("from", source), ("to", target)):
        if not isinstance(end, str) or not end:
            raise ScenarioError(f"[[lanes]]: {key}: must name a node (or {SUPPLIER!r}), got {end!r}", key)
    unknown = set(values) - set(LANE_SETTINGS)
    if unknown:
        key = sorted(unknown)[0]
        raise ScenarioError(
            f"lane {source} -> {target}: {key}: not a lane setting; known: from, to, {', '.join(LANE_SETTINGS)}", key
        )
    return Lane(source, target, **values)


def _node(name: str, settings: Mapping[str, Any], own: set[str], lanes: Sequence[Lane], folder: Path | None) -> Node:
    """A node from its settings (the top-level ones under its own); its supply lane sets its lead times."""
    for key in LANE_OWNED:
        if key in own:
            raise ScenarioError(f"node {name}: {key}: a lane's setting: set it on the node's supply lane", key)
    for key in NETWORK_WIDE:
        if key in own:
            raise ScenarioError(f"node {name}: {key}: the same for every node: set it at the top of the file", key)
    extra = {key: settings[key] for key in NODE_ONLY if key in settings}
    values = {key: value for key, value in settings.items() if key not in NODE_ONLY}
    supply = [lane for lane in lanes if lane.kind == "supply" and lane.target == name]
    if supply:
        values.update(lead_time=supply[0].lead_time, lead_time_max=supply[0].lead_time_max)
    if folder is not None and values.get("demand_file"):
        values["demand_file"] = str((folder / values["demand_file"]).resolve())
    try:
        config = InventoryConfig.from_dict(values)
    except ScenarioError as error:
        raise ScenarioError(f"node {name}: {error}", error.key) from None
    for key, (_, allowed) in NODE_ONLY.items():
        value = extra.get(key, NODE_ONLY[key][0])
        ok = isinstance(value, int) and not isinstance(value, bool) if allowed is int else value in allowed
        if not ok:
            wanted = "a whole number" if allowed is int else f"one of {allowed}"
            raise ScenarioError(f"node {name}: {key}: must be {wanted}, got {value!r}", key)
    return Node(name, config, **extra)


def check_network(nodes: Sequence[Node], lanes: Sequence[Lane], transit_holding: bool, source: str) -> NetworkConfig:
    """The network of these nodes and lanes, its nodes ordered parents first; ``ScenarioError`` for an
    unknown node, a node with no supply lane or two, a cycle, a transfer between non-siblings, or a
    setting that does not apply where it is set."""
    prefix = f"{source}: " if source else ""
    names = [node.name for node in nodes]
    if SUPPLIER in names:
        raise ScenarioError(f"{prefix}{SUPPLIER!r} is the outside supplier: name the node otherwise", "nodes")
    for lane in lanes:
        for key, end in (("from", lane.source), ("to", lane.target)):
            if end != SUPPLIER and end not in names:
                raise ScenarioError(
                    f"{prefix}lane {lane.label}: {key}: no node {end!r}; the nodes are {', '.join(names)}", key
                )
    supply = {name: [lane for lane in lanes if lane.kind == "supply" and lane.target == name] for name in names}
    for name, inbound in supply.items():
        if len(inbound) != 1:
            found = "none" if not inbound else " and ".join(lane.source for lane in inbound)
            raise ScenarioError(f"{prefix}node {name}: needs exactly one supply lane, has {found}", "lanes")
    parent = {name: inbound[0].source for name, inbound in supply.items()}
    ordered: list[str] = []
    depth: dict[str, int] = {}
    for name in names:  # parents before children; a node whose chain never reaches the supplier is on a cycle
        chain, current = [], name
        while current != SUPPLIER and current not in depth:
            if current in chain:
                raise ScenarioError(f"{prefix}the supply lanes make a cycle: {' -> '.join([*chain, current])}", "lanes")
            chain.append(current)
            current = parent[current]
        for position, member in enumerate(reversed(chain)):
            depth[member] = (0 if current == SUPPLIER else depth[current] + 1) + position
    ordered = sorted(names, key=lambda name: (depth[name], names.index(name)))
    for lane in lanes:
        if lane.kind == "transfer" and parent[lane.source] != parent[lane.target]:
            raise ScenarioError(
                f"{prefix}lane {lane.label}: a transfer lane joins siblings (nodes with the same supplier); "
                f"{lane.source} is supplied by {parent[lane.source]}, {lane.target} by {parent[lane.target]}",
                "kind",
            )
    by_name = {node.name: node for node in nodes}
    _check_nodes(by_name, parent, lanes, prefix)
    return NetworkConfig(tuple(by_name[name] for name in ordered), tuple(lanes), transit_holding)


def _check_nodes(by_name: Mapping[str, Node], parent: Mapping[str, str], lanes: Sequence[Lane], prefix: str) -> None:
    """Settings that do not apply where they are set, and what every node must share."""
    first = next(iter(by_name.values())).config
    for name, node in by_name.items():
        config = node.config
        fail = functools.partial(_fail, f"{prefix}node {name}")
        for key in NETWORK_WIDE:
            if getattr(config, key) != getattr(first, key):
                fail(key, "the same for every node: set it at the top of the file")
        if config.n_products != first.n_products:
            fail("n_products", f"every node stocks the same products ({first.n_products} at the first node)")
        if parent[name] != SUPPLIER and (config.disruption_prob > 0 or config.partial_prob > 0):
            fail("disruption_prob", "disruptions and partial shipments are the outside supplier's, not a node's")
        if len(by_name) > 1 and config.reward_mode == "original":
            fail("reward_mode", "the original points are for one warehouse: use cost or profit in a network")
        supply = next(lane for lane in lanes if lane.kind == "supply" and lane.target == name)
        transit = supply.initial_in_transit * (supply.lead_time - 1)  # units per product at the start
        ordered = supply.initial_orders * supply.order_delay
        if (config.initial_stock + transit + ordered) * config.n_products > config.capacity:
            fail(
                "initial_in_transit" if transit >= ordered else "initial_orders",
                f"its initial stock ({config.initial_stock}), units in transit ({transit}) and on order ({ordered}) "
                f"per product exceed its capacity ({config.capacity})",
            )
        transfer_days = [lane.lead_time for lane in lanes if lane.kind == "transfer" and lane.target == name]
        if transfer_days and max(transfer_days) > config.max_lead_time:
            fail("lead_time", f"a transfer lane into it takes {max(transfer_days)} days, longer than its supply lane")


def _fail(where: str, key: str, requirement: str) -> None:
    raise ScenarioError(f"{where}: {key}: {requirement}", key)


def load_any(name_or_path: str, overrides: Sequence[str] = ()) -> Scenario | NetworkScenario:
    """The scenario in a file, a single warehouse's or a network's (``load_scenario`` or ``load_network``)."""
    path = scenario_path(name_or_path)
    try:
        network = is_network_table(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        network = False  # load_scenario says what is wrong with the file
    return load_network(name_or_path, overrides) if network else load_scenario(name_or_path, overrides)


def list_networks() -> list[NetworkScenario]:
    """Every network shipped in ``scenarios/``, by name (broken files are skipped)."""
    found = []
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
            if is_network_table(table):
                found.append(load_network(str(path)))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ScenarioError):
            continue
    return found
