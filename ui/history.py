"""What the Training page shows, computed without Streamlit: the run's per-episode figures
(``EpisodeHistory``), the monitor that tails the stream into them (``TrainingMonitor``), and
the cards and chart frames built from them (``TrainingView``).

An idle refresh must cost next to nothing however long the run: the monitor reads only the
bytes appended since the last poll (``utils.StreamReader``), the history grows in place with
running sums for O(1) rolling means, and the view is rebuilt only when episodes arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd

from env import REWARD_COMPONENTS, InventoryConfig
from utils import EPISODE_FIGURES, StreamReader

ROLLING_WINDOW = 100  # episodes in the rolling means of the Training page
MAX_CHART_POINTS = 500  # episodes drawn per learning curve; longer runs are thinned evenly
SPARKLINE_POINTS = 40
COMPONENT_LABELS = {  # short enough for a chart legend
    "order_accuracy": "Accuracy",
    "perfect_fulfillment": "Fulfillment",
    "stock_bonus": "Stock bonus",
    "allocation": "Allocation",
    "stockout_penalty": "Stockouts",
}
RAW_SERIES, ROLLING_SERIES = "per episode", f"rolling mean of {ROLLING_WINDOW}"

# One column per figure of the stream's episode record, then the points of each reward
# component (suffixed: order_accuracy is also a figure).
EPISODE_COLUMNS = ("episode", "timesteps", *EPISODE_FIGURES, *(f"{name}_points" for name in REWARD_COMPONENTS))
_COLUMN_INDEX = {name: index for index, name in enumerate(EPISODE_COLUMNS)}
_SCALARS = itemgetter(*EPISODE_COLUMNS[: -len(REWARD_COMPONENTS)])
_COMPONENTS = itemgetter(*REWARD_COMPONENTS)
_ROW = np.dtype((np.float64, len(EPISODE_COLUMNS)))


def episode_rows(records: Sequence[dict]) -> np.ndarray:
    """The records' figures as an ``(n, len(EPISODE_COLUMNS))`` array; malformed records are dropped.

    One ``np.fromiter`` over C-level item getters: several times faster than building
    Python lists, which matters when a long run's stream is first read.
    """

    def rows(chosen: Sequence[dict]) -> np.ndarray:
        figures = (_SCALARS(record) + _COMPONENTS(record["reward_components"]) for record in chosen)
        return np.fromiter(figures, dtype=_ROW, count=len(chosen))

    def complete(record: dict) -> bool:
        try:
            rows([record])
        except (KeyError, TypeError, ValueError):
            return False
        return True

    try:
        return rows(records)
    except (KeyError, TypeError, ValueError):
        return rows([record for record in records if complete(record)])


class EpisodeHistory:
    """Per-episode figures of one run as numpy columns that grow with each poll.

    Appending costs time proportional to the new episodes (the buffers double when full),
    and running sums give any rolling mean in O(1) per point, so no refresh rescans the run.
    """

    def __init__(self, capacity: int = 1024):
        self._values = np.empty((capacity, len(EPISODE_COLUMNS)))
        self._sums = np.zeros((capacity + 1, len(EPISODE_COLUMNS)))  # row k: sum of the first k rows
        self.size = 0

    def extend(self, records: Sequence[dict]) -> int:
        """Append the episode records (malformed ones are skipped); returns how many were kept."""
        block = episode_rows(records)
        if not len(block):
            return 0
        end = self.size + len(block)
        if end > len(self._values):
            capacity = max(end, 2 * len(self._values))
            self._values = np.resize(self._values, (capacity, len(EPISODE_COLUMNS)))
            self._sums = np.resize(self._sums, (capacity + 1, len(EPISODE_COLUMNS)))
        self._values[self.size : end] = block
        self._sums[self.size + 1 : end + 1] = self._sums[self.size] + np.cumsum(block, axis=0)
        self.size = end
        return len(block)

    def column(self, name: str) -> np.ndarray:
        """Every episode's value of ``name`` (a view, not a copy)."""
        return self._values[: self.size, _COLUMN_INDEX[name]]

    def rolling_mean(self, name: str, positions: np.ndarray, window: int = ROLLING_WINDOW) -> np.ndarray:
        """Mean of ``name`` over the ``window`` episodes ending at each position (fewer at the start)."""
        column = _COLUMN_INDEX[name]
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
        help=f"Mean over the last {ROLLING_WINDOW} episodes; the change is against the {ROLLING_WINDOW} before.",
        sparkline=tuple(np.round(spark, 4).tolist()),
    )


