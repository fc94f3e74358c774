"""The Manual page: a person orders whole units per product against the agent (or the
newsvendor rule when there is no usable model), both facing the same seeded demand.

The game itself is ``ui.game.ManualGame``, kept in the session; this page draws it and
feeds it through button callbacks, which run before the page is drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from baselines import Policy, make_baseline
from env import InventoryConfig
from episodes import EpisodeResult
from ui.charts import SIDE_COLORS, TOTAL_MEASURES, chart, daily_lines_spec, daily_series, grouped_bars_spec, legend_html
from ui.common import TRAIN_MODEL_HINT, current_log_dir, draw_metrics, fresh_agent, log_dir_config
from ui.game import ManualGame, Side
from ui.history import Metric, per_product_frame, percent
from utils import MODEL_NAME, ModelLoadError

FALLBACK_OPPONENT = "newsvendor"
ORDER_LIMIT_CAPACITIES = 10  # an input takes up to this many warehouses' worth: room to over-order, within reason
PRODUCTS_PER_ROW = 5  # number inputs side by side in the order form


@dataclass(frozen=True)
class Opponent:
    """Who the person plays against; ``note`` (no model yet) or ``error`` (the model could not
    be loaded) say why it is the fallback rule rather than the trained agent."""

    policy: Policy
    label: str
    config: InventoryConfig
    note: str | None = None
    error: str | None = None


def opponent_for(log_dir: Path) -> Opponent:
    """The manual game's opponent: the trained agent in ``log_dir``, else the newsvendor rule."""
    path = log_dir / MODEL_NAME
    config = log_dir_config(log_dir)
    fallback = make_baseline(FALLBACK_OPPONENT, config)
    label = f"{FALLBACK_OPPONENT} rule"
    if not path.is_file():
        note = f"No trained model in `{log_dir}` yet: you play against the {label}. {TRAIN_MODEL_HINT}"
        return Opponent(fallback, label, config, note=note)
    try:
        agent, agent_config = fresh_agent(path)
    except ModelLoadError as error:
        return Opponent(fallback, label, config, error=f"{error}. You play against the {label} instead.")
    return Opponent(agent, "PPO agent", agent_config)


# ---------------------------------------------------------------------------- button callbacks
def new_game(log_dir: Path) -> None:
    """Start a manual game for the chosen seed (a button callback, so it runs before the page)."""
    opponent = opponent_for(log_dir)
    seed = int(st.session_state.get("manual_seed", 0))
    st.session_state["manual_opponent"] = opponent
    st.session_state["manual_game"] = ManualGame(opponent.policy, opponent.label, opponent.config, seed)
    for i in range(opponent.config.n_products):
        st.session_state[f"order_{i}"] = 0


def place_order() -> None:
    """Play the day with the number inputs' units (the place_order button's callback)."""
    game: ManualGame = st.session_state["manual_game"]
    if not game.over:
        game.place_order([int(st.session_state.get(f"order_{i}") or 0) for i in range(game.config.n_products)])


def suggest_order() -> None:
    """Fill the number inputs with the proportional split of the free space."""
    game: ManualGame = st.session_state["manual_game"]
    for i, units in enumerate(game.suggested_order()):
        st.session_state[f"order_{i}"] = units


# ---------------------------------------------------------------------------- figures
def side_cards(side: Side, result: EpisodeResult | None, capacity: int) -> tuple[Metric, ...]:
    """One side's running figures: the episode metrics of the days played (dashes before the first)."""
    stock = Metric("Stock on hand", f"{int(side.stock.sum())} / {capacity}")
    stockouts = "Products short of demand, per day played."
    if result is None:
        return Metric("Reward", "0"), Metric("Fill rate", "–"), Metric("Stockouts / day", "–", help=stockouts), stock
    metrics = result.metrics()
    return (
        Metric("Reward", f"{metrics['mean_reward']:,.0f}", f"{result.rewards[-1]:+,.0f} today"),
        Metric("Fill rate", percent(metrics["fill_rate"])),
        Metric("Stockouts / day", f"{metrics['stockouts_per_day']:.2f}", help=stockouts),
        stock,
    )


