"""The dashboard's network pages and the Beer Game through Streamlit's AppTest, on real (tiny) network
training runs (conftest.py's ``network_runs``): every page of a network run, a corrupt or missing
model, network reports on the Compare page, the Training page following a network stream, and the
Beer Game played through: a full 36-week game, bad orders, a reload in the middle of a game, two
tabs, a saved game resumed. The plain building blocks: test_network_models.py.
"""

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from inventory_rl.agent.network_agent import load_network_agent
from inventory_rl.app import dashboard
from inventory_rl.app.beer_game import GAME_DIR
from inventory_rl.app.network_days import MEASURES
from inventory_rl.evaluation.network_report import evaluate_network
from inventory_rl.runs.layout import CHECKPOINT_DIR, MODEL_NAME, STREAM_NAME
from inventory_rl.world.network import load_network
from tests.app.test_dashboard import copy_run, headers, metric_values, switch, texts
from tests.app.test_dashboard_models import write_report

WEEKS = 36  # beer-game-classic's


@pytest.fixture
def network_root(network_runs, tmp_path) -> Path:
    """A log directory holding a copy of every network run, in folders named after them."""
    root = tmp_path / "logs"
    for name, log_dir in network_runs.items():
        copy_run(log_dir, root / name)
    return root


def pick_run(at: AppTest, relative: str) -> AppTest:
    at.sidebar.selectbox(key="run").set_value(relative).run()
    assert not at.exception, at.exception
    return at


def graphviz(at: AppTest) -> list:
    return at.get("graphviz_chart")


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


# ---------------------------------------------------------------------------- every page of a network run
@pytest.mark.parametrize("kind", ["per-node", "central", "seat"])
def test_every_page_shows_a_network_run(app, network_root, kind):
    at = pick_run(app(network_root).run(), kind)
    network = "beer-game" if kind == "central" else "beer-game-classic"
    assert f"Network: `{network}`" in texts(at.markdown)
    assert "a network of 4 warehouses" in texts(at.sidebar.caption)
    cards = metric_values(at)
    episodes = sum('"type":"episode"' in line for line in (network_root / kind / STREAM_NAME).open())
    assert cards["Episodes"] == f"{episodes:,}" and "Cost / day" in cards and "Utilization" not in cards
    assert "Cost per day, node by node" in texts(at.markdown)
    assert len(graphviz(at)) == 1  # the network's shape
    assert "The network and its latest episode" in headers(at)

    at = switch(at, "Replay")
    summary = at.dataframe[0].value
    assert summary.index[0] == "PPO agents" and "base-stock" in summary.index
    assert ("optimal" in summary.index) == (kind == "central")  # the classic game's demand steps: no optimum
    assert not at.error
    assert len(graphviz(at)) == 1
    assert charts(at) == 1 + len(MEASURES) + 5  # the costs so far, the node charts, the bullwhip rows
    at = switch(at, "Manual")
    assert "Beer Game" in texts(at.info)
    at = switch(at, "Beer Game")
    assert at.radio(key="beer_co_players").value == "agents"
    at = switch(at, "Compare")
    assert "evaluate.py --scenario NETWORK" in texts(at.info)
    at = switch(at, "Tuning")
    assert "No tuning study" in texts(at.info)


def test_replay_walks_the_days_of_any_policy(app, network_root):
    at = switch(pick_run(app(network_root).run(), "per-node"), "Replay")
    at.slider(key="network_replay_day").set_value(12).run()
    assert "**Day 12, PPO agents**" in texts(at.markdown)
    [diagram] = graphviz(at)
    assert "stock" in diagram.proto.spec and "retailer" in diagram.proto.spec
    at.selectbox(key="network_replay_shown").set_value("sterman").run()
    assert "sterman, node by node" in headers(at)
    at.slider(key="network_replay_day").set_value(0).run()
    assert "**Day 0, sterman**: the start." in texts(at.markdown)
    at.multiselect(key="network_replay_rules").unselect("sterman").run()  # the policy shown is gone
    assert not at.exception, at.exception
    assert at.selectbox(key="network_replay_shown").value == "PPO agents"
    at.number_input(key="network_replay_seed").set_value(7).run()
    assert not at.exception and not at.error


