"""NetworkVectorEnv (InventoryNetwork-v0's vector entry point) plays the episodes of single
InventoryNetworkEnvs, step for step through resets, as SyncVectorEnv of them does."""

import gymnasium as gym
import numpy as np
import pytest

import inventory_rl  # noqa: F401  (registers the ids)
from inventory_rl.envs.network import InventoryNetworkEnv
from inventory_rl.envs.vector import NetworkVectorEnv

SAME_STEP = gym.vector.AutoresetMode.SAME_STEP


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [("beer-game", ["episode_days=6"]), ("transshipment", ["episode_days=5"]), ("distribution", ["episode_days=4"])],
)
def test_the_vector_env_plays_what_single_envs_play(scenario, overrides):
    vector = gym.make_vec(
        "InventoryNetwork-v0",
        num_envs=3,
        vectorization_mode="vector_entry_point",
        scenario=scenario,
        overrides=overrides,
    )
    assert isinstance(vector.unwrapped, NetworkVectorEnv)
    sync = gym.vector.SyncVectorEnv(
        [lambda: InventoryNetworkEnv(scenario=scenario, overrides=overrides)] * 3, autoreset_mode=SAME_STEP
    )
    assert vector.single_observation_space == sync.single_observation_space
    assert vector.single_action_space == sync.single_action_space
    first, _ = vector.reset(seed=7)
    assert np.array_equal(first, sync.reset(seed=7)[0])
    rng = np.random.default_rng(0)
    ends = 0
    for _ in range(2 * vector.unwrapped.episode_days + 1):
        actions = rng.random(vector.action_space.shape).astype(np.float32)
        ours, theirs = vector.step(actions), sync.step(actions)
        for mine, sync_value in zip(ours[:4], theirs[:4], strict=True):
            assert np.array_equal(mine, sync_value)
        ends += bool(ours[3].all())
        if ours[3].all():
            assert np.array_equal(ours[4]["final_obs"][0], theirs[4]["final_obs"][0])
    assert ends == 2


def test_full_info_is_the_single_envs_info():
    vector = NetworkVectorEnv(2, scenario="serial", overrides=["episode_days=3"], full_info=True)
    single = InventoryNetworkEnv(scenario="serial", overrides=["episode_days=3"])
    vector.reset(seed=[3, 4])
    single.reset(seed=4)
    action = np.full(single.action_space.shape, 0.3, np.float32)
    _, _, _, _, infos = vector.step(np.stack([action, action]))
    _, _, _, _, info = single.step(action)
    assert infos["cost"][1] == info["cost"]
    assert np.array_equal(infos["nodes"]["retailer"]["stock"][1], info["nodes"]["retailer"]["stock"])