def scoreboard(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """The final scoreboard, one row per side (``Side.scores``), formatted."""
    frame = pd.DataFrame(rows).T
    return frame.assign(
        **{
            "reward": frame["reward"].map(lambda points: f"{points:,.0f}"),
            "fill rate": frame["fill rate"].map(percent),
            "stockouts per day": frame["stockouts per day"].map(lambda value: f"{value:.2f}"),
            "utilization": frame["utilization"].map(percent),
            "lost sales (units)": frame["lost sales (units)"].astype(int),
        }
    )


def verdict(margin: float, opponent_label: str) -> str:
    """Who won the finished game, by ``margin``: the person's reward minus the opponent's."""
    if margin > 0:
        return f":material/trophy: You beat the {opponent_label} by {margin:,.0f} points!"
    if margin < 0:
        return f"The {opponent_label} wins by {-margin:,.0f} points. Try another game?"
    return "A draw: exactly the same reward."


# ---------------------------------------------------------------------------- the page
def render_manual(log_dir: Path) -> None:
    """The Manual page: the person's order form, both sides' running figures, the scoreboard."""
    st.header(":material/sports_esports: Manual: you against the agent")
    if "manual_game" not in st.session_state:
        new_game(log_dir)
    game: ManualGame = st.session_state["manual_game"]
    opponent: Opponent = st.session_state["manual_opponent"]
    if opponent.error:
        st.error(opponent.error, icon=":material/error:")
    elif opponent.note:
        st.info(opponent.note, icon=":material/info:")
    controls = st.columns([1, 1, 3], vertical_alignment="bottom")
    controls[0].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="manual_seed")
    controls[1].button("New game", key="new_game", on_click=new_game, args=(log_dir,), width="stretch")
    controls[2].caption(
        "Same seed, same demand: you and the opponent face exactly the same customers. "
        "Orders arrive overnight and are on the shelves before the day's demand."
    )

    cfg = game.config
    sides = {side.name: side for side in (game.human, game.ai)}  # "You", then the opponent's label
    if game.over:
        st.subheader(":material/sports_score: Final scoreboard")
        scores = {name: side.scores() for name, side in sides.items()}
        st.dataframe(scoreboard(scores), width="stretch")
        margin = scores[game.human.name]["reward"] - scores[game.ai.name]["reward"]
        (st.success if margin > 0 else st.info)(verdict(margin, game.opponent_label))
    else:
        render_order_form(game)

    if game.last_outcome is not None and (message := game.last_outcome.explanation(cfg.capacity)):
        st.warning(message, icon=":material/door_front:")
    results = {name: side.result() for name, side in sides.items()}
    for column, (name, side), icon in zip(st.columns(2), sides.items(), ("person", "smart_toy"), strict=True):
        with column:
            st.subheader(f":material/{icon}: {name}")
            draw_metrics(side_cards(side, results[name], cfg.capacity), per_row=2)
    if game.day:
        colors = dict(zip(sides, SIDE_COLORS, strict=True))
        st.markdown(legend_html(colors), unsafe_allow_html=True)
        left, right = st.columns(2)
        with left:
            st.markdown("**Cumulative reward**")
            cumulative = {name: np.cumsum(result.rewards) for name, result in results.items()}
            chart(daily_series(cumulative), daily_lines_spec("points", ",.0f", colors))
        with right:
            st.markdown("**Fill rate per day**")
            fill_rates = {name: result.daily["fill_rate"] for name, result in results.items()}
            chart(daily_series(fill_rates), daily_lines_spec("fill rate", ".0%", colors))
        st.markdown(f"**Stock per product after day {game.day}**, beside that day's demand")
        stock = {**{name: side.stock for name, side in sides.items()}, "demand": game.human.info["demand"]}
        chart(per_product_frame(stock), grouped_bars_spec({**colors, "demand": TOTAL_MEASURES["demand"]}))


def render_order_form(game: ManualGame) -> None:
    """The day's situation, one number input per product, and the place-order button."""
    cfg = game.config
    observation = game.observation()
    free = int(observation.free_space)
    st.subheader(f"Day {game.day + 1} of {cfg.episode_days}")
    entered = sum(int(st.session_state.get(f"order_{i}") or 0) for i in range(cfg.n_products))
    excess = f" **{entered - free} would be refused at the door.**" if entered > free else ""
    st.markdown(
        f"Your warehouse holds **{cfg.capacity - free} / {cfg.capacity}** units; free space **{free}**. "
        f"Your order: **{entered}** units.{excess}  \n"
        f"Under each product: its stock now, yesterday's demand (yday) and the {cfg.history_days}-day "
        "average demand (avg)."
    )
    limit = ORDER_LIMIT_CAPACITIES * cfg.capacity
    for start in range(0, cfg.n_products, PRODUCTS_PER_ROW):
        row = range(start, min(start + PRODUCTS_PER_ROW, cfg.n_products))
        for column, i in zip(st.columns(PRODUCTS_PER_ROW), row, strict=False):
            column.number_input(f"Product {i}", min_value=0, max_value=limit, step=1, key=f"order_{i}")
            column.caption(
                f"stock **{observation.stock[i]}**  \n"
                f"yday {observation.yesterday_demand[i]} · avg {observation.avg7_demand[i]:.1f}"
            )
    buttons = st.columns([1, 1, 3])
    buttons[0].button("Place order", key="place_order", type="primary", on_click=place_order, width="stretch")
    buttons[1].button(
        "Suggest",
        key="suggest_order",
        on_click=suggest_order,
        width="stretch",
        help=f"Fill the free space in proportion to the {cfg.history_days}-day averages.",
    )


def page() -> None:
    """The Manual page of this app's log directory (``ui/pages/manual.py`` runs it)."""
    render_manual(current_log_dir())
