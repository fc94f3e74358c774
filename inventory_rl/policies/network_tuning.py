"""Tuning a network rule's parameters by simulation: a search over every node's levels at once, not a grid.

A grid over n nodes' levels grows as (levels per node)^n; the search here grows with n. **Method: steepest
coordinate descent** on the rule's parameters (``coordinates``: each free node's cover, and its s-S gap; the
transfer rule's ``z``). From the untuned start (``network_rules.untuned``), every move of one parameter by
``MOVES`` steps (a step is one unit of the node's level where its demand rate is stated, 0.1 day of demand
where it is estimated, 0.25 for ``z``) is played on the same tuning episodes (common random numbers: the
candidates differ by their decisions, not by their luck), all moves of a round at once as one batch of
networks; the best move is taken if it lowers the mean cost per day, and the search stops when no move does
(a local minimum on the tuning episodes: no parameter moved alone by 1, 2, 4 or 8 steps helps, nor every
node's parameter of one kind moved together) or after ``MAX_ROUNDS`` rounds (the budget: at most
``MAX_ROUNDS x 8 x (parameters + kinds)`` candidates).

Seeds: tuning plays ``TUNING_SEED + k`` (900,000 + k, as ``rule_tuning`` does), enough episodes for
``TUNING_DAYS`` network-days; evaluation plays 1000 + k: the two never meet. Results are cached under the
user cache folder (``network-rules/``), keyed by the rule, the network's ``to_dict`` and the method's version,
with the method, its budget and the time it took, so ``evaluate.py`` and the bench report them.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from inventory_rl.evaluation.network_episodes import score_network
from inventory_rl.policies.network_rules import (
    TUNABLE,
    WAREHOUSE_RULES,
    NetworkPolicy,
    NetworkRule,
    SeatPolicy,
    describe,
    fixed_rates,
    make_network_rule,
    parameter_sequence,
    untuned,
)
from inventory_rl.policies.rule_tuning import TUNING_SEED
from inventory_rl.runs.files import cache_dir, cached_json
from inventory_rl.world.network import NetworkConfig

METHOD_VERSION = 1  # bump when the search changes: cached tunings are then redone
TUNING_DAYS = 3_000  # network-days each candidate plays (at least 16 episodes)
MOVES = (-8, -4, -2, -1, 1, 2, 4, 8)  # steps a parameter moves by in one round
MAX_ROUNDS = 40
ESTIMATED_STEP = 0.1  # days of demand: the cover step where the rate is estimated
Z_STEP = 0.25
METHOD = (
    "steepest coordinate descent: one parameter, or every node's together, moved 1, 2, 4 or 8 steps; "
    "common random numbers"
)


@dataclass(frozen=True)
class Coordinate:
    """One parameter of a search: ``key`` (``cover``, ``gap``, ``z``) of ``node`` (None: the network's),
    moved by ``step`` and never below ``low``."""

    key: str
    node: int | None
    step: float
    low: float


@dataclass(frozen=True)
class NetworkTuned:
    """A rule's tuned parameters, the cost per day they reached on the tuning episodes (and the untuned
    start's), and how: the method, the rounds it took, the candidates it played, the episodes each played."""

    rule: str
    parameters: dict[str, Any]  # per node lists (None where unused) or numbers
    score: float
    start_score: float
    method: str
    rounds: int
    candidates: int
    episodes: int
    seconds: float

    def describe(self, network: NetworkConfig) -> str:
        """``cover: factory 5.2, dc 3`` and the like."""
        return describe(self.rule_parameters(), network)

    def rule_parameters(self) -> dict[str, Any]:
        """The parameters as ``make_network_rule`` takes them (arrays per node, nan where unused)."""
        return {
            key: np.array([math.nan if v is None else v for v in value], np.float64)
            if isinstance(value, list)
            else value
            for key, value in self.parameters.items()
        }


def tuning_seeds(network: NetworkConfig) -> list[int]:
    """The seeds of the tuning episodes: enough for ``TUNING_DAYS`` days, at least 16."""
    episodes = max(16, math.ceil(TUNING_DAYS / network.episode_days))
    return list(range(TUNING_SEED, TUNING_SEED + episodes))


def coordinates(name: str, network: NetworkConfig) -> list[Coordinate]:
    """The parameters tuning moves for rule ``name``: a cover (and an s-S gap) per node that decides its
    order size (the nodes in fill mode, and under a single-warehouse rule the nodes where customers buy, follow
    that rule), then the transfer rule's ``z``."""
    if name not in TUNABLE:
        return []
    rates = fixed_rates(network)  # a node's stated rate: its level moves one unit a step
    steps = [ESTIMATED_STEP if rate is None or rate <= 0 else 1.0 / rate for rate in rates]
    found = []
    for key in TUNABLE[name]:
        if key == "z":
            found.append(Coordinate("z", None, Z_STEP, -3.0))
            continue
        for i, node in enumerate(network.nodes):
            decides = node.config.order_mode == "free" and not (name in WAREHOUSE_RULES and node.has_customers)
            if decides:
                found.append(Coordinate(key, i, steps[i], 0.0))
    return found


def _start(name: str, network: NetworkConfig, axes: list[Coordinate]) -> np.ndarray:
    """The untuned parameters as a vector over ``axes``, each on its grid of steps."""
    values = untuned(name, network)
    start = np.array([values[a.key] if a.node is None else values[a.key][a.node] for a in axes], np.float64)
    return np.array([round(value / a.step) * a.step for value, a in zip(start, axes, strict=True)])


def _parameters(name: str, network: NetworkConfig, axes: list[Coordinate], vectors: np.ndarray) -> dict[str, Any]:
    """Per-row parameters for candidate ``vectors`` ``(rows, len(axes))``: per node ``(rows, n_nodes)`` (nan
    where the rule does not set the node) and per network ``(rows,)``."""
    rows, n = len(vectors), len(network.nodes)
    values: dict[str, Any] = {}
    for key in TUNABLE[name]:
        values[key] = np.zeros(rows) if key == "z" else np.full((rows, n), np.nan)
    for j, axis in enumerate(axes):
        if axis.node is None:
            values[axis.key] = vectors[:, j]
        else:
            values[axis.key][:, axis.node] = vectors[:, j]
    return values


def _scores(
    name: str, network: NetworkConfig, axes: list[Coordinate], vectors: np.ndarray, seeds: list[int]
) -> np.ndarray:
    """Each candidate's mean cost per day over the tuning seeds, all candidates as one batch."""
    rows = np.repeat(vectors, len(seeds), axis=0)
    rule = make_network_rule(name, network, **_parameters(name, network, axes, rows))
    costs = score_network(rule, seeds * len(vectors))
    return costs.reshape(len(vectors), len(seeds)).mean(axis=1)


def _moves(current: np.ndarray, axes: list[Coordinate]) -> list[np.ndarray]:
    """A round's candidates: each parameter moved alone by each of ``MOVES`` steps, then every node's parameter
    of one kind moved together (levels that rise and fall together, as echelon levels do)."""
    steps = np.array([axis.step for axis in axes])
    moves = []
    for j in range(len(axes)):
        for k in MOVES:
            candidate = current.copy()
            candidate[j] += k * steps[j]
            moves.append(candidate)
    for key in dict.fromkeys(axis.key for axis in axes):
        together = np.array([axis.key == key and axis.node is not None for axis in axes])
        if together.sum() > 1:
            moves.extend(current + together * k * steps for k in MOVES)
    return [np.round(move / steps) * steps for move in moves]


def tune(name: str, network: NetworkConfig) -> NetworkTuned:
    """Tune rule ``name`` on ``network`` by steepest coordinate descent (see the module docstring)."""
    started = time.perf_counter()
    axes = coordinates(name, network)
    seeds = tuning_seeds(network)
    current = _start(name, network, axes)
    best = start = float(_scores(name, network, axes, current[None], seeds)[0])
    rounds, played = 0, 1
    while axes and rounds < MAX_ROUNDS:
        rounds += 1
        moves = [
            move for move in _moves(current, axes) if all(v >= a.low - 1e-12 for v, a in zip(move, axes, strict=True))
        ]
        scores = _scores(name, network, axes, np.array(moves), seeds)
        played += len(moves)
        chosen = int(np.argmin(scores))
        if scores[chosen] >= best - 1e-9 * max(1.0, abs(best)):
            break
        current, best = moves[chosen], float(scores[chosen])
    parameters = _parameters(name, network, axes, current[None])
    shown = {
        key: parameter_sequence(value[0]) if np.ndim(value) == 2 else float(value[0])
        for key, value in parameters.items()
    }
    return NetworkTuned(name, shown, best, start, METHOD, rounds, played, len(seeds), time.perf_counter() - started)


def tuned(name: str, network: NetworkConfig, use_cache: bool = True) -> NetworkTuned:
    """Rule ``name``'s tuned parameters for ``network``, from the cache or tuned now (and saved)."""
    path = cache_dir("network-rules") / f"{name}-{cache_key(name, network)}.json"
    return cached_json(path, lambda: tune(name, network), lambda values: NetworkTuned(**values), asdict, use_cache)


def cache_key(name: str, network: NetworkConfig) -> str:
    """The cache key of a tuning: the rule, the network and everything the search depends on."""
    text = json.dumps(
        [name, network.to_dict(), METHOD_VERSION, TUNING_SEED, TUNING_DAYS, MOVES, MAX_ROUNDS], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tuned_network_rule(
    name: str, network: NetworkConfig, use_cache: bool = True
) -> tuple[NetworkRule, NetworkTuned | None]:
    """Rule ``name`` ready to play ``network``: tuned where it has parameters (``NetworkTuned`` says how)."""
    if name not in TUNABLE:
        return make_network_rule(name, network), None
    result = tuned(name, network, use_cache)
    return make_network_rule(name, network, **result.rule_parameters()), result


SEAT_MOVES = 16  # a seat's level is searched this many steps either side of its tuned level
# ... with its order smoothed over this many days (1: base-stock; proportional order-up-to, network_rules)
SEAT_SMOOTHING = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)
SEAT_EPISODES = 256  # tuning episodes of a seat's search: with 30, smoothing won beside base-stock by noise


def tuned_seat_rule(
    network: NetworkConfig, seat: str, co_players: NetworkPolicy, co_name: str, use_cache: bool = True
) -> NetworkRule:
    """Base-stock for one seat among co-players (``co_name``: their rule's name, for the cache): the
    network's tuned base-stock with the seat's cover and order smoothing (``network_rules``' proportional
    order-up-to) searched anew, every level within ``SEAT_MOVES`` steps of it with every smoothing of
    ``SEAT_SMOOTHING`` played on ``SEAT_EPISODES`` tuning episodes beside the co-players (one batch, common
    random numbers), the cheapest kept: plain base-stock where no smoothing is cheaper. Beside other
    players than the ones it was tuned with, a node's best level moves, and beside Sterman's players, who
    order in waves, ordering steadily pays."""
    base, _ = tuned_network_rule("base-stock", network)
    covers = np.asarray(base.parameters["cover"], np.float64)
    node = network.index[seat]
    axis = next(axis for axis in coordinates("base-stock", network) if axis.node == node)

    def search() -> dict[str, Any]:
        levels = np.maximum(covers[node] + axis.step * np.arange(-SEAT_MOVES, SEAT_MOVES + 1), 0.0)
        levels = np.unique(np.round(levels / axis.step) * axis.step)
        seeds = list(range(TUNING_SEED, TUNING_SEED + SEAT_EPISODES))
        cover = np.broadcast_to(covers, (len(levels) * len(seeds), len(covers))).copy()
        cover[:, node] = np.repeat(levels, len(seeds))
        means = []
        for steadiness in SEAT_SMOOTHING:  # one batch per smoothing (memory); plain base-stock first: ties keep it
            smoothing = np.ones_like(cover)
            smoothing[:, node] = steadiness
            rule = make_network_rule("base-stock", network, cover=cover, smoothing=smoothing)
            costs = score_network(SeatPolicy(rule, co_players, seat), seeds * len(levels))
            means.append(costs.reshape(len(levels), len(seeds)).mean(axis=1))
        best_smoothing, best_level = np.unravel_index(int(np.argmin(means)), (len(SEAT_SMOOTHING), len(levels)))
        cost = float(means[best_smoothing][best_level])
        return {"cover": float(levels[best_level]), "smoothing": SEAT_SMOOTHING[best_smoothing], "cost": cost}

    searched = [METHOD_VERSION, TUNING_SEED, TUNING_DAYS, SEAT_MOVES, SEAT_SMOOTHING, SEAT_EPISODES]
    text = json.dumps([network.to_dict(), seat, co_name, *searched])
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    found = cached_json(cache_dir("network-rules") / f"seat-{key}.json", search, dict, dict, use_cache)
    covers[node] = found["cover"]
    parameters = {"cover": covers}
    if found["smoothing"] != 1.0:  # else base-stock, recorded as the rule always was
        parameters["smoothing"] = np.where(np.arange(len(covers)) == node, found["smoothing"], 1.0)
    return make_network_rule("base-stock", network, **parameters)
