"""The Streamlit dashboard: watch the agent learn live, replay it against the classic rules,
and play against it.

    streamlit run dashboard.py [-- --log-dir DIR]

The log directory is ``--log-dir`` (after ``--``), else ``$INVENTORY_LOG_DIR``, else ``logs``.
Three modes, chosen in the sidebar:

- **Training**: follows ``stream_data.json`` while ``train.py`` writes it, refreshing every
  couple of seconds. Each refresh reads only the bytes appended since the last one
  (``utils.StreamReader``) and redraws from figures cached on the number of records read, so
  an idle refresh costs next to nothing however long the run.
- **Replay**: one 30-day episode of the trained model (or a checkpoint), day by day, beside
  the newsvendor and proportional rules on the same demand.
- **Manual**: a person orders whole units per product against the agent (or the newsvendor
  rule when there is no model), both facing the same seeded demand.

The page functions are thin; the work is done by plain classes and functions
(``EpisodeHistory``, ``TrainingMonitor``, ``ManualGame``, ...) that the tests call directly.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from agent import TrainedAgent, load_agent
from baselines import Policy, make_baseline
from env import REWARD_COMPONENTS, InventoryConfig, InventoryEnv, largest_remainder
from episodes import EpisodeResult, play_episode
from utils import (
    CHECKPOINT_DIR,
    MODEL_NAME,
    RUN_CONFIG_NAME,
    STREAM_NAME,
    ModelLoadError,
    StreamReader,
    read_run_config,
)

MODES = ("Training", "Replay", "Manual")
# The files train.py writes (not imported from it: train.py loads SB3 and torch at import).
REFRESH_SECONDS = 2
ROLLING_WINDOW = 100  # episodes in the rolling means of the Training page
MAX_CHART_POINTS = 500  # episodes drawn per learning curve; longer runs are thinned evenly
SPARKLINE_POINTS = 40
REPLAY_RULES = ("newsvendor", "proportional")
FALLBACK_OPPONENT = "newsvendor"
MAX_MANUAL_UNITS = 999  # per product and day; the free space is at most the capacity anyway
TRAIN_COMMAND = "`python train.py --preset quick` (or `run_quick.sh` / `run_quick.bat`)"
START_TRAINING_HINT = f"Start a training run in another terminal with {TRAIN_COMMAND}: this page follows it live."
TRAIN_MODEL_HINT = f"Train one with {TRAIN_COMMAND}."

COMPONENT_LABELS = {  # short enough for a chart legend
    "order_accuracy": "Accuracy",
    "perfect_fulfillment": "Fulfillment",
    "stock_bonus": "Stock bonus",
    "allocation": "Allocation",
    "stockout_penalty": "Stockouts",
}
COMPONENT_COLORS = ("#4c78a8", "#54a24b", "#72b7b2", "#b279a2", "#e45756")
COMPONENT_LEGEND = dict(zip(COMPONENT_LABELS.values(), COMPONENT_COLORS, strict=True))
RAW_SERIES, ROLLING_SERIES = "per episode", f"rolling mean of {ROLLING_WINDOW}"
CURVE_COLORS = {RAW_SERIES: "#9ecae9", ROLLING_SERIES: "#1f5f9f"}
TOTAL_MEASURES = {"delivered": "#4c78a8", "demand": "#f58518", "lost sales": "#e45756"}
SIDE_COLORS = ("#e45756", "#4c78a8")  # the person, the opponent
POLICY_COLORS = ("#4c78a8", "#f58518", "#54a24b")  # the agent (or the person), then the rules
DAY_MEASURES = {"carried over": "#4c78a8", "delivered": "#9ecae9", "lost sales": "#e45756", "demand": "#333333"}


# ---------------------------------------------------------------------------- configuration
def resolve_log_dir(argv: Sequence[str], environ: Mapping[str, str]) -> Path:
    """The log directory: ``--log-dir`` in ``argv``, else ``INVENTORY_LOG_DIR``, else ``logs``.

    Streamlit hands the arguments after ``--`` to the script as ``sys.argv[1:]``; unknown
    ones are ignored. A ``--log-dir`` without a value raises ``argparse.ArgumentError``.
    """
    parser = argparse.ArgumentParser(prog="dashboard.py", add_help=False, exit_on_error=False)
    parser.add_argument("--log-dir")
    known, _ = parser.parse_known_args(list(argv))
    return Path(known.log_dir or environ.get("INVENTORY_LOG_DIR") or "logs")


def available_models(log_dir: Path) -> list[Path]:
    """The final model first (if any), then the checkpoints, oldest to newest by timesteps."""

    def timesteps(path: Path) -> tuple[int, str]:
        numbers = re.findall(r"\d+", path.stem)  # SB3 names them PREFIX_<steps>_steps.zip
        return (int(numbers[-1]) if numbers else -1, path.name)

    final = [log_dir / MODEL_NAME] if (log_dir / MODEL_NAME).is_file() else []
    return final + sorted((log_dir / CHECKPOINT_DIR).glob("*.zip"), key=timesteps)


def log_dir_config(log_dir: Path) -> InventoryConfig:
    """The env config of the run in ``log_dir`` (its ``run_config.json``), else the default one."""
    try:
        return InventoryConfig.from_dict(read_run_config(log_dir / RUN_CONFIG_NAME)["env_config"])
    except ModelLoadError:  # no run yet, or an unreadable config
        return InventoryConfig()


# ---------------------------------------------------------------------------- training data
EPISODE_COLUMNS = (
    "episode",
    "timesteps",
    "reward",
    "fill_rate",
    "stockouts_per_day",
    "utilization",
    "order_accuracy",
    "allocation_quality",
    *(f"{name}_points" for name in REWARD_COMPONENTS),  # suffixed: order_accuracy is also a metric
)
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


@dataclass(frozen=True)
class Metric:
    """One ``st.metric`` card, formatted and ready to draw."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "normal"
    help: str | None = None
    sparkline: tuple[float, ...] | None = None


