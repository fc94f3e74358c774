"""The network rules on hand-made states, balanced rationing, the bullwhip ratio, and where each rule applies."""

import math
import re
import tomllib

import numpy as np
import pytest

from inventory_rl.evaluation.episodes import generators
from inventory_rl.evaluation.network_episodes import play_network
from inventory_rl.policies.network_rules import (
    RULES,
    STERMAN,
    NetworkState,
    applicable,
    bullwhip_ratio,
    make_network_rule,
)
from inventory_rl.policies.newsvendor import base_stock_levels, critical_ratio
from inventory_rl.world.network import list_networks, load_network, network_from_table
from inventory_rl.world.networks import Networks, _balanced
from inventory_rl.world.observation import Observation
from inventory_rl.world.warehouses import largest_remainder


def fresh(name: str, *overrides: str, rule: str, **parameters) -> tuple[Networks, object]:
    """Network ``name`` reset with seed 0 and rule ``rule`` reset on it (batch of one)."""
    network = load_network(name, overrides).network
    policy = make_network_rule(rule, network, **parameters)
    sim = Networks(policy.network, 1)
    sim.reset(generators([0]))
    policy.reset(sim)
    return sim, policy


def set_node(sim: Networks, node: int, stock=0, backlog=0, pipeline=(), pipe=(), owed=0) -> None:
    """Hand-set a one-product node: its stock, its customers' backlog, its shipments by arrival day
    (``pipeline``), its orders on their way to its supplier (``pipe``, slot 0 reaching it next step), what its
    supplier owes it (``owed``); what it has on order follows."""
    warehouse = sim.nodes[node]
    warehouse.stock[:] = stock
    warehouse.backlog[:] = backlog
    warehouse.pipeline[:] = 0
    warehouse.pipeline[0, : len(pipeline), 0] = pipeline
    sim.order_pipes[node][:] = 0
    sim.order_pipes[node][0, : len(pipe), 0] = pipe
    sim.owed[node][:] = owed
    warehouse.on_order = sim.order_pipes[node].sum(axis=1) + sim.owed[node]


def beer_game_state(sim: Networks) -> None:
    """factory (0), distributor (1), wholesaler (2), retailer (3). Installation positions (stock + in transit +
    on order - backlog - owed to the child): factory 10 + 2 = 12; distributor 15; wholesaler 8 + 4 + 4 - 1 = 15;
    retailer 5 + 7 + (5 + 6 + 1) - 2 = 22. Orders reaching their supplier next step: wholesaler 3, retailer 5."""
    set_node(sim, 0, stock=10, pipeline=(1, 1))
    set_node(sim, 1, stock=15)
    set_node(sim, 2, stock=8, pipeline=(2, 2), pipe=(3, 1))
    set_node(sim, 3, stock=5, backlog=2, pipeline=(3, 4), pipe=(5, 6), owed=1)


def test_the_state_a_rule_reads():
    sim, _ = fresh("beer-game", rule="base-stock")
    beer_game_state(sim)
    state = NetworkState.of(sim)
    assert state.position[0, :, 0].tolist() == [12, 15, 15, 22]
    assert state.owed_to_children[0, :, 0].tolist() == [0, 0, 1, 0]
    assert state.reaching[0, :, 0].tolist() == [0, 0, 3, 5]
    assert state.in_transit[0, :, 0].tolist() == [2, 0, 4, 7]


def test_installation_base_stock_orders_up_to_each_level_on_its_own_position():
    """Levels = cover x the stated rate (4 a week): 20, 16, 20, 24 against positions 12, 15, 15, 22."""
    sim, rule = fresh("beer-game", rule="base-stock", cover=np.array([5.0, 4.0, 5.0, 6.0]))
    beer_game_state(sim)
    orders, transfers = rule.decide(sim)
    assert orders[0, :, 0].tolist() == [8, 1, 5, 2]
    assert transfers.shape == (1, 0, 1)


