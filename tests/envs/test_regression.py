"""The default scenario is the original warehouse, bit for bit.

``tests/data/default_episodes.npz`` holds full episodes (seeds 0-4; fixed fractions through
``step`` and fixed whole-unit orders, some far beyond the gap, through ``step_units``)
recorded with the env as it was before scenarios existed (see
``tests/data/record_default_episodes.py``). Every observation, reward, ``info`` key and value
must come out exactly the same today.
"""

import importlib.util

import numpy as np
import pytest

from inventory_rl.envs.single import InventoryEnv
from tests import ROOT

DATA = ROOT / "tests" / "data"
RECORDED = np.load(DATA / "default_episodes.npz")
_spec = importlib.util.spec_from_file_location("record_default_episodes", DATA / "record_default_episodes.py")
recording = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recording)  # the same fixed actions the recording played
spec = importlib.util.spec_from_file_location("record_default_episodes", DATA / "record_default_episodes.py")


@pytest.mark.parametrize("mode", ["step", "units"])
@pytest.mark.parametrize("seed", range(5))
def test_default_episodes_are_exactly_the_recorded_ones(seed, mode):
    fractions, units = recording.fixed_actions(seed)
    prefix = f"s{seed}_{mode}_"
    env = InventoryEnv()
    obs, info = env.reset(seed=seed)
    assert set(info) == {"day", "stock", "demand_rates"} and info["day"] == 0
    np.testing.assert_array_equal(obs, RECORDED[prefix + "reset_obs"], strict=True)
    np.testing.assert_array_equal(info["stock"], RECORDED[prefix + "reset_stock"], strict=True)
    np.testing.assert_array_equal(info["demand_rates"], RECORDED[prefix + "reset_rates"], strict=True)
    act = env.step if mode == "step" else env.step_units
    for day in range(30):
        obs, reward, terminated, truncated, info = act((fractions if mode == "step" else units)[day])
        assert ",".join(info) == RECORDED[prefix + "keys"][day]
        assert type(reward) is float and reward == RECORDED[prefix + "reward"][day]
        assert (terminated, truncated) == (RECORDED[prefix + "terminated"][day], RECORDED[prefix + "truncated"][day])
        np.testing.assert_array_equal(obs, RECORDED[prefix + "obs"][day], strict=True)
        for key, value in info.items():
            if key == "reward_components":
                for name, points in value.items():
                    assert points == RECORDED[prefix + "component_" + name][day], (day, name)
            else:
                recorded = RECORDED[prefix + "info_" + key][day]
                np.testing.assert_array_equal(value, recorded, err_msg=f"day {day + 1} info[{key!r}]")
                assert np.asarray(value).dtype == recorded.dtype, key
