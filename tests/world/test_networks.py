"""The network simulator (``world.networks``): properties that hold in every shipped network under any
decisions (hypothesis), a batch of networks playing the episodes of single ones, and small networks
worked out by hand (an internal shortage with backorders, an order delay, a transfer, rationing at a
short DC, the classic beer game's first weeks).

Conventions used in the hand-computed cases (``world.networks``' module docstring): step ``s`` (0-based)
takes the decisions of the end of day ``s`` and plays day ``s + 1`` (``NetworkDay.day``). An order placed
in step ``s`` reaches its supplier in step ``s + order_delay`` and is shipped there, from what the supplier
has before that step's arrivals; a shipment of step ``s`` on a lane with lead time ``L`` goes on the shelf
in step ``s + L - 1``, before that step's demand (day ``s + L``). A node that ships is charged holding on
what it keeps overnight: its stock after its shipments left, before the arrivals of the night.
"""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pytest
from gymnasium.utils import seeding
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_rl.world.network import SUPPLIER, NetworkConfig, load_network, network_from_table
from inventory_rl.world.networks import NETWORK_COSTS, NetworkDay, Networks

SHIPPED = ("serial", "beer-game", "beer-game-classic", "distribution", "transshipment", "regional")
SHORT = 20  # days per episode in the property tests
PROPERTY = settings(max_examples=8, deadline=None)
SEEDS = st.integers(0, 2**31 - 1)


def shipped(name: str, *overrides: str, days: int = SHORT) -> NetworkConfig:
    return load_network(name, [f"episode_days={days}", *overrides]).network


def built(text: str, *overrides: str) -> NetworkConfig:
    """A network from TOML text, checked as a file is."""
    return network_from_table(tomllib.loads(text), overrides, "test")


def generators(seeds) -> list[np.random.Generator]:
    """The generators ``env.reset(seed=)`` makes of these seeds."""
    return [seeding.np_random(seed)[0] for seed in seeds]


def random_decisions(sim: Networks, rng: np.random.Generator) -> tuple[str, tuple]:
    """One day's decisions for every network of the batch, drawn from ``rng``: env actions (fractions,
    scaled by a random appetite so that orders range from nothing to the whole gap), or whole units
    (orders and transfers beyond what the gap or the sender's stock allows, sometimes), with claims where a
    parent rations as decided (none, sometimes)."""
    network = sim.network
    n = network.n_products
    if rng.random() < 0.7:
        size = sum(node.config.action_size for node in network.nodes)
        appetite = rng.choice([0.0, 0.02, 0.1, 0.3, 1.0], size=(sim.batch, 1))
        lanes = rng.random((sim.batch, (len(network.transfer_lanes) + len(network.claimants)) * n))
        return "fractions", (np.concatenate([rng.random((sim.batch, size)) * appetite, lanes], axis=1),)
    scale = max(node.config.max_demand for node in network.nodes)
    orders = rng.integers(0, 3 * scale, (sim.batch, len(network.nodes), n)) * (rng.random((sim.batch, 1, 1)) < 0.8)
    transfers = rng.integers(0, 2 * scale, (sim.batch, len(network.transfer_lanes), n))
    claims = rng.random((sim.batch, len(network.nodes), n)) * 3 if rng.random() < 0.8 else None
    return "units", (orders, transfers, claims)


def step(sim: Networks, decisions: tuple[str, tuple]) -> NetworkDay:
    kind, arguments = decisions
    return sim.step_fractions(*arguments) if kind == "fractions" else sim.step_units(*arguments)


def units_held(sim: Networks) -> np.ndarray:
    """Units on the shelves and in transit to every node, per network ``(batch,)``."""
    return sum(warehouse.stock.sum(axis=1) + warehouse.pipeline.sum(axis=(1, 2)) for warehouse in sim.nodes)


