"""The dashboard's plain building blocks, without Streamlit: the training history and its
monitor, the scenarios a page picks, the days of a replay, the manual game, the evaluation
reports (Compare) and the Optuna studies (Tuning). The pages themselves: test_dashboard.py.
"""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pytest

from inventory_rl.app.charts import day_ticks
from inventory_rl.app.game import ManualGame
from inventory_rl.app.history import (
    ROLLING_WINDOW,
    EpisodeHistory,
    chart_positions,
    rolling_metric,
    rolling_text,
    trajectory_frames,
)
from inventory_rl.app.monitor import TrainingMonitor, run_progress
from inventory_rl.app.reports import (
    Report,
    ReportError,
    load_reports,
    optimum_table,
    policy_table,
    read_report,
    split_far_behind,
)
from inventory_rl.app.run_list import UNKNOWN_SCENARIO, default_run, find_runs, pick_run
from inventory_rl.app.scenario import (
    FILE,
    OWN,
    agent_text,
    best_rule,
    changes,
    pick_scenario,
    reasons_text,
    rules_for,
    run_scenario,
    with_overrides,
)
from inventory_rl.app.studies import (
    StorageError,
    best_curve,
    importances,
    list_studies,
    load_study,
    open_storage,
    trials_frame,
)
from inventory_rl.envs.single import InventoryEnv
from inventory_rl.evaluation.episodes import play_episode, play_policies
from inventory_rl.evaluation.report import summarize
from inventory_rl.policies.rules import make_baseline
from inventory_rl.runs.layout import RUN_CONFIG_NAME, STREAM_NAME, read_run_config
from inventory_rl.runs.stream import EPISODE_FIGURES, StreamWriter
from inventory_rl.world.config import InventoryConfig, ScenarioError, load_scenario
from inventory_rl.world.warehouses import REWARD_COMPONENTS, reward_component_names
from tests import ROOT

SEARCH_SPACE = {
    "learning_rate": optuna.distributions.FloatDistribution(1e-5, 1e-2, log=True),
    "n_steps": optuna.distributions.CategoricalDistribution([64, 128, 256]),
}
STREAMLIT_FREE = (
    "history",
    "monitor",
    "game",
    "scenario",
    "days",
    "reports",
    "studies",
    "run_list",
    "paths",
    "network_runs",
    "network_days",
    "network_reports",
    "beer_game",
)


@pytest.fixture(scope="session")
def stream_lines(run_dir):
    """The default run's stream, one JSON line per record (header, episodes, end)."""
    return (run_dir / STREAM_NAME).read_text().splitlines(keepends=True)


def episode_records(stream_lines):
    return [record for record in map(json.loads, stream_lines) if record["type"] == "episode"]


def test_the_models_do_not_import_streamlit():
    modules = ", ".join(f"inventory_rl.app.{name}" for name in STREAMLIT_FREE)
    code = f"import sys; import {modules}; assert 'streamlit' not in sys.modules, 'streamlit was imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# ---------------------------------------------------------------------------- the training history
def test_history_grows_in_batches_exactly_as_in_one(stream_lines):
    records = episode_records(stream_lines)
    whole, batched = EpisodeHistory(capacity=4), EpisodeHistory(capacity=4)
    whole.extend(records)
    for start in range(0, len(records), 5):
        batched.extend(records[start : start + 5])
    assert whole.size == batched.size == len(records)
    for name in whole.columns:
        np.testing.assert_allclose(whole.column(name), batched.column(name))
    for name in EPISODE_FIGURES:  # every figure of the stream's episode record
        assert whole.column(name).tolist() == [record[name] for record in records]
    for component in REWARD_COMPONENTS:
        assert whole.column(f"{component}_points").tolist() == [r["reward_components"][component] for r in records]


def test_rolling_mean_matches_a_plain_mean_over_the_window(stream_lines):
    history = EpisodeHistory()
    history.extend(episode_records(stream_lines))
    rewards = history.column("reward")
    for window in (1, 7, 1000):
        expected = [rewards[max(0, i - window + 1) : i + 1].mean() for i in range(history.size)]
        np.testing.assert_allclose(history.rolling_mean("reward", np.arange(history.size), window), expected)


