"""The network's two APIs: ``InventoryNetwork-v0`` (one central planner, Gymnasium) and ``NetworkParallelEnv``
(one agent per node, PettingZoo) pass their checkers on every shipped network, play the same days as the
simulator and as each other, and SuperSuit turns the parallel env into one SB3 VecEnv that trains a shared
policy, reproducibly."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils import seeding
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import inventory_rl  # noqa: F401  (registers the ids)
from inventory_rl.envs import NETWORK_ENV_ID
from inventory_rl.envs.network import NODE_FEATURES, InventoryNetworkEnv, action_size
from inventory_rl.envs.parallel import SHARES, NetworkParallelEnv, parallel_env
from inventory_rl.world.networks import Networks

SHIPPED = ("serial", "beer-game", "beer-game-classic", "distribution", "transshipment", "regional")
EXPECTED_WARNINGS = (  # the checkers' advice, not faults: actions are fractions in [0, 1], units are unbounded
    "symmetric and normalized Box action space",
    "Box observation space maximum value is infinity",
)


@pytest.mark.parametrize("name", SHIPPED)
def test_the_central_env_passes_both_checkers(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env = gym.make(NETWORK_ENV_ID, scenario=name, overrides=["episode_days=8"])
        assert isinstance(env.unwrapped, InventoryNetworkEnv)
        gymnasium_check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(InventoryNetworkEnv(scenario=name, overrides=["episode_days=8"]))
    unexpected = [str(w.message) for w in caught if not any(text in str(w.message) for text in EXPECTED_WARNINGS)]
    assert unexpected == []


@pytest.mark.parametrize("name", SHIPPED)
def test_the_central_env_plays_the_simulators_days(name):
    """Reward, observation and info of ``InventoryNetworkEnv`` are those of ``Networks`` reset with the
    generator ``reset(seed=)`` makes; a whole episode ends truncated after ``episode_days`` steps."""
    env = InventoryNetworkEnv(scenario=name, overrides=["episode_days=10"])
    network = env.network
    assert env.action_space.shape == (action_size(network),)
    sim = Networks(network, 1)
    obs, info = env.reset(seed=5)
    sim.reset([seeding.np_random(5)[0]])
    assert info["day"] == 0 and set(info["nodes"]) == set(network.names)
    assert env.observation_space.contains(obs)
    rng = np.random.default_rng(0)
    for day in range(1, network.episode_days + 1):
        action = rng.random(env.action_space.shape).astype(np.float32)
        obs, reward, terminated, truncated, info = env.step(action)
        record = sim.step_fractions(action[None])
        assert reward == float(record.reward[0]) and np.isclose(reward, -info["cost"])
        assert env.observation_space.contains(obs)
        assert (terminated, truncated) == (False, day == network.episode_days)
        assert info["day"] == day and obs[-1] == np.float32(day / network.episode_days)
        for node, name_ in enumerate(network.names):
            assert info["costs"][name_] == float(record.costs[node][0])
            assert np.array_equal(info["nodes"][name_]["stock"], sim.nodes[node].stock[0])
            rows = obs[:-1].reshape(len(network.nodes), network.n_products, -1)[node]
            unit = env.view.unit
            assert np.allclose(rows[:, NODE_FEATURES.index("stock")] * unit, sim.nodes[node].stock[0])
            assert np.allclose(rows[:, NODE_FEATURES.index("on_order")] * unit, sim.nodes[node].on_order[0])
        for lane_index, lane in enumerate(network.supply_lanes):
            assert np.array_equal(info["lanes"][lane.label]["shipped"], record.shipped[lane_index][0])
    with pytest.raises(RuntimeError):
        env.step(env.action_space.sample())


@pytest.mark.parametrize("name", SHIPPED)
def test_two_central_envs_with_the_same_seed_play_the_same_episode(name):
    first, second = (gym.make(NETWORK_ENV_ID, scenario=name, overrides=["episode_days=15"]) for _ in range(2))
    one, _ = first.reset(seed=11)
    two, _ = second.reset(seed=11)
    assert np.array_equal(one, two)
    first.action_space.seed(3)
    for _ in range(15):
        action = first.action_space.sample()
        for mine, theirs in zip(first.step(action)[:4], second.step(action)[:4], strict=True):
            assert np.array_equal(mine, theirs)
    other, _ = second.reset(seed=12)
    assert name == "beer-game-classic" or not np.array_equal(one, other)  # its demand is known: no draws


@pytest.mark.parametrize("share", SHARES)
@pytest.mark.parametrize("name", SHIPPED)
def test_the_parallel_env_passes_pettingzoos_tests(name, share):
    parallel_api_test(parallel_env(scenario=name, share=share, overrides=["episode_days=12"]), num_cycles=20)
    parallel_seed_test(lambda: parallel_env(scenario=name, share=share, overrides=["episode_days=12"]))


@pytest.mark.parametrize("share", SHARES)
@pytest.mark.parametrize("name", SHIPPED)
def test_every_agent_has_the_same_spaces(name, share):
    """Alike nodes (and here every node) get identical spaces, one object per agent, so one policy can play
    them all; the observation starts with the node's own rows, then a one-hot of the node."""
    env = NetworkParallelEnv(scenario=name, share=share)
    first = env.possible_agents[0]
    for agent in env.possible_agents:
        assert env.observation_space(agent) == env.observation_space(first)
        assert env.action_space(agent) == env.action_space(first)
    assert len({id(env.action_space(agent)) for agent in env.possible_agents}) == len(env.possible_agents)
    observations, _ = env.reset(seed=0)
    size = env.view.node_size
    for position, agent in enumerate(env.possible_agents):
        assert env.observation_space(agent).contains(observations[agent])
        one_hot = observations[agent][size : size + len(env.possible_agents)]
        assert one_hot.tolist() == [float(i == position) for i in range(len(env.possible_agents))]


