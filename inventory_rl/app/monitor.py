"""What the Training page shows, computed without Streamlit: the monitor that tails a run's
stream (``TrainingMonitor``) into its history (``app.history.EpisodeHistory``), and the cards and
chart frames built from it (``TrainingView``), in the run's scenario. A network run's stream
(``agent.network_agent``) carries the network's figures and each node's cost as its reward
components: the view then shows the network's curves and one per node, and no single-warehouse
figure (utilization, order accuracy).

An idle refresh must cost next to nothing however long the run: the monitor reads only the
bytes appended since the last poll (``stream.StreamReader``), and the view is rebuilt only when
episodes arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inventory_rl.app.history import (
    MAX_CHART_POINTS,
    RAW_SERIES,
    ROLLING_SERIES,
    EpisodeHistory,
    Metric,
    chart_positions,
    component_label,
    percent,
    rolling_metric,
    signed,
    trajectory_frames,
)
from inventory_rl.app.network_runs import network_record
from inventory_rl.app.scenario import run_scenario, sells
from inventory_rl.runs.layout import NetworkRecord
from inventory_rl.runs.stream import StreamReader
from inventory_rl.world.config import InventoryConfig, Scenario, ScenarioError
from inventory_rl.world.warehouses import reward_component_names

MONEY_CURVES = {"cost_per_day": "Cost per day", "profit_per_day": "Profit per day"}


def money_figures(config: InventoryConfig) -> tuple[str, ...]:
    """The money figures worth showing for ``config``: none without costs, the cost per day with
    them, and the profit per day too where something is sold at a price (or the reward is profit)."""
    if not config.has_costs:
        return ()
    return ("cost_per_day", "profit_per_day") if sells(config) else ("cost_per_day",)


# ---------------------------------------------------------------------------- cards
def headline_metrics(
    history: EpisodeHistory,
    new_episodes: int,
    new_timesteps: int,
    config: InventoryConfig,
    nodes: Sequence[str] = (),
) -> tuple[Metric, ...]:
    """The cards at the top of the Training page (the history must not be empty): three counts,
    then rolling means of the figures that mean something in ``config``'s scenario (a network's,
    with ``nodes``: no utilization or order accuracy, which are one warehouse's)."""
    fill = history.column("fill_rate")
    latest_change = signed(100 * (fill[-1] - fill[-2]), unit=" pp") if history.size > 1 else None
    since_update = "New since the previous update of this page."
    rolling = [
        rolling_metric(history, "fill_rate", "Fill rate", as_percent=True),
        rolling_metric(history, "reward", "Reward", as_percent=False),
        rolling_metric(history, "stockouts_per_day", "Stockouts / day", as_percent=False, lower_is_better=True),
    ]
    if not nodes:
        rolling.append(rolling_metric(history, "utilization", "Utilization", as_percent=True))
    if config.order_mode == "fill" and not nodes:  # in free mode the order is not meant to fill the gap
        rolling.append(rolling_metric(history, "order_accuracy", "Order accuracy", as_percent=True))
    for name in money_figures(config):
        label = MONEY_CURVES[name].replace(" per day", " / day")
        rolling.append(rolling_metric(history, name, label, as_percent=False, lower_is_better=name == "cost_per_day"))
    return (
        Metric("Episodes", f"{history.size:,}", f"+{new_episodes:,}" if new_episodes else None, help=since_update),
        Metric(
            "Timesteps",
            f"{int(history.column('timesteps')[-1]):,}",
            f"+{new_timesteps:,}" if new_timesteps else None,
            help=since_update,
        ),
        Metric("Fill rate (latest episode)", percent(fill[-1]), latest_change, help="Change from the episode before."),
        *rolling,
    )


