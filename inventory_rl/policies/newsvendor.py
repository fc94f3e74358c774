"""The newsvendor maths shared by the rules (``policies/rules.py``) and the agent (``agent/view.py``).

Daily demand is ``D = min(Poisson(rate), max_demand)``; over a protection period of ``days``
days it is taken as ``min(Poisson(days * rate), days * max_demand)``. Every quantity here
follows from the survival function ``P(D > level)``: the capacity-constrained newsvendor
allocation adds units where the next one is most likely to sell, a base-stock level is a
quantile, and the expected sales of a shelf are the sum of those chances. Every function
takes a leading batch shape (one warehouse, or many at once).
"""

from __future__ import annotations

import functools
import math

import numpy as np


def demand_survival(rates: np.ndarray, max_demand: int, n_levels: int) -> np.ndarray:
    """``P(min(Poisson(rate), max_demand) > level)`` for each rate and level 0..n_levels-1.

    ``rates`` has shape ``(..., n)``; the result ``(..., n_levels, n)``. The Poisson
    probabilities are computed in log space (so large rates neither overflow nor underflow)
    and summed; levels at or above ``max_demand`` can never sell, so their probability is 0.
    """
    rates = np.asarray(rates, np.float64)
    counts, log_factorials = _log_factorials(max_demand)
    safe_rates = np.maximum(rates, 1e-300)[..., None, :]  # rate 0: all mass at 0
    log_pmf = counts * np.log(safe_rates) - safe_rates - log_factorials
    survival = np.zeros((*rates.shape[:-1], max(n_levels, max_demand), rates.shape[-1]))
    survival[..., :max_demand, :] = np.maximum(1.0 - np.cumsum(np.exp(log_pmf), axis=-2), 0.0)
    return survival[..., :n_levels, :]


@functools.cache
def _log_factorials(max_demand: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` and ``log(k!)`` for ``k < max_demand``, as columns (computed once per cap)."""
    counts = np.arange(max_demand)
    return counts[:, None], np.array([math.lgamma(k + 1) for k in counts])[:, None]


def expected_sales_table(rates: np.ndarray, max_demand: int) -> np.ndarray:
    """``E[min(level, D)]`` for ``level = 0 .. max_demand + 1`` per product, shape
    ``(..., n, max_demand + 2)``: the sum of ``P(D > k)`` for ``k < level``. The last column
    is the expected demand."""
    survival = np.swapaxes(demand_survival(rates, max_demand, max_demand + 1), -1, -2)
    zeros = np.zeros((*survival.shape[:-1], 1))
    return np.concatenate([zeros, np.cumsum(survival, axis=-1)], axis=-1)


def newsvendor_units(stock: np.ndarray, gap: np.ndarray | int, rates: np.ndarray, max_demand: int) -> np.ndarray:
    """Split ``gap`` units over products by the capacity-constrained newsvendor rule.

    Unit by unit, the next unit goes to the product with the largest chance of selling it,
    ``P(D > current level)``. As that chance falls with the level, this greedy order is the
    same as taking the ``gap`` most likely (product, level) slots above the current stock: all
    slots above the ``gap``-th largest chance, then, among the slots at exactly that chance,
    those at the lower level, then the lower product index, so units that cannot sell (levels
    >= max_demand) are spread evenly. ``stock`` and ``rates`` have shape ``(..., n)``, ``gap`` the
    leading shape.
    """
    stock = np.asarray(stock, np.int64)
    batch_shape, n = stock.shape[:-1], stock.shape[-1]
    gaps = np.asarray(gap, np.int64)
    gaps = gaps.reshape(-1) if gaps.shape == batch_shape else np.broadcast_to(gaps, batch_shape).reshape(-1)
    stock, rates = stock.reshape(-1, n), np.asarray(rates).reshape(-1, n)
    # Units above max_demand never sell: first look only below it, where nearly every order fits;
    # the rows whose gap reaches the slots that cannot sell take the full table of levels.
    top = int(stock.max(initial=0)) + int(gaps.max(initial=0))
    units = _top_slots(stock, gaps, rates, max_demand, min(top, max_demand), selling_only=True)
    short = units.sum(axis=1) < gaps
    if short.any():
        top = int(stock[short].max(initial=0)) + int(gaps[short].max(initial=0))
        units[short] = _top_slots(stock[short], gaps[short], rates[short], max_demand, top, selling_only=False)
    return units.reshape(*batch_shape, n)


def _top_slots(
    stock: np.ndarray, gaps: np.ndarray, rates: np.ndarray, max_demand: int, n_levels: int, selling_only: bool
) -> np.ndarray:
    """Per product, how many of each row's ``gap`` most likely (level, product) slots below level
    ``n_levels`` lie above its stock; with ``selling_only``, only slots with a chance to sell, so
    a row may get fewer than its gap."""
    if n_levels == 0:
        return np.zeros(stock.shape, np.int64)
    survival = demand_survival(rates, max_demand, n_levels)
    survival[np.arange(n_levels)[None, :, None] < stock[:, None, :]] = -1.0  # already on the shelf
    slots = survival.reshape(len(stock), -1)  # level-major: slot order is (level, product)
    wanted = np.minimum(gaps, (slots > 0).sum(axis=1)) if selling_only else gaps
    # the wanted-th largest value of each row (+inf where nothing is wanted: no slot reaches it)
    ascending = np.sort(slots, axis=1)
    threshold = np.where(wanted > 0, ascending[np.arange(len(slots)), slots.shape[1] - np.maximum(wanted, 1)], np.inf)
    above = slots > threshold[:, None]
    tied = slots == threshold[:, None]
    still = wanted - above.sum(axis=1)  # the slots at the threshold still to take, first ones first
    taken = above | (tied & (np.cumsum(tied, axis=1) <= still[:, None]))
    return taken.reshape(len(stock), n_levels, stock.shape[1]).sum(axis=1)


def critical_ratio(holding_cost: float, lost_sale_cost: float, price: float = 0.0, unit_cost: float = 0.0) -> float:
    """The newsvendor's critical ratio ``underage / (underage + overage)``: a unit short costs the
    lost-sale cost plus the margin, a unit left over costs a day's holding. 1.0 (stock as much as
    fits) where nothing is at stake, as in the original warehouse."""
    underage = lost_sale_cost + max(price - unit_cost, 0.0)
    if underage + holding_cost <= 0:
        return 1.0
    return underage / (underage + holding_cost)


def base_stock_levels(rates: np.ndarray, max_demand: int, ratio: float | np.ndarray) -> np.ndarray:
    """The order-up-to level of each product: the smallest ``S`` with ``P(D <= S) >= ratio`` for
    ``D = min(Poisson(rate), max_demand)`` (``max_demand`` itself when ``ratio`` is 1). ``rates`` has
    shape ``(..., n)``; ``ratio`` is a number or one per leading index (a rule tuned per warehouse)."""
    survival = demand_survival(rates, max_demand, max_demand + 1)
    threshold = 1.0 - np.asarray(ratio, np.float64) + 1e-12
    return (survival > np.reshape(threshold, (*np.shape(threshold), 1, 1))).sum(axis=-2)
