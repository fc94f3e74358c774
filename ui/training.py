"""The Training page: follows ``stream_data.json`` while ``train.py`` writes it.

A fragment reruns the page on its own every ``REFRESH_SECONDS``; each rerun reads only the
bytes appended since the last one and redraws from figures cached on the records read
(``ui.history.TrainingMonitor``), so an idle refresh costs next to nothing however long the run.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from env import InventoryConfig
from ui.charts import (
    COMPONENT_LEGEND,
    COMPONENTS_SPEC,
    CURVE_COLORS,
    FILL_CURVE_SPEC,
    REWARD_CURVE_SPEC,
    STOCKOUT_CURVE_SPEC,
    TOTALS_SPEC,
    chart,
    heatmap_spec,
    legend_html,
)
from ui.common import START_TRAINING_HINT, current_log_dir, draw_metrics
from ui.history import MAX_CHART_POINTS, ROLLING_WINDOW, Metric, TrainingMonitor, TrainingView, percent
from utils import STREAM_NAME

REFRESH_SECONDS = 2


def training_monitor(log_dir: Path) -> TrainingMonitor:
    """This session's monitor for the stream in ``log_dir`` (kept across refreshes)."""
    stream_path = log_dir / STREAM_NAME
    monitor = st.session_state.get("training_monitor")
    if monitor is None or monitor.stream_path != stream_path:
        monitor = st.session_state["training_monitor"] = TrainingMonitor(stream_path)
    return monitor


def run_status(monitor: TrainingMonitor) -> str:
    """One line about the run: id, start, progress and whether it is still writing."""
    header = monitor.header or {}
    parts = [f"Run `{header.get('run_id', '?')}`", f"started {str(header.get('started', '?'))[:19].replace('T', ' ')}"]
    if header.get("resumed"):
        parts.append("resumed")
    if monitor.end is None:
        parts.append(f":green[:material/radio_button_checked: live], refreshing every {REFRESH_SECONDS} s")
    else:
        parts.append(f":material/stop_circle: {monitor.end.get('status', 'ended')}")
    return " · ".join(parts)


def render_training(monitor: TrainingMonitor) -> None:
    """The Training page for the current state of the stream (called by the refreshing fragment)."""
    monitor.refresh()
    st.header(":material/monitoring: Training (live)")
    if monitor.header is None and not monitor.history.size:
        st.info(
            f"No training stream at `{monitor.stream_path}` yet. {START_TRAINING_HINT}", icon=":material/rocket_launch:"
        )
        return
    st.caption(run_status(monitor))
    view = monitor.view()
    config = monitor.config
    if view is None:
        st.info(
            f"The run has started; waiting for its first finished episode ({config.episode_days} steps per env)...",
            icon=":material/hourglass_top:",
        )
        return
    timesteps = int(monitor.history.column("timesteps")[-1])
    total = (monitor.header or {}).get("total_timesteps")
    if isinstance(total, int) and total > 0:
        st.progress(min(timesteps / total, 1.0), text=f"{timesteps:,} of {total:,} timesteps")
    draw_metrics(view.metrics[:3], per_row=3)  # counts and the latest episode
    st.caption(
        f"Rolling means over the last {ROLLING_WINDOW} episodes, with the change from the {ROLLING_WINDOW} before:"
    )
    draw_metrics(view.metrics[3:], per_row=5)

    st.subheader("Learning curves")
    thinned = f" ({MAX_CHART_POINTS} evenly spread episodes of {monitor.history.size:,})" if view.thinned else ""
    st.markdown(legend_html(CURVE_COLORS) + thinned, unsafe_allow_html=True)
    left, right = st.columns(2)
    with left:
        st.markdown("**Reward per episode** (points)")
        chart(view.curves["reward"], REWARD_CURVE_SPEC)
    with right:
        st.markdown("**Fill rate per episode** (share of demand served)")
        chart(view.curves["fill_rate"], FILL_CURVE_SPEC)
    left, right = st.columns(2)
    with left:
        st.markdown("**Stockouts per day** (products short of demand)")
        st.caption(f"The mean over the episode's {config.episode_days} days.")
        chart(view.curves["stockouts_per_day"], STOCKOUT_CURVE_SPEC)
    with right:
        st.markdown(f"**Reward components** (rolling means of {ROLLING_WINDOW}, stacked)")
        st.markdown(legend_html(COMPONENT_LEGEND), unsafe_allow_html=True)
        chart(view.curves["components"], COMPONENTS_SPEC)

    render_episode_analysis(monitor, view, config)


def render_episode_analysis(monitor: TrainingMonitor, view: TrainingView, config: InventoryConfig) -> None:
    """Stock and demand per product over one sampled episode (the latest unless picked)."""
    st.subheader("Episode analysis")
    if not view.sampled_episodes:
        st.info("No episode with a day-by-day trajectory yet; the first one is sampled as soon as it ends.")
        return
    latest = view.sampled_episodes[0]
    picked = st.selectbox(
        "Sampled episode (trajectories are recorded for the first episode, then regularly)",
        (None, *view.sampled_episodes),
        format_func=lambda episode: f"Latest sampled (episode {latest})" if episode is None else f"Episode {episode}",
        key="episode_pick",
    )
    episode = latest if picked is None else picked
    position = monitor.history.position_of(episode)
    if position is not None:
        row = {
            name: monitor.history.column(name)[position]
            for name in ("reward", "fill_rate", "stockouts_per_day", "utilization")
        }
        draw_metrics(
            (
                Metric(f"Episode {episode}: reward", f"{row['reward']:,.0f}"),
                Metric("Fill rate", percent(row["fill_rate"])),
                Metric("Stockouts per day", f"{row['stockouts_per_day']:.2f}"),
                Metric("Utilization", percent(row["utilization"])),
            )
        )
    frames = monitor.episode_detail(episode)
    size = (config.episode_days, config.n_products)
    left, right = st.columns(2)
    with left:
        st.markdown("**Stock at the end of each day**")
        st.caption("A red dot: some of the product's demand was lost that day.")
        chart(frames["days"], heatmap_spec("stock", "blues", *size, mark_lost=True))
    with right:
        st.markdown("**Demand each day**")
        st.caption("Units customers asked for; demand not met is lost, not back-ordered.")
        chart(frames["days"], heatmap_spec("demand", "oranges", *size))
    st.markdown("**Episode totals per product**: what was delivered, what customers asked for, what they could not get")
    chart(frames["totals"], TOTALS_SPEC)


@st.fragment(run_every=REFRESH_SECONDS)
def training_fragment(log_dir: Path) -> None:
    """The Training page, rerun on its own every ``REFRESH_SECONDS``."""
    render_training(training_monitor(log_dir))


def page() -> None:
    """The Training page of this app's log directory (``ui/pages/training.py`` runs it)."""
    training_fragment(current_log_dir())