def test_a_corrupt_or_missing_network_model_leaves_the_rules(app, network_root):
    (network_root / "per-node" / MODEL_NAME).write_bytes(b"PK\x03\x04 not really a zip")
    at = switch(pick_run(app(network_root).run(), "per-node"), "Replay")
    assert len(at.error) == 1 and "\n" not in at.error[0].value and MODEL_NAME in at.error[0].value
    assert "PPO agents" not in at.dataframe[0].value.index and "base-stock" in at.dataframe[0].value.index
    at = switch(at, "Beer Game")
    at.selectbox(key="beer_run").set_value("per-node").run()
    at.button(key="beer_start").click().run()
    assert not at.exception, at.exception
    [error] = at.error
    assert error.value.startswith("The game cannot start") and "\n" not in error.value
    (network_root / "per-node" / MODEL_NAME).unlink()
    shutil.rmtree(network_root / "per-node" / CHECKPOINT_DIR, ignore_errors=True)  # no model of any age left
    at = switch(at, "Replay")
    assert "No trained model" in texts(at.info)
    at = switch(at, "Beer Game")
    runs_offered = at.selectbox(key="beer_run")
    assert runs_offered.value == "seat" and len(runs_offered.options) == 1  # a run without a model is not offered


# ---------------------------------------------------------------------------- compare and training
def test_compare_shows_network_reports_beside_the_warehouses(app, network_runs, tmp_path):
    agents = {"ppo": load_network_agent(network_runs["central"] / MODEL_NAME)}  # evaluate.py --model
    for name in ("beer-game", "beer-game-classic", "transshipment"):
        played = agents if name == "beer-game" else None
        report, _ = evaluate_network(load_network(name).network, episodes=3, source=f"network {name}", agents=played)
        (tmp_path / f"evaluation_{name}.json").write_text(json.dumps(report))
    write_report(tmp_path / "evaluation_costs.json", "costs")
    broken = json.loads((tmp_path / "evaluation_beer-game.json").read_text())
    broken["policies"]["base-stock"]["network"] = "?"
    (tmp_path / "broken_network.json").write_text(json.dumps(broken))
    at = switch(app(tmp_path).run(), "Compare")
    assert len(at.warning) == 1 and "broken_network.json" in at.warning[0].value
    assert {"Scenarios", "Networks"} <= set(headers(at).splitlines())
    at.selectbox(key="compare_network_report").set_value(1).run()  # beer-game (classic is first by file name)
    network = at.dataframe[-2].value
    assert network.index[0] == "PPO agents" and "optimal" in network.index and "cost / day" in network
    assert list(at.dataframe[-1].value) == ["factory", "distributor", "wholesaler", "retailer"]
    assert "Exact optimum (Clark-Scarf" in texts(at.markdown)
    assert "holds the network rules only" not in texts(at.caption)
    at.selectbox(key="compare_network_report").set_value(0).run()
    assert "No exact optimum" in texts(at.markdown)
    assert "holds the network rules only: `evaluate.py --model`" in texts(at.caption)
    at.selectbox(key="compare_network_report").set_value(2).run()  # transshipment: no optimum, a lower bound
    table = at.dataframe[-2].value
    assert "pooling bound" in table.index and table.loc["pooling bound", "sees"] == "bound"


def test_training_follows_a_network_stream_as_it_grows(app, network_runs, tmp_path):
    header, *records, _ = (network_runs["central"] / STREAM_NAME).read_text().splitlines(keepends=True)
    stream = tmp_path / STREAM_NAME
    stream.write_text(header + "".join(records[:3]))
    at = app(tmp_path).run()
    assert not at.exception, at.exception
    assert metric_values(at)["Episodes"] == "3" and "Network: `beer-game`" in texts(at.markdown)
    with stream.open("a") as file:
        file.writelines(records[3:9])
    at.run()  # the page's fragment reruns it every 2 s in a browser
    assert metric_values(at)["Episodes"] == "9"
    assert "live" in texts(at.caption)


