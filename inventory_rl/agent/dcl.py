"""Deep Controlled Learning (Temizöz et al., EJOR 2025) for the structured agent, in the lost-sales family.

In the lost-sales benchmark PPO alone learns to play the capped base-stock rule it corrects (an
action of zero) and stops there: the optimum orders one unit less or more on a few days in
seven, and a unit's worth shows in the cost days later, well below the noise of PPO's returns.
Deep Controlled Learning is approximate policy iteration on a simulator: improve a policy by
rollouts with common random numbers, then teach the improvement to a network. Here one round
improves the agent's base rule, before PPO trains (``training.model.warm_start`` runs it when the setting
``dcl_paths`` is above zero, as the ``lost-sales`` scenario's presets say):

1. **States.** The rule plays the first episode of every training env (the same seeds); each
   day after ``WARMUP_DAYS`` is a sample: the agent's features and the warehouse's state
   (stock and units in transit).
2. **Improvement.** From each distinct state, each correction of the rule's order in
   ``CANDIDATES`` (units) is played, then the rule for the rest of ``horizon(config)`` days, on
   ``paths`` demand paths that every candidate shares (common random numbers). A day counts
   with the expected cost of the day its order lands given what was known when placing it
   (``agent.view.projected_reward``: conditional Monte Carlo), so the paths only carry the noise of
   states drifting apart. The cheapest candidate labels the state (ties to the rule). With 100
   paths the labels are the exact optimum's correction of the rule on 99.1% of the days sampled
   at L = 2, p = 9 and on 87-90% at L = 3, 4 (``bench/bench_dcl.py``).
3. **Learning.** The policy network's mean action is fitted to each sample's label (a
   correction of k units is the action k / step, ``AgentView.correction_steps``) by mean squared
   error. PPO then trains from there as usual.

It applies where a distinct state has one future (``improvable``): one product with a fixed
Poisson rate, a fixed lead time, the order size decided (free mode), demand rates hidden.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from torch.nn import functional

from inventory_rl.agent.view import AgentView, projected_reward, projects
from inventory_rl.evaluation.episodes import generators
from inventory_rl.policies.base import Known
from inventory_rl.policies.rules import Rule
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.observation import Observation
from inventory_rl.world.warehouses import Day, Warehouses, in_transit

CANDIDATES = np.array([0, -1, 1])  # corrections of the rule's order, in units; the rule first, so ties keep it
WARMUP_DAYS = 50  # days from the scenario's initial stock before the states count as long-run ones
MAX_ROLLOUT_WAREHOUSES = 200_000  # warehouses simulated at once (memory: ~20 floats each per day)
FIT_STEPS = 2000  # Adam steps on minibatches, whatever the number of samples
FIT_BATCH = 1024
FIT_LEARNING_RATE = 1e-3


def improvable(config: InventoryConfig) -> bool:
    """True where a warehouse's state (stock, units in transit) alone decides its future, so that
    rollouts from it can label it: one product, a fixed Poisson rate, orders landing a fixed number
    of days later (``agent.view.projects``), and the order size decided."""
    return (
        config.n_products == 1
        and config.order_mode == "free"
        and projects(config)
        and config.demand_model == "poisson"
        and config.rate_low == config.rate_high
        and not config.has_varying_rates
    )


def horizon(config: InventoryConfig) -> int:
    """Days a rollout plays: four lead times, by which the rule has evened out a one-unit change."""
    return 4 * config.lead_time


@dataclass(frozen=True)
class Improvement:
    """What one round found and taught: samples (days) and distinct states, the share of samples whose
    label differs from the rule, the share the fitted network plays as labelled, and the time taken."""

    samples: int
    states: int
    changed: float
    learned: float
    seconds: float

    def describe(self) -> str:
        return (
            f"Deep Controlled Learning: {self.samples:,} days ({self.states:,} distinct states) improved by rollouts; "
            f"the rule's order changes on {self.changed:.1%} of them, the network plays {self.learned:.1%} "
            f"as labelled ({self.seconds:.0f} s)"
        )


def visited_states(view: AgentView, seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rule (the agent's action 0) plays the episodes of ``seeds``; every day after the warm-up
    gives the agent's features, the correction step, the stock and the pipeline."""
    config = view.config
    sim = Warehouses(config, len(seeds))
    sim.reset(generators(seeds))
    obs = sim.observe()
    features = view.start(obs)
    no_correction = np.zeros((len(seeds), config.n_products), np.float32)
    samples: list[tuple[np.ndarray, ...]] = []
    for day in range(config.episode_days):
        if day >= min(WARMUP_DAYS, config.episode_days // 2):
            steps = view.correction_steps(view.decode(obs))
            samples.append((features, steps, sim.stock.copy(), sim.pipeline.copy()))
        sim.step_fractions(view.to_env_actions(no_correction, obs))
        obs = sim.observe()
        features = view.observe(obs)
    return tuple(np.concatenate(column) for column in zip(*samples, strict=True))


def rollout_values(rule: Rule, stock: np.ndarray, pipeline: np.ndarray, paths: int, seed: int) -> np.ndarray:
    """The mean projected reward (minus cost) of ``horizon`` days of ``rule`` from each state
    ``(stock[k], pipeline[k])``, for each candidate correction of the first order: ``(states,
    len(CANDIDATES))``, every candidate on the same ``paths`` demand paths."""
    config = rule.config
    days = horizon(config)
    rollout_config = dataclasses.replace(config, episode_days=days)
    rng = np.random.default_rng(seed)
    copies = len(CANDIDATES) * paths
    per_chunk = max(1, MAX_ROLLOUT_WAREHOUSES // copies)
    values = np.empty((len(stock), len(CANDIDATES)))
    for start in range(0, len(stock), per_chunk):
        chunk = slice(start, start + per_chunk)
        n_states = len(stock[chunk])
        sim = Warehouses(rollout_config, n_states * copies)
        demand = rng.poisson(config.rate_low, (n_states, 1, paths, config.history_days + days, config.n_products))
        demand = np.broadcast_to(np.minimum(demand, config.max_demand), (n_states, len(CANDIDATES), *demand.shape[2:]))
        sim.start_from(
            np.repeat(stock[chunk], copies, axis=0),
            np.repeat(pipeline[chunk], copies, axis=0),
            demand.reshape(sim.batch, *demand.shape[3:]),
        )
        rule.start(sim.observe(), Known(0, None, None))  # a rule may read the first day (constant-order)
        correction = np.tile(np.repeat(CANDIDATES, paths), n_states)[:, None]
        rates_ahead = np.full((sim.batch, config.lead_time, config.n_products), config.rate_low)
        total = np.zeros(sim.batch)
        for day in range(days):
            decided = Observation.decode(sim.observe(), config)
            units = rule.units(decided, Known(day, None, None))
            if day == 0:
                units = np.maximum(units + correction, 0)
            played = sim.step_units(units.astype(np.float64))
            total += _distinct_projected_reward(config, decided, played, rates_ahead)
        values[chunk] = total.reshape(n_states, len(CANDIDATES), paths).mean(axis=2)
    return values


def _distinct_projected_reward(
    config: InventoryConfig, decided: Observation, day: Day, rates: np.ndarray
) -> np.ndarray:
    """``projected_reward`` of a rollout day, computed once per distinct (stock, units in transit,
    order): with one fixed rate it depends on nothing else, and rollouts repeat a few thousand of
    them over hundreds of thousands of warehouses."""
    rows = np.concatenate([decided.stock, decided.in_transit.reshape(len(decided.stock), -1), day.accepted], axis=1)
    _, first, which = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    distinct_decided = decided._replace(stock=decided.stock[first], in_transit=decided.in_transit[first])
    parts = {name: values[first] for name, values in day.cost_parts.items()}
    distinct_day = dataclasses.replace(day, accepted=day.accepted[first], cost_parts=parts)
    return projected_reward(config, distinct_decided, distinct_day, rates[first])[which.ravel()]


def fit_policy(policy: ActorCriticPolicy, features: np.ndarray, targets: np.ndarray, seed: int) -> None:
    """Fit the policy's mean action to ``targets`` by mean squared error (Adam, ``FIT_STEPS`` steps)."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.as_tensor(features, dtype=torch.float32)
    wanted = torch.as_tensor(targets, dtype=torch.float32)
    optimizer = torch.optim.Adam(policy.parameters(), lr=FIT_LEARNING_RATE)
    for _ in range(FIT_STEPS):
        batch = torch.randint(len(inputs), (FIT_BATCH,), generator=generator)
        loss = functional.mse_loss(policy.get_distribution(inputs[batch]).distribution.mean, wanted[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@dataclass(frozen=True)
class Labels:
    """The samples of one round: the agent's features, the correction step, the warehouse state
    (stock, pipeline) and the label (the cheapest correction, in units) of each, ``(samples, ...)``."""

    features: np.ndarray
    steps: np.ndarray
    stock: np.ndarray
    pipeline: np.ndarray
    corrections: np.ndarray
    states: int  # distinct states rolled out


def label_states(view: AgentView, seeds: Sequence[int], paths: int, seed: int) -> Labels:
    """Steps 1 and 2 of the module docstring: the states the rule visits in the episodes of ``seeds``,
    each labelled by rollouts on ``paths`` demand paths."""
    config = view.config
    if not improvable(config):
        raise ValueError("Deep Controlled Learning needs one product with a fixed Poisson rate and lead time")
    features, steps, stock, pipeline = visited_states(view, seeds)
    states = np.concatenate([stock, pipeline.reshape(len(pipeline), -1)], axis=1)
    distinct, which = np.unique(states, axis=0, return_inverse=True)
    n = config.n_products
    values = rollout_values(view.rule, distinct[:, :n], distinct[:, n:].reshape(len(distinct), -1, n), paths, seed)
    corrections = CANDIDATES[np.argmax(values, axis=1)][which.ravel()][:, None]
    return Labels(features, steps, stock, pipeline, corrections, len(distinct))


def state_observation(config: InventoryConfig, stock: np.ndarray, pipeline: np.ndarray) -> Observation:
    """What a rule of an improvable scenario reads of warehouse states (``Warehouses.stock`` and
    ``.pipeline`` rows): the stock and the units in transit, as ``Observation.decode`` gives them.
    The 7-day averages are zero (such rules use the scenario's fixed rate); other fields are None."""
    transit = in_transit(pipeline, config.transit_slots)
    return Observation(stock, None, np.zeros(stock.shape), None, None, None, transit)


def improve(policy: ActorCriticPolicy, view: AgentView, seeds: Sequence[int], paths: int, seed: int) -> Improvement:
    """One round of Deep Controlled Learning (the module docstring): label the states the rule
    visits in the episodes of ``seeds`` by rollouts on ``paths`` demand paths, and fit ``policy``."""
    started = time.perf_counter()
    labels = label_states(view, seeds, paths, seed)
    fit_policy(policy, labels.features, labels.corrections / labels.steps, seed)
    with torch.no_grad():
        played = policy.get_distribution(torch.as_tensor(labels.features)).distribution.mean.numpy()
    learned = float((np.rint(labels.steps * np.clip(played, -1.0, 1.0)) == labels.corrections).mean())
    changed = float((labels.corrections != 0).mean())
    return Improvement(len(labels.features), labels.states, changed, learned, time.perf_counter() - started)