@dataclass(frozen=True)
class TrainingView:
    """Everything the Training page draws for one state of the stream, computed once."""

    metrics: tuple[Metric, ...]
    curves: dict[str, pd.DataFrame]
    sampled_episodes: tuple[int, ...]  # episodes with a trajectory, newest first
    thinned: bool  # curves show every k-th episode, not all of them


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


# ---------------------------------------------------------------------------- manual game
@dataclass
class Side:
    """One player's warehouse in the manual game, with running totals of the days played."""

    env: InventoryEnv
    obs: np.ndarray
    info: dict
    reward: float = 0.0
    sales: int = 0
    demand: int = 0
    lost: int = 0
    stockouts: int = 0
    utilization_sum: float = 0.0
    daily_rewards: list[float] = field(default_factory=list)
    daily_fill_rates: list[float] = field(default_factory=list)

    @classmethod
    def start(cls, config: InventoryConfig, seed: int) -> Side:
        """A fresh warehouse reset with ``seed`` (same seed, same demand for both sides)."""
        env = InventoryEnv(config)
        obs, info = env.reset(seed=seed)
        return cls(env=env, obs=obs, info=info)

    def record(self, obs: np.ndarray, reward: float, info: dict) -> None:
        """Take in one day's step result."""
        self.obs, self.info = obs, info
        day_demand = int(info["demand"].sum())
        day_sales = int(info["sales"].sum())
        self.reward += reward
        self.sales += day_sales
        self.demand += day_demand
        self.lost += day_demand - day_sales
        self.stockouts += int(info["stockouts"])
        self.utilization_sum += float(info["utilization"])
        self.daily_rewards.append(reward)
        self.daily_fill_rates.append(float(info["fill_rate"]))

    @property
    def days(self) -> int:
        """Days played so far."""
        return len(self.daily_rewards)

    @property
    def fill_rate(self) -> float:
        """Sales over demand so far (1.0 before any demand)."""
        return self.sales / self.demand if self.demand else 1.0

    @property
    def stock(self) -> np.ndarray:
        """Units of each product on the shelf now."""
        return np.asarray(self.info["stock"])

    def scores(self) -> dict[str, float]:
        """The scoreboard row of this side."""
        return {
            "reward": self.reward,
            "fill rate": self.fill_rate,
            "stockouts": self.stockouts,
            "lost sales (units)": self.lost,
            "utilization": self.utilization_sum / self.days if self.days else 0.0,
        }


@dataclass(frozen=True)
class OrderOutcome:
    """What happened to the person's order of one day."""

    placed: int
    delivered: int
    refused: dict[int, int]  # product -> units turned away at the door

    def explanation(self, capacity: int) -> str | None:
        """A sentence explaining refused units, or None when everything fit."""
        if not self.refused:
            return None
        per_product = ", ".join(f"product {i}: {units}" for i, units in self.refused.items())
        return (
            f"You ordered {self.placed} units but only {self.delivered} fit in the free space of the "
            f"{capacity}-unit warehouse: {self.placed - self.delivered} were refused at the door ({per_product})."
        )


class ManualGame:
    """A person against an opponent policy, both on their own env reset with the same seed."""

    def __init__(self, opponent: Policy, opponent_label: str, config: InventoryConfig, seed: int):
        self.config = config
        self.seed = seed
        self.opponent = opponent
        self.opponent_label = opponent_label
        self.human = Side.start(config, seed)
        self.ai = Side.start(config, seed)
        opponent.reset(self.ai.obs, self.ai.info)
        self.last_outcome: OrderOutcome | None = None

    @property
    def day(self) -> int:
        """Days played so far (0 before the first order)."""
        return self.human.days

    @property
    def over(self) -> bool:
        """True once the episode's last day is played."""
        return self.day >= self.config.episode_days

    def free_space(self) -> int:
        """Units the person can still fit in their warehouse today."""
        return self.config.capacity - int(self.human.stock.sum())

    def place_order(self, units: Sequence[int]) -> OrderOutcome:
        """Play one day: the person's whole-unit order on their env, the opponent's on its own.

        Units beyond the free space are refused at the door by the env; the outcome says how
        many. Raises ``RuntimeError`` when the game is over and ``ValueError`` for a bad order.
        """
        if self.over:
            raise RuntimeError("the game is over: start a new one")
        obs, reward, _, _, info = self.human.env.step_units(np.asarray(units))
        self.human.record(obs, reward, info)
        ai_obs, ai_reward, _, _, ai_info = self.ai.env.step(self.opponent.act(self.ai.obs, self.ai.info))
        self.ai.record(ai_obs, ai_reward, ai_info)
        refused = {i: int(units) for i, units in enumerate(info["refused"]) if units > 0}
        self.last_outcome = OrderOutcome(int(info["ordered"].sum()), int(info["orders"].sum()), refused)
        return self.last_outcome

    def product_view(self) -> list[dict[str, float]]:
        """What the person knows per product when ordering: stock, yesterday's and 7-day demand."""
        rows = self.human.obs.reshape(self.config.n_products, -1)
        scale = self.config.max_demand
        return [
            {"stock": int(self.human.stock[i]), "yesterday": round(rows[i, 1] * scale), "avg7": rows[i, 2] * scale}
            for i in range(self.config.n_products)
        ]

    def suggested_order(self) -> list[int]:
        """The free space split in proportion to the 7-day average demand (a starting point)."""
        averages = np.array([product["avg7"] for product in self.product_view()])
        return largest_remainder(averages, self.free_space()).tolist()


