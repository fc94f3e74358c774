"""Steps per second of InventoryManagement-v0 against CartPole-v1, in one process.

Both envs come from ``gymnasium.make`` (with its default wrappers), play pre-drawn
random actions (sampled from each action space, seeded) and reset when an episode
ends, so resets are part of the cost. Rounds alternate between the two envs, so a
machine that gets busier or quieter affects both alike; the ratio reported is the
median of the per-round ratios. Target: ratio >= 0.25.

    .venv/bin/python bench/bench_env.py [--steps 20000] [--rounds 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import gymnasium as gym

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root, for env.py

from env import ENV_ID  # importing env registers InventoryManagement-v0

REFERENCE_ID = "CartPole-v1"
TARGET_RATIO = 0.25


def steps_per_second(env: gym.Env, actions: list, seed: int) -> float:
    """Play ``actions`` in turn, resetting at each episode end; return steps per second."""
    step, reset = env.step, env.reset
    start = time.perf_counter()
    reset(seed=seed)
    for action in actions:
        _, _, terminated, truncated, _ = step(action)
        if terminated or truncated:
            reset()
    return len(actions) / (time.perf_counter() - start)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps per env per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the envs and their actions (default 0)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    envs = {ENV_ID: gym.make(ENV_ID), REFERENCE_ID: gym.make(REFERENCE_ID)}
    actions = {}
    for env_id, env in envs.items():
        env.action_space.seed(args.seed)
        actions[env_id] = [env.action_space.sample() for _ in range(args.steps)]

    print(f"{'round':>5} {ENV_ID + ' steps/s':>32} {REFERENCE_ID + ' steps/s':>22} {'ratio':>7}")
    rates: dict[str, list[float]] = {env_id: [] for env_id in envs}
    ratios = []
    for round_number in range(1, args.rounds + 1):
        for env_id, env in envs.items():
            rates[env_id].append(steps_per_second(env, actions[env_id], args.seed))
        ratios.append(rates[ENV_ID][-1] / rates[REFERENCE_ID][-1])
        print(f"{round_number:>5} {rates[ENV_ID][-1]:>32,.0f} {rates[REFERENCE_ID][-1]:>22,.0f} {ratios[-1]:>7.3f}")

    ratio = statistics.median(ratios)
    print(
        f"{'median':>5} {statistics.median(rates[ENV_ID]):>32,.0f} {statistics.median(rates[REFERENCE_ID]):>22,.0f} "
        f"{ratio:>7.3f}"
    )
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"ratio {ratio:.3f} {verdict} the target >= {TARGET_RATIO} ({args.steps} steps x {args.rounds} rounds)")
    for env in envs.values():
        env.close()


if __name__ == "__main__":
    main()
