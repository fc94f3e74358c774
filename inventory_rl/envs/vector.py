"""Vector envs over the batched simulators, as Gymnasium ``VectorEnv``s: ``InventoryVectorEnv``
(many warehouses) and ``NetworkVectorEnv`` (many networks of them).

They are the ``vector_entry_point``s of ``InventoryManagement-v0`` and ``InventoryNetwork-v0``, so
``gymnasium.make_vec(ID, num_envs=N, vectorization_mode="vector_entry_point")`` returns them (and
``make_vec`` picks them by default). Sub-env i plays exactly the episodes of the single env; one
``step`` advances every sub-env by one day with numpy arrays (``world.warehouses.Warehouses``,
``world.networks.Networks``) instead of N Python envs, which is the point: speed for clients
outside this project.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from gymnasium.spaces import Space
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from inventory_rl.envs.network import InventoryNetworkEnv, network_info, node_states
from inventory_rl.envs.single import InventoryEnv, day_info, reset_info
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.network import NetworkConfig
from inventory_rl.world.networks import NetworkDay, Networks
from inventory_rl.world.warehouses import Day, Warehouses


class BatchVectorEnv(VectorEnv):
    """What the vector envs here share: seeding as ``SyncVectorEnv``, same-step autoreset of a batch
    whose episodes all end on the same day, and gymnasium's vector info convention. A subclass
    builds ``sim`` (a batched simulator with ``reset(rngs)`` and ``step_fractions(actions)``) and its
    spaces (``_start``), and says what an observation and a day's info are."""

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.SAME_STEP}
    episode_days: int
    sim: Any
    full_info: bool

    def _start(self, num_envs: int, single_observation: Space, single_action: Space, full_info: bool) -> None:
        """The batch's size, spaces and generators (none yet: made at the first reset)."""
        self.num_envs, self.full_info = num_envs, full_info
        self.single_observation_space, self.single_action_space = single_observation, single_action
        self.observation_space = batch_space(single_observation, num_envs)
        self.action_space = batch_space(single_action, num_envs)
        self._rngs: list[np.random.Generator | None] = [None] * num_envs
        self._seeds: list[int | None] = [None] * num_envs

    def _observe(self) -> np.ndarray:
        raise NotImplementedError

    def _day_infos(self, day: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _reset_infos(self) -> dict[str, Any]:
        raise NotImplementedError

    def _full_infos(self, info_of: Any) -> dict[str, Any]:
        """Every sub-env's single-env info (``info_of(index)``), merged as ``SyncVectorEnv`` merges them."""
        infos: dict[str, Any] = {}
        for index in range(self.num_envs):
            infos = self._add_info(infos, info_of(index), index)
        return infos

    @staticmethod
    def _masked(infos: dict[str, Any], n: int) -> dict[str, Any]:
        """``infos`` with a ``_key`` mask beside each key (every sub-env has every key)."""
        return {**infos, **{f"_{key}": np.ones(n, bool) for key in infos}}

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
        """Start new episodes in every sub-env (seeds as in ``InventoryVectorEnv``'s docstring)."""
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
            raise ValueError(f"{type(self).__name__} resets all its sub-envs together: reset_mask must be all True")
        for index, single_seed in enumerate(seeds):
            if single_seed is not None:
                self._rngs[index], self._seeds[index] = seeding.np_random(single_seed)
        self.sim.reset(self._generators())
        return self._observe(), self._reset_infos()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Advance every sub-env one day; the step that ends the episodes also starts the next."""
        sim, n = self.sim, self.num_envs
        day = sim.step_fractions(actions)
        obs = self._observe()
        rewards = np.asarray(day.reward, np.float64)
        if day.day < self.episode_days:
            return obs, rewards, np.zeros(n, bool), np.zeros(n, bool), self._day_infos(day)
        final_obs = np.empty(n, object)
        for index in range(n):
            final_obs[index] = obs[index]
        # the last day's info reads the simulator, so it is taken before the reset
        infos = {"final_obs": final_obs, "_final_obs": np.ones(n, bool)}
        infos.update(final_info=self._day_infos(day), _final_info=np.ones(n, bool))
        sim.reset(self._rngs)
        infos.update(self._reset_infos())
        return self._observe(), rewards, np.zeros(n, bool), np.ones(n, bool), infos

    def close_extras(self, **kwargs: Any) -> None:
        """Nothing to release: the sub-envs are arrays in this process."""


class InventoryVectorEnv(BatchVectorEnv):
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
        self.episode_days = self.config.episode_days
        self.sim = Warehouses(self.config, num_envs)
        self._start(num_envs, template.observation_space, template.action_space, full_info)

    def _observe(self) -> np.ndarray:
        return self.sim.observe()

    # ------------------------------------------------------------------ infos
    def _day_infos(self, day: Day) -> dict[str, Any]:
        """The infos of a day (see the class docstring)."""
        n = self.num_envs
        if self.full_info:
            return self._full_infos(lambda index: day_info(self.sim, day, index))
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
        return self._masked(infos, n)

    def _reset_infos(self) -> dict[str, Any]:
        """The infos of a reset (see the class docstring)."""
        n = self.num_envs
        if self.full_info:
            return self._full_infos(lambda index: reset_info(self.sim, index))
        return self._masked({"day": np.zeros(n, np.int64), "stock": self.sim.stock.copy()}, n)


class NetworkVectorEnv(BatchVectorEnv):
    """``num_envs`` ``InventoryNetworkEnv`` networks stepped as one batch (``world.networks.Networks``);
    seeding and autoreset as ``InventoryVectorEnv``. The light info holds ``day``, the network's
    ``cost`` per sub-env and each node's ``stock`` ``(num_envs, n_nodes, n_products)``; with
    ``full_info=True`` each sub-env's ``InventoryNetworkEnv`` info, merged as ``SyncVectorEnv`` does.

    ``NetworkVectorEnv(num_envs=1, network=None, scenario=None, overrides=(), render_mode=None,
    full_info=False)``: the arguments of ``InventoryNetworkEnv``.
    """

    def __init__(
        self,
        num_envs: int = 1,
        network: NetworkConfig | None = None,
        scenario: str | None = None,
        overrides: Sequence[str] = (),
        render_mode: str | None = None,
        full_info: bool = False,
    ):
        if render_mode is not None:
            raise ValueError(f"NetworkVectorEnv does not render: render_mode must be None, got {render_mode!r}")
        template = InventoryNetworkEnv(network, scenario, overrides)
        self.network, self.view = template.network, template.view
        self.episode_days = self.network.episode_days
        self.sim = Networks(self.network, num_envs)
        self._start(num_envs, template.observation_space, template.action_space, full_info)

    def _observe(self) -> np.ndarray:
        return self.view.central(self.sim)

    def _day_infos(self, day: NetworkDay) -> dict[str, Any]:
        if self.full_info:
            return self._full_infos(lambda index: network_info(self.sim, day, index))
        infos = {
            "day": np.full(self.num_envs, day.day, np.int64),
            "cost": sum(day.costs),
            "stock": np.stack([node.stock for node in self.sim.nodes], axis=1),
        }
        return self._masked(infos, self.num_envs)

    def _reset_infos(self) -> dict[str, Any]:
        if self.full_info:
            return self._full_infos(lambda index: {"day": 0, "nodes": node_states(self.sim, index)})
        stock = np.stack([node.stock for node in self.sim.nodes], axis=1)
        return self._masked({"day": np.zeros(self.num_envs, np.int64), "stock": stock}, self.num_envs)
