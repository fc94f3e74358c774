"""The Replay page: one seeded episode of the trained model (or a checkpoint) in a chosen
scenario, day by day, beside the rules that apply there, on the same demand.

The scenario is the model's own by default, or any shipped one, or a TOML file of the user's
(with ``key=value`` changes); a model whose spaces do not fit it is a one-line error and the
rules play alone. Rules with parameters play tuned (``rule_tuning``: seconds on first use,
then cached). Episodes are cached per (policy, seed, scenario config, model version), so moving
the day slider only redraws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from inventory_rl.app.charts import (
    DAY_MEASURES,
    POLICY_COLORS,
    chart,
    daily_lines_spec,
    daily_series,
    day_spec,
    grouped_bars_spec,
    legend_html,
)
from inventory_rl.app.common import (
    TRAIN_MODEL_HINT,
    available_models,
    fresh_agent,
    log_dir_scenario,
    pick_applicable_rules,
    render_by_kind,
    scenario_header,
    scenario_picker,
)
from inventory_rl.app.days import components_table, day_frame, money_table, summary_table, supply_frame, supply_note
from inventory_rl.app.history import percent
from inventory_rl.app.network_replay import render_network_replay
from inventory_rl.app.scenario import (
    config_from_key,
    config_key,
    played_config,
    rule_label,
    rule_policy,
    rules_for,
)
from inventory_rl.evaluation.episodes import play_episode
from inventory_rl.evaluation.metrics import METRIC_DISPLAY, EpisodeResult, main_metric
from inventory_rl.runs.layout import ModelLoadError
from inventory_rl.world.config import InventoryConfig

DEFAULT_RULES = ("newsvendor", "proportional", "optimal")  # those of them that apply are preselected
AGENT_LABEL = "PPO agent"
SUPPLY_COLORS = {"ordered": "#9ecae9", "shipped": "#4c78a8", "received": "#54a24b", "in transit": "#b279a2"}
COLUMNS_PER_ROW = 3


@st.cache_data(max_entries=64, show_spinner=False)
def rule_episode(rule: str, seed: int, config: str) -> EpisodeResult:
    """The episode of ``seed`` played by ``rule`` (tuned where it has parameters) on the config
    whose ``config_key`` is ``config``."""
    played = config_from_key(config)
    return play_episode(rule_policy(rule, played, seed), played, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def agent_episode(model_path: str, modified: float, seed: int, config: str) -> EpisodeResult:
    """The episode of ``seed`` played by the model at ``model_path`` (``modified``: its mtime,
    so a rewritten model replays) on the config of ``config``; raises ``ModelLoadError``."""
    policy, played = fresh_agent(Path(model_path), config_from_key(config))
    return play_episode(policy, played, seed)


def replay_episodes(
    model: Path | None, seed: int, config: InventoryConfig, rules: list[str]
) -> dict[str, EpisodeResult]:
    """The episode of ``seed`` played by the model (when given) and by each of ``rules``."""
    key = config_key(config)
    played = {}
    if model is not None:
        played[AGENT_LABEL] = agent_episode(str(model), model.stat().st_mtime, seed, key)
    for rule in rules:
        played[rule_label(rule)] = rule_episode(rule, seed, key)
    return played


def pick_rules(config: InventoryConfig) -> list[str]:
    """The multiselect of the rules that apply in ``config``'s scenario (the others listed with why)."""
    names, skipped = rules_for(config)
    return pick_applicable_rules(
        "replay_rules",
        names,
        skipped,
        DEFAULT_RULES,
        "The classic rules that apply in this scenario; rules with parameters play tuned on other "
        "episodes (a few seconds the first time).",
    )


def pick_model(log_dir: Path, models: list[Path]) -> Path | None:
    """The model (or checkpoint) selectbox; None without any."""
    if not models:
        return None
    return st.selectbox(
        "Model",
        models,
        format_func=lambda path: str(path.relative_to(log_dir)),
        key="replay_model",
        help="The final model or one of the checkpoints saved during training.",
    )


