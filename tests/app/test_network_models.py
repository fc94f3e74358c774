"""The network pages' plain building blocks, without Streamlit: a network episode day by day
(``network_days``), the Beer Game (``beer_game``), network reports (``network_reports``), a run's
network (``network_runs``), the Training monitor of a network run, and the paths a page may read
(``paths``). The pages themselves: test_network_dashboard.py.
"""

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from inventory_rl.app.beer_game import (
    GAME_DIR,
    BeerGame,
    GameSetup,
    OrderError,
    SavedGameError,
    fresh_policy,
    game_path,
    optimum_line,
    order_bound,
    parse_order,
    play_seat,
    read_game,
    replay,
    save_game,
    saved_games,
)
from inventory_rl.app.monitor import TrainingMonitor
from inventory_rl.app.network_days import (
    bullwhip_panels,
    diagram_dot,
    node_frame,
    play_trace,
    structure_dot,
    summary_table,
)
from inventory_rl.app.network_reports import (
    interval_rows,
    load_network_reports,
    network_overview,
    network_table,
    node_table,
    optimum_text,
)
from inventory_rl.app.network_runs import (
    agent_runs,
    agents_text,
    network_rules,
    run_network,
    same_network,
    serial_networks,
    shipped_network,
)
from inventory_rl.app.paths import PathRefused, allows_any_path, inside, readable_path
from inventory_rl.app.reports import load_reports
from inventory_rl.app.run_list import find_runs
from inventory_rl.evaluation.network_episodes import play_network
from inventory_rl.evaluation.network_report import evaluate_network
from inventory_rl.policies.network_rules import make_network_rule
from inventory_rl.runs.layout import MODEL_NAME, RUN_CONFIG_NAME, STREAM_NAME
from inventory_rl.world.config import SCENARIO_DIR
from inventory_rl.world.network import load_network

CLASSIC = load_network("beer-game-classic").network
BEER = load_network("beer-game").network


# ---------------------------------------------------------------------------- one episode, day by day
def test_a_trace_plays_the_episodes_evaluation_plays():
    rule = make_network_rule("base-stock", BEER)
    trace = play_trace(rule, 1003)
    episodes = play_network(make_network_rule("base-stock", BEER), [1003])
    assert trace.days == BEER.episode_days
    assert np.allclose(trace.cost[1:], episodes.costs[0])  # the same days, node by node
    assert np.allclose(trace.ordered[1:], episodes.ordered[0])
    assert math.isclose(trace.cost_per_day(), float(episodes.metrics()["network"]["cost_per_day"][0]))
    assert math.isclose(trace.fill_rate(), float(episodes.metrics()["network"]["fill_rate"][0]))
    ratios = trace.bullwhip()
    assert ratios == pytest.approx(episodes.bullwhip(), nan_ok=True)


def test_a_trace_starts_with_the_network_s_initial_state():
    trace = play_trace(make_network_rule("sterman", CLASSIC), 0)
    assert trace.stock[0].tolist() == [12, 12, 12, 12]  # each stage starts with 12 units
    assert trace.on_the_way[0].tolist() == [12] * 4  # 4 in shipping, 8 in the order delay
    assert trace.cost[0].sum() == 0 and trace.ordered[0].sum() == 0
    # the retailer's incoming orders are its customers' demand: 4 a week, then 8 from week 5
    assert trace.orders_received[1:5, 3].tolist() == [4, 4, 4, 4] and trace.orders_received[5, 3] == 8


def test_the_diagram_names_every_node_lane_and_what_they_hold():
    trace = play_trace(make_network_rule("base-stock", load_network("transshipment").network), 0)
    dot = diagram_dot(trace, 10)
    assert dot.startswith("digraph network {") and dot.rstrip().endswith("}")
    for name in ("store_a", "store_b", "outside\\nsupplier", "customers"):
        assert name in dot
    assert f"stock {round(trace.stock[10, 0]):,} · backorders {round(trace.backlog[10, 0]):,}" in dot
    assert dot.count("style=dashed") == 2  # the two transfer lanes
    assert "ships" in dot and "on the way" in dot
    start = diagram_dot(trace, 0)
    assert "asked" not in start and "ordered" not in start  # nothing has happened yet
    structure = structure_dot(CLASSIC)
    assert "order 2 + ship 2 days" in structure and "holding 0.5 · backorder 1" in structure


def test_a_node_named_with_markup_is_escaped_in_the_diagram(tmp_path):
    text = (SCENARIO_DIR / "serial.toml").read_text().replace("dc", "d<c&>")
    (tmp_path / "marked.toml").write_text(text.replace("[nodes.d<c&>]", '[nodes."d<c&>"]'))
    network = load_network(str(tmp_path / "marked.toml")).network
    assert "d<c&>" in network.names
    dot = diagram_dot(play_trace(make_network_rule("base-stock", network), 0), 3)
    assert "<b>d&lt;c&amp;&gt;</b>" in dot and "d<c&>" not in dot