# ---------------------------------------------------------------------------- models
@st.cache_resource(show_spinner="Loading the model...", max_entries=4)
def cached_agent(path: str, modified: float) -> tuple[TrainedAgent, InventoryConfig]:
    """The SB3 model and env config at ``path``; the modification time makes a rewritten file reload.

    Only the model is shared between sessions: every use wraps it in a fresh ``TrainedAgent``
    (see ``fresh_agent``), which holds per-episode state.
    """
    return load_agent(path)


def fresh_agent(path: Path) -> tuple[Policy, InventoryConfig]:
    """A new policy for the model at ``path``; raises ``ModelLoadError`` with a one-line message."""
    try:
        modified = path.stat().st_mtime
    except OSError as error:
        raise ModelLoadError(f"cannot read model {path}: {error.strerror or error}") from None
    agent, config = cached_agent(str(path), modified)
    return TrainedAgent(agent.model, config), config


@st.cache_data(max_entries=64, show_spinner=False)
def rule_episode(rule: str, seed: int, config_json: str) -> EpisodeResult:
    """The episode of ``seed`` played by the baseline ``rule`` on the config given as JSON."""
    config = InventoryConfig.from_dict(json.loads(config_json))
    return play_episode(make_baseline(rule, config, seed), config, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def agent_episode(model_path: str, modified: float, seed: int) -> EpisodeResult:
    """The episode of ``seed`` played by the model at ``model_path`` (``modified``: its mtime,
    so a rewritten model replays); raises ``ModelLoadError``."""
    policy, config = fresh_agent(Path(model_path))
    return play_episode(policy, config, seed)


def replay_episodes(model: Path | None, seed: int, config: InventoryConfig) -> dict[str, EpisodeResult]:
    """The episode of ``seed`` played by the model (when given) and by each of ``REPLAY_RULES``."""
    played = {}
    if model is not None:
        played["PPO agent"] = agent_episode(str(model), model.stat().st_mtime, seed)
    config_json = json.dumps(config.to_dict(), sort_keys=True)
    for rule in REPLAY_RULES:
        played[f"{rule} rule"] = rule_episode(rule, seed, config_json)
    return played


# ---------------------------------------------------------------------------- chart specs
# The height is the plot's; axes and legends add to it (Streamlit's default squeezes them in).
FIT_WIDTH = {"type": "fit-x", "contains": "padding"}


def _x_episode() -> dict:
    """The episode axis (untitled: every chart on it is titled "... per episode")."""
    return {"field": "episode", "type": "quantitative", "title": None}


def curve_spec(y_title: str, y_format: str) -> dict:
    """Per-episode values (thin, faint) and their rolling mean (bold) against the episode."""
    series = list(CURVE_COLORS)
    return {
        "height": 170,
        "autosize": FIT_WIDTH,
        "transform": [{"fold": series, "as": ["series", "value"]}],
        "mark": {"type": "line", "interpolate": "monotone"},
        "encoding": {
            "x": _x_episode(),
            "y": {"field": "value", "type": "quantitative", "title": y_title, "axis": {"format": y_format}},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": series, "range": list(CURVE_COLORS.values())},
                "legend": None,  # one legend above all the curves (legend_html)
            },
            "strokeWidth": {
                "field": "series",
                "type": "nominal",
                "scale": {"domain": series, "range": [1, 2.5]},
                "legend": None,
            },
            "tooltip": [
                _x_episode(),
                {"field": "series", "type": "nominal"},
                {"field": "value", "type": "quantitative", "format": y_format},
            ],
        },
    }


def components_spec() -> dict:
    """The reward components' rolling means stacked (the penalty below zero)."""
    labels = [COMPONENT_LABELS[name] for name in REWARD_COMPONENTS]
    return {
        "height": 170,
        "autosize": FIT_WIDTH,
        "transform": [{"fold": labels, "as": ["component", "points"]}],
        "mark": {"type": "area", "opacity": 0.85},
        "encoding": {
            "x": _x_episode(),
            "y": {"field": "points", "type": "quantitative", "stack": "zero", "title": "points"},
            "color": {
                "field": "component",
                "type": "nominal",
                "title": None,
                "scale": {"domain": labels, "range": list(COMPONENT_COLORS)},
                "legend": None,  # drawn above the chart (legend_html): the chart is too narrow for it
            },
            "order": {"field": "component"},
            "tooltip": [
                _x_episode(),
                {"field": "component"},
                {"field": "points", "type": "quantitative", "format": ",.0f"},
            ],
        },
    }