def test_smoothed_base_stock_closes_a_share_of_its_gap_on_top_of_its_rate():
    """Proportional order-up-to: rate 4 + (level - position - 4) / T. Levels 20, 16, 20, 24 against positions
    12, 15, 15, 22: gaps 8, 1, 5, 2. T = 1 is base-stock; T = 4 orders 4 + 4/4 = 5, 4 - 3/4 -> 3, 4 + 1/4 -> 4,
    4 - 2/4 -> 4 (rounded to even); a node above its level (cover 2: level 8, position 15) still orders
    4 - 11/4 -> 1 where base-stock orders nothing."""
    cover = np.array([5.0, 4.0, 5.0, 6.0])
    for smoothing, expected in ((np.ones(4), [8, 1, 5, 2]), (np.full(4, 4.0), [5, 3, 4, 4])):
        sim, rule = fresh("beer-game", rule="base-stock", cover=cover, smoothing=smoothing)
        beer_game_state(sim)
        assert rule.decide(sim)[0][0, :, 0].tolist() == expected
    sim, rule = fresh("beer-game", rule="base-stock", cover=np.array([5.0, 2.0, 5.0, 6.0]), smoothing=np.full(4, 4.0))
    beer_game_state(sim)
    assert rule.decide(sim)[0][0, 1, 0] == 1


def test_echelon_base_stock_counts_everything_below_and_orders_in_the_mail():
    """The optimal levels 81, 63, 46, 26 (node order), bottom-up. Retailer: 26 - 22 = 4. Wholesaler: its
    position 15 + the retailer's 22, less the 5 reaching it next step (counted as arrived), plus the retailer's
    order of today (in the mail): 36, so 10. Distributor: 15 + 15 + 22 - (3 + 5) + (10 + 4) = 58, so 5. Factory:
    12 + 58 + 5 = 75, so 6."""
    sim, rule = fresh("beer-game", rule="optimal")
    beer_game_state(sim)
    orders, _ = rule.decide(sim)
    assert orders[0, :, 0].tolist() == [6, 5, 10, 4]


def test_without_an_order_delay_the_order_below_is_not_counted_twice():
    """serial (no order delays): the retailer's order reaches the DC at once, so the DC's echelon position is
    the two installation positions alone. Levels 34, 22, 9; retailer at 4 orders 5; DC 10 + 4 = 14 orders 8;
    factory 0 + 14 = 14 orders 20."""
    sim, rule = fresh("serial", rule="optimal")
    set_node(sim, 0, stock=0)
    set_node(sim, 1, stock=10)
    set_node(sim, 2, stock=4)
    orders, _ = rule.decide(sim)
    assert orders[0, :, 0].tolist() == [20, 8, 5]


def test_s_s_orders_up_to_s_only_at_or_below_s():
    """With a shipment cost into the retailer: s = cover x 5, S = s + gap x 5. The retailer at 3 <= s = 10
    orders up to 25; the DC at 12 > s = 10 orders nothing; the factory at 10 = s orders up to 15."""
    sim, rule = fresh(
        "serial",
        "lanes.retailer.shipment_cost=10",
        rule="s-S",
        cover=np.array([2.0, 2.0, 2.0]),
        gap=np.array([1.0, 1.0, 3.0]),
    )
    set_node(sim, 0, stock=10)
    set_node(sim, 1, stock=12)
    set_node(sim, 2, stock=3)
    orders, _ = rule.decide(sim)
    assert orders[0, :, 0].tolist() == [5, 0, 22]


