"""The observation's layout: which column of a product's row holds what, in which unit, and
``Observation``, its one decoding into units (and encoding back). The simulator
(``world.warehouses``) writes the columns named here; everything that reads an observation
(the rules, the agent's view, the dashboard) decodes it with ``Observation``. The table of
columns, units and bounds is in ``envs.single.InventoryEnv``'s docstring.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from inventory_rl.world.config import InventoryConfig

FEATURE_NAMES = (
    "stock",
    "yesterday_demand",
    "avg7_demand",
    "demand_ratio",
    "total_stock",
    "free_space",
)
STOCK, YESTERDAY_DEMAND, AVG7_DEMAND, DEMAND_RATIO, TOTAL_STOCK, FREE_SPACE = range(len(FEATURE_NAMES))
N_FEATURES = len(FEATURE_NAMES)  # per product, before any in-transit features
IN_TRANSIT = N_FEATURES  # the first in-transit column: units arriving in 0 days (where max_lead_time > 1)


class Observation(NamedTuple):
    """An observation decoded into units: the one owner of the observation layout.

    Per-product fields have shape ``(..., n_products)``, warehouse totals ``(...)``, for an
    observation of shape ``(..., n_products * n_features)`` (one env or a batch of them).
    """

    stock: np.ndarray  # whole units on the shelf, when ordering
    yesterday_demand: np.ndarray  # whole units
    avg7_demand: np.ndarray  # mean units per day over the last history_days days
    demand_share: np.ndarray  # the product's share of the 7-day demand
    total_stock: np.ndarray  # whole units in the warehouse
    free_space: np.ndarray  # the gap: capacity - total_stock - units in transit
    in_transit: np.ndarray | None = None  # (..., n_products, transit_slots) units arriving in 0, 1, ... days

    @classmethod
    def decode(cls, obs: np.ndarray, config: InventoryConfig) -> Observation:
        """Undo the observation's scaling (see the table in ``InventoryEnv``); counts come back
        as exact integers, since the float32 scaling of whole units is undone by rounding."""
        n_features = N_FEATURES + config.transit_slots
        rows = np.asarray(obs).reshape(*np.shape(obs)[:-1], config.n_products, n_features)
        per_product = np.moveaxis(rows, -1, 0)
        totals = per_product[TOTAL_STOCK : FREE_SPACE + 1, ..., 0]  # warehouse totals are repeated in every row
        return cls(
            stock=np.rint(per_product[STOCK] * config.max_demand).astype(np.int64),
            yesterday_demand=np.rint(per_product[YESTERDAY_DEMAND] * config.max_demand).astype(np.int64),
            avg7_demand=per_product[AVG7_DEMAND].astype(np.float64) * config.max_demand,
            demand_share=per_product[DEMAND_RATIO].astype(np.float64),
            total_stock=np.rint(totals[0] * config.capacity).astype(np.int64),
            free_space=np.rint(totals[1] * config.capacity).astype(np.int64),
            in_transit=np.rint(rows[..., IN_TRANSIT:] * config.max_demand).astype(np.int64),
        )

    def position(self) -> np.ndarray:
        """The inventory position per product: units on the shelf plus units in transit."""
        return self.stock + self.in_transit.sum(axis=-1)

    def encode(self, config: InventoryConfig) -> np.ndarray:
        """The float32 observation of these values (the inverse of ``decode``)."""
        per_product = np.broadcast_arrays(
            self.stock / config.max_demand,
            self.yesterday_demand / config.max_demand,
            self.avg7_demand / config.max_demand,
            self.demand_share,
            *(np.expand_dims(total, -1) / config.capacity for total in (self.total_stock, self.free_space)),
        )
        rows = np.stack(per_product, axis=-1)
        if config.transit_slots:
            rows = np.concatenate([rows, np.asarray(self.in_transit) / config.max_demand], axis=-1)
        rows = rows.astype(np.float32)
        return rows.reshape(*rows.shape[:-2], -1)