def test_summary_frames_and_bullwhip_panels():
    traces = {name: play_trace(make_network_rule(name, CLASSIC), 0) for name in ("sterman", "base-stock")}
    table = summary_table(traces)
    assert list(table.index) == ["sterman", "base-stock"]
    assert {"cost / day", "fill rate", "factory: cost / day"} <= set(table)
    assert table.filter(like="bullwhip").iloc[0, 0].count("×") == 4
    frame = node_frame(traces["sterman"])
    assert len(frame) == 6 * 4 * CLASSIC.episode_days and set(frame["node"]) == set(CLASSIC.names)
    panels = bullwhip_panels(traces["sterman"], {"wholesaler": "you (wholesaler)"})
    labels = ["factory", "distributor", "you (wholesaler)", "retailer", "customer demand"]
    assert [panel.label for panel in panels] == labels
    assert panels[-1].ratio is None and "what the customers asked for" in panels[-1].title
    assert panels[0].ratio > panels[3].ratio > 1  # Sterman's rule amplifies the orders up the chain
    assert "variance" in panels[0].title and "×" in panels[0].title


# ---------------------------------------------------------------------------- the beer game
def classic_game(seat="wholesaler", co_players="sterman", seed=0) -> BeerGame:
    setup = GameSetup("beer-game-classic", seat, co_players, seed=seed)
    return BeerGame(CLASSIC, setup, make_network_rule("sterman", CLASSIC), "Sterman's rule")


def test_orders_are_whole_units_within_a_sane_bound_and_bad_ones_say_why():
    bound = order_bound(CLASSIC)
    assert bound == 80  # 10 times the largest weekly demand (8)
    assert parse_order("7", bound) == 7 and parse_order(" 12 ", bound) == 12 and parse_order("4.0", bound) == 4
    assert parse_order(0, bound) == 0 and parse_order("80", bound) == 80
    cases = {
        "-3": "cannot be negative",
        "2.5": "whole units",
        "abc": "is not a number",
        "81": "more than 80 units, 10 times the largest weekly demand",
        "": "Type your order",
        None: "Type your order",
        "inf": "not a number of units",
        "nan": "not a number of units",
    }
    for typed, reason in cases.items():
        with pytest.raises(OrderError, match=reason) as caught:
            parse_order(typed, bound)
        assert "\n" not in str(caught.value)


def test_a_full_36_week_game_matches_the_rule_it_copies_and_then_refuses_orders():
    """A person who orders exactly what Sterman's rule would, every week, plays Sterman's game."""
    game = classic_game()
    shadow = make_network_rule("sterman", CLASSIC)  # what the rule would order in the person's seat
    shadow.reset(game.sim)
    assert game.view().week == 0 and game.view().stock == 12 and game.view().on_the_way == 12
    for week in range(1, 37):
        wanted, _ = shadow.decide(game.sim)
        game.place_order(int(wanted[0, game.seat, 0]))
        view = game.view()
        assert view.week == week and view.weeks == 36
    assert game.over and game.week == 36
    rule_only = play_trace(make_network_rule("sterman", CLASSIC), 0)
    assert np.allclose(game.trace().cost, rule_only.cost)
    alongside = play_seat(CLASSIC, "wholesaler", make_network_rule("sterman", CLASSIC), fresh_policy(shadow), 0)
    assert math.isclose(alongside.total_cost(), rule_only.total_cost())
    with pytest.raises(OrderError, match="The game is over: all 36 weeks are played"):
        game.place_order(4)
    assert game.week == 36
    record = game.record()
    assert len(record) == 36 and record[0]["week"] == 1
    incoming = game.trace().orders_received[1:, game.seat]  # the retailer's orders, two weeks on their way
    assert [row["order received"] for row in record] == incoming.tolist()
    assert [row["your order"] for row in record] == game.orders


def test_what_the_player_sees_is_their_seat_only():
    game = classic_game(seat="distributor")
    game.place_order(10)
    view = game.view()
    trace = game.trace()
    seat = CLASSIC.index["distributor"]
    assert view.incoming == trace.incoming[1, seat]  # the wholesaler's order, not the customers'
    assert view.shipment == trace.received[1, seat] and view.stock == trace.stock[1, seat]
    assert view.backorders == trace.owed[1, seat]
    assert view.on_the_way == trace.on_order[1, seat] + trace.in_transit[1, seat]
    assert game.orders == [10] and trace.ordered[1, seat] == 10
    assert "reaches the factory 2 weeks later" in game.supply_text()
    assert "0.5 per unit in stock and 1 per unit you owe the stage below" in game.costs_text()


