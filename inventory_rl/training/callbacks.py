"""SB3 callbacks, one job each: atomic checkpoints, the inventory metrics in TensorBoard, the
dashboard's live stream, and one printed line per episode. Each episode is measured once
(``summarize_episode``) and shared by all of them."""

from __future__ import annotations

import copy
import math
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback

from inventory_rl.evaluation.metrics import EpisodeResult
from inventory_rl.runs.stream import (
    EPISODE_FIGURES,
    TRAJECTORY_FIELDS,
    StreamWriter,
    episode_record,
    stream_figures,
    trajectory_fields,
)
from inventory_rl.training.model import save_model

# Episodes 1, 1 + k, 1 + 2k, ... carry their day-by-day trajectory (~3.5 kB more) in the stream.
# A 1M-step run has ~33,000 episodes: ~13 MB of summaries plus ~2 MB of trajectories.
TRAJECTORY_EVERY = 50
LOGGED_METRICS = tuple(EPISODE_FIGURES)  # the stream's per-episode figures, also sent to TensorBoard


# ---------------------------------------------------------------------------- environment
def summarize_episode(result: EpisodeResult, fields: tuple[str, ...] = TRAJECTORY_FIELDS) -> dict:
    """An episode's figures (``stream.EPISODE_FIGURES``, in the env's points, not the training
    reward) and its trajectory (the arrays ``fields``: ``stream.trajectory_fields``), measured by
    ``metrics.EpisodeResult`` so the stream and evaluations agree."""
    return {
        **stream_figures(result.metrics()),
        "reward_components": {name: float(points.sum()) for name, points in result.reward_components.items()},
        "stockouts": int(result.daily["stockouts"].sum()),
        "trajectory": {key: getattr(result, key) for key in fields},
    }


# ---------------------------------------------------------------------------- callbacks
class EpisodeCallback(BaseCallback):
    """Base for callbacks that act once per finished episode.

    Episodes are numbered from ``first_episode`` across all envs, in the order they finish
    (lower env index first within a step), identically in every subclass.
    """

    def __init__(self, first_episode: int = 1):
        super().__init__()
        self.next_episode = first_episode
        self.fields = TRAJECTORY_FIELDS

    def _on_training_start(self) -> None:
        self.fields = trajectory_fields(self.training_env.get_attr("config")[0])

    def _on_step(self) -> bool:
        dones = self.locals["dones"]
        if dones.any():
            infos = self.locals["infos"]
            for env_index in np.flatnonzero(dones):
                info = infos[env_index]
                if "inventory_summary" not in info:  # measured once, shared by every callback
                    info["inventory_summary"] = summarize_episode(info["inventory_episode"], self.fields)
                if info["inventory_summary"] is None:  # another row's episode (a network's node agents)
                    continue
                self._on_episode(self.next_episode, int(env_index), info["inventory_summary"])
                self.next_episode += 1
        return True

    def _on_episode(self, episode: int, env_index: int, summary: dict) -> None:
        raise NotImplementedError


class AtomicCheckpointCallback(CheckpointCallback):
    """SB3's ``CheckpointCallback``, writing each checkpoint through ``save_model`` so that the
    dashboard, which lists and loads checkpoints while a run goes on, never reads half a zip.
    (This project saves no replay buffer or normalization statistics beside them.)"""

    def _on_step(self) -> bool:
        if self.n_calls % self.save_freq == 0:
            save_model(self.model, Path(self._checkpoint_path(extension="zip")))
        return True


