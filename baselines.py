"""Classic inventory rules to measure the agent against.

Every rule acts through the same fractional action space as the agent (``env.step``),
so it faces the same demand and is scored by the same metrics. Fractions can express
any whole-unit split of the gap exactly (see ``units_to_fractions``), so the rules lose
nothing by going through them.

- ``random``: uniform random fractions (its own generator, seeded).
- ``uniform``: the same fraction for every product.
- ``proportional``: the gap split in proportion to the 7-day average demand.
- ``newsvendor``: the capacity-constrained newsvendor rule. Each product's daily demand
  is taken as Poisson with the 7-day average as its rate; starting from the stock on the
  shelf, the gap's units are added one at a time to the product whose next unit is most
  likely to sell, i.e. the largest ``P(D > level)`` with ``D = min(Poisson(rate),
  max_demand)``.
- ``oracle``: the newsvendor rule given the true hidden rates (``info["demand_rates"]``):
  a near-upper bound no policy without that knowledge should beat by much.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from env import N_FEATURES, InventoryConfig

BASELINES = ("random", "uniform", "proportional", "newsvendor", "oracle")


class Policy(Protocol):
    """What ``evaluate.play_episode`` needs from a policy (the agent and every rule).

    ``reset`` gets the observation and info of ``env.reset``; ``act`` is called once a
    day with the current observation and the info of the previous step (the reset info
    on day 1) and returns fractions for ``InventoryEnv.step``.
    """

    name: str

    def reset(self, obs: np.ndarray, info: dict) -> None: ...

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray: ...


def units_to_fractions(units: np.ndarray) -> np.ndarray:
    """Fractions that ``env.step`` turns back into exactly ``units`` when the gap is their sum.

    Scaling by the largest entry keeps every fraction in [0, 1]; the env's largest-remainder
    split of ``units.sum()`` then reproduces each count (up to float rounding far below one
    unit). No units -> all zeros.
    """
    top = units.max()
    return units / top if top > 0 else np.zeros(units.shape)


def demand_survival(rates: np.ndarray, max_demand: int, n_levels: int) -> np.ndarray:
    """``P(min(Poisson(rate), max_demand) > level)`` for each rate and level 0..n_levels-1.

    Shape ``(n_levels, len(rates))``. The Poisson probabilities are computed in log space
    (so large rates neither overflow nor underflow) and summed; levels at or above
    ``max_demand`` can never sell, so their probability is 0.
    """
    counts = np.arange(max_demand)
    log_factorials = np.array([math.lgamma(k + 1) for k in counts])
    safe_rates = np.maximum(np.asarray(rates, np.float64), 1e-300)  # rate 0: all mass at 0
    log_pmf = counts[:, None] * np.log(safe_rates) - safe_rates - log_factorials[:, None]
    survival = np.zeros((max(n_levels, max_demand), len(safe_rates)))
    survival[:max_demand] = np.maximum(1.0 - np.cumsum(np.exp(log_pmf), axis=0), 0.0)
    return survival[:n_levels]


def newsvendor_units(stock: np.ndarray, gap: int, rates: np.ndarray, max_demand: int) -> np.ndarray:
    """Split ``gap`` units over products by the capacity-constrained newsvendor rule.

    Unit by unit, the next unit goes to the product with the largest chance of selling it,
    ``P(D > current level)``. As that chance falls with the level, this greedy order is the
    same as taking the ``gap`` most likely (product, level) slots above the current stock,
    which one sort does at once. Ties go to the lower level, then the lower product index,
    so units that cannot sell (levels >= max_demand) are spread evenly.
    """
    n_levels = int(stock.max()) + gap
    survival = demand_survival(rates, max_demand, n_levels)
    survival[np.arange(n_levels)[:, None] < stock[None, :]] = -1.0  # already on the shelf
    # Level-major layout + stable sort = ties broken by level, then product.
    chosen = np.argsort(-survival.ravel(), kind="stable")[:gap]
    return np.bincount(chosen % len(stock), minlength=len(stock))


def newsvendor_fractions(rows: np.ndarray, rates: np.ndarray, config: InventoryConfig) -> np.ndarray:
    """Fractions for ``env.step`` that place the newsvendor allocation for ``rates`` on top
    of the stock read from the observation ``rows`` (shape ``(n_products, N_FEATURES)``)."""
    stock = np.rint(rows[:, 0] * config.max_demand).astype(np.int64)
    units = newsvendor_units(stock, config.capacity - int(stock.sum()), rates, config.max_demand)
    return units_to_fractions(units)


class RandomPolicy:
    """Uniform random fractions from its own generator, reproducible by seed."""

    name = "random"

    def __init__(self, config: InventoryConfig, seed: int = 0):
        self.n_products = config.n_products
        self.rng = np.random.default_rng(seed)

    def reset(self, obs: np.ndarray, info: dict) -> None:
        """Nothing to remember between days."""

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        return self.rng.random(self.n_products)


class UniformPolicy:
    """The same fraction for every product: the gap split evenly."""

    name = "uniform"

    def __init__(self, config: InventoryConfig):
        self.fractions = np.ones(config.n_products)

    def reset(self, obs: np.ndarray, info: dict) -> None:
        """Nothing to remember between days."""

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        return self.fractions.copy()


class ProportionalPolicy:
    """The gap split in proportion to each product's 7-day average demand.

    This is what the original project says the agent learns. Without any demand in
    the last 7 days the gap is split evenly.
    """

    name = "proportional"

    def __init__(self, config: InventoryConfig):
        self.n_products = config.n_products

    def reset(self, obs: np.ndarray, info: dict) -> None:
        """Nothing to remember between days."""

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        avg7 = obs.reshape(self.n_products, N_FEATURES)[:, 2].astype(np.float64)
        top = avg7.max()
        return avg7 / top if top > 0 else np.ones(self.n_products)


class NewsvendorPolicy:
    """The capacity-constrained newsvendor rule with rates estimated from the 7-day average."""

    name = "newsvendor"

    def __init__(self, config: InventoryConfig):
        self.config = config

    def reset(self, obs: np.ndarray, info: dict) -> None:
        """Nothing to remember between days."""

    def rates(self, rows: np.ndarray, info: dict) -> np.ndarray:
        """Estimated daily demand rate per product: the 7-day average in units."""
        return rows[:, 2] * float(self.config.max_demand)

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        rows = obs.reshape(self.config.n_products, N_FEATURES)
        return newsvendor_fractions(rows, self.rates(rows, info), self.config)


class OraclePolicy(NewsvendorPolicy):
    """The newsvendor rule given the true hidden demand rates: a near-upper bound."""

    name = "oracle"

    def rates(self, rows: np.ndarray, info: dict) -> np.ndarray:
        """The true rates, which the env reveals in every info (for evaluation only)."""
        return info["demand_rates"]


def make_baseline(name: str, config: InventoryConfig, seed: int = 0) -> Policy:
    """The rule called ``name`` (one of ``BASELINES``) for ``config``; ``seed`` drives ``random``."""
    if name == "random":
        return RandomPolicy(config, seed)
    rules = {
        "uniform": UniformPolicy,
        "proportional": ProportionalPolicy,
        "newsvendor": NewsvendorPolicy,
        "oracle": OraclePolicy,
    }
    if name not in rules:
        raise ValueError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")
    return rules[name](config)
