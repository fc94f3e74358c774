"""The Gymnasium environments, registered on ``import inventory_rl``.

- ``single``: ``InventoryEnv`` (``InventoryManagement-v0``), one warehouse, the original design;
- ``vector``: ``InventoryVectorEnv``, many warehouses stepped as one array batch (the id's
  ``vector_entry_point``, for ``gymnasium.make_vec``);
- ``network``: ``InventoryNetworkEnv`` (``InventoryNetwork-v0``), a network of warehouses run by one
  central planner, and ``NetworkView``, what a node's decision maker sees;
- ``parallel``: ``NetworkParallelEnv``, the same network as a PettingZoo ``ParallelEnv``, one agent per node.
"""

from __future__ import annotations

import gymnasium as gym

ENV_ID = "InventoryManagement-v0"
NETWORK_ENV_ID = "InventoryNetwork-v0"


def register_envs() -> None:
    """Register the ids with ``module:Class`` entry points (the modules load on first ``make``)."""
    if ENV_ID not in gym.registry:
        # The env raises on a step before reset itself, so Gymnasium's OrderEnforcing
        # wrapper would only add a layer of call overhead to every step.
        gym.register(
            id=ENV_ID,
            entry_point="inventory_rl.envs.single:InventoryEnv",
            vector_entry_point="inventory_rl.envs.vector:InventoryVectorEnv",
            order_enforce=False,
        )
    if NETWORK_ENV_ID not in gym.registry:
        gym.register(
            id=NETWORK_ENV_ID,
            entry_point="inventory_rl.envs.network:InventoryNetworkEnv",
            vector_entry_point="inventory_rl.envs.vector:NetworkVectorEnv",
            order_enforce=False,
        )
