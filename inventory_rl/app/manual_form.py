"""The Manual page's order form and running cards: what the person sees before ordering (stock,
demand so far, units on the way and when they arrive), one number input per product, and the
buttons that play the day (``app.manual`` draws the rest of the page).
"""

from __future__ import annotations

import streamlit as st

from inventory_rl.app.game import ManualGame, Side
from inventory_rl.app.history import Metric, percent
from inventory_rl.app.scenario import costs_text
from inventory_rl.evaluation.metrics import EpisodeResult
from inventory_rl.world.config import InventoryConfig

ORDER_LIMIT_CAPACITIES = 10  # an input takes up to this many warehouses' worth: room to over-order, within reason
PRODUCTS_PER_ROW = 5  # number inputs side by side in the order form


# ---------------------------------------------------------------------------- button callbacks
def place_order() -> None:
    """Play the day with the number inputs' units (the place_order button's callback), then empty
    the inputs, as a new game starts them: the next day opens with no order entered, so its form
    never warns of units "refused at the door" that the person has not ordered that day."""
    state = st.session_state
    game: ManualGame = state["manual_game"]
    if not game.over:
        game.place_order([int(state.get(f"order_{i}") or 0) for i in range(game.config.n_products)])
        for i in range(game.config.n_products):
            state[f"order_{i}"] = 0


def suggest_order() -> None:
    """Fill the number inputs with what the newsvendor rule would order."""
    game: ManualGame = st.session_state["manual_game"]
    for i, units in enumerate(game.suggested_order()):
        st.session_state[f"order_{i}"] = units


# ---------------------------------------------------------------------------- cards
def side_cards(side: Side, result: EpisodeResult | None, config: InventoryConfig) -> tuple[Metric, ...]:
    """One side's running figures: the episode metrics of the days played (dashes before the
    first), its stock, and the units in transit and the cost where the scenario has them."""
    stock = Metric("Stock on hand", f"{int(side.stock.sum())} / {config.capacity}")
    stockouts = "Products short of demand, per day played."
    extra = []
    if config.transit_slots:
        extra.append(Metric("In transit", f"{side.in_transit}", help="Ordered and shipped, not yet on the shelf."))
    if result is None:
        cards = [Metric("Reward", "0"), Metric("Fill rate", "–"), Metric("Stockouts / day", "–", help=stockouts), stock]
        if config.has_costs:
            extra.append(Metric("Cost / day", "–"))
        return (*cards, *extra)
    metrics = result.metrics()
    if config.has_costs:
        extra.append(Metric("Cost / day", f"{metrics['cost_per_day']:,.2f}", f"{result.costs[-1]:,.2f} today", "off"))
    return (
        Metric("Reward", f"{metrics['mean_reward']:,.0f}", f"{result.rewards[-1]:+,.0f} today"),
        Metric("Fill rate", percent(metrics["fill_rate"])),
        Metric("Stockouts / day", f"{metrics['stockouts_per_day']:.2f}", help=stockouts),
        stock,
        *extra,
    )


# ---------------------------------------------------------------------------- the form
def situation_text(game: ManualGame, entered: int) -> str:
    """The warehouse before ordering, in Markdown: shelf, transit, free space, the order so far."""
    cfg = game.config
    observation = game.observation()
    free = int(observation.free_space)
    shelf = int(observation.total_stock)
    transit = cfg.capacity - free - shelf
    on_way = f", **{transit}** on the way" if cfg.transit_slots else ""
    excess = f" **{entered - free} would be refused at the door.**" if entered > free else ""
    how = (
        "You decide how much to order and how to split it."
        if cfg.order_mode == "free"
        else "The agent always orders exactly the free space; you may order what you like."
    )
    if cfg.has_costs:
        how += f" Money: {costs_text(cfg) or 'nothing is charged'}."
    return (
        f"Your warehouse holds **{shelf} / {cfg.capacity}** units{on_way}; free space **{free}**. "
        f"Your order: **{entered}** units.{excess}  \n{how} "
        f"Under each product: its stock now, yesterday's demand (yday) and the {cfg.history_days}-day "
        "average demand (avg)" + (", and what is on the way." if cfg.transit_slots else ".")
    )


def render_order_form(game: ManualGame) -> None:
    """The day's situation, what arrives when, one number input per product, and the buttons."""
    cfg = game.config
    observation = game.observation()
    st.subheader(f"Day {game.day + 1} of {cfg.episode_days}")
    entered = sum(int(st.session_state.get(f"order_{i}") or 0) for i in range(cfg.n_products))
    st.markdown(situation_text(game, entered))
    arrivals = game.arrivals()
    if arrivals:
        st.markdown(
            ":material/local_shipping: On the way: "
            + " · ".join(f"**{int(units.sum())}** units on day {day}" for day, units in arrivals.items())
            + " (on the shelf before that day's demand)."
        )
    limit = ORDER_LIMIT_CAPACITIES * cfg.capacity
    for start in range(0, cfg.n_products, PRODUCTS_PER_ROW):
        row = range(start, min(start + PRODUCTS_PER_ROW, cfg.n_products))
        for column, i in zip(st.columns(PRODUCTS_PER_ROW), row, strict=False):
            column.number_input(f"Product {i}", min_value=0, max_value=limit, step=1, key=f"order_{i}")
            on_way = [f"{int(units[i])} on day {day}" for day, units in arrivals.items() if units[i]]
            column.caption(
                f"stock **{observation.stock[i]}**  \n"
                f"yday {observation.yesterday_demand[i]} · avg {observation.avg7_demand[i]:.1f}"
                + (f"  \ncoming: {', '.join(on_way)}" if on_way else "")
            )
    buttons = st.columns([1, 1, 3])
    buttons[0].button("Place order", key="place_order", type="primary", on_click=place_order, width="stretch")
    buttons[1].button(
        "Suggest",
        key="suggest_order",
        on_click=suggest_order,
        width="stretch",
        help="Fill the inputs with what the newsvendor rule would order now.",
    )
