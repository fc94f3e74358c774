"""Evaluation on networks: the report's arithmetic, its tables, its bounds and ``evaluate.py --scenario NETWORK``."""

import json
import tomllib

import numpy as np
import pytest

from inventory_rl.cli import evaluate
from inventory_rl.cli.evaluate_network import is_network_scenario
from inventory_rl.evaluation.network_episodes import play_network
from inventory_rl.evaluation.network_report import evaluate_network, format_tables, summarize
from inventory_rl.policies.network_rules import NetworkPolicy, make_network_rule
from inventory_rl.world.network import load_network, network_from_table


@pytest.fixture(scope="module")
def beer_game():
    network = load_network("beer-game").network
    names = ("base-stock", "sterman", "newsvendor", "optimal")
    return evaluate_network(network, names, episodes=30, seed=1000, source="network beer-game")


def test_the_report_pairs_every_rule_with_the_optimum(beer_game):
    report, played = beer_game
    assert report["reference"] == "optimal" and report["episodes"] == 30
    assert set(report["policies"]) == {"base-stock", "sterman", "optimal"}
    optimal = report["policies"]["optimal"]
    assert optimal["gap"] == 0.0 and optimal["gap_ci95"] == [0.0, 0.0]
    sterman = report["policies"]["sterman"]
    difference = (
        played["sterman"].metrics()["network"]["cost_per_day"] - played["optimal"].metrics()["network"]["cost_per_day"]
    )
    assert sterman["gap"] == pytest.approx(difference.mean())
    assert sterman["gap_ci95"][0] > 0  # Sterman's rule costs more, episode by episode
    assert report["optimum"]["known"] and report["optimum"]["cost"] == pytest.approx(28.2207, abs=1e-4)
    assert report["skipped"]["newsvendor"].startswith("the single-warehouse rules")
    assert (
        report["tuned"]["base-stock"]["candidates"] > 8
        and "coordinate descent" in report["tuned"]["base-stock"]["method"]
    )


def test_network_and_node_metrics_agree(beer_game):
    """The network's cost is the sum of its nodes'; the fill rate is the retailer's, where customers buy; a node
    without customers has none."""
    report, _ = beer_game
    for entry in report["policies"].values():
        nodes = entry["nodes"]
        assert entry["network"]["cost_per_day"] == pytest.approx(sum(n["cost_per_day"] for n in nodes.values()))
        assert entry["network"]["fill_rate"] == pytest.approx(nodes["retailer"]["fill_rate"])
        assert nodes["factory"]["fill_rate"] is None
        assert entry["network"]["on_hand"] == pytest.approx(sum(n["on_hand"] for n in nodes.values()))
        assert 0.9 < entry["network"]["fill_rate"] <= 1.0
    bullwhip = report["policies"]["sterman"]["bullwhip"]
    assert bullwhip["factory"] > 2.0
    assert report["policies"]["optimal"]["bullwhip"]["retailer"] == pytest.approx(1.0, abs=0.05)


def test_the_tables_are_aligned(beer_game):
    report, _ = beer_game
    text = format_tables(report)
    network_table, node_table = text.split("\n\nper node:\n")
    lines = network_table.splitlines()
    assert lines[0].startswith("policy") and len(lines) == 4
    header = lines[0]
    for title in ("cost / day", "fill rate %", "on hand"):  # right-aligned: every cell ends where its header ends
        end = header.index(title) + len(title)
        for line in lines[1:]:
            assert line[end - 1] != " " and line[end] == " ", (title, line)
    assert len({line.index("±") for line in lines[1:]}) == 1
    assert len(node_table.splitlines()) == 1 + 3 * 4


SHOP = """
n_products = 1
capacity = 1000
max_demand = 20
order_mode = "free"
reward_mode = "cost"
demand_model = "constant"
rate_low = 5.0
rate_high = 5.0
episode_days = 8
backorder_cost = 1.0
lost_sale_cost = 1.0

[nodes.shop]
initial_stock = 10

[[lanes]]
from = "supplier"
to = "shop"
lead_time = 2
"""


class FourADay(NetworkPolicy):
    """Orders 4 units every day, one short of the demand."""

    name = "four a day"

    def decide(self, sim):
        return np.full((sim.batch, 1, 1), 4, np.int64), np.zeros((sim.batch, 0, 1), np.int64)


