"""The exact optimum of serial networks played in the simulator, and the bounds where no optimum is known."""

import dataclasses
import itertools

import numpy as np
import pytest

from inventory_rl.evaluation.episodes import generators
from inventory_rl.evaluation.metrics import confidence_interval
from inventory_rl.evaluation.network_episodes import play_network
from inventory_rl.policies import network_rules
from inventory_rl.policies.network_optimum import (
    demand_pmf,
    newsvendor_cost,
    oracle_bound,
    pooling_bound,
    serial_optimum,
    serial_problem,
)
from inventory_rl.policies.network_rules import NetworkState, make_network_rule
from inventory_rl.policies.serial_optimum import beer_game, poisson_pmf
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.network import load_network
from inventory_rl.world.networks import Networks

WARMUP = 100


def test_the_beer_game_network_is_the_solvers_beer_game():
    """The problem read from beer-game.toml is serial_optimum's own beer game, stage for stage."""
    problem, reason = serial_problem(load_network("beer-game").network)
    assert reason is None
    assert problem == beer_game()


def test_the_serial_network_is_a_three_stage_problem():
    """Retailer first: lead times 1, 2, 2, holding 1, 0.5, 0.25, backorders 9; Poisson(5) capped at 20 as the
    simulator caps it (the cap moves 2e-7 of the mass onto 20)."""
    problem, _ = serial_problem(load_network("serial").network)
    assert problem.lead_times == (1, 2, 2)
    assert problem.holding_costs == (1.0, 0.5, 0.25)
    assert problem.backorder_cost == 9.0
    assert len(problem.demand_pmf) == 21
    assert problem.demand_pmf[:20] == pytest.approx(poisson_pmf(5.0)[:20], rel=1e-9)
    assert problem.mean_demand == pytest.approx(5.0, abs=1e-5)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("serial", ()),
        ("beer-game", ()),
        ("serial", ("network.transit_holding=false",)),  # the solver's cost without in-transit holding
        ("serial", ("lanes.dc.order_delay=1", "lanes.retailer.order_delay=2", "nodes.retailer.backorder_cost=19")),
    ],
    ids=["serial", "beer-game", "serial-no-transit-holding", "serial-order-delays"],
)
def test_the_optimum_played_in_the_simulator_costs_what_the_solver_says(name, overrides):
    """120 episodes of 2,000 days, the first 100 of each dropped: the solver's long-run cost per day (as the
    simulator charges it) lies in the 95% interval of the simulated one, and that interval is narrow (under
    1.5% of the cost), so a wrong cost would not pass."""
    network = load_network(name, ("episode_days=2000", *overrides)).network
    optimum = serial_optimum(network)
    played = play_network(make_network_rule("optimal", network), list(range(1000, 1120)))
    cost = played.metrics(warmup=WARMUP)["network"]["cost_per_day"]
    low, high = confidence_interval(cost)
    assert low <= optimum.cost <= high
    assert high - low < 0.015 * optimum.cost
    if not network.transit_holding:
        assert optimum.cost == pytest.approx(optimum.solution.cost_without_in_transit)


def test_counting_an_order_on_the_day_it_reaches_its_supplier_matters(monkeypatch):
    """The simulator delivers an order to its supplier after the decisions of that day: an echelon position
    that still counts it then (reaching left out) costs the beer game far more than the optimum."""
    network = load_network("beer-game", ["episode_days=600"]).network
    optimum = serial_optimum(network)
    original = NetworkState.of

    def late(sim):
        state = original(sim)
        return dataclasses.replace(state, reaching=np.zeros_like(state.reaching))

    monkeypatch.setattr(network_rules.NetworkState, "of", staticmethod(late))
    played = play_network(make_network_rule("optimal", network), list(range(20)))
    cost = played.metrics(warmup=WARMUP)["network"]["cost_per_day"]
    assert cost.mean() > 1.3 * optimum.cost


def test_tuned_levels_have_their_exact_cost():
    """``evaluate_levels`` prices any echelon levels given in node order: the optimum's at the optimum, a level
    moved by 3 above it."""
    optimum = serial_optimum(load_network("beer-game").network)
    assert optimum.evaluate_levels(list(optimum.node_levels)) == pytest.approx(optimum.cost, rel=1e-12)
    levels = list(optimum.node_levels)
    levels[-1] += 3
    assert optimum.evaluate_levels(levels) > optimum.cost + 0.1


