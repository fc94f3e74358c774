"""A network of warehouses as a PettingZoo ``ParallelEnv``: one agent per node, each deciding its own
orders (and its transfers) on what it sees locally.

    from inventory_rl.envs.parallel import parallel_env
    env = parallel_env(scenario="beer-game", share="downstream", reward="shared")

Every agent has the same observation and action spaces, so SuperSuit's
``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1`` can train one shared SB3 policy over
all of them (the node-identity feature tells the nodes apart).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from inventory_rl.envs.network import SHARES, NetworkView, network_info
from inventory_rl.world.network import NetworkConfig, load_network
from inventory_rl.world.networks import Networks

REWARDS = ("local", "shared")


class NetworkParallelEnv(ParallelEnv):
    """One agent per node of a network (``possible_agents`` are the node names); one step is a day
    (``world.networks`` has the rules, ``envs.network.InventoryNetworkEnv`` the central version).

    ## Observation: ``Box(0, inf, (size,), float32)``, the same for every agent
    The node's own ``NetworkView`` rows (its stock, what it owes its customers and its children, the
    orders that reached it today, what it has on order, its customers' recent demand, its free
    space and what is on its way to it), then a one-hot of the node, then the day as a share of
    the episode, then what ``share`` adds: ``"none"`` nothing; ``"downstream"`` the customers'
    demand below the node (yesterday's and the 7-day mean, summed over the nodes in its subtree
    where customers buy: information sharing as the literature has it); ``"all"`` every node's rows.

    ## Action: ``Box(0, 1, (size,), float32)``, the same for every agent
    The node's own order as its warehouse's env action (fractions of its gap, plus in ``free`` mode
    the share of the gap to order), then for each transfer lane out of it the share of its stock
    to send, per product, then where the node rations as decided (``rationing = "decided"``) each
    child's claim on its stock, per product (the parent's agent splits it when short); padded with
    components that are ignored to the largest node's size.

    ## Reward
    ``reward="local"``: minus the node's own costs (its warehouse's, its shipping, in-transit
    holding and owed units); ``"shared"``: minus the network's, the same for every agent.

    Episodes end for all agents together: ``truncations`` are True after ``episode_days`` days and
    the agents leave; ``terminations`` are always False. ``infos[agent]`` is the node's entry of
    ``network_info``, with the day and the network's cost.
    """

    metadata = {"name": "inventory_network_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(
        self,
        network: NetworkConfig | None = None,
        scenario: str | None = None,
        overrides: Sequence[str] = (),
        share: str = "none",
        reward: str = "local",
    ):
        if share not in SHARES:
            raise ValueError(f"share must be one of {SHARES}, got {share!r}")
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        if network is not None and (scenario is not None or overrides):
            raise ValueError("give a network or a scenario, not both")
        self.network = network or load_network(scenario or "serial", overrides).network
        self.share, self.reward = share, reward
        self.render_mode = None  # nothing to render (SuperSuit's wrappers read it)
        self.sim = Networks(self.network, 1)
        self.view = NetworkView(self.network)
        self.possible_agents = list(self.network.names)
        self.agents: list[str] = []
        n, nodes = self.network.n_products, self.network.nodes
        bounds = np.cumsum([0, *(node.config.action_size for node in nodes)])
        self._own = {name: slice(bounds[i], bounds[i + 1]) for i, name in enumerate(self.possible_agents)}
        self._outbound = {
            name: [k for k, lane in enumerate(self.network.transfer_lanes) if lane.source == name]
            for name in self.possible_agents
        }
        claimants = self.network.claimants
        self._claims = {  # the positions in network.claimants of the children an agent splits its stock among
            name: [k for k, child in enumerate(claimants) if self.network.parents[child] == i]
            for i, name in enumerate(self.possible_agents)
        }
        sizes = [
            node.config.action_size + n * (len(self._outbound[node.name]) + len(self._claims[node.name]))
            for node in nodes
        ]
        self._transfer_start = int(bounds[-1])
        self._claim_start = self._transfer_start + n * len(self.network.transfer_lanes)
        size = self.view.local_size(share)
        # one space object per agent and env (PettingZoo's tests seed each agent's space on its own)
        self._observation_spaces = {name: self.view.space(size) for name in self.possible_agents}
        self._action_spaces = {name: spaces.Box(0.0, 1.0, (max(sizes),), np.float32) for name in self.possible_agents}
        self._rng: np.random.Generator | None = None

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Box:
        return self._action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        """Start an episode; ``seed`` makes the network's generator as ``gymnasium.Env.reset`` does."""
        if seed is not None or self._rng is None:
            self._rng, _ = seeding.np_random(seed)
        self.sim.reset([self._rng])
        self.agents = list(self.possible_agents)
        return self._observations(), {agent: {"day": 0} for agent in self.agents}

    def step(self, actions: dict[str, np.ndarray]) -> tuple[dict, dict, dict, dict, dict]:
        """One day with every agent's action. A missing agent's action is all zeros: it sends nothing and,
        in free order mode, orders nothing (in fill mode every order fills the gap: it orders its gap, split
        evenly)."""
        if not self.agents:
            raise RuntimeError("the episode is over: call reset() before step()")
        n = self.network.n_products
        joint = np.zeros(self._claim_start + n * len(self.network.claimants))
        for agent, action in actions.items():
            action = np.asarray(action, np.float64).reshape(-1)
            if action.shape != self._action_spaces[agent].shape:
                raise ValueError(
                    f"{agent}'s action must have shape {self._action_spaces[agent].shape}, got {action.shape}"
                )
            own = self._own[agent]
            joint[own] = action[: own.stop - own.start]
            targets = [self._transfer_start + lane * n for lane in self._outbound[agent]]
            targets += [self._claim_start + claim * n for claim in self._claims[agent]]
            for position, target in enumerate(targets):
                start = own.stop - own.start + position * n
                joint[target : target + n] = action[start : start + n]
        day = self.sim.step_fractions(joint[None])
        info = network_info(self.sim, day, 0)
        if self.reward == "shared":
            rewards = dict.fromkeys(self.agents, float(day.reward[0]))
        else:
            rewards = {agent: float(day.rewards[i][0]) for i, agent in enumerate(self.possible_agents)}
        over = day.day >= self.network.episode_days
        observations = self._observations()
        infos = {agent: {"day": day.day, "network_cost": info["cost"], **info["nodes"][agent]} for agent in self.agents}
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, over)
        if over:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def _observations(self) -> dict[str, np.ndarray]:
        """Each agent's observation (``NetworkView.local``)."""
        rows = self.view.local(self.sim, self.share)[0]
        return {agent: rows[node] for node, agent in enumerate(self.possible_agents)}


def parallel_env(**kwargs: object) -> NetworkParallelEnv:
    """``NetworkParallelEnv(**kwargs)``, PettingZoo's usual constructor name."""
    return NetworkParallelEnv(**kwargs)


def shared_policy_vec_env(env: NetworkParallelEnv, copies: int, seed: int) -> Any:
    """``copies`` copies of ``env`` as one SB3 ``VecEnv`` of ``copies x n_agents`` envs, through SuperSuit
    (``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1``), so that one SB3 policy plays every
    node; copy i is seeded with ``seed + i``. SuperSuit's SB3 wrapper cannot be seeded by SB3 (its
    ``seed`` fails, and so does ``PPO(..., seed=...)``): this seeds the copies once, here, and SB3's
    later ``reset()`` continues their generators; seed torch and numpy with SB3's ``set_random_seed``."""
    import supersuit

    venv = supersuit.concat_vec_envs_v1(
        supersuit.pettingzoo_env_to_vec_env_v1(env), copies, num_cpus=0, base_class="stable_baselines3"
    )
    venv.venv.reset(seed=seed)
    return venv