def render_replay(log_dir: Path) -> None:
    """The Replay page: one seeded episode of the model beside the rules, day by day."""
    st.header(":material/replay: Replay an episode")
    controls = st.columns([3, 1])
    with controls[0]:
        model = pick_model(log_dir, available_models(log_dir))
    seed = int(controls[1].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="replay_seed"))
    scenario = scenario_picker("replay", log_dir_scenario(log_dir))
    if scenario is None:
        return
    scenario_header(scenario, "Scenario")
    config = played_config(scenario)
    if model is None:
        st.info(
            f"No trained model in `{log_dir}` yet: showing the rules only. {TRAIN_MODEL_HINT}", icon=":material/info:"
        )
    else:
        try:
            fresh_agent(model, config)
        except ModelLoadError as error:
            st.error(f"{error}. Showing the rules only.", icon=":material/error:")
            model = None
    rules = pick_rules(config)
    with st.spinner("Playing the episode (tuning the rules the first time)..."):
        played = replay_episodes(model, seed, config, rules)
    if not played:
        st.info("Pick at least one rule to replay.", icon=":material/info:")
        return
    render_episode(played, config, seed)


def render_episode(played: dict[str, EpisodeResult], config: InventoryConfig, seed: int) -> None:
    """The played episodes: the summary, the day slider, the cumulative reward and the day's
    reward parts (or money), then the chosen day per product, with its supply where orders can
    be late, lost or cut."""
    metric, _ = main_metric(config)
    held_out = " (the demand file's held-out days)" if config.demand_part == "holdout" else ""
    st.subheader(f"Episode with seed {seed}: the same demand for every policy{held_out}")
    st.caption(f"This scenario's main metric: **{METRIC_DISPLAY[metric].name}**.")
    st.dataframe(summary_table(played, config), width="stretch")
    day = st.slider("Day", 1, config.episode_days, 1, key="replay_day")
    colors = dict(zip(played, POLICY_COLORS, strict=False))
    money = config.reward_mode != "original"
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Cumulative reward** ({'money' if money else 'points'}; dashed line: the chosen day)")
        st.markdown(legend_html(colors), unsafe_allow_html=True)
        cumulative = {name: np.cumsum(result.rewards) for name, result in played.items()}
        chart(daily_series(cumulative), daily_lines_spec("money" if money else "points", ",.0f", colors, day))
    with right:
        if config.has_costs:
            st.markdown(f"**Money of day {day}**, part by part")
            st.dataframe(money_table(played, day, config), width="stretch")
        if not money:
            parts = len(next(iter(played.values())).reward_components)
            st.markdown(f"**Reward components of day {day}** (points)")
            st.caption(f"The day's reward is the sum of these {parts} parts.")
            st.dataframe(components_table(played, day), width="stretch")

    st.subheader(f"Day {day}, product by product")
    if next(iter(played.values())).disrupted[day - 1]:  # the same days for every policy
        st.warning(f"Day {day}: the supplier shipped nothing (a disrupted day).", icon=":material/block:")
    st.markdown(legend_html(DAY_MEASURES), unsafe_allow_html=True)
    if config.has_supply_risk:
        st.markdown("Below each policy, the day's supply: " + legend_html(SUPPLY_COLORS), unsafe_allow_html=True)
    spec = day_spec(max(int((r.stock + r.sales + r.lost_sales).max()) for r in played.values()))
    items = list(played.items())
    for start in range(0, len(items), COLUMNS_PER_ROW):
        for column, (name, result) in zip(
            st.columns(COLUMNS_PER_ROW), items[start : start + COLUMNS_PER_ROW], strict=False
        ):
            with column:
                st.markdown(f"**{name}**")
                fill, stockouts = result.daily["fill_rate"][day - 1], int(result.daily["stockouts"][day - 1])
                st.caption(f"fill rate {percent(fill)} · {stockouts} products short")
                chart(day_frame(result, day), spec)
                if config.has_supply_risk:
                    st.caption(f":material/local_shipping: {supply_note(result, day)}")
                    chart(supply_frame(result, day), grouped_bars_spec(SUPPLY_COLORS, legend=False))


def page() -> None:
    """The Replay page of the run picked in the sidebar (``pages/replay.py`` runs it): a network
    run's is ``app.network_replay``'s."""
    render_by_kind(render_network_replay, render_replay)
