"""``InventoryVectorEnv`` (issue 21) against ``SyncVectorEnv`` of ``InventoryEnv``s with the same
autoreset mode (same-step), step for step through two episode ends: same seeds, same random
actions, identical observations, rewards, terminations, truncations and infos (all of them
with ``full_info=True``, the keys the light info has otherwise). Gymnasium 1.4 has no checker
for vector envs (``utils.env_checker`` checks single envs), so the contract is tested here.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import batch_space
from gymnasium.wrappers.vector import RecordEpisodeStatistics

from inventory_rl.envs import ENV_ID
from inventory_rl.envs.single import InventoryEnv
from inventory_rl.envs.vector import InventoryVectorEnv

N_ENVS = 3
SHORT = ("episode_days=5",)
SCENARIOS = [
    ("default", ()),
    ("lead-time", SHORT),
    ("costs", SHORT),
    ("lost-sales", SHORT),
    ("disrupted", SHORT),
    ("seasonal", SHORT),
    ("sample-data", SHORT),
]


def make_pair(
    scenario: str = "default", overrides: Sequence[str] = (), n_envs: int = N_ENVS, full_info: bool = False
) -> tuple[InventoryVectorEnv, SyncVectorEnv]:
    """The vector env from ``make_vec`` and the reference: ``SyncVectorEnv`` of single envs, same-step autoreset."""
    vec = gym.make_vec(
        ENV_ID,
        num_envs=n_envs,
        vectorization_mode="vector_entry_point",
        scenario=scenario,
        overrides=list(overrides),
        full_info=full_info,
    )
    sync = SyncVectorEnv(
        [lambda: InventoryEnv(scenario=scenario, overrides=overrides)] * n_envs,
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    return vec, sync


def assert_same(got: Any, want: Any, path: str = "infos", subset: bool = False) -> None:
    """``got`` equals ``want`` exactly (arrays: dtype and values; dicts and tuples: recursively). With
    ``subset`` a dict of ``got`` may lack keys of ``want`` (the light info)."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), path
        for index, (left, right) in enumerate(zip(got, want, strict=True)):
            assert_same(left, right, f"{path}[{index}]", subset)
    elif isinstance(want, dict):
        assert isinstance(got, dict), path
        if subset:
            assert got.keys() <= want.keys(), f"{path}: {got.keys() - want.keys()} not in the reference"
        else:
            assert got.keys() == want.keys(), f"{path}: {got.keys() ^ want.keys()}"
        for key in got:
            assert_same(got[key], want[key], f"{path}[{key!r}]", subset)
    elif isinstance(want, np.ndarray) and want.dtype == object:
        assert isinstance(got, np.ndarray) and got.dtype == object and got.shape == want.shape, path
        for index, (left, right) in enumerate(zip(got, want, strict=True)):
            assert_same(left, right, f"{path}[{index}]", subset)
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype, f"{path}: {got!r} vs {want!r}"
        assert np.array_equal(got, want), f"{path}: {got} vs {want}"
    else:
        assert type(got) is type(want) and got == want, f"{path}: {got!r} vs {want!r}"


def assert_same_step(got: tuple, want: tuple, subset: bool) -> None:
    """Two steps' (obs, rewards, terminated, truncated, infos) are identical."""
    for name, left, right in zip(("obs", "rewards", "terminated", "truncated"), got[:4], want[:4], strict=True):
        assert left.dtype == right.dtype and np.array_equal(left, right), f"{name}: {left} vs {right}"
    assert_same(got[4], want[4], subset=subset)


def play(vec: gym.vector.VectorEnv, sync: SyncVectorEnv, steps: int, seed: int, subset: bool) -> int:
    """Step both with the same random actions, checking every step; return the number of episode ends."""
    vec.action_space.seed(seed)
    ends = 0
    for _ in range(steps):
        actions = vec.action_space.sample()
        got, want = vec.step(actions), sync.step(actions)
        assert_same_step(got, want, subset)
        ends += int(got[3].all())
        assert got[3].all() or not got[3].any()  # the warehouses end together
    return ends


@pytest.mark.parametrize("full_info", [False, True], ids=["light-info", "full-info"])
@pytest.mark.parametrize(("scenario", "overrides"), SCENARIOS, ids=[name for name, _ in SCENARIOS])
def test_plays_as_sync_vector_env_of_single_envs_through_two_episode_ends(scenario, overrides, full_info):
    vec, sync = make_pair(scenario, overrides, full_info=full_info)
    assert type(vec) is InventoryVectorEnv
    (obs, infos), (want_obs, want_infos) = vec.reset(seed=42), sync.reset(seed=42)
    assert_same(obs, want_obs, "obs")
    assert_same(infos, want_infos, subset=not full_info)
    days = vec.config.episode_days
    assert play(vec, sync, 2 * days + 2, seed=7, subset=not full_info) == 2
    vec.close()
    sync.close()


@pytest.mark.parametrize(("scenario", "overrides"), [("default", ()), ("lead-time", SHORT)])
def test_a_batch_of_one_plays_as_one_single_env(scenario, overrides):
    vec, sync = make_pair(scenario, overrides, n_envs=1, full_info=True)
    assert_same(vec.reset(seed=3), sync.reset(seed=3))
    assert play(vec, sync, 2 * vec.config.episode_days + 1, seed=3, subset=False) == 2


