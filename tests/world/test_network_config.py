"""Network files (``world.network``): every mistake is a ``ScenarioError`` of one line naming the file (or the
``--set``) and the key; ``--set`` reaches nodes, supply lanes, transfer lanes and the network; the
single-warehouse loader refuses a network."""

from __future__ import annotations

import pytest

from inventory_rl.world.config import ScenarioError, load_scenario
from inventory_rl.world.network import NETWORK_SETTINGS, NetworkConfig, list_networks, load_network

SHIPPED = ("serial", "beer-game", "beer-game-classic", "distribution", "transshipment", "regional")
BASE = """
n_products = 1
capacity = 100
reward_mode = "cost"
unmet_demand = "backorder"
episode_days = 10
demand_model = "none"

[nodes.dc]

[nodes.store_a]
demand_model = "poisson"

[nodes.store_b]
demand_model = "poisson"

[[lanes]]
from = "supplier"
to = "dc"
lead_time = 2

[[lanes]]
from = "dc"
to = "store_a"

[[lanes]]
from = "dc"
to = "store_b"
"""


def written(tmp_path, text: str) -> str:
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused(path: str, overrides=()) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_network(path, overrides)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message, message
    return caught.value


def test_the_base_file_is_a_good_network(tmp_path):
    network = load_network(written(tmp_path, BASE)).network
    assert network.names == ("dc", "store_a", "store_b")
    assert network.children == ((1, 2), (), ())