def heatmap_spec(value: str, scheme: str, mark_lost: bool = False) -> dict:
    """Products (rows) by days (columns) coloured by ``value`` of the ``days`` frame; with
    ``mark_lost`` a red dot marks each day a product lost sales."""
    x = {
        "field": "day",
        "type": "ordinal",
        "title": "day",
        "axis": {"labelAngle": 0, "values": [1, 5, 10, 15, 20, 25, 30]},
    }
    y = {"field": "product", "type": "nominal", "title": None, "sort": None}
    tooltip = [{"field": "day"}, {"field": "product"}, {"field": "stock"}, {"field": "demand"}, {"field": "lost sales"}]
    layers = [
        {
            "mark": {"type": "rect", "stroke": "white", "strokeWidth": 0.5},
            "encoding": {
                "x": x,
                "y": y,
                "color": {"field": value, "type": "quantitative", "title": "units", "scale": {"scheme": scheme}},
                "tooltip": tooltip,
            },
        }
    ]
    if mark_lost:
        layers.append(
            {
                "transform": [{"filter": "datum['lost sales'] > 0"}],
                "mark": {"type": "circle", "color": "#e45756", "opacity": 1, "size": 28},
                "encoding": {"x": x, "y": y, "tooltip": tooltip},
            }
        )
    return {"height": 220, "autosize": FIT_WIDTH, "layer": layers}


def grouped_bars_spec(measures: Mapping[str, str]) -> dict:
    """Bars per product, one per measure side by side (columns product, measure, units)."""
    return {
        "height": 200,
        "autosize": FIT_WIDTH,
        "mark": {"type": "bar", "cornerRadiusTopLeft": 2, "cornerRadiusTopRight": 2},
        "encoding": {
            "x": {"field": "product", "type": "nominal", "title": None, "axis": {"labelAngle": 0}, "sort": None},
            "xOffset": {"field": "measure", "sort": list(measures)},
            "y": {"field": "units", "type": "quantitative", "title": "units"},
            "color": {
                "field": "measure",
                "type": "nominal",
                "title": None,
                "scale": {"domain": list(measures), "range": list(measures.values())},
                "legend": {"orient": "bottom"},
            },
            "tooltip": [{"field": "product"}, {"field": "measure"}, {"field": "units", "type": "quantitative"}],
        },
    }


def day_spec(y_max: float) -> dict:
    """One day per product: the shelf (carried over + delivered) stacked with the lost sales on
    top, and a tick at the demand (columns product, measure, units)."""
    x = {"field": "product", "type": "nominal", "title": None, "axis": {"labelAngle": 0}, "sort": None}
    y = {"field": "units", "type": "quantitative", "title": "units", "scale": {"domain": [0, y_max]}}
    color = {
        "field": "measure",
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(DAY_MEASURES), "range": list(DAY_MEASURES.values())},
        "legend": None,  # too narrow: the page draws one legend for all (legend_html)
    }
    tooltip = [{"field": "product"}, {"field": "measure"}, {"field": "units", "type": "quantitative"}]
    stacked = list(DAY_MEASURES)[:-1]
    return {
        "height": 200,
        "autosize": FIT_WIDTH,
        "layer": [
            {
                "transform": [
                    {"filter": {"field": "measure", "oneOf": stacked}},
                    {"calculate": f"indexof({stacked}, datum.measure)", "as": "level"},
                ],
                "mark": {"type": "bar"},
                "encoding": {
                    "x": x,
                    "y": {**y, "stack": "zero"},
                    "color": color,
                    "order": {"field": "level"},
                    "tooltip": tooltip,
                },
            },
            {
                "transform": [{"filter": {"field": "measure", "equal": "demand"}}],
                "mark": {"type": "tick", "thickness": 3},
                "encoding": {"x": x, "y": y, "color": color, "tooltip": tooltip},
            },
        ],
    }


def daily_lines_spec(y_title: str, y_format: str, colors: Mapping[str, str], day: int | None = None) -> dict:
    """One line per series against the day (columns day, series, value), coloured by ``colors``
    (series -> colour), with a dashed marker at ``day`` if given."""
    lines = {
        "mark": {"type": "line", "point": {"size": 20}},
        "encoding": {
            "x": {"field": "day", "type": "quantitative", "title": "day", "axis": {"tickMinStep": 1, "format": "d"}},
            "y": {"field": "value", "type": "quantitative", "title": y_title, "axis": {"format": y_format}},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": list(colors), "range": list(colors.values())},
                "legend": None,  # the page draws it above (legend_html): long names do not fit
            },
            "tooltip": [
                {"field": "day"},
                {"field": "series"},
                {"field": "value", "type": "quantitative", "format": y_format},
            ],
        },
    }
    layers = [lines]
    if day is not None:
        layers.append(
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#888"}, "encoding": {"x": {"datum": day}}}
        )
    return {"height": 220, "autosize": FIT_WIDTH, "layer": layers}


