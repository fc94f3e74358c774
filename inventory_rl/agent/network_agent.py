"""The agents of a network of warehouses: one PPO policy for the whole network (``central``), or one
policy shared by every node (``per-node``: each node's agent sees its own state), or one node's
agent among co-players that follow a rule (``seat``). Each corrects a classic network rule, as the
single warehouse's agent does (``agent.view``): an action of zero is that rule, where PPO starts.

- ``NetworkAgentView``: the agents' features and the decoding of their actions into orders;
- ``NetworkAgentVecEnv``: the training env, ``n_envs`` networks stepped as one batch
  (``world.networks.Networks``), as an SB3 ``VecEnv`` of one env per network (central) or per
  network and node (per node). One shared policy over the nodes is trained on this VecEnv rather than
  through PettingZoo and SuperSuit (which ``envs.parallel`` also supports): the batch steps every
  network at once and the rule the agents correct decides for the whole batch in one call, where
  SuperSuit would step one Python env per network and agent;
- ``NetworkAgent``: a trained model as a ``NetworkPolicy``, for evaluation and the dashboard.

Deep Controlled Learning (``agent.dcl``) is not used here: it replays a state under several
decisions on common demand, and a network's state (its nodes' pipelines, order pipes and what is
owed) has no such replay yet.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from inventory_rl.agent.vec_env import BatchVecEnv
from inventory_rl.envs.network import NetworkView
from inventory_rl.policies.network_rules import NetworkPolicy, NetworkRule, applicable, make_network_rule, prior_rate
from inventory_rl.policies.network_tuning import tuned_network_rule, tuned_seat_rule
from inventory_rl.runs.files import describe_error
from inventory_rl.runs.layout import ModelLoadError, NetworkRecord, load_run_config, resolve_model_path
from inventory_rl.world.network import NetworkConfig
from inventory_rl.world.networks import Networks

AGENTS = ("central", "per-node")
BASE_CANDIDATES = ("base-stock", "s-S", "base-stock+transfers", "newsvendor")  # where no echelon applies
REWARDS = ("local", "shared")


class NetworkAgentView:
    """How the agents of a network see it and act on it, for a batch of networks.

    **Features**: central, the network's ``NetworkView.central`` observation; per node, each node's
    ``NetworkView.local`` one (its own state, its identity and what ``share`` adds); then the rule's
    order of the day for every node (central) or for the node (per node), in the view's unit. The
    day of the episode is left out: the agents learn a policy for a business that goes on (SB3
    bootstraps the value at the artificial horizon), not one that runs the stock down as an episode
    ends, which would beat the long-run optimum on finite episodes for the wrong reason.

    **Action**: one number in [-1, 1] per product for each node an agent decides for (every node,
    central; its own, per node): the rule's order moved by up to ``order_range`` x the node's mean
    daily demand (at least one unit), never below zero. Nodes in ``fill`` order mode (the original
    warehouses) keep the rule's order: it is always their gap. Transfers are the rule's. Where a parent
    rations as decided (``network.claimants``), the central agent's action goes on with one number in
    [-1, 1] per claimant and product: its claim is 1 + that number, so an action of 0 gives every child
    the same claim, the proportional split the rules play.
    """

    order_range = 0.5

    def __init__(self, network: NetworkConfig, agents: str = "central", share: str = "none"):
        if agents not in AGENTS:
            raise ValueError(f"agents must be one of {AGENTS}, got {agents!r}")
        self.network, self.agents, self.share = network, agents, share
        self.view = NetworkView(network)
        n, nodes = network.n_products, len(network.nodes)
        served = np.array([sum(prior_rate(network.nodes[k].config) for k in members) for members in network.subtrees])
        free = np.array([node.config.order_mode == "free" for node in network.nodes])
        self.steps = np.maximum(self.order_range * served, 1.0)[:, None] * free[:, None]  # (nodes, 1): 0 = fixed
        claimants = network.claimants
        if claimants and agents != "central":
            raise ValueError("rationing = decided: only a central agent splits a parent's stock")
        if agents == "central":
            size = self.view.n_nodes * self.view.node_size + nodes * n
            self.action_space = spaces.Box(-1.0, 1.0, ((nodes + len(claimants)) * n,), np.float32)
        else:
            size = self.view.local_size(share) - 1 + n
            self.action_space = spaces.Box(-1.0, 1.0, (n,), np.float32)
        self.observation_space = spaces.Box(-np.inf, np.inf, (size,), np.float32)

    def features(self, sim: Networks, base: np.ndarray) -> np.ndarray:
        """The agents' observations: ``(batch, size)`` central, ``(batch, n_nodes, size)`` per node; ``base``
        is the rule's orders ``(batch, n_nodes, n)``."""
        scaled = (base / self.view.unit).astype(np.float32)
        if self.agents == "central":
            return np.concatenate([self.view.central(sim)[:, :-1], scaled.reshape(sim.batch, -1)], axis=1)
        local = self.view.local(sim, self.share)
        day = self.view.node_size + self.view.n_nodes  # the day's column
        return np.concatenate([local[..., :day], local[..., day + 1 :], scaled], axis=2)

    def split(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """A central agent's actions ``(batch, size)`` as its moves of the orders ``(batch, n_nodes, n)`` and the
        claims ``(batch, n_nodes, n)`` of the claimants (None where no parent rations as decided)."""
        n, nodes, claimants = self.network.n_products, len(self.network.nodes), self.network.claimants
        actions = np.asarray(actions).reshape(len(actions), -1, n)
        if not claimants:
            return actions, None
        claims = np.ones((len(actions), nodes, n))
        claims[:, claimants] = 1.0 + np.clip(actions[:, nodes:], -1.0, 1.0)
        return actions[:, :nodes], claims

    def orders(self, base: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The orders ``(batch, n_nodes, n)`` of the rule's ``base`` orders moved by ``actions``
        ``(batch, n_nodes, n)`` in [-1, 1] (see the class docstring)."""
        moves = np.rint(self.steps[None] * np.clip(actions, -1.0, 1.0))
        return np.maximum(base + moves, 0).astype(np.int64)


class NetworkAgentVecEnv(BatchVecEnv):
    """The training env of a network's agents (see the module docstring): ``n_envs`` networks, each seeded
    with ``seed + k`` as ``make_vec_env`` seeds its envs, their days stepped as one batch.

    Central: one env per network; per node: one env per network and node (network k's node i is env
    ``k * n_nodes + i``), or with ``seat`` one env per network, the other nodes playing ``co_players``.
    The reward is minus a cost divided by ``cost_scale``: the network's (central, ``reward="shared"``) or
    the node's own (``reward="local"``). Episodes end together; the info of an episode's last step holds
    ``terminal_observation``, ``TimeLimit.truncated``, Monitor's ``episode`` statistics and, in the
    first row of each network, ``inventory_summary``: the network's episode as the stream records it
    (the other rows of a network carry None: one record per network episode)."""

    def __init__(
        self,
        network: NetworkConfig,
        base: NetworkPolicy,
        n_envs: int,
        seed: int | None = None,
        agents: str = "central",
        share: str = "none",
        reward: str = "shared",
        seat: str | None = None,
        co_players: NetworkPolicy | None = None,
    ):
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        if seat is not None and seat not in network.names:
            raise ValueError(f"seat must be a node of the network ({', '.join(network.names)}), got {seat!r}")
        if seat is not None and agents != "per-node":
            raise ValueError("a seat is one node's agent: agents must be per-node")
        self.network, self.base, self.co_players = base.network, base, co_players
        self.agent_view = NetworkAgentView(self.network, agents, share)
        self.agents, self.reward, self.seat = agents, reward, None if seat is None else network.index[seat]
        self.sim = Networks(self.network, n_envs)
        self.config = self.network.nodes[0].config  # what SB3 and the callbacks ask of a training env
        self.n_networks, self.n_nodes = n_envs, len(self.network.nodes)
        self._customers = [node.has_customers for node in self.network.nodes]
        self.cost_scale = cost_scale(self.network)
        rows = n_envs * self.n_nodes if agents == "per-node" and self.seat is None else n_envs
        self.render_mode = None
        super().__init__(rows, self.agent_view.observation_space, self.agent_view.action_space)
        self._rngs = [seeding.np_random(None)[0] for _ in range(n_envs)]
        self.seed(seed)
        self._actions: np.ndarray | None = None
        self._base = np.zeros((n_envs, self.n_nodes, self.network.n_products), np.int64)
        self._transfers = np.zeros((n_envs, len(self.network.transfer_lanes), self.network.n_products), np.int64)
        self._others = self._base
        self._returns = np.zeros(rows)
        self._costs = np.zeros((n_envs, self.n_nodes))
        self._started = time.perf_counter()

    # ------------------------------------------------------------------ VecEnv
    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed network k with ``seed + k`` at the next reset (whatever the number of envs per network)."""
        self._seeds = [None if seed is None else seed + k for k in range(self.n_networks)]
        return self._seeds

    def _start_episodes(self) -> np.ndarray:
        self.sim.reset(self._rngs)
        self.base.reset(self.sim)
        if self.co_players is not None:
            self.co_players.reset(self.sim)
        self._returns = np.zeros(self.num_envs)
        self._costs = np.zeros((self.n_networks, self.n_nodes))
        self._served = np.zeros((2, self.n_networks))  # the customers' demand and what of it went unserved
        self._stockouts = np.zeros(self.n_networks)
        return self._observe()

    def _observe(self) -> np.ndarray:
        """The rule's decisions of the coming day, and the agents' observations of them."""
        self._base, self._transfers = self.base.decide(self.sim)
        if self.co_players is not None:
            self._others, _ = self.co_players.decide(self.sim)
        features = self.agent_view.features(self.sim, self._base)
        if self.agents == "central":
            return features
        if self.seat is not None:
            return features[:, self.seat]
        return features.reshape(self.num_envs, -1)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        n = self.network.n_products
        actions, claims = np.zeros((self.n_networks, self.n_nodes, n)), None
        if self.agents == "central":
            actions, claims = self.agent_view.split(self._actions)
        elif self.seat is not None:
            actions[:, self.seat] = self._actions
        else:
            actions = self._actions.reshape(self.n_networks, self.n_nodes, n)
        orders = self.agent_view.orders(self._base, actions)
        if self.seat is not None:  # the other seats play their rule
            played = self._others.copy()
            played[:, self.seat] = orders[:, self.seat]
            orders = played
        day = self.sim.step_units(orders, self._transfers, claims)
        costs = np.stack(day.costs, axis=1)  # (networks, nodes)
        self._costs += costs
        for node, record in enumerate(day.nodes):
            if self._customers[node]:
                self._served += (record.total_demand, record.total_lost)
                unserved = record.lost_sales if record.backordered is None else record.backordered
                self._stockouts += np.count_nonzero(unserved, axis=1)
        rewards = self._rewards(costs)
        self._returns += rewards
        if day.day < self.network.episode_days:
            return (
                self._observe(),
                rewards.astype(np.float32),
                np.zeros(self.num_envs, bool),
                [{} for _ in range(self.num_envs)],
            )
        terminal = self._observe()  # the last day's observation, before the reset
        infos = self._episode_infos(terminal)
        return self._start_episodes(), rewards.astype(np.float32), np.ones(self.num_envs, bool), infos

    def _rewards(self, costs: np.ndarray) -> np.ndarray:
        """Each env's reward of the day from the nodes' costs ``(networks, nodes)``."""
        if self.agents == "central" or (self.reward == "shared" and self.seat is None):
            network = -costs.sum(axis=1) / self.cost_scale
            return network if self.agents == "central" else np.repeat(network, self.n_nodes)
        if self.seat is not None:
            chosen = costs.sum(axis=1) if self.reward == "shared" else costs[:, self.seat]
            return -chosen / self.cost_scale
        return -costs.reshape(-1) / self.cost_scale

    def _episode_infos(self, terminal: np.ndarray) -> list[dict]:
        days = self.network.episode_days
        elapsed = round(time.perf_counter() - self._started, 6)
        per_node = self.num_envs // self.n_networks  # rows of one network: its nodes' agents, or one
        infos = []
        for row in range(self.num_envs):
            network = row // per_node
            infos.append(
                {
                    "terminal_observation": terminal[row],
                    "TimeLimit.truncated": True,
                    "episode": {"r": float(self._returns[row]), "l": days, "t": elapsed},
                    # the stream's record of the network's episode, once per network (its first row)
                    "inventory_summary": self._summary(network) if row % per_node == 0 else None,
                }
            )
        return infos

    def _summary(self, network: int) -> dict:
        """Network ``network``'s episode in the stream's figures (``stream.EPISODE_FIGURES``): its cost
        and reward, the customers' fill rate and stockouts; each node's cost as a reward component.
        Utilization, order accuracy and allocation quality are single-warehouse figures: 0 here."""
        days = self.network.episode_days
        cost = float(self._costs[network].sum())
        demand, unserved = self._served[:, network]
        return {
            "reward": -cost,
            "fill_rate": 1.0 - unserved / demand if demand else 1.0,
            "stockouts_per_day": float(self._stockouts[network]) / days,
            "utilization": 0.0,
            "order_accuracy": 0.0,
            "allocation_quality": 0.0,
            "cost_per_day": cost / days,
            "profit_per_day": -cost / days,
            "reward_components": {
                name: -float(value) for name, value in zip(self.network.names, self._costs[network], strict=True)
            },
            "stockouts": int(self._stockouts[network]),
            "trajectory": {},
        }


def base_rule(network: NetworkConfig) -> NetworkRule:
    """The rule the agents of ``network`` correct: echelon base-stock where a node supplies another (the
    optimal form on chains), else the best of the tuned rules that know only what a decision maker may
    know (not the oracle or the optimum) by their tuned cost; tuned (``policies.network_tuning``)."""
    if applicable("echelon-base-stock", network) is None:
        return tuned_network_rule("echelon-base-stock", network)[0]
    names = [name for name in BASE_CANDIDATES if applicable(name, network) is None]
    tuned = [tuned_network_rule(name, network) for name in names]
    return min(tuned, key=lambda pair: math.inf if pair[1] is None else pair[1].score)[0]


def corrected_rule(
    network: NetworkConfig, agents: str, share: str = "none", seat: str | None = None, co_players: str = "sterman"
) -> NetworkRule:
    """The rule an agent corrects: the best tuned rule it can play from what it sees. A central agent, and
    per-node agents that see every node (``share="all"``), correct ``base_rule`` (echelon base-stock on
    chains: it reads the echelon position, the state of every node below). Per-node agents that see their
    own node (and with ``"downstream"`` their customers' demand below it) correct tuned base-stock, which a
    node plays on its own state; one seat among co-players, base-stock with the seat's level and order
    smoothing tuned beside those co-players (``network_tuning.tuned_seat_rule``)."""
    if seat is not None:
        return tuned_seat_rule(network, seat, co_player_rule(co_players, network), co_players)
    if agents == "central" or share == "all":
        return base_rule(network)
    return tuned_network_rule("base-stock", network)[0]


def co_player_rule(name: str, network: NetworkConfig) -> NetworkRule:
    """The rule co-players follow: Sterman's (its published parameters) or tuned base-stock."""
    return make_network_rule("sterman", network) if name == "sterman" else tuned_network_rule("base-stock", network)[0]


def rule_record(rule: NetworkRule) -> dict[str, Any]:
    """A rule as a run config records it: its name and parameters, plain JSON."""
    parameters = {
        key: np.where(np.isnan(value), None, value).tolist() if isinstance(value, np.ndarray) else value
        for key, value in rule.parameters.items()
    }
    return {"rule": rule.name, "parameters": parameters}


def rule_of(record: Mapping[str, Any], network: NetworkConfig) -> NetworkRule:
    """The rule of a ``rule_record``."""
    parameters = {
        key: np.array([math.nan if item is None else item for item in value], np.float64)
        if isinstance(value, list)
        else value
        for key, value in dict(record["parameters"]).items()
    }
    return make_network_rule(record["rule"], network, **parameters)


def cost_scale(network: NetworkConfig) -> float:
    """A day's network cost in PPO's preferred units (about 1): the customers' mean daily demand times
    the largest cost rate a unit can incur (holding, a lost sale, a day owed)."""
    demand = sum((node.config.rate_low + node.config.rate_high) / 2 for node in network.nodes if node.has_customers)
    rate = max(
        max(node.config.holding_cost, node.config.lost_sale_cost, node.config.backorder_cost) for node in network.nodes
    )
    return max(demand * network.n_products * max(rate, 1.0), 1.0)


class NetworkAgent(NetworkPolicy):
    """A trained model (anything with SB3's ``predict``) as a network policy: the rule ``base`` decides,
    the model corrects it (deterministically), as in training; with ``seat``, only that node's order
    is the model's and the others are ``co_players``'."""

    def __init__(
        self,
        model: Any,
        base: NetworkPolicy,
        agents: str = "central",
        share: str = "none",
        seat: str | None = None,
        co_players: NetworkPolicy | None = None,
        name: str = "ppo",
    ):
        super().__init__(base.network)
        self.model, self.base, self.co_players, self.name = model, base, co_players, name
        self.agent_view = NetworkAgentView(base.network, agents, share)
        self.agents, self.seat = agents, None if seat is None else base.network.index[seat]
        self.sees = (  # what it reads when it decides, as the network rules say it (network_rules.SEES)
            "echelon (central)"
            if agents == "central"
            else f"local + its {base.name} order" + (f" + {share}" if share != "none" else "")
        )

    def reset(self, sim: Networks) -> None:
        self.base.reset(sim)
        if self.co_players is not None:
            self.co_players.reset(sim)

    def decide(self, sim: Networks) -> tuple[np.ndarray, np.ndarray]:
        base, transfers = self.base.decide(sim)
        features = self.agent_view.features(sim, base)
        n, nodes = self.network.n_products, len(self.network.nodes)
        if self.seat is None and self.agents == "central":
            actions, _ = self.model.predict(features, deterministic=True)
            moves, self.claims = self.agent_view.split(actions)
            return self.agent_view.orders(base, moves), transfers
        if self.seat is None:
            actions, _ = self.model.predict(features.reshape(sim.batch * nodes, -1), deterministic=True)
            return self.agent_view.orders(base, actions.reshape(sim.batch, nodes, n)), transfers
        others, _ = self.co_players.decide(sim)
        actions, _ = self.model.predict(features[:, self.seat], deterministic=True)
        moves = np.zeros((sim.batch, nodes, n))
        moves[:, self.seat] = actions
        orders = self.agent_view.orders(base, moves)
        others[:, self.seat] = orders[:, self.seat]
        return others, transfers


def recorded_agent(model: Any, record: NetworkRecord, network: NetworkConfig | None = None) -> NetworkAgent:
    """``model`` as the agents a run's ``record`` says (the rule they correct, the co-players of a seat),
    on the record's network or on ``network``."""
    network = network or record.network
    base = rule_of(record.base, network)
    co_players = None if record.seat is None else co_player_rule(record.co_players, network)
    return NetworkAgent(model, base, record.agents, record.share, record.seat, co_players)


def load_network_agent(model_path: str | Path, network: NetworkConfig | None = None) -> NetworkAgent:
    """A network run's saved model as a ``NetworkPolicy`` (the rule it corrects and its co-players rebuilt
    from its run config), on its own network or on ``network`` (e.g. with longer episodes), which must give
    it the same observations; ``ModelLoadError`` (one line) when the file or its run config do not fit."""
    from stable_baselines3 import PPO  # deferred: importing SB3 costs a second or two

    path = resolve_model_path(model_path)
    run = load_run_config(path)
    if run.network is None:
        raise ModelLoadError(f"{path} is the model of one warehouse, not of a network: load it with load_agent")
    record = run.network
    try:
        model = PPO.load(path, device="cpu")
    except Exception as error:  # SB3 raises many kinds (zip, pickle, torch, key errors)
        raise ModelLoadError(f"{path} is not a loadable PPO model ({describe_error(error)})") from error
    network = network or record.network
    if network.names != record.network.names:
        nodes = ", ".join(record.network.names)
        raise ModelLoadError(f"{path} was trained on a network of {nodes}; this one has {', '.join(network.names)}")
    agent = recorded_agent(model, record, network)
    if model.observation_space.shape != agent.agent_view.observation_space.shape:
        raise ModelLoadError(
            f"{path} does not fit this network: it sees {model.observation_space.shape[0]} features, "
            f"the network gives {agent.agent_view.observation_space.shape[0]}"
        )
    return agent
