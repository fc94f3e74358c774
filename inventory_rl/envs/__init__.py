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


ENTRY_POINTS = {  # id -> (the env, the vector env), as ``module:Class`` (loaded on the first ``make``)
    ENV_ID: ("inventory_rl.envs.single:InventoryEnv", "inventory_rl.envs.vector:InventoryVectorEnv"),
    NETWORK_ENV_ID: ("inventory_rl.envs.network:InventoryNetworkEnv", "inventory_rl.envs.vector:NetworkVectorEnv"),
}


def register_envs() -> None:
    """Register the ids with ``module:Class`` entry points. The envs raise on a step before reset
    themselves, so Gymnasium's OrderEnforcing wrapper would only add a layer of call overhead."""
    for env_id, (entry_point, vector_entry_point) in ENTRY_POINTS.items():
        if env_id not in gym.registry:
            gym.register(env_id, entry_point, vector_entry_point=vector_entry_point, order_enforce=False)
