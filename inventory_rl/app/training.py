"""The Training page: follows ``stream_data.json`` while ``train.py`` writes it.

A fragment reruns the page on its own every ``REFRESH_SECONDS``; each rerun reads only the
bytes appended since the last one and redraws from figures cached on the records read
(``app.monitor.TrainingMonitor``), so an idle refresh costs next to nothing however long the run.
A network run (``agent.network_agent``) shows its network, the network's curves and each node's cost.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from inventory_rl.app.charts import (
    CURVE_COLORS,
    FILL_CURVE_SPEC,
    MONEY_CURVE_SPEC,
    MONEY_REWARD_CURVE_SPEC,
    REWARD_CURVE_SPEC,
    STOCKOUT_CURVE_SPEC,
    TOTAL_MEASURES,
    bars_spec,
    chart,
    component_legend,
    components_spec,
    episode_lines_spec,
    grouped_bars_spec,
    heatmap_spec,
    legend_html,
    node_colors,
)
from inventory_rl.app.common import START_TRAINING_HINT, current_run_dir, draw_metrics, scenario_header
from inventory_rl.app.history import MAX_CHART_POINTS, ROLLING_WINDOW, Metric, percent, rolling_text
from inventory_rl.app.monitor import MONEY_CURVES, TrainingMonitor, TrainingView
from inventory_rl.app.network_days import structure_dot
from inventory_rl.app.network_view import draw_diagram, network_header
from inventory_rl.runs.layout import STREAM_NAME
from inventory_rl.world.config import InventoryConfig

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
    config = monitor.config
    network = monitor.network
    if network is not None:
        scenario = monitor.scenario
        name = scenario.name if scenario is not None else "?"
        network_header(name, scenario.description if scenario is not None else "", network.network, network)
    elif monitor.scenario is not None:
        scenario_header(monitor.scenario, "The run's scenario")
    elif monitor.header is not None:
        st.caption("The run's scenario cannot be read from its stream header (a newer version's settings?).")
    view = monitor.view()
    progress = monitor.progress()
    if progress is not None:
        st.progress(progress.fraction, text=progress.text)
    if view is None and monitor.end is not None:  # too short for a whole episode: nothing to wait for
        st.info(
            f"The run ended before any of its episodes did ({config.episode_days:,} steps per env): "
            "there is no episode to chart. Train it for longer to see it learn.",
            icon=":material/info:",
        )
        return
    if view is None:
        st.info(
            f"The run has started; waiting for its first finished episode ({config.episode_days:,} steps per env)...",
            icon=":material/hourglass_top:",
        )
        return
    draw_metrics(view.metrics[:3], per_row=3)  # counts and the latest episode
    st.caption(f"Rolling means over {rolling_text(monitor.history.size)}:")
    draw_metrics(view.metrics[3:], per_row=len(view.metrics) - 3)
    render_curves(monitor, view, config)
    if network is not None:
        render_network_episode(monitor, config)
    else:
        render_episode_analysis(monitor, view, config)


def render_curves(monitor: TrainingMonitor, view: TrainingView, config: InventoryConfig) -> None:
    """The learning curves: reward, fill rate, stockouts, the scenario's reward components and,
    where it counts money, cost (and profit) per day."""
    st.subheader("Learning curves")
    thinned = f" ({MAX_CHART_POINTS} evenly spread episodes of {monitor.history.size:,})" if view.thinned else ""
    st.markdown(legend_html(CURVE_COLORS) + thinned, unsafe_allow_html=True)
    money = config.reward_mode != "original"
    unit = "money" if money else "points"
    short = "nodes whose customers went short" if monitor.nodes else "products short of demand"
    panels = [  # title, caption, legend (HTML), frame, spec
        (
            f"**Reward per episode** ({unit})",
            None,
            None,
            view.curves["reward"],
            MONEY_REWARD_CURVE_SPEC if money else REWARD_CURVE_SPEC,
        ),
        ("**Fill rate per episode** (share of demand served)", None, None, view.curves["fill_rate"], FILL_CURVE_SPEC),
        (
            f"**Stockouts per day** ({short})",
            f"The mean over the episode's {config.episode_days} days.",
            None,
            view.curves["stockouts_per_day"],
            STOCKOUT_CURVE_SPEC,
        ),
    ]
    for name, title in MONEY_CURVES.items():
        if name in view.curves:
            caption = "The money of the episode's days, per day."
            panels.append((f"**{title}**", caption, None, view.curves[name], MONEY_CURVE_SPEC))
    if "nodes" in view.curves:  # a network: each node's cost instead of the reward's parts
        colors = node_colors(monitor.nodes)
        panels.append(
            (
                f"**Cost per day, node by node** (rolling means of {ROLLING_WINDOW})",
                "Each node's own cost: holding, what it owes, shipping.",
                legend_html(colors),
                view.curves["nodes"],
                episode_lines_spec("cost per day", ",.4~g", colors),
            )
        )
    components = monitor.history.components
    panels.append(
        (
            f"**Reward components** ({unit}; rolling means of {ROLLING_WINDOW}, stacked)",
            None,
            legend_html(component_legend(components)),
            view.curves["components"],
            components_spec(components),
        )
    )
    if "nodes" in view.curves:
        panels.pop()  # the stacked reward components are the nodes' costs drawn above
    for start in range(0, len(panels), 2):
        for column, (title, caption, legend, frame, spec) in zip(
            st.columns(2), panels[start : start + 2], strict=False
        ):
            with column:
                st.markdown(title)
                if caption is not None:
                    st.caption(caption)
                if legend is not None:
                    st.markdown(legend, unsafe_allow_html=True)
                chart(frame, spec)


def render_episode_analysis(monitor: TrainingMonitor, view: TrainingView, config: InventoryConfig) -> None:
    """Stock, demand (and units in transit where recorded) per product over one sampled
    episode (the latest unless picked), and the episode's totals."""
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
    row = monitor.column_at(episode, ("reward", "fill_rate", "stockouts_per_day", "utilization", "cost_per_day"))
    if row is not None:
        cards = [
            Metric(f"Episode {episode}: reward", f"{row['reward']:,.0f}"),
            Metric("Fill rate", percent(row["fill_rate"])),
            Metric("Stockouts per day", f"{row['stockouts_per_day']:.2f}"),
            Metric("Utilization", percent(row["utilization"])),
        ]
        if config.has_costs:
            cards.append(Metric("Cost per day", f"{row['cost_per_day']:,.2f}"))
        draw_metrics(cards, per_row=len(cards))
    frames = monitor.episode_detail(episode)
    days = frames["days"]
    size = (config.episode_days, config.n_products)
    left, right = st.columns(2)
    with left:
        st.markdown("**Stock at the end of each day**")
        st.caption("A red dot: some of the product's demand was lost that day.")
        chart(days, heatmap_spec("stock", "blues", *size, mark_lost=True))
    with right:
        st.markdown("**Demand each day**")
        st.caption("Units customers asked for; demand not met is lost, not back-ordered.")
        chart(days, heatmap_spec("demand", "oranges", *size))
    if "in transit" in days:
        st.markdown("**Units in transit at the end of each day** (ordered, not yet on the shelf)")
        chart(days, heatmap_spec("in transit", "purples", *size))
    elif config.transit_slots:
        st.caption(
            f":material/local_shipping: Orders take up to {config.max_lead_time} days here, but this run's "
            "sampled episodes do not record the units in transit (only stock, demand, deliveries and sales)."
        )
    st.markdown("**Episode totals per product**: what was delivered, what customers asked for, what they could not get")
    totals = frames["totals"]
    measures = {"ordered": "#9ecae9", **TOTAL_MEASURES} if "ordered" in set(totals["measure"]) else TOTAL_MEASURES
    chart(totals, grouped_bars_spec(measures))