@pytest.mark.parametrize(
    ("unmet", "owed", "lost", "fill"),
    [("backorder", [0, 0, 0, 0, 0, 0, 1, 2], 0.0, 1 - 3 / 40), ("lost", [0] * 8, 2 / 8, 1 - 2 / 40)],
)
def test_the_report_columns_count_what_a_shop_short_of_stock_does(unmet, owed, lost, fill):
    """A shop sells 5 a day from 10 units and gets 4 a day, each order 2 days on the way (the first reaches it
    before day 2's demand). On hand at night: 5, 4, 3, 2, 1, 0, 0, 0. It runs short from day 7: with backorders
    it owes 1, then 2 (cost 1 a unit a day); with lost sales it loses 1 a day. In transit overnight: the first
    order, then two orders of 4 every night: 4, then 8 (a unit counts its 2 nights)."""
    network = network_from_table(tomllib.loads(SHOP), [f"unmet_demand={unmet}"], "test")
    metrics = play_network(FourADay(network), [0]).metrics()
    shop = {name: float(values[0]) for name, values in metrics["shop"].items()}
    assert shop["backorders"] == pytest.approx(np.mean(owed))
    assert shop["lost_sales"] == pytest.approx(lost)
    assert shop["fill_rate"] == pytest.approx(fill)
    assert shop["on_hand"] == pytest.approx((5 + 4 + 3 + 2 + 1) / 8)
    assert shop["in_transit"] == pytest.approx((4 + 7 * 8) / 8)
    assert shop["cost_per_day"] == pytest.approx(np.mean(owed) + lost)
    assert {name: float(values[0]) for name, values in metrics["network"].items()} == pytest.approx(shop)


def test_the_reference_is_the_cheapest_rule_where_no_optimum_is_played():
    network = load_network("transshipment", ["episode_days=60"]).network
    played = {
        name: play_network(make_network_rule(name, network), list(range(10)))
        for name in ("base-stock", "base-stock+transfers")
    }
    report = summarize(played, network, 0)
    cheapest = min(played, key=lambda name: played[name].metrics()["network"]["cost_per_day"].mean())
    assert report["reference"] == cheapest
    other = next(name for name in played if name != cheapest)
    assert report["policies"][other]["gap"] > 0


def test_the_oracle_is_never_the_yardstick_even_where_it_is_cheapest():
    """distribution: the oracle, which reads the hidden rates, costs less than newsvendor, yet the reference is
    the cheapest rule a decision maker could play."""
    network = load_network("distribution", ["episode_days=60"]).network
    played = {
        name: play_network(make_network_rule(name, network), list(range(10))) for name in ("newsvendor", "oracle")
    }
    costs = {name: episodes.metrics()["network"]["cost_per_day"] for name, episodes in played.items()}
    assert costs["oracle"].mean() < costs["newsvendor"].mean()
    report = summarize(played, network, 0)
    assert report["reference"] == "newsvendor"
    assert report["policies"]["oracle"]["gap"] < 0


@pytest.mark.parametrize(("name", "bound"), [("transshipment", "pooling bound"), ("distribution", "oracle bound")])
def test_the_bounds_are_reported_below_every_rule(name, bound):
    network = load_network(name, ["episode_days=60"]).network
    report, _ = evaluate_network(network, ("base-stock",), episodes=12, seed=1000)
    entry = report["bounds"][bound]
    assert entry["cost_per_day"] < report["policies"]["base-stock"]["network"]["cost_per_day"]
    assert entry["gap"] < 0 and entry["gap_ci95"][1] < 0
    assert not report["optimum"]["known"]
    assert bound in format_tables(report)


def test_evaluate_plays_a_network_scenario(tmp_path, capsys):
    """``evaluate.py --scenario beer-game`` prints the table and writes the JSON report."""
    out, figure = tmp_path / "report.json", tmp_path / "report.png"
    arguments = ["--scenario", "beer-game", "--episodes", "6", "--policies", "optimal,echelon-base-stock"]
    code = evaluate.main([*arguments, "--json", str(out), "--plot", str(figure)])
    assert code == 0
    printed = capsys.readouterr().out
    assert (
        "optimum (Clark-Scarf, Chen-Zheng): echelon levels factory 81, distributor 63, wholesaler 46, retailer 26"
        in printed
    )
    assert "vs optimal %" in printed and "bullwhip (factory, distributor, wholesaler, retailer)" in printed
    saved = json.loads(out.read_text())
    assert set(saved["policies"]) == {"optimal", "echelon-base-stock"} and saved["network"] == "network beer-game"
    assert figure.stat().st_size > 10_000
    assert is_network_scenario("beer-game") and not is_network_scenario("default")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--policies", "newsvendor"], "newsvendor does not apply here: the single-warehouse rules"),
        (["--policies", "ppo"], "on a network choose from"),
        (["--model", "x.zip"], "no model file at x.zip"),
        (["--set", "nodes.nowhere.holding_cost=1"], "argument --set"),
    ],
)
def test_evaluate_refuses_what_does_not_apply_to_a_network(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main(["--scenario", "beer-game", "--episodes", "2", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_single_warehouse_model_is_refused_on_a_network(run_dir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main(
            ["--scenario", "beer-game", "--episodes", "2", "--model", str(run_dir / "real_inventory_model.zip")]
        )
    assert exit_info.value.code == 2
    assert "is the model of one warehouse, not of a network" in capsys.readouterr().err


def test_per_episode_metrics_exclude_the_warmup():
    network = load_network("serial", ["episode_days=50"]).network
    played = play_network(make_network_rule("optimal", network), [0, 1])
    full, late = played.metrics()["network"], played.metrics(warmup=20)["network"]
    assert np.allclose(late["cost_per_day"], played.costs[:, 20:].sum(axis=2).mean(axis=1))
    assert not np.allclose(full["cost_per_day"], late["cost_per_day"])
