"""The agent's view of the warehouse: what PPO sees and how its output becomes an order.

``env.py`` stays faithful to the original design (fractions in [0, 1], six features per
product). PPO learns better with a symmetric action box and a few derived features, so
this module translates between the two. ``AgentAdapter`` holds that translation;
``wrap_env`` (training) and ``TrainedAgent`` (evaluation, replay, manual play) both use it,
so the agent is wrapped identically everywhere. ``load_agent`` loads a saved model as a
``TrainedAgent``: the way to play a model on the env's own observations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn

from env import N_FEATURES, InventoryConfig, InventoryEnv, Observation
from newsvendor import expected_sales_table, newsvendor_fractions
from utils import ModelLoadError, describe_error, load_run_config, resolve_model_path

AGENT_FEATURES = N_FEATURES + 2  # the env's six, the episode-long mean demand, the day
LOST_UNIT_COST = 0.1  # the env's -100 points per lost unit, scaled to PPO's preferred ~1


class AgentAdapter:
    """Turns env observations into the agent's and the agent's actions into env actions.

    Observation: per product, the env's six features, the mean demand over every day seen
    so far (the seven history days plus the episode's; a better rate estimate than the
    7-day average as the episode goes on) and the day as a fraction of the episode.

    Action: one number in [-1, 1] per product, a correction to the newsvendor rule's rate
    estimate: ``rate = 7-day average demand * exp(rate_range * action)``. The order is the
    capacity-constrained newsvendor allocation for those rates (``baselines.newsvendor_units``),
    expressed as fractions that the env's rounding turns back into exactly those units.
    An action of zero is thus exactly the ``newsvendor`` rule, where PPO starts; what it
    learns is when and how far to trust other evidence (the episode-long mean, yesterday,
    the day of the episode) over the 7-day average.
    """

    rate_range = 0.5  # exp(+-0.5): rates between 0.61x and 1.65x the 7-day average

    def __init__(self, config: InventoryConfig):
        self.config = config
        n = config.n_products
        self.observation_space = spaces.Box(-np.inf, np.inf, (n * AGENT_FEATURES,), np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (n,), np.float32)
        self._demand_sum = np.zeros(n)
        self._days_seen = 0
        self._day = 0

    def reset(self, obs: np.ndarray) -> np.ndarray:
        """Start an episode from the env's first observation."""
        self._days_seen = self.config.history_days
        # Demand is whole units: rounding undoes the observation's float32 scaling exactly.
        self._demand_sum = np.rint(Observation.decode(obs, self.config).avg7_demand * self._days_seen)
        self._day = 0
        return self._features(obs)

    def observe(self, obs: np.ndarray) -> np.ndarray:
        """The agent's observation after a step; adds yesterday's demand to the running mean."""
        self._demand_sum += Observation.decode(obs, self.config).yesterday_demand
        self._days_seen += 1
        self._day += 1
        return self._features(obs)

    def _features(self, obs: np.ndarray) -> np.ndarray:
        """The env's features of each product followed by the agent's two."""
        extra = np.empty((self.config.n_products, 2), np.float32)
        extra[:, 0] = self._demand_sum / (self._days_seen * self.config.max_demand)
        extra[:, 1] = self._day / self.config.episode_days
        return np.hstack([obs.reshape(self.config.n_products, N_FEATURES), extra]).reshape(-1)

    def to_env_action(self, action: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Fractions for ``InventoryEnv.step`` from the agent's action and the env observation."""
        observation = Observation.decode(obs, self.config)
        # the newsvendor rule's own estimate, the 7-day average, corrected
        rates = observation.avg7_demand * np.exp(self.rate_range * np.clip(action, -1.0, 1.0))
        gap = int(observation.free_space)
        return newsvendor_fractions(observation.stock, gap, rates, self.config.max_demand).astype(np.float32)


class AgentEnv(gym.Wrapper):
    """Training-time wrapper: the agent's spaces and its training reward.

    The reward is ``-LOST_UNIT_COST`` times the lost sales *expected* from the day's shelf
    under the true demand rates, which the simulator knows and the agent never sees. In
    expectation this is the env's stockout penalty (the only reward part that a fractional
    order can change, besides the allocation bonus, which pays for copying the
    proportional rule), but without the day's demand noise, which would otherwise drown
    differences of a few tenths of a unit between good allocations. ``info`` passes through
    untouched, so metrics and the stream report the env's own points.
    """

    def __init__(self, env: InventoryEnv):
        super().__init__(env)
        self.config = env.unwrapped.config
        self.adapter = AgentAdapter(self.config)
        self.observation_space = self.adapter.observation_space
        self.action_space = self.adapter.action_space
        self._env_obs: np.ndarray | None = None
        self._expected_sales = np.zeros((self.config.n_products, self.config.max_demand + 2))
        self._expected_demand = 0.0

    def reset(self, **kwargs: Any) -> tuple[np.ndarray, dict]:
        obs, info = self.env.reset(**kwargs)
        self._env_obs = obs
        table = expected_sales_table(info["demand_rates"], self.config.max_demand)
        self._expected_sales = table
        self._expected_demand = float(table[:, -1].sum())
        return self.adapter.reset(obs), info

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, _, terminated, truncated, info = self.env.step(self.adapter.to_env_action(action, self._env_obs))
        self._env_obs = obs
        shelf = np.minimum(info["stock"] + info["sales"], self.config.max_demand + 1)
        expected_sales = self._expected_sales[np.arange(self.config.n_products), shelf].sum()
        reward = -LOST_UNIT_COST * (self._expected_demand - expected_sales)
        return self.adapter.observe(obs), reward, terminated, truncated, info


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

    def predict(self, observation: Any, *args: Any, **kwargs: Any) -> tuple[np.ndarray, Any]:
        expected = self.observation_space.shape[-1]
        found = np.shape(observation)[-1] if np.ndim(observation) else None
        n_products = self.action_space.shape[0]
        if found == n_products * N_FEATURES and found != expected:
            raise ValueError(
                f"this model sees the agent's {expected} features, not the env's {found}-number observation: "
                "play it on the env with agent.load_agent(path), whose act(obs, info) takes env observations"
            )
        return super().predict(observation, *args, **kwargs)

    def _build_mlp_extractor(self) -> None:
        n_products = self.action_space.shape[0]
        self.mlp_extractor = PerProductNetwork(n_products, self.features_dim // n_products)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        n_products = self.action_space.shape[0]
        self.action_net = PerProductHead(n_products, self.mlp_extractor.latent_dim_pi // n_products)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)


def wrap_env(env: InventoryEnv) -> AgentEnv:
    """The one way to put the agent in front of an ``InventoryEnv`` for training."""
    return AgentEnv(env)


class TrainedAgent:
    """A trained model (anything with SB3's ``predict``) as a policy on the raw env.

    Same interface as the baselines: ``reset(obs, info)`` then ``act(obs, info)`` each day,
    returning fractions for ``InventoryEnv.step``. Plays deterministically.
    """

    name = "ppo"

    def __init__(self, model: Any, config: InventoryConfig):
        self.model = model
        self.adapter = AgentAdapter(config)
        self._agent_obs: np.ndarray | None = None
        self._first_day = True

    def reset(self, obs: np.ndarray, info: dict) -> None:
        self._agent_obs = self.adapter.reset(obs)
        self._first_day = True

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        if not self._first_day:  # on day 1 the reset observation is the current one
            self._agent_obs = self.adapter.observe(obs)
        self._first_day = False
        action, _ = self.model.predict(self._agent_obs, deterministic=True)
        return self.adapter.to_env_action(action, obs)


def load_agent(model_path: str | Path) -> tuple[TrainedAgent, InventoryConfig]:
    """Load a trained PPO model as a policy on the raw env, with the env config it was trained on.

    ``ModelLoadError`` (a one-line message) when the file, its run config or the model's
    spaces do not fit.
    """
    from stable_baselines3 import PPO  # deferred: importing SB3 costs a second or two

    path = resolve_model_path(model_path)
    config = InventoryConfig.from_dict(load_run_config(path)["env_config"])
    try:
        model = PPO.load(path, device="cpu")
    except Exception as error:  # SB3 raises many kinds (zip, pickle, torch, key errors)
        raise ModelLoadError(f"{path} is not a loadable PPO model ({describe_error(error)})") from error
    agent = TrainedAgent(model, config)
    expected = (agent.adapter.observation_space.shape, agent.adapter.action_space.shape)
    found = (model.observation_space.shape, model.action_space.shape)
    if found != expected:
        raise ModelLoadError(
            f"{path} expects observations/actions of shape {found}, the env in its run config gives {expected}"
        )
    return agent, config