def render_network_episode(monitor: TrainingMonitor, config: InventoryConfig) -> None:
    """A network run's latest episode: the network's shape, and each node's cost per day in that
    episode beside its rolling mean (network runs sample no day-by-day trajectories)."""
    st.subheader("The network and its latest episode")
    nodes = monitor.nodes
    left, right = st.columns([2, 3] if monitor.network.network.is_serial else [1, 1])
    with left:
        st.markdown("**The network** (lanes: order delay and shipping time)")
        draw_diagram(structure_dot(monitor.network.network), "The network's nodes and lanes")
    with right:
        latest = int(monitor.history.column("episode")[-1])
        st.markdown(f"**Cost per day of each node**, episode {latest}")
        row = monitor.column_at(latest, [f"{node}_points" for node in nodes]) or {}
        days = max(config.episode_days, 1)
        frame = pd.DataFrame(
            {"node": list(nodes), "cost per day": [-row.get(f"{node}_points", 0.0) / days for node in nodes]}
        )
        chart(frame, bars_spec("node", "cost per day", ",.2f"))
        st.caption(
            "Network runs record no day-by-day trajectory while training; the Replay page plays any "
            "episode of the trained agents day by day."
        )


@st.fragment(run_every=REFRESH_SECONDS)
def training_fragment(log_dir: Path) -> None:
    """The Training page, rerun on its own every ``REFRESH_SECONDS``."""
    render_training(training_monitor(log_dir))


def page() -> None:
    """The Training page of the run picked in the sidebar (``pages/training.py`` runs it)."""
    training_fragment(current_run_dir())