def test_malformed_episode_records_are_skipped_and_missing_money_counts_as_zero(stream_lines):
    good = episode_records(stream_lines)[:3]
    missing_key = {key: value for key, value in good[1].items() if key != "fill_rate"}
    not_a_number = {**good[2], "reward": "lots"}
    older = {key: value for key, value in good[2].items() if key not in ("cost_per_day", "profit_per_day")}
    history = EpisodeHistory()
    assert history.extend([good[0], missing_key, not_a_number, older]) == 2
    assert history.column("episode").tolist() == [good[0]["episode"], good[2]["episode"]]
    assert history.column("cost_per_day").tolist() == [good[0]["cost_per_day"], 0.0]
    assert history.extend([older] * 3) == 3  # a whole batch of older records keeps every record


def test_history_takes_the_reward_components_of_its_scenario(stream_lines):
    components = reward_component_names(load_scenario("costs").config)
    record = {**episode_records(stream_lines)[0], "reward_components": dict.fromkeys(components, -5.0)}
    history = EpisodeHistory(components)
    assert history.extend([record, episode_records(stream_lines)[0]]) == 1  # the original's parts do not fit
    assert history.column("holding_points").tolist() == [-5.0]


def test_heatmap_days_are_labelled_at_round_numbers_and_long_runs_thinned():
    assert day_ticks(30) == [1, 5, 10, 15, 20, 25, 30]
    assert day_ticks(365) == [1, 100, 200, 300]
    assert day_ticks(3) == [1, 2, 3]
    assert chart_positions(10, 500).tolist() == list(range(10))
    positions = chart_positions(100_000, 500)
    assert len(positions) <= 500 and positions[0] == 0 and positions[-1] == 99_999
    assert np.all(np.diff(positions) > 0)  # evenly thinned: no position twice, in order


def test_rolling_metrics_report_the_change_from_the_previous_window(stream_lines):
    template = episode_records(stream_lines)[0]
    records = [
        {**template, "episode": n, "fill_rate": 0.5 if n <= ROLLING_WINDOW else 0.7}
        for n in range(1, 2 * ROLLING_WINDOW + 1)
    ]
    history = EpisodeHistory()
    history.extend(records)
    metric = rolling_metric(history, "fill_rate", "Fill rate", as_percent=True)
    assert (metric.value, metric.delta) == ("70.0%", "+20.0 pp")


def test_rolling_means_name_the_episodes_they_cover_early_in_a_run(stream_lines):
    assert rolling_text(16) == "the last 16 episodes (all of them so far)"  # not "the last 100"
    assert rolling_text(1) == "the one episode so far"
    assert rolling_text(ROLLING_WINDOW) == f"the last {ROLLING_WINDOW} episodes (all of them so far)"
    assert (
        rolling_text(ROLLING_WINDOW + 50) == f"the last {ROLLING_WINDOW} episodes, with the change from the 50 before"
    )
    assert rolling_text(3 * ROLLING_WINDOW).endswith(f"the change from the {ROLLING_WINDOW} before")
    history = EpisodeHistory()
    history.extend(episode_records(stream_lines)[:16])
    metric = rolling_metric(history, "fill_rate", "Fill rate", as_percent=True)
    assert metric.help == "Mean over the last 16 episodes (all of them so far)." and metric.delta is None


def test_progress_of_a_finished_run_is_full_and_never_counts_past_its_total():
    # A lost-sales run: 1,000-day episodes end only every 16,000 timesteps; training stopped at 20,000.
    finished = {"type": "end", "timesteps": 20_000, "status": "finished"}
    progress = run_progress(16_000, 20_000, finished)
    assert (progress.fraction, progress.text) == (1.0, "Finished: 20,000 timesteps")
    progress = run_progress(16_000, 20_000, {**finished, "timesteps": 20_480})
    assert progress.fraction == 1.0
    assert progress.text == "Finished: 20,480 timesteps (the last rollout ran past the 20,000 asked)"
    live = run_progress(100_320, 100_000, None)  # the default run's last rollout, not ended yet
    assert live.fraction == 1.0 and "of 100,000" not in live.text
    assert live.text == "100,320 timesteps (the last rollout runs past the 100,000 asked)"
    running = run_progress(16_000, 20_000, None)  # still training: a partial bar is right
    assert (running.fraction, running.text) == (0.8, "16,000 of 20,000 timesteps")
    interrupted = run_progress(4_000, 20_000, {"type": "end", "timesteps": 5_000, "status": "interrupted"})
    assert (interrupted.fraction, interrupted.text) == (0.25, "Interrupted: 5,000 of 20,000 timesteps")
    assert run_progress(16_000, None, None) is None  # no total, still running: no bar
    assert run_progress(16_000, None, finished).text == "Finished: 20,000 timesteps"


