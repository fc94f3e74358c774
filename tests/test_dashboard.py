"""The dashboard: its plain building blocks (``ui.history``, ``ui.game``, ...), then the whole
app through Streamlit's AppTest, page by page.

Everything runs on the files of one real (tiny) training run made once per session; the
broken variants (no model, a corrupt model, no logs at all) are copies of it.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import dashboard
import utils
from baselines import make_baseline
from env import REWARD_COMPONENTS, InventoryConfig, InventoryEnv
from ui.charts import day_ticks
from ui.common import available_models, resolve_log_dir
from ui.game import ManualGame
from ui.history import (
    EPISODE_COLUMNS,
    ROLLING_WINDOW,
    EpisodeHistory,
    TrainingMonitor,
    chart_positions,
    rolling_metric,
    trajectory_frames,
)
from utils import StreamWriter

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
TIMEOUT = 60  # seconds per AppTest run: the first one imports torch and SB3


@pytest.fixture(scope="session")
def stream_lines(run_dir):
    """The run's stream, one JSON line per record (header, episodes, end)."""
    return (run_dir / utils.STREAM_NAME).read_text().splitlines(keepends=True)


@pytest.fixture
def app(monkeypatch):
    """Build the app for a log directory, given through the environment as users may."""

    def build(log_dir: Path) -> AppTest:
        monkeypatch.setenv("INVENTORY_LOG_DIR", str(log_dir))
        monkeypatch.setattr(sys, "argv", ["dashboard.py"])
        return AppTest.from_file(APP, default_timeout=TIMEOUT)

    return build


def switch(at: AppTest, mode: str) -> AppTest:
    """Open a page as its sidebar link does: its script, which st.navigation registered."""
    script = dashboard.PAGES[mode][0]
    at.switch_page(script).run()
    assert not at.exception, at.exception
    return at


