"""Tuning the classic rules' parameters by simulation, on seeds evaluation never uses.

Every candidate of a rule's grid plays the same ``tuning_seeds(config)`` episodes (common random
numbers: the differences between candidates are not drowned by the days' luck), all candidates
at once as one batch of warehouses; the best by the scenario's main metric
(``evaluation.metrics.main_metric``) wins. Tuning uses the training part of a demand file. Results are
saved under ``logs/cache/rules/`` (one JSON file per scenario config and rule), so a rule is
tuned once per scenario and its values can be read and reported.

Seeds: tuning plays seeds ``TUNING_SEED + k``; evaluation plays ``1000 + k`` (``evaluate.py``'s
default) and training seeds its envs ``0 .. n_envs - 1``: the three never meet.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from inventory_rl.evaluation.episodes import score_batch
from inventory_rl.evaluation.metrics import main_metric
from inventory_rl.policies.rules import RULES, TUNABLE, Rule, applicable, make_rule
from inventory_rl.runs.files import cache_dir, cached_json
from inventory_rl.world.config import InventoryConfig

TUNING_SEED = 900_000
GRID_VERSION = 2  # bump when the grids change: cached tunings are then redone
QUANTILES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)
CAPS = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0)  # x the daily rate
FACTORS = tuple(np.round(np.arange(0.6, 1.21, 0.04), 2))  # x the daily rate
DAYS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0)  # of demand between s and S
TUNING_DAYS = 2_000  # warehouse-days each candidate plays (at least 16 episodes)


@dataclass(frozen=True)
class Tuned:
    """A rule's tuned parameters, the main metric they reached on the tuning seeds, and how."""

    rule: str
    parameters: dict[str, float]
    score: float  # the scenario's main metric (fill rate, cost or profit per day)
    candidates: int
    episodes: int
    seconds: float

    def describe(self) -> str:
        """``q=0.93, cap=1.6``: the values, as reported."""
        return ", ".join(f"{name}={value:g}" for name, value in self.parameters.items())


def tuning_seeds(config: InventoryConfig) -> list[int]:
    """The seeds of the tuning episodes: enough for ``TUNING_DAYS`` days, at least 16."""
    episodes = max(16, math.ceil(TUNING_DAYS / config.episode_days))
    return list(range(TUNING_SEED, TUNING_SEED + episodes))


def grid(name: str, config: InventoryConfig) -> list[dict[str, float]]:
    """The candidates of rule ``name`` in ``config``'s scenario. Where the demand rate is fixed and
    known (one product, the lost-sales family), the grids hold every whole level and cap near
    the demand, so that each integer policy of the literature is tried."""
    fixed = config.rates_known and config.rate_low == config.rate_high and not config.has_varying_rates
    quantiles, caps, factors = list(QUANTILES), list(CAPS), list(FACTORS)
    if fixed and config.rate_low > 0:
        rate, days = config.rate_low, config.max_lead_time
        quantiles = _level_quantiles(rate * days, days * config.max_demand)
        caps = [units / rate for units in range(max(math.floor(0.8 * rate), 1), math.ceil(2.5 * rate) + 1)]
        factors = [units / rate for units in range(1, math.ceil(rate) + 1)]
    axes = {"q": quantiles, "cap": caps, "factor": factors, "days": list(DAYS)}
    names = list(TUNABLE.get(name, {}))  # none: one candidate, the rule as it is
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(axes[key] for key in names))]


def _level_quantiles(mean: float, cap: int) -> list[float]:
    """Quantiles that make ``base_stock_levels`` choose each whole level from about the mean minus
    one to the mean plus four standard deviations, for Poisson demand with this mean."""
    from inventory_rl.policies.newsvendor import demand_survival

    survival = demand_survival(np.array([mean]), cap, cap + 1)[:, 0]
    low, high = max(int(mean - math.sqrt(mean)), 0), min(int(mean + 4 * math.sqrt(mean)) + 1, cap)
    return [float(1.0 - survival[level]) for level in range(low, high) if survival[level] > 1e-9]


def tune(name: str, config: InventoryConfig) -> Tuned:
    """Play every candidate of rule ``name`` on the tuning seeds, as one batch; keep the best. A rule
    without parameters has one candidate: its score on the tuning seeds."""
    started = time.perf_counter()
    candidates = grid(name, config)
    seeds = tuning_seeds(config)
    config = config.with_demand_part("train")
    batch = {key: np.repeat([candidate[key] for candidate in candidates], len(seeds)) for key in candidates[0]}
    rule = make_rule(name, config, **batch)
    scores = score_batch(rule, config, seeds * len(candidates)).reshape(len(candidates), len(seeds)).mean(axis=1)
    _, sign = main_metric(config)
    best = int(np.argmax(sign * scores))
    return Tuned(
        name, candidates[best], float(scores[best]), len(candidates), len(seeds), time.perf_counter() - started
    )


def tuned(name: str, config: InventoryConfig, use_cache: bool = True) -> Tuned:
    """Rule ``name``'s tuned parameters for ``config``, from the cache or tuned now (and saved)."""
    return _cached(name, config, lambda: tune(name, config), use_cache)


def _cached(name: str, config: InventoryConfig, compute: Callable[[], Tuned], use_cache: bool = True) -> Tuned:
    """The ``Tuned`` saved for ``name`` (a rule, or ``best``) and ``config``, else ``compute()``'s, saved."""
    path = cache_dir("rules") / f"{name}-{_key(name, config)}.json"
    return cached_json(path, compute, lambda values: Tuned(**values), lambda tuned: tuned.__dict__, use_cache)


def _key(name: str, config: InventoryConfig) -> str:
    text = json.dumps([name, config.to_dict(), GRID_VERSION, TUNING_SEED, TUNING_DAYS], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tuned_rule(name: str, config: InventoryConfig, seed: int = 0) -> tuple[Rule, Tuned | None]:
    """Rule ``name`` ready to play ``config``: tuned where it has parameters (``Tuned`` says how)."""
    if name not in TUNABLE:
        return make_rule(name, config, seed), None
    result = tuned(name, config)
    return make_rule(name, config, seed, **result.parameters), result


def best_rule(config: InventoryConfig) -> Tuned:
    """The best rule that knows only what a policy may know (not ``random``, ``oracle`` or
    ``optimal``) for ``config``'s scenario, tuned, by its main metric on the tuning seeds: the
    yardstick an agent must beat, and where the agent's decoder starts in free order mode."""
    return _cached("best", config, lambda: _choose_best(config))


def _choose_best(config: InventoryConfig) -> Tuned:
    names, _ = applicable_rules(config, [name for name in RULES if name not in ("random", "oracle", "optimal")])
    candidates = [tuned(name, config) for name in names]  # a rule without parameters: one candidate
    _, sign = main_metric(config)
    return max(candidates, key=lambda candidate: sign * candidate.score)


def applicable_rules(config: InventoryConfig, names: Any) -> tuple[list[str], dict[str, str]]:
    """The rules of ``names`` that apply in ``config``'s scenario, and why each other one does not."""
    skipped = {name: reason for name in names if (reason := applicable(name, config)) is not None}
    return [name for name in names if name not in skipped], skipped
