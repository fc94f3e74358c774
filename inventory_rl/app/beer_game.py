"""The Beer Game against the agents, without Streamlit: a person takes one seat of a serial network
(``beer-game-classic`` by default) and orders each week; co-players take the other seats.

``BeerGame`` steps ``world.networks.Networks`` with ``step_units``: each week the co-players' policy
(a ``NetworkPolicy`` deciding every node: a run's trained agents, tuned base-stock or Sterman's rule)
decides, the person's order replaces the one of their seat, and the week is played. What the person
sees is what a player at the table sees (``SeatView``): their stock and backorders, the order that
reached them, the shipment that arrived, what they shipped, what they ordered and have not received,
and their own cost; the rest of the chain only when the game is over.

Orders are whole units from 0 to ``order_bound`` (10 times the largest weekly demand); anything else,
and an order after the last week, is an ``OrderError`` with one line saying why.

At the end, ``play_seat`` plays the same weeks again (the same demand, the same co-players) with a
policy in the person's seat (the run's agent, base-stock, Sterman's rule), and ``optimum_line`` sets the
chain's total against the exact optimum where ``policies.network_optimum`` knows it.

A game is a few numbers (``GameSetup``) and the person's orders: it is saved as JSON under the log
directory's ``beer_games/`` folder, in files named ``game-<12 hex digits>.json`` by the app
(``save_game``; written atomically), and resumed by playing the orders again (``replay``), which
gives the same weeks: the demand comes from the seed and the co-players decide deterministically.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inventory_rl.app.network_days import NetworkTrace, TraceRecorder, play_trace
from inventory_rl.evaluation.episodes import generators
from inventory_rl.policies.network_optimum import serial_optimum, serial_problem
from inventory_rl.policies.network_rules import NetworkPolicy, make_network_rule
from inventory_rl.runs.files import write_json_atomic
from inventory_rl.world.network import NetworkConfig
from inventory_rl.world.networks import Networks

GAME_DIR = "beer_games"  # under the log directory
GAME_ID = re.compile(r"^[0-9a-f]{12}$")
GAME_KIND = "inventory-rl beer game"
GAME_VERSION = 1
ORDER_BOUND_FACTOR = 10  # an order may be up to this many times the largest weekly demand
CO_PLAYERS = ("agents", "base-stock", "sterman")
MAX_GAME_BYTES = 1_000_000  # a saved game is a few kilobytes


class OrderError(ValueError):
    """An order the game does not take; the message is one line saying why."""


class SavedGameError(ValueError):
    """A saved game that cannot be resumed; the message is one line."""


# ---------------------------------------------------------------------------- the setup
@dataclass(frozen=True)
class GameSetup:
    """What a game is played on: a shipped serial network (by name), the person's seat, who plays the
    other seats (``CO_PLAYERS``: ``agents`` of the run at ``run``, the path relative to the log
    directory; ``base-stock``; ``sterman``) and the seed of the demand."""

    network: str
    seat: str
    co_players: str
    run: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.co_players not in CO_PLAYERS:
            raise SavedGameError(f"co-players must be one of {', '.join(CO_PLAYERS)}, not {self.co_players!r}")
        if (self.co_players == "agents") != (self.run is not None):
            raise SavedGameError("a run is named exactly when its agents are the co-players")
        if self.run is not None and (Path(self.run).is_absolute() or ".." in Path(self.run).parts):
            raise SavedGameError(f"a run is a folder below the log directory, not {self.run!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, as a saved game holds it."""
        return {
            "network": self.network,
            "seat": self.seat,
            "co_players": self.co_players,
            "run": self.run,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, values: Any) -> GameSetup:
        """Inverse of ``to_dict``; ``SavedGameError`` (one line) for anything else."""
        if not isinstance(values, Mapping):
            raise SavedGameError("the game's setup is not a JSON object")
        try:
            network, seat, co_players = (str(values[key]) for key in ("network", "seat", "co_players"))
            run = values.get("run")
            seed = values.get("seed", 0)
        except KeyError as error:
            raise SavedGameError(f"the game's setup has no {error.args[0]!r}") from None
        if run is not None and not isinstance(run, str):
            raise SavedGameError("the game's run must be a folder's name")
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
            raise SavedGameError(f"the game's seed must be a whole number from 0, got {seed!r}")
        return cls(network, seat, co_players, run, seed)