@pytest.mark.parametrize(("z", "sent"), [(0.0, 10), (1.0, 14)])
def test_transfers_send_what_the_sibling_lacks_out_of_what_the_sender_can_spare(z, sent):
    """store_a holds 30, store_b nothing, nothing on the way; Poisson(5) each, supply lead time 3, transfers 1
    day. store_b lacks, on days 1..2 (a transfer reaches them, an order placed today does not), up to
    max(5d + z sqrt(5d)) = 10 (z = 0) or ceil(10 + 3.16) = 14; store_a keeps max(5d + z sqrt(5d)) <= 13.2 of its
    30 for itself. The positions after the transfer decide the orders: levels 20 each."""
    sim, rule = fresh("transshipment", rule="base-stock+transfers", cover=np.array([4.0, 4.0]), z=z)
    set_node(sim, 0, stock=30)
    set_node(sim, 1, stock=0)
    orders, transfers = rule.decide(sim)
    assert transfers[0, :, 0].tolist() == [sent, 0]
    assert orders[0, :, 0].tolist() == [sent - 10, 20 - sent]


def test_sterman_anchors_on_smoothed_orders_and_adjusts_stock_and_supply_line():
    """beer-game-classic: expected incoming orders 10 (set), the day's incoming orders: the retailer's customers
    4 (week 1), the wholesaler's 7 (the retailer's order that reached it); smoothed with θ = 0.36. Order =
    max(0, round(L + 0.26 (17 - (stock - backlog - owed) - 0.34 (in transit + on order))))."""
    sim, rule = fresh("beer-game-classic", rule="sterman")
    set_node(sim, 2, stock=3, pipeline=(2, 2), pipe=(1, 1))  # wholesaler: net 3 - 6 owed = -3, supply line 6
    set_node(sim, 3, stock=2, backlog=6, pipeline=(4, 4), pipe=(4, 4), owed=6)  # retailer: net -4, line 22
    sim.arrived[3][:] = 7  # the retailer's order that reached the wholesaler today
    sim.day = 1
    for warehouse in sim.nodes:
        warehouse.day = 1
    rule.expected[:] = 10.0
    orders, _ = rule.decide(sim)
    theta, alpha, beta, desired = STERMAN["theta"], STERMAN["alpha_s"], STERMAN["beta"], STERMAN["s_prime"]
    retailer = theta * 4 + (1 - theta) * 10 + alpha * (desired + 4 - beta * 22)
    wholesaler = theta * 7 + (1 - theta) * 10 + alpha * (desired + 3 - beta * 6)
    assert orders[0, 3, 0] == round(retailer) == 11
    assert orders[0, 2, 0] == round(wholesaler) == 14


def test_sterman_never_orders_below_zero():
    sim, rule = fresh("beer-game-classic", rule="sterman")
    set_node(sim, 3, stock=200)
    orders, _ = rule.decide(sim)
    assert orders[0, 3, 0] == 0


def test_newsvendor_stores_play_the_single_warehouse_rule_with_what_is_on_order_as_stock():
    """distribution: a store with nothing orders up to the 0.9 quantile of one day's demand at its 7-day mean;
    2 units on order (owed, or on the way to the DC) lower the order by 2."""
    sim, rule = fresh("distribution", rule="newsvendor")
    for node in range(1, 5):
        set_node(sim, node)
    state = NetworkState.of(sim)
    config = rule.network.nodes[1].config
    level = base_stock_levels(state.mean_demand[:, 1], config.max_demand, critical_ratio(1.0, 9.0))
    orders, _ = rule.decide(sim)
    assert orders[0, 1, 0] == level[0, 0] > 2
    set_node(sim, 1, pipe=(2,))
    orders, _ = rule.decide(sim)
    assert orders[0, 1, 0] == level[0, 0] - 2


def test_the_oracle_stores_play_the_newsvendor_rule_on_the_true_rates():
    """distribution: the oracle's store with nothing orders up to the 0.9 quantile of one day's demand at the
    hidden rate of the coming day, not at its 7-day mean."""
    sim, rule = fresh("distribution", rule="oracle")
    for node in range(1, 5):
        set_node(sim, node)
    true_rate = sim.nodes[1].rates_ahead(1)[:, 0]
    config = rule.network.nodes[1].config
    level = base_stock_levels(true_rate, config.max_demand, critical_ratio(1.0, 9.0))
    orders, _ = rule.decide(sim)
    assert orders[0, 1, 0] == level[0, 0] > 0
    assert not np.isclose(true_rate, NetworkState.of(sim).mean_demand[:, 1]).all()