def test_a_bad_order_plays_nothing():
    game = classic_game()
    for typed in ("-1", "3.5", "1000"):
        with pytest.raises(OrderError):
            game.place_order(typed)
    assert game.week == 0 and game.orders == []


def test_a_game_is_saved_under_the_log_directory_and_resumed_week_for_week(tmp_path):
    game = classic_game(seat="retailer", seed=4)
    for units in (4, 8, 12, 0, 6):
        game.place_order(units)
    path = save_game(tmp_path, game)
    assert path == tmp_path / GAME_DIR / f"game-{game.game_id}.json" and path.is_file()
    assert [p.name for p in (tmp_path / GAME_DIR).iterdir()] == [path.name]  # written atomically: no temp left
    data = read_game(tmp_path, game.game_id)
    assert data["orders"] == [4, 8, 12, 0, 6] and data["setup"] == game.setup
    again = replay(classic_game(seat="retailer", seed=4), data["orders"])
    assert again.week == 5 and np.allclose(again.trace().cost, game.trace().cost)
    [listed] = saved_games(tmp_path)
    assert listed.game_id == game.game_id and listed.week == 5 and "retailer vs sterman · week 5 of 36" in listed.label


def test_two_sessions_playing_one_saved_game_do_not_overwrite_each_other(tmp_path):
    first = classic_game()
    first.place_order(5)
    save_game(tmp_path, first)
    second = replay(classic_game(), read_game(tmp_path, first.game_id)["orders"])
    second.game_id = first.game_id
    first.place_order(6)
    save_game(tmp_path, first)  # the first tab moves the saved game on
    second.place_order(9)
    save_game(tmp_path, second)  # the second, behind it, becomes a game of its own
    assert second.game_id != first.game_id
    assert read_game(tmp_path, first.game_id)["orders"] == [5, 6]
    assert read_game(tmp_path, second.game_id)["orders"] == [5, 9]


@pytest.mark.parametrize("game_id", ["../../etc/passwd", "x" * 12, "ABCDEF123456", "", "0123456789abc", None])
def test_only_games_named_by_the_app_are_read(tmp_path, game_id):
    with pytest.raises(SavedGameError):
        game_path(tmp_path, game_id)


def test_broken_or_foreign_files_are_never_resumed(tmp_path):
    folder = tmp_path / GAME_DIR
    folder.mkdir()
    (folder / "game-0123456789ab.json").write_text("{not json")
    (folder / "game-abcdefabcdef.json").write_text(json.dumps({"kind": "something else"}))
    (folder / "notes.json").write_text("{}")
    assert saved_games(tmp_path) == []
    for game_id in ("0123456789ab", "abcdefabcdef", "aaaaaaaaaaaa"):
        with pytest.raises(SavedGameError):
            read_game(tmp_path, game_id)
    escaping = {"kind": "inventory-rl beer game", "setup": {"network": "beer-game-classic", "seat": "retailer"}}
    escaping["setup"].update(co_players="agents", run="../../elsewhere")
    escaping["orders"] = []
    (folder / "game-bbbbbbbbbbbb.json").write_text(json.dumps(escaping))
    with pytest.raises(SavedGameError, match="below the log directory"):
        read_game(tmp_path, "bbbbbbbbbbbb")


def test_the_optimum_is_known_for_the_stationary_beer_game_and_not_the_classic_one():
    classic = optimum_line(CLASSIC, 0)
    assert classic.trace is None and "steps from 4 to 8 a week in week 5" in classic.reason
    assert "No exact optimum" in classic.text(100.0, 36)
    stationary = optimum_line(BEER, 3)
    assert stationary.trace is not None and stationary.expected > 0
    assert "optimum (Clark-Scarf" in stationary.text(stationary.trace.total_cost() * 1.1, 100)


def test_the_serial_networks_are_the_beer_game_page_s():
    names = [scenario.name for scenario in serial_networks()]
    assert names[0] == "beer-game-classic" and {"beer-game", "serial"} <= set(names)
    assert "distribution" not in names and "regional" not in names
    assert same_network(shipped_network("beer-game-classic").network, CLASSIC)
    rules, skipped = network_rules(CLASSIC)
    assert "sterman" in rules and "optimal" in skipped