def order_bound(network: NetworkConfig) -> int:
    """The largest order the game takes: ``ORDER_BOUND_FACTOR`` times the largest weekly demand the
    customers can have (their ``max_demand``)."""
    largest = max((node.config.max_demand for node in network.nodes if node.has_customers), default=1)
    return ORDER_BOUND_FACTOR * max(int(largest), 1)


def parse_order(text: str | float | int | None, bound: int) -> int:
    """The order a person typed, as whole units from 0 to ``bound``; ``OrderError`` saying why not."""
    shown = str(text).strip() if text is not None else ""
    if not shown:
        raise OrderError("Type your order: a whole number of units, 0 or more.")
    try:
        value = float(shown.replace(",", "").replace("_", ""))
    except ValueError:
        raise OrderError(f"{shown!r} is not a number: type a whole number of units, 0 or more.") from None
    if not math.isfinite(value):
        raise OrderError(f"{shown} is not a number of units: type a whole number, 0 or more.")
    if value < 0:
        raise OrderError(f"{shown}: an order cannot be negative; to order nothing, type 0.")
    if value != int(value):
        raise OrderError(f"{shown}: beer comes in whole units (cases); type a whole number.")
    if value > bound:
        raise OrderError(
            f"{shown} is more than {bound} units, {ORDER_BOUND_FACTOR} times the largest weekly demand: "
            "surely a typo? Order at most that."
        )
    return int(value)


def fresh_policy(policy: NetworkPolicy) -> NetworkPolicy:
    """A copy of ``policy`` with its own episode state, sharing any trained model (its network is not
    copied: the model holds no episode state)."""
    model = getattr(policy, "model", None)
    return copy.deepcopy(policy, {} if model is None else {id(model): model})


# ---------------------------------------------------------------------------- what the player sees
@dataclass(frozen=True)
class SeatView:
    """What the person sees at the table after ``week`` weeks (0: before the first order)."""

    week: int
    weeks: int
    stock: int
    backorders: int  # owed to the customers (retailer) or to the stage below
    incoming: int  # the order that reached the person this week (the customers' demand at the retailer)
    shipment: int  # the shipment that arrived this week
    shipped: int  # what the person shipped this week
    on_the_way: int  # ordered and not yet received (on its way to the supplier, owed, or in transit)
    cost: float  # this week's cost
    total_cost: float  # the person's cost so far


def seat_view(trace: NetworkTrace, seat: int) -> SeatView:
    """The seat's view at the end of the trace's last week."""
    week, network = trace.days, trace.network
    shipped = trace.sales[week, seat] + sum(trace.shipped_in[week, child] for child in network.children[seat])
    return SeatView(
        week=week,
        weeks=network.episode_days,
        stock=int(trace.stock[week, seat]),
        backorders=int(trace.backlog[week, seat]),
        incoming=int(trace.orders_received[week, seat]),
        shipment=int(trace.received[week, seat]),
        shipped=int(shipped),
        on_the_way=int(trace.on_the_way[week, seat]),
        cost=float(trace.cost[week, seat]),
        total_cost=trace.total_cost(seat),
    )


def seat_record(trace: NetworkTrace, seat: int) -> list[dict[str, float]]:
    """The person's record sheet, one row per week played: what reached them, what they shipped, their
    stock and backorders at the end of the week, their order and their cost."""
    network = trace.network
    rows = []
    for week in range(1, trace.days + 1):
        shipped = trace.sales[week, seat] + sum(trace.shipped_in[week, child] for child in network.children[seat])
        rows.append(
            {
                "week": week,
                "order received": int(trace.orders_received[week, seat]),
                "shipment received": int(trace.received[week, seat]),
                "shipped": int(shipped),
                "stock": int(trace.stock[week, seat]),
                "backorders": int(trace.backlog[week, seat]),
                "your order": int(trace.ordered[week, seat]),
                "cost": round(float(trace.cost[week, seat]), 2),
            }
        )
    return rows


