"""The newsvendor maths shared by the rules (``baselines.py``) and the agent (``agent.py``).

Daily demand is ``D = min(Poisson(rate), max_demand)``. Every quantity here follows from
its survival function ``P(D > level)``: the capacity-constrained newsvendor allocation adds
units where the next one is most likely to sell, and the expected sales of a shelf are
the sum of those chances.
"""

from __future__ import annotations

import math

import numpy as np


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


def expected_sales_table(rates: np.ndarray, max_demand: int) -> np.ndarray:
    """``E[min(level, D)]`` for ``level = 0 .. max_demand + 1`` per product (rows): the sum
    of ``P(D > k)`` for ``k < level``. The last column is the expected demand."""
    survival = demand_survival(rates, max_demand, max_demand + 1).T
    return np.hstack([np.zeros((len(rates), 1)), np.cumsum(survival, axis=1)])


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


def units_to_fractions(units: np.ndarray) -> np.ndarray:
    """Fractions that ``env.step`` turns back into exactly ``units`` when the gap is their sum.

    Scaling by the largest entry keeps every fraction in [0, 1]; the env's largest-remainder
    split of ``units.sum()`` then reproduces each count (up to float rounding far below one
    unit). No units -> all zeros.
    """
    top = units.max()
    return units / top if top > 0 else np.zeros(units.shape)


def newsvendor_fractions(stock: np.ndarray, gap: int, rates: np.ndarray, max_demand: int) -> np.ndarray:
    """Fractions for ``env.step`` that place the newsvendor allocation of ``gap`` units for
    ``rates`` on top of ``stock``."""
    return units_to_fractions(newsvendor_units(stock, gap, rates, max_demand))
