"""A run's training figures without Streamlit: the per-episode figures of its stream
(``EpisodeHistory``), the cards made from them (``Metric``, ``rolling_metric``) and the frames
of one sampled episode (``trajectory_frames``). ``app.monitor`` tails the stream into them.

An idle refresh must cost next to nothing however long the run: the history grows in place
with running sums for O(1) rolling means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import pandas as pd

from inventory_rl.runs.stream import EPISODE_FIGURES
from inventory_rl.world.warehouses import REWARD_COMPONENTS

ROLLING_WINDOW = 100  # episodes in the rolling means of the Training page
MAX_CHART_POINTS = 500  # episodes drawn per learning curve; longer runs are thinned evenly
SPARKLINE_POINTS = 40
COMPONENT_LABELS = {  # short enough for a chart legend: the original reward's parts, then money's
    "order_accuracy": "Accuracy",
    "perfect_fulfillment": "Fulfillment",
    "stock_bonus": "Stock bonus",
    "allocation": "Allocation",
    "stockout_penalty": "Stockouts",
    "revenue": "Revenue",
    "holding": "Holding",
    "lost_sale": "Lost sales",
    "ordering": "Ordering",
    "purchase": "Purchase",
}
RAW_SERIES, ROLLING_SERIES = "per episode", f"rolling mean of {ROLLING_WINDOW}"
# Figures that streams written before the scenario engine lack: read as 0, as for a scenario without money.
OPTIONAL_FIGURES = {"cost_per_day": 0.0, "profit_per_day": 0.0}
RECORD_ERRORS = (KeyError, TypeError, ValueError)


def component_label(name: str) -> str:
    """A reward component's short name (``Holding``), or the name itself for one not known here."""
    return COMPONENT_LABELS.get(name, name)


def _getter(names: Sequence[str]) -> Callable[[Mapping], tuple]:
    """A C-level getter of ``names`` that always returns a tuple (``itemgetter`` of one name does not)."""
    if len(names) == 1:
        single = itemgetter(names[0])
        return lambda mapping: (single(mapping),)
    return itemgetter(*names)


class EpisodeHistory:
    """Per-episode figures of one run as numpy columns that grow with each poll: the episode
    and timesteps, every figure of ``stream.EPISODE_FIGURES``, then the points of each of the
    run's reward ``components`` (suffixed ``_points``: ``order_accuracy`` is also a figure).

    Appending costs time proportional to the new episodes (the buffers double when full),
    and running sums give any rolling mean in O(1) per point, so no refresh rescans the run.
    """

    def __init__(self, components: Sequence[str] = REWARD_COMPONENTS, capacity: int = 1024) -> None:
        self.components = tuple(components)
        self.columns = ("episode", "timesteps", *EPISODE_FIGURES, *(f"{name}_points" for name in self.components))
        self._index = {name: index for index, name in enumerate(self.columns)}
        self._scalars = _getter(self.columns[: -len(self.components)])
        self._parts = _getter(self.components)
        self._row = np.dtype((np.float64, len(self.columns)))
        self._values = np.empty((capacity, len(self.columns)))
        self._sums = np.zeros((capacity + 1, len(self.columns)))  # row k: sum of the first k rows
        self.size = 0

    def rows(self, records: Sequence[dict]) -> np.ndarray:
        """The records' figures as an ``(n, len(columns))`` array. Missing ``OPTIONAL_FIGURES``
        count as 0; records missing anything else, or with a figure that is not a number, are dropped.

        One ``np.fromiter`` over C-level item getters: several times faster than building
        Python lists, which matters when a long run's stream is first read.
        """
        try:
            return self._rows(records)
        except RECORD_ERRORS:
            pass
        patched = [{**OPTIONAL_FIGURES, **record} if isinstance(record, dict) else record for record in records]
        try:
            return self._rows(patched)
        except RECORD_ERRORS:
            return self._rows([record for record in patched if self._complete(record)])

    def _rows(self, records: Sequence[dict]) -> np.ndarray:
        figures = (self._scalars(record) + self._parts(record["reward_components"]) for record in records)
        return np.fromiter(figures, dtype=self._row, count=len(records))

    def _complete(self, record: dict) -> bool:
        try:
            self._rows([record])
        except RECORD_ERRORS:
            return False
        return True

    def extend(self, records: Sequence[dict]) -> int:
        """Append the episode records (malformed ones are skipped); returns how many were kept."""
        block = self.rows(records)
        if not len(block):
            return 0
        end = self.size + len(block)
        if end > len(self._values):
            capacity = max(end, 2 * len(self._values))
            self._values = np.resize(self._values, (capacity, len(self.columns)))
            self._sums = np.resize(self._sums, (capacity + 1, len(self.columns)))
        self._values[self.size : end] = block
        self._sums[self.size + 1 : end + 1] = self._sums[self.size] + np.cumsum(block, axis=0)
        self.size = end
        return len(block)

    def column(self, name: str) -> np.ndarray:
        """Every episode's value of ``name`` (a view, not a copy)."""
        return self._values[: self.size, self._index[name]]

    def rolling_mean(self, name: str, positions: np.ndarray, window: int = ROLLING_WINDOW) -> np.ndarray:
        """Mean of ``name`` over the ``window`` episodes ending at each position (fewer at the start)."""
        column = self._index[name]
        end = np.asarray(positions) + 1
        start = np.maximum(end - window, 0)
        return (self._sums[end, column] - self._sums[start, column]) / (end - start)

    def position_of(self, episode: int) -> int | None:
        """Index of episode number ``episode`` (episode numbers only grow within a run)."""
        episodes = self.column("episode")
        index = int(np.searchsorted(episodes, episode))
        return index if index < self.size and episodes[index] == episode else None


