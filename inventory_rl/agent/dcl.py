"""Deep Controlled Learning (Temizöz et al., EJOR 2025) for the structured agent, in the lost-sales family.

In the lost-sales benchmark PPO alone learns to play the capped base-stock rule it corrects (an
action of zero) and stops there: the optimum orders one unit less or more on a few days in
seven, and a unit's worth shows in the cost days later, well below the noise of PPO's returns.
Deep Controlled Learning is approximate policy iteration on a simulator: improve a policy by
rollouts with common random numbers, then teach the improvement to a network, and repeat with the
network as the policy. Here it runs before PPO (``training.model.warm_start`` runs it when the setting
``dcl_paths`` is above zero, ``dcl_rounds`` rounds, as the ``lost-sales`` scenario's presets say).
A round:

1. **States.** The round's player (``Player``: the base rule in round 1, the rule corrected by the
   network fitted in the round before afterwards) plays the first episode of every training env
   (the same seeds); each day after ``WARMUP_DAYS`` is a sample: the agent's features and the
   warehouse's state (stock and units in transit).
2. **Improvement.** From each distinct state, each change of the player's order in ``CANDIDATES``
   (units) is played, then the player for the rest of ``horizon(config)`` days, on ``paths`` demand
   paths that every candidate shares (common random numbers). A day counts with the expected cost
   of the day its order lands given what was known when placing it (``agent.view.projected_reward``:
   conditional Monte Carlo), so the paths only carry the noise of states drifting apart. The
   cheapest candidate labels the state (ties to the player). With 100 paths round 1's labels are
   the exact optimum's correction of the rule on 99.1% of the days sampled at L = 2, p = 9 and on
   87-90% at L = 3, 4 (``bench/bench_dcl.py``): one improvement of the rule is not the optimum.
3. **Learning.** The policy network's mean action is fitted to each sample's label (a
   correction of k units of the rule's order is the action k / step, ``AgentView.correction_steps``)
   by mean squared error, from where the round before left it.

Round after round the network comes closer to the optimum: at L = 4, p = 9 (seed 0, 200 episodes)
its paired gap is +0.78% after round 1, +0.26% after round 2, +0.10% after round 3, +0.04 to +0.11%
after rounds 4-6. PPO then trains from there as usual.

It applies where a distinct state has one future (``improvable``): one product with a fixed
Poisson rate, reliable supply, the order size decided (free mode), demand rates hidden. With random
lead times (``lead_time_max``, the paper's third family) an order's lead time is drawn when it is
placed and the state holds the units in transit by arrival day; rollouts then share the lead times
as well as the demand across candidates, and count each day's cost as it happens (an order's
landing day is unknown when it is placed, so there is no projected cost).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from torch.nn import functional

from inventory_rl.agent.view import AgentView, projected_reward, projects, training_reward
from inventory_rl.evaluation.episodes import generators
from inventory_rl.policies.base import Known
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
    """True where a warehouse's state (stock, units in transit by arrival day) alone decides its
    future, so that rollouts from it can label it: one product, a fixed Poisson rate, reliable supply
    with orders landing a day or more later (a fixed lead time, or one drawn per order), and the order
    size decided."""
    return (
        config.n_products == 1
        and config.order_mode == "free"
        and config.rates_known
        and config.lead_time > 1
        and config.disruption_prob == 0
        and config.partial_prob == 0
        and config.demand_model == "poisson"
        and config.rate_low == config.rate_high
        and not config.has_varying_rates
    )


def horizon(config: InventoryConfig) -> int:
    """Days a rollout plays: four of the longest lead times, by which the rule has evened out a one-unit change."""
    return 4 * config.max_lead_time


@dataclass(frozen=True)
class Improvement:
    """What the last round found and taught: samples (days) and distinct states, the share of samples
    whose label differs from the base rule, the share the fitted network plays as labelled; the
    time all the rounds took, and how many there were."""

    samples: int
    states: int
    changed: float
    learned: float
    seconds: float
    rounds: int = 1

    def describe(self) -> str:
        rounds = f", {self.rounds} rounds (the last's figures)" if self.rounds > 1 else ""
        return (
            f"Deep Controlled Learning{rounds}: {self.samples:,} days ({self.states:,} distinct states) "
            "improved by rollouts; "
            f"the rule's order changes on {self.changed:.1%} of them, the network plays {self.learned:.1%} "
            f"as labelled ({self.seconds:.0f} s)"
        )


def visited_states(
    view: AgentView, seeds: Sequence[int], policy: ActorCriticPolicy | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rule (the agent's action 0), or ``policy``'s deterministic action where given, plays the
    episodes of ``seeds``; every day after the warm-up gives the agent's features, the correction
    step, the stock and the pipeline."""
    config = view.config
    sim = Warehouses(config, len(seeds))
    sim.reset(generators(seeds))
    obs = sim.observe()
    features = view.start(obs)
    samples: list[tuple[np.ndarray, ...]] = []
    for day in range(config.episode_days):
        if day >= min(WARMUP_DAYS, config.episode_days // 2):
            steps = view.correction_steps(view.decode(obs))
            samples.append((features, steps, sim.stock.copy(), sim.pipeline.copy()))
        sim.step_fractions(view.to_env_actions(mean_actions(policy, features, config.n_products), obs))
        obs = sim.observe()
        features = view.observe(obs)
    return tuple(np.concatenate(column) for column in zip(*samples, strict=True))


def mean_actions(policy: ActorCriticPolicy | None, features: np.ndarray, n_products: int) -> np.ndarray:
    """``policy``'s deterministic actions (its mean, clipped to [-1, 1]) for agent features; zeros
    (the base rule) without a policy."""
    if policy is None:
        return np.zeros((len(features), n_products), np.float32)
    with torch.no_grad():
        mean = policy.get_distribution(torch.as_tensor(features, dtype=torch.float32)).distribution.mean
    return np.clip(mean.numpy(), -1.0, 1.0)


class Player:
    """The policy a round improves by rollouts: the base rule (round 1), or the rule corrected by the
    network fitted in the previous round (approximate policy iteration: each round's improved
    policy is the next round's rollout policy). In a rollout the network reads what the agent would
    see mid-episode at a typical day, so that its order depends on the warehouse's state alone:
    yesterday's demand, the 7-day and the running mean are the scenario's fixed rate, the day half the
    episode (a rollout's demand history is drawn afresh, and its days have no place in an episode)."""

    def __init__(self, view: AgentView, policy: ActorCriticPolicy | None = None):
        self.view, self.policy, self.config = view, policy, view.config

    def orders(self, obs: np.ndarray, decided: Observation) -> tuple[np.ndarray, np.ndarray]:
        """The base rule's order and the player's, in whole units ``(batch, products)``, for env
        observations ``obs`` (``decided``: the same, decoded); computed once per distinct state."""
        config, view = self.config, self.view
        first, which = distinct_rows(np.concatenate([decided.stock, decided.in_transit.reshape(len(obs), -1)], axis=1))
        states = Observation(*(None if values is None else values[first] for values in decided))
        base = view.rule.units(states, Known(0, None, None))
        if self.policy is None:
            return base[which], base[which]
        actions = mean_actions(self.policy, view.typical_features(obs[first]), config.n_products)
        played = np.maximum(base + np.rint(view.correction_steps(states) * actions), 0)
        return base[which], played[which]


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows of small non-negative whole numbers ``(n, k)``: the index of the first of each distinct
    row, and which distinct row each row is (``rows[first][which] == rows``). One integer key per row
    where it fits in 63 bits (sorting ints is far quicker than ``np.unique(axis=0)``)."""
    whole = np.asarray(rows).astype(np.int64)
    base = int(whole.max(initial=0)) + 1
    if not np.array_equal(whole, rows) or whole.min(initial=0) < 0 or whole.shape[1] * np.log2(base) >= 63:
        _, first, which = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        return first, which.ravel()
    keys = whole @ (base ** np.arange(whole.shape[1], dtype=np.int64))
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    return first, which


def rollout_values(
    player: Player, stock: np.ndarray, pipeline: np.ndarray, paths: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The mean projected reward (minus cost; with random lead times the reward of the days as they
    happen) of ``horizon`` days of ``player`` from each state ``(stock[k], pipeline[k])``, for each
    candidate change of its first order (``CANDIDATES``): ``(states, len(CANDIDATES))``, every
    candidate on the same ``paths`` demand paths (and lead times); and the
    player's own correction of the base rule's first order in each state, ``(states, products)``."""
    config = player.config
    days = horizon(config)
    rollout_config = dataclasses.replace(config, episode_days=days)
    rng = np.random.default_rng(seed)
    fixed_lead_time = projects(config)
    copies = len(CANDIDATES) * paths
    per_chunk = max(1, MAX_ROLLOUT_WAREHOUSES // copies)
    values = np.empty((len(stock), len(CANDIDATES)))
    own = np.empty(stock.shape, np.int64)
    for start in range(0, len(stock), per_chunk):
        chunk = slice(start, start + per_chunk)
        n_states = len(stock[chunk])
        sim = Warehouses(rollout_config, n_states * copies)
        demand = rng.poisson(config.rate_low, (n_states, 1, paths, config.history_days + days, config.n_products))
        demand = np.broadcast_to(np.minimum(demand, config.max_demand), (n_states, len(CANDIDATES), *demand.shape[2:]))
        lead_times = None
        if not fixed_lead_time:  # every candidate's orders meet the same lead times too
            shape = (n_states, 1, paths, days, config.n_products)
            drawn = rng.integers(config.lead_time, config.lead_time_max + 1, shape)
            lead_times = np.broadcast_to(drawn, (n_states, len(CANDIDATES), *drawn.shape[2:]))
            lead_times = lead_times.reshape(sim.batch, days, config.n_products)
        sim.start_from(
            np.repeat(stock[chunk], copies, axis=0),
            np.repeat(pipeline[chunk], copies, axis=0),
            demand.reshape(sim.batch, *demand.shape[3:]),
            lead_times,
        )
        player.view.rule.start(sim.observe(), Known(0, None, None))  # a rule may read the first day (constant-order)
        change = np.tile(np.repeat(CANDIDATES, paths), n_states)[:, None]
        rates_ahead = np.full((sim.batch, config.lead_time, config.n_products), config.rate_low)
        total = np.zeros(sim.batch)
        for day in range(days):
            obs = sim.observe()
            decided = Observation.decode(obs, config)
            base, units = player.orders(obs, decided)
            if day == 0:
                own[chunk] = (units - base)[::copies]  # every copy of a state alike (``Player``)
                units = np.maximum(units + change, 0)
            played = sim.step_units(units.astype(np.float64))
            if fixed_lead_time:
                total += _distinct_projected_reward(config, decided, played, rates_ahead)
            else:  # an order's landing day is not known when it is placed: the day's cost as it happened
                total += training_reward(config, played, None)
        values[chunk] = total.reshape(n_states, len(CANDIDATES), paths).mean(axis=2)
    return values, own


def _distinct_projected_reward(
    config: InventoryConfig, decided: Observation, day: Day, rates: np.ndarray
) -> np.ndarray:
    """``projected_reward`` of a rollout day, computed once per distinct (stock, units in transit,
    order): with one fixed rate it depends on nothing else, and rollouts repeat a few thousand of
    them over hundreds of thousands of warehouses."""
    rows = np.concatenate([decided.stock, decided.in_transit.reshape(len(decided.stock), -1), day.accepted], axis=1)
    first, which = distinct_rows(rows)
    distinct_decided = decided._replace(stock=decided.stock[first], in_transit=decided.in_transit[first])
    parts = {name: values[first] for name, values in day.cost_parts.items()}
    distinct_day = dataclasses.replace(day, accepted=day.accepted[first], cost_parts=parts)
    return projected_reward(config, distinct_decided, distinct_day, rates[first])[which]


def fit_policy(
    policy: ActorCriticPolicy, features: np.ndarray, targets: np.ndarray, seed: int, steps: int = FIT_STEPS
) -> None:
    """Fit the policy's mean action to ``targets`` by mean squared error (Adam, ``steps`` minibatches)."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.as_tensor(features, dtype=torch.float32)
    wanted = torch.as_tensor(targets, dtype=torch.float32)
    optimizer = torch.optim.Adam(policy.parameters(), lr=FIT_LEARNING_RATE)
    for _ in range(steps):
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


def label_states(
    view: AgentView, seeds: Sequence[int], paths: int, seed: int, policy: ActorCriticPolicy | None = None
) -> Labels:
    """Steps 1 and 2 of the module docstring: the states the rule (or ``policy``, the previous round's
    network: ``Player``) visits in the episodes of ``seeds``, each labelled by rollouts of that player
    on ``paths`` demand paths: its own order, one unit less or one more, whichever is cheapest."""
    config = view.config
    if not improvable(config):
        raise ValueError("Deep Controlled Learning needs one product with a fixed Poisson rate and lead time")
    features, steps, stock, pipeline = visited_states(view, seeds, policy)
    states = np.concatenate([stock, pipeline.reshape(len(pipeline), -1)], axis=1)
    distinct, which = np.unique(states, axis=0, return_inverse=True)
    n = config.n_products
    values, own = rollout_values(
        Player(view, policy), distinct[:, :n], distinct[:, n:].reshape(len(distinct), -1, n), paths, seed
    )
    corrections = (own + CANDIDATES[np.argmax(values, axis=1)][:, None])[which.ravel()]
    return Labels(features, steps, stock, pipeline, corrections, len(distinct))


def state_observation(config: InventoryConfig, stock: np.ndarray, pipeline: np.ndarray) -> Observation:
    """What a rule of an improvable scenario reads of warehouse states (``Warehouses.stock`` and
    ``.pipeline`` rows): the stock and the units in transit, as ``Observation.decode`` gives them.
    The 7-day averages are zero (such rules use the scenario's fixed rate); other fields are None."""
    transit = in_transit(pipeline, config.transit_slots)
    return Observation(stock, None, np.zeros(stock.shape), None, None, None, transit)


def taught_rounds(
    policy: ActorCriticPolicy, view: AgentView, seeds: Sequence[int], paths: int, seed: int, rounds: int
) -> Iterator[Labels]:
    """The rounds of ``improve``, one at a time: each round's labels, once ``policy`` has been fitted to them."""
    for round_ in range(rounds):
        labels = label_states(view, seeds, paths, seed + round_, policy if round_ else None)
        fit_policy(policy, labels.features, labels.corrections / labels.steps, seed + round_)
        yield labels


def played_corrections(policy: ActorCriticPolicy, labels: Labels) -> np.ndarray:
    """The correction of the base rule's order, in units, that ``policy`` plays on each of the samples."""
    return np.rint(labels.steps * mean_actions(policy, labels.features, labels.steps.shape[1]))


def improve(
    policy: ActorCriticPolicy, view: AgentView, seeds: Sequence[int], paths: int, seed: int, rounds: int = 1
) -> Improvement:
    """``rounds`` rounds of Deep Controlled Learning (the module docstring): label the states the
    rule visits in the episodes of ``seeds`` by rollouts on ``paths`` demand paths and fit ``policy``;
    each later round does the same with the fitted network in the rule's place (``Player``)."""
    started = time.perf_counter()
    *_, labels = taught_rounds(policy, view, seeds, paths, seed, rounds)
    learned = float((played_corrections(policy, labels) == labels.corrections).mean())
    changed = float((labels.corrections != 0).mean())
    return Improvement(len(labels.features), labels.states, changed, learned, time.perf_counter() - started, rounds)