def test_the_light_info_holds_the_documented_keys():
    vec, _ = make_pair(*SCENARIOS[1])
    _, infos = vec.reset(seed=0)
    assert set(infos) == {"day", "_day", "stock", "_stock"}
    _, _, _, _, infos = vec.step(vec.action_space.sample())
    keys = {"day", "demand", "sales", "lost_sales", "stock", "orders", "ordered", "gap"}
    assert set(infos) == keys | {f"_{key}" for key in keys}
    assert all(infos[f"_{key}"].all() for key in keys)


def test_reset_with_a_list_of_seeds_and_none_keeps_that_generator():
    vec, sync = make_pair("lead-time", SHORT, full_info=True)
    vec.reset(seed=1)
    sync.reset(seed=1)
    play(vec, sync, 3, seed=1, subset=False)
    seeds = [5, None, 11]
    assert_same(vec.reset(seed=seeds), sync.reset(seed=seeds))
    assert play(vec, sync, 11, seed=2, subset=False) == 2


def test_an_unseeded_reset_continues_every_generator():
    vec, sync = make_pair("costs", SHORT, full_info=True)
    first, _ = vec.reset(seed=3)
    sync.reset(seed=3)
    play(vec, sync, 2, seed=4, subset=False)
    got, want = vec.reset(), sync.reset()
    assert_same(got, want)
    assert not np.array_equal(got[0], first)  # a new episode, not the seeded one again
    assert play(vec, sync, 11, seed=5, subset=False) == 2


def test_a_first_unseeded_reset_can_be_replayed_from_its_seeds():
    vec, sync = make_pair()
    obs, _ = vec.reset()
    seeds = vec.np_random_seed
    assert len(set(seeds)) == N_ENVS
    assert np.array_equal(sync.reset(seed=list(seeds))[0], obs)
    assert [rng.bit_generator.state for rng in vec.np_random] == [rng.bit_generator.state for rng in sync.np_random]


def test_make_vec_builds_it_without_warnings_with_the_batched_spaces():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vec, sync = make_pair("lead-time", SHORT)
        default = gym.make_vec(ENV_ID, num_envs=2)  # the vector entry point is make_vec's default
    assert type(default) is InventoryVectorEnv
    assert vec.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP
    assert vec.num_envs == N_ENVS
    assert vec.single_observation_space == sync.single_observation_space
    assert vec.single_action_space == sync.single_action_space
    assert vec.observation_space == batch_space(vec.single_observation_space, N_ENVS) == sync.observation_space
    assert vec.action_space == batch_space(vec.single_action_space, N_ENVS) == sync.action_space
    obs, _ = vec.reset(seed=0)
    assert vec.observation_space.contains(obs)
    vec.close()
    assert vec.closed


def test_returned_data_is_not_reused_by_later_steps():
    vec, _ = make_pair("lead-time", SHORT)
    vec.action_space.seed(0)
    returned = [vec.reset(seed=0)]
    kept = [copy.deepcopy(returned[0])]
    for _ in range(6):  # through an episode end
        step = vec.step(vec.action_space.sample())
        kept.append(copy.deepcopy(step))
        returned.append(step)
    for old, new in zip(kept, returned, strict=True):
        assert_same(new, old)


def test_record_episode_statistics_counts_every_day_of_an_episode():
    vec = RecordEpisodeStatistics(gym.make_vec(ENV_ID, num_envs=2, scenario="costs", overrides=list(SHORT)))
    vec.reset(seed=0)
    vec.action_space.seed(0)
    returns = np.zeros(2)
    for _ in range(5):
        _, rewards, _, truncated, infos = vec.step(vec.action_space.sample())
        returns += rewards
    assert truncated.all() and np.array_equal(infos["episode"]["l"], [5, 5])
    assert np.allclose(infos["episode"]["r"], returns)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda vec: vec.reset(seed=[1, 2]), ValueError, "one per sub-env"),
        (lambda vec: vec.reset(options={"reset_mask": np.array([True, False, True])}), ValueError, "reset_mask"),
        (lambda vec: vec.step(vec.action_space.sample()), RuntimeError, "reset"),
        (lambda vec: vec.reset(seed=0) and vec.step(np.ones((N_ENVS, 3))), ValueError, "shape"),
        (lambda vec: vec.reset(seed=0) and vec.step(np.full((N_ENVS, 10), np.nan)), ValueError, "finite"),
    ],
    ids=["seed-list-length", "partial-reset", "step-before-reset", "action-shape", "nan-action"],
)
def test_errors(call: Callable, error: type[Exception], message: str):
    vec, _ = make_pair()
    with pytest.raises(error, match=message):
        call(vec)


def test_it_refuses_a_render_mode_and_a_config_with_a_scenario():
    with pytest.raises(ValueError, match="render_mode"):
        InventoryVectorEnv(2, render_mode="human")
    with pytest.raises(ValueError, match="not both"):
        InventoryVectorEnv(2, config=InventoryEnv().config, scenario="costs")
    with pytest.raises(ValueError, match="at least one"):
        InventoryVectorEnv(0)