def test_monitor_progress_follows_the_end_record(tmp_path, stream_lines):
    stream = tmp_path / STREAM_NAME
    header, *records, end = stream_lines
    total = json.loads(header)["total_timesteps"]
    write_lines(stream, [header, *records], mode="w")
    monitor = TrainingMonitor(stream)
    monitor.refresh()
    latest = json.loads(records[-1])["timesteps"]
    assert monitor.progress() == run_progress(latest, total, None)
    write_lines(stream, [end])
    monitor.refresh()
    progress = monitor.progress()
    assert progress.fraction == 1.0 and progress.text.startswith(
        f"Finished: {json.loads(end)['timesteps']:,} timesteps"
    )


def write_lines(path: Path, lines, mode="a"):
    with open(path, mode) as file:
        file.writelines(lines)


def test_monitor_reads_appended_records_and_caches_its_view_between_them(tmp_path, stream_lines):
    stream = tmp_path / STREAM_NAME
    header, *records, end = stream_lines
    monitor = TrainingMonitor(stream)
    assert monitor.refresh() == 0 and monitor.view() is None  # no file yet
    write_lines(stream, [header, *records[:10]], mode="w")
    assert monitor.refresh() == 10
    first_view = monitor.view()
    assert first_view.metrics[0].value == "10" and monitor.scenario.name == "default"
    assert monitor.refresh() == 0
    assert monitor.view() is first_view  # an idle refresh rebuilds nothing
    write_lines(stream, [*records[10:], end])
    assert monitor.refresh() == len(records) - 10
    assert monitor.view() is not first_view  # new records: the view is rebuilt
    assert monitor.view().metrics[0].value == f"{len(records):,}"
    assert monitor.view().metrics[0].delta == f"+{len(records) - 10}"
    assert monitor.end["status"] == "finished"


def test_monitor_follows_a_new_run_in_another_scenario(tmp_path, stream_lines):
    stream = tmp_path / STREAM_NAME
    header, *records, _ = stream_lines
    write_lines(stream, [header, *records], mode="w")
    monitor = TrainingMonitor(stream)
    monitor.refresh()
    assert monitor.history.size == len(records)
    costs = load_scenario("costs")
    new_header = {
        **json.loads(header),
        "run_id": "next",
        "scenario": costs.to_dict(),
        "env_config": costs.config.to_dict(),
    }
    parts = dict.fromkeys(reward_component_names(costs.config), -1.0)
    writer = StreamWriter(stream, new_header)
    writer.write({**json.loads(records[0]), "run_id": "next", "reward_components": parts})
    writer.close()
    monitor.refresh()
    assert (monitor.header["run_id"], monitor.history.size, monitor.end) == ("next", 1, None)
    assert monitor.scenario.name == "costs" and monitor.history.components == tuple(parts)
    labels = [metric.label for metric in monitor.view().metrics]
    assert "Cost / day" in labels and "Order accuracy" not in labels  # free mode: no gap to fill
    assert {"cost_per_day", "components"} <= set(monitor.view().curves)


def test_monitor_of_a_run_whose_config_it_cannot_read_takes_the_records_components(tmp_path, stream_lines):
    header, *records, _ = stream_lines
    newer = {**json.loads(header), "env_config": {"n_products": 10, "a_setting_from_the_future": 1}}
    parts = {"holding": -1.0, "lost_sale": -2.0}
    write_lines(tmp_path / STREAM_NAME, [json.dumps(newer) + "\n"], mode="w")
    write_lines(tmp_path / STREAM_NAME, [json.dumps({**json.loads(records[0]), "reward_components": parts}) + "\n"])
    monitor = TrainingMonitor(tmp_path / STREAM_NAME)
    assert monitor.refresh() == 1 and monitor.scenario is None
    assert monitor.history.components == ("holding", "lost_sale")