def test_proportional_stores_order_their_7_day_mean_and_the_dc_follows_base_stock():
    """distribution, free mode: a store orders its 7-day mean demand, rounded, whatever it holds; the DC (no
    customers) orders up to its base-stock level."""
    sim, rule = fresh("distribution", rule="proportional")
    mean = NetworkState.of(sim).mean_demand
    orders, _ = rule.decide(sim)
    assert orders[0, 1:, 0].tolist() == np.rint(mean[0, 1:, 0]).astype(int).tolist()
    set_node(sim, 2, stock=50)
    assert rule.decide(sim)[0][0, 2, 0] == orders[0, 2, 0]
    base_stock = make_network_rule("base-stock", rule.network, cover=rule.parameters["cover"])
    base_stock.reset(sim)
    assert rule.decide(sim)[0][0, 0, 0] == base_stock.decide(sim)[0][0, 0, 0]


def test_proportional_splits_the_gap_of_the_original_warehouses_by_their_7_day_means():
    """regional: under proportional each original warehouse orders its whole gap, split in proportion to each
    product's 7-day average demand (largest remainders); other rules split it by the newsvendor rule."""
    sim, rule = fresh("regional", rule="proportional")
    orders, _ = rule.decide(sim)
    base_stock = make_network_rule("base-stock", rule.network)
    base_stock.reset(sim)
    newsvendor_split, _ = base_stock.decide(sim)
    for node in range(1, 4):
        warehouse = sim.nodes[node]
        averages = Observation.decode(warehouse.observe(), warehouse.config).avg7_demand
        assert orders[0, node].tolist() == largest_remainder(averages, warehouse.gap)[0].tolist()
    assert (orders[0, 1:] != newsvendor_split[0, 1:]).any()


def test_fill_mode_warehouses_split_their_whole_gap():
    """regional: each of the original warehouses orders exactly its gap, split by the newsvendor rule."""
    sim, rule = fresh("regional", rule="echelon-base-stock")
    orders, _ = rule.decide(sim)
    for node in range(1, 4):
        assert orders[0, node].sum() == sim.nodes[node].gap[0] > 0
        assert (orders[0, node] >= 0).all()


def test_the_optimal_rule_plays_the_solver_levels():
    _, rule = fresh("serial", rule="optimal")
    assert list(rule.parameters["levels"]) == [34, 22, 9]


# ---------------------------------------------------------------------------- balanced rationing
@pytest.mark.parametrize(
    ("available", "given"),
    [(6, [4, 0, 2]), (7, [4, 0, 3]), (5, [4, 0, 1]), (12, [4, 4, 4]), (2, [2, 0, 0])],
)
def test_balanced_rationing_fills_the_lowest_positions_first(available, given):
    """Positions 0, 5, 2, each asking 4: water-filling to a common level, none above what it asks, a unit left
    over to the earliest child that would take one more."""
    asked = np.array([[[4], [4], [4]]])
    positions = np.array([[[0], [5], [2]]])
    units = _balanced(np.array([[available]]), asked, positions)
    assert units[0, :, 0].tolist() == given
    assert units.sum() == min(available, 12)


