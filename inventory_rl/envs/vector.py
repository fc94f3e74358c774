"""``InventoryVectorEnv``: many warehouses stepped as one array batch, as a Gymnasium ``VectorEnv``.

It is the ``vector_entry_point`` of ``InventoryManagement-v0``, so
``gymnasium.make_vec("InventoryManagement-v0", num_envs=N, vectorization_mode="vector_entry_point")``
returns it (and ``make_vec`` picks it by default). Sub-env i plays exactly the episodes of an
``InventoryEnv``; one ``step`` advances every warehouse by one day with numpy arrays
(``world.warehouses.Warehouses``) instead of N Python envs, which is the point: speed for
clients outside this project.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from inventory_rl.envs.single import InventoryEnv, day_info, reset_info
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.warehouses import Day, Warehouses


class InventoryVectorEnv(VectorEnv):
    """``num_envs`` ``InventoryEnv`` warehouses stepped as one batch (see ``InventoryEnv`` for the rules).

    ## Autoreset: ``AutoresetMode.SAME_STEP``
    Every warehouse of the batch is on the same day and every episode has ``episode_days``
    days, so all sub-envs are truncated on the same step. The step that ends the episodes
    resets them all at once: it returns the first observations of the next episodes, the last
    ones in ``infos["final_obs"]`` and the last day's info in ``infos["final_info"]``, as
    ``SyncVectorEnv(..., autoreset_mode=SAME_STEP)`` does. Every step is then a day; under
    ``NEXT_STEP`` one step in ``episode_days + 1`` would be a step of the whole batch that ignores
    its actions and only resets.

    ## Seeding (as ``SyncVectorEnv``)
    ``reset(seed=s)`` seeds sub-env i with ``s + i``, and it plays exactly the episode of an
    ``InventoryEnv`` reset with ``seed=s + i``; ``reset(seed=[s0, s1, ...])`` seeds each (None
    keeps that sub-env's generator); ``reset()`` continues every generator. Partial resets
    (``options["reset_mask"]``) are refused: the warehouses share one calendar.

    ## infos (gymnasium's vector convention: a dict of arrays, each ``key`` with a ``_key`` mask)
    By default a light info, built from the simulator's arrays without a loop over the
    sub-envs: ``day``, the per-product ``demand``, ``sales``, ``lost_sales``, ``stock``,
    ``orders`` (units delivered), ``ordered`` (units placed) and the ``gap``; ``reset`` gives
    ``day`` and ``stock``. Their values are those of ``InventoryEnv``'s info. With
    ``full_info=True`` each step merges every sub-env's full ``InventoryEnv`` info exactly as
    ``SyncVectorEnv`` does (derived metrics, reward components, costs, scenario keys), at the
    price of a Python loop over the sub-envs on every step.

    ## Arguments
    ``InventoryVectorEnv(num_envs=1, config=None, render_mode=None, scenario=None, overrides=(),
    full_info=False)``: ``config``, ``scenario`` and ``overrides`` as for ``InventoryEnv``. Only
    ``render_mode=None`` is supported. Rewards are float64, observations float32, as
    ``SyncVectorEnv`` returns them.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        config: InventoryConfig | None = None,
        render_mode: str | None = None,
        scenario: str | None = None,
        overrides: Sequence[str] = (),
        full_info: bool = False,
    ):
        if render_mode is not None:
            raise ValueError(f"InventoryVectorEnv does not render: render_mode must be None, got {render_mode!r}")
        # one InventoryEnv turns the arguments into the config and the spaces, so both envs agree
        template = InventoryEnv(config, None, scenario, overrides)
        self.config = template.config
        self.num_envs = num_envs
        self.sim = Warehouses(self.config, num_envs)
        self.single_observation_space = template.observation_space
        self.single_action_space = template.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.full_info = full_info
        self._rngs: list[np.random.Generator | None] = [None] * num_envs
        self._seeds: list[int | None] = [None] * num_envs
        self._masks = ("_day", "_demand", "_sales", "_lost_sales", "_stock", "_orders", "_ordered", "_gap")

    # ------------------------------------------------------------------ seeding
    @property
    def np_random(self) -> tuple[np.random.Generator, ...]:
        """Each sub-env's generator (as ``SyncVectorEnv`` gives its sub-envs')."""
        return tuple(self._generators())

    @property
    def np_random_seed(self) -> tuple[int, ...]:
        """Each sub-env's seed: ``reset(seed=list(env.np_random_seed))`` replays the episodes."""
        self._generators()
        return tuple(self._seeds)

    def _generators(self) -> list[np.random.Generator]:
        """The sub-envs' generators, a random one for each that has none yet."""
        for index, rng in enumerate(self._rngs):
            if rng is None:
                self._rngs[index], self._seeds[index] = seeding.np_random(None)
        return self._rngs

    # ------------------------------------------------------------------ VectorEnv
    def reset(
        self, *, seed: int | Sequence[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start new episodes in every warehouse (seeds as in the class docstring)."""
        n = self.num_envs
        if seed is None:
            seeds = [None] * n
        elif isinstance(seed, Integral):
            seeds = [int(seed) + index for index in range(n)]
        else:
            seeds = list(seed)
            if len(seeds) != n:
                raise ValueError(f"a list of seeds needs one per sub-env ({n}), got {len(seeds)}")
        if options and "reset_mask" in options and not np.all(options["reset_mask"]):
            raise ValueError("InventoryVectorEnv resets all its warehouses together: reset_mask must be all True")
        for index, single_seed in enumerate(seeds):
            if single_seed is not None:
                self._rngs[index], self._seeds[index] = seeding.np_random(single_seed)
        self.sim.reset(self._generators())
        return self.sim.observe(), self._reset_infos()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Advance every warehouse one day; the step that ends the episodes also starts the next."""
        sim, n = self.sim, self.num_envs
        day = sim.step_fractions(actions)
        obs = sim.observe()
        rewards = np.asarray(day.reward, np.float64)
        if day.day < self.config.episode_days:
            return obs, rewards, np.zeros(n, bool), np.zeros(n, bool), self._day_infos(day)
        final_obs = np.empty(n, object)
        for index in range(n):
            final_obs[index] = obs[index]
        # the last day's info reads the simulator, so it is taken before the reset
        infos = {"final_obs": final_obs, "_final_obs": np.ones(n, bool)}
        infos.update(final_info=self._day_infos(day), _final_info=np.ones(n, bool))
        sim.reset(self._rngs)
        infos.update(self._reset_infos())
        return sim.observe(), rewards, np.zeros(n, bool), np.ones(n, bool), infos

    def close_extras(self, **kwargs: Any) -> None:
        """Nothing to release: the warehouses are arrays in this process."""

    # ------------------------------------------------------------------ infos
    def _day_infos(self, day: Day) -> dict[str, Any]:
        """The infos of a day (see the class docstring)."""
        n = self.num_envs
        if self.full_info:
            infos: dict[str, Any] = {}
            for index in range(n):
                infos = self._add_info(infos, day_info(self.sim, day, index), index)
            return infos
        mask = np.ones(n, bool)
        infos = {
            "day": np.full(n, day.day, np.int64),
            "demand": day.demand,
            "sales": day.sales,
            "lost_sales": day.lost_sales,
            "stock": day.stock,
            "orders": day.received,
            "ordered": day.ordered,
            "gap": day.gap,
        }
        for key in self._masks:
            infos[key] = mask.copy()
        return infos

    def _reset_infos(self) -> dict[str, Any]:
        """The infos of a reset (see the class docstring)."""
        n = self.num_envs
        if self.full_info:
            infos: dict[str, Any] = {}
            for index in range(n):
                infos = self._add_info(infos, reset_info(self.sim, index), index)
            return infos
        return {
            "day": np.zeros(n, np.int64),
            "_day": np.ones(n, bool),
            "stock": self.sim.stock.copy(),
            "_stock": np.ones(n, bool),
        }
