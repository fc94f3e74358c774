"""The warehouse as a Gymnasium environment (the design card's ``env.py``).

The env is ``inventory_rl.envs.single.InventoryEnv``; its docstring is the specification
(dynamics, spaces, rewards, ``info``). Importing this file, or ``inventory_rl``, registers it::

    import env, gymnasium
    warehouse = gymnasium.make("InventoryManagement-v0", scenario="seasonal")
"""

from inventory_rl.envs import ENV_ID
from inventory_rl.envs.single import InventoryEnv, order_action
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.observation import FEATURE_NAMES, N_FEATURES, Observation
from inventory_rl.world.warehouses import MAX_ORDER_UNITS, REWARD_COMPONENTS, largest_remainder

__all__ = [
    "ENV_ID",
    "FEATURE_NAMES",
    "MAX_ORDER_UNITS",
    "N_FEATURES",
    "REWARD_COMPONENTS",
    "InventoryConfig",
    "InventoryEnv",
    "Observation",
    "largest_remainder",
    "order_action",
]