# ---------------------------------------------------------------------------- chart frames
def learning_curves(
    history: EpisodeHistory, config: InventoryConfig, nodes: Sequence[str] = ()
) -> dict[str, pd.DataFrame]:
    """The frames of the learning-curve charts, at most ``MAX_CHART_POINTS`` rows each: reward,
    fill rate, stockouts, the reward components (the scenario's own) and the money figures; for a
    network (``nodes``), also each node's cost per day (rolling means: ``nodes``, long form)."""
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
        component_label(name): history.rolling_mean(f"{name}_points", positions) for name in history.components
    }
    names = ("reward", "fill_rate", "stockouts_per_day", *money_figures(config))
    curves = {**{name: curve(name) for name in names}, "components": pd.DataFrame({"episode": episodes, **components})}
    if nodes:
        days = max(config.episode_days, 1)
        curves["nodes"] = pd.DataFrame(
            {
                "episode": np.tile(episodes, len(nodes)),
                "node": np.repeat(list(nodes), len(episodes)),
                "cost per day": np.concatenate(
                    [-history.rolling_mean(f"{node}_points", positions) / days for node in nodes]
                ),
            }
        )
    return curves


@dataclass(frozen=True)
class TrainingView:
    """Everything the Training page draws for one state of the stream, computed once."""

    metrics: tuple[Metric, ...]
    curves: dict[str, pd.DataFrame]
    sampled_episodes: tuple[int, ...]  # episodes with a trajectory, newest first
    thinned: bool  # curves show every k-th episode, not all of them


def build_training_view(
    history: EpisodeHistory,
    sampled: Sequence[int],
    new_episodes: int,
    new_timesteps: int,
    config: InventoryConfig,
    nodes: Sequence[str] = (),
) -> TrainingView:
    """Everything the Training page shows for a non-empty history of a run in ``config``'s scenario
    (of a network's run with ``nodes``: its nodes' names, which are its reward components)."""
    return TrainingView(
        metrics=headline_metrics(history, new_episodes, new_timesteps, config, nodes),
        curves=learning_curves(history, config, nodes),
        sampled_episodes=tuple(sorted(sampled, reverse=True)),
        thinned=history.size > MAX_CHART_POINTS,
    )


# ---------------------------------------------------------------------------- progress
@dataclass(frozen=True)
class Progress:
    """The Training page's progress bar: how full (0 to 1) and what it says."""

    fraction: float
    text: str


def run_progress(timesteps: int, total: Any, end: Mapping[str, Any] | None) -> Progress | None:
    """How far a run is: ``timesteps`` (at its latest finished episode) of the ``total`` its header
    asked for, or where its ``end`` record says it stopped; None for a live run without a total.

    A run that ended counts the timesteps its end record gives (episodes end only so often: the last
    one may have finished well before training did), and a finished run fills the bar. The last
    rollout always runs to its end, so a run may pass its total: the bar is then full and the text
    says so, never "100,320 of 100,000"."""
    has_total = isinstance(total, int) and not isinstance(total, bool) and total > 0
    status = None
    if end is not None:
        status = str(end.get("status") or "ended")
        ended_at = end.get("timesteps")
        if isinstance(ended_at, int) and not isinstance(ended_at, bool) and ended_at >= 0:
            timesteps = ended_at
    if status is None and not has_total:
        return None
    prefix = "" if status is None else f"{status[:1].upper()}{status[1:]}: "
    fraction = 1.0 if status == "finished" or not has_total else min(timesteps / total, 1.0)
    if not has_total:
        return Progress(fraction, f"{prefix}{timesteps:,} timesteps")
    if timesteps > total:
        ran = "ran" if status is not None else "runs"
        return Progress(1.0, f"{prefix}{timesteps:,} timesteps (the last rollout {ran} past the {total:,} asked)")
    if status == "finished" and timesteps == total:
        return Progress(1.0, f"{prefix}{timesteps:,} timesteps")
    return Progress(fraction, f"{prefix}{timesteps:,} of {total:,} timesteps")


