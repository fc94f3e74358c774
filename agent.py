"""The agent: how PPO is put in front of the warehouse, the one place that says so.

``env.py`` stays faithful to the original design (fractions in [0, 1], six features per
product). PPO learns better with a symmetric action box, a few derived features and a
low-noise training signal, so this module translates between the two:

- ``AgentView`` turns env observations into the agent's features and the agent's actions
  into env actions, for a batch of warehouses at once;
- ``training_reward`` is what PPO maximises (``AgentView``'s docstring says what, per scenario);
- ``AgentVecEnv`` is the training env: every warehouse of a run stepped as one batch
  (``sim.Warehouses``), seen through ``AgentView``, as an SB3 ``VecEnv``;
- ``PerProductPolicy`` is the network: one small MLP shared by all products;
- ``TrainedAgent`` plays a saved model on the env's own observations, and ``load_agent``
  loads one with the scenario it was trained on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from gymnasium.utils import seeding
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn
from torch import nn

from baselines import BatchPolicy, Known, Rule, estimated_rates, make_rule
from config import InventoryConfig
from env import InventoryEnv, Observation, order_action
from episodes import EpisodeResult
from newsvendor import demand_survival, expected_sales_table, newsvendor_units
from rule_tuning import best_rule
from sim import Day, Warehouses
from utils import ModelLoadError, describe_error, load_run_config, resolve_model_path

LOST_UNIT_COST = 0.1  # the env's -100 points per lost unit, scaled to PPO's preferred ~1


class AgentView:
    """The agent's view of a batch of warehouses of one scenario.

    **Features**, per product (one row each, so one network serves every product): the env's
    own features (``Observation``), the mean demand over every day seen so far (the history
    days plus the episode's: a better rate estimate than the 7-day average as the episode goes
    on), the day as a fraction of the episode and, where demand depends on the weekday, the
    next day's weekday (one-hot).

    **Action**: one number in [-1, 1] per product: a correction to a classic rule, so that an
    action of zero is exactly that rule, where PPO starts, and the whole gain over it is learned.
    In ``fill`` mode (the order is the gap) it corrects the newsvendor rule's demand-rate
    estimate, ``rate = 7-day average * exp(rate_range * action)``, and the order is the
    capacity-constrained newsvendor allocation of the gap for those rates (on the inventory
    position, over the lead time): what it learns is when to trust other evidence (the
    episode-long mean, yesterday, the day, the weekday) over the 7-day average. In ``free`` mode
    (the order size is decided) it moves the order of the scenario's best tuned rule
    (``rule_tuning.best_rule``: s-S where orders have a fixed cost, capped base-stock in the
    lost-sales family, ...) by up to ``order_range`` x the product's daily rate (at least one
    unit); the agent then also sees that rule's order and the inventory position.

    **Training signal** (``training_reward``): where demand comes from hidden rates, the
    *expected* cost of the day's shelf under the true rates of that day (for the original
    reward, the expected lost sales at 0.1 per unit), which the simulator knows and the agent
    never sees: the same as the env's reward in expectation, without the day's demand noise.
    Where every order lands a fixed number of nights later (``projects``: ``lead-time``, the
    lost-sales family), the expected cost of the day each order lands instead
    (``projected_reward``), so that an order is credited with the day it decides. Where demand
    comes from a file there are no rates: the day's actual lost sales (or cost).

    **Before PPO**, in the lost-sales family (``dcl.improvable``), the network is first taught the
    base rule improved by rollouts (Deep Controlled Learning, ``dcl.py``; the setting ``dcl_paths``):
    there PPO alone settles on the rule itself.
    """

    rate_range = 0.5  # exp(+-0.5): rates between 0.61x and 1.65x the 7-day average
    order_range = 0.6  # free mode: orders move by up to 0.6 x the daily rate

    def __init__(self, config: InventoryConfig, base: Mapping[str, Any] | None = None):
        self.config = config
        n = config.n_products
        self.env_features = Warehouses(config, 1).n_features
        self.base: dict[str, Any] | None = None  # free mode: {"rule": name, "parameters": {...}}
        self.rule: Rule | None = None  # free mode: that rule, the one the actions correct
        if config.order_mode == "free":
            if base is None:
                best = best_rule(config)
                base = {"rule": best.rule, "parameters": best.parameters}
            self.base = {"rule": base["rule"], "parameters": dict(base["parameters"])}
            self.rule = make_rule(self.base["rule"], config, **self.base["parameters"])
        self.calendar_at = self.env_features + 2  # where the weekday (one-hot) starts, if any
        self.order_at = self.calendar_at + (7 if config.has_calendar else 0)  # free mode: rule's order, position
        self.features = self.order_at + (2 if self.base else 0)
        self.observation_space = spaces.Box(-np.inf, np.inf, (n * self.features,), np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (n,), np.float32)
        self._demand_sum = np.zeros((1, n))
        self._decoded: tuple[np.ndarray, Observation] | None = None
        self._based: tuple[np.ndarray, np.ndarray] | None = None
        self._days_seen = 0
        self._day = 0

    def decode(self, obs: np.ndarray) -> Observation:
        """``Observation.decode``, once per observation (each is read twice: seen, then acted on)."""
        if self._decoded is None or self._decoded[0] is not obs:
            self._decoded = (obs, Observation.decode(obs, self.config))
        return self._decoded[1]

    def _base_units(self, obs: np.ndarray, weekday: np.ndarray | None) -> np.ndarray:
        """Free mode: the base rule's order for ``obs``, once per observation."""
        if self._based is None or self._based[0] is not obs:
            self._based = (obs, self.rule.units(self.decode(obs), Known(self._day, weekday, None)))
        return self._based[1]

    def start(self, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        """Start an episode from the env's first observations ``(batch, env size)``."""
        if self.base:
            self.rule.start(obs, Known(0, weekday, None))
        self._days_seen = self.config.history_days
        # Demand is whole units: rounding undoes the observation's float32 scaling exactly.
        self._demand_sum = np.rint(self.decode(obs).avg7_demand * self._days_seen)
        self._day = 0
        return self._features(obs, weekday)

    def observe(self, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        """The agent's observations after a step; adds yesterday's demand to the running mean."""
        self._demand_sum = self._demand_sum + self.decode(obs).yesterday_demand
        self._days_seen += 1
        self._day += 1
        return self._features(obs, weekday)

    def _features(self, obs: np.ndarray, weekday: np.ndarray | None) -> np.ndarray:
        cfg = self.config
        batch, n = len(obs), cfg.n_products
        rows = np.empty((batch, n, self.features), np.float32)
        rows[..., : self.env_features] = obs.reshape(batch, n, self.env_features)
        rows[..., self.env_features] = self._demand_sum / (self._days_seen * cfg.max_demand)
        rows[..., self.env_features + 1] = self._day / cfg.episode_days
        if cfg.has_calendar:
            rows[..., self.calendar_at : self.order_at] = np.eye(7, dtype=np.float32)[np.asarray(weekday)][:, None, :]
        if self.base:
            observation = self.decode(obs)
            rows[..., self.order_at] = self._base_units(obs, weekday) / cfg.max_demand
            rows[..., self.order_at + 1] = observation.position() / cfg.max_demand
        return rows.reshape(batch, -1)

    def correction_steps(self, observation: Observation) -> np.ndarray:
        """Free mode: the units an action of 1 moves the base rule's order by, per product."""
        return np.maximum(self.order_range * estimated_rates(observation, self.config), 1.0)

    def to_env_actions(self, actions: np.ndarray, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        """Env actions ``(batch, action size)`` from the agent's actions and the env observations."""
        cfg = self.config
        observation = self.decode(obs)
        actions = np.clip(actions, -1.0, 1.0)
        if self.base:  # the best rule's order, moved
            correction = np.rint(self.correction_steps(observation) * actions)
            units = np.maximum(self._base_units(obs, weekday) + correction, 0)
            return order_action(units, observation.free_space, cfg)
        # the newsvendor rule's own estimate (the 7-day average, or the scenario's fixed rate), corrected
        rates = estimated_rates(observation, cfg) * np.exp(self.rate_range * actions)
        position = observation.position()
        days = cfg.max_lead_time  # the order must cover the demand until the next one arrives
        protected = rates if days == 1 else rates * days
        units = newsvendor_units(position, observation.free_space, protected, days * cfg.max_demand)
        return order_action(units, observation.free_space, cfg).astype(np.float32)  # as the first agent sent them

    def reward(self, day: Day, sales_table: np.ndarray | None) -> np.ndarray:
        """The training signal of a day, ``training_reward`` (``AgentVecEnv`` uses
        ``projected_reward`` instead where orders land a fixed number of days later)."""
        return training_reward(self.config, day, sales_table)


class DirectView:
    """The env as it is, for plain PPO (``train.py --agent direct``, the original design): the
    env's own observation, action space and reward, no features, decoding or training signal
    added, so what the structure of ``AgentView`` adds can be measured."""

    def __init__(self, config: InventoryConfig):
        env = InventoryEnv(config)
        self.config, self.base = config, None
        self.observation_space, self.action_space = env.observation_space, env.action_space

    def start(self, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        return obs

    def observe(self, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        return obs

    def to_env_actions(self, actions: np.ndarray, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        return actions

    def reward(self, day: Day, sales_table: np.ndarray | None) -> np.ndarray:
        """The env's own reward, in its points or money (``sales_table`` is None: not needed)."""
        return day.reward


def make_view(
    config: InventoryConfig, agent: str = "structured", base: Mapping[str, Any] | None = None
) -> AgentView | DirectView:
    """How agent ``agent`` (``structured`` or ``direct``) sees ``config``'s warehouses (``base``: the
    rule a structured agent corrects in free mode, as a run recorded it; chosen afresh if None)."""
    return DirectView(config) if agent == "direct" else AgentView(config, base)


def training_reward(config: InventoryConfig, day: Day, sales_table: np.ndarray | None) -> np.ndarray:
    """What PPO maximises for a day of a batch (see ``AgentView``): ``(batch,)``.

    ``sales_table`` is ``newsvendor.expected_sales_table`` of the true mean demands of the day
    just served, ``(batch, n, max_demand + 2)``, or None where demand comes from a file.
    """
    if sales_table is None:  # no hidden rates: the day as it happened
        if config.reward_mode == "original":
            return -LOST_UNIT_COST * day.total_lost
        return day.reward / cost_scale(config)
    table = sales_table
    shelf = np.minimum(day.stock + day.sales, config.max_demand + 1)
    expected_sales = np.take_along_axis(table, shelf[..., None], axis=-1)[..., 0]
    expected_lost = table[..., -1] - expected_sales
    if config.reward_mode == "original":
        return -LOST_UNIT_COST * expected_lost.sum(axis=-1)
    expected_left = day.stock + day.sales - expected_sales
    money = config.price * expected_sales - config.holding_cost * expected_left - config.lost_sale_cost * expected_lost
    money -= day.cost_parts["ordering"] + day.cost_parts["purchase"]
    return money.sum(axis=-1) / cost_scale(config)


def projects(config: InventoryConfig) -> bool:
    """True where every order lands a fixed number of days (> 0) after it is placed and demand
    has hidden rates: there the training signal is ``projected_reward``."""
    return (
        config.rates_known
        and config.lead_time > 1
        and config.lead_time_max in (0, config.lead_time)
        and config.disruption_prob == 0
        and config.partial_prob == 0
    )


def projected_reward(config: InventoryConfig, decided: Observation, day: Day, rates_ahead: np.ndarray) -> np.ndarray:
    """The training signal where orders take ``L = lead_time - 1`` nights: the expected cost of the
    day each order lands (for the original reward, its expected lost sales), given what the
    simulator knew when it was placed: the stock, the units in transit (``decided``) and the true
    mean demand of the days until then (``rates_ahead``, ``(batch, L + 1, n)``). Summed over an
    episode it is the cost of the days as they happen, moved L days earlier, without the noise of
    the demand in between, and it credits each order with the day it decides.
    """
    nights = config.lead_time - 1
    stock, arrivals = decided.stock, decided.in_transit  # arrivals in 0 .. L-1 days
    levels = int((stock + arrivals.sum(axis=-1)).max()) + 1
    chances = np.zeros((*stock.shape, levels))
    np.put_along_axis(chances, stock[..., None], 1.0, axis=-1)
    for night in range(nights):  # the stock left each evening before the order lands
        chances = _after_a_day(chances, arrivals[..., night], rates_ahead[:, night], config.max_demand)
    table = expected_sales_table(rates_ahead[:, nights], config.max_demand)  # the landing day's demand
    shelf = np.arange(levels) + day.accepted[..., None].astype(np.int64)
    expected_sales = np.take_along_axis(table, np.minimum(shelf, config.max_demand + 1), axis=-1)
    expected_lost = table[..., -1:] - expected_sales
    if config.reward_mode == "original":
        return -LOST_UNIT_COST * (chances * expected_lost).sum(axis=(-2, -1))
    money = config.price * expected_sales - config.holding_cost * (shelf - expected_sales)
    money = (chances * (money - config.lost_sale_cost * expected_lost)).sum(axis=-1)
    money -= day.cost_parts["ordering"] + day.cost_parts["purchase"]
    return money.sum(axis=-1) / cost_scale(config)


def _after_a_day(chances: np.ndarray, arrival: np.ndarray, rates: np.ndarray, max_demand: int) -> np.ndarray:
    """The distribution of a product's stock after a day: ``chances[..., j]`` = P(stock = j) before,
    ``arrival`` units put on the shelf, demand ``min(Poisson(rate), max_demand)`` served, the rest lost."""
    levels = chances.shape[-1]
    source = np.arange(levels) - arrival[..., None]
    shelf = np.where(source >= 0, np.take_along_axis(chances, np.maximum(source, 0), axis=-1), 0.0)
    survival = demand_survival(rates, max_demand, max_demand + 1)  # (batch, max_demand + 1, n)
    pmf = -np.diff(np.concatenate([np.ones_like(survival[..., :1, :]), survival], axis=-2), axis=-2)
    after = np.zeros_like(shelf)
    for demand in range(1, min(max_demand, levels - 1) + 1):  # a shelf of j + d units left with j after d sold
        after[..., 1 : levels - demand] += shelf[..., 1 + demand :] * pmf[..., demand, :][..., None]
    after[..., 1:] += shelf[..., 1:] * pmf[..., 0, :][..., None]
    after[..., 0] = 1.0 - after[..., 1:].sum(axis=-1)  # everything else sold out
    return after


def cost_scale(config: InventoryConfig) -> float:
    """A day's money in PPO's preferred units (about 1): per product, per unit of cost rate."""
    return config.n_products * max(config.holding_cost + config.lost_sale_cost + config.price, 1.0)


class AgentVecEnv(VecEnv):
    """The training env: ``n_envs`` warehouses stepped as one batch and seen through ``AgentView``.

    Follows SB3's ``VecEnv`` conventions: ``seed(s)`` seeds warehouse k with ``s + k`` at the next
    reset (as ``make_vec_env`` does), episodes restart by themselves, and the info of an
    episode's last step holds ``terminal_observation``, ``TimeLimit.truncated``, ``Monitor``'s
    ``episode`` statistics of the training reward (so ``rollout/ep_rew_mean`` works) and
    ``inventory_episode``, the ``EpisodeResult`` of the episode in the env's own points. Other
    steps' infos are empty: training does not pay for per-day info nobody reads. Warehouse k
    plays exactly the episodes of an ``InventoryEnv`` reset once with seed ``s + k``.
    """

    def __init__(
        self,
        config: InventoryConfig,
        n_envs: int,
        seed: int | None = None,
        agent: str = "structured",
        base: Mapping[str, Any] | None = None,
    ):
        self.config = config
        self.sim = Warehouses(config, n_envs)
        self.view = make_view(config, agent, base)
        # the structured agent's training signal: the landing day's expected cost (``projected_reward``),
        # else the day's, from the expected sales under the true rates where there are any
        self._projects = agent == "structured" and projects(config)
        self._expects = agent == "structured" and not self._projects and config.rates_known
        self.render_mode = None
        super().__init__(n_envs, self.view.observation_space, self.view.action_space)
        self._rngs = [seeding.np_random(None)[0] for _ in range(n_envs)]
        if seed is not None:
            self.seed(seed)
        self._actions: np.ndarray | None = None
        self._env_obs: np.ndarray | None = None
        self._days: list[Day] = []
        self._sales_table: np.ndarray | None = None
        self._returns = np.zeros(n_envs)
        self._started = time.perf_counter()

    # ------------------------------------------------------------------ VecEnv
    def reset(self) -> np.ndarray:
        self._rngs = [
            seeding.np_random(seed)[0] if seed is not None else rng
            for seed, rng in zip(self._seeds, self._rngs, strict=True)
        ]
        self._reset_seeds()
        self._reset_options()
        return self._start_episodes()

    def _start_episodes(self) -> np.ndarray:
        self.sim.reset(self._rngs)
        cfg = self.config
        # the expected sales of every shelf level under the true rates: once per episode where
        # the rates hold all episode, else each day (``_todays_sales_table``)
        constant = self._expects and not cfg.has_varying_rates
        self._sales_table = expected_sales_table(self.sim.base_rates, cfg.max_demand) if constant else None
        self._days = []
        self._returns = np.zeros(self.num_envs)
        self._env_obs = self.sim.observe()
        return self.view.start(self._env_obs, self._weekday())

    def _todays_sales_table(self) -> np.ndarray | None:
        """``expected_sales_table`` of the coming day's true rates; None for file demand."""
        rates = self.sim.rates_ahead(1)
        return None if rates is None else expected_sales_table(rates[:, 0], self.config.max_demand)

    def _weekday(self) -> np.ndarray | None:
        return self.sim.weekday() if self.config.has_calendar else None

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        # what the signal needs is known before the day: the coming day's rates, or what is known
        # when ordering and the rates until the order lands
        if self._projects:
            decided, ahead = self.view.decode(self._env_obs), self.sim.rates_ahead(self.config.lead_time)
        else:
            table = self._sales_table
            if table is None and self._expects:  # rates that change during the episode
                table = self._todays_sales_table()
        day = self.sim.step_fractions(self.view.to_env_actions(self._actions, self._env_obs, self._weekday()))
        rewards = projected_reward(self.config, decided, day, ahead) if self._projects else self.view.reward(day, table)
        self._returns += rewards
        self._days.append(day)
        self._env_obs = self.sim.observe()
        obs = self.view.observe(self._env_obs, self._weekday())
        if day.day < self.config.episode_days:
            return obs, rewards.astype(np.float32), np.zeros(self.num_envs, bool), [{} for _ in range(self.num_envs)]
        infos = self._episode_infos(obs)
        return self._start_episodes(), rewards.astype(np.float32), np.ones(self.num_envs, bool), infos

    def _episode_infos(self, terminal_obs: np.ndarray) -> list[dict]:
        """The infos of an episode's last step, one per warehouse (see the class docstring)."""
        results = EpisodeResult.from_sim(self.config, self.sim, self._days, policy="ppo")
        elapsed = round(time.perf_counter() - self._started, 6)
        return [
            {
                "terminal_observation": terminal_obs[index],
                "TimeLimit.truncated": True,
                "episode": {"r": float(self._returns[index]), "l": len(self._days), "t": elapsed},
                "inventory_episode": result,
            }
            for index, result in enumerate(results)
        ]

    def close(self) -> None:
        """Nothing to release: the warehouses are arrays in this process."""

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """Attributes are the batch's, the same for every warehouse (``config``, ``render_mode``)."""
        return [getattr(self, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **kwargs: Any) -> list:
        return [getattr(self, method_name)(*method_args, **kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        """As if each warehouse were wrapped in ``Monitor``: its episode statistics are reported."""
        return [wrapper_class is Monitor for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs


# ---------------------------------------------------------------------------- the network
class PerProductNetwork(nn.Module):
    """SB3 ``mlp_extractor``: one small MLP shared by every product for the policy, so each
    product's correction comes from its own feature row; an MLP over all rows for the value."""

    def __init__(self, n_products: int, n_features: int, hidden: int = 64):
        super().__init__()
        self.n_products, self.n_features = n_products, n_features
        self.policy_net = nn.Sequential(nn.Linear(n_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.value_net = nn.Sequential(
            nn.Linear(n_products * n_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh()
        )
        self.latent_dim_pi = n_products * hidden
        self.latent_dim_vf = hidden

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(features), self.forward_critic(features)

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        return self.policy_net(features.view(-1, self.n_products, self.n_features)).flatten(1)

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        return self.value_net(features)


class PerProductHead(nn.Module):
    """The same linear read-out for every product: latent ``(batch, n * h)`` -> ``(batch, n)``."""

    def __init__(self, n_products: int, hidden: int):
        super().__init__()
        self.n_products = n_products
        self.linear = nn.Linear(hidden, 1)
        nn.init.orthogonal_(self.linear.weight, gain=0.01)  # SB3's init for action nets: start near zero
        nn.init.zeros_(self.linear.bias)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.linear(latent.view(latent.shape[0], self.n_products, -1)).squeeze(-1)


class PerProductPolicy(ActorCriticPolicy):
    """SB3's actor-critic with the policy shared across products (``PerProductNetwork``).

    A model with this policy sees the agent's features, not the env's observation; its
    ``predict`` says how to play it on the env instead of failing with a shape error.
    """

    def __init__(self, *args: Any, net_width: int = 64, **kwargs: Any):
        self.net_width = net_width  # the shared MLP's width (tune.py searches it)
        super().__init__(*args, **kwargs)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "net_width": self.net_width}

    def predict(self, observation: Any, *args: Any, **kwargs: Any) -> tuple[np.ndarray, Any]:
        expected = self.observation_space.shape[-1]
        found = np.shape(observation)[-1] if np.ndim(observation) else None
        if found != expected:
            raise ValueError(
                f"this model sees the agent's {expected} features, not a {found}-number observation (the env's?): "
                "play it on the env with agent.load_agent(path), whose act(obs, info) takes env observations"
            )
        return super().predict(observation, *args, **kwargs)

    def _build_mlp_extractor(self) -> None:
        n_products = self.action_space.shape[0]
        self.mlp_extractor = PerProductNetwork(n_products, self.features_dim // n_products, self.net_width)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        n_products = self.action_space.shape[0]
        self.action_net = PerProductHead(n_products, self.mlp_extractor.latent_dim_pi // n_products)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)


# ---------------------------------------------------------------------------- playing a model
class TrainedAgent(BatchPolicy):
    """A trained model (anything with SB3's ``predict``) as a policy on the raw env: the same
    interface as the rules (``reset`` then ``act`` each day, for a batch or for one env with its
    ``info``), returning the env's actions. Plays deterministically."""

    name = "ppo"

    def __init__(
        self, model: Any, config: InventoryConfig, agent: str = "structured", base: Mapping[str, Any] | None = None
    ):
        self.model = model
        self.config = config
        self.kind = agent
        self.view = make_view(config, agent, base)
        self._agent_obs: np.ndarray | None = None
        self._first_day = True

    def start(self, obs: np.ndarray, known: Known) -> None:
        self._agent_obs = self.view.start(obs, known.weekday)
        self._first_day = True

    def decide(self, obs: np.ndarray, known: Known) -> np.ndarray:
        if not self._first_day:  # on day 1 the reset observation is the current one
            self._agent_obs = self.view.observe(obs, known.weekday)
        self._first_day = False
        actions, _ = self.model.predict(self._agent_obs, deterministic=True)
        return self.view.to_env_actions(actions, obs, known.weekday)


def load_agent(model_path: str | Path, config: InventoryConfig | None = None) -> tuple[TrainedAgent, InventoryConfig]:
    """Load a trained PPO model as a policy on the raw env, with the env config it was trained on
    (or ``config``, to play it in another scenario with the same spaces).

    ``ModelLoadError`` (a one-line message) when the file, its run config or the model's
    spaces do not fit.
    """
    from stable_baselines3 import PPO  # deferred: importing SB3 costs a second or two

    path = resolve_model_path(model_path)
    run_config = load_run_config(path)
    trained_on = InventoryConfig.from_dict(run_config["env_config"])
    config = config or trained_on
    try:
        model = PPO.load(path, device="cpu")
    except Exception as error:  # SB3 raises many kinds (zip, pickle, torch, key errors)
        raise ModelLoadError(f"{path} is not a loadable PPO model ({describe_error(error)})") from error
    agent = TrainedAgent(model, config, run_config.get("agent", "structured"), run_config.get("agent_base"))
    expected = (agent.view.observation_space.shape, agent.view.action_space.shape)
    found = (model.observation_space.shape, model.action_space.shape)
    if found != expected:
        where = "the env in its run config" if config is trained_on else "the scenario asked for"
        raise ModelLoadError(f"{path} expects observations/actions of shape {found}, {where} gives {expected}")
    return agent, config