def chart_positions(size: int, max_points: int = MAX_CHART_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread episodes, always the first and the last."""
    if size <= max_points:
        return np.arange(size)
    return np.unique(np.linspace(0, size - 1, max_points).round().astype(np.int64))


# ---------------------------------------------------------------------------- cards
@dataclass(frozen=True)
class Metric:
    """One ``st.metric`` card, formatted and ready to draw."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "normal"
    help: str | None = None
    sparkline: tuple[float, ...] | None = None


def percent(value: float) -> str:
    """0.8312 -> '83.1%'."""
    return f"{100 * value:.1f}%"


def signed(value: float, digits: int = 1, unit: str = "") -> str:
    """A delta with its sign: +1.2, -0.5, +0 pp."""
    return f"{value:+,.{digits}f}{unit}"


def rolling_windows(size: int, window: int = ROLLING_WINDOW) -> tuple[int, int]:
    """How many episodes the rolling means of a history of ``size`` episodes cover: the latest
    window (all the episodes while there are fewer than ``window``) and the window before it
    (0 until there is one; shorter than ``window`` until there are twice as many episodes)."""
    return min(window, size), max(0, min(window, size - window))


def rolling_text(size: int, window: int = ROLLING_WINDOW) -> str:
    """The episodes the rolling-mean cards cover, as the page says it: ``the last 16 episodes (all
    of them so far)``, or ``the last 100 episodes, with the change from the 100 before``. Early in
    a run the window is the episodes there are, not ``window``."""
    now, before = rolling_windows(size, window)
    if not before:
        return "the one episode so far" if now == 1 else f"the last {now:,} episodes (all of them so far)"
    earlier = "the one" if before == 1 else f"the {before:,}"
    return f"the last {now:,} episodes, with the change from {earlier} before"


def rolling_metric(
    history: EpisodeHistory, name: str, label: str, as_percent: bool, *, lower_is_better: bool = False
) -> Metric:
    """A rolling-mean card: the mean of the last window, its change from the window before,
    and a sparkline of the rolling mean over the whole run."""
    last = history.size - 1
    now = float(history.rolling_mean(name, np.array([last]))[0])
    before = history.rolling_mean(name, np.array([last - ROLLING_WINDOW])) if last >= ROLLING_WINDOW else None
    change = None if before is None else now - float(before[0])
    spark = history.rolling_mean(name, chart_positions(history.size, SPARKLINE_POINTS))
    if as_percent:
        value, delta = percent(now), None if change is None else signed(100 * change, unit=" pp")
    else:
        digits = 0 if abs(now) >= 100 else 2
        value, delta = f"{now:,.{digits}f}", None if change is None else signed(change, digits)
    return Metric(
        label=label,
        value=value,
        delta=delta,
        delta_color="inverse" if lower_is_better else "normal",
        help=f"Mean over {rolling_text(history.size)}.",
        sparkline=tuple(np.round(spark, 4).tolist()),
    )


# ---------------------------------------------------------------------------- chart frames
def per_product_frame(measures: Mapping[str, Sequence[int]]) -> pd.DataFrame:
    """Long frame (product, measure, units) from one per-product array per measure."""
    return pd.DataFrame(
        [(f"P{i}", measure, int(units)) for measure, values in measures.items() for i, units in enumerate(values)],
        columns=["product", "measure", "units"],
    )


def trajectory_frames(trajectory: Mapping[str, Sequence[Sequence[int]]]) -> dict[str, pd.DataFrame]:
    """Frames of one sampled episode: per day and product the end-of-day stock, the demand, the
    lost sales and, where the trajectory records them, the units in transit (``days``); per
    product the episode's totals (``totals``, long form: delivered, and ordered where recorded)."""
    stock, demand = np.asarray(trajectory["stock"]), np.asarray(trajectory["demand"])
    orders, lost = np.asarray(trajectory["orders"]), demand - np.asarray(trajectory["sales"])
    n_days, n_products = stock.shape
    products = [f"P{i}" for i in range(n_products)]
    columns = {"stock": stock, "demand": demand, "lost sales": lost}
    if "in_transit" in trajectory:
        columns["in transit"] = np.asarray(trajectory["in_transit"])
    days = pd.DataFrame(
        {
            "day": np.repeat(np.arange(1, n_days + 1), n_products),
            "product": np.tile(products, n_days),
            **{name: values.ravel() for name, values in columns.items()},
        }
    )
    totals = {"delivered": orders.sum(axis=0), "demand": demand.sum(axis=0), "lost sales": lost.sum(axis=0)}
    if "ordered" in trajectory:
        totals = {"ordered": np.asarray(trajectory["ordered"]).sum(axis=0), **totals}
    return {"days": days, "totals": per_product_frame(totals)}
