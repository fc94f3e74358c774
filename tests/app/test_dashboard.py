"""The whole dashboard through Streamlit's AppTest, page by page, on real (tiny) training runs of
each scenario family: the original reward (default), a lead time (lead-time), costs in free
mode (costs) and demand from a file (sample-data). The runs are made once per session, in
parallel; the broken variants (no model, a corrupt model, no logs at all) are copies or empty
folders. The plain building blocks are tested in test_dashboard_models.py.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from inventory_rl.app import dashboard
from inventory_rl.app.common import available_models, resolve_log_dir
from inventory_rl.app.history import ROLLING_WINDOW
from inventory_rl.app.scenario import run_scenario
from inventory_rl.evaluation.episodes import play_episode
from inventory_rl.policies.rules import make_baseline
from inventory_rl.runs.layout import (
    MODEL_NAME,
    RUN_CONFIG_NAME,
    STREAM_NAME,
    RunConfig,
    ScenarioRecord,
    read_run_config,
    write_run_config,
)
from inventory_rl.runs.stream import StreamWriter
from inventory_rl.world.config import InventoryConfig, load_scenario
from tests.app.test_dashboard_models import make_study, write_report

FAMILIES = ("default", "lead-time", "costs", "sample-data")  # the runs of conftest.py's ``runs``


def switch(at: AppTest, page: str) -> AppTest:
    """Open a page as its sidebar link does: its script, which st.navigation registered."""
    at.switch_page(str(dashboard.PAGES[page][0])).run()
    assert not at.exception, at.exception
    return at


def metric_values(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def headers(at: AppTest) -> str:
    return texts(at.subheader)


def run_config(log_dir: Path) -> InventoryConfig:
    return run_scenario(read_run_config(log_dir / RUN_CONFIG_NAME)).config


def episodes_in(log_dir: Path) -> int:
    return sum('"type":"episode"' in line for line in (log_dir / STREAM_NAME).open())


# ---------------------------------------------------------------------------- log directory
def test_log_dir_comes_from_the_argument_then_the_environment_then_logs():
    environ = {"INVENTORY_LOG_DIR": "from_env"}
    assert resolve_log_dir(["--log-dir", "runs/a"], environ) == Path("runs/a")
    assert resolve_log_dir(["--other", "x"], environ) == Path("from_env")
    assert resolve_log_dir([], {}) == Path("logs")
    with pytest.raises(argparse.ArgumentError):
        resolve_log_dir(["--log-dir"], {})


def test_models_are_listed_final_first_then_checkpoints_by_timesteps(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    for steps in (10240, 1024, 2048):
        (tmp_path / "checkpoints" / f"inventory_model_{steps}_steps.zip").touch()
    names = [path.name for path in available_models(tmp_path)]
    assert names == [f"inventory_model_{steps}_steps.zip" for steps in (1024, 2048, 10240)]
    (tmp_path / MODEL_NAME).touch()
    assert available_models(tmp_path)[0].name == MODEL_NAME


# ---------------------------------------------------------------------------- the run picker
def copy_run(source: Path, folder: Path, age: float = 0) -> Path:
    """A copy of the run in ``source`` at ``folder``, its files ``age`` seconds old (the newest run is the default)."""
    shutil.copytree(source, folder, dirs_exist_ok=True)
    for path in folder.rglob("*"):
        if path.is_file():
            stamp = path.stat().st_mtime - age
            os.utime(path, (stamp, stamp))
    return folder


def test_the_run_picker_lists_the_runs_under_the_root_and_every_page_follows_it(app, runs, tmp_path):
    root = tmp_path / "logs"
    copy_run(runs["default"], root / "quick", age=600)
    copy_run(runs["costs"], root / "costs", age=60)  # the newest: picked first, the root holding no run
    at = app(root).run()
    assert not at.exception, at.exception
    picker = at.sidebar.selectbox(key="run")
    assert picker.options == ["costs · costs", "quick · default"] and picker.value == "costs"
    assert "The run's scenario: `costs`" in texts(at.markdown)
    assert f"Log directory: `{root}`" in texts(at.sidebar.caption)
    assert f"Run folder: `{root / 'costs'}`" in texts(at.sidebar.caption)
    at = switch(at, "Compare")
    assert at.text_input(key="compare_where").value == str(root / "costs")

    picker = at.sidebar.selectbox(key="run").set_value("quick").run()
    assert not at.exception, at.exception
    assert at.text_input(key="compare_where").value == str(root / "quick")  # the page follows the new run
    at = switch(at, "Tuning")
    assert str(root / "quick" / "tuning.db") in at.text_input(key="tuning_url").value
    at = switch(at, "Replay")
    assert at.selectbox(key="replay_model").value == root / "quick" / MODEL_NAME
    at = switch(at, "Manual")
    game = at.session_state["manual_game"]
    assert game.opponent_label == "PPO agent" and game.config == run_config(root / "quick").with_demand_part("holdout")
    at = switch(at, "Training")
    assert "The run's scenario: `default`" in texts(at.markdown)
    assert metric_values(at)["Episodes"] == f"{episodes_in(root / 'quick'):,}"

    at.sidebar.selectbox(key="run").set_value("costs").run()
    at = switch(at, "Manual")  # a game against the other run's agent is not kept
    assert at.session_state["manual_game"].config.order_mode == "free"


def test_the_root_s_own_run_is_picked_first(app, runs, tmp_path):
    root = copy_run(runs["default"], tmp_path / "logs", age=600)
    copy_run(runs["costs"], root / "costs")  # newer, but the root's own run comes first
    at = app(root).run()
    assert not at.exception, at.exception
    picker = at.sidebar.selectbox(key="run")
    assert picker.options == [". · default", "costs · costs"] and picker.value == "."
    assert "The run's scenario: `default`" in texts(at.markdown)


# ---------------------------------------------------------------------------- every page, every family
@pytest.mark.parametrize("family", FAMILIES)
def test_every_page_shows_the_run_of_each_scenario_family(app, runs, family):
    log_dir, config = runs[family], run_config(runs[family])
    at = app(log_dir).run()
    assert not at.exception, at.exception
    assert f"The run's scenario: `{family}`" in texts(at.markdown)  # by name, with what differs
    assert "What differs from the original warehouse" in texts(at.caption)
    cards = metric_values(at)
    assert cards["Episodes"] == f"{episodes_in(log_dir):,}"
    assert ("Cost / day" in cards) == (family == "costs")
    legends = texts(at.markdown)
    assert ("Holding" in legends) == (family == "costs") and ("Accuracy" in legends) == (family != "costs")
    assert ("Units in transit at the end of each day" in texts(at.markdown)) == (family == "lead-time")

    at = switch(at, "Replay")
    assert at.dataframe[0].value.index[0] == "PPO agent"  # the model plays its own scenario
    assert not at.error
    assert ("in transit" in texts(at.caption)) == (family == "lead-time")
    assert ("held-out days" in headers(at)) == (family == "sample-data")
    tables = [frame.value for frame in at.dataframe]
    assert any("holding" in table.index for table in tables) == (family == "costs")
    assert ("**oracle**" in texts(at.caption)) == (family == "sample-data")  # not applicable, and why

    at = switch(at, "Manual")
    assert at.session_state["manual_game"].opponent_label == "PPO agent"
    assert f"Day 1 of {config.episode_days}" in headers(at)
    at = switch(at, "Compare")
    assert "No evaluation report" in texts(at.info)
    at = switch(at, "Tuning")
    assert "No tuning study" in texts(at.info)


def test_training_page_draws_every_chart_of_the_original(app, run_dir):
    at = app(run_dir).run()
    *_, last_episode, _ = (run_dir / STREAM_NAME).read_text().splitlines()
    assert metric_values(at)["Timesteps"] == f"{json.loads(last_episode)['timesteps']:,}"
    assert len(at.get("vega_lite_chart")) == 7  # four curves, two heatmaps, the totals
    assert at.selectbox(key="episode_pick").value is None  # follows the latest sampled episode


def test_a_finished_run_shows_a_full_bar_and_its_real_timesteps(app, run_dir):
    at = app(run_dir).run()
    end = json.loads((run_dir / STREAM_NAME).read_text().splitlines()[-1])
    total = read_run_config(run_dir / RUN_CONFIG_NAME).total_timesteps
    [bar] = at.progress
    assert bar.value == 100 and bar.text.startswith(f"Finished: {end['timesteps']:,} timesteps")
    assert f"of {total:,}" not in bar.text  # not the partial count of the latest episode
    episodes = episodes_in(run_dir)
    assert episodes < ROLLING_WINDOW
    assert f"Rolling means over the last {episodes} episodes (all of them so far):" in texts(at.caption)


def test_a_run_that_ended_before_its_first_episode_says_so(app, tmp_path):
    config = InventoryConfig(episode_days=1000)  # 1,024 timesteps on 2 envs: no episode ends
    header = {"type": "header", "run_id": "short", "env_config": config.to_dict(), "total_timesteps": 1024}
    writer = StreamWriter(tmp_path / STREAM_NAME, header)
    writer.write({"type": "end", "run_id": "short", "timesteps": 1024, "status": "finished"})
    writer.close()
    at = app(tmp_path).run()
    assert not at.exception, at.exception
    [bar] = at.progress
    assert (bar.value, bar.text) == (100, "Finished: 1,024 timesteps")
    assert "ended before any of its episodes did (1,000 steps per env)" in texts(at.info)
    assert "waiting for its first finished episode" not in texts(at.info)


def test_a_one_product_scenario_is_described_in_good_english(app, tmp_path):
    scenario = load_scenario("lost-sales")
    write_run_config(tmp_path / RUN_CONFIG_NAME, RunConfig(scenario.config, ScenarioRecord.of(scenario)))
    at = app(tmp_path).run()
    assert not at.exception, at.exception
    sidebar = texts(at.sidebar.caption)
    assert "for one product in a warehouse of 1,000 units" in sidebar
    assert "1 products" not in sidebar and "1000" not in sidebar


# ---------------------------------------------------------------------------- replay
def test_replay_plays_any_model_and_rule_on_any_day(app, run_dir):
    at = switch(app(run_dir).run(), "Replay")
    assert list(at.dataframe[0].value.index) == ["PPO agent", "newsvendor rule", "proportional rule"]
    at.multiselect(key="replay_rules").select("base-stock").run()
    assert list(at.dataframe[0].value.index)[-1] == "base-stock rule"  # tuned on first use
    at.slider(key="replay_day").set_value(17).run()
    assert "Day 17, product by product" in headers(at)
    at.selectbox(key="replay_model").set_value(run_dir / "checkpoints" / "inventory_model_1024_steps.zip").run()
    at.number_input(key="replay_seed").set_value(5).run()
    assert not at.exception and not at.error


def test_rules_left_out_for_the_same_reason_are_named_once(app, run_dir):
    at = switch(app(run_dir).run(), "Replay")
    [caption] = [text for text in map(str, (c.value for c in at.caption)) if text.startswith("Not applicable here")]
    reason = "the order always fills the gap here"
    assert caption.count(reason) == 1
    assert f"**capped-base-stock**, **constant-order**, **s-S**, **optimal**: {reason}" in caption


def test_replay_in_another_scenario_keeps_only_the_rules_that_apply(app, runs):
    at = switch(app(runs["costs"]).run(), "Replay")
    at.multiselect(key="replay_rules").select("s-S").run()
    at.selectbox(key="replay_scenario").set_value("big").run()  # 50 products: the costs model cannot play it
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "\n" not in at.error[0].value and "Showing the rules only" in at.error[0].value
    assert at.session_state["replay_rules"] == ["newsvendor", "proportional"]  # s-S needs free mode
    assert "Scenario: `big`" in texts(at.markdown)


def test_a_disrupted_day_is_shown_in_replay_and_announced_in_a_manual_game(app, run_dir):
    config = load_scenario("disrupted").config
    played = play_episode(make_baseline("newsvendor", config), config, 0)
    first = int(np.flatnonzero(played.disrupted)[0]) + 1  # the first day the supplier ships nothing
    at = switch(app(run_dir).run(), "Replay")
    at.selectbox(key="replay_scenario").set_value("disrupted").run()
    at.slider(key="replay_day").set_value(first).run()
    assert f"Day {first}: the supplier shipped nothing" in texts(at.warning)
    assert "disrupted: nothing shipped" in texts(at.caption) and "in transit" in texts(at.caption)
    at = switch(at, "Manual")
    at.selectbox(key="manual_scenario").set_value("disrupted").run()
    game = at.session_state["manual_game"]
    assert game.config.disruption_prob > 0
    at.number_input(key="order_0").set_value(5).run()
    for _ in range(first):
        at.button(key="place_order").click().run()
    assert f"Day {first}: the supplier shipped nothing today" in texts(at.warning)


def test_a_scenario_file_with_a_mistake_is_one_line_on_the_page(app, run_dir, tmp_path):
    run_dir = copy_run(run_dir, tmp_path / "logs")  # a typed path is read under the log directory only
    bad, good = run_dir / "typo.toml", run_dir / "mine.toml"
    bad.write_text('description = "a typo"\nlead_tiem = 3\n')
    good.write_text(
        'description = "Mine: a slow supplier, 4 products"\nlead_time = 3\ncapacity = 120\nn_products = 4\n'
    )
    for page, prefix in (("Replay", "replay"), ("Manual", "manual")):
        at = switch(app(run_dir).run(), page)
        at.selectbox(key=f"{prefix}_scenario").set_value("file").run()
        assert "Type the path" in texts(at.info)
        at.text_input(key=f"{prefix}_scenario_path").input(str(bad)).run()
        assert not at.exception, at.exception
        assert len(at.error) == 1 and "lead_tiem" in at.error[0].value and "\n" not in at.error[0].value
        at.text_input(key=f"{prefix}_scenario_path").input(str(good)).run()
        at.text_input(key=f"{prefix}_overrides").input("lead_time=0").run()
        assert len(at.error) == 1 and "lead_time" in at.error[0].value
        at.text_input(key=f"{prefix}_overrides").input("").run()
        assert not at.exception, at.exception
        assert "Scenario: `mine`" in texts(at.markdown)
    # The default model sees other spaces there: the best rule plays, and the page says why.
    game = at.session_state["manual_game"]
    assert game.opponent_label.endswith("rule") and (game.config.lead_time, game.config.n_products) == (3, 4)
    assert "The agent cannot play this scenario" in texts(at.info)


# ---------------------------------------------------------------------------- manual
@pytest.mark.parametrize("family", ("lead-time", "costs"))
def test_a_full_manual_game_ends_with_a_scoreboard(app, runs, family):
    at = switch(app(runs[family]).run(), "Manual")
    assert "PPO agent" in headers(at)
    assert metric_values(at)["Fill rate"] == "–"  # no day played yet
    days = run_config(runs[family]).episode_days
    at.button(key="suggest_order").click().run()
    at.number_input(key="order_0").set_value(7).run()
    for day in range(1, days + 1):
        assert f"Day {day} of {days}" in headers(at)
        at.button(key="place_order").click().run()
        assert not at.exception, at.exception
        if family == "lead-time" and day == 1:  # on its way, on the shelf before the demand of day 3
            assert "coming: 7 on day 3" in texts(at.caption)
        if family == "lead-time" and day == 3:
            assert at.session_state["manual_game"].human.days[-1]["orders"][0] >= 7
    assert "Final scoreboard" in headers(at)
    game = at.session_state["manual_game"]
    assert game.over and game.opponent_label == "PPO agent"
    assert 0 <= game.human.scores()["fill rate"] <= 1 and 0 <= game.ai.scores()["fill rate"] <= 1
    board = at.dataframe[0].value
    assert list(board.index) == ["You", "PPO agent"]
    assert ("cost per day" in board) == (family == "costs")
    at.button(key="new_game").click().run()
    assert at.session_state["manual_game"].day == 0


def test_an_over_large_manual_order_is_explained(app, run_dir):
    at = switch(app(run_dir).run(), "Manual")
    capacity = run_config(run_dir).capacity
    at.number_input(key="order_0").set_value(500).run()
    at.button(key="place_order").click().run()
    assert f"{500 - capacity} were refused at the door" in texts(at.warning)
    assert at.session_state["manual_game"].human.stock.sum() <= capacity


def test_a_new_manual_day_opens_with_no_order_entered(app, run_dir):
    at = switch(app(run_dir).run(), "Manual")
    at.number_input(key="order_0").set_value(500).run()
    assert "would be refused at the door" in texts(at.markdown)  # said before the order is placed
    at.button(key="place_order").click().run()
    assert "Day 2 of" in headers(at)
    assert at.number_input(key="order_0").value == 0  # the inputs are empty again, as in a new game
    assert "Your order: **0** units." in texts(at.markdown)
    assert "would be refused at the door" not in texts(at.markdown)  # for an order not entered today


# ---------------------------------------------------------------------------- compare and tuning
def test_compare_shows_each_report_and_the_gaps_to_the_optimum(app, tmp_path):
    write_report(tmp_path / "evaluation_costs.json", "costs")
    for cost in (4, 9):
        overrides = ["lead_time=2", f"lost_sale_cost={cost}", "episode_days=100"]
        write_report(tmp_path / f"lost_{cost}.json", "lost-sales", overrides, rules=("optimal", "base-stock"))
    (tmp_path / "half.json").write_text('{"policies": ')
    at = switch(app(tmp_path).run(), "Compare")
    assert len(at.warning) == 1 and "half.json" in at.warning[0].value
    overview, report, optimum = (frame.value for frame in at.dataframe)
    assert len(overview) == 3 and list(report.index) == ["newsvendor", "base-stock"]
    assert optimum["lost_sale_cost"].tolist() == ["4", "9"]
    assert len(at.get("vega_lite_chart")) == 1  # the intervals
    at.selectbox(key="compare_report").set_value(1).run()
    assert list(at.dataframe[1].value.index) == ["optimal", "base-stock"]


def test_compare_leaves_a_policy_far_behind_off_the_interval_plot(app, tmp_path):
    means = {"ppo": 6.12, "newsvendor": 6.14, "base-stock": 6.5, "random": 977.0}
    policies = {
        name: {"cost_per_day": mean, "cost_per_day_ci95": [mean - 0.05, mean + 0.05]} for name, mean in means.items()
    }
    report = {"scenario": "scenario costs", "main_metric": "cost_per_day", "reference": "newsvendor", "episodes": 20}
    (tmp_path / "evaluation_costs.json").write_text(json.dumps({**report, "policies": policies}))
    at = switch(app(tmp_path).run(), "Compare")
    assert list(at.dataframe[1].value.index) == ["PPO agent", "newsvendor", "base-stock", "random"]  # all in the table
    [plot] = at.get("vega_lite_chart")
    plotted = set(dataframe_util.convert_arrow_bytes_to_pandas_df(plot.proto.data.data)["policy"])  # the chart's data
    assert plotted == {"PPO agent", "newsvendor", "base-stock"}  # random (977 a day) would flatten 6.12 vs 6.14
    assert "Left off the plot, far behind the others" in texts(at.caption) and "**random** 977" in texts(at.caption)


def test_tuning_shows_a_study_and_one_line_errors(app, tmp_path):
    make_study(tmp_path / "tuning.db")
    at = switch(app(tmp_path).run(), "Tuning")
    assert metric_values(at)["Trials"] == "6" and metric_values(at)["Pruned"] == "1"
    assert at.dataframe[0].value["state"].tolist()[-2:] == ["PRUNED", "FAIL"]
    assert len(at.get("vega_lite_chart")) == 3  # best value, intermediate values, importances
    for url in ("sqlite:///nowhere/tuning.db", "postgresql://nobody@127.0.0.1:1/db", "what://"):
        at.text_input(key="tuning_url").input(url).run()
        assert not at.exception, at.exception
        assert len(at.error) == 1 and "\n" not in at.error[0].value


# ---------------------------------------------------------------------------- broken and missing logs
@pytest.fixture
def without_model(run_dir, tmp_path):
    shutil.copy(run_dir / STREAM_NAME, tmp_path)
    shutil.copy(run_dir / RUN_CONFIG_NAME, tmp_path)
    return tmp_path


def test_without_a_model_replay_shows_the_rules_and_manual_plays_the_best_rule(app, without_model):
    at = switch(app(without_model).run(), "Replay")
    assert "No trained model" in texts(at.info)
    assert list(at.dataframe[0].value.index) == ["newsvendor rule", "proportional rule"]
    at = switch(at, "Manual")
    assert "you play against the newsvendor rule, the best rule here" in texts(at.info)
    assert at.session_state["manual_game"].opponent_label == "newsvendor rule"


def test_a_corrupt_model_gives_one_line_errors_not_a_traceback(app, without_model):
    (without_model / MODEL_NAME).write_bytes(b"PK\x03\x04 not really a zip")
    at = switch(app(without_model).run(), "Replay")
    assert len(at.error) == 1 and "\n" not in at.error[0].value and MODEL_NAME in at.error[0].value
    assert list(at.dataframe[0].value.index) == ["newsvendor rule", "proportional rule"]
    at = switch(at, "Manual")
    assert "newsvendor rule instead" in texts(at.error)
    at.button(key="place_order").click().run()
    assert not at.exception, at.exception


def test_training_page_explains_how_to_start_without_logs(app, tmp_path):
    at = app(tmp_path).run()
    assert not at.exception, at.exception
    assert "python train.py --preset quick" in texts(at.info)
    assert not at.metric


def test_every_page_renders_without_any_logs(app, tmp_path):
    at = app(tmp_path / "nothing here").run()
    for page in dashboard.PAGES:
        switch(at, page)
    assert at.session_state["manual_game"].opponent_label == "newsvendor rule"


def test_log_dir_argument_after_the_double_dash_is_used(app, run_dir, monkeypatch):
    at = app(Path("elsewhere"))
    monkeypatch.setattr(sys, "argv", ["dashboard.py", "--log-dir", str(run_dir)])
    at.run()
    assert not at.exception, at.exception
    assert str(run_dir) in texts(at.sidebar.caption)
    assert metric_values(at)["Episodes"] == f"{episodes_in(run_dir):,}"


def test_texts_follow_the_scenario_of_the_run(app, tmp_path):
    config = InventoryConfig(n_products=4, capacity=60, episode_days=12)
    (tmp_path / RUN_CONFIG_NAME).write_text(json.dumps({"env_config": config.to_dict()}))
    header = {"type": "header", "run_id": "scenario", "env_config": config.to_dict()}
    StreamWriter(tmp_path / STREAM_NAME, header).close()  # a run that has only just started
    at = app(tmp_path).run()
    assert not at.exception, at.exception
    assert "across 4 products sharing a 60-unit warehouse" in texts(at.sidebar.caption)
    assert "(12 steps per env)" in texts(at.info)
    at = switch(at, "Replay")
    assert at.slider(key="replay_day").max == 12
    at = switch(at, "Manual")
    assert "Day 1 of 12" in headers(at)
    assert [widget.key for widget in at.number_input] == ["manual_seed", *(f"order_{i}" for i in range(4))]
    assert "free space **60**" in texts(at.markdown)
