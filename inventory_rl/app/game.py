"""The manual game without Streamlit: a person orders whole units per product against an
opponent policy, both on their own env reset with the same seed, so they face the same demand
(and the same supplier: lead times, disrupted days and partial shipments are drawn at reset).

Each side keeps only its env, the current observation and info, and the info of every day
played; its figures are those of ``metrics.EpisodeResult``, the one definition of the
episode metrics, over the days played so far. In every order mode the person orders whole
units per product (``InventoryEnv.step_units``); units beyond the free space are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from inventory_rl.envs.single import InventoryEnv
from inventory_rl.evaluation.metrics import EpisodeResult, in_words
from inventory_rl.policies.base import Policy
from inventory_rl.policies.rules import make_baseline
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.observation import Observation
from inventory_rl.world.warehouses import order_units


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

    @property
    def in_transit(self) -> int:
        """Units ordered and shipped but not yet on the shelf (0 with overnight delivery)."""
        return int(np.sum(self.info.get("in_transit", 0)))

    def result(self) -> EpisodeResult | None:
        """The days played so far as an episode; None before the first day."""
        return EpisodeResult.from_days(self.name, self.seed, self.days) if self.days else None

    def scores(self) -> dict[str, float]:
        """The scoreboard row: the episode metrics of the days played (at least one), with cost
        and profit per day where the scenario counts money."""
        result = self.result()
        if result is None:
            raise ValueError("no day played yet")
        metrics = result.metrics()
        scores = {
            **in_words(metrics, ("mean_reward", "fill_rate", "stockouts_per_day", "utilization")),
            "lost sales (units)": int(result.lost_sales.sum()),
        }
        if self.env.config.has_costs:
            scores.update(in_words(metrics, ("cost_per_day", "profit_per_day")))
        return scores


@dataclass(frozen=True)
class OrderOutcome:
    """What happened to the person's order of one day, and to the day's supply."""

    day: int
    placed: int
    accepted: int  # placed and within the free space
    refused: dict[int, int]  # product -> units turned away at the door
    shipped: int  # accepted and sent by the supplier (all of them unless the supply is unreliable)
    disrupted: bool  # the supplier shipped nothing today
    received: int  # units put on the shelf today, before the day's demand (from this or earlier orders)
    sold: int
    lost: int

    def explanation(self, capacity: int) -> str | None:
        """A sentence explaining refused units, or None when everything fit."""
        if not self.refused:
            return None
        per_product = ", ".join(f"product {i}: {units}" for i, units in self.refused.items())
        return (
            f"You ordered {self.placed} units but only {self.accepted} fit in the free space of the "
            f"{capacity}-unit warehouse: {self.placed - self.accepted} were refused at the door ({per_product})."
        )

    def supply_news(self) -> str | None:
        """The day's news from the supplier: a disruption or a partial shipment; None otherwise."""
        if self.disrupted:
            cancelled = f": your order of {self.accepted} units is cancelled" if self.accepted else ""
            return f"Day {self.day}: the supplier shipped nothing today (a disrupted day){cancelled}."
        if self.shipped < self.accepted:
            return (
                f"Day {self.day}: a partial shipment: only {self.shipped} of your {self.accepted} units were "
                f"shipped; the other {self.accepted - self.shipped} are cancelled."
            )
        return None

    def summary(self) -> str:
        """What the day did to the shelf: received, sold, lost."""
        return f"Day {self.day}: you received {self.received} units, sold {self.sold}, lost {self.lost} sales."


class ManualGame:
    """A person against an opponent policy, both on their own env reset with the same seed."""

    def __init__(self, opponent: Policy, opponent_label: str, config: InventoryConfig, seed: int) -> None:
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

    def arrivals(self) -> dict[int, np.ndarray]:
        """The person's units in transit by the day they reach the shelf (before that day's demand):
        day number -> units per product, for the days with any (empty with overnight delivery)."""
        transit = self.observation().in_transit
        if not transit.size:
            return {}
        today = self.day + 1
        return {today + k: transit[:, k] for k in range(transit.shape[1]) if transit[:, k].any()}

    def arrival_text(self) -> str:
        """When an order placed today is on the shelf, in words."""
        cfg, today = self.config, self.day + 1
        first = today + cfg.lead_time - 1
        if cfg.max_lead_time == 1:
            return "An order placed today arrives overnight: it is on the shelf before today's demand."
        if cfg.lead_time_max > cfg.lead_time:
            last = today + cfg.lead_time_max - 1
            return f"An order placed today is on the shelf before the demand of a day from day {first} to day {last}."
        return f"An order placed today is on the shelf before the demand of day {first}."

    def place_order(self, units: Sequence[int]) -> OrderOutcome:
        """Play one day: the person's whole-unit order on their env, the opponent's on its own.

        Units beyond the free space are refused at the door by the env; the outcome says how
        many, and what the supplier did. Raises ``RuntimeError`` when the game is over and
        ``ValueError`` for a bad order.
        """
        if self.over:
            raise RuntimeError("the game is over: start a new one")
        obs, _, _, _, info = self.human.env.step_units(np.asarray(units))
        self.human.record(obs, info)
        ai_obs, _, _, _, ai_info = self.ai.env.step(self.opponent.act(self.ai.obs, self.ai.info))
        self.ai.record(ai_obs, ai_info)
        refused = {i: int(units) for i, units in enumerate(info["refused"]) if units > 0}
        placed = int(info["ordered"].sum())
        accepted = placed - sum(refused.values())
        self.last_outcome = OrderOutcome(
            day=int(info["day"]),
            placed=placed,
            accepted=accepted,
            refused=refused,
            shipped=int(np.sum(info.get("shipped", info["ordered"] - info["refused"]))),
            disrupted=bool(info.get("disrupted", False)),
            received=int(info["orders"].sum()),
            sold=int(info["sales"].sum()),
            lost=int(info["lost_sales"].sum()),
        )
        return self.last_outcome

    def suggested_order(self) -> list[int]:
        """What the newsvendor rule would order now (a starting point): in fill mode the free space,
        split by the chance of selling each next unit; in free mode up to its stock levels."""
        rule = make_baseline("newsvendor", self.config)
        rule.reset(self.human.obs, self.human.info)
        action = rule.act(self.human.obs, self.human.info)
        units, _ = order_units(np.asarray(action)[None], np.array([self.free_space()]), self.config)
        return units[0].tolist()
