"""The Gymnasium environments, registered on ``import inventory_rl``.

- ``single``: ``InventoryEnv`` (``InventoryManagement-v0``), one warehouse, the original design;
- ``vector``: ``InventoryVectorEnv``, many warehouses stepped as one array batch (the id's
  ``vector_entry_point``, for ``gymnasium.make_vec``).
"""

from __future__ import annotations

import gymnasium as gym

ENV_ID = "InventoryManagement-v0"


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