def test_trajectory_frames_hold_every_product_day_and_in_transit_where_recorded(stream_lines, run_dir):
    trajectory = next(record["trajectory"] for record in episode_records(stream_lines) if "trajectory" in record)
    frames = trajectory_frames(trajectory)
    config = run_scenario(read_run_config(run_dir / RUN_CONFIG_NAME)).config
    assert len(frames["days"]) == config.episode_days * config.n_products
    assert (frames["days"]["lost sales"] == frames["days"]["demand"] - np.asarray(trajectory["sales"]).ravel()).all()
    assert "in transit" not in frames["days"]
    totals = frames["totals"].pivot(index="product", columns="measure", values="units")
    assert totals.loc["P3", "demand"] == sum(day[3] for day in trajectory["demand"])
    result = play_episode(
        make_baseline("newsvendor", load_scenario("lead-time").config), load_scenario("lead-time").config, 0
    )
    recorded = {key: getattr(result, key) for key in ("stock", "demand", "orders", "sales", "in_transit", "ordered")}
    frames = trajectory_frames(recorded)
    assert frames["days"]["in transit"].sum() == result.in_transit.sum()
    assert "ordered" in set(frames["totals"]["measure"])


# ---------------------------------------------------------------------------- scenarios and days
def test_a_run_scenario_says_what_differs_from_the_original():
    scenario = load_scenario("lead-time")
    recorded = run_scenario({"scenario": scenario.to_dict(), "env_config": scenario.config.to_dict()})
    assert recorded == dataclasses.replace(scenario, train={})  # what a run records of it
    assert changes(scenario) == [("capacity", "300", "100"), ("lead_time", "3", "1")]
    assert run_scenario({"env_config": {}}).name == "default"  # a run from before scenarios
    changed = with_overrides(scenario, ["lead_time=4"])
    assert changed.config.lead_time == 4 and changed.overrides == ("lead_time=4",)


def test_a_picked_scenario_with_a_mistake_is_one_line(tmp_path):
    own = load_scenario("default")
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "typo"\nlead_tiem = 3\n')
    cases = [
        (FILE, str(bad), ()),
        (FILE, str(tmp_path / "none.toml"), ()),
        (FILE, str(tmp_path), ()),
        (OWN, "", ("lead_time=0",)),
    ]
    for choice, path, overrides in cases:
        with pytest.raises(ScenarioError) as caught:
            pick_scenario(choice, own, path, overrides)
        assert "\n" not in str(caught.value)
    assert pick_scenario("costs", own).name == "costs"


def test_the_best_rule_neither_knows_the_rates_nor_beats_the_optimum():
    assert best_rule(InventoryConfig()).rule not in ("oracle", "random")
    assert best_rule(load_scenario("lost-sales", ["episode_days=100"]).config).rule == "optimal"


def test_days_show_what_the_supplier_shipped_and_when_it_shipped_nothing():
    config = load_scenario("disrupted").config
    env = InventoryEnv(config)
    env.reset(seed=4)
    result = play_episode(make_baseline("newsvendor", config), config, 4)
    infos = [env.step_units(units)[4] for units in result.ordered]  # the same orders, day by day
    np.testing.assert_array_equal(result.shipped, [info["shipped"] for info in infos])
    np.testing.assert_array_equal(result.disrupted, [info["disrupted"] for info in infos])
    assert result.disrupted.any()


# ---------------------------------------------------------------------------- the manual game
def new_game(scenario="default", seed=3):
    config = load_scenario(scenario).config
    return ManualGame(make_baseline("newsvendor", config), "newsvendor rule", config, seed)


def test_both_sides_face_the_same_demand_and_suggestions_fill_the_free_space():
    game = new_game()
    assert game.human.result() is None and game.day == 0
    with pytest.raises(ValueError):
        game.human.scores()  # no day played yet
    for _ in range(5):
        suggested = game.suggested_order()
        assert sum(suggested) == game.free_space() and min(suggested) >= 0
        game.place_order(suggested)
        assert (game.human.info["demand"] == game.ai.info["demand"]).all()
        assert game.free_space() == game.config.capacity - game.human.stock.sum()
    assert game.day == 5
    human, ai = game.human.result(), game.ai.result()
    np.testing.assert_array_equal(human.demand, ai.demand)
    assert human.demand.sum() > 0
    np.testing.assert_array_equal(game.observation().stock, game.human.stock)