# (what is wrong, text added to the base file, the key (``ScenarioError.key``) and, where the mistake is one of
# structure rather than of a setting, what the message names instead of the key: the node or the lane)
BAD_FILES = [
    ("a lane to an unknown node", '[[lanes]]\nfrom = "dc"\nto = "nowhere"\n', "to"),
    ("a lane from an unknown node", '[[lanes]]\nkind = "transfer"\nfrom = "nowhere"\nto = "store_a"\n', "from"),
    (
        "an unknown key on a node",
        "[nodes.store_c]\nholdng_cost = 1\n" + '[[lanes]]\nfrom = "dc"\nto = "store_c"\n',
        "holdng_cost",
    ),
    ("an unknown lane setting", '[[lanes]]\nkind = "transfer"\nfrom = "store_a"\nto = "store_b"\nspeed = 3\n', "speed"),
    (
        "a lane from a node to itself",
        '[[lanes]]\nkind = "transfer"\nfrom = "store_a"\nto = "store_a"\n',
        "to",
        "lane store_a -> store_a: a lane from a node to itself",
    ),
    ("an unknown lane kind", '[[lanes]]\nkind = "teleport"\nfrom = "store_a"\nto = "store_b"\n', "kind"),
    (
        "a cycle of supply lanes",
        '[nodes.x]\n[nodes.y]\n[[lanes]]\nfrom = "x"\nto = "y"\n[[lanes]]\nfrom = "y"\nto = "x"\n',
        "lanes",
        "the supply lanes make a cycle: x -> y -> x",
    ),
    ("a node with no supply lane", "[nodes.store_c]\n", "lanes", "node store_c: needs exactly one supply lane"),
    (
        "a node with two supply lanes",
        '[[lanes]]\nfrom = "supplier"\nto = "store_a"\n',
        "lanes",
        "node store_a: needs exactly one supply lane, has dc and supplier",
    ),
    (
        "a transfer lane between non-siblings",
        '[[lanes]]\nkind = "transfer"\nfrom = "dc"\nto = "store_a"\n',
        "kind",
        "lane dc->store_a: a transfer lane joins siblings",
    ),
    ("a lead time below 1", '[nodes.store_c]\n[[lanes]]\nfrom = "dc"\nto = "store_c"\nlead_time = 0\n', "lead_time"),
    (
        "a fractional lead time",
        '[nodes.store_c]\n[[lanes]]\nfrom = "dc"\nto = "store_c"\nlead_time = 1.5\n',
        "lead_time",
    ),
    (
        "a negative node cost",
        '[nodes.store_c]\nholding_cost = -1\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n',
        "holding_cost",
    ),
    (
        "a negative lane cost",
        '[nodes.store_c]\n[[lanes]]\nfrom = "dc"\nto = "store_c"\nunit_cost = -0.5\n',
        "unit_cost",
    ),
    (
        "a negative shipment cost",
        '[[lanes]]\nkind = "transfer"\nfrom = "store_a"\nto = "store_b"\nshipment_cost = -2\n',
        "shipment_cost",
    ),
    ("lead_time on a node", '[nodes.store_c]\nlead_time = 2\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n', "lead_time"),
    (
        "episode_days on a node",
        '[nodes.store_c]\nepisode_days = 5\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n',
        "episode_days",
    ),
    (
        "the original reward in a network",
        '[nodes.store_c]\nreward_mode = "original"\nunmet_demand = "lost"\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n',
        "reward_mode",
    ),
    (
        "disruptions at a node with a parent node",
        '[nodes.store_c]\ndisruption_prob = 0.1\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n',
        "disruption_prob",
    ),
    (
        "partial shipments at a node with a parent node",
        '[nodes.store_c]\npartial_prob = 0.1\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n',
        "disruption_prob",
    ),
    (
        "another number of products",
        '[nodes.store_c]\nn_products = 2\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n',
        "n_products",
    ),
    (
        "an unknown rationing",
        '[nodes.store_c]\nrationing = "lottery"\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n',
        "rationing",
    ),
    ("an unknown owed rule", '[nodes.store_c]\nowed = "forget"\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n', "owed"),
    (
        "a transfer slower than the receiver's supply",
        '[[lanes]]\nkind = "transfer"\nfrom = "store_a"\nto = "store_b"\nlead_time = 2\n',
        "lead_time",
    ),
    (
        "a transfer with an order delay",
        '[[lanes]]\nkind = "transfer"\nfrom = "store_a"\nto = "store_b"\norder_delay = 1\n',
        "order_delay",
    ),
    (
        "a transfer with random lead times",
        '[[lanes]]\nkind = "transfer"\nfrom = "store_a"\nto = "store_b"\nlead_time_max = 2\n',
        "lead_time_max",
    ),
    (
        "more at the start than the capacity",
        '[nodes.store_c]\ninitial_stock = 60\n[[lanes]]\nfrom = "dc"\nto = "store_c"\n'
        "lead_time = 3\ninitial_in_transit = 25\n",  # 60 + 2 days x 25 > 100
        "initial_in_transit",
    ),
    (
        "more ordered at the start than the capacity",
        '[nodes.store_c]\n[[lanes]]\nfrom = "dc"\nto = "store_c"\norder_delay = 3\ninitial_orders = 40\n',
        "initial_orders",
    ),
    ("an unknown network setting", "[network]\ntransit_hold = true\n", "transit_hold"),
    ("a network setting of the wrong type", "[network]\ntransit_holding = 1\n", "transit_holding"),
    ("a node named supplier", '[nodes.supplier]\n[[lanes]]\nfrom = "dc"\nto = "supplier"\n', "nodes", "'supplier'"),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_a_bad_file_is_one_line_naming_the_file_and_the_key(tmp_path, case):
    _, added, key, *named = case
    path = written(tmp_path, BASE + added)
    error = refused(path)
    message = str(error)
    assert message.startswith(f"{path}: "), message
    assert (named[0] if named else f"{key}: ") in message.removeprefix(f"{path}: "), message
    assert error.key == key


def test_a_lead_time_at_the_top_of_the_file_belongs_to_the_lanes(tmp_path):
    path = written(tmp_path, "lead_time = 2\n" + BASE)
    message = str(refused(path))
    assert message.startswith(f"{path}: lead_time: ") and "[[lanes]]" in message


def test_a_missing_or_unreadable_file_is_one_line(tmp_path):
    assert "nowhere.toml" in str(refused(str(tmp_path / "nowhere.toml")))
    broken = written(tmp_path, "[nodes.dc\n")
    assert str(refused(broken)).startswith(f"{broken}: not a readable TOML file")
    single = written(tmp_path, "capacity = 100\n")
    assert str(refused(single)).startswith(f"{single}: not a network")


BAD_OVERRIDES = [
    ("nodes.nowhere.holding_cost=1", "nowhere"),
    ("lanes.store_a.lead_time=0", "lead_time"),
    ("network.bogus=1", "bogus"),
    ("lanes.nowhere.lead_time=2", "nowhere"),
    ("transfers.store_a.store_b.unit_cost=1", "store_a.store_b"),  # there is no transfer lane in the base file
    ("nodes.store_a.lead_time=2", "lead_time"),
    ("nodes.store_a.episode_days=5", "episode_days"),
    ("nodes.store_a.holding_cost=-1", "holding_cost"),
    ("nodes.store_a.bogus=1", "bogus"),
    ("lanes.store_a.unit_cost=-1", "unit_cost"),
    ("lanes.store_a.colour=1", "colour"),
    ("nodes.store_a.disruption_prob=0.2", "disruption_prob"),
    ("nodes.dc.rationing=lottery", "rationing"),
    ("network.transit_holding=3", "transit_holding"),
    ("nodes.store_a=3", "nodes.NAME.KEY"),
    ("a.b.c.d.e=1", "nodes.NAME.KEY"),
]


@pytest.mark.parametrize(("override", "named"), BAD_OVERRIDES, ids=[case[0] for case in BAD_OVERRIDES])
def test_a_bad_override_is_one_line_starting_with_the_set(tmp_path, override, named):
    message = str(refused(written(tmp_path, BASE), [override]))
    assert message.startswith(f"--set {override}: "), message
    assert named in message.removeprefix(f"--set {override}: "), message


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("nodes.nowhere.holding_cost=1", "no node 'nowhere'; the nodes are factory, dc, retailer"),
        ("lanes.retailer.lead_time=0", "lane dc -> retailer: lead_time: must be at least 1, got 0"),
        ("network.bogus=1", "[network]: bogus: not a network setting"),
    ],
)
def test_a_bad_override_of_a_shipped_network_names_the_set(override, named):
    message = str(refused("serial", [override]))
    assert message.startswith(f"--set {override}: ") and named in message, message