# ---------------------------------------------------------------------------- the game
class BeerGame:
    """One person in ``seat`` of ``network``; ``co_players`` (a fresh ``NetworkPolicy`` that decides every
    node) play the other seats, on the demand of ``seed``. ``game_id`` names its saved file."""

    def __init__(
        self,
        network: NetworkConfig,
        setup: GameSetup,
        co_players: NetworkPolicy,
        co_players_label: str,
        game_id: str | None = None,
    ) -> None:
        if setup.seat not in network.names:
            raise SavedGameError(f"no seat {setup.seat!r} in {setup.network}; the seats are {', '.join(network.names)}")
        self.network, self.setup = network, setup
        self.seat = network.index[setup.seat]
        self.co_players, self.co_players_label = co_players, co_players_label
        self.game_id = game_id or new_game_id()
        self.bound = order_bound(network)
        self.sim = Networks(network, 1)
        self.sim.reset(generators([setup.seed]))
        co_players.reset(self.sim)
        self.recorder = TraceRecorder(self.sim)
        self.orders: list[int] = []
        self.placed: list[int] = []  # what the person asked for (``orders`` holds what was accepted)
        self.saved_weeks = 0  # how many weeks the saved file held when this session last wrote or read it
        self._trace: NetworkTrace | None = None

    @property
    def weeks(self) -> int:
        """Weeks in a game."""
        return self.network.episode_days

    @property
    def week(self) -> int:
        """Weeks played (0 before the first order)."""
        return len(self.orders)

    @property
    def over(self) -> bool:
        """Every week is played."""
        return self.week >= self.weeks

    def place_order(self, units: int | str) -> int:
        """Play one week with the person's order of ``units`` (a number, or the text they typed):
        the co-players decide, the person's order replaces their seat's. Returns the units accepted
        (fewer than ordered only where the warehouse's capacity cuts the order). ``OrderError`` (one
        line) for a bad order or a finished game; nothing is played then."""
        if self.over:
            raise OrderError(
                f"The game is over: all {self.weeks} weeks are played, so it takes no more orders. "
                "Start a new game to play again."
            )
        units = parse_order(units, self.bound)
        orders, transfers = self.co_players.decide(self.sim)
        orders = np.array(orders, np.int64)
        orders[0, self.seat, :] = units
        day = self.sim.step_units(orders, transfers)
        self.recorder.add(day)
        accepted = int(day.ordered[self.seat][0].sum())
        self.orders.append(accepted)
        self.placed.append(units)
        self._trace = None
        return accepted

    def trace(self) -> NetworkTrace:
        """The weeks played so far, every seat's (the person sees only theirs until the end)."""
        if self._trace is None or self._trace.days != self.week:
            self._trace = self.recorder.trace("you", self.setup.seed)
        return self._trace

    def view(self) -> SeatView:
        """What the person sees now."""
        return seat_view(self.trace(), self.seat)

    def record(self) -> list[dict[str, float]]:
        """The person's record sheet so far."""
        return seat_record(self.trace(), self.seat)

    def supply_text(self) -> str:
        """When an order placed now arrives, in words, from the seat's supply lane."""
        lane = self.network.supply_lanes[self.seat]
        source = "the brewery's supplier" if lane.source == "supplier" else f"the {lane.source}"
        delay = (
            f"reaches {source} {lane.order_delay} week{'s' if lane.order_delay != 1 else ''} later and "
            if lane.order_delay
            else ""
        )
        return (
            f"An order you place now {delay}is shipped from what {source} has; a shipment takes "
            f"{lane.lead_time} week{'s' if lane.lead_time != 1 else ''} to reach you."
        )

    def costs_text(self) -> str:
        """What a week costs the person: holding their stock, owing units."""
        config = self.network.nodes[self.seat].config
        owe = "the customers" if self.network.nodes[self.seat].has_customers else "the stage below"
        return (
            f"Each week costs {config.holding_cost:g} per unit in stock and {config.backorder_cost:g} per unit "
            f"you owe {owe}."
        )

    # -------------------------------------------------------------- saving
    def to_dict(self) -> dict[str, Any]:
        """The game as its saved file holds it: its setup and the person's orders (and, for reading the
        folder, the week, the cost so far and when it was saved)."""
        return {
            "kind": GAME_KIND,
            "version": GAME_VERSION,
            "id": self.game_id,
            "setup": self.setup.to_dict(),
            "orders": list(self.placed),
            "weeks": self.weeks,
            "your_cost": round(self.view().total_cost, 2),
            "saved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }


def replay(game: BeerGame, orders: Sequence[int]) -> BeerGame:
    """``game`` (new, nothing played) after the person's ``orders``: the weeks they played, again."""
    if len(orders) > game.weeks:
        raise SavedGameError(f"the saved game has {len(orders)} orders for {game.weeks} weeks")
    for units in orders:
        try:
            game.place_order(units)
        except OrderError as error:
            raise SavedGameError(f"a saved order cannot be played again: {error}") from None
    game.saved_weeks = game.week
    return game


# ---------------------------------------------------------------------------- the end
def play_seat(
    network: NetworkConfig, seat: str, seat_policy: NetworkPolicy | None, co_players: NetworkPolicy, seed: int
) -> NetworkTrace:
    """The game with ``seat_policy`` in ``seat`` instead of the person (None: the co-players play it too):
    the same demand (``seed``) and the same co-players, who decide every week as they did against the
    person. Both policies must be fresh (``fresh_policy``)."""
    sim = Networks(network, 1)
    sim.reset(generators([seed]))
    co_players.reset(sim)
    if seat_policy is not None:
        seat_policy.reset(sim)
    recorder = TraceRecorder(sim)
    index = network.index[seat]
    for _ in range(network.episode_days):
        orders, transfers = co_players.decide(sim)
        if seat_policy is not None:
            mine, _ = seat_policy.decide(sim)
            orders = np.array(orders, np.int64)
            orders[:, index] = mine[:, index]
        recorder.add(sim.step_units(orders, transfers))
    return recorder.trace(seat, seed)


@dataclass(frozen=True)
class OptimumLine:
    """The chain against the exact optimum: the optimal echelon levels' cost over the same weeks (and
    their long-run expected cost), or why the optimum is not known for this network."""

    trace: NetworkTrace | None
    expected: float | None  # the long-run cost per week of the optimum
    reason: str | None

    def text(self, chain_cost: float, weeks: int) -> str:
        """The comparison in one line of Markdown."""
        if self.trace is None:
            return f"No exact optimum for this network: {self.reason}."
        optimal = self.trace.total_cost()
        gap = f" ({100 * (chain_cost / optimal - 1):+.0f}%)" if optimal > 0 else ""
        return (
            f"The chain cost **{chain_cost:,.2f}** over {weeks} weeks; the optimum (Clark-Scarf echelon base-stock "
            f"at every seat) costs **{optimal:,.2f}** on the same demand{gap}, and {self.expected:,.2f} a week "
            "in the long run."
        )


def optimum_line(network: NetworkConfig, seed: int) -> OptimumLine:
    """``OptimumLine`` of ``network`` on the demand of ``seed``; for a demand step (``beer-game-classic``'s
    4 a week, then 8) the reason says so first."""
    _, reason = serial_problem(network)
    if reason is not None:
        steps = [node.config for node in network.nodes if node.has_customers and node.config.step_day]
        if steps:
            config = steps[0]
            reason = (
                f"its demand steps from {config.rate_low:g} to {config.rate_low * config.step_factor:g} a week in week "
                f"{config.step_day}, and the known optimum is for stationary demand ({reason})"
            )
        return OptimumLine(None, None, reason)
    trace = play_trace(make_network_rule("optimal", network), seed, "optimum")
    return OptimumLine(trace, serial_optimum(network).cost, None)


# ---------------------------------------------------------------------------- files
def new_game_id() -> str:
    """A new game's id: 12 random hex digits (its file is ``game-<id>.json``)."""
    return secrets.token_hex(6)


def game_folder(root: Path) -> Path:
    """Where the games of the log directory ``root`` are saved."""
    return root / GAME_DIR


def game_path(root: Path, game_id: str) -> Path:
    """The saved file of game ``game_id`` under ``root``; ``SavedGameError`` for an id the app did not make
    (so nothing typed into a URL names another file)."""
    if not isinstance(game_id, str) or not GAME_ID.match(game_id):
        raise SavedGameError(f"{game_id!r} is not a game of this dashboard (a game is 12 hex digits)")
    return game_folder(root) / f"game-{game_id}.json"


def read_game(root: Path, game_id: str) -> dict[str, Any]:
    """The saved game ``game_id`` under ``root`` (``SavedGameError``, one line, if missing or broken)."""
    path = game_path(root, game_id)
    try:
        if path.stat().st_size > MAX_GAME_BYTES:
            raise SavedGameError(f"{path.name} is too large to be a saved game")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SavedGameError(f"no saved game {game_id} in {game_folder(root)}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SavedGameError(f"{path.name} cannot be read ({type(error).__name__})") from None
    if not isinstance(data, dict) or data.get("kind") != GAME_KIND:
        raise SavedGameError(f"{path.name} is not a saved beer game")
    orders = data.get("orders")
    if not isinstance(orders, list) or not all(
        isinstance(units, int) and not isinstance(units, bool) for units in orders
    ):
        raise SavedGameError(f"{path.name}: its orders must be a list of whole numbers")
    data["setup"] = GameSetup.from_dict(data.get("setup"))
    data["id"] = game_id
    return data


def save_game(root: Path, game: BeerGame) -> Path:
    """Save ``game`` under ``root`` (atomically) and return its file. If another browser tab played the
    same saved game further meanwhile (its file holds more weeks than this session last saw), this one
    becomes a new game with a new id rather than overwrite the other's weeks."""
    path = game_path(root, game.game_id)
    try:
        on_disk = read_game(root, game.game_id)
    except SavedGameError:
        on_disk = None
    if on_disk is not None and len(on_disk["orders"]) > game.saved_weeks:
        game.game_id = new_game_id()
        path = game_path(root, game.game_id)
    write_json_atomic(path, game.to_dict())
    game.saved_weeks = game.week
    return path


@dataclass(frozen=True)
class SavedGame:
    """A saved game as the resume list shows it."""

    game_id: str
    setup: GameSetup
    week: int
    weeks: int
    saved: str
    your_cost: float | None

    @property
    def over(self) -> bool:
        return self.week >= self.weeks

    @property
    def label(self) -> str:
        """``beer-game-classic · wholesaler vs sterman · week 12 of 36 · saved 2026-12-06 15:40``."""
        against = f"run {self.setup.run}" if self.setup.run else self.setup.co_players
        state = "finished" if self.over else f"week {self.week} of {self.weeks}"
        saved = self.saved[:16].replace("T", " ")
        return f"{self.setup.network} · {self.setup.seat} vs {against} · {state} · saved {saved}"


def saved_games(root: Path) -> list[SavedGame]:
    """The games saved under ``root`` (only files named as the app names them), newest first; files
    that cannot be read are passed over."""
    found = []
    try:
        paths = sorted(game_folder(root).glob("game-*.json"))
    except OSError:
        return []
    for path in paths:
        game_id = path.stem.removeprefix("game-")
        if not GAME_ID.match(game_id):
            continue
        try:
            data = read_game(root, game_id)
        except SavedGameError:
            continue
        cost = data.get("your_cost")
        found.append(
            SavedGame(
                game_id,
                data["setup"],
                len(data["orders"]),
                int(data.get("weeks") or 0),
                str(data.get("saved", "")),
                float(cost) if isinstance(cost, int | float) else None,
            )
        )
    return sorted(found, key=lambda game: game.saved, reverse=True)