# ---------------------------------------------------------------------------- the stream
class TrainingMonitor:
    """Follows one stream for one browser session.

    ``refresh`` reads only what was appended since the last call; the view (metrics and
    chart frames) is rebuilt only when new episodes arrived. When a new run replaces the
    stream the reader starts over, and so does the history, with the new run's reward components.
    """

    def __init__(self, stream_path: Path) -> None:
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
        self._scenario: tuple[dict | None, Scenario | None] = (None, None)  # (the header it was read from, it)
        self._network: tuple[dict | None, NetworkRecord | None] = (None, None)

    def refresh(self) -> int:
        """Read the stream's new records; returns how many episodes were added."""
        records = self.reader.poll()
        episodes = self.reader.episodes
        if self.reader.restarts != self._restarts or len(episodes) < self._consumed:
            self._restarts = self.reader.restarts
            self.end, self._consumed, self._view, self._detail = None, 0, None, None
            self.history = EpisodeHistory()
        for record in records:
            if record.get("type") == "header":
                self.end = None
            elif record.get("type") == "end":
                self.end = record
        fresh = episodes[self._consumed :]
        if not fresh:
            return 0
        if not self.history.size:  # the first episodes of a run: its reward components
            self.history = EpisodeHistory(self._components(fresh))
        timesteps_before = int(self.history.column("timesteps")[-1]) if self.history.size else 0
        self._consumed = len(episodes)
        added = self.history.extend(fresh)
        if added:
            self.new_episodes = added
            self.new_timesteps = int(self.history.column("timesteps")[-1]) - timesteps_before
            self._view = None
        return added

    def _components(self, records: Sequence[dict]) -> tuple[str, ...]:
        """The run's reward components: a network's nodes, its scenario's, or where its header
        cannot be read (a newer run's config?) those its first record names."""
        if self.network is not None:
            return self.network.network.names
        if self.scenario is not None or not isinstance(records[0].get("reward_components"), dict):
            return reward_component_names(self.config)
        return tuple(records[0]["reward_components"]) or reward_component_names(self.config)

    @property
    def header(self) -> dict | None:
        """The run's header record, once read."""
        return self.reader.header

    @property
    def scenario(self) -> Scenario | None:
        """The run's scenario (from its header; the default warehouse for runs from before
        scenarios); None before the header is read or when its config is unreadable."""
        header = self.header
        if header is not None and self._scenario[0] is not header:
            try:
                found = run_scenario(header)
            except (ScenarioError, TypeError, ValueError):
                found = None
            self._scenario = (header, found)
        return None if header is None else self._scenario[1]

    @property
    def network(self) -> NetworkRecord | None:
        """A network run's network and agents (from its header's ``network``); None for one warehouse."""
        header = self.header
        if header is not None and self._network[0] is not header:
            self._network = (header, network_record(header))
        return None if header is None else self._network[1]

    @property
    def nodes(self) -> tuple[str, ...]:
        """A network run's nodes (empty for one warehouse's run)."""
        network = self.network
        return () if network is None else tuple(network.network.names)

    @property
    def config(self) -> InventoryConfig:
        """The env config of the run (its header's), else the default one."""
        scenario = self.scenario
        return InventoryConfig() if scenario is None else scenario.config

    def progress(self) -> Progress | None:
        """The run's progress (``run_progress``): its latest episode's timesteps against its header's
        total, or where its end record says it stopped; None for a live run before its first episode."""
        if not self.history.size and self.end is None:
            return None
        timesteps = int(self.history.column("timesteps")[-1]) if self.history.size else 0
        return run_progress(timesteps, (self.header or {}).get("total_timesteps"), self.end)

    def view(self) -> TrainingView | None:
        """The cached view of the history; None while there is no episode yet."""
        if self._view is None and self.history.size:
            sampled = [episode for episode, trajectory in self.reader.trajectories.items() if trajectory]
            self._view = build_training_view(
                self.history, sampled, self.new_episodes, self.new_timesteps, self.config, self.nodes
            )
        return self._view

    def episode_detail(self, episode: int) -> dict[str, pd.DataFrame]:
        """The trajectory frames of a sampled episode, cached for the episode last asked for."""
        if self._detail is None or self._detail[0] != episode:
            self._detail = (episode, trajectory_frames(self.reader.trajectories[episode]))
        return self._detail[1]

    def column_at(self, episode: int, names: Sequence[str]) -> dict[str, float] | None:
        """The figures ``names`` of episode number ``episode``; None if it is not in the history."""
        position = self.history.position_of(episode)
        if position is None:
            return None
        return {name: float(np.asarray(self.history.column(name))[position]) for name in names}