def legend_html(colors: Mapping[str, str]) -> str:
    """A one-line colour legend shared by several charts (each of them too narrow for its own)."""
    items = (f'<span style="color:{color}">&#9632;</span>&nbsp;{name}' for name, color in colors.items())
    return '<span style="font-size:0.85rem">' + " &nbsp;&nbsp; ".join(items) + "</span>"


REWARD_CURVE_SPEC = curve_spec("points", ",.0f")
FILL_CURVE_SPEC = curve_spec("fill rate", ".0%")
STOCKOUT_CURVE_SPEC = curve_spec("per day", ".1f")
COMPONENTS_SPEC = components_spec()
TOTALS_SPEC = grouped_bars_spec(TOTAL_MEASURES)
STOCK_HEATMAP_SPEC = heatmap_spec("stock", "blues", mark_lost=True)
DEMAND_HEATMAP_SPEC = heatmap_spec("demand", "oranges")


def chart(data: pd.DataFrame, spec: dict) -> None:
    """Draw a Vega-Lite chart across its column (Streamlit's theme, no altair round trip)."""
    st.vega_lite_chart(data, spec, width="stretch")


# ---------------------------------------------------------------------------- pages
def sidebar(log_dir: Path) -> str:
    """The mode radio and a short status of the log directory; returns the chosen mode."""
    with st.sidebar:
        st.title(":material/inventory_2: Inventory RL")
        st.caption("A PPO agent splits each day's order across 10 products sharing a 100-unit warehouse.")
        mode = st.radio(
            "Mode",
            MODES,
            key="mode",
            captions=("Watch the agent learn, live", "One episode, day by day, vs the rules", "You against the agent"),
        )
        st.divider()
        st.caption(f"Log directory: `{log_dir}`")
        stream_state = (
            ":material/check_circle: training stream"
            if (log_dir / STREAM_NAME).is_file()
            else ":material/hourglass_empty: no training stream yet"
        )
        model_state = (
            ":material/check_circle: trained model"
            if (log_dir / MODEL_NAME).is_file()
            else ":material/hourglass_empty: no trained model yet"
        )
        st.caption(f"{stream_state}  \n{model_state}")
    return mode


def training_monitor(log_dir: Path) -> TrainingMonitor:
    """This session's monitor for the stream in ``log_dir`` (kept across refreshes)."""
    stream_path = log_dir / STREAM_NAME
    monitor = st.session_state.get("training_monitor")
    if monitor is None or monitor.stream_path != stream_path:
        monitor = st.session_state["training_monitor"] = TrainingMonitor(stream_path)
    return monitor


def run_status(monitor: TrainingMonitor) -> str:
    """One line about the run: id, start, progress and whether it is still writing."""
    header = monitor.header or {}
    parts = [f"Run `{header.get('run_id', '?')}`", f"started {str(header.get('started', '?'))[:19].replace('T', ' ')}"]
    if header.get("resumed"):
        parts.append("resumed")
    if monitor.end is None:
        parts.append(f":green[:material/radio_button_checked: live], refreshing every {REFRESH_SECONDS} s")
    else:
        parts.append(f":material/stop_circle: {monitor.end.get('status', 'ended')}")
    return " · ".join(parts)


def draw_metrics(metrics: Sequence[Metric], per_row: int = 4) -> None:
    """Metric cards in rows of ``per_row``."""
    for start in range(0, len(metrics), per_row):
        for column, metric in zip(st.columns(per_row), metrics[start : start + per_row], strict=False):
            column.metric(
                metric.label,
                metric.value,
                metric.delta,
                delta_color=metric.delta_color,
                help=metric.help,
                border=True,
                height="stretch",
                chart_data=metric.sparkline,
                chart_type="area",
            )


def render_training(monitor: TrainingMonitor) -> None:
    """The Training page for the current state of the stream (called by the refreshing fragment)."""
    monitor.refresh()
    st.header(":material/monitoring: Training (live)")
    if monitor.header is None and not monitor.history.size:
        st.info(
            f"No training stream at `{monitor.stream_path}` yet. {START_TRAINING_HINT}", icon=":material/rocket_launch:"
        )
        return
    st.caption(run_status(monitor))
    view = monitor.view()
    total = (monitor.header or {}).get("total_timesteps")
    if view is None:
        st.info(
            "The run has started; waiting for its first finished episode (30 steps per env)...",
            icon=":material/hourglass_top:",
        )
        return
    timesteps = int(monitor.history.column("timesteps")[-1])
    if isinstance(total, int) and total > 0:
        st.progress(min(timesteps / total, 1.0), text=f"{timesteps:,} of {total:,} timesteps")
    draw_metrics(view.metrics[:3], per_row=3)  # counts and the latest episode
    st.caption(
        f"Rolling means over the last {ROLLING_WINDOW} episodes, with the change from the {ROLLING_WINDOW} before:"
    )
    draw_metrics(view.metrics[3:], per_row=5)

    st.subheader("Learning curves")
    thinned = f" ({MAX_CHART_POINTS} evenly spread episodes of {monitor.history.size:,})" if view.thinned else ""
    st.markdown(legend_html(CURVE_COLORS) + thinned, unsafe_allow_html=True)
    left, right = st.columns(2)
    with left:
        st.markdown("**Reward per episode** (points)")
        chart(view.curves["reward"], REWARD_CURVE_SPEC)
    with right:
        st.markdown("**Fill rate per episode** (share of demand served)")
        chart(view.curves["fill_rate"], FILL_CURVE_SPEC)
    left, right = st.columns(2)
    with left:
        st.markdown("**Stockouts per day** (products short of demand)")
        st.caption("The mean over the episode's 30 days.")
        chart(view.curves["stockouts_per_day"], STOCKOUT_CURVE_SPEC)
    with right:
        st.markdown(f"**Reward components** (rolling means of {ROLLING_WINDOW}, stacked)")
        st.markdown(legend_html(COMPONENT_LEGEND), unsafe_allow_html=True)
        chart(view.curves["components"], COMPONENTS_SPEC)

    render_episode_analysis(monitor, view)