# ---------------------------------------------------------------------------- the beer game
def beer_game(app, root: Path, params: dict | None = None) -> AppTest:
    """The Beer Game page of a new session (a new browser tab), with the address's query ``params``."""
    at = app(root)
    if params:
        at.query_params.update(params)
    at.run()
    at.switch_page(str(dashboard.PAGES["Beer Game"][0]))
    if params:
        at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def order(at: AppTest, typed: str) -> AppTest:
    """Type an order and place it (the form's button)."""
    at.text_input(key="beer_order").input(typed)
    next(button for button in at.button if button.label == "Place order").click().run()
    assert not at.exception, at.exception
    return at


def start(at: AppTest, co_players: str = "agents", seat: str = "wholesaler", run: str | None = None) -> AppTest:
    at.selectbox(key="beer_seat").set_value(seat).run()
    at.radio(key="beer_co_players").set_value(co_players).run()
    if run is not None:
        at.selectbox(key="beer_run").set_value(run).run()
    at.button(key="beer_start").click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    return at


def saved(root: Path) -> dict[str, list[int]]:
    return {path.name: json.loads(path.read_text())["orders"] for path in sorted((root / GAME_DIR).glob("*.json"))}


def test_a_full_36_week_game_against_the_agents(app, network_root):
    at = start(beer_game(app, network_root), run="per-node")
    assert "Week 1 of 36" in headers(at)
    cards = metric_values(at)
    assert cards["Your stock"] == "12" and cards["Order received"] == "–" and cards["Ordered, not received"] == "12"
    assert "the per-node agents of run `per-node`" in texts(at.markdown)
    game = at.session_state["beer_game"]
    for week in range(1, WEEKS + 1):
        order(at, str(4 + week % 5))
        if week < WEEKS:
            assert f"Week {week + 1} of 36" in headers(at)
    view = game.view()
    assert game.over and view.week == WEEKS
    assert "The game is over: 36 weeks played" in headers(at)
    score = at.dataframe[-1].value
    assert list(score.index) == [
        "You",
        "The agent in your seat",
        "Base-stock (tuned) in your seat",
        "Sterman's rule in your seat",
    ]
    assert score.loc["You", "wholesaler's cost"] == f"{view.total_cost:,.2f}"
    assert "No exact optimum for this network: its demand steps from 4 to 8 a week in week 5" in texts(at.markdown)
    bullwhip = texts(at.caption)
    assert "you (wholesaler): orders, variance" in bullwhip
    assert "customer demand: what the customers asked for" in bullwhip
    order(at, "4")
    assert "The game is over: all 36 weeks are played, so it takes no more orders" in texts(at.error)
    assert game.week == WEEKS
    assert list(saved(network_root).values()) == [[4 + week % 5 for week in range(1, WEEKS + 1)]]


def test_bad_orders_are_explained_and_play_nothing(app, network_root):
    at = start(beer_game(app, network_root), co_players="sterman")
    reasons = {
        "-3": "cannot be negative",
        "2.5": "whole units",
        "a few": "is not a number",
        "1000": "more than 80 units, 10 times the largest weekly demand",
        "": "Type your order",
    }
    for typed, reason in reasons.items():
        order(at, typed)
        assert len(at.error) == 1 and reason in at.error[0].value, (typed, at.error)
        assert "Week 1 of 36" in headers(at)
    assert at.session_state["beer_game"].week == 0 and not (network_root / GAME_DIR).exists()


def test_a_reload_in_the_middle_of_a_game_resumes_it(app, network_root):
    at = start(beer_game(app, network_root), run="per-node", seat="retailer")
    for units in (5, 6, 7, 8, 9, 10, 11):
        order(at, str(units))
    before = metric_values(at)
    game_id = at.query_params["game"]
    assert "Week 8 of 36" in headers(at) and saved(network_root) == {f"game-{game_id}.json": [5, 6, 7, 8, 9, 10, 11]}

    reloaded = beer_game(app, network_root, {"game": game_id})  # the same address, a new session
    assert "Week 8 of 36" in headers(reloaded) and metric_values(reloaded) == before
    assert reloaded.query_params["game"] == game_id
    order(reloaded, "3")
    assert "Week 9 of 36" in headers(reloaded)
    assert saved(network_root)[f"game-{game_id}.json"] == [5, 6, 7, 8, 9, 10, 11, 3]