BALANCED = """
n_products = 1
capacity = 100
order_mode = "free"
reward_mode = "cost"
demand_model = "none"
episode_days = 3
rationing = "balanced"

[nodes.dc]
initial_stock = 6

[nodes.c1]
initial_stock = 0

[nodes.c2]
initial_stock = 5

[nodes.c3]
initial_stock = 2

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


@pytest.mark.parametrize(("rationing", "shipped"), [("balanced", [4, 0, 2]), ("proportional", [2, 2, 2])])
def test_a_short_dc_balances_its_childrens_positions(rationing, shipped):
    """Three children at 0, 5 and 2 units each order 4 of the DC's 6: balanced rationing ships 4, 0, 2 (all at 4);
    proportional 2, 2, 2."""
    network = network_from_table(tomllib.loads(BALANCED), [f"nodes.dc.rationing={rationing}"], "test")
    sim = Networks(network, 1)
    sim.reset(generators([0]))
    day = sim.step_units(np.array([[[0], [4], [4], [4]]]))
    assert [int(day.shipped[child][0, 0]) for child in (1, 2, 3)] == shipped


# ---------------------------------------------------------------------------- the bullwhip ratio
def test_the_bullwhip_ratio_of_the_demand_itself_is_one():
    demand = np.random.default_rng(0).poisson(5, (3, 500))
    assert bullwhip_ratio(demand, demand) == 1.0
    assert bullwhip_ratio(2 * demand, demand) == pytest.approx(4.0)
    assert math.isnan(bullwhip_ratio(demand, np.zeros_like(demand)))


def test_base_stock_passes_demand_straight_through_with_a_bullwhip_ratio_of_one():
    """serial, 2,000 days, installation base-stock at constant levels high enough never to run out upstream:
    the retailer orders exactly the day's demand, each stage what reached it the day before; every ratio 1."""
    network = load_network("serial", ["episode_days=2000"]).network
    rule = make_network_rule("base-stock", network, cover=np.array([8.0, 8.0, 4.0]))
    played = play_network(rule, [1, 2, 3, 4])
    retailer = network.index["retailer"]
    assert np.array_equal(played.ordered[:, 1:, retailer], played.demand[:, :-1, retailer])
    for node, ratio in played.bullwhip(warmup=10).items():
        assert ratio == pytest.approx(1.0, abs=0.01), node


def test_sterman_amplifies_orders_upstream():
    """The stationary beer game under Sterman's rule: the factory's orders vary over 3 times as much as demand."""
    network = load_network("beer-game").network
    ratios = play_network(make_network_rule("sterman", network), list(range(20))).bullwhip()
    assert ratios["factory"] > ratios["distributor"] > ratios["wholesaler"] > 1.0
    assert ratios["factory"] > 3.0


# ---------------------------------------------------------------------------- where each rule applies
APPLY = {
    "serial": {"base-stock", "echelon-base-stock", "sterman", "optimal"},
    "beer-game": {"base-stock", "echelon-base-stock", "sterman", "optimal"},
    "beer-game-classic": {"base-stock", "echelon-base-stock", "sterman"},
    "distribution": {"base-stock", "echelon-base-stock", "echelon-balanced", "newsvendor", "proportional", "oracle"},
    "transshipment": {"base-stock", "base-stock+transfers"},
    "regional": {"base-stock", "echelon-base-stock", "echelon-balanced", "proportional", "oracle"},
}


@pytest.mark.parametrize("scenario", list_networks(), ids=lambda scenario: scenario.name)
def test_each_rule_applies_where_it_makes_sense_and_says_why_not_elsewhere(scenario):
    reasons = {name: applicable(name, scenario.network) for name in RULES}
    assert {name for name, reason in reasons.items() if reason is None} == APPLY[scenario.name]
    for name, reason in reasons.items():
        if reason is not None:
            assert "\n" not in reason and len(reason) > 20
            with pytest.raises(ValueError, match=re.escape(name)):
                make_network_rule(name, scenario.network)


def test_rules_refuse_unknown_names_and_parameters():
    network = load_network("serial").network
    with pytest.raises(ValueError, match="unknown network rule"):
        applicable("magic", network)
    with pytest.raises(ValueError, match="no parameter 'gap'"):
        make_network_rule("base-stock", network, gap=np.ones(3))
