"""The Replay page: one seeded episode of the trained model (or a checkpoint), day by day,
beside the newsvendor and proportional rules on the same demand.

Episodes are cached per (policy, seed, config or model version), so moving the day slider
only redraws.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from baselines import make_baseline
from env import REWARD_COMPONENTS, InventoryConfig
from episodes import EpisodeResult, play_episode
from ui.charts import DAY_MEASURES, POLICY_COLORS, chart, daily_lines_spec, daily_series, day_spec, legend_html
from ui.common import TRAIN_MODEL_HINT, available_models, current_log_dir, fresh_agent, log_dir_config
from ui.history import COMPONENT_LABELS, per_product_frame, percent
from utils import ModelLoadError

REPLAY_RULES = ("newsvendor", "proportional")
AGENT_LABEL = "PPO agent"


@st.cache_data(max_entries=64, show_spinner=False)
def rule_episode(rule: str, seed: int, config_json: str) -> EpisodeResult:
    """The episode of ``seed`` played by the baseline ``rule`` on the config given as JSON."""
    config = InventoryConfig.from_dict(json.loads(config_json))
    return play_episode(make_baseline(rule, config, seed), config, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def agent_episode(model_path: str, modified: float, seed: int) -> EpisodeResult:
    """The episode of ``seed`` played by the model at ``model_path`` (``modified``: its mtime,
    so a rewritten model replays); raises ``ModelLoadError``."""
    policy, config = fresh_agent(Path(model_path))
    return play_episode(policy, config, seed)


def replay_episodes(model: Path | None, seed: int, config: InventoryConfig) -> dict[str, EpisodeResult]:
    """The episode of ``seed`` played by the model (when given) and by each of ``REPLAY_RULES``."""
    played = {}
    if model is not None:
        played[AGENT_LABEL] = agent_episode(str(model), model.stat().st_mtime, seed)
    config_json = json.dumps(config.to_dict(), sort_keys=True)
    for rule in REPLAY_RULES:
        played[f"{rule} rule"] = rule_episode(rule, seed, config_json)
    return played


def day_frame(result: EpisodeResult, day: int) -> pd.DataFrame:
    """Per-product units of one day (1-based) in ``DAY_MEASURES``: stock carried over from the
    day before, delivered, lost sales, demand (columns product, measure, units)."""
    index = day - 1
    delivered = result.orders[index]
    measures = {
        "carried over": result.stock[index] + result.sales[index] - delivered,
        "delivered": delivered,
        "lost sales": result.lost_sales[index],
        "demand": result.demand[index],
    }
    return per_product_frame(measures)


def replay_summary(played: Mapping[str, EpisodeResult]) -> pd.DataFrame:
    """One row per policy: the episode's headline figures."""
    rows = {}
    for name, result in played.items():
        metrics = result.metrics()
        rows[name] = {
            "fill rate": percent(metrics["fill_rate"]),
            "stockouts per day": f"{metrics['stockouts_per_day']:.2f}",
            "reward": f"{metrics['mean_reward']:,.0f}",
            "lost sales (units)": int(result.lost_sales.sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def components_table(played: Mapping[str, EpisodeResult], day: int) -> pd.DataFrame:
    """The day's reward components (and total) per policy."""
    table = {
        name: {COMPONENT_LABELS[c]: result.reward_components[c][day - 1] for c in REWARD_COMPONENTS}
        for name, result in played.items()
    }
    frame = pd.DataFrame(table)
    frame.loc["Total"] = frame.sum()
    return frame.map(lambda points: f"{points:,.0f}")


def render_replay(log_dir: Path) -> None:
    """The Replay page: one seeded episode of the model beside the rules, day by day."""
    st.header(":material/replay: Replay an episode")
    models = available_models(log_dir)
    controls = st.columns([3, 1])
    model = None
    if models:
        model = controls[0].selectbox(
            "Model",
            models,
            format_func=lambda path: str(path.relative_to(log_dir)),
            key="replay_model",
            help="The final model or one of the checkpoints saved during training.",
        )
    seed = controls[1].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="replay_seed")
    config = log_dir_config(log_dir)
    if model is None:
        st.info(
            f"No trained model in `{log_dir}` yet: showing the rules only. {TRAIN_MODEL_HINT}",
            icon=":material/info:",
        )
    else:
        try:
            config = fresh_agent(model)[1]
        except ModelLoadError as error:
            st.error(f"{error}. Showing the rules only.", icon=":material/error:")
            model = None
    with st.spinner("Playing the episode..."):
        played = replay_episodes(model, int(seed), config)

    st.subheader(f"Episode with seed {seed}: the same demand for every policy")
    st.dataframe(replay_summary(played), width="stretch")
    day = st.slider("Day", 1, config.episode_days, 1, key="replay_day")
    left, right = st.columns(2)
    with left:
        st.markdown("**Cumulative reward** (dashed line: the chosen day)")
        colors = dict(zip(played, POLICY_COLORS, strict=False))
        st.markdown(legend_html(colors), unsafe_allow_html=True)
        cumulative = {name: np.cumsum(result.rewards) for name, result in played.items()}
        chart(daily_series(cumulative), daily_lines_spec("points", ",.0f", colors, day))
    with right:
        st.markdown(f"**Reward components of day {day}** (points)")
        st.caption(f"The day's reward is the sum of these {len(REWARD_COMPONENTS)} parts.")
        st.dataframe(components_table(played, day), width="stretch")

    st.subheader(f"Day {day}, product by product")
    st.markdown(legend_html(DAY_MEASURES), unsafe_allow_html=True)
    spec = day_spec(max(int((r.stock + r.sales + r.lost_sales).max()) for r in played.values()))
    for column, (name, result) in zip(st.columns(len(played)), played.items(), strict=True):
        with column:
            st.markdown(f"**{name}**")
            fill, stockouts = result.daily["fill_rate"][day - 1], int(result.daily["stockouts"][day - 1])
            st.caption(f"fill rate {percent(fill)} · {stockouts} products short")
            chart(day_frame(result, day), spec)


def page() -> None:
    """The Replay page of this app's log directory (``ui/pages/replay.py`` runs it)."""
    render_replay(current_log_dir())