def headline_metrics(history: EpisodeHistory, new_episodes: int, new_timesteps: int) -> tuple[Metric, ...]:
    """The eight cards at the top of the Training page (the history must not be empty)."""
    fill = history.column("fill_rate")
    latest_change = signed(100 * (fill[-1] - fill[-2]), unit=" pp") if history.size > 1 else None
    since_update = "New since the previous update of this page."
    return (
        Metric("Episodes", f"{history.size:,}", f"+{new_episodes:,}" if new_episodes else None, help=since_update),
        Metric(
            "Timesteps",
            f"{int(history.column('timesteps')[-1]):,}",
            f"+{new_timesteps:,}" if new_timesteps else None,
            help=since_update,
        ),
        Metric("Fill rate (latest episode)", percent(fill[-1]), latest_change, help="Change from the episode before."),
        rolling_metric(history, "fill_rate", "Fill rate", as_percent=True),
        rolling_metric(history, "reward", "Reward", as_percent=False),
        rolling_metric(history, "stockouts_per_day", "Stockouts / day", as_percent=False, lower_is_better=True),
        rolling_metric(history, "utilization", "Utilization", as_percent=True),
        rolling_metric(history, "order_accuracy", "Order accuracy", as_percent=True),
    )


# ---------------------------------------------------------------------------- chart frames
def learning_curves(history: EpisodeHistory) -> dict[str, pd.DataFrame]:
    """The frames of the learning-curve charts, at most ``MAX_CHART_POINTS`` rows each."""
    positions = chart_positions(history.size)
    episodes = history.column("episode")[positions]

    def curve(name: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "episode": episodes,
                RAW_SERIES: history.column(name)[positions],
                ROLLING_SERIES: history.rolling_mean(name, positions),
            }
        )

    components = {
        COMPONENT_LABELS[name]: history.rolling_mean(f"{name}_points", positions) for name in REWARD_COMPONENTS
    }
    return {
        "reward": curve("reward"),
        "fill_rate": curve("fill_rate"),
        "stockouts_per_day": curve("stockouts_per_day"),
        "components": pd.DataFrame({"episode": episodes, **components}),
    }


def per_product_frame(measures: Mapping[str, Sequence[int]]) -> pd.DataFrame:
    """Long frame (product, measure, units) from one per-product array per measure."""
    return pd.DataFrame(
        [(f"P{i}", measure, int(units)) for measure, values in measures.items() for i, units in enumerate(values)],
        columns=["product", "measure", "units"],
    )


def trajectory_frames(trajectory: Mapping[str, Sequence[Sequence[int]]]) -> dict[str, pd.DataFrame]:
    """Frames of one sampled episode: per day and product the end-of-day stock, the demand and
    the lost sales (``days``), and per product the episode's totals (``totals``, long form)."""
    stock, demand = np.asarray(trajectory["stock"]), np.asarray(trajectory["demand"])
    orders, lost = np.asarray(trajectory["orders"]), demand - np.asarray(trajectory["sales"])
    n_days, n_products = stock.shape
    products = [f"P{i}" for i in range(n_products)]
    days = pd.DataFrame(
        {
            "day": np.repeat(np.arange(1, n_days + 1), n_products),
            "product": np.tile(products, n_days),
            "stock": stock.ravel(),
            "demand": demand.ravel(),
            "lost sales": lost.ravel(),
        }
    )
    totals = {"delivered": orders.sum(axis=0), "demand": demand.sum(axis=0), "lost sales": lost.sum(axis=0)}
    return {"days": days, "totals": per_product_frame(totals)}