def test_two_tabs_play_two_games(app, network_root):
    first = start(beer_game(app, network_root), co_players="base-stock")
    second = start(beer_game(app, network_root), run="seat", seat="factory")
    order(first, "4")
    order(first, "4")
    order(second, "12")
    assert first.query_params["game"] != second.query_params["game"]
    assert "Week 3 of 36" in headers(first) and "Week 2 of 36" in headers(second)
    assert sorted(saved(network_root).values()) == [[4, 4], [12]]
    assert "the wholesaler's agent of run `seat`, the other seats Sterman's rule" in texts(second.markdown)


def test_a_saved_game_is_resumed_from_the_list(app, network_root):
    at = start(beer_game(app, network_root), co_players="sterman", seat="distributor")
    for units in ("8", "8", "6"):
        order(at, units)
    at.button(key="beer_new").click().run()
    assert at.session_state.get("beer_game") is None and "game" not in at.query_params
    assert any("distributor vs sterman · week 3 of 36" in label for label in at.selectbox(key="beer_resume").options)
    at.button(key="beer_resume_button").click().run()
    assert "Week 4 of 36" in headers(at) and at.session_state["beer_game"].placed == [8, 8, 6]


def test_an_address_naming_no_game_of_the_app_is_refused(app, network_root):
    for wanted in ("../../etc/passwd", "0123456789ab"):
        at = beer_game(app, network_root, {"game": wanted})
        assert len(at.warning) == 1 and "cannot be resumed" in at.warning[0].value
        assert "game" not in at.query_params and at.session_state.get("beer_game") is None
        assert at.button(key="beer_start")  # the setup, to start a game


def test_the_seat_agent_plays_only_its_seat_and_the_stationary_game_has_an_optimum(app, network_root):
    at = start(beer_game(app, network_root), run="seat", seat="retailer")
    for _ in range(WEEKS):
        order(at, "8")
    assert "trained for the wholesaler's seat only" in texts(at.caption)
    assert "The agent in your seat" not in at.dataframe[-1].value.index
    at.button(key="beer_new").click().run()
    at.selectbox(key="beer_network").set_value("beer-game").run()
    at = start(at, co_players="base-stock", seat="retailer")
    game = at.session_state["beer_game"]
    for _ in range(game.weeks):
        order(at, "4")
    assert "the optimum (Clark-Scarf echelon base-stock at every seat) costs" in texts(at.markdown)
    assert "choose a run's agents as co-players to see one in your seat" in texts(at.caption)  # rules at the table


def test_without_any_run_the_beer_game_plays_the_rules(app, tmp_path):
    at = beer_game(app, tmp_path / "no logs yet")
    assert at.radio(key="beer_co_players").options == ["Base-stock (tuned)", "Sterman's rule (how people play)"]
    assert "python train.py --scenario beer-game-classic --agents per-node" in texts(at.caption)
    at = start(at, co_players="sterman")
    order(at, "4")
    assert len(saved(tmp_path / "no logs yet")) == 1


def test_a_single_warehouse_run_keeps_its_pages_and_the_beer_game_still_plays(app, runs, tmp_path):
    root = copy_run(runs["costs"], tmp_path / "logs")
    at = app(root).run()
    assert "Scenario `costs`: a PPO agent" in texts(at.sidebar.caption)
    assert not graphviz(at)
    at = switch(at, "Replay")
    assert at.dataframe[0].value.index[0] == "PPO agent" and not graphviz(at)
    at = start(switch(at, "Beer Game"), co_players="base-stock")
    order(at, "4")
    assert "Week 2 of 36" in headers(at)