def test_an_order_beyond_the_free_space_is_refused_at_the_door():
    game = new_game()
    outcome = game.place_order([0, 0, 0, 0, 150, 0, 0, 0, 0, 0])
    assert (outcome.placed, outcome.accepted, outcome.refused) == (150, 100, {4: 50})
    assert "50 were refused at the door" in outcome.explanation(100)
    assert game.human.stock.sum() <= 100
    fitting = game.place_order([0] * 10)
    assert fitting.refused == {} and fitting.explanation(100) is None


def test_an_order_with_a_lead_time_is_in_transit_then_on_the_shelf_two_days_later():
    game = new_game("lead-time")
    assert "before the demand of day 3" in game.arrival_text()
    game.place_order([7] + [0] * 9)  # day 1
    assert [(day, units[0]) for day, units in game.arrivals().items()] == [(3, 7)]
    assert game.human.in_transit == 7
    game.place_order([0] * 10)  # day 2: still on the way, arriving on day 3
    assert list(game.arrivals()) == [3]
    outcome = game.place_order([0] * 10)  # day 3: on the shelf before the day's demand
    assert outcome.received == 7 and game.human.days[-1]["orders"][0] == 7
    assert game.arrivals() == {} and game.human.in_transit == 0


def test_disruptions_are_announced_the_day_they_happen():
    game = new_game("disrupted", seed=4)
    news = {}
    while not game.over:
        outcome = game.place_order(game.suggested_order())
        news[outcome.day] = outcome.supply_news()
    days = np.flatnonzero(play_episode(make_baseline("newsvendor", game.config), game.config, 4).disrupted) + 1
    assert days.size  # at least one disrupted day, or the check below would pass on nothing
    assert all("shipped nothing" in news[day] for day in days)


def test_a_finished_game_scores_like_the_env_with_money_where_it_counts():
    game = new_game("costs")
    assert game.suggested_order() and sum(game.suggested_order()) <= game.free_space()
    for _ in range(game.config.episode_days):
        game.place_order(game.suggested_order())
    assert game.over
    with pytest.raises(RuntimeError):
        game.place_order([0] * 10)
    for side in (game.human, game.ai):
        scores = side.scores()
        assert 0 <= scores["fill rate"] <= 1 and 0 <= scores["utilization"] <= 1
        assert 0 <= scores["stockouts per day"] <= game.config.n_products
        assert scores["reward"] == pytest.approx(-scores["cost per day"] * game.config.episode_days)
        # The scoreboard's reward is the sum of the env's daily rewards: replay the side's orders.
        env = InventoryEnv(game.config)
        env.reset(seed=game.seed)
        daily_rewards = [env.step_units(day["ordered"])[1] for day in side.days]
        assert scores["reward"] == pytest.approx(sum(daily_rewards))
        np.testing.assert_allclose(side.result().rewards, daily_rewards)


def test_the_agent_is_described_with_its_products_and_warehouse_in_good_english():
    one = load_scenario("lost-sales").config  # one product, free orders, 1,000 units
    assert agent_text(one) == "decides how much to order each day for one product in a warehouse of 1,000 units"
    assert "one product" in agent_text(dataclasses.replace(one, order_mode="fill"))
    ten = InventoryConfig(n_products=10, capacity=1000)
    assert agent_text(ten) == "splits each day's order across 10 products sharing a 1,000-unit warehouse"
    costs = load_scenario("costs").config
    assert agent_text(costs).startswith("decides how much to order each day and splits it across ")
    assert "1 products" not in agent_text(one) and "1000" not in agent_text(ten)


def test_rules_left_out_for_one_reason_are_named_together():
    _, skipped = rules_for(InventoryConfig())  # fill mode: four rules for one reason
    text = reasons_text(skipped)
    reason = skipped["s-S"]
    assert text.count(reason) == 1
    assert f"**capped-base-stock**, **constant-order**, **s-S**, **optimal**: {reason}" in text
    assert reasons_text({"a": "why", "b": "other", "c": "why"}) == "**a**, **c**: why; **b**: other"
    assert reasons_text({}) == ""


# ---------------------------------------------------------------------------- the runs under the log directory
def make_run(folder: Path, scenario: str | None = "default", overrides=(), stream_only=False, age: float = 0) -> Path:
    """A folder holding a run's config (or, ``stream_only``, the header of its stream), ``age`` seconds old."""
    folder.mkdir(parents=True, exist_ok=True)
    record = {"env_config": {}}
    if scenario is not None:
        record["scenario"] = {"name": scenario, "overrides": list(overrides)}
    if stream_only:
        path = folder / STREAM_NAME
        path.write_text(json.dumps({"type": "header", **record}) + "\n" + '{"type":"episode"}\n' * 3)
    else:
        path = folder / RUN_CONFIG_NAME
        path.write_text(json.dumps(record))
    stamp = path.stat().st_mtime - age
    os.utime(path, (stamp, stamp))
    return folder


