"""The Beer Game page (``/beer-game``): a person takes one seat of a serial network and orders every
week; the trained agents of a run, tuned base-stock or Sterman's rule play the other seats. The game
itself is ``app.beer_game.BeerGame`` (no Streamlit); this page sets it up, draws what the person sees
(their own seat only, as at the table) and, at the end, their cost beside the agent's and base-stock's
in their seat, the chain against the optimum, and the bullwhip chart with their orders in it.

A game is never lost: it lives in ``st.session_state`` (each browser tab has its own session, so two
tabs play two games), it is saved after every week under the log directory (``beer_games/``, files
named by the app), and its id is in the page's address (``?game=ID``), so a reload resumes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from inventory_rl.app.beer_game import (
    CO_PLAYERS,
    ORDER_BOUND_FACTOR,
    BeerGame,
    GameSetup,
    OrderError,
    SavedGameError,
    fresh_policy,
    game_folder,
    game_path,
    optimum_line,
    play_seat,
    read_game,
    replay,
    save_game,
    saved_games,
)
from inventory_rl.app.charts import chart, daily_lines_spec, daily_series, legend_html, node_colors
from inventory_rl.app.common import current_log_dir, draw_metrics, fresh_network_agent, listed_runs
from inventory_rl.app.history import Metric
from inventory_rl.app.network_days import bullwhip_panels
from inventory_rl.app.network_runs import (
    CO_PLAYER_WORDS,
    AgentRun,
    agent_runs,
    network_from_key,
    network_key,
    run_network,
    same_network,
    serial_networks,
    shipped_network,
)
from inventory_rl.app.network_view import draw_bullwhip, draw_node_charts
from inventory_rl.app.paths import inside
from inventory_rl.policies.network_rules import NetworkPolicy, applicable, make_network_rule
from inventory_rl.policies.network_tuning import tuned_network_rule
from inventory_rl.runs.layout import MODEL_NAME, ModelLoadError
from inventory_rl.world.config import ScenarioError
from inventory_rl.world.network import NetworkConfig

GAME_KEY = "beer_game"  # the session's game
MESSAGE_KEY = "beer_message"  # (kind, text): what the last callback has to say, shown once
RESULTS_KEY = "beer_results"  # (game id, results) of the finished game, computed once
QUERY_KEY = "game"  # the page's address names its game: ?game=ID
DEFAULT_NETWORK = "beer-game-classic"
DEFAULT_SEAT = "wholesaler"
CO_PLAYER_CHOICES = {
    "agents": "The trained agents of a run",
    "base-stock": "Base-stock (tuned)",
    "sterman": "Sterman's rule (how people play)",
}
START_HINT = "python train.py --scenario {network} --agents per-node --log-dir LOG_DIR/{network}"
GAME_ERRORS = (SavedGameError, ModelLoadError, ScenarioError, ValueError)


# ---------------------------------------------------------------------------- co-players
@st.cache_resource(show_spinner="Tuning base-stock for this network (the first time only)...", max_entries=16)
def cached_rule(name: str, network: str) -> NetworkPolicy:
    """Rule ``name`` for the network of ``network_key`` ``network``: base-stock tuned, Sterman's rule as
    published. Shared between sessions: every use copies it (``fresh_policy``)."""
    found = network_from_key(network)
    return tuned_network_rule(name, found)[0] if name == "base-stock" else make_network_rule(name, found)


def rule_player(name: str, network: NetworkConfig) -> NetworkPolicy:
    """A fresh copy of rule ``name`` for ``network``."""
    return fresh_policy(cached_rule(name, network_key(network)))


def run_agents(root: Path, run: str, network: NetworkConfig) -> tuple[NetworkPolicy, AgentRun]:
    """Fresh agents of the run at ``run`` (below ``root``) for ``network``; ``SavedGameError`` or
    ``ModelLoadError`` (one line) where they cannot play it."""
    run_dir = root / run
    if not inside(run_dir, [root]):
        raise SavedGameError(f"the run {run!r} is not below the log directory")
    record = run_network(run_dir)
    if record is None or not same_network(record.network, network):
        raise SavedGameError(f"the run {run!r} has no agents trained on this network")
    policy = fresh_network_agent(run_dir / MODEL_NAME)
    info = next((found for found in agent_runs(listed_runs(str(root)), network) if found.run.path == run_dir), None)
    if info is None:
        raise SavedGameError(f"the run {run!r} has no trained model")
    return policy, info


def co_players_for(root: Path, setup: GameSetup, network: NetworkConfig) -> tuple[NetworkPolicy, str]:
    """Fresh co-players for ``setup`` and how the page names them."""
    if setup.co_players == "agents":
        policy, info = run_agents(root, setup.run or "", network)
        record = info.record
        own = " (the log directory's own)" if setup.run == "." else ""
        if record.seat is not None:
            others = CO_PLAYER_WORDS.get(record.co_players or "", record.co_players)
            return policy, f"the {record.seat}'s agent of run `{setup.run}`{own}, the other seats {others}"
        return policy, f"the {record.agents} agents of run `{setup.run}`{own}"
    return rule_player(setup.co_players, network), CO_PLAYER_WORDS[setup.co_players]


def new_game(root: Path, setup: GameSetup, game_id: str | None = None) -> BeerGame:
    """A game of ``setup`` (nothing played); ``GAME_ERRORS`` (one line) if it cannot be set up."""
    network = shipped_network(setup.network).network
    co_players, label = co_players_for(root, setup, network)
    return BeerGame(network, setup, co_players, label, game_id)


def resume(root: Path, game_id: str) -> BeerGame:
    """The saved game ``game_id`` under ``root``, its weeks played again."""
    data = read_game(root, game_id)
    return replay(new_game(root, data["setup"], game_id), data["orders"])


# ---------------------------------------------------------------------------- callbacks
def say(kind: str, text: str) -> None:
    """Keep a message for the next draw of the page (``error``, ``warning``, ``success``)."""
    st.session_state[MESSAGE_KEY] = (kind, text)


def take_up(game: Callable[[], BeerGame], failure: str) -> None:
    """Make ``game()`` this session's game, with an empty order box and no results yet; if it cannot be
    made, say why after ``failure``."""
    state = st.session_state
    try:
        state[GAME_KEY] = game()
    except GAME_ERRORS as error:
        say("error", f"{failure}: {error}")
        return
    state["beer_order"] = ""
    state.pop(RESULTS_KEY, None)


def start_game(root: Path) -> None:
    """Start a game of the setup the widgets name (the Start button's callback)."""
    state = st.session_state
    co_players = state.get("beer_co_players", "base-stock")

    def game() -> BeerGame:
        setup = GameSetup(
            network=state.get("beer_network", DEFAULT_NETWORK),
            seat=state.get("beer_seat", DEFAULT_SEAT),
            co_players=co_players,
            run=state.get("beer_run") if co_players == "agents" else None,
            seed=int(state.get("beer_seed") or 0),
        )
        return new_game(root, setup)

    take_up(game, "The game cannot start")


def resume_game(root: Path) -> None:
    """Resume the saved game picked in the list (the Resume button's callback)."""
    game_id = st.session_state.get("beer_resume")
    if game_id:
        take_up(lambda: resume(root, game_id), "That game cannot be resumed")


def place_order(root: Path) -> None:
    """Play the week with the typed order (the form's callback), then save the game."""
    state = st.session_state
    game: BeerGame | None = state.get(GAME_KEY)
    if game is None:
        return
    typed = state.get("beer_order", "")
    try:
        accepted = game.place_order(typed)
    except OrderError as error:
        say("error", str(error))
        return
    state["beer_order"] = ""
    placed = game.placed[-1]
    if accepted < placed:
        say(
            "warning",
            f"Only {accepted} of your {placed} units were accepted: your warehouse holds at most "
            f"{game.network.nodes[game.seat].config.capacity:,} units with what is on its way.",
        )
    try:
        save_game(root, game)
    except OSError as error:
        say("warning", f"The game could not be saved in `{game_folder(root)}` ({error.strerror or error}).")


def leave_game() -> None:
    """Put the game down (the New game button's callback): it stays saved and can be resumed."""
    st.session_state.pop(GAME_KEY, None)
    st.session_state.pop(RESULTS_KEY, None)
    if QUERY_KEY in st.query_params:  # else the address would resume it at once
        del st.query_params[QUERY_KEY]


# ---------------------------------------------------------------------------- the setup
def render_setup(root: Path) -> None:
    """The setup: network, seat, co-players (a run's agents, base-stock, Sterman), seed; saved games."""
    networks = serial_networks()
    names = [scenario.name for scenario in networks]
    if not names:
        st.error("No serial network is shipped with this installation.", icon=":material/error:")
        return
    state = st.session_state
    if state.get("beer_network") not in names:
        state["beer_network"] = DEFAULT_NETWORK if DEFAULT_NETWORK in names else names[0]
    columns = st.columns([2, 1, 1])
    chosen = columns[0].selectbox(
        "Network", names, key="beer_network", help="The shipped serial networks (a chain of warehouses)."
    )
    scenario = networks[names.index(chosen)]
    network = scenario.network
    seats = list(network.names)
    if state.get("beer_seat") not in seats:
        state["beer_seat"] = DEFAULT_SEAT if DEFAULT_SEAT in seats else seats[-1]
    columns[1].selectbox("Your seat", seats, key="beer_seat", help="The warehouse you run, from the top of the chain.")
    columns[2].number_input("Seed of the demand", min_value=0, max_value=2**31 - 1, step=1, key="beer_seed")
    st.caption(scenario.description)
    runs = agent_runs(listed_runs(str(root)), network)
    choices = [choice for choice in CO_PLAYERS if choice != "agents" or runs]
    choices = [choice for choice in choices if choice != "sterman" or applicable("sterman", network) is None]
    if state.get("beer_co_players") not in choices:
        state["beer_co_players"] = "agents" if runs else "base-stock"
    co_players = st.radio(
        "Who plays the other seats",
        choices,
        format_func=CO_PLAYER_CHOICES.get,
        key="beer_co_players",
        horizontal=True,
    )
    if not runs:
        st.caption(
            f"No run under `{root}` has agents trained on {chosen} yet: train them with "
            f"`{START_HINT.format(network=chosen)}` to play against them."
        )
    if co_players == "agents":
        labels = {found.run.relative: found for found in runs}
        if state.get("beer_run") not in labels:
            state["beer_run"] = next(iter(labels))
        picked = st.selectbox("Run", list(labels), format_func=lambda relative: labels[relative].label, key="beer_run")
        record = labels[picked].record
        if record.seat is not None:
            others = CO_PLAYER_WORDS.get(record.co_players or "", record.co_players)
            st.caption(
                f"This run trained one agent, in the {record.seat}'s seat; the other seats play {others}, as in "
                "its training."
            )
        else:
            st.caption(f"This run's {record.agents} agents play every seat but yours.")
    st.button("Start the game", key="beer_start", type="primary", on_click=start_game, args=(root,))
    games = saved_games(root)
    if games:
        st.subheader("Resume a saved game")
        by_id = {game.game_id: game for game in games}
        st.selectbox("Saved games", list(by_id), format_func=lambda game_id: by_id[game_id].label, key="beer_resume")
        st.button("Resume", key="beer_resume_button", on_click=resume_game, args=(root,))
        st.caption(f"Games are saved after every week in `{game_folder(root)}`.")


# ---------------------------------------------------------------------------- the game
def seat_cards(game: BeerGame) -> list[Metric]:
    """What the person sees at the table: their stock and backorders, this week's order and shipment,
    what they ordered and have not received, their cost."""
    view = game.view()
    played = view.week > 0
    network = game.network
    below = [network.names[child] for child in network.children[game.seat]]
    owed = "your customers" if network.nodes[game.seat].has_customers else f"the {' and the '.join(below)}"
    return [
        Metric("Your stock", f"{view.stock:,}", help="Units on your shelf now."),
        Metric("Your backorders", f"{view.backorders:,}", help=f"Units you owe {owed}; they cost more than stock."),
        Metric(
            "Order received",
            f"{view.incoming:,}" if played else "–",
            help="What your customers asked for this week."
            if network.nodes[game.seat].has_customers
            else f"The order of the {' and the '.join(below)} that reached you this week.",
        ),
        Metric("Shipment received", f"{view.shipment:,}" if played else "–", help="What arrived on your shelf."),
        Metric(
            "Ordered, not received",
            f"{view.on_the_way:,}",
            help="Your orders on their way to your supplier, owed by it, or in transit to you.",
        ),
        Metric(
            "Your cost",
            f"{view.total_cost:,.2f}",
            f"{view.cost:,.2f} this week" if played else None,
            delta_color="off",
        ),
    ]


def render_order_form(root: Path, game: BeerGame) -> None:
    """The week's order: one whole number, typed; Enter or the button places it."""
    with st.form("beer_order_form", border=False, enter_to_submit=True):
        columns = st.columns([2, 1], vertical_alignment="bottom")
        columns[0].text_input(
            f"Your order for week {min(game.week + 1, game.weeks)} (units)",
            key="beer_order",
            placeholder="the game is over" if game.over else "e.g. 4",
            help=f"A whole number from 0 to {game.bound} ({ORDER_BOUND_FACTOR} times the largest weekly demand).",
        )
        columns[1].form_submit_button(
            "Place order", type="primary", on_click=place_order, args=(root,), width="stretch"
        )


def render_game(root: Path, game: BeerGame) -> None:
    """The table from the person's seat, and the end of the game when it is over."""
    seat = game.setup.seat
    path = game_path(root, game.game_id)
    st.markdown(
        f"You run the **{seat}** in `{game.setup.network}` (seed {game.setup.seed}); the other seats: "
        f"{game.co_players_label}."
    )
    if game.over:
        st.subheader(f"The game is over: {game.weeks} weeks played")
        st.info(
            f"The game is over after week {game.weeks}: it takes no more orders. Start a new game to play again.",
            icon=":material/flag:",
        )
    else:
        st.subheader(f"Week {game.week + 1} of {game.weeks}")
    draw_metrics(seat_cards(game), per_row=3)
    st.caption(f"{game.supply_text()} {game.costs_text()}")
    render_order_form(root, game)
    saved = f"saved in `{path}`" if game.saved_weeks == game.week and game.week else "saved after every week"
    st.caption(f"Game `{game.game_id}`, {saved}: reloading this page resumes it.")
    st.button("New game", key="beer_new", on_click=leave_game, help="Put this game down (it stays saved).")
    record = game.record()
    if record:
        st.markdown("**Your weeks** (what you saw each week, and what you ordered)")
        frame = pd.DataFrame(record).set_index("week")
        left, right = st.columns([3, 2])
        with left:
            colors = {"order received": "#f58518", "your order": "#e45756", "stock": "#4c78a8", "backorders": "#9d755d"}
            st.markdown(legend_html(colors), unsafe_allow_html=True)
            series = {name: frame[name].to_numpy() for name in colors}
            spec = daily_lines_spec("units", ",.0f", colors)
            spec["layer"][0]["encoding"]["x"]["title"] = "week"
            chart(daily_series(series), spec)
        with right:
            st.dataframe(frame, width="stretch", height=260)
    if game.over:
        render_end(root, game)


# ---------------------------------------------------------------------------- the end
def end_results(root: Path, game: BeerGame) -> dict:
    """The finished game against others in the person's seat, on the same demand with the same
    co-players: the run's agent (where it can play that seat), base-stock, Sterman's rule; and the optimum."""
    network, setup = game.network, game.setup
    trace = game.trace()
    rows = {"You": (trace.total_cost(game.seat), trace.total_cost())}
    notes = []
    if setup.co_players == "agents":
        record = run_network(root / (setup.run or ""))
        if record is not None and record.seat not in (None, setup.seat):
            notes.append(f"The run's agent was trained for the {record.seat}'s seat only: it does not play yours.")
        else:
            co_players, _ = co_players_for(root, setup, network)
            other = play_seat(network, setup.seat, None, co_players, setup.seed)
            rows["The agent in your seat"] = (other.total_cost(game.seat), other.total_cost())
    else:
        notes.append("No trained agent sat at the table: choose a run's agents as co-players to see one in your seat.")
    contenders = {"Base-stock (tuned) in your seat": "base-stock", "Sterman's rule in your seat": "sterman"}
    for label, rule in contenders.items():
        if applicable(rule, network) is not None:
            continue
        co_players, _ = co_players_for(root, setup, network)
        other = play_seat(network, setup.seat, rule_player(rule, network), co_players, setup.seed)
        rows[label] = (other.total_cost(game.seat), other.total_cost())
    return {"rows": rows, "notes": notes, "optimum": optimum_line(network, setup.seed)}


def render_end(root: Path, game: BeerGame) -> None:
    """Your cost beside the others' in your seat, the chain against the optimum, the bullwhip chart."""
    state = st.session_state
    stored = state.get(RESULTS_KEY)
    if stored is None or stored[0] != (game.game_id, game.week):
        try:
            with st.spinner("Playing your weeks again with others in your seat..."):
                results = end_results(root, game)
        except GAME_ERRORS as error:
            st.error(f"The comparison cannot be played: {error}", icon=":material/error:")
            return
        state[RESULTS_KEY] = ((game.game_id, game.week), results)
    else:
        results = stored[1]
    seat = game.setup.seat
    st.subheader("Your score")
    table = pd.DataFrame(
        {
            f"{seat}'s cost": {label: f"{mine:,.2f}" for label, (mine, _) in results["rows"].items()},
            "the chain's cost": {label: f"{chain:,.2f}" for label, (_, chain) in results["rows"].items()},
        }
    )
    st.dataframe(table, width="stretch")
    st.caption(
        "Each row plays the same weeks on the same demand with the same co-players in the other seats; only "
        "who sits in yours differs. Lower is better."
    )
    for note in results["notes"]:
        st.caption(note)
    trace = game.trace()
    st.markdown(results["optimum"].text(trace.total_cost(), game.weeks))
    you = f"you ({seat})"
    labels = {seat: you}
    colors = node_colors([labels.get(name, name) for name in game.network.names], you)
    st.subheader("The bullwhip: every seat's orders above the customers' demand, yours in red")
    draw_bullwhip(bullwhip_panels(trace, labels), game.weeks, colors)
    with st.expander("The whole chain, week by week (hidden from you while you played)"):
        draw_node_charts(trace, node_colors(game.network.names, seat))


# ---------------------------------------------------------------------------- the page
def session_game(root: Path) -> BeerGame | None:
    """This session's game: the one in ``st.session_state``, else the one the address names (a reload),
    resumed from its saved file; the address then names the session's game."""
    state = st.session_state
    game: BeerGame | None = state.get(GAME_KEY)
    wanted = st.query_params.get(QUERY_KEY)
    if game is None and wanted:
        try:
            game = state[GAME_KEY] = resume(root, wanted)
        except GAME_ERRORS as error:
            st.warning(f"The game in this page's address cannot be resumed: {error}", icon=":material/warning:")
            del st.query_params[QUERY_KEY]
    if game is not None and wanted != game.game_id:
        st.query_params[QUERY_KEY] = game.game_id
    elif game is None and QUERY_KEY in st.query_params:
        del st.query_params[QUERY_KEY]
    return game


def render_beer_game(root: Path) -> None:
    """The Beer Game page for the log directory ``root``."""
    st.header(":material/sports_bar: The Beer Game")
    game = session_game(root)
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message is not None:
        kind, text = message
        icons = {"error": ":material/error:", "warning": ":material/warning:", "success": ":material/check:"}
        getattr(st, kind)(text, icon=icons.get(kind))
    if game is None:
        st.markdown(
            "Run one warehouse of a chain for every week of the game: each week you see what a player at "
            "the table sees (your stock, your backorders, the order that reached you, the shipment that "
            "arrived, what you have ordered) and place one order. The other seats are played for you."
        )
        render_setup(root)
    else:
        render_game(root, game)


def page() -> None:
    """The Beer Game page (``pages/beer_game.py`` runs it); its games live under the log directory."""
    render_beer_game(current_log_dir())