class Checked:
    """Plays a batch of networks day by day and checks, after every day, what must always hold."""

    def __init__(self, network: NetworkConfig, seeds, lane_caps: bool = False):
        self.network, self.sim = network, Networks(network, len(seeds))
        self.sim.reset(generators(seeds))
        self.lane_caps = lane_caps  # lanes have capacities (rationing then only bounds what ships)
        self.initial = units_held(self.sim)
        self.from_supplier = np.zeros(self.sim.batch, np.int64)
        self.sold = np.zeros(self.sim.batch, np.int64)
        self.check_state()

    def play(self, rng: np.random.Generator) -> None:
        while self.sim.day < self.network.episode_days:
            self.day(random_decisions(self.sim, rng))

    def day(self, decisions: tuple[str, tuple]) -> NetworkDay:
        sim, network = self.sim, self.network
        stock = [warehouse.stock.copy() for warehouse in sim.nodes]
        backlog = [warehouse.backlog.copy() for warehouse in sim.nodes]
        owed = [owed.copy() for owed in sim.owed]
        record = step(sim, decisions)
        for i, lane in enumerate(network.supply_lanes):
            if lane.source == SUPPLIER:
                self.from_supplier += record.shipped[i].sum(axis=1)
        self.sold += sum(node.sales.sum(axis=1) for node in record.nodes)
        self.check_state()
        self.check_flows(record, stock, owed)
        self.check_customers(record, backlog)
        self.check_costs(record)
        return record

    def check_state(self) -> None:
        """Nothing negative; every node within its capacity; the simulator's running totals agree."""
        sim = self.sim
        assert np.array_equal(self.initial + self.from_supplier, self.sold + units_held(sim))
        for i, (node, warehouse) in enumerate(zip(self.network.nodes, sim.nodes, strict=True)):
            for name in ("stock", "pipeline", "on_order", "backlog"):
                assert (getattr(warehouse, name) >= 0).all(), (node.name, name)
            assert (sim.owed[i] >= 0).all() and (sim.order_pipes[i] >= 0).all()
            held = warehouse.stock.sum(axis=1) + warehouse.pipeline.sum(axis=(1, 2)) + warehouse.on_order.sum(axis=1)
            assert (held <= node.config.capacity).all(), node.name
            assert np.array_equal(warehouse.gap, node.config.capacity - held), node.name
            assert np.array_equal(warehouse.stock_total, warehouse.stock.sum(axis=1))
            assert np.array_equal(warehouse.transit_total, warehouse.pipeline.sum(axis=(1, 2)))
            # what it ordered and was not shipped: on its way to the supplier, or owed by it
            assert np.array_equal(warehouse.on_order, sim.order_pipes[i].sum(axis=1) + sim.owed[i]), node.name

    def check_flows(self, record: NetworkDay, stock: list[np.ndarray], owed: list[np.ndarray]) -> None:
        """Lanes carry at most their capacity; a parent ships all it can, owed units first under fifo;
        every node's shelf balances (yesterday's stock - shipped - sent + received = sold + stock)."""
        network = self.network
        for i, lane in enumerate(network.supply_lanes):
            asked = owed[i] + record.arrived[i]
            assert (record.shipped[i] <= asked).all()
            assert np.array_equal(record.cancelled[i] + record.owed[i], asked - record.shipped[i])
            if lane.capacity:
                assert (record.shipped[i].sum(axis=1) <= lane.capacity).all(), lane.label
            if network.parents[i] is None or network.nodes[network.parents[i]].owed == "cancel":
                assert not record.owed[i].any()
            else:
                assert not record.cancelled[i].any()
        for k, lane in enumerate(network.transfer_lanes):
            if lane.capacity:
                assert (record.transferred[k].sum(axis=1) <= lane.capacity).all(), lane.label
        for parent, kids in enumerate(network.children):
            if not kids:
                continue
            shipped = sum(record.shipped[kid] for kid in kids)
            asked = sum(owed[kid] + record.arrived[kid] for kid in kids)
            if not self.lane_caps:
                assert np.array_equal(shipped, np.minimum(stock[parent], asked)), network.names[parent]
            if network.nodes[parent].rationing == "fifo" and not self.lane_caps:
                old = sum(owed[kid] for kid in kids)
                beyond = shipped > old  # some new order was served: every owed unit was shipped first
                for kid in kids:
                    assert (record.shipped[kid] >= np.where(beyond, owed[kid], 0)).all(), network.names[kid]
        for i, (warehouse, node_day) in enumerate(zip(self.sim.nodes, record.nodes, strict=True)):
            out = sum((record.shipped[kid] for kid in network.children[i]), np.zeros_like(stock[i]))
            out = out + sum(
                (
                    record.transferred[k]
                    for k, lane in enumerate(network.transfer_lanes)
                    if lane.source == network.names[i]
                ),
                np.zeros_like(stock[i]),
            )
            balance = stock[i] - out + node_day.received
            assert np.array_equal(balance, node_day.sales + warehouse.stock), network.names[i]

    def check_customers(self, record: NetworkDay, backlog: list[np.ndarray]) -> None:
        """Customers are served all the shelf allows; with backorders what is owed is served first (FIFO)
        and the backlog only shrinks by sales; without, what is not sold is lost."""
        for i, (node, warehouse, day) in enumerate(zip(self.network.nodes, self.sim.nodes, record.nodes, strict=True)):
            shelf = day.sales + day.stock
            if node.config.unmet_demand == "backorder":
                assert np.array_equal(day.sales, np.minimum(shelf, backlog[i] + day.demand)), node.name
                assert (day.sales >= np.minimum(shelf, backlog[i])).all(), node.name
                assert np.array_equal(warehouse.backlog, backlog[i] + day.demand - day.sales), node.name
                served_today = np.maximum(day.sales - backlog[i], 0)  # today's demand waits for the old backlog
                assert np.array_equal(day.backordered, day.demand - served_today), node.name
                assert not day.lost_sales.any()
            else:
                assert np.array_equal(day.sales, np.minimum(shelf, day.demand)), node.name
                assert np.array_equal(day.lost_sales, day.demand - day.sales), node.name
            if not node.has_customers:
                assert not day.demand.any() and not day.sales.any()

    def check_costs(self, record: NetworkDay) -> None:
        """Every cost part of every node is at least 0, and the reward is minus the costs."""
        for i, day in enumerate(record.nodes):
            for name, part in day.cost_parts.items():
                assert (part >= 0).all(), (self.network.names[i], name)
            assert set(record.network_costs[i]) == set(NETWORK_COSTS)
            for name, part in record.network_costs[i].items():
                assert (part >= 0).all(), (self.network.names[i], name)
            assert (record.costs[i] >= 0).all()
            if self.network.nodes[i].config.reward_mode == "cost":
                np.testing.assert_allclose(record.rewards[i], -record.costs[i], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(record.reward, sum(record.rewards), rtol=1e-12, atol=1e-9)


# ---------------------------------------------------------------------- properties of every shipped network
VARIANTS = {  # what each shipped network is also played with, to reach fifo rationing, owed units and capped lanes
    "serial": ("rationing=fifo",),
    "beer-game": ("rationing=fifo", "nodes.factory.initial_stock=0"),
    "beer-game-classic": ("nodes.wholesaler.initial_stock=2",),
    "distribution": ("rationing=fifo", "nodes.dc.owed=backorder", "unmet_demand=backorder", "backorder_cost=2"),
    "transshipment": ("lanes.store_a.order_delay=1",),
    "regional": ("rationing=fifo", "nodes.dc.initial_stock=10"),
}
CAPPED = {
    "serial": ("lanes.dc.capacity=4", "lanes.retailer.capacity=6", "lanes.factory.capacity=7"),
    "beer-game": ("lanes.retailer.capacity=5", "lanes.wholesaler.capacity=3"),
    "beer-game-classic": ("lanes.factory.capacity=3",),
    "distribution": (
        "lanes.store_1.capacity=3",
        "lanes.dc.capacity=20",
        "rationing=priority",
        "nodes.store_2.priority=-1",
    ),
    "transshipment": ("transfers.store_a.store_b.capacity=2", "lanes.store_b.capacity=4"),
    "regional": ("lanes.north.capacity=30", "transfers.south.west.capacity=5", "rationing=priority"),
}


CASES = [
    *((name, "shipped", ()) for name in SHIPPED),
    *((name, "variant", VARIANTS[name]) for name in SHIPPED),
    *((name, "capped", CAPPED[name]) for name in SHIPPED),
    ("distribution", "balanced", ("rationing=balanced", "nodes.dc.owed=backorder", "unmet_demand=backorder")),
    ("regional", "balanced", ("rationing=balanced", "nodes.dc.initial_stock=10")),
    ("distribution", "decided", ("rationing=decided", "nodes.dc.owed=backorder", "unmet_demand=backorder")),
    ("regional", "decided", ("rationing=decided", "nodes.dc.initial_stock=10")),
]


@pytest.mark.parametrize(("name", "variant", "overrides"), CASES, ids=[f"{case[0]}-{case[1]}" for case in CASES])
@PROPERTY
@given(seed=SEEDS, decisions=SEEDS)
def test_every_day_keeps_the_invariants(name, variant, overrides, seed, decisions):
    """Over any decisions, every day: units are conserved (what the outside supplier shipped + the units on
    the shelves and in transit at the start = units sold + on the shelves and in transit now: shipping
    between nodes and transfers only move units, orders and owed units are not units yet, and what is
    cancelled or refused was never shipped); nothing is negative; no node holds more than its capacity
    (stock + in transit + on order); no lane carries more than its capacity a day; a parent ships all it
    can, what it owes first under fifo; customers are served all the shelf allows, old backorders first;
    every cost part is at least 0."""
    network = shipped(name, *overrides)
    checked = Checked(network, [seed, seed + 1], lane_caps=variant == "capped")
    checked.play(np.random.default_rng(decisions))
    assert checked.sim.day == network.episode_days


def test_the_variants_reach_what_they_are_for():
    """The property test's variants exercise owed units under fifo, cancelled units and capped lanes."""
    rng = np.random.default_rng(0)
    owed = {}
    for name in SHIPPED:
        for variant in (VARIANTS, CAPPED):
            checked = Checked(shipped(name, *variant[name]), [1, 2], lane_caps=variant is CAPPED)
            while checked.sim.day < checked.network.episode_days:
                record = checked.day(random_decisions(checked.sim, rng))
                for i, lane in enumerate(checked.network.supply_lanes):
                    owed[lane.source, variant is CAPPED] = owed.get((lane.source, variant is CAPPED), 0) + int(
                        record.owed[i].sum() + record.cancelled[i].sum()
                    )
    assert owed["dc", False] > 0 and owed["factory", False] > 0 and owed["wholesaler", False] > 0
    assert owed["dc", True] > 0 and owed["supplier", True] > 0


@pytest.mark.parametrize("name", SHIPPED)
@settings(max_examples=5, deadline=None)
@given(seed=SEEDS, decisions=SEEDS)
def test_the_same_seed_plays_the_same_episode(name, seed, decisions):
    network = shipped(name)
    first, second = Networks(network, 1), Networks(network, 1)
    first.reset(generators([seed]))
    second.reset(generators([seed]))
    rng = np.random.default_rng(decisions)
    while first.day < network.episode_days:
        decided = random_decisions(first, rng)
        one, two = step(first, decided), step(second, decided)
        for field in dataclasses.fields(NetworkDay):
            assert_same(getattr(one, field.name), getattr(two, field.name), field.name)


def assert_same(one, two, where: str) -> None:
    """Exactly the same values (arrays, lists, dicts and ``Day``s of them, recursively)."""
    if dataclasses.is_dataclass(one):
        for field in dataclasses.fields(one):
            assert_same(getattr(one, field.name), getattr(two, field.name), f"{where}.{field.name}")
    elif isinstance(one, dict):
        assert one.keys() == two.keys(), where
        for key in one:
            assert_same(one[key], two[key], f"{where}[{key}]")
    elif isinstance(one, list):
        assert len(one) == len(two), where
        for position, (mine, theirs) in enumerate(zip(one, two, strict=True)):
            assert_same(mine, theirs, f"{where}[{position}]")
    elif one is None:
        assert two is None, where
    else:
        np.testing.assert_array_equal(one, two, err_msg=where, strict=True)


@pytest.mark.parametrize("name", SHIPPED)
@settings(max_examples=5, deadline=None)
@given(seed=SEEDS, decisions=SEEDS)
def test_a_batch_plays_the_episodes_of_single_networks(name, seed, decisions):
    """``Networks(net, 3)`` reset with the generators of seeds s, s+1, s+2 and stepped with a batch of decisions
    gives, row by row and day by day, exactly what three ``Networks(net, 1)`` give with the rows."""
    network = shipped(name, days=12)
    batch = Networks(network, 3)
    batch.reset(generators([seed, seed + 1, seed + 2]))
    singles = [Networks(network, 1) for _ in range(3)]
    for row, single in enumerate(singles):
        single.reset(generators([seed + row]))
    rng = np.random.default_rng(decisions)
    while batch.day < network.episode_days:
        kind, arguments = random_decisions(batch, rng)
        together = step(batch, (kind, arguments))
        for row, single in enumerate(singles):
            rows = tuple(None if argument is None else argument[row : row + 1] for argument in arguments)
            alone = step(single, (kind, rows))
            assert alone.reward[0] == together.reward[row]
            for node in range(len(network.nodes)):
                assert alone.rewards[node][0] == together.rewards[node][row]
                assert alone.costs[node][0] == together.costs[node][row]
                for key in ("stock", "sales", "received", "demand"):
                    assert np.array_equal(getattr(alone.nodes[node], key)[0], getattr(together.nodes[node], key)[row])
                assert np.array_equal(alone.shipped[node][0], together.shipped[node][row])
            for k in range(len(network.transfer_lanes)):
                assert np.array_equal(alone.transferred[k][0], together.transferred[k][row])


# ---------------------------------------------------------------------- small networks worked out by hand
ONE_PRODUCT = """
n_products = 1
capacity = 100
max_demand = 10
demand_model = "none"
reward_mode = "cost"
"""
CHAIN = (
    ONE_PRODUCT
    + """
rate_low = 4.0
rate_high = 4.0
unmet_demand = "backorder"
episode_days = 6

[nodes.dc]
holding_cost = 0.5
backorder_cost = 3.0
initial_stock = 5

[nodes.shop]
demand_model = "constant"
holding_cost = 1.0
backorder_cost = 2.0

[[lanes]]
from = "supplier"
to = "dc"

[[lanes]]
from = "dc"
to = "shop"
"""
)


def play_units(network: NetworkConfig, orders, transfers=None) -> tuple[Networks, list[NetworkDay]]:
    """One network stepped with whole units: ``orders`` per day and node, ``transfers`` per day and lane."""
    sim = Networks(network, 1)
    sim.reset(generators([0]))
    days = []
    for day, order in enumerate(orders):
        sent = None if transfers is None else np.array(transfers[day], np.int64).reshape(1, -1, 1)
        days.append(sim.step_units(np.array(order).reshape(1, -1, 1), sent))
    return sim, days


def test_a_backorder_chain_through_a_shortage_at_the_parent():
    """A DC (5 units, holding 0.5, 3 per unit it owes the shop a day) supplies a shop overnight; the shop's
    customers want 4 a day and are owed what it cannot sell (2 per unit a day, holding 1).

    day 1: the shop orders 8; the DC ships its 5 and owes 3. The shop sells 4 of the 5 (stock 1).
           DC: nothing kept overnight, owes 3: 9. Shop: holds 1: 1.
    day 2: the DC orders 4 (they arrive tonight, after it shipped: it ships nothing and still owes 3).
           The shop sells its 1; 3 customers wait. DC 9; shop 3 x 2 = 6.
    day 3: the DC orders 6, the shop 2 more. The DC has 4 for the 3 owed + 2 new: ships 4, owes 1; its 6
           arrive tonight. The shop serves the 3 waiting customers first, then 1 of today's 4: 3 wait.
           DC 1 x 3 = 3; shop 6.
    day 4: the DC ships the 1 it owes from its 6 and keeps 5 overnight (2.5). The shop's 1 unit goes to
           the oldest backorder: 3 - 1 + 4 = 6 wait, all 4 of today's among them. Shop 12.
    day 5: the shop orders 10; the DC ships its 5 and owes 5 (15). The shop sells 5 to the 6 waiting:
           5 wait (10).
    day 6: nothing arrives: the DC owes 5 (15); 9 customers wait (18)."""
    network = built(CHAIN)
    assert network.names == ("dc", "shop")
    orders = [(0, 8), (4, 0), (6, 2), (0, 0), (0, 10), (0, 0)]
    sim, days = play_units(network, orders)
    expected = [  # dc stock, shop stock, sold, waiting, today's demand waiting, shipped, owed, dc cost, shop cost
        (0, 1, 4, 0, 0, 5, 3, 9.0, 1.0),
        (4, 0, 1, 3, 3, 0, 3, 9.0, 6.0),
        (6, 0, 4, 3, 3, 4, 1, 3.0, 6.0),
        (5, 0, 1, 6, 4, 1, 0, 2.5, 12.0),
        (0, 0, 5, 5, 4, 5, 5, 15.0, 10.0),
        (0, 0, 0, 9, 4, 0, 5, 15.0, 18.0),
    ]
    for number, (record, row) in enumerate(zip(days, expected, strict=True), start=1):
        dc, shop = record.nodes
        got = (
            int(dc.stock[0, 0]),
            int(shop.stock[0, 0]),
            int(shop.sales[0, 0]),
            int(shop.backorders[0, 0]),
            int(shop.backordered[0, 0]),
            int(record.shipped[1][0, 0]),
            int(record.owed[1][0, 0]),
            float(record.costs[0][0]),
            float(record.costs[1][0]),
        )
        assert got == row, f"day {number}"
        assert record.reward[0] == -(row[7] + row[8])
    assert [int(record.network_costs[0]["owed"][0]) for record in days] == [9, 9, 3, 0, 15, 15]
    assert [int(record.arrived[1][0, 0]) for record in days] == [8, 0, 2, 0, 10, 0]
    assert [int(record.shipped[0][0, 0]) for record in days] == [0, 4, 6, 0, 0, 0]
    assert not any(record.cancelled[1].any() for record in days)
    assert int(sim.nodes[1].on_order[0, 0]) == 5  # the 5 the DC owes


ORDER_DELAY = (
    ONE_PRODUCT
    + """
episode_days = 10

[nodes.dc]
initial_stock = 50

[nodes.shop]

[[lanes]]
from = "supplier"
to = "dc"
order_delay = 1
lead_time = 2

[[lanes]]
from = "dc"
to = "shop"
order_delay = 2
lead_time = 3
"""
)


def test_an_order_reaches_its_supplier_after_the_delay_and_arrives_delay_plus_lead_time_days_later():
    """The shop orders 7 at the end of day 2: the order reaches the DC at the end of day 4 (delay 2), which
    ships it then, and it is on the shop's shelf on day 2 + 2 + 3 = 7. The DC orders 5 at the end of day 1
    from the outside supplier: it gets there at the end of day 2 (delay 1), on the DC's shelf on day 4."""
    orders = [(0, 0)] * 10
    orders[1], orders[2] = (5, 0), (0, 7)  # the decisions at the end of days 1 and 2 (steps 1 and 2)
    _, days = play_units(built(ORDER_DELAY), orders)
    by_day = {record.day: record for record in days}
    arrived_at_dc = [day for day, record in by_day.items() if record.arrived[1].any()]
    shipped_to_shop = [day for day, record in by_day.items() if record.shipped[1].any()]
    # the record of day d + 1 is the step that takes the decisions of the end of day d
    assert arrived_at_dc == shipped_to_shop == [5]  # the end of day 4
    assert [day for day, record in by_day.items() if record.nodes[1].received.any()] == [7]
    assert int(by_day[7].nodes[1].received[0, 0]) == 7 and int(by_day[7].nodes[1].stock[0, 0]) == 7
    assert [int(by_day[day].nodes[0].stock[0, 0]) for day in (4, 5)] == [55, 48]
    assert [day for day, record in by_day.items() if record.arrived[0].any()] == [3]  # the end of day 2
    assert [day for day, record in by_day.items() if record.nodes[0].received.any()] == [4]
    assert int(by_day[4].nodes[0].received[0, 0]) == 5


def test_on_order_and_in_transit_follow_the_order_through_the_delay_and_the_lead_time():
    network = built(ORDER_DELAY)
    sim = Networks(network, 1)
    sim.reset(generators([0]))
    seen = []
    for step_index in range(8):
        sim.step_units(np.array([[[0], [7 if step_index == 2 else 0]]]))
        shop = sim.nodes[1]
        seen.append((int(shop.on_order.sum()), int(shop.pipeline.sum()), int(shop.stock.sum()), int(shop.gap[0])))
    assert seen == [
        (0, 0, 0, 100),
        (0, 0, 0, 100),
        (7, 0, 0, 93),  # ordered at the end of day 2, on its way to the DC
        (7, 0, 0, 93),
        (0, 7, 0, 93),  # shipped at the end of day 4
        (0, 7, 0, 93),
        (0, 0, 7, 93),  # on the shelf on day 7
        (0, 0, 7, 93),
    ]


TRANSFER = """
n_products = 1
capacity = 50
max_demand = 10
demand_model = "constant"
rate_low = 3.0
rate_high = 3.0
reward_mode = "cost"
holding_cost = 1.0
episode_days = 5

[nodes.a]
initial_stock = 20

[nodes.b]
capacity = 12
initial_stock = 2

[[lanes]]
from = "supplier"
to = "a"
lead_time = 2

[[lanes]]
from = "supplier"
to = "b"
lead_time = 2

[[lanes]]
kind = "transfer"
from = "a"
to = "b"
lead_time = 2
unit_cost = 0.5
shipment_cost = 1.0
"""


def test_a_transfer_leaves_the_senders_shelf_at_once_and_reaches_the_receiver_lead_time_days_later():
    """Both stores sell 3 a day (holding 1; what cannot be sold is lost, at no cost). Store a sends to b
    (2 days, 0.5 a unit and 1 a shipment, paid by a; a sender is charged holding on what it keeps
    overnight, after it sent).

    day 1: nothing sent. a: 20 overnight (20), sells 3: 17. b sells its 2, loses 1.
    day 2: a sends 10 at the end of day 1: 7 overnight, then sells 3: 4. a pays 7 + 0.5 x 10 + 1 = 13.
           b loses all 3 (the 10 are on their way).
    day 3: the 10 are on b's shelf before its demand: 7 left (7). a is asked for 100: b has room for 12 -
           10 in transit = 2, less the 1 it orders itself today: a sends 1 (3 overnight + 0.5 + 1 = 4.5),
           sells its 3: 0.
    day 4: a is asked for 100 and has nothing: nothing is sent, no shipment is paid; it loses its demand.
           b receives the 1 sent and the 1 it ordered: 7 + 2 - 3 = 6.
    """
    orders = [(0, 0), (0, 0), (0, 1), (0, 0), (0, 0)]
    transfers = [(0,), (10,), (100,), (100,), (0,)]
    _, days = play_units(built(TRANSFER), orders, transfers)
    got = [
        (
            int(record.transferred[0][0, 0]),
            int(record.nodes[0].stock[0, 0]),
            int(record.nodes[1].received[0, 0]),
            int(record.nodes[1].stock[0, 0]),
            int(record.nodes[1].lost_sales[0, 0]),
            float(record.costs[0][0]),
            float(record.network_costs[0]["shipping"][0]),
        )
        for record in days[:4]
    ]
    assert got == [
        (0, 17, 0, 0, 1, 20.0, 0.0),
        (10, 4, 0, 0, 3, 13.0, 6.0),
        (1, 0, 10, 7, 0, 4.5, 1.5),
        (0, 0, 2, 6, 0, 0.0, 0.0),
    ]
    assert int(days[3].nodes[0].lost_sales[0, 0]) == 3
    assert not any(record.network_costs[1]["shipping"].any() for record in days)  # the receiver pays nothing


RATIONING = (
    ONE_PRODUCT
    + """
episode_days = 4

[nodes.dc]
initial_stock = 6

[nodes.c1]
priority = 2

[nodes.c2]
priority = 0

[nodes.c3]
priority = 1

[[lanes]]
from = "supplier"
to = "dc"

[[lanes]]
from = "dc"
to = "c1"

[[lanes]]
from = "dc"
to = "c2"

[[lanes]]
from = "dc"
to = "c3"
"""
)
# day 1: c1 orders 9 of the DC's 6: it gets 6; 3 are owed (or cancelled). The DC orders 3: on its shelf tonight.
# day 2: c2 and c3 order 3 each; the DC has 3; it orders 4 more. day 3: c1 orders 5; the DC has 4.
RATIONING_ORDERS = [(3, 9, 0, 0), (4, 0, 3, 3), (0, 5, 0, 0)]


@pytest.mark.parametrize(
    ("overrides", "shipped_units", "owed_units"),
    [
        # proportional to what each asks: day 2 asks 3 (owed), 3, 3 of 3 -> 1, 1, 1; day 3 asks 2 + 5, 2, 2 of 4:
        # 4 x (7, 2, 2) / 11 = 2.55, 0.73, 0.73 -> 2, 0, 0 and the 2 left to the largest remainders (c2, c3)
        ((), [(6, 0, 0), (1, 1, 1), (2, 1, 1)], [(3, 0, 0), (2, 2, 2), (5, 1, 1)]),
        # fifo: what is owed first: day 2 the 3 owed to c1; day 3 the 3 + 3 owed to c2 and c3 from 4: 2 and 2,
        # nothing of c1's new 5
        (("rationing=fifo",), [(6, 0, 0), (3, 0, 0), (0, 2, 2)], [(3, 0, 0), (0, 3, 3), (5, 1, 1)]),
        # priority: c2 (0), then c3 (1), then c1 (2): day 2 c2 gets all 3; day 3 c3's 3 owed, then 1 for c1
        (("rationing=priority",), [(6, 0, 0), (0, 3, 0), (1, 0, 3)], [(3, 0, 0), (3, 0, 3), (7, 0, 0)]),
    ],
    ids=["proportional", "fifo", "priority"],
)
def test_rationing_at_a_short_dc(overrides, shipped_units, owed_units):
    network = built(RATIONING, *overrides)
    sim, days = play_units(network, RATIONING_ORDERS)
    children = range(1, 4)
    assert [tuple(int(record.shipped[c][0, 0]) for c in children) for record in days] == shipped_units
    assert [tuple(int(record.owed[c][0, 0]) for c in children) for record in days] == owed_units
    assert [int(record.nodes[0].stock[0, 0]) for record in days] == [3, 4, 0]
    assert [tuple(int(sim.nodes[c].on_order[0, 0]) for c in children)] == [owed_units[-1]]


@pytest.mark.parametrize(
    ("claims", "shipped_units"),
    [
        # no claims, or equal ones: the proportional split, 6 x (6, 3, 3) / 12 = 3, 1.5, 1.5 -> 3, 1, 1 and the
        # unit left to the lower index on a tie (c2)
        (None, (3, 2, 1)),
        ((1, 1, 1), (3, 2, 1)),
        ((5, 5, 5), (3, 2, 1)),
        # c1 claims nothing: c2 and c3 share the 6 by claim x asked (3 each), all they ask
        ((0, 1, 1), (0, 3, 3)),
        # only c1 claims: it gets all it asks, 6
        ((1, 0, 0), (6, 0, 0)),
        # claims 1, 2, 0 weigh the asks 6, 6, 0: 3 and 3, all c2 asks; c3 gets nothing
        ((1, 2, 0), (3, 3, 0)),
        # c3's claim weighs 3 x 9 = 27 against c2's 3: 6 x 27 / 30 = 5.4 -> 3 (all it asks); the 3 left go to
        # what is still asked: c1's 6 and c2's 3 -> 2 and 1
        ((0, 1, 9), (2, 1, 3)),
    ],
)
def test_a_short_dc_that_rations_as_decided_splits_its_stock_by_the_claims(claims, shipped_units):
    """The DC holds 6; c1, c2 and c3 order 6, 3 and 3 (12). Whoever decides for the DC splits the 6 in
    proportion to claim x asked, none above what it asks, the rest by what is still asked."""
    network = built(RATIONING, "rationing=decided", "nodes.dc.initial_stock=6")
    assert network.claimants == (1, 2, 3)
    sim = Networks(network, 1)
    sim.reset(generators([0]))
    given = None if claims is None else np.array([0, *claims], np.float64).reshape(1, 4, 1)
    record = sim.step_units(np.array([0, 6, 3, 3]).reshape(1, 4, 1), claims=given)
    assert tuple(int(record.shipped[c][0, 0]) for c in (1, 2, 3)) == shipped_units
    assert tuple(int(record.owed[c][0, 0]) for c in (1, 2, 3)) == tuple(
        asked - got for asked, got in zip((6, 3, 3), shipped_units, strict=True)
    )


def test_claims_must_be_numbers_of_at_least_zero():
    sim = Networks(built(RATIONING, "rationing=decided"), 1)
    sim.reset(generators([0]))
    orders = np.zeros((1, 4, 1))
    for claims, message in [(-np.ones((1, 4, 1)), "at least 0"), (np.full((1, 4, 1), np.nan), "finite")]:
        with pytest.raises(ValueError, match=message):
            sim.step_units(orders, claims=claims)
    with pytest.raises(ValueError, match="claims must have shape"):
        sim.step_units(orders, claims=np.ones((1, 3, 1)))


def test_claims_as_fractions_follow_the_transfers_in_the_action():
    """step_fractions: every node's env action, then (no transfer lanes here) the claimants' claims."""
    network = built(RATIONING, "rationing=decided", "nodes.dc.initial_stock=6", "order_mode=free")
    sim = Networks(network, 1)
    sim.reset(generators([0]))
    gaps = [int(warehouse.gap[0]) for warehouse in sim.nodes]
    shares = [0.0, 6 / gaps[1], 3 / gaps[2], 3 / gaps[3]]  # of the gap, to order
    assert all(node.config.action_size == 2 for node in network.nodes)  # free mode: the split, then the share
    own = np.concatenate([[1.0, share] for share in shares])
    record = sim.step_fractions(np.concatenate([own, [1.0, 0.0, 0.0]])[None])
    assert [int(units[0].sum()) for units in record.ordered[1:]] == [6, 3, 3]
    assert tuple(int(record.shipped[c][0, 0]) for c in (1, 2, 3)) == (6, 0, 0)


def test_rationing_by_largest_remainders_and_cancelled_orders():
    """With owed = "cancel" what is not shipped is gone. Day 1: 10 units for orders of 6, 3 and 2:
    10 x (6, 3, 2) / 11 = 5.45, 2.73, 1.82 -> 5, 2, 1 and the 2 left to the largest remainders (c3, c2):
    5, 3, 2; 1 cancelled. Day 2: 0 units for 1, 1, 1: all cancelled. Day 3 (the DC's 3 arrived): 3 for
    0, 3, 3: 1.5 each -> 1, 1 and the 1 left to the lower index on a tie: 0, 2, 1; 1 and 2 cancelled."""
    network = built(RATIONING, "owed=cancel", "nodes.dc.initial_stock=10")
    sim, days = play_units(network, [(0, 6, 3, 2), (3, 1, 1, 1), (0, 0, 3, 3)])
    children = range(1, 4)
    assert [tuple(int(record.shipped[c][0, 0]) for c in children) for record in days] == [
        (5, 3, 2),
        (0, 0, 0),
        (0, 2, 1),
    ]
    assert [tuple(int(record.cancelled[c][0, 0]) for c in children) for record in days] == [
        (1, 0, 0),
        (1, 1, 1),
        (0, 1, 2),
    ]
    assert not any(record.owed[c].any() for record in days for c in children)
    assert not any(sim.nodes[c].on_order.any() for c in children)  # cancelled orders are not on order
    assert not any(record.network_costs[0]["owed"].any() for record in days)


def test_the_classic_beer_game_starts_steady_and_the_retailer_runs_down_when_demand_doubles():
    """Every stage orders 4 a week. At the start each stage has 12 units, 4 on their way (shipped last
    week, arriving in week 1: lead time 2) and 4 + 4 ordered in the last two weeks (order delay 2); each
    week it receives 4 and ships the 4 that reached it, so weeks 1-4 are steady: 12 units at the end of the
    week, nothing owed. The retailer holds its 12 overnight: 0.5 x 12 = 6 a week; a stage that ships keeps
    12 - 4 = 8 overnight (its 4 arrive before the next week's demand): 0.5 x 8 = 4 a week.

    From week 5 customers want 8 (rate 4, doubled from day 5), the retailer still receives 4:
    week 5: 12 + 4 - 8 = 8 (4), week 6: 4 (2), week 7: 0 (0), week 8: 4 of the 8 sold, 4 owed (1.0 x 4),
    week 9: 8 owed (8), week 10: 12 owed (12). The stages above see nothing of it: 4 a week flows."""
    from inventory_rl.envs.network import InventoryNetworkEnv

    env = InventoryNetworkEnv(scenario="beer-game-classic")
    assert env.network.names == ("factory", "distributor", "wholesaler", "retailer")
    env.reset(seed=0)
    for name, warehouse in zip(env.network.names, env.sim.nodes, strict=True):
        assert warehouse.pipeline[0].sum(axis=1).tolist() == [4, 0], name  # 4 arriving in week 1
        assert int(warehouse.on_order.sum()) == 8 and int(warehouse.stock.sum()) == 12, name
    retailer = []
    for week in range(1, 11):
        _, reward, _, truncated, info = env.step_units(np.full((4, 1), 4))
        assert not truncated
        node = info["nodes"]["retailer"]
        retailer.append(
            (int(node["demand"][0]), int(node["stock"][0]), int(node["backorders"][0]), info["costs"]["retailer"])
        )
        for name in ("factory", "distributor", "wholesaler"):
            upstream = info["nodes"][name]
            assert int(upstream["stock"][0]) == 12 and not upstream["owed_to_children"].any(), (week, name)
            assert info["costs"][name] == 4.0, (week, name)
            assert int(info["lanes"][f"{name}->{env.network.names[env.network.index[name] + 1]}"]["shipped"][0]) == 4
        assert reward == -info["cost"] == -(3 * 4.0 + retailer[-1][3])
    assert retailer == [
        (4, 12, 0, 6.0),
        (4, 12, 0, 6.0),
        (4, 12, 0, 6.0),
        (4, 12, 0, 6.0),
        (8, 8, 0, 4.0),
        (8, 4, 0, 2.0),
        (8, 0, 0, 0.0),
        (8, 0, 4, 4.0),
        (8, 0, 8, 8.0),
        (8, 0, 12, 12.0),
    ]


@pytest.mark.parametrize("name", SHIPPED)
def test_a_network_starts_with_nothing_in_transit_beyond_its_lead_times(name):
    """What is in transit at the start arrives on days 1 .. lead_time - 1; day lead_time's arrivals are what
    the first step ships (with an order delay, the first of the initial orders), not added on top."""
    network = load_network(name).network
    sim = Networks(network, 1)
    sim.reset(generators([0]))
    for warehouse, lane in zip(sim.nodes, network.supply_lanes, strict=True):
        expected = np.zeros_like(warehouse.pipeline[0])
        expected[: lane.lead_time - 1] = lane.initial_in_transit
        assert np.array_equal(warehouse.pipeline[0], expected), lane.label
        assert np.array_equal(
            warehouse.on_order[0], np.full(network.n_products, lane.initial_orders * lane.order_delay)
        )
