"""The one definition of the episode metrics: ``EpisodeResult`` holds one policy's play of one
episode day by day and computes its metrics; ``fill_rate`` is the fill rate's formula (the env's
info uses it too); ``METRIC_DISPLAY`` says how each metric is shown; ``main_metric`` says what a
scenario is judged by; ``confidence_interval`` turns per-episode values into a 95% interval.
Training (the stream, TensorBoard), evaluation, the benchmarks and the dashboard all measure
episodes here, so they agree."""

from __future__ import annotations

import functools
import math
import operator
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.warehouses import Day, Warehouses


class MetricDisplay(NamedTuple):
    """How a metric is shown. A table of means (the CLI's, the Compare page's) heads its column
    ``label`` and writes ``value * scale`` with ``format``; the Replay and Manual pages name it in
    words (``name``) and write one episode's value with ``headline``."""

    label: str
    scale: float
    format: str
    name: str
    headline: str


METRIC_DISPLAY = {  # metric -> how every table and page shows it; its keys, in order, are METRICS
    "fill_rate": MetricDisplay("fill rate %", 100, ".2f", "fill rate", ".1%"),
    "stockouts_per_day": MetricDisplay("stockouts / day", 1, ".2f", "stockouts per day", ".2f"),
    "utilization": MetricDisplay("utilization %", 100, ".1f", "utilization", ".1%"),
    "order_accuracy": MetricDisplay("order accuracy %", 100, ".1f", "order accuracy", ".1%"),
    "allocation_quality": MetricDisplay("allocation quality", 1, ".3f", "allocation quality", ".3f"),
    "mean_reward": MetricDisplay("reward / episode", 1, ",.0f", "reward", ",.0f"),
    "cost_per_day": MetricDisplay("cost / day", 1, ",.3f", "cost per day", ",.2f"),
    "profit_per_day": MetricDisplay("profit / day", 1, ",.2f", "profit per day", ",.2f"),
}
METRICS = tuple(METRIC_DISPLAY)  # an episode's metrics (``EpisodeResult.metrics``), as reports list them


def in_words(metrics: dict[str, float], names: Sequence[str]) -> dict[str, float]:
    """The ``metrics`` called ``names``, keyed by their names in words (``MetricDisplay.name``), as
    the Replay and Manual pages head them."""
    return {METRIC_DISPLAY[name].name: metrics[name] for name in names}


TRAJECTORY = ("stock", "demand", "orders", "sales", "lost_sales", "ordered")  # per-day, per-product units in info
DAILY_METRICS = ("fill_rate", "stockouts", "utilization", "order_accuracy", "allocation_quality")


def fill_rate(
    demand: int | np.ndarray, *, sales: int | np.ndarray | None = None, lost: int | np.ndarray | None = None
) -> float | np.ndarray:
    """The share of ``demand`` served, 1.0 where there was none: ``sales / demand`` from the units
    sold (an episode's fill rate), or ``1 - lost / demand`` from the units lost (a day's, as the env
    has always reported it: the two differ in the last bit, and the env's info stays bit for bit the
    recorded one). Plain numbers give a float, arrays an array, element by element."""
    if sales is None and type(demand) is int:  # one day of one warehouse, the env's info: plain arithmetic
        return 1.0 - lost / demand if demand else 1.0
    if (sales is None) == (lost is None):
        raise TypeError("give the units sold or the units lost, not both")
    no_demand = demand == 0
    divisor = demand + no_demand  # 1 where there was no demand, and so nothing sold or lost
    return 1.0 - lost / divisor if sales is None else sales / divisor + no_demand


