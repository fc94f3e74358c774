"""Steps per second of InventoryManagement-v0 (every shipped scenario) against CartPole-v1, in
one process, and of the batched simulation (``sim.Warehouses``) that training steps.

Single envs come from ``gymnasium.make`` (with its default wrappers), play pre-drawn random
actions (sampled from each action space, seeded) and reset when an episode ends, so resets
are part of the cost. Rounds alternate between CartPole and the scenarios, so a machine
that gets busier or quieter affects all alike; a ratio is the median of the per-round
ratios. Batched rows count warehouse-days per second: a batch of B warehouses stepped with
random actions and observed after every day, resets included, as ``AgentVecEnv`` does; the
"demand draws only" rows time the resets' demand draws alone, a ceiling on the rate with resets.
Targets: the default scenario's single env >= 0.25 x CartPole; a batch of 256 >= 10 x CartPole.

    .venv/bin/python bench/bench_env.py [--steps 20000] [--rounds 5] [--seed 0] [--batches 8,256]
"""

from __future__ import annotations

import argparse
import statistics
import time

import gymnasium as gym
import numpy as np

from inventory_rl.envs import ENV_ID
from inventory_rl.world.config import list_scenarios
from inventory_rl.world.demand import draw_demands
from inventory_rl.world.warehouses import Warehouses

REFERENCE_ID = "CartPole-v1"
SINGLE_TARGET = 0.25
BATCH_TARGET = 10.0


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


def batched_days_per_second(warehouses: Warehouses, actions: np.ndarray, seed: int) -> tuple[float, float]:
    """Step a batch through ``actions`` (one ``(batch, size)`` array a day), observing each day and
    resetting every warehouse at each episode end; return warehouse-days per second with the
    resets, and without them (the days alone)."""
    generators = [np.random.default_rng(seed + index) for index in range(warehouses.batch)]
    episode_days = warehouses.config.episode_days
    start = time.perf_counter()
    warehouses.reset(generators)
    resetting = time.perf_counter() - start
    for day_actions in actions:
        warehouses.step_fractions(day_actions)
        warehouses.observe()
        if warehouses.day >= episode_days:
            reset_start = time.perf_counter()
            warehouses.reset(generators)
            resetting += time.perf_counter() - reset_start
    elapsed = time.perf_counter() - start
    days = len(actions) * warehouses.batch
    return days / elapsed, days / (elapsed - resetting)


def demand_draw_days_per_second(warehouses: Warehouses, seed: int, episodes: int = 5) -> float:
    """Warehouse-days per second that drawing the episodes' demand alone allows (``draw_demands``, as
    every reset does, one generator per warehouse): a ceiling on any batched rate with resets."""
    generators = [np.random.default_rng(seed + index) for index in range(warehouses.batch)]
    start = time.perf_counter()
    for _ in range(episodes):
        draw_demands(warehouses.config, generators)
    return episodes * warehouses.batch * warehouses.config.episode_days / (time.perf_counter() - start)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps per env per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the envs and their actions (default 0)")
    parser.add_argument("--batches", default="8,256", help="batch sizes of the batched rows (default 8,256)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    try:
        args.batches = [int(size) for size in args.batches.split(",")]
    except ValueError:
        parser.error(f"--batches must be comma-separated whole numbers, got {args.batches!r}")
    if min(args.batches) < 1:
        parser.error("--batches must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    scenarios = {scenario.name: scenario.config for scenario in list_scenarios()}
    envs = {REFERENCE_ID: gym.make(REFERENCE_ID)}
    envs.update({name: gym.make(ENV_ID, config=config) for name, config in scenarios.items()})
    actions = {}
    for name, env in envs.items():
        env.action_space.seed(args.seed)
        actions[name] = [env.action_space.sample() for _ in range(args.steps)]
    rng = np.random.default_rng(args.seed)
    batches = {f"default x{size}": Warehouses(scenarios["default"], size) for size in args.batches}
    days_only = [f"{name}, days only" for name in batches]
    draws_only = [f"{name}, demand draws only" for name in batches]
    batch_actions = {
        name: rng.random((max(args.steps // warehouses.batch, 150), warehouses.batch, warehouses.config.action_size))
        for name, warehouses in batches.items()
    }

    rates: dict[str, list[float]] = {name: [] for name in [*envs, *batches, *days_only, *draws_only]}
    ratios: dict[str, list[float]] = {name: [] for name in rates if name != REFERENCE_ID}
    for _ in range(args.rounds):
        for name, env in envs.items():
            rates[name].append(steps_per_second(env, actions[name], args.seed))
        for name, warehouses in batches.items():
            with_resets, without = batched_days_per_second(warehouses, batch_actions[name], args.seed)
            rates[name].append(with_resets)
            rates[f"{name}, days only"].append(without)
            rates[f"{name}, demand draws only"].append(demand_draw_days_per_second(warehouses, args.seed))
        for name in ratios:
            ratios[name].append(rates[name][-1] / rates[REFERENCE_ID][-1])

    print(f"{'env':<30} {'steps/s':>12} {'x CartPole':>11}   ({args.rounds} rounds of {args.steps:,} steps, medians)")
    print(f"{REFERENCE_ID:<30} {statistics.median(rates[REFERENCE_ID]):>12,.0f} {1:>11.3f}")
    for name in ratios:
        label = name if name in batches or name in days_only or name in draws_only else f"{name} (single env)"
        print(f"{label:<30} {statistics.median(rates[name]):>12,.0f} {statistics.median(ratios[name]):>11.3f}")
    largest = f"default x{max(args.batches)}"
    for label, ratio, target in (
        ("default single env", statistics.median(ratios["default"]), SINGLE_TARGET),
        (largest, statistics.median(ratios[largest]), BATCH_TARGET),
        (f"{largest}, days only", statistics.median(ratios[f"{largest}, days only"]), BATCH_TARGET),
        (f"{largest}, demand draws only", statistics.median(ratios[f"{largest}, demand draws only"]), BATCH_TARGET),
    ):
        print(f"{label}: {ratio:.3f} x CartPole, target >= {target}: {'met' if ratio >= target else 'MISSED'}")
    for env in envs.values():
        env.close()


if __name__ == "__main__":
    main()