def render_episode_analysis(monitor: TrainingMonitor, view: TrainingView) -> None:
    """Stock and demand per product over one sampled episode (the latest unless picked)."""
    st.subheader("Episode analysis")
    if not view.sampled_episodes:
        st.info("No episode with a day-by-day trajectory yet; the first one is sampled as soon as it ends.")
        return
    latest = view.sampled_episodes[0]
    picked = st.selectbox(
        "Sampled episode (trajectories are recorded for the first episode, then regularly)",
        (None, *view.sampled_episodes),
        format_func=lambda episode: f"Latest sampled (episode {latest})" if episode is None else f"Episode {episode}",
        key="episode_pick",
    )
    episode = latest if picked is None else picked
    position = monitor.history.position_of(episode)
    if position is not None:
        row = {
            name: monitor.history.column(name)[position]
            for name in ("reward", "fill_rate", "stockouts_per_day", "utilization")
        }
        draw_metrics(
            (
                Metric(f"Episode {episode}: reward", f"{row['reward']:,.0f}"),
                Metric("Fill rate", percent(row["fill_rate"])),
                Metric("Stockouts per day", f"{row['stockouts_per_day']:.2f}"),
                Metric("Utilization", percent(row["utilization"])),
            )
        )
    frames = monitor.episode_detail(episode)
    left, right = st.columns(2)
    with left:
        st.markdown("**Stock at the end of each day**")
        st.caption("A red dot: some of the product's demand was lost that day.")
        chart(frames["days"], STOCK_HEATMAP_SPEC)
    with right:
        st.markdown("**Demand each day**")
        st.caption("Units customers asked for; demand not met is lost, not back-ordered.")
        chart(frames["days"], DEMAND_HEATMAP_SPEC)
    st.markdown("**Episode totals per product**: what was delivered, what customers asked for, what they could not get")
    chart(frames["totals"], TOTALS_SPEC)


@st.fragment(run_every=REFRESH_SECONDS)
def training_fragment(log_dir: Path) -> None:
    """The Training page, rerun on its own every ``REFRESH_SECONDS``."""
    render_training(training_monitor(log_dir))


def day_frame(result: EpisodeResult, day: int) -> pd.DataFrame:
    """Per-product units of one day (1-based) in ``DAY_MEASURES``: stock carried over from the
    day before, delivered, lost sales, demand (columns product, measure, units)."""
    index = day - 1
    delivered = result.orders[index]
    measures = {
        "carried over": result.stock[index] + result.sales[index] - delivered,
        "delivered": delivered,
        "lost sales": result.lost_sales[index],
        "demand": result.demand[index],
    }
    return per_product_frame(measures)