@dataclass(frozen=True)
class EpisodeResult:
    """One policy's play of one episode, day by day.

    Per-product arrays have shape ``(days, n_products)``: ``stock`` is the end-of-day
    stock, ``orders`` the units delivered onto the shelf before the day's demand, ``ordered``
    the units placed, ``in_transit`` the units still in transit at the end of the day.
    ``gap``, ``utilization`` (stock after delivery / capacity), ``allocation_quality`` and each
    of ``reward_components`` hold one value per day; ``cost_parts`` (per product) and
    ``revenue`` only where the scenario counts money. Everything else is derived here, once.
    """

    policy: str
    seed: int
    demand_rates: np.ndarray | None  # the hidden rates per product (None for file demand)
    stock: np.ndarray
    demand: np.ndarray
    orders: np.ndarray
    ordered: np.ndarray
    shipped: np.ndarray  # units the supplier sent (below ``ordered`` on disrupted days, for partial shipments)
    sales: np.ndarray
    lost_sales: np.ndarray
    in_transit: np.ndarray
    gap: np.ndarray
    disrupted: np.ndarray  # (days,) bool: the supplier shipped nothing
    utilization: np.ndarray
    allocation_quality: np.ndarray
    reward_components: dict[str, np.ndarray]
    cost_parts: dict[str, np.ndarray]
    revenue: np.ndarray | None

    @classmethod
    def from_days(cls, policy: str, seed: int, days: Sequence[dict]) -> EpisodeResult:
        """Collect an episode from the env's per-day ``info`` dicts."""

        def stacked(key: str, dtype: type | None = None) -> np.ndarray:
            return np.array([day[key] for day in days], dtype=dtype)

        first = days[0]
        n = len(first["stock"])
        return cls(
            policy=policy,
            seed=seed,
            demand_rates=first["demand_rates"],
            **{key: stacked(key) for key in TRAJECTORY},
            in_transit=np.array([day["in_transit"].sum(axis=1) for day in days])
            if "in_transit" in first
            else np.zeros((len(days), n), np.int64),
            shipped=stacked("shipped") if "shipped" in first else stacked("ordered") - stacked("refused"),
            gap=stacked("gap"),
            disrupted=np.array([day.get("disrupted", False) for day in days]),
            utilization=stacked("utilization", np.float64),
            allocation_quality=stacked("allocation_quality", np.float64),
            reward_components={
                name: np.array([day["reward_components"][name] for day in days]) for name in first["reward_components"]
            },
            cost_parts={
                part: np.array([day["cost_parts"][part] for day in days]) for part in first.get("cost_parts", {})
            },
            revenue=stacked("revenue") if "revenue" in first else None,
        )

    @classmethod
    def from_sim(
        cls, config: InventoryConfig, sim: Warehouses, days: Sequence[Day], policy: str, seeds: Sequence[int] = ()
    ) -> list[EpisodeResult]:
        """One result per warehouse of a batch, from the ``Day`` records of its episode
        (``seeds``: the warehouses' reset seeds, -1 where not given)."""

        def stacked(values: Sequence[np.ndarray]) -> np.ndarray:
            return np.stack(values, axis=1)  # (batch, days, ...)

        def field(name: str) -> np.ndarray:
            return stacked([getattr(day, name) for day in days])

        if days[0].in_transit is None:
            in_transit = np.zeros(field("stock").shape, np.int64)
        else:
            in_transit = stacked([day.in_transit.sum(axis=-1) for day in days])
        columns = {
            "stock": field("stock"),
            "demand": field("demand"),
            "orders": field("received"),
            "ordered": field("ordered"),
            "shipped": field("shipped"),
            "sales": field("sales"),
            "lost_sales": field("lost_sales"),
            "in_transit": in_transit,
            "gap": field("gap"),
            "disrupted": field("disrupted"),
            "utilization": field("on_shelf") / config.capacity,
            "allocation_quality": field("correlation"),
        }
        components = {
            name: stacked([day.reward_components[name] for day in days]) for name in days[0].reward_components
        }
        parts = {part: stacked([day.cost_parts[part] for day in days]) for part in days[0].cost_parts}
        revenue = field("revenue") if days[0].revenue is not None else None
        return [
            cls(
                policy=policy,
                seed=seeds[index] if seeds else -1,
                demand_rates=None if sim.base_rates is None else sim.base_rates[index],
                **{name: values[index] for name, values in columns.items()},
                reward_components={name: values[index] for name, values in components.items()},
                cost_parts={name: values[index] for name, values in parts.items()},
                revenue=None if revenue is None else revenue[index],
            )
            for index in range(sim.batch)
        ]

    @property
    def rewards(self) -> np.ndarray:
        """The env's reward per day (the sum of its components, left to right), in points or money."""
        return functools.reduce(operator.add, self.reward_components.values())

    @functools.cached_property
    def daily(self) -> dict[str, np.ndarray]:
        """The env's per-day metrics (named as in ``DAILY_METRICS``), as its ``info`` reports them."""
        error = np.abs(self.ordered.sum(axis=1) - self.gap)
        return {
            "fill_rate": fill_rate(self.demand.sum(axis=1), lost=self.lost_sales.sum(axis=1)),
            "stockouts": np.count_nonzero(self.lost_sales, axis=1).astype(np.float64),
            "utilization": self.utilization,
            "order_accuracy": np.maximum(0.0, 1.0 - error / np.maximum(self.gap, 1)),
            "allocation_quality": self.allocation_quality,
        }

    @property
    def costs(self) -> np.ndarray:
        """The day's cost (every cost part, every product), 0 where the scenario counts no money."""
        if not self.cost_parts:
            return np.zeros(len(self.demand))
        return sum(part.sum(axis=1) for part in self.cost_parts.values())

    @property
    def profits(self) -> np.ndarray:
        """The day's revenue minus its cost, 0 where the scenario counts no money."""
        return (self.revenue.sum(axis=1) if self.revenue is not None else 0.0) - self.costs

    def metrics(self) -> dict[str, float]:
        """The episode's value of each of ``METRICS``.

        Fill rate is total sales over total demand for the whole episode (1.0 without
        demand); the other rates are means over days; ``mean_reward`` is the episode's
        total reward, which ``evaluate`` averages over episodes; cost and profit are per day.
        """
        daily = self.daily
        return {
            "fill_rate": fill_rate(int(self.demand.sum()), sales=int(self.sales.sum())),
            "stockouts_per_day": float(daily["stockouts"].mean()),
            "utilization": float(daily["utilization"].mean()),
            "order_accuracy": float(daily["order_accuracy"].mean()),
            "allocation_quality": float(daily["allocation_quality"].mean()),
            "mean_reward": float(self.rewards.sum()),
            "cost_per_day": float(self.costs.mean()),
            "profit_per_day": float(self.profits.mean()),
        }