def metric_values(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def run_config(log_dir: Path) -> InventoryConfig:
    return InventoryConfig.from_dict(utils.read_run_config(log_dir / utils.RUN_CONFIG_NAME)["env_config"])


# ---------------------------------------------------------------------------- the modules
def test_the_history_and_the_game_do_not_import_streamlit():
    code = "import sys, ui.history, ui.game; assert 'streamlit' not in sys.modules, 'streamlit was imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# ---------------------------------------------------------------------------- log directory
def test_log_dir_comes_from_the_argument_then_the_environment_then_logs():
    environ = {"INVENTORY_LOG_DIR": "from_env"}
    assert resolve_log_dir(["--log-dir", "runs/a"], environ) == Path("runs/a")
    assert resolve_log_dir(["--other", "x"], environ) == Path("from_env")
    assert resolve_log_dir([], {}) == Path("logs")


def test_log_dir_argument_without_a_value_is_an_argparse_error():
    with pytest.raises(argparse.ArgumentError):
        resolve_log_dir(["--log-dir"], {})


def test_models_are_listed_final_first_then_checkpoints_by_timesteps(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    for steps in (10240, 1024, 2048):
        (tmp_path / "checkpoints" / f"inventory_model_{steps}_steps.zip").touch()
    assert [path.name for path in available_models(tmp_path)] == [
        "inventory_model_1024_steps.zip",
        "inventory_model_2048_steps.zip",
        "inventory_model_10240_steps.zip",
    ]
    (tmp_path / utils.MODEL_NAME).touch()
    assert available_models(tmp_path)[0].name == utils.MODEL_NAME


# ---------------------------------------------------------------------------- training data
def episode_records(stream_lines):
    return [record for record in map(json.loads, stream_lines) if record["type"] == "episode"]


def test_history_grows_in_batches_exactly_as_in_one(stream_lines):
    records = episode_records(stream_lines)
    whole, batched = EpisodeHistory(capacity=4), EpisodeHistory(capacity=4)
    whole.extend(records)
    for start in range(0, len(records), 5):
        batched.extend(records[start : start + 5])
    assert whole.size == batched.size == len(records)
    for name in EPISODE_COLUMNS:
        np.testing.assert_allclose(whole.column(name), batched.column(name))
    for name in utils.EPISODE_FIGURES:  # every figure of the stream's episode record
        assert whole.column(name).tolist() == [record[name] for record in records]
    for component in REWARD_COMPONENTS:
        expected = [record["reward_components"][component] for record in records]
        assert whole.column(f"{component}_points").tolist() == expected


def test_rolling_mean_matches_a_plain_mean_over_the_window(stream_lines):
    history = EpisodeHistory()
    history.extend(episode_records(stream_lines))
    rewards = history.column("reward")
    positions = np.arange(history.size)
    for window in (1, 7, 1000):
        expected = [rewards[max(0, i - window + 1) : i + 1].mean() for i in positions]
        np.testing.assert_allclose(history.rolling_mean("reward", positions, window), expected)


def test_malformed_episode_records_are_skipped(stream_lines):
    good = episode_records(stream_lines)[:3]
    missing_key = {key: value for key, value in good[1].items() if key != "fill_rate"}
    not_a_number = {**good[2], "reward": "lots"}
    history = EpisodeHistory()
    assert history.extend([good[0], missing_key, not_a_number, good[2]]) == 2
    assert history.column("episode").tolist() == [good[0]["episode"], good[2]["episode"]]


def test_heatmap_days_are_labelled_at_round_numbers_whatever_the_episode_length():
    assert day_ticks(30) == [1, 5, 10, 15, 20, 25, 30]
    assert day_ticks(365) == [1, 100, 200, 300]
    assert day_ticks(3) == [1, 2, 3]


def test_chart_positions_thin_long_runs_evenly_keeping_both_ends():
    assert chart_positions(10, 500).tolist() == list(range(10))
    positions = chart_positions(100_000, 500)
    assert len(positions) <= 500
    assert positions[0] == 0 and positions[-1] == 99_999
    assert np.all(np.diff(positions) > 0)


def test_rolling_metrics_report_the_change_from_the_previous_window(tmp_path, stream_lines):
    template = episode_records(stream_lines)[0]
    records = [
        {**template, "episode": n, "fill_rate": 0.5 if n <= ROLLING_WINDOW else 0.7}
        for n in range(1, 2 * ROLLING_WINDOW + 1)
    ]
    history = EpisodeHistory()
    history.extend(records)
    metric = rolling_metric(history, "fill_rate", "Fill rate", as_percent=True)
    assert metric.value == "70.0%"
    assert metric.delta == "+20.0 pp"


def write_lines(path: Path, lines, mode="a"):
    with open(path, mode) as file:
        file.writelines(lines)


def test_monitor_reads_appended_records_and_caches_its_view_between_them(tmp_path, stream_lines):
    stream = tmp_path / utils.STREAM_NAME
    header, *records, end = stream_lines
    monitor = TrainingMonitor(stream)
    assert monitor.refresh() == 0 and monitor.view() is None  # no file yet

    write_lines(stream, [header, *records[:10]], mode="w")
    assert monitor.refresh() == 10
    first_view = monitor.view()
    assert first_view.metrics[0].value == "10"
    assert monitor.refresh() == 0
    assert monitor.view() is first_view  # an idle refresh rebuilds nothing

    write_lines(stream, [*records[10:], end])
    assert monitor.refresh() == len(records) - 10
    assert monitor.view() is not first_view
    assert monitor.view().metrics[0].value == f"{len(records):,}"
    assert monitor.view().metrics[0].delta == f"+{len(records) - 10}"
    assert monitor.end["status"] == "finished"


def test_monitor_follows_a_new_run_that_replaces_the_stream(tmp_path, stream_lines):
    stream = tmp_path / utils.STREAM_NAME
    header, *records, _ = stream_lines
    write_lines(stream, [header, *records], mode="w")
    monitor = TrainingMonitor(stream)
    monitor.refresh()
    assert monitor.history.size == len(records)

    new_header = {**json.loads(header), "run_id": "another-run"}
    writer = StreamWriter(stream, new_header)
    writer.write({**json.loads(records[0]), "run_id": "another-run"})
    writer.close()
    monitor.refresh()
    assert monitor.header["run_id"] == "another-run"
    assert monitor.history.size == 1
    assert monitor.end is None


def test_trajectory_frames_hold_every_product_day(stream_lines, run_dir):
    trajectory = next(record["trajectory"] for record in episode_records(stream_lines) if "trajectory" in record)
    frames = trajectory_frames(trajectory)
    days = frames["days"]
    config = run_config(run_dir)
    assert len(days) == config.episode_days * config.n_products
    assert (days["lost sales"] == days["demand"] - np.asarray(trajectory["sales"]).ravel()).all()
    totals = frames["totals"].pivot(index="product", columns="measure", values="units")
    assert totals.loc["P3", "demand"] == sum(day[3] for day in trajectory["demand"])


# ---------------------------------------------------------------------------- manual game
def new_game(seed=3):
    config = InventoryConfig()
    return ManualGame(make_baseline("newsvendor", config), "newsvendor rule", config, seed)


def test_both_sides_of_a_manual_game_face_the_same_demand():
    game = new_game()
    assert game.human.result() is None and game.day == 0  # nothing played yet
    with pytest.raises(ValueError):
        game.human.scores()
    for _ in range(5):
        game.place_order(game.suggested_order())
        assert (game.human.info["demand"] == game.ai.info["demand"]).all()
    assert game.day == 5
    human, ai = game.human.result(), game.ai.result()
    np.testing.assert_array_equal(human.demand, ai.demand)
    assert human.demand.sum() > 0


def test_the_order_form_sees_the_observation_in_units():
    game = new_game()
    game.place_order(game.suggested_order())
    observation = game.observation()
    np.testing.assert_array_equal(observation.stock, game.human.stock)
    assert game.free_space() == game.config.capacity - game.human.stock.sum()
    suggested = game.suggested_order()
    assert sum(suggested) == game.free_space() and min(suggested) >= 0


def test_an_order_beyond_the_free_space_is_refused_at_the_door():
    game = new_game()
    units = [0] * 10
    units[4] = 150
    outcome = game.place_order(units)
    assert (outcome.placed, outcome.delivered) == (150, 100)
    assert outcome.refused == {4: 50}
    assert "50 were refused at the door" in outcome.explanation(100)
    assert game.human.stock.sum() <= 100
    fitting = game.place_order([0] * 10)
    assert fitting.refused == {} and fitting.explanation(100) is None


def test_a_finished_game_takes_no_more_orders():
    game = new_game()
    for _ in range(game.config.episode_days):
        game.place_order(game.suggested_order())
    assert game.over
    with pytest.raises(RuntimeError):
        game.place_order([0] * 10)
    for side in (game.human, game.ai):
        scores = side.scores()
        assert 0 <= scores["fill rate"] <= 1 and 0 <= scores["utilization"] <= 1
        assert 0 <= scores["stockouts per day"] <= game.config.n_products
        # The scoreboard's reward is the sum of the env's daily rewards: replay the side's orders.
        env = InventoryEnv(game.config)
        env.reset(seed=game.seed)
        daily_rewards = [env.step_units(day["ordered"])[1] for day in side.days]
        assert scores["reward"] == pytest.approx(sum(daily_rewards))
        np.testing.assert_allclose(side.result().rewards, daily_rewards)


# ---------------------------------------------------------------------------- the app
def test_training_page_shows_the_run(app, run_dir, stream_lines):
    at = app(run_dir).run()
    assert not at.exception, at.exception
    n_episodes = len(episode_records(stream_lines))
    assert metric_values(at)["Episodes"] == f"{n_episodes:,}"
    assert metric_values(at)["Timesteps"] == f"{json.loads(stream_lines[-2])['timesteps']:,}"
    assert len(at.get("vega_lite_chart")) == 7  # four curves, two heatmaps, the totals
    assert at.selectbox(key="episode_pick").value is None  # follows the latest sampled episode


def test_training_page_explains_how_to_start_without_logs(app, tmp_path):
    at = app(tmp_path).run()
    assert not at.exception, at.exception
    assert "python train.py --preset quick" in texts(at.info)
    assert not at.metric


def test_replay_plays_the_model_beside_the_rules(app, run_dir):
    at = switch(app(run_dir).run(), "Replay")
    summary = at.dataframe[0].value
    assert list(summary.index) == ["PPO agent", "newsvendor rule", "proportional rule"]
    at.slider(key="replay_day").set_value(17).run()
    assert not at.exception, at.exception
    assert any("Day 17" in header.value for header in at.subheader)
    at.selectbox(key="replay_model").set_value(run_dir / "checkpoints" / "inventory_model_1024_steps.zip").run()
    at.number_input(key="replay_seed").set_value(5).run()
    assert not at.exception, at.exception
    assert not at.error


def test_a_full_manual_game_ends_with_a_scoreboard(app, run_dir):
    at = switch(app(run_dir).run(), "Manual")
    assert any("PPO agent" in header.value for header in at.subheader)
    assert metric_values(at)["Fill rate"] == "–"  # no day played yet
    days = run_config(run_dir).episode_days
    for day in range(1, days + 1):
        assert any(f"Day {day} of {days}" in header.value for header in at.subheader)
        at.button(key="suggest_order").click().run()
        at.button(key="place_order").click().run()
        assert not at.exception, at.exception
    assert any("Final scoreboard" in header.value for header in at.subheader)
    game = at.session_state["manual_game"]
    assert game.over and game.opponent_label == "PPO agent"
    assert 0 <= game.human.scores()["fill rate"] <= 1 and 0 <= game.ai.scores()["fill rate"] <= 1
    assert list(at.dataframe[0].value.index) == ["You", "PPO agent"]

    at.button(key="new_game").click().run()
    assert not at.exception, at.exception
    assert at.session_state["manual_game"].day == 0


def test_an_over_large_manual_order_is_explained(app, run_dir):
    at = switch(app(run_dir).run(), "Manual")
    capacity = run_config(run_dir).capacity
    at.number_input(key="order_0").set_value(500).run()
    at.button(key="place_order").click().run()
    assert not at.exception, at.exception
    assert f"{500 - capacity} were refused at the door" in texts(at.warning)
    assert at.session_state["manual_game"].human.stock.sum() <= capacity


@pytest.fixture
def without_model(run_dir, tmp_path):
    shutil.copy(run_dir / utils.STREAM_NAME, tmp_path)
    shutil.copy(run_dir / "run_config.json", tmp_path)
    return tmp_path


@pytest.fixture
def corrupt_model(without_model):
    (without_model / utils.MODEL_NAME).write_bytes(b"PK\x03\x04 not really a zip")
    return without_model


def test_without_a_model_replay_shows_the_rules_and_manual_plays_the_newsvendor_rule(app, without_model):
    at = switch(app(without_model).run(), "Replay")
    assert "No trained model" in texts(at.info)
    assert list(at.dataframe[0].value.index) == ["newsvendor rule", "proportional rule"]
    at = switch(at, "Manual")
    assert "you play against the newsvendor rule" in texts(at.info)
    assert at.session_state["manual_game"].opponent_label == "newsvendor rule"


def test_a_corrupt_model_gives_one_line_errors_not_a_traceback(app, corrupt_model):
    at = switch(app(corrupt_model).run(), "Replay")
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert utils.MODEL_NAME in at.error[0].value
    assert list(at.dataframe[0].value.index) == ["newsvendor rule", "proportional rule"]
    at = switch(at, "Manual")
    assert "newsvendor rule instead" in texts(at.error)
    at.button(key="place_order").click().run()
    assert not at.exception, at.exception


def test_every_mode_renders_without_any_logs(app, tmp_path):
    at = app(tmp_path / "nothing here").run()
    for mode in dashboard.PAGES:
        switch(at, mode)
    assert at.session_state["manual_game"].opponent_label == "newsvendor rule"


def test_log_dir_argument_after_the_double_dash_is_used(app, run_dir, monkeypatch):
    at = app(Path("elsewhere"))
    monkeypatch.setattr(sys, "argv", ["dashboard.py", "--log-dir", str(run_dir)])
    at.run()
    assert not at.exception, at.exception
    assert str(run_dir) in texts(at.sidebar.caption)
    assert metric_values(at)["Episodes"] != ""


def test_texts_follow_the_scenario_of_the_run(app, tmp_path):
    config = InventoryConfig(n_products=4, capacity=60, episode_days=12)
    (tmp_path / utils.RUN_CONFIG_NAME).write_text(json.dumps({"env_config": config.to_dict()}))
    header = {"type": "header", "run_id": "scenario", "env_config": config.to_dict()}
    StreamWriter(tmp_path / utils.STREAM_NAME, header).close()  # a run that has only just started
    at = app(tmp_path).run()
    assert not at.exception, at.exception
    assert "across 4 products sharing a 60-unit warehouse" in texts(at.sidebar.caption)
    assert "(12 steps per env)" in texts(at.info)
    at = switch(at, "Replay")
    assert at.slider(key="replay_day").max == 12
    at = switch(at, "Manual")
    assert any("Day 1 of 12" in header.value for header in at.subheader)
    assert [widget.key for widget in at.number_input] == ["manual_seed", *(f"order_{i}" for i in range(4))]
    assert "free space **60**" in texts(at.markdown)
