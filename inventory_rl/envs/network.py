"""A network of warehouses as a Gymnasium environment for a central planner: ``InventoryNetworkEnv``,
registered as ``InventoryNetwork-v0``; and ``NetworkView``, the one layout of what a node's
decision maker sees, which the PettingZoo env (``envs.parallel``) shares.

    env = gymnasium.make("InventoryNetwork-v0", scenario="beer-game")
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from inventory_rl.world.network import NetworkConfig, load_network
from inventory_rl.world.networks import NETWORK_COSTS, NetworkDay, Networks

NODE_FEATURES = (
    "stock",  # units on the shelf
    "backorders",  # units owed to customers
    "owed_to_children",  # units owed to the nodes below
    "orders_arrived",  # units the nodes below ordered that reached it today
    "on_order",  # units it ordered that its supplier has not shipped yet
    "yesterday_demand",  # its customers' demand of the day (0 where no customers buy)
    "avg7_demand",  # its customers' mean demand over the last history_days days
    "free_space",  # the gap (capacity - stock - in transit - on order) / capacity
)
FREE_SPACE = NODE_FEATURES.index("free_space")
DEMAND_COLUMNS = [NODE_FEATURES.index("yesterday_demand"), NODE_FEATURES.index("avg7_demand")]
SHARES = ("none", "downstream", "all")  # what a node's agent sees of the others (``NetworkView.local``)


class NetworkView:
    """What the decision makers of a network see, for a batch of networks: per node and product a
    row of ``NODE_FEATURES`` then the units on their way to it by arrival day (``transit_slots``
    columns: tomorrow first, padded to the network's longest lane), all in units of ``unit``
    (the network's largest ``max_demand``) except the free space, a share of the capacity."""

    def __init__(self, network: NetworkConfig):
        self.network = network
        self.n_nodes, self.n_products = len(network.nodes), network.n_products
        self.transit_slots = max(node.config.max_lead_time for node in network.nodes)
        self.row = len(NODE_FEATURES) + self.transit_slots
        self.node_size = self.n_products * self.row
        self.unit = float(max(node.config.max_demand for node in network.nodes))

    def node_block(self, sim: Networks, node: int) -> np.ndarray:
        """Node ``node``'s rows, ``(batch, n_products * row)``."""
        warehouse, config = sim.nodes[node], sim.network.nodes[node].config
        rows = np.zeros((sim.batch, self.n_products, self.row), np.float32)
        today = config.history_days + warehouse.day  # the demand row of the coming day
        rows[..., 0] = warehouse.stock
        rows[..., 1] = warehouse.backlog
        rows[..., 2] = sim.owed_to_children(node)
        rows[..., 3] = sim.orders_arrived(node)
        rows[..., 4] = warehouse.on_order
        rows[..., 5] = warehouse.demand[:, today - 1]
        rows[..., 6] = warehouse.demand[:, today - config.history_days : today].mean(axis=1)
        slots = warehouse.pipeline.shape[1]
        rows[..., len(NODE_FEATURES) : len(NODE_FEATURES) + slots] = warehouse.pipeline.swapaxes(1, 2)
        rows /= self.unit
        rows[..., FREE_SPACE] = (warehouse.gap / config.capacity)[:, None]
        return rows.reshape(sim.batch, -1)

    def central(self, sim: Networks) -> np.ndarray:
        """Every node's rows, then the day as a share of the episode: ``(batch, n_nodes * node_size + 1)``."""
        day = np.full((sim.batch, 1), sim.day / self.network.episode_days, np.float32)
        return np.concatenate([*(self.node_block(sim, node) for node in range(self.n_nodes)), day], axis=1)

    def local_size(self, share: str) -> int:
        """The size of one node's ``local`` observation with ``share``."""
        extra = {"none": 0, "downstream": 2 * self.n_products, "all": self.n_nodes * self.node_size}[share]
        return self.node_size + self.n_nodes + 1 + extra

    def local(self, sim: Networks, share: str) -> np.ndarray:
        """What each node's own agent sees, ``(batch, n_nodes, local_size(share))``: its rows, a one-hot of the
        node, the day as a share of the episode, then what ``share`` adds: ``"none"`` nothing;
        ``"downstream"`` its customers' demand below it (yesterday's and the 7-day mean, summed over its
        subtree: information sharing as the literature has it); ``"all"`` every node's rows."""
        blocks = np.stack([self.node_block(sim, node) for node in range(self.n_nodes)], axis=1)
        identity = np.broadcast_to(np.eye(self.n_nodes, dtype=np.float32), (sim.batch, self.n_nodes, self.n_nodes))
        day = np.full((sim.batch, self.n_nodes, 1), sim.day / self.network.episode_days, np.float32)
        parts = [blocks, identity, day]
        if share == "downstream":
            rows = blocks.reshape(sim.batch, self.n_nodes, self.n_products, self.row)[..., DEMAND_COLUMNS]
            below = np.stack(
                [rows[:, members].sum(axis=1) for members in self.network.subtrees], axis=1
            )  # (batch, nodes, n, 2)
            parts.append(below.swapaxes(2, 3).reshape(sim.batch, self.n_nodes, -1))
        elif share == "all":
            parts.append(
                np.broadcast_to(
                    blocks.reshape(sim.batch, 1, -1), (sim.batch, self.n_nodes, self.n_nodes * self.node_size)
                )
            )
        return np.concatenate(parts, axis=2)

    def space(self, size: int) -> spaces.Box:
        """A Box of ``size`` non-negative features."""
        return spaces.Box(0.0, np.inf, (size,), np.float32)


class InventoryNetworkEnv(gym.Env):
    """A network of warehouses run by one central planner (``world.networks`` has the day's rules).

    ## Action space: ``Box(0, 1, (size,), float32)``
    Every decision of the day, in node order (``network.names``): each node's own order as its
    warehouse's env action (``InventoryEnv``'s: fractions of its gap per product, plus in ``free``
    order mode the share of the gap to order), then for each transfer lane the share of the
    sender's stock to send, per product, then where a parent rations as decided (``rationing =
    "decided"``) each of its children's claim on its stock, per product (``network.claimants``, in node
    order; claims split a short parent's stock, see ``world.networks``). ``step_units`` takes whole
    units instead (manual play): ``orders`` ``(n_nodes, n_products)``, ``transfers`` ``(n_transfers,
    n_products)`` and ``claims`` ``(n_nodes, n_products)``.

    ## Observation space: ``Box(0, inf, (n_nodes * n_products * row + 1,), float32)``
    Each node's ``NetworkView`` rows (``NODE_FEATURES`` then units in transit by arrival day, in
    units of the network's largest ``max_demand``), node after node, then the day as a share of the
    episode. Known at the end of the day, when deciding (see ``world.networks``).

    ## Reward
    The network's: minus the day's costs of every node (its warehouse's cost parts and its
    shipping, in-transit holding and owed units; in ``profit`` mode revenue counts too).

    ## Episode end
    ``truncated`` after ``episode_days`` steps; ``terminated`` is always False.

    ## info
    ``day``; ``cost`` (the network's) and ``costs`` (node -> its cost); ``nodes``: per node
    ``stock``, ``backorders``, ``demand``, ``sales``, ``lost_sales``, ``ordered`` (accepted units
    placed), ``received`` (put on its shelf), ``on_order``, ``owed_to_children`` and
    ``cost_parts`` (part -> per product, plus the network parts); ``lanes``: per supply lane
    ``source->target`` the units ``ordered``, ``arrived`` at the supplier, ``shipped``, ``owed`` and
    ``cancelled``; ``transfers``: per transfer lane the units sent.

    ## Arguments
    ``InventoryNetworkEnv(network=None, scenario="serial", overrides=(), render_mode=None)``.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        network: NetworkConfig | None = None,
        scenario: str | None = None,
        overrides: Sequence[str] = (),
        render_mode: str | None = None,
    ):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        if network is not None and (scenario is not None or overrides):
            raise ValueError("give a network or a scenario, not both")
        self.network = network or load_network(scenario or "serial", overrides).network
        self.render_mode = render_mode
        self.sim = Networks(self.network, 1)
        self.view = NetworkView(self.network)
        self.action_space = spaces.Box(0.0, 1.0, (action_size(self.network),), np.float32)
        self.observation_space = self.view.space(self.view.n_nodes * self.view.node_size + 1)
        self._last: dict | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.sim.reset([self.np_random])
        self._last = None
        return self.view.central(self.sim)[0], {"day": 0, "nodes": node_states(self.sim, 0)}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Advance one day with every decision as fractions (see the class docstring)."""
        action = np.asarray(action, np.float64)
        if action.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape}, got {action.shape}")
        if not np.isfinite(action).all():
            raise ValueError(f"action must be finite, got {action}")
        return self._finish(self.sim.step_fractions(action[None]))

    def step_units(
        self, orders: np.ndarray, transfers: np.ndarray | None = None, claims: np.ndarray | None = None
    ) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Advance one day with whole units: orders per node and product, transfers per lane and product,
        claims per node and product (where a parent rations as decided)."""
        orders = np.asarray(orders)
        transfers = None if transfers is None else np.asarray(transfers)[None]
        claims = None if claims is None else np.asarray(claims)[None]
        return self._finish(self.sim.step_units(orders[None], transfers, claims))

    def _finish(self, day: NetworkDay) -> tuple[np.ndarray, float, bool, bool, dict]:
        info = self._last = network_info(self.sim, day, 0)
        truncated = day.day >= self.network.episode_days
        return self.view.central(self.sim)[0], float(day.reward[0]), False, truncated, info

    def render(self) -> str | None:
        """A text table of the last day (``"ansi"``)."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi'")
            return None
        if self._last is None:
            return f"day 0: {', '.join(self.network.names)}"
        lines = [f"day {self._last['day']}/{self.network.episode_days}  cost {self._last['cost']:.2f}"]
        lines.append(f"{'node':>12} {'stock':>7} {'owed':>7} {'ordered':>8} {'received':>9} {'cost':>8}")
        for name, node in self._last["nodes"].items():
            lines.append(
                f"{name:>12} {int(node['stock'].sum()):>7} {int(node['backorders'].sum()):>7} "
                f"{int(node['ordered'].sum()):>8} {int(node['received'].sum()):>9} {self._last['costs'][name]:>8.2f}"
            )
        return "\n".join(lines)