def joint_action(env: NetworkParallelEnv, actions: dict[str, np.ndarray]) -> np.ndarray:
    """The central planner's action of the agents' actions: each node's own order (the first ``action_size``
    components), in node order, then each transfer lane's shares from its sender's next components."""
    network, n = env.network, env.network.n_products
    own = [actions[node.name][: node.config.action_size] for node in network.nodes]
    sent = {node.name: 0 for node in network.nodes}
    transfers = []
    for lane in network.transfer_lanes:
        start = network.nodes[network.index[lane.source]].config.action_size + sent[lane.source] * n
        transfers.append(actions[lane.source][start : start + n])
        sent[lane.source] += 1
    return np.concatenate([*own, *transfers]).astype(np.float32)


@pytest.mark.parametrize("name", SHIPPED)
def test_the_parallel_env_plays_what_the_central_env_plays(name):
    """With the same seed, the agents' actions together are the central planner's action: the same days,
    the shared reward is the network's, the local rewards add up to it, and each agent's own rows are the
    central observation's rows of its node."""
    overrides = ["episode_days=10"]
    parallel = NetworkParallelEnv(scenario=name, overrides=overrides, reward="local")
    shared = NetworkParallelEnv(scenario=name, overrides=overrides, reward="shared")
    central = InventoryNetworkEnv(scenario=name, overrides=overrides)
    observations, _ = parallel.reset(seed=4)
    shared.reset(seed=4)
    obs, _ = central.reset(seed=4)
    rng = np.random.default_rng(1)
    size = parallel.view.node_size
    for day in range(1, 11):
        for position, agent in enumerate(parallel.possible_agents):
            assert np.array_equal(observations[agent][:size], obs[position * size : (position + 1) * size])
        actions = {
            agent: rng.random(parallel.action_space(agent).shape).astype(np.float32) for agent in parallel.agents
        }
        observations, rewards, terminations, truncations, infos = parallel.step(actions)
        _, shared_rewards, *_ = shared.step(actions)
        obs, reward, _, truncated, info = central.step(joint_action(parallel, actions))
        assert np.isclose(sum(rewards.values()), reward, rtol=1e-12)
        assert set(shared_rewards.values()) == {reward}
        assert all(truncations[agent] == truncated == (day == 10) for agent in truncations)
        assert not any(terminations.values())
        for agent in parallel.possible_agents:
            assert infos[agent]["network_cost"] == info["cost"]
            assert np.array_equal(infos[agent]["stock"], info["nodes"][agent]["stock"])
    assert parallel.agents == []


def test_the_downstream_share_adds_the_customers_demand_below_each_node():
    env = NetworkParallelEnv(scenario="distribution", share="downstream")
    observations, _ = env.reset(seed=2)
    for _ in range(3):
        observations, *_ = env.step({agent: env.action_space(agent).sample() for agent in env.agents})
    columns = [NODE_FEATURES.index("yesterday_demand"), NODE_FEATURES.index("avg7_demand")]
    own = {agent: observations[agent][: env.view.node_size].reshape(1, -1)[:, columns] for agent in env.agents}
    stores = [agent for agent in env.agents if agent != "dc"]
    assert np.allclose(observations["dc"][-2:], sum(own[store] for store in stores).ravel())
    for store in stores:
        assert np.allclose(observations[store][-2:], own[store].ravel())