METRIC_SIGNS = {"cost_per_day": -1.0}  # metric -> its sign where lower is better; +1 for every other


def metric_sign(metric: str) -> float:
    """+1 where a higher ``metric`` is better, -1 where a lower one is (the cost per day)."""
    return METRIC_SIGNS.get(metric, 1.0)


def main_metric(config: InventoryConfig) -> tuple[str, float]:
    """The metric a scenario is judged by and its sign (+1: higher is better): the fill rate for
    the original reward, the cost or the profit per day where the reward is money."""
    metric = {"original": "fill_rate", "cost": "cost_per_day", "profit": "profit_per_day"}[config.reward_mode]
    return metric, metric_sign(metric)


def student_t_975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (no scipy needed).

    Exact closed forms for 1 and 2 degrees of freedom; beyond, the Cornish-Fisher
    expansion of Abramowitz & Stegun 26.7.5: 0.11% below the exact value at 3 degrees of
    freedom, under 0.03% from 4 on.
    """
    if df < 1:
        raise ValueError(f"need at least 1 degree of freedom, got {df}")
    if df == 1:
        return math.tan(math.pi * 0.475)
    if df == 2:
        return 0.95 / math.sqrt(2 * 0.975 * 0.025)
    z = statistics.NormalDist().inv_cdf(0.975)
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(term / df**power for power, term in enumerate(terms, start=1))


def confidence_interval(values: np.ndarray) -> list[float]:
    """95% confidence interval ``[lo, hi]`` for the mean of ``values`` (one per episode).

    ``mean ± t(0.975, n - 1) * s / sqrt(n)`` with the sample standard deviation ``s``:
    the Student t interval, which treats episodes as independent draws (they are: each
    has its own seed).
    """
    if len(values) < 2:
        raise ValueError("a confidence interval needs at least two episodes")
    mean = float(np.mean(values))
    half_width = student_t_975(len(values) - 1) * float(np.std(values, ddof=1)) / math.sqrt(len(values))
    return [mean - half_width, mean + half_width]