# ---------------------------------------------------------------------------- runs, streams, reports
def test_a_network_run_is_known_by_its_config_or_its_stream(network_runs, tmp_path):
    record = run_network(network_runs["per-node"])
    assert record is not None and record.agents == "per-node" and same_network(record.network, CLASSIC)
    assert "a PPO agent per node" in agents_text(record)
    seat = run_network(network_runs["seat"])
    assert seat.seat == "wholesaler"
    assert "in the wholesaler's seat, the others playing Sterman's rule" in agents_text(seat)
    header_only = tmp_path / "started"
    header_only.mkdir()
    (header_only / STREAM_NAME).write_text((network_runs["central"] / STREAM_NAME).read_text().splitlines()[0] + "\n")
    assert run_network(header_only).agents == "central"
    single = tmp_path / "single"
    single.mkdir()
    (single / RUN_CONFIG_NAME).write_text(json.dumps({"env_config": {}}))
    assert run_network(single) is None and run_network(tmp_path / "nothing") is None
    root = tmp_path / "logs"
    for name, log_dir in network_runs.items():
        shutil.copytree(log_dir, root / name)
    found = {run.run.relative for run in agent_runs(find_runs(root), CLASSIC)}
    assert found == {"per-node", "seat"}  # not the beer-game run
    (root / "seat" / MODEL_NAME).unlink()
    assert {run.run.relative for run in agent_runs(find_runs(root), CLASSIC)} == {"per-node"}


def test_the_monitor_of_a_network_run_charts_the_network_and_each_node(network_runs):
    monitor = TrainingMonitor(network_runs["central"] / STREAM_NAME)
    monitor.refresh()
    assert monitor.nodes == BEER.names and monitor.history.components == BEER.names
    view = monitor.view()
    labels = [metric.label for metric in view.metrics]
    assert "Cost / day" in labels and "Utilization" not in labels and "Order accuracy" not in labels
    nodes = view.curves["nodes"]
    assert set(nodes["node"]) == set(BEER.names) and (nodes["cost per day"] >= 0).all()
    assert view.sampled_episodes == ()  # network runs record no day-by-day trajectory


@pytest.fixture(scope="module")
def network_report_dir(tmp_path_factory) -> Path:
    """Network reports as ``evaluate.py --scenario NETWORK --json`` writes them (a few episodes)."""
    folder = tmp_path_factory.mktemp("network-reports")
    for name in ("beer-game", "beer-game-classic"):
        network = load_network(name).network
        report, _ = evaluate_network(network, episodes=4, source=f"network {name}")
        (folder / f"evaluation_{name}.json").write_text(json.dumps(report))
    return folder


def test_network_reports_are_read_and_shown_and_left_out_of_the_single_warehouse_s(network_report_dir, tmp_path):
    reports, problems = load_network_reports(network_report_dir)
    assert problems == [] and [report.name for report in reports] == ["beer-game-classic", "beer-game"]  # by file
    assert load_reports(network_report_dir) == ([], [])  # not single-warehouse reports, nor broken ones
    classic, beer = reports
    assert beer.reference == "optimal" and beer.nodes == BEER.names
    table = network_table(beer)
    assert "optimal" in table.index and "cost / day" in table and table.loc["optimal", "sees"] == "echelon"
    assert list(node_table(beer)) == list(BEER.names)
    assert set(interval_rows(beer)["policy"]) == set(beer.policies)
    assert "Exact optimum" in optimum_text(beer) and "No exact optimum" in optimum_text(classic)
    assert list(network_overview(reports)["optimum"]) == ["not known", "known"]
    broken = json.loads((network_report_dir / "evaluation_beer-game.json").read_text())
    del broken["policies"]["optimal"]["network"]["cost_per_day_ci95"]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    found, problems = load_network_reports(tmp_path)
    assert found == [] and len(problems) == 1 and "broken.json" in problems[0]


# ---------------------------------------------------------------------------- typed paths
def test_typed_paths_are_read_under_the_log_directory_and_the_scenarios_only(tmp_path):
    logs = tmp_path / "logs"
    (logs / "run").mkdir(parents=True)
    roots = (logs, SCENARIO_DIR)
    assert readable_path(str(logs / "run"), roots) == logs / "run"
    assert readable_path(str(SCENARIO_DIR / "costs.toml"), roots) == SCENARIO_DIR / "costs.toml"
    for outside in ("/etc/passwd", str(tmp_path), str(logs / ".." / "elsewhere"), "~"):
        with pytest.raises(PathRefused) as caught:
            readable_path(outside, roots)
        assert "\n" not in str(caught.value) and "--allow-any-path" in str(caught.value)
    (logs / "link").symlink_to(tmp_path)  # a link inside the log directory to a folder outside it
    assert not inside(logs / "link", [logs])
    assert readable_path("/etc/passwd", roots, allow_any=True) == Path("/etc/passwd")
    assert allows_any_path(["--log-dir", "x", "--allow-any-path"]) and not allows_any_path(["--log-dir", "x"])


def test_relative_paths_are_read_from_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs("logs/quick")
    assert readable_path("logs/quick", (Path("logs"),)) == Path("logs/quick")
    with pytest.raises(PathRefused):
        readable_path("../", (Path("logs"),))
