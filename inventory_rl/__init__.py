"""AI inventory management with reinforcement learning: the library behind ``train.py``,
``evaluate.py``, ``tune.py`` and ``dashboard.py``. Importing it registers ``InventoryManagement-v0``.

| subpackage   | its job                                                                  |
|--------------|--------------------------------------------------------------------------|
| ``world``      | scenarios (``InventoryConfig``), demand, the batched warehouse simulator   |
| ``envs``       | the Gymnasium env and its vector env                                     |
| ``policies``   | the classic rules, newsvendor maths, the exact lost-sales optimum, tuning  |
| ``agent``      | how PPO sees the warehouse, its network, Deep Controlled Learning          |
| ``training``   | settings and presets, the one place a run is assembled, callbacks, Optuna  |
| ``evaluation`` | playing episodes, the metric formulas, reports                           |
| ``runs``       | a run folder's files: stream, run config, lock, atomic writes; studies     |
| ``cli``        | the commands (``inventory-rl train|evaluate|tune|dashboard|scenarios``)     |
| ``app``        | the Streamlit dashboard's pages and their Streamlit-free models          |
| ``scenarios``  | the shipped scenario files and sample demand data (package data)         |
"""

from __future__ import annotations

from inventory_rl.envs import ENV_ID, register_envs

__version__ = "0.2.0"
__all__ = ["ENV_ID", "__version__"]

register_envs()
