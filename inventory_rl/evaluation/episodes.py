"""Playing episodes: a policy on a batch of warehouses, one per seed (``play_batch``), every
policy on the same episodes (``play_policies``), and the main metric alone (``score_batch``), which
tuning needs."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator, Sequence

import numpy as np
from gymnasium.utils import seeding

from inventory_rl.evaluation.metrics import EpisodeResult, fill_rate
from inventory_rl.policies.base import Known, Policy
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.warehouses import Day, Warehouses


def generators(seeds: Sequence[int]) -> list[np.random.Generator]:
    """One generator per seed, made as ``env.reset(seed=...)`` makes its own."""
    return [seeding.np_random(int(seed))[0] for seed in seeds]


def _days(policy: Policy, config: InventoryConfig, seeds: Sequence[int]) -> Iterator[tuple[Warehouses, Day]]:
    """Play one episode of ``policy`` in a batch of warehouses, one per seed; yield every day."""
    sim = Warehouses(config, len(seeds))
    sim.reset(generators(seeds))
    obs = sim.observe()
    policy.reset(obs, Known.of(sim))
    for _ in range(config.episode_days):
        day = sim.step_fractions(policy.act(obs, Known.of(sim)))
        obs = sim.observe()
        yield sim, day


def play_batch(policy: Policy, config: InventoryConfig, seeds: Sequence[int]) -> list[EpisodeResult]:
    """The episodes of ``seeds`` played by ``policy``, all at once (episode k is exactly what
    ``InventoryEnv(config).reset(seed=seeds[k])`` would play)."""
    played = list(_days(policy, config, seeds))
    return EpisodeResult.from_sim(config, played[-1][0], [day for _, day in played], policy.name, seeds)


def play_episode(policy: Policy, config: InventoryConfig, seed: int) -> EpisodeResult:
    """Play one full episode of ``policy`` on ``InventoryEnv(config)`` reset with ``seed``."""
    return play_batch(policy, config, [seed])[0]


def play_policies(
    policies: Sequence[Policy], config: InventoryConfig, episodes: int, seed: int, batch: int = 250
) -> dict[str, list[EpisodeResult]]:
    """Every policy's results on episodes ``seed``, ``seed + 1``, ..., keyed by policy name
    (played ``batch`` episodes at a time)."""
    names = [policy.name for policy in policies]
    if len(set(names)) != len(names):
        raise ValueError(f"policy names must be unique, got {names}")
    seeds = list(range(seed, seed + episodes))
    chunks = [seeds[start : start + batch] for start in range(0, episodes, batch)]
    return {
        policy.name: [result for chunk in chunks for result in play_batch(policy, config, chunk)] for policy in policies
    }


def score_batch(policy: Policy, config: InventoryConfig, seeds: Sequence[int]) -> np.ndarray:
    """Each seed's episode value of the scenario's ``main_metric`` (as ``EpisodeResult.metrics``
    computes it), without keeping the days: what tuning a rule needs."""
    sales = demand = money = 0
    for _, day in _days(policy, config, seeds):
        sales, demand = sales + day.sales.sum(axis=1), demand + day.total_demand
        if day.cost_parts:
            cost = functools.reduce(operator.add, (part.sum(axis=1) for part in day.cost_parts.values()))
            money = money + (day.revenue.sum(axis=1) - cost if config.reward_mode == "profit" else cost)
    if config.reward_mode == "original":
        return fill_rate(demand, sales=sales)
    return money / config.episode_days