@dataclass(frozen=True)
class TrainingView:
    """Everything the Training page draws for one state of the stream, computed once."""

    metrics: tuple[Metric, ...]
    curves: dict[str, pd.DataFrame]
    sampled_episodes: tuple[int, ...]  # episodes with a trajectory, newest first
    thinned: bool  # curves show every k-th episode, not all of them


def build_training_view(
    history: EpisodeHistory, sampled: Sequence[int], new_episodes: int, new_timesteps: int
) -> TrainingView:
    """Everything the Training page shows for a non-empty history."""
    return TrainingView(
        metrics=headline_metrics(history, new_episodes, new_timesteps),
        curves=learning_curves(history),
        sampled_episodes=tuple(sorted(sampled, reverse=True)),
        thinned=history.size > MAX_CHART_POINTS,
    )


# ---------------------------------------------------------------------------- the stream
class TrainingMonitor:
    """Follows one stream for one browser session.

    ``refresh`` reads only what was appended since the last call; the view (metrics and
    chart frames) is rebuilt only when new episodes arrived. When a new run replaces the
    stream the reader starts over, and so does the history.
    """

    def __init__(self, stream_path: Path):
        self.stream_path = stream_path
        self.reader = StreamReader(stream_path)
        self.history = EpisodeHistory()
        self.end: dict | None = None  # the run's end record, while it is the last word
        self.new_episodes = 0
        self.new_timesteps = 0
        self._consumed = 0  # how many of reader.episodes the history has taken in
        self._restarts = 0
        self._view: TrainingView | None = None
        self._detail: tuple[int, dict[str, pd.DataFrame]] | None = None

    def refresh(self) -> int:
        """Read the stream's new records; returns how many episodes were added."""
        records = self.reader.poll()
        episodes = self.reader.episodes
        if self.reader.restarts != self._restarts or len(episodes) < self._consumed:
            self._restarts = self.reader.restarts
            self.history, self.end, self._consumed, self._view, self._detail = EpisodeHistory(), None, 0, None, None
        for record in records:
            if record.get("type") == "header":
                self.end = None
            elif record.get("type") == "end":
                self.end = record
        fresh = episodes[self._consumed :]
        if not fresh:
            return 0
        timesteps_before = int(self.history.column("timesteps")[-1]) if self.history.size else 0
        self._consumed = len(episodes)
        added = self.history.extend(fresh)
        if added:
            self.new_episodes = added
            self.new_timesteps = int(self.history.column("timesteps")[-1]) - timesteps_before
            self._view = None
        return added

    @property
    def header(self) -> dict | None:
        """The run's header record, once read."""
        return self.reader.header

    @property
    def config(self) -> InventoryConfig:
        """The env config of the run (its header's), else the default one."""
        try:
            return InventoryConfig.from_dict(self.header["env_config"])
        except (TypeError, KeyError, ValueError):  # no header yet, or an unreadable config
            return InventoryConfig()

    def view(self) -> TrainingView | None:
        """The cached view of the history; None while there is no episode yet."""
        if self._view is None and self.history.size:
            self._view = build_training_view(
                self.history, list(self.reader.trajectories), self.new_episodes, self.new_timesteps
            )
        return self._view

    def episode_detail(self, episode: int) -> dict[str, pd.DataFrame]:
        """The trajectory frames of a sampled episode, cached for the episode last asked for."""
        if self._detail is None or self._detail[0] != episode:
            self._detail = (episode, trajectory_frames(self.reader.trajectories[episode]))
        return self._detail[1]