def action_size(network: NetworkConfig) -> int:
    """The central planner's action size: each node's env action, then each transfer lane's shares, then each
    claimant's claims (``NetworkConfig.claimants``)."""
    lanes = len(network.transfer_lanes) + len(network.claimants)
    return sum(node.config.action_size for node in network.nodes) + lanes * network.n_products


def node_states(sim: Networks, index: int) -> dict[str, dict[str, np.ndarray]]:
    """What each node holds, owes and has on order now, for network ``index`` of the batch."""
    return {
        name: {
            "stock": warehouse.stock[index].copy(),
            "backorders": warehouse.backlog[index].copy(),
            "on_order": warehouse.on_order[index].copy(),
            "in_transit": warehouse.pipeline[index].sum(axis=0),
            "owed_to_children": sim.owed_to_children(node)[index],
        }
        for node, (name, warehouse) in enumerate(zip(sim.network.names, sim.nodes, strict=True))
    }


def network_info(sim: Networks, day: NetworkDay, index: int) -> dict:
    """The ``info`` of network ``index`` for a day (see ``InventoryNetworkEnv``)."""
    network, states = sim.network, node_states(sim, index)
    nodes = {}
    for node, name in enumerate(network.names):
        record = day.nodes[node]
        parts = {part: record.cost_parts[part][index] for part in record.cost_parts}
        parts.update({part: day.network_costs[node][part][index] for part in NETWORK_COSTS})
        nodes[name] = {
            **states[name],
            "demand": record.demand[index],
            "sales": record.sales[index],
            "lost_sales": record.lost_sales[index],
            "ordered": day.ordered[node][index],
            "received": record.received[index],
            "cost_parts": parts,
        }
    costs = {name: float(day.costs[node][index]) for node, name in enumerate(network.names)}
    lanes = {
        lane.label: {
            key: getattr(day, key)[node][index] for key in ("ordered", "arrived", "shipped", "owed", "cancelled")
        }
        for node, lane in enumerate(network.supply_lanes)
    }
    transfers = {lane.label: day.transferred[k][index] for k, lane in enumerate(network.transfer_lanes)}
    return {
        "day": day.day,
        "cost": sum(costs.values()),
        "costs": costs,
        "nodes": nodes,
        "lanes": lanes,
        "transfers": transfers,
    }