def test_the_override_at_fault_is_named_among_several():
    message = str(refused("serial", ["nodes.dc.holding_cost=1", "unmet_demand=lost", "reward_mode=original"]))
    assert message.startswith("--set reward_mode=original: node factory: reward_mode: "), message
    message = str(refused("transshipment", ["transfers.store_a.store_b.lead_time_max=2"]))
    assert message.startswith("--set transfers.store_a.store_b.lead_time_max=2: "), message
    message = str(refused("serial", ["nodes.dc.holding_cost=1", "nodes.retailer.holding_cost=-2"]))
    assert message.startswith("--set nodes.retailer.holding_cost=-2: node retailer: holding_cost"), message


def test_overrides_take_effect():
    serial = load_network(
        "serial", ["nodes.retailer.backorder_cost=20", "lanes.retailer.lead_time=3", "network.transit_holding=false"]
    ).network
    retailer = serial.nodes[serial.index["retailer"]]
    assert retailer.config.backorder_cost == 20.0 and retailer.config.lead_time == 3
    assert serial.supply_lanes[serial.index["retailer"]].lead_time == 3
    assert not serial.transit_holding
    assert serial.nodes[serial.index["dc"]].config.lead_time == 2  # the other lanes as they were
    transshipment = load_network("transshipment", ["transfers.store_a.store_b.unit_cost=1"]).network
    costs = {lane.label: lane.unit_cost for lane in transshipment.transfer_lanes}
    assert costs == {"store_a->store_b": 1.0, "store_b->store_a": 0.5}
    everywhere = load_network("distribution", ["holding_cost=2", "nodes.dc.holding_cost=0.1"]).network
    assert [node.config.holding_cost for node in everywhere.nodes] == [0.1, 2.0, 2.0, 2.0, 2.0]


def test_the_single_warehouse_loader_refuses_a_network():
    for name in SHIPPED:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(name)
        message = str(caught.value)
        assert "\n" not in message and f"{name}.toml" in message and "network" in message


def test_every_shipped_network_loads_and_round_trips():
    assert sorted(scenario.name for scenario in list_networks()) == sorted(SHIPPED)
    for scenario in list_networks():
        assert scenario.description
        network = scenario.network
        assert NetworkConfig.from_dict(network.to_dict()) == network
        assert set(network.to_dict()) == {"nodes", "lanes", *NETWORK_SETTINGS}
        for parent, node in zip(network.parents, network.nodes, strict=True):  # parents before children
            assert parent is None or parent < network.index[node.name]