@pytest.mark.parametrize(
    ("name", "overrides", "reason"),
    [
        ("beer-game-classic", (), "backorder cost at the retailer only"),
        ("distribution", (), "not a serial chain"),
        ("transshipment", (), "not a serial chain"),
        ("serial", ("n_products=2", "nodes.factory.initial_stock=5", "nodes.dc.initial_stock=5"), "one product"),
        ("serial", ("lanes.dc.lead_time_max=4",), "lead times must be fixed"),
        ("serial", ("lanes.retailer.shipment_cost=1",), "fixed cost"),
        ("serial", ("nodes.factory.holding_cost=2",), "holding_costs must not fall downstream"),
        ("serial", ("nodes.retailer.weekly=[1, 1, 1, 1, 1, 2, 2]",), "stationary"),
        ("serial", ("nodes.retailer.rate_high=9",), "stationary"),
        ("serial", ("capacity=40",), "capacity could bind"),
        ("serial", ("nodes.dc.backorder_cost=1",), "backorder cost at the retailer only"),
    ],
)
def test_networks_that_are_not_of_the_clark_scarf_form_are_refused_with_the_reason(name, overrides, reason):
    problem, why = serial_problem(load_network(name, overrides).network)
    assert problem is None and reason in why
    with pytest.raises(ValueError, match="no exact optimum"):
        serial_optimum(load_network(name, overrides).network)


def test_the_demand_pmfs_are_the_simulators():
    """Uniform 0..8, constant 4 and negative binomial are what the simulator draws, capped at max_demand."""
    assert (
        demand_pmf(InventoryConfig(demand_model="uniform", rate_low=0, rate_high=8, max_demand=8)).tolist()
        == [1 / 9] * 9
    )
    assert demand_pmf(InventoryConfig(demand_model="uniform", rate_low=0, rate_high=9, max_demand=8))[
        -1
    ] == pytest.approx(0.2)
    assert demand_pmf(InventoryConfig(demand_model="constant", rate_low=4, rate_high=4, max_demand=8))[4] == 1.0
    config = InventoryConfig(demand_model="negative_binomial", rate_low=5, rate_high=5, max_demand=20, nb_shape=2.0)
    pmf = demand_pmf(config)
    draws = np.minimum(np.random.default_rng(0).negative_binomial(2.0, 2.0 / 7.0, 200_000), 20)
    assert pmf.sum() == pytest.approx(1.0)
    assert np.bincount(draws, minlength=21) / len(draws) == pytest.approx(pmf, abs=3e-3)
    assert demand_pmf(InventoryConfig(demand_model="poisson", rate_low=2, rate_high=18)) is None


# ---------------------------------------------------------------------------- bounds
def test_full_pooling_is_the_newsvendor_of_the_summed_demand():
    """transshipment: two Poisson(5) stores (capped at 20), lead time 3: the pooled warehouse faces 6 days of
    capped Poisson(5); its best level and cost by brute force: E[(S - D)^+ + 9 (D - S)^+]."""
    pmf = np.ones(1)
    capped = np.append(poisson_pmf(5.0)[:20], 0.0)
    capped[20] = 1 - capped.sum()
    for _ in range(6):
        pmf = np.convolve(pmf, capped)
    d = np.arange(len(pmf))
    costs = [pmf @ (np.maximum(s - d, 0) + 9 * np.maximum(d - s, 0)) for s in range(80)]
    bound = pooling_bound(load_network("transshipment").network)
    assert bound.value == pytest.approx(min(costs), rel=1e-9)
    assert f"base-stock {int(np.argmin(costs))}" in bound.description


def test_the_pooling_bound_is_below_what_the_rules_reach():
    network = load_network("transshipment", ["episode_days=400"]).network
    bound = pooling_bound(network).value
    for name in ("base-stock", "base-stock+transfers"):
        cost = play_network(make_network_rule(name, network), list(range(30))).metrics()["network"]["cost_per_day"]
        assert cost.mean() > bound


def test_the_capacity_constrained_newsvendor_by_brute_force():
    """Two products at rates 3 and 7, at most 8 units on the shelf, holding 1 and lost sales 9."""
    config = InventoryConfig(n_products=2, capacity=8, max_demand=20, holding_cost=1.0, lost_sale_cost=9.0)
    rates = np.array([[3.0, 7.0]])
    from inventory_rl.policies.newsvendor import demand_survival

    survival = demand_survival(rates, 20, 21)[0]  # (21, 2): P(D > y)
    pmf = -np.diff(np.vstack([np.ones((1, 2)), survival]), axis=0)  # P(D = y), y = 0..20
    d = np.arange(21)

    def cost(levels):
        return sum(pmf[:, k] @ (np.maximum(levels[k] - d, 0) + 9 * np.maximum(d - levels[k], 0)) for k in range(2))

    best = min(cost(levels) for levels in itertools.product(range(9), repeat=2) if sum(levels) <= 8)
    assert newsvendor_cost(rates, config)[0] == pytest.approx(best, rel=1e-9)


def test_the_oracle_bound_is_below_every_rule_episode_by_episode_on_average():
    network = load_network("distribution").network
    seeds = list(range(40))
    sim = Networks(network, len(seeds))
    sim.reset(generators(seeds))
    bound = oracle_bound(sim)
    assert bound.shape == (40,) and (bound > 0).all()
    for name in ("base-stock", "echelon-base-stock"):
        cost = play_network(make_network_rule(name, network), seeds).metrics()["network"]["cost_per_day"]
        assert (cost - bound).mean() > 0