def test_runs_are_found_below_the_root_as_tensorboard_lists_them(tmp_path):
    root = tmp_path / "logs"
    make_run(root / "quick", "lost-sales", ["lead_time=4"], age=300)
    make_run(root / "heavy", "default", stream_only=True, age=200)  # only its stream so far
    make_run(root / "costs", "costs", age=100)
    make_run(root / "sweeps" / "seed-1", "big", age=400)  # two levels down
    for skipped in ("checkpoints", "sb3_logs/PPO_1", ".hidden", "a/b/c/d"):  # a run's own, hidden, too deep
        make_run(root / skipped)
    (root / "notes").mkdir()
    runs = find_runs(root)
    assert [run.relative for run in runs] == ["costs", "heavy", "quick", "sweeps/seed-1"]
    labels = {run.relative: run.label for run in runs}
    assert labels["quick"] == "quick · lost-sales --set lead_time=4" and labels["heavy"] == "heavy · default"
    assert runs[0].path == root / "costs"
    assert default_run(runs).relative == "costs"  # the root holds none: the newest
    assert pick_run(runs, "quick").relative == "quick" and pick_run(runs, "gone").relative == "costs"
    make_run(root, scenario=None, age=1000)  # the root's own run (from before scenarios), oldest of all
    runs = find_runs(root)
    assert runs[0].label == ". · default" and default_run(runs).relative == "."
    assert find_runs(tmp_path / "missing") == [] and default_run([]) is None and pick_run([], ".") is None


def test_a_run_whose_files_cannot_be_read_is_listed_without_its_scenario(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / RUN_CONFIG_NAME).write_text("{not json")
    [run] = find_runs(tmp_path)
    assert (run.relative, run.scenario) == ("broken", UNKNOWN_SCENARIO)


def costs_report(**policies: float) -> Report:
    """A cost report of ``policies`` (name -> mean cost per day, each with a ±0.05 interval)."""
    entries = {
        name: {"cost_per_day": mean, "cost_per_day_ci95": [mean - 0.05, mean + 0.05]} for name, mean in policies.items()
    }
    return Report(Path("r.json"), "scenario costs", "cost_per_day", next(iter(policies)), 20, 0, entries)


def test_a_policy_far_behind_the_rest_is_left_off_the_interval_plot():
    shown, far = split_far_behind(costs_report(newsvendor=6.14, ppo=6.12, **{"base-stock": 6.5}, random=977.0))
    assert shown["policy"].tolist() == ["newsvendor", "PPO agent", "base-stock"] and far["policy"].tolist() == [
        "random"
    ]
    assert shown["high"].max() < 7  # the close ones fill the axis: 6.12 and 6.14 can be told apart
    shown, far = split_far_behind(costs_report(newsvendor=6.14, ppo=6.12, random=977.0))
    assert far["policy"].tolist() == ["random"]
    _, far = split_far_behind(costs_report(newsvendor=6.14, ppo=0.5, random=6.3))  # far *better*: the news, kept
    assert far.empty
    _, far = split_far_behind(costs_report(random=977.0, newsvendor=6.14, ppo=6.12))  # the reference stays
    assert far.empty
    _, far = split_far_behind(costs_report(newsvendor=6.14, random=977.0))  # two: no "rest" to zoom on
    assert far.empty


# ---------------------------------------------------------------------------- reports and studies
def write_report(
    path: Path, scenario: str, overrides=(), episodes=3, rules=("newsvendor", "base-stock"), agent=None
) -> dict:
    """A real evaluation report of a few rules (and ``agent``, a policy named ``ppo``, if given),
    written as ``evaluate.py --json`` writes it."""
    config = load_scenario(scenario, overrides).config
    policies = [*([agent] if agent is not None else []), *(make_baseline(name, config) for name in rules)]
    report = summarize(play_policies(policies, config, episodes, 1000), 1000, config)
    report.update(
        scenario=" ".join([f"scenario {scenario}", *(f"--set {text}" for text in overrides)]), tuned={}, skipped={}
    )
    path.write_text(json.dumps(report))
    return report


