"""The manual game without Streamlit: a person orders whole units per product against an
opponent policy, both on their own env reset with the same seed, so they face the same demand.

Each side keeps only its env, the current observation and info, and the info of every day
played; its figures are those of ``episodes.EpisodeResult``, the one definition of the
episode metrics, over the days played so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from baselines import Policy
from env import InventoryConfig, InventoryEnv, Observation, largest_remainder
from episodes import EpisodeResult


@dataclass
class Side:
    """One player's warehouse: its env, what it sees now, and the info of each day played."""

    name: str
    seed: int
    env: InventoryEnv
    obs: np.ndarray
    info: dict
    days: list[dict] = field(default_factory=list)

    @classmethod
    def start(cls, name: str, config: InventoryConfig, seed: int) -> Side:
        """A fresh warehouse reset with ``seed`` (same seed, same demand for both sides)."""
        env = InventoryEnv(config)
        obs, info = env.reset(seed=seed)
        return cls(name=name, seed=seed, env=env, obs=obs, info=info)

    def record(self, obs: np.ndarray, info: dict) -> None:
        """Take in one day's step result."""
        self.obs, self.info = obs, info
        self.days.append(info)

    @property
    def stock(self) -> np.ndarray:
        """Units of each product on the shelf now."""
        return np.asarray(self.info["stock"])

    def result(self) -> EpisodeResult | None:
        """The days played so far as an episode; None before the first day."""
        return EpisodeResult.from_days(self.name, self.seed, self.days) if self.days else None

    def scores(self) -> dict[str, float]:
        """The scoreboard row: the episode metrics of the days played (at least one)."""
        result = self.result()
        if result is None:
            raise ValueError("no day played yet")
        metrics = result.metrics()
        return {
            "reward": metrics["mean_reward"],  # the episode's total
            "fill rate": metrics["fill_rate"],
            "stockouts per day": metrics["stockouts_per_day"],
            "utilization": metrics["utilization"],
            "lost sales (units)": int(result.lost_sales.sum()),
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
        self.human = Side.start("You", config, seed)
        self.ai = Side.start(opponent_label, config, seed)
        opponent.reset(self.ai.obs, self.ai.info)
        self.last_outcome: OrderOutcome | None = None

    @property
    def day(self) -> int:
        """Days played so far (0 before the first order)."""
        return len(self.human.days)

    @property
    def over(self) -> bool:
        """True once the episode's last day is played."""
        return self.day >= self.config.episode_days

    def observation(self) -> Observation:
        """What the person knows when ordering, in units: per product its stock, yesterday's and
        the average demand; the warehouse's total stock and free space."""
        return Observation.decode(self.human.obs, self.config)

    def free_space(self) -> int:
        """Units the person can still fit in their warehouse today."""
        return int(self.observation().free_space)

    def place_order(self, units: Sequence[int]) -> OrderOutcome:
        """Play one day: the person's whole-unit order on their env, the opponent's on its own.

        Units beyond the free space are refused at the door by the env; the outcome says how
        many. Raises ``RuntimeError`` when the game is over and ``ValueError`` for a bad order.
        """
        if self.over:
            raise RuntimeError("the game is over: start a new one")
        obs, _, _, _, info = self.human.env.step_units(np.asarray(units))
        self.human.record(obs, info)
        ai_obs, _, _, _, ai_info = self.ai.env.step(self.opponent.act(self.ai.obs, self.ai.info))
        self.ai.record(ai_obs, ai_info)
        refused = {i: int(units) for i, units in enumerate(info["refused"]) if units > 0}
        self.last_outcome = OrderOutcome(int(info["ordered"].sum()), int(info["orders"].sum()), refused)
        return self.last_outcome

    def suggested_order(self) -> list[int]:
        """The free space split in proportion to the average demand (a starting point)."""
        observation = self.observation()
        return largest_remainder(observation.avg7_demand, int(observation.free_space)).tolist()