class KeepBestCallback(BaseCallback):
    """Keeps the policy that ``cost`` (a model's mean cost per day on held-out episodes) finds cheapest,
    judged at the start and every ``every`` calls, and puts it back in the model when training ends:
    SB3's ``EvalCallback`` with ``best_model_save_path`` in spirit, on fixed episodes (common random
    numbers: the candidates differ by their decisions, not their luck)."""

    def __init__(self, cost: Callable[[Any], float], every: int):
        super().__init__()
        self.cost, self.every = cost, every
        self.best_cost, self.best_step = math.inf, 0
        self.best_state: dict[str, Any] | None = None

    def _judge(self) -> None:
        cost = self.cost(self.model)
        if cost < self.best_cost:
            self.best_cost, self.best_step = cost, self.model.num_timesteps
            self.best_state = copy.deepcopy(self.model.policy.state_dict())

    def _on_training_start(self) -> None:
        self._judge()

    def _on_step(self) -> bool:
        if self.n_calls % self.every == 0:
            self._judge()
        return True

    def _on_training_end(self) -> None:
        self._judge()
        if self.best_state is None:  # no judgement gave a number (nan costs): keep the last policy
            return
        self.model.policy.load_state_dict(self.best_state)
        print(f"Kept the policy of step {self.best_step:,}: {self.best_cost:.4f} a day on the held-out episodes")


class InventoryMetricsCallback(EpisodeCallback):
    """Logs each episode's metrics to SB3's logger under ``inventory/``; like
    ``rollout/ep_rew_mean``, TensorBoard gets their mean over each rollout's episodes."""

    def _on_episode(self, episode: int, env_index: int, summary: dict) -> None:
        for key in LOGGED_METRICS:
            self.logger.record_mean(f"inventory/{key}", summary[key])
        for name, points in summary["reward_components"].items():
            self.logger.record_mean(f"inventory/reward_{name}", points)


class StreamCallback(EpisodeCallback):
    """Appends one record per episode to the dashboard's stream; every ``trajectory_every``-th
    episode (the first included) also carries its day-by-day trajectory."""

    def __init__(self, writer: StreamWriter, run_id: str, first_episode: int = 1, trajectory_every: int = 50):
        super().__init__(first_episode)
        self.writer = writer
        self.run_id = run_id
        self.first_episode = first_episode
        self.trajectory_every = trajectory_every

    def _on_episode(self, episode: int, env_index: int, summary: dict) -> None:
        sampled = (episode - self.first_episode) % self.trajectory_every == 0
        self.writer.write(episode_record(self.run_id, episode, env_index, self.num_timesteps, summary, sampled))


class VerboseCallback(EpisodeCallback):
    """Prints one line per episode and, at the end, a summary of the last 100 episodes."""

    def __init__(self, first_episode: int = 1):
        super().__init__(first_episode)
        self.recent: deque[dict] = deque(maxlen=100)
        self.started = 0.0
        self.start_timesteps = 0

    def _on_training_start(self) -> None:
        super()._on_training_start()
        self.started = time.perf_counter()
        self.start_timesteps = self.model.num_timesteps

    def _on_episode(self, episode: int, env_index: int, summary: dict) -> None:
        self.recent.append(summary)
        print(
            f"episode {episode:>6}  timesteps {self.num_timesteps:>9,}  reward {summary['reward']:>9,.0f}  "
            f"fill rate {summary['fill_rate']:6.1%}  stockouts/day {summary['stockouts_per_day']:5.2f}  "
            f"utilization {summary['utilization']:6.1%}"
        )

    def _on_training_end(self) -> None:
        steps = self.model.num_timesteps - self.start_timesteps
        seconds = time.perf_counter() - self.started
        print(f"Trained {steps:,} timesteps in {seconds:.0f} s ({steps / max(seconds, 1e-9):,.0f}/s).")
        if self.recent:
            means = {key: np.mean([summary[key] for summary in self.recent]) for key in LOGGED_METRICS}
            print(
                f"Last {len(self.recent)} episodes: reward {means['reward']:,.0f}, fill rate {means['fill_rate']:.1%}, "
                f"stockouts/day {means['stockouts_per_day']:.2f}, utilization {means['utilization']:.1%}, "
                f"order accuracy {means['order_accuracy']:.1%}, allocation quality {means['allocation_quality']:.2f}"
            )
