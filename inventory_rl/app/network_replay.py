"""The Replay page of a network run: one seeded episode, day by day, played by the run's agents (if
it has a model) beside the network rules that apply (tuned: ``policies.network_tuning``) and the exact
optimum where it is known, all on the same demand.

A day slider walks the episode: the network's diagram of that day (each node's stock, backorders and
what is on its way; each lane's shipment), the day's cost, and for the policy shown the per-node
charts and the bullwhip chart. Episodes are cached per (policy, seed, network, model version), so
moving the slider only redraws.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from inventory_rl.app.charts import POLICY_COLORS, chart, daily_lines_spec, daily_series, legend_html, node_colors
from inventory_rl.app.common import (
    TRAIN_MODEL_HINT,
    available_models,
    fresh_network_agent,
    log_dir_scenario,
    pick_applicable_rules,
)
from inventory_rl.app.network_days import (
    NetworkTrace,
    bullwhip_panels,
    cumulative_costs,
    day_table,
    diagram_dot,
    play_trace,
    summary_table,
)
from inventory_rl.app.network_runs import network_from_key, network_key, network_rules
from inventory_rl.app.network_view import draw_bullwhip, draw_diagram, draw_node_charts, network_header
from inventory_rl.policies.network_optimum import serial_optimum
from inventory_rl.policies.network_tuning import tuned_network_rule
from inventory_rl.runs.layout import ModelLoadError, NetworkRecord

DEFAULT_RULES = ("base-stock", "echelon-base-stock", "sterman", "optimal")  # those that apply are preselected
AGENTS_LABEL = "PPO agents"


@st.cache_data(max_entries=64, show_spinner=False)
def rule_trace(rule: str, seed: int, network: str) -> NetworkTrace:
    """The episode of ``seed`` played by network rule ``rule`` (tuned where it has parameters) on the
    network whose ``network_key`` is ``network``."""
    policy, _ = tuned_network_rule(rule, network_from_key(network))
    return play_trace(policy, seed, rule)


@st.cache_data(max_entries=32, show_spinner=False)
def agents_trace(model_path: str, modified: float, seed: int) -> NetworkTrace:
    """The episode of ``seed`` played by the network model at ``model_path`` (``modified``: its mtime, so a
    rewritten model replays); raises ``ModelLoadError``."""
    return play_trace(fresh_network_agent(Path(model_path)), seed, AGENTS_LABEL)


def pick_network_rules(record: NetworkRecord) -> list[str]:
    """The multiselect of the network rules that apply (the others listed with why)."""
    names, skipped = network_rules(record.network)
    return pick_applicable_rules(
        "network_replay_rules",
        names,
        skipped,
        DEFAULT_RULES,
        "The network rules that apply here, tuned on other episodes (seconds the first time, then "
        "cached); optimal is the exact Clark-Scarf optimum where it is known.",
    )


def render_network_replay(log_dir: Path, record: NetworkRecord) -> None:
    """The Replay page of the network run in ``log_dir``."""
    st.header(":material/replay: Replay a network episode")
    scenario = log_dir_scenario(log_dir)
    network = record.network
    network_header(scenario.name, scenario.description, network, record)
    controls = st.columns([3, 1])
    models = available_models(log_dir)
    model = None
    if models:
        model = controls[0].selectbox(
            "Model",
            models,
            format_func=lambda path: str(path.relative_to(log_dir)),
            key="network_replay_model",
            help="The final model or one of the checkpoints saved during training.",
        )
    seed = int(
        controls[1].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="network_replay_seed")
    )
    if model is None:
        st.info(
            f"No trained model in `{log_dir}` yet: showing the rules only. {TRAIN_MODEL_HINT}", icon=":material/info:"
        )
    else:
        try:
            fresh_network_agent(model)
        except ModelLoadError as error:
            st.error(f"{error}. Showing the rules only.", icon=":material/error:")
            model = None
    rules = pick_network_rules(record)
    key = network_key(network)
    played: dict[str, NetworkTrace] = {}
    with st.spinner("Playing the episode (tuning the rules the first time)..."):
        if model is not None:
            played[AGENTS_LABEL] = agents_trace(str(model), model.stat().st_mtime, seed)
        for rule in rules:
            played[rule] = rule_trace(rule, seed, key)
    if not played:
        st.info("Pick at least one rule to replay.", icon=":material/info:")
        return
    render_network_episode(played, seed)


def render_network_episode(played: dict[str, NetworkTrace], seed: int) -> None:
    """The played episodes: the summary, the day slider, the network's diagram of that day for the
    policy shown, the cumulative costs, then that policy's per-node and bullwhip charts."""
    first = next(iter(played.values()))
    network, days = first.network, first.days
    st.subheader(f"Episode with seed {seed}: the same demand for every policy")
    st.caption(
        "Cost per day is the network's (every node's holding, backorders, shipping); the bullwhip ratio is "
        "the variance of a node's daily orders over that of the customers' demand it serves."
    )
    st.dataframe(summary_table(played), width="stretch")
    if "optimal" in played:
        st.caption(
            f"The optimum's long-run cost is {serial_optimum(network).cost:,.3f} a day; "
            "one episode's can be above or below it."
        )
    controls = st.columns([3, 2])
    day = controls[0].slider("Day", 0, days, 1, key="network_replay_day", help="Day 0: as the episode starts.")
    names = list(played)
    shown = st.session_state.get("network_replay_shown")
    if shown not in names:
        st.session_state["network_replay_shown"] = names[0]
    shown = controls[1].selectbox("Policy shown", names, key="network_replay_shown")
    trace = played[shown]
    costs = ", ".join(f"{name} {result.cost[day].sum():,.2f}" for name, result in played.items())
    st.markdown(f"**Day {day}, {shown}**" + (f": the day's network cost, {costs}." if day else ": the start."))
    if network.is_serial:  # a chain is drawn top to bottom, narrow: the day's table beside it
        left, right = st.columns([2, 3])
    else:  # a tree spreads sideways: the whole width for it, the table below
        left = right = st.container()
    with left:
        draw_diagram(diagram_dot(trace, day), f"The network on day {day}, played by {shown}")
    with right:
        st.dataframe(day_table(trace, day), width="stretch")
        st.caption(
            "Each node: its stock and what it owes (red in the diagram when it owes anything), what is in "
            "transit to it and on order at the end of the day; what it was asked for, received and ordered "
            "that day, and its cost. Each lane: what it shipped that day and what is on the way on it."
        )
    colors = dict(zip(played, POLICY_COLORS, strict=False))
    st.markdown("**Network cost so far** (dashed line: the chosen day)")
    st.markdown(legend_html(colors), unsafe_allow_html=True)
    chart(daily_series(cumulative_costs(played)), daily_lines_spec("cost", ",.0f", colors, day or None))
    st.subheader(f"{shown}, node by node")
    nodes = node_colors(network.names)
    draw_node_charts(trace, nodes, day or None)
    st.subheader(f"The bullwhip: {shown}'s orders, stage by stage, above the customers' demand")
    draw_bullwhip(bullwhip_panels(trace), days, nodes, day or None)