def test_reports_are_read_from_a_folder_and_broken_ones_named(tmp_path):
    write_report(tmp_path / "evaluation_costs.json", "costs")
    short = ["episode_days=100"]
    for lead_time in (2, 3):
        write_report(
            tmp_path / f"ls_{lead_time}.json",
            "lost-sales",
            [f"lead_time={lead_time}", *short],
            rules=("optimal", "newsvendor"),
        )
    (tmp_path / RUN_CONFIG_NAME).write_text(json.dumps({"env_config": {}}))
    (tmp_path / "broken.json").write_text('{"policies": {"x": {"fill_rate": 1}}}')
    reports, problems = load_reports(tmp_path)
    assert [report.path.name for report in reports] == ["evaluation_costs.json", "ls_2.json", "ls_3.json"]
    assert len(problems) == 1 and "broken.json" in problems[0] and "\n" not in problems[0]
    table = policy_table(reports[0])
    assert list(table.index) == ["newsvendor", "base-stock"] and "cost / day" in table
    optimum = optimum_table(reports)
    assert optimum["lead_time"].tolist() == ["2", "3"] and "newsvendor" in optimum
    with pytest.raises(ReportError):
        read_report(tmp_path / "broken.json")


def make_study(path: Path, finished: int = 4) -> str:
    """A real SQLite study as tune.py makes one: trials with PPO parameters and a value reported
    at each evaluation (by timesteps), ``finished`` of them complete, then one pruned after its
    first evaluation and one failed."""
    url = f"sqlite:///{path}"
    study = optuna.create_study(
        storage=url, study_name="inventory-costs", direction="minimize", sampler=optuna.samplers.RandomSampler(0)
    )
    for key, value in {"scenario": "costs", "overrides": [], "metric": "cost_per_day", "direction": "minimize"}.items():
        study.set_user_attr(key, value)
    pruned, failed = finished, finished + 1
    for number in range(finished + 2):
        trial = study.ask(SEARCH_SPACE)
        value = 200 + 5 * abs(np.log10(trial.params["learning_rate"]) + 3.5) + trial.params["n_steps"] / 64
        value -= 0.4 * number  # later trials learn from earlier ones
        for evaluation in range(1 if number == pruned else 4):
            trial.report(value + 12 / (1 + evaluation), 2048 * (evaluation + 1))
        state = {pruned: optuna.trial.TrialState.PRUNED, failed: optuna.trial.TrialState.FAIL}.get(number)
        study.tell(trial, None if state else value, state or optuna.trial.TrialState.COMPLETE)
    return url


def test_a_study_is_read_with_its_trials_best_values_and_importances(tmp_path):
    url = make_study(tmp_path / "tuning.db")
    storage = open_storage(url)
    [info] = list_studies(storage)
    assert (info.name, info.trials, info.direction) == ("inventory-costs", 6, "minimize")
    study = load_study(storage, info.name)
    frame = trials_frame(study.get_trials())
    assert frame["state"].tolist() == ["COMPLETE"] * 4 + ["PRUNED", "FAIL"]
    assert {"param: learning_rate", "param: n_steps", "duration (s)"} <= set(frame)
    curve = best_curve(study.get_trials(), "minimize")
    assert curve["best"].tolist() == list(np.minimum.accumulate(curve["value"]))
    assert set(importances(study)) == {"learning_rate", "n_steps"}
    with pytest.raises(StorageError, match="at least 2 finished trials"):
        importances(load_study(open_storage(make_study(tmp_path / "one.db", finished=1)), "inventory-costs"))


@pytest.mark.parametrize(
    "url",
    ["", "not a url", "sqlite:///{tmp}/missing.db", "sqlite://", "postgresql://nobody@127.0.0.1:1/db", "{not_optuna}"],
)
def test_a_storage_that_cannot_be_read_is_one_line(tmp_path, url):
    not_optuna = tmp_path / "other.db"
    not_optuna.write_bytes(b"this is no database at all" * 10)
    url = url.format(tmp=tmp_path, not_optuna=f"sqlite:///{not_optuna}")
    with pytest.raises(StorageError) as caught:
        list_studies(open_storage(url))
    assert "\n" not in str(caught.value) and str(caught.value)
    assert not (tmp_path / "missing.db").exists()  # never created by looking
