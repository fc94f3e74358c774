"""What every policy is, the agent included: ``reset`` with the first observations, then ``act``
once a day, for a batch of warehouses or for one env with its ``info`` (``Policy``,
``BatchPolicy``); and ``Known``, what a policy may know besides the observation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from inventory_rl.world.warehouses import Warehouses


@dataclass(frozen=True)
class Known:
    """What a policy may know besides the observation, for a batch of warehouses: the coming
    day (0-based), its weekday where the calendar matters, and (for the oracle only, and only
    where demand has hidden rates) the true mean demand of the coming ``max_lead_time`` days."""

    day: int
    weekday: np.ndarray | None
    rates_ahead: np.ndarray | None  # (batch, max_lead_time, n_products)

    @classmethod
    def of(cls, sim: Warehouses) -> Known:
        """What the warehouses of ``sim`` reveal about their coming day."""
        cfg = sim.config
        return cls(sim.day, sim.weekday() if cfg.has_calendar else None, sim.rates_ahead(cfg.max_lead_time))

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> Known:
        """The same for one env, from the ``info`` of its last step (or of ``reset``)."""
        rates = info.get("rates_ahead")
        if rates is None and info.get("demand_rates") is not None:
            rates = np.asarray(info["demand_rates"])[None]
        weekday = np.array([info["weekday"]]) if "weekday" in info else None
        return cls(int(info.get("day", 0)), weekday, None if rates is None else np.asarray(rates)[None])


class Policy(Protocol):
    """What ``episodes.play_batch`` needs from a policy (the agent and every rule): ``reset`` with
    the first observations, then ``act`` once a day; observations ``(batch, size)`` with ``Known``,
    or one env's observation with its last ``info``."""

    name: str

    def reset(self, obs: np.ndarray, known: Known | Mapping[str, Any]) -> None: ...

    def act(self, obs: np.ndarray, known: Known | Mapping[str, Any]) -> np.ndarray: ...


class BatchPolicy:
    """Base of every policy: it decides for a batch; one env's ``(obs, info)`` is a batch of one."""

    name = "policy"

    def reset(self, obs: np.ndarray, known: Known | Mapping[str, Any]) -> None:
        obs, known, _ = _as_batch(obs, known)
        self.start(obs, known)

    def act(self, obs: np.ndarray, known: Known | Mapping[str, Any]) -> np.ndarray:
        obs, known, single = _as_batch(obs, known)
        actions = self.decide(obs, known)
        return actions[0] if single else actions

    def start(self, obs: np.ndarray, known: Known) -> None:
        """Remember what the episode's first observation says (nothing, by default)."""

    def decide(self, obs: np.ndarray, known: Known) -> np.ndarray:
        raise NotImplementedError


def _as_batch(obs: np.ndarray, known: Known | Mapping[str, Any]) -> tuple[np.ndarray, Known, bool]:
    single = np.ndim(obs) == 1
    if isinstance(known, Known):
        return (np.asarray(obs)[None] if single else np.asarray(obs)), known, single
    return np.asarray(obs)[None], Known.from_info(known), True
