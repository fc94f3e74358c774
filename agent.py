"""The agent's view of the warehouse: what PPO sees and how its output becomes an order.

``env.py`` stays faithful to the original design (fractions in [0, 1], six features per
product). PPO learns better with a symmetric action box and a few derived features, so
this module translates between the two. ``AgentAdapter`` holds that translation;
``wrap_env`` (training) and ``AgentPolicy`` (evaluation, replay, manual play) both use it,
so the agent is wrapped identically everywhere.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from env import N_FEATURES, InventoryConfig, InventoryEnv

AGENT_FEATURES = N_FEATURES + 2  # the env's six, the episode-long mean demand, the day
REWARD_SCALE = 1e-3  # the env's rewards are in thousands of points; PPO's value net prefers ~1


class AgentAdapter:
    """Turns env observations into the agent's and the agent's actions into env actions.

    Observation: per product, the env's six features, the mean demand over every day seen
    so far (the seven history days plus the episode's; a better rate estimate than the
    7-day average as the episode goes on) and the day as a fraction of the episode.

    Action: one number in [-1, 1] per product, read as a target stock level from 0 to
    ``target_scale * max_demand`` units. The order fills each product's shortfall
    ``max(0, target - stock)``; the env scales these to the gap.
    """

    target_scale = 1.5

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
        rows = obs.reshape(self.config.n_products, N_FEATURES)
        self._days_seen = self.config.history_days
        self._demand_sum = rows[:, 2].astype(np.float64) * self._days_seen
        self._day = 0
        return self._features(rows)

    def observe(self, obs: np.ndarray) -> np.ndarray:
        """The agent's observation after a step; adds yesterday's demand to the running mean."""
        rows = obs.reshape(self.config.n_products, N_FEATURES)
        self._demand_sum += rows[:, 1]
        self._days_seen += 1
        self._day += 1
        return self._features(rows)

    def _features(self, rows: np.ndarray) -> np.ndarray:
        extra = np.empty((rows.shape[0], 2), np.float32)
        extra[:, 0] = self._demand_sum / self._days_seen
        extra[:, 1] = self._day / self.config.episode_days
        return np.hstack([rows, extra]).reshape(-1)

    def to_env_action(self, action: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Fractions for ``InventoryEnv.step`` from the agent's action and the env observation."""
        cfg = self.config
        targets = (np.clip(action, -1.0, 1.0) + 1.0) * (0.5 * self.target_scale)  # in units of max_demand
        stock = obs.reshape(cfg.n_products, N_FEATURES)[:, 0]
        need = np.maximum(targets - stock, 0.0)
        top = need.max()
        return (need / top if top > 0 else need).astype(np.float32)


class AgentEnv(gym.Wrapper):
    """Training-time wrapper: the agent's spaces, and rewards scaled by ``REWARD_SCALE``.

    ``info`` passes through untouched, so metrics and the stream see the env's own points.
    """

    def __init__(self, env: InventoryEnv):
        super().__init__(env)
        self.adapter = AgentAdapter(env.unwrapped.config)
        self.observation_space = self.adapter.observation_space
        self.action_space = self.adapter.action_space
        self._env_obs: np.ndarray | None = None

    def reset(self, **kwargs: Any) -> tuple[np.ndarray, dict]:
        obs, info = self.env.reset(**kwargs)
        self._env_obs = obs
        return self.adapter.reset(obs), info

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(self.adapter.to_env_action(action, self._env_obs))
        self._env_obs = obs
        return self.adapter.observe(obs), reward * REWARD_SCALE, terminated, truncated, info


def wrap_env(env: InventoryEnv) -> AgentEnv:
    """The one way to put the agent in front of an ``InventoryEnv`` for training."""
    return AgentEnv(env)


class AgentPolicy:
    """A trained model (anything with SB3's ``predict``) as a policy on the raw env.

    Same interface as the baselines: ``reset(obs, info)`` then ``act(obs, info)`` each day,
    returning fractions for ``InventoryEnv.step``. Plays deterministically.
    """

    name = "ppo"

    def __init__(self, model: Any, config: InventoryConfig):
        self.model = model
        self.adapter = AgentAdapter(config)
        self._agent_obs: np.ndarray | None = None
        self._started = False

    def reset(self, obs: np.ndarray, info: dict) -> None:
        self._agent_obs = self.adapter.reset(obs)
        self._started = False

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        if self._started:
            self._agent_obs = self.adapter.observe(obs)
        self._started = True
        action, _ = self.model.predict(self._agent_obs, deterministic=True)
        return self.adapter.to_env_action(action, obs)
