"""``AgentVecEnv``: the training env, every warehouse of a run stepped as one batch
(``world.warehouses.Warehouses``) and seen through the agent's view, as an SB3 ``VecEnv``."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn

from inventory_rl.agent.view import make_view, projected_reward, projects
from inventory_rl.evaluation.metrics import EpisodeResult
from inventory_rl.policies.newsvendor import expected_sales_table
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.warehouses import Day, Warehouses


class BatchVecEnv(VecEnv):
    """SB3's ``VecEnv`` plumbing for a batch simulated as arrays in this process: attributes are the
    batch's, the same for every env; each env counts as wrapped in ``Monitor`` (its episode statistics
    are reported); nothing to render or release."""

    def reset(self) -> np.ndarray:
        """New episodes: a generator made afresh from each seed given (``seed``), the others continued."""
        self._rngs = [
            seeding.np_random(seed)[0] if seed is not None else rng
            for seed, rng in zip(self._seeds, self._rngs, strict=True)
        ]
        self._reset_seeds()
        self._reset_options()
        return self._start_episodes()

    def _start_episodes(self) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release: the batch is arrays in this process."""

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **kwargs: Any) -> list:
        return [getattr(self, method_name)(*method_args, **kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [wrapper_class is Monitor for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs


class AgentVecEnv(BatchVecEnv):
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
