"""Tuning network rules: the search's parameters, reproducible, cached, and how close it comes to the optimum."""

import json

import numpy as np
import pytest

from inventory_rl.evaluation.network_episodes import score_network
from inventory_rl.policies import network_tuning
from inventory_rl.policies.network_optimum import serial_optimum
from inventory_rl.policies.network_rules import SeatPolicy, fixed_rates, make_network_rule
from inventory_rl.policies.network_tuning import (
    coordinates,
    tune,
    tuned,
    tuned_network_rule,
    tuned_seat_rule,
    tuning_seeds,
)
from inventory_rl.runs.files import cache_dir
from inventory_rl.world.network import load_network


def test_the_parameters_searched():
    """A cover per node that decides its order size, in steps of one unit where the rate is stated; the
    newsvendor's stores follow the single-warehouse rule (only the DC is searched); transfers add z."""
    serial = load_network("serial").network
    axes = coordinates("echelon-base-stock", serial)
    assert [(a.key, a.node) for a in axes] == [("cover", 0), ("cover", 1), ("cover", 2)]
    assert [a.step for a in axes] == pytest.approx([0.2, 0.2, 0.2])
    distribution = load_network("distribution").network
    assert [(a.key, a.node) for a in coordinates("newsvendor", distribution)] == [("cover", 0)]
    assert {a.step for a in coordinates("base-stock", distribution)} == {0.1}
    transshipment = load_network("transshipment").network
    assert [a.key for a in coordinates("base-stock+transfers", transshipment)] == ["cover", "cover", "z"]
    assert coordinates("sterman", serial) == [] and coordinates("optimal", serial) == []


def test_tuning_seeds_never_meet_evaluation_seeds():
    seeds = tuning_seeds(load_network("beer-game").network)
    assert len(seeds) == 30 and seeds[0] == 900_000
    assert len(tuning_seeds(load_network("serial").network)) == 16


def small(monkeypatch):
    monkeypatch.setattr(network_tuning, "TUNING_DAYS", 400)
    return load_network("serial", ["episode_days=25"]).network


def test_tuning_is_reproducible_and_improves_on_its_start(monkeypatch):
    network = small(monkeypatch)
    first, second = tune("echelon-base-stock", network), tune("echelon-base-stock", network)
    assert first.parameters == second.parameters
    assert first.score == second.score and first.candidates == second.candidates
    assert first.score < first.start_score
    assert first.rounds >= 1 and first.candidates > 8 and first.episodes == 16


def test_tuning_is_cached_by_network_and_method(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_CACHE_DIR", str(tmp_path))
    network = small(monkeypatch)
    result = tuned("base-stock", network)
    files = list(cache_dir("network-rules").glob("base-stock-*.json"))
    assert len(files) == 1
    assert json.loads(files[0].read_text())["parameters"] == result.parameters

    def fail(*args):
        raise AssertionError("tuned again instead of reading the cache")

    monkeypatch.setattr(network_tuning, "tune", fail)
    assert tuned("base-stock", network) == result
    rule, again = tuned_network_rule("base-stock", network)
    assert again == result
    assert np.allclose(rule.parameters["cover"], result.parameters["cover"])
    other = load_network("serial", ["episode_days=25", "nodes.retailer.backorder_cost=19"]).network
    assert network_tuning.cache_key("base-stock", other) != network_tuning.cache_key("base-stock", network)
    with pytest.raises(AssertionError, match="tuned again"):
        tuned("base-stock", other)
    monkeypatch.setattr(network_tuning, "METHOD_VERSION", network_tuning.METHOD_VERSION + 1)
    with pytest.raises(AssertionError, match="tuned again"):
        tuned("base-stock", network)


@pytest.mark.parametrize(("name", "within"), [("serial", 0.005), ("beer-game", 0.01)])
def test_tuned_echelon_levels_come_close_to_the_optimum(name, within):
    """The full search on the shipped network: the tuned echelon levels' exact long-run cost (the solver's
    ``evaluate``) within 0.5% (serial) and 1% (beer game) of the optimum."""
    network = load_network(name).network
    result = tune("echelon-base-stock", network)
    covers = result.rule_parameters()["cover"]
    levels = [int(np.rint(c * r)) for c, r in zip(covers, fixed_rates(network), strict=True)]
    optimum = serial_optimum(network)
    assert optimum.evaluate_levels(levels) <= (1 + within) * optimum.cost


@pytest.mark.parametrize("seat, co_name", [("distributor", "sterman"), ("retailer", "base-stock")])
def test_a_seat_smooths_its_orders_beside_sterman_players_and_not_beside_base_stock(seat, co_name):
    """Beside Sterman's players the seat's search smooths its orders (proportional order-up-to), and that
    is cheaper on episodes it was not tuned on; beside base-stock players it keeps base-stock, recorded as
    before (no smoothing). Every other node keeps the chain's level."""
    network = load_network("beer-game").network
    chain, _ = tuned_network_rule("base-stock", network)
    co_players = make_network_rule("sterman", network) if co_name == "sterman" else chain
    seat_rule = tuned_seat_rule(network, seat, co_players, co_name)
    node = network.index[seat]
    others = [i for i in range(len(network.nodes)) if i != node]
    np.testing.assert_array_equal(seat_rule.parameters["cover"][others], chain.parameters["cover"][others])
    if co_name == "base-stock":
        assert "smoothing" not in seat_rule.parameters
        return
    smoothing = seat_rule.parameters["smoothing"]
    assert smoothing[node] > 1 and (smoothing[others] == 1).all()
    seeds = list(range(1000, 1100))  # never tuned on
    tuned_cost = score_network(SeatPolicy(seat_rule, co_players, seat), seeds).mean()
    assert tuned_cost < 0.95 * score_network(SeatPolicy(chain, co_players, seat), seeds).mean()