def policy_after_training(seed: int) -> np.ndarray:
    """One SB3 PPO policy shared by the beer game's four nodes (two copies of the game), trained for 256 steps
    from ``seed``: its parameters. ``PPO(..., seed=)`` cannot seed SuperSuit's VecEnv (it has no ``seed``), so
    torch and numpy are seeded with SB3's ``set_random_seed`` and the copies by resetting them once with the
    seed; SB3's own ``reset()`` then continues their generators."""
    import supersuit as ss
    from stable_baselines3 import PPO
    from stable_baselines3.common.utils import set_random_seed

    venv = ss.pettingzoo_env_to_vec_env_v1(parallel_env(scenario="beer-game", reward="shared"))
    venv = ss.concat_vec_envs_v1(venv, 2, num_cpus=0, base_class="stable_baselines3")
    assert venv.num_envs == 8  # 2 copies x 4 nodes, all played by one policy
    set_random_seed(seed)
    venv.venv.reset(seed=seed)
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=64, n_epochs=2, device="cpu")
    model.learn(256)
    assert model.num_timesteps == 256
    venv.close()
    return torch.nn.utils.parameters_to_vector(model.policy.parameters()).detach().numpy().copy()


def test_supersuit_trains_one_shared_policy_reproducibly():
    first, again, other = policy_after_training(0), policy_after_training(0), policy_after_training(1)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


DECIDED = ["nodes.dc.rationing=decided", "episode_days=8"]


def test_rationing_as_decided_adds_the_claims_to_the_central_action_and_both_checkers_pass():
    """distribution with the DC rationing as decided: the planner's action ends with a claim per store; the
    checkers pass; with the DC short, a claim of 1 for store_1 alone ships it all it asks before the others."""
    plain = InventoryNetworkEnv(scenario="distribution", overrides=["episode_days=8"])
    env = InventoryNetworkEnv(scenario="distribution", overrides=DECIDED)
    assert env.action_space.shape[0] == plain.action_space.shape[0] + 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gymnasium_check_env(env, skip_render_check=True)
        sb3_check_env(InventoryNetworkEnv(scenario="distribution", overrides=DECIDED))
    shipped = {}
    for claims in (None, np.array([[0], [1], [0], [0], [0]])):
        env.reset(seed=0)
        env.sim.nodes[0].stock[:] = 5
        _, _, _, _, info = env.step_units(np.array([[0], [4], [4], [4], [4]]), claims=claims)
        shipped[claims is None] = [int(info["lanes"][f"dc->store_{k}"]["shipped"].sum()) for k in range(1, 5)]
    assert shipped[True] == [2, 1, 1, 1]  # proportional: 5 x 4 / 16 = 1.25 each, the unit left to store_1
    assert shipped[False] == [4, 1, 0, 0]  # store_1's 4 first, the one left by what is still asked


def test_the_parent_s_agent_decides_the_claims_in_the_parallel_env():
    """With the DC rationing as decided, the DC's agent's action carries a claim per store (after its own order):
    PettingZoo's tests pass, and the claims it gives split its short stock."""
    parallel_api_test(parallel_env(scenario="distribution", overrides=DECIDED), num_cycles=10)
    env = NetworkParallelEnv(scenario="distribution", overrides=DECIDED)
    own = env.network.nodes[0].config.action_size
    assert env.action_space("dc").shape == (own + 4,)
    env.reset(seed=0)
    env.sim.nodes[0].stock[:] = 5
    actions = {agent: np.zeros(env.action_space(agent).shape, np.float32) for agent in env.agents}
    for store in ("store_1", "store_2", "store_3", "store_4"):  # each orders 4 of its gap: split 1, share
        gap = int(env.sim.nodes[env.network.index[store]].gap[0])
        actions[store][:2] = (1.0, 4 / gap)
    actions["dc"][own : own + 4] = (0.0, 0.0, 0.0, 1.0)  # store_4 claims alone
    _, _, _, _, infos = env.step(actions)
    # store_4's 4 first; the unit left by what is still asked (4, 4, 4): to the lower index on a tie. Lead time
    # 1: on the stores' shelves before the next day's demand, within the step
    assert [int(infos[f"store_{k}"]["received"].sum()) for k in range(1, 5)] == [1, 0, 0, 4]