def replay_summary(played: Mapping[str, EpisodeResult]) -> pd.DataFrame:
    """One row per policy: the episode's headline figures."""
    rows = {}
    for name, result in played.items():
        metrics = result.metrics()
        rows[name] = {
            "fill rate": percent(metrics["fill_rate"]),
            "stockouts per day": f"{metrics['stockouts_per_day']:.2f}",
            "reward": f"{metrics['mean_reward']:,.0f}",
            "lost sales (units)": int(result.lost_sales.sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def daily_series(values: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long frame (day, series, value) from one array per series."""
    return pd.DataFrame(
        [(day, name, float(value)) for name, array in values.items() for day, value in enumerate(array, start=1)],
        columns=["day", "series", "value"],
    )


def components_table(played: Mapping[str, EpisodeResult], day: int) -> pd.DataFrame:
    """The day's reward components (and total) per policy."""
    table = {
        name: {COMPONENT_LABELS[c]: result.reward_components[c][day - 1] for c in REWARD_COMPONENTS}
        for name, result in played.items()
    }
    frame = pd.DataFrame(table)
    frame.loc["Total"] = frame.sum()
    return frame.map(lambda points: f"{points:,.0f}")


def render_replay(log_dir: Path) -> None:
    """The Replay page: one seeded episode of the model beside the rules, day by day."""
    st.header(":material/replay: Replay an episode")
    models = available_models(log_dir)
    controls = st.columns([3, 1])
    model = None
    if models:
        model = controls[0].selectbox(
            "Model",
            models,
            format_func=lambda path: str(path.relative_to(log_dir)),
            key="replay_model",
            help="The final model or one of the checkpoints saved during training.",
        )
    seed = controls[1].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="replay_seed")
    config = log_dir_config(log_dir)
    if model is None:
        st.info(
            f"No trained model in `{log_dir}` yet: showing the rules only. {TRAIN_MODEL_HINT}",
            icon=":material/info:",
        )
    else:
        try:
            config = fresh_agent(model)[1]
        except ModelLoadError as error:
            st.error(f"{error}. Showing the rules only.", icon=":material/error:")
            model = None
    with st.spinner("Playing the episode..."):
        played = replay_episodes(model, int(seed), config)

    st.subheader(f"Episode with seed {seed}: the same demand for every policy")
    st.dataframe(replay_summary(played), width="stretch")
    day = st.slider("Day", 1, config.episode_days, 1, key="replay_day")
    left, right = st.columns(2)
    with left:
        st.markdown("**Cumulative reward** (dashed line: the chosen day)")
        colors = dict(zip(played, POLICY_COLORS, strict=False))
        st.markdown(legend_html(colors), unsafe_allow_html=True)
        cumulative = {name: np.cumsum(result.rewards) for name, result in played.items()}
        chart(daily_series(cumulative), daily_lines_spec("points", ",.0f", colors, day))
    with right:
        st.markdown(f"**Reward components of day {day}** (points)")
        st.caption("The day's reward is the sum of these five parts.")
        st.dataframe(components_table(played, day), width="stretch")

    st.subheader(f"Day {day}, product by product")
    st.markdown(legend_html(DAY_MEASURES), unsafe_allow_html=True)
    spec = day_spec(max(int((r.stock + r.sales + r.lost_sales).max()) for r in played.values()))
    for column, (name, result) in zip(st.columns(len(played)), played.items(), strict=True):
        with column:
            st.markdown(f"**{name}**")
            fill, stockouts = result.daily["fill_rate"][day - 1], int(result.daily["stockouts"][day - 1])
            st.caption(f"fill rate {percent(fill)} · {stockouts} products short")
            chart(day_frame(result, day), spec)


@dataclass(frozen=True)
class Opponent:
    """Who the person plays against; ``note`` (no model yet) or ``error`` (the model could not
    be loaded) say why it is the fallback rule rather than the trained agent."""

    policy: Policy
    label: str
    config: InventoryConfig
    note: str | None = None
    error: str | None = None


def opponent_for(log_dir: Path) -> Opponent:
    """The manual game's opponent: the trained agent in ``log_dir``, else the newsvendor rule."""
    path = log_dir / MODEL_NAME
    config = log_dir_config(log_dir)
    fallback = make_baseline(FALLBACK_OPPONENT, config)
    label = f"{FALLBACK_OPPONENT} rule"
    if not path.is_file():
        note = f"No trained model in `{log_dir}` yet: you play against the {label}. {TRAIN_MODEL_HINT}"
        return Opponent(fallback, label, config, note=note)
    try:
        agent, agent_config = fresh_agent(path)
    except ModelLoadError as error:
        return Opponent(fallback, label, config, error=f"{error}. You play against the {label} instead.")
    return Opponent(agent, "PPO agent", agent_config)


def new_game(log_dir: Path) -> None:
    """Start a manual game for the chosen seed (a button callback, so it runs before the page)."""
    opponent = opponent_for(log_dir)
    seed = int(st.session_state.get("manual_seed", 0))
    st.session_state["manual_opponent"] = opponent
    st.session_state["manual_game"] = ManualGame(opponent.policy, opponent.label, opponent.config, seed)
    for i in range(opponent.config.n_products):
        st.session_state[f"order_{i}"] = 0


def place_order() -> None:
    """Play the day with the number inputs' units (the place_order button's callback)."""
    game: ManualGame = st.session_state["manual_game"]
    if not game.over:
        game.place_order([int(st.session_state.get(f"order_{i}") or 0) for i in range(game.config.n_products)])


def suggest_order() -> None:
    """Fill the number inputs with the proportional split of the free space."""
    game: ManualGame = st.session_state["manual_game"]
    for i, units in enumerate(game.suggested_order()):
        st.session_state[f"order_{i}"] = units


def side_metrics(side: Side, capacity: int) -> None:
    """One side's running figures."""
    first, second = st.columns(2)
    last_reward = f"{side.daily_rewards[-1]:+,.0f} today" if side.days else None
    first.metric("Reward", f"{side.reward:,.0f}", last_reward, border=True)
    second.metric("Fill rate", percent(side.fill_rate), border=True)
    third, fourth = st.columns(2)
    third.metric("Stockouts", f"{side.stockouts}", help="Product-days with unmet demand.", border=True)
    fourth.metric("Stock on hand", f"{int(side.stock.sum())} / {capacity}", border=True)


def scoreboard(game: ManualGame) -> pd.DataFrame:
    """The final (or running) scoreboard, one row per side."""
    frame = pd.DataFrame({"You": game.human.scores(), game.opponent_label: game.ai.scores()}).T
    return frame.assign(
        **{
            "reward": frame["reward"].map(lambda points: f"{points:,.0f}"),
            "fill rate": frame["fill rate"].map(percent),
            "utilization": frame["utilization"].map(percent),
            "stockouts": frame["stockouts"].astype(int),
            "lost sales (units)": frame["lost sales (units)"].astype(int),
        }
    )


def verdict(game: ManualGame) -> str:
    """Who won the finished game, by reward."""
    margin = game.human.reward - game.ai.reward
    if margin > 0:
        return f":material/trophy: You beat the {game.opponent_label} by {margin:,.0f} points!"
    if margin < 0:
        return f"The {game.opponent_label} wins by {-margin:,.0f} points. Try another game?"
    return "A draw: exactly the same reward."


def render_manual(log_dir: Path) -> None:
    """The Manual page: the person's order form, both sides' running figures, the scoreboard."""
    st.header(":material/sports_esports: Manual: you against the agent")
    if "manual_game" not in st.session_state:
        new_game(log_dir)
    game: ManualGame = st.session_state["manual_game"]
    opponent: Opponent = st.session_state["manual_opponent"]
    if opponent.error:
        st.error(opponent.error, icon=":material/error:")
    elif opponent.note:
        st.info(opponent.note, icon=":material/info:")
    controls = st.columns([1, 1, 3], vertical_alignment="bottom")
    controls[0].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="manual_seed")
    controls[1].button("New game", key="new_game", on_click=new_game, args=(log_dir,), width="stretch")
    controls[2].caption(
        "Same seed, same demand: you and the opponent face exactly the same customers. "
        "Orders arrive overnight and are on the shelves before the day's demand."
    )

    cfg = game.config
    if game.over:
        st.subheader(":material/sports_score: Final scoreboard")
        st.dataframe(scoreboard(game), width="stretch")
        (st.success if game.human.reward > game.ai.reward else st.info)(verdict(game))
    else:
        render_order_form(game)

    if game.last_outcome is not None and (message := game.last_outcome.explanation(cfg.capacity)):
        st.warning(message, icon=":material/door_front:")
    you, them = st.columns(2)
    with you:
        st.subheader(":material/person: You")
        side_metrics(game.human, cfg.capacity)
    with them:
        st.subheader(f":material/smart_toy: {game.opponent_label}")
        side_metrics(game.ai, cfg.capacity)
    if game.day:
        sides = {"You": game.human, game.opponent_label: game.ai}
        colors = dict(zip(sides, SIDE_COLORS, strict=True))
        st.markdown(legend_html(colors), unsafe_allow_html=True)
        left, right = st.columns(2)
        with left:
            st.markdown("**Cumulative reward**")
            cumulative = {name: np.cumsum(side.daily_rewards) for name, side in sides.items()}
            chart(daily_series(cumulative), daily_lines_spec("points", ",.0f", colors))
        with right:
            st.markdown("**Fill rate per day**")
            fill_rates = {name: side.daily_fill_rates for name, side in sides.items()}
            chart(daily_series(fill_rates), daily_lines_spec("fill rate", ".0%", colors))
        st.markdown(f"**Stock per product after day {game.day}**, beside that day's demand")
        stock = {**{name: side.stock for name, side in sides.items()}, "demand": game.human.info["demand"]}
        chart(per_product_frame(stock), grouped_bars_spec({**colors, "demand": TOTAL_MEASURES["demand"]}))


def render_order_form(game: ManualGame) -> None:
    """The day's situation and the ten number inputs with the place-order button."""
    cfg = game.config
    free = game.free_space()
    st.subheader(f"Day {game.day + 1} of {cfg.episode_days}")
    entered = sum(int(st.session_state.get(f"order_{i}") or 0) for i in range(cfg.n_products))
    excess = f" **{entered - free} would be refused at the door.**" if entered > free else ""
    st.markdown(
        f"Your warehouse holds **{cfg.capacity - free} / {cfg.capacity}** units; free space **{free}**. "
        f"Your order: **{entered}** units.{excess}  \n"
        "Under each product: its stock now, yesterday's demand (yday) and the 7-day average demand (avg)."
    )
    per_row = 5
    products = game.product_view()
    for start in range(0, cfg.n_products, per_row):
        for column, i in zip(st.columns(per_row), range(start, min(start + per_row, cfg.n_products)), strict=False):
            product = products[i]
            column.number_input(f"Product {i}", min_value=0, max_value=MAX_MANUAL_UNITS, step=1, key=f"order_{i}")
            column.caption(f"stock **{product['stock']}**  \nyday {product['yesterday']} · avg {product['avg7']:.1f}")
    buttons = st.columns([1, 1, 3])
    buttons[0].button("Place order", key="place_order", type="primary", on_click=place_order, width="stretch")
    buttons[1].button(
        "Suggest",
        key="suggest_order",
        on_click=suggest_order,
        width="stretch",
        help="Fill the free space in proportion to the 7-day averages.",
    )


def main() -> None:
    """Lay out the page for the chosen mode."""
    st.set_page_config(page_title="Inventory RL dashboard", page_icon=":material/inventory_2:", layout="wide")
    try:
        log_dir = resolve_log_dir(sys.argv[1:], os.environ)
    except argparse.ArgumentError as error:
        st.error(f"dashboard.py: {error}. Usage: streamlit run dashboard.py -- --log-dir DIR")
        return
    mode = sidebar(log_dir)
    if mode == "Training":
        training_fragment(log_dir)
    elif mode == "Replay":
        render_replay(log_dir)
    else:
        render_manual(log_dir)


if __name__ == "__main__":
    main()
