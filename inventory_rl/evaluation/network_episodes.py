"""Playing a network policy on a batch of networks, one per seed (``play_network``), and what evaluation
measures of it (``NetworkEpisodes``: per episode, node and day; ``metrics`` per episode, ``bullwhip`` per node);
``score_network``: the cost per day alone, which tuning needs.

Episode k with seed s is what ``InventoryNetworkEnv(network).reset(seed=s)`` would play: the simulator draws
every node's demand at reset from the seed's generator, so every policy faces the same days.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from inventory_rl.evaluation.episodes import generators
from inventory_rl.evaluation.metrics import fill_rate
from inventory_rl.policies.network_rules import NetworkPolicy, bullwhip_ratio
from inventory_rl.world.network import NetworkConfig
from inventory_rl.world.networks import NetworkDay, Networks
from inventory_rl.world.warehouses import Warehouses

NODE_METRIC_DISPLAY = {  # metric -> (column header, scale, format) in every network table; keys are NODE_METRICS
    "cost_per_day": ("cost / day", 1.0, ",.2f"),
    "fill_rate": ("fill rate %", 100.0, ".2f"),
    "backorders": ("backorders", 1.0, ",.2f"),
    "lost_sales": ("lost / day", 1.0, ",.2f"),
    "on_hand": ("on hand", 1.0, ",.1f"),
    "in_transit": ("in transit", 1.0, ",.1f"),
}
NODE_METRICS = tuple(NODE_METRIC_DISPLAY)


def _days(policy: NetworkPolicy, seeds: Sequence[int]) -> Iterator[tuple[Networks, NetworkDay]]:
    """Play one episode of ``policy`` on its network, one per seed; yield the simulator after every day."""
    sim = Networks(policy.network, len(seeds))
    sim.reset(generators(seeds))
    policy.reset(sim)
    for _ in range(policy.network.episode_days):
        orders, transfers = policy.decide(sim)
        yield sim, sim.step_units(orders, transfers, policy.claims)


@dataclass(frozen=True)
class NetworkEpisodes:
    """One policy's play of a batch of episodes: per-node daily totals over products, ``(batch, days,
    n_nodes)``. ``demand``, ``unserved`` (units of the day's demand not served that day: lost or owed),
    ``lost_sales`` and ``backorders`` (owed to customers at the end of the day) are the customers'; ``on_hand``
    is what the node is charged holding on (what it keeps overnight: after it shipped, for a node that ships),
    ``in_transit`` the units on their way to it overnight (shipped, not yet on its shelf: with lead time L a
    unit counts L nights, as ``transit_holding`` charges it); ``ordered`` is what the node placed (accepted);
    ``costs`` its cost of the day."""

    policy: str
    seeds: tuple[int, ...]
    network: NetworkConfig
    costs: np.ndarray
    demand: np.ndarray
    unserved: np.ndarray
    lost_sales: np.ndarray
    backorders: np.ndarray
    on_hand: np.ndarray
    in_transit: np.ndarray
    ordered: np.ndarray

    @property
    def days(self) -> int:
        return self.costs.shape[1]

    @functools.cached_property
    def demand_below(self) -> np.ndarray:
        """The customers' demand each node serves: its own and its subtree's, ``(batch, days, n_nodes)``."""
        return np.stack([self.demand[:, :, members].sum(axis=2) for members in self.network.subtrees], axis=2)

    def metrics(self, warmup: int = 0) -> dict[str, dict[str, np.ndarray]]:
        """Per episode ``(batch,)``: ``{"network": {metric: ...}, node name: {metric: ...}}`` over the days
        after ``warmup`` (``NODE_METRICS``: cost, fill rate (nan where no customers buy), units owed to and lost
        by customers per day, units on hand and in transit per day)."""
        days = slice(warmup, None)
        result: dict[str, dict[str, np.ndarray]] = {}
        columns = {
            "costs": self.costs[:, days],
            "demand": self.demand[:, days],
            "unserved": self.unserved[:, days],
            "lost_sales": self.lost_sales[:, days],
            "backorders": self.backorders[:, days],
            "on_hand": self.on_hand[:, days],
            "in_transit": self.in_transit[:, days],
        }
        buying = [node.has_customers for node in self.network.nodes]
        for i, name in enumerate(self.network.names):
            values = {key: array[:, :, i] for key, array in columns.items()}
            result[name] = _metrics(values, buying[i])
        total = {key: array.sum(axis=2) for key, array in columns.items()}
        result["network"] = _metrics(total, any(buying))
        return result

    def bullwhip(self, warmup: int = 0) -> dict[str, float]:
        """Each node's bullwhip ratio over the days after ``warmup``: the variance of its daily orders over the
        variance of the customers' daily demand it serves (see ``network_rules.bullwhip_ratio``)."""
        below = self.demand_below
        return {
            name: bullwhip_ratio(self.ordered[:, warmup:, i], below[:, warmup:, i])
            for i, name in enumerate(self.network.names)
        }


def _metrics(values: dict[str, np.ndarray], buying: bool) -> dict[str, np.ndarray]:
    demand = values["demand"].sum(axis=1)
    served = demand - values["unserved"].sum(axis=1)
    return {
        "cost_per_day": values["costs"].mean(axis=1),
        "fill_rate": fill_rate(demand, sales=served) if buying else np.full(len(demand), np.nan),
        "backorders": values["backorders"].mean(axis=1),
        "lost_sales": values["lost_sales"].mean(axis=1),
        "on_hand": values["on_hand"].mean(axis=1),
        "in_transit": values["in_transit"].mean(axis=1),
    }


def play_network(policy: NetworkPolicy, seeds: Sequence[int]) -> NetworkEpisodes:
    """The episodes of ``seeds`` played by ``policy`` on ``policy.network``, all at once."""
    records: dict[str, list[np.ndarray]] = {key: [] for key in ("costs", "demand", "unserved", "lost_sales")}
    records.update({key: [] for key in ("backorders", "on_hand", "in_transit", "ordered")})
    for sim, day in _days(policy, seeds):
        records["costs"].append(np.stack(day.costs, axis=1))
        records["demand"].append(np.stack([node.demand.sum(axis=1) for node in day.nodes], axis=1))
        records["unserved"].append(np.stack([np.asarray(node.total_lost) for node in day.nodes], axis=1))
        records["lost_sales"].append(np.stack([node.lost_sales.sum(axis=1) for node in day.nodes], axis=1))
        records["backorders"].append(np.stack([warehouse.backlog.sum(axis=1) for warehouse in sim.nodes], axis=1))
        records["on_hand"].append(np.stack([_held(warehouse).sum(axis=1) for warehouse in sim.nodes], axis=1))
        overnight = [
            warehouse.pipeline.sum(axis=(1, 2)) + node.received.sum(axis=1)
            for warehouse, node in zip(sim.nodes, day.nodes, strict=True)
        ]
        records["in_transit"].append(np.stack(overnight, axis=1))
        records["ordered"].append(np.stack([units.sum(axis=1) for units in day.ordered], axis=1))
    arrays = {key: np.stack(values, axis=1) for key, values in records.items()}
    return NetworkEpisodes(policy.name, tuple(int(seed) for seed in seeds), policy.network, **arrays)


def _held(warehouse: Warehouses) -> np.ndarray:
    """The stock a node is charged holding on: what it keeps overnight (after it shipped, for a node that
    ships), else what is on its shelf at the end of the day."""
    return warehouse.stock if warehouse.night_stock is None else warehouse.night_stock


def score_network(policy: NetworkPolicy, seeds: Sequence[int]) -> np.ndarray:
    """Each seed's network cost per day ``(batch,)``, without keeping the days: what tuning needs."""
    total = np.zeros(len(seeds))
    for _, day in _days(policy, seeds):
        total += sum(day.costs)
    return total / policy.network.episode_days
