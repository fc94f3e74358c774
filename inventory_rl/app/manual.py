"""The Manual page: a person orders whole units per product against the agent, in any scenario,
both facing the same seeded demand and supplier.

The opponent is the trained agent when it can play the chosen scenario; otherwise (no model,
a model that cannot be loaded, or one trained on a scenario with other spaces) the best rule
that applies there, and the page says which and why. The game itself is
``app.game.ManualGame``, kept in the session; this page draws it and feeds it through widget
callbacks, which run before the page is drawn again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from inventory_rl.app.charts import (
    SIDE_COLORS,
    TOTAL_MEASURES,
    chart,
    daily_lines_spec,
    daily_series,
    grouped_bars_spec,
    legend_html,
)
from inventory_rl.app.common import (
    TRAIN_MODEL_HINT,
    draw_metrics,
    fresh_agent,
    log_dir_scenario,
    picked_scenario,
    render_by_kind,
    scenario_header,
    scenario_picker,
)
from inventory_rl.app.days import FIGURE_FORMATS, money_table
from inventory_rl.app.game import ManualGame
from inventory_rl.app.history import per_product_frame
from inventory_rl.app.manual_form import render_order_form, side_cards
from inventory_rl.app.network_runs import playable
from inventory_rl.app.network_view import network_header
from inventory_rl.app.scenario import (
    RuleScore,
    best_rule,
    config_from_key,
    config_key,
    played_config,
    rule_label,
    rule_policy,
)
from inventory_rl.policies.base import Policy
from inventory_rl.runs.layout import MODEL_NAME, ModelLoadError, NetworkRecord
from inventory_rl.world.config import InventoryConfig, ScenarioError

BEER_GAME_PAGE = str(Path(__file__).resolve().parent / "pages" / "beer_game.py")  # st.page_link's target


@dataclass(frozen=True)
class Opponent:
    """Who the person plays against; ``note`` (no model, or a model for other spaces) or
    ``error`` (the model could not be loaded) say why it is a rule rather than the agent."""

    policy: Policy
    label: str
    config: InventoryConfig
    note: str | None = None
    error: str | None = None


@st.cache_data(show_spinner="Finding the best rule for this scenario (tuning the rules the first time)...")
def cached_best_rule(config: str) -> RuleScore:
    """``app.scenario.best_rule`` of the config whose ``config_key`` is ``config``, once per config."""
    return best_rule(config_from_key(config))


def opponent_for(log_dir: Path, config: InventoryConfig, own: bool, seed: int) -> Opponent:
    """The manual game's opponent in ``config``'s scenario (``own``: the run's own): the trained
    agent in ``log_dir`` if it can play there, else the best rule that applies, saying why."""
    path = log_dir / MODEL_NAME
    if path.is_file():
        try:
            agent, agent_config = fresh_agent(path, config)
            return Opponent(agent, "PPO agent", agent_config)
        except ModelLoadError as error:
            problem = str(error)
    best = cached_best_rule(config_key(config))
    label = rule_label(best.rule)
    policy = rule_policy(best.rule, config, seed)
    why = f"the best rule here by {best.describe()} on the rules' tuning episodes"
    if not path.is_file():
        note = f"No trained model in `{log_dir}` yet: you play against the {label}, {why}. {TRAIN_MODEL_HINT}"
        return Opponent(policy, label, config, note=note)
    message = f"{problem}. You play against the {label} instead, {why}."
    if own:
        return Opponent(policy, label, config, error=message)
    return Opponent(policy, label, config, note=f"The agent cannot play this scenario: {message}")


# ---------------------------------------------------------------------------- widget callbacks
def new_game(log_dir: Path) -> None:
    """Start a manual game for the chosen scenario and seed (a callback, so it runs before the
    page); no game while the picked scenario cannot be used (the picker says why)."""
    state = st.session_state
    own = log_dir_scenario(log_dir)
    try:
        scenario = picked_scenario("manual", own)
    except ScenarioError:
        state["manual_game"] = None
        return
    config = played_config(scenario)
    seed = int(state.get("manual_seed", 0))
    opponent = opponent_for(log_dir, config, scenario == own, seed)
    state["manual_opponent"] = opponent
    state["manual_game"] = ManualGame(opponent.policy, opponent.label, config, seed)
    for i in range(config.n_products):
        state[f"order_{i}"] = 0


# ---------------------------------------------------------------------------- figures
def scoreboard(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """The final scoreboard, one row per side (``Side.scores``), formatted as ``app.days.FIGURE_FORMATS``."""
    frame = pd.DataFrame(rows).T
    return frame.assign(**{name: frame[name].map(form) for name, form in FIGURE_FORMATS.items() if name in frame})


def verdict(margin: float, opponent_label: str, unit: str = "points") -> str:
    """Who won the finished game, by ``margin``: the person's reward minus the opponent's."""
    if margin > 0:
        return f":material/trophy: You beat the {opponent_label} by {margin:,.0f} {unit}!"
    if margin < 0:
        return f"The {opponent_label} wins by {-margin:,.0f} {unit}. Try another game?"
    return "A draw: exactly the same reward."


# ---------------------------------------------------------------------------- the page
def render_manual(log_dir: Path) -> None:
    """The Manual page: the scenario, the person's order form, both sides' running figures, the scoreboard."""
    st.header(":material/sports_esports: Manual: you against the agent")
    restart = functools.partial(new_game, log_dir)
    scenario = scenario_picker("manual", log_dir_scenario(log_dir), on_change=restart)
    if scenario is None:
        return
    if st.session_state.get("manual_game") is None:
        new_game(log_dir)
    game: ManualGame = st.session_state["manual_game"]
    opponent: Opponent = st.session_state["manual_opponent"]
    scenario_header(scenario, "Scenario")
    if opponent.error:
        st.error(opponent.error, icon=":material/error:")
    elif opponent.note:
        st.info(opponent.note, icon=":material/info:")
    controls = st.columns([1, 1, 3], vertical_alignment="bottom")
    controls[0].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="manual_seed")
    controls[1].button("New game", key="new_game", on_click=restart, width="stretch")
    controls[2].caption(
        f"Same seed, same demand: you and the {game.opponent_label} face exactly the same customers "
        f"(and the same supplier). {game.arrival_text()}"
    )

    cfg = game.config
    sides = {side.name: side for side in (game.human, game.ai)}  # "You", then the opponent's label
    money = cfg.reward_mode != "original"
    outcome = game.last_outcome
    if outcome is not None:
        st.caption(outcome.summary())
        if news := outcome.supply_news():
            st.warning(news, icon=":material/local_shipping:")
        if message := outcome.explanation(cfg.capacity):
            st.warning(message, icon=":material/door_front:")
    if game.over:
        st.subheader(":material/sports_score: Final scoreboard")
        scores = {name: side.scores() for name, side in sides.items()}
        st.dataframe(scoreboard(scores), width="stretch")
        margin = scores[game.human.name]["reward"] - scores[game.ai.name]["reward"]
        (st.success if margin > 0 else st.info)(verdict(margin, game.opponent_label, "in money" if money else "points"))
    else:
        render_order_form(game)

    results = {name: side.result() for name, side in sides.items()}
    for column, (name, side), icon in zip(st.columns(2), sides.items(), ("person", "smart_toy"), strict=True):
        with column:
            st.subheader(f":material/{icon}: {name}")
            cards = side_cards(side, results[name], cfg)
            draw_metrics(cards, per_row=2)
    if game.day:
        render_days(game, results, money)


def render_days(game: ManualGame, results: dict, money: bool) -> None:
    """The charts of the days played: cumulative reward, fill rate, the last day's money and stock."""
    sides = {side.name: side for side in (game.human, game.ai)}
    colors = dict(zip(sides, SIDE_COLORS, strict=True))
    st.markdown(legend_html(colors), unsafe_allow_html=True)
    left, right = st.columns(2)
    with left:
        st.markdown("**Cumulative reward**")
        cumulative = {name: np.cumsum(result.rewards) for name, result in results.items()}
        chart(daily_series(cumulative), daily_lines_spec("money" if money else "points", ",.0f", colors))
    with right:
        st.markdown("**Fill rate per day**")
        fill_rates = {name: result.daily["fill_rate"] for name, result in results.items()}
        chart(daily_series(fill_rates), daily_lines_spec("fill rate", ".0%", colors))
    if game.config.has_costs:
        st.markdown(f"**Money of day {game.day}**, part by part")
        st.dataframe(money_table(results, game.day, game.config), width="stretch")
    st.markdown(f"**Stock per product after day {game.day}**, beside that day's demand")
    stock = {**{name: side.stock for name, side in sides.items()}, "demand": game.human.info["demand"]}
    chart(per_product_frame(stock), grouped_bars_spec({**colors, "demand": TOTAL_MEASURES["demand"]}))


def render_network_manual(log_dir: Path, record: NetworkRecord) -> None:
    """The Manual page of a network run: a network is played on the Beer Game page (a chain), seat by seat."""
    st.header(":material/sports_esports: Manual: you against the agent")
    scenario = log_dir_scenario(log_dir)
    network_header(scenario.name, scenario.description, record.network, record)
    if playable(record.network):
        st.info(
            "This run trained agents for a network: play one of its seats against them on the Beer Game page "
            "(choose this network and this run's agents there).",
            icon=":material/sports_bar:",
        )
        st.page_link(BEER_GAME_PAGE, label="Open the Beer Game", icon=":material/sports_bar:")
    else:
        st.info(
            "This run trained agents for a network that is not a chain of one product: there is no seat for "
            "one person to take. The Replay page plays its episodes day by day; the Beer Game page plays the "
            "serial networks (beer-game-classic, beer-game, serial).",
            icon=":material/info:",
        )


def page() -> None:
    """The Manual page of the run picked in the sidebar (``pages/manual.py`` runs it); a network run's
    points to the Beer Game."""
    render_by_kind(render_network_manual, render_manual)
