"""Records full episodes of the default scenario (seeds 0-4, fixed actions through ``step`` and
``step_units``) into ``default_episodes.npz``, which ``tests/test_regression.py`` compares
against, value for value.

The file was recorded with the env as it was before the scenario engine (commit 56746dd):

    git worktree add /tmp/original 56746dd
    python tests/data/record_default_episodes.py /tmp/original tests/data/default_episodes.npz
"""

import sys

import numpy as np


def fixed_actions(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The fractions (for ``step``) and whole units (for ``step_units``) played on ``seed``."""
    rng = np.random.default_rng(1000 + seed)
    fractions = rng.random((30, 10))
    fractions[::7] = 0.0  # all-zero actions: an even split
    fractions[3::7, ::3] = 1.7  # out of range: clipped
    units = rng.integers(0, 25, (30, 10))
    units[5] = 60  # far beyond the gap: refused at the door
    return fractions, units


def record(original_root: str, path: str) -> None:
    """Play every recorded episode with the env found in ``original_root`` and save them."""
    sys.path.insert(0, original_root)
    from inventory_rl.envs.single import InventoryEnv

    arrays = {}
    for seed in range(5):
        fractions, units = fixed_actions(seed)
        for mode, actions in (("step", fractions), ("units", units)):
            env = InventoryEnv()
            obs, info = env.reset(seed=seed)
            prefix = f"s{seed}_{mode}_"
            arrays[prefix + "reset_obs"] = obs
            arrays[prefix + "reset_stock"] = info["stock"]
            arrays[prefix + "reset_rates"] = info["demand_rates"]
            assert set(info) == {"day", "stock", "demand_rates"}
            rows = {}
            for day in range(30):
                act = env.step if mode == "step" else env.step_units
                obs, reward, terminated, truncated, info = act(actions[day])
                rows.setdefault("obs", []).append(obs)
                rows.setdefault("reward", []).append(reward)
                rows.setdefault("terminated", []).append(terminated)
                rows.setdefault("truncated", []).append(truncated)
                for key, value in info.items():
                    if key == "reward_components":
                        for name, points in value.items():
                            rows.setdefault("component_" + name, []).append(points)
                    else:
                        rows.setdefault("info_" + key, []).append(value)
                rows.setdefault("keys", []).append(",".join(info))
            for key, values in rows.items():
                arrays[prefix + key] = np.array(values)
    np.savez_compressed(path, **arrays)
    print(len(arrays), "arrays")


if __name__ == "__main__":
    record(sys.argv[1], sys.argv[2])
