"""Steps per second of InventoryManagement-v0 (every shipped scenario) against CartPole-v1, in
one process, and of the batched simulation (``sim.Warehouses``) that training steps.

Single envs come from ``gymnasium.make`` (with its default wrappers), play pre-drawn random
actions (sampled from each action space, seeded) and reset when an episode ends, so resets
are part of the cost. Rounds alternate between CartPole and the scenarios, so a machine
that gets busier or quieter affects all alike; a ratio is the median of the per-round
ratios. Batched rows count warehouse-days per second: a batch of B warehouses stepped with
random actions and observed after every day, resets included, as ``AgentVecEnv`` does; the
"demand draws only" rows time the resets' demand draws alone, a ceiling on the rate with resets.
Vector rows count env-steps per second of the default scenario's ``InventoryVectorEnv`` (from
``make_vec``, light info) beside ``SyncVectorEnv`` of single envs (``make_vec(..., "sync")``), both
same-step autoreset (so every step is a day, resets included) and pre-drawn seeded actions;
``SyncVectorEnv``, the slow reference, plays a quarter of the env-steps.
Target: a batch of 256 >= 10 x CartPole (the single env's earlier 0.25 x is withdrawn: clients that want
speed use the vector env; the single env must only not get slower).
Network rows, printed last, count node-days per second (a day of a network of N nodes is N node-days) of
every shipped network: the single env (``InventoryNetwork-v0`` from ``gymnasium.make``, pre-drawn seeded
random actions, resets included) and a batch (``world.networks.Networks`` of ``--network-batch`` networks
stepped with random actions and observed as the central planner sees them after every day, resets included).

``--before DIR`` adds a row: the default single env of an older checkout in ``DIR`` (the code before the
package, whose ``env.py`` is top-level: ``mkdir -p /tmp/old && git archive a94cd1b | tar -x -C /tmp/old``),
wrapped as ``gymnasium.make`` wraps an env and timed in the same rounds, and prints this code's default single
env over it (the median of the per-round ratios): the two compared in one process, where the ratio to
CartPole moves with CartPole's own rate from process to process.

    .venv/bin/python bench/bench_env.py [--steps 20000] [--rounds 5] [--seed 0] [--batches 8,256]
        [--vector-sizes 1,16,256] [--network-steps 2000] [--network-batch 256] [--before DIR]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers import PassiveEnvChecker

from inventory_rl.envs import ENV_ID, NETWORK_ENV_ID
from inventory_rl.envs.network import NetworkView, action_size
from inventory_rl.world.config import list_scenarios
from inventory_rl.world.demand import draw_demands
from inventory_rl.world.network import list_networks
from inventory_rl.world.networks import Networks
from inventory_rl.world.warehouses import Warehouses

REFERENCE_ID = "CartPole-v1"
BATCH_TARGET = 10.0
BEFORE = "default, before"  # the row of --before's older checkout


def env_before(folder: Path) -> gym.Env:
    """The default single env of the older checkout in ``folder`` (its top-level ``env.py``), wrapped as
    ``gymnasium.make`` wraps an env (its own registration leaves the installed package's id alone)."""
    sys.path.insert(0, str(folder))
    return PassiveEnvChecker(importlib.import_module("env").InventoryEnv())


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


def vector_steps_per_second(env: gym.vector.VectorEnv, actions: list, seed: int) -> float:
    """Play ``actions`` (one batch a step) on a vector env that resets by itself; return env-steps per second."""
    step = env.step
    start = time.perf_counter()
    env.reset(seed=seed)
    for action in actions:
        step(action)
    return len(actions) * env.num_envs / (time.perf_counter() - start)


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


def batched_node_days_per_second(sim: Networks, view: NetworkView, actions: np.ndarray, seed: int) -> float:
    """Step a batch of networks through ``actions`` (one ``(batch, size)`` array a day), observing every day
    as the central planner does and resetting at each episode end; return node-days per second."""
    generators = [np.random.default_rng(seed + index) for index in range(sim.batch)]
    episode_days = sim.network.episode_days
    start = time.perf_counter()
    sim.reset(generators)
    for day_actions in actions:
        sim.step_fractions(day_actions)
        view.central(sim)
        if sim.day >= episode_days:
            sim.reset(generators)
    return len(actions) * sim.batch * len(sim.nodes) / (time.perf_counter() - start)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps per env per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the envs and their actions (default 0)")
    parser.add_argument("--batches", default="8,256", help="batch sizes of the batched rows (default 8,256)")
    parser.add_argument("--vector-sizes", default="1,16,256", help="num_envs of the vector env rows (default 1,16,256)")
    parser.add_argument(
        "--network-steps", type=int, default=2_000, help="steps per network single env per round (default 2000)"
    )
    parser.add_argument(
        "--network-batch", type=int, default=256, help="networks in the batch of the network rows (default 256)"
    )
    parser.add_argument("--before", type=Path, help="an older checkout whose default single env to time beside")
    args = parser.parse_args(argv)
    if args.before is not None and not (args.before / "env.py").is_file():
        parser.error(f"--before: {args.before} has no env.py (the code before the package has it at its top level)")
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    for option in ("network_steps", "network_batch"):
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1, got {getattr(args, option)}")
    for option in ("batches", "vector_sizes"):
        text = getattr(args, option)
        try:
            sizes = [int(size) for size in text.split(",")]
        except ValueError:
            parser.error(f"--{option.replace('_', '-')} must be comma-separated whole numbers, got {text!r}")
        if min(sizes) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
        setattr(args, option, sizes)
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

    # vector rows: the vector env beside SyncVectorEnv of single envs, at each size
    episode_days = scenarios["default"].episode_days
    vector_envs: dict[str, gym.vector.VectorEnv] = {}
    vector_actions: dict[str, list] = {}
    for size in args.vector_sizes:
        vector = gym.make_vec(ENV_ID, num_envs=size, vectorization_mode="vector_entry_point")
        sync = gym.make_vec(
            ENV_ID, num_envs=size, vectorization_mode="sync", vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP}
        )
        vector.action_space.seed(args.seed)
        drawn = [vector.action_space.sample() for _ in range(max(args.steps // size, episode_days + 1))]
        vector_envs[f"vector env x{size}"], vector_actions[f"vector env x{size}"] = vector, drawn
        sync_steps = max(args.steps // 4 // size, episode_days + 1)  # at least one reset
        vector_envs[f"SyncVectorEnv x{size}"], vector_actions[f"SyncVectorEnv x{size}"] = sync, drawn[:sync_steps]

    # network rows: every shipped network, its single env and a batch of it
    networks = {scenario.name: scenario.network for scenario in list_networks()}
    network_envs = {name: gym.make(NETWORK_ENV_ID, network=network) for name, network in networks.items()}
    network_actions = {}
    for name, env in network_envs.items():
        env.action_space.seed(args.seed)
        network_actions[name] = [env.action_space.sample() for _ in range(args.network_steps)]
    network_batches = {name: Networks(network, args.network_batch) for name, network in networks.items()}
    network_views = {name: NetworkView(network) for name, network in networks.items()}
    network_batch_actions = {
        name: rng.random(
            (
                max(args.network_steps // args.network_batch, network.episode_days + 1),  # at least one reset
                args.network_batch,
                action_size(network),
            )
        )
        for name, network in networks.items()
    }
    network_rates: dict[str, list[float]] = {f"{name} {kind}": [] for name in networks for kind in ("single", "batch")}

    if args.before is not None:  # last: its modules are top-level (env, sim, config), imported after every make
        envs[BEFORE] = env_before(args.before)
        envs[BEFORE].action_space.seed(args.seed)
        actions[BEFORE] = [envs[BEFORE].action_space.sample() for _ in range(args.steps)]

    rows = [*envs, *batches, *days_only, *draws_only, *vector_envs]
    rates: dict[str, list[float]] = {name: [] for name in rows}
    ratios: dict[str, list[float]] = {name: [] for name in rates if name != REFERENCE_ID}
    for _ in range(args.rounds):
        for name, env in envs.items():
            rates[name].append(steps_per_second(env, actions[name], args.seed))
        for name, warehouses in batches.items():
            with_resets, without = batched_days_per_second(warehouses, batch_actions[name], args.seed)
            rates[name].append(with_resets)
            rates[f"{name}, days only"].append(without)
            rates[f"{name}, demand draws only"].append(demand_draw_days_per_second(warehouses, args.seed))
        for name, vector in vector_envs.items():
            rates[name].append(vector_steps_per_second(vector, vector_actions[name], args.seed))
        for name, env in network_envs.items():
            nodes = len(networks[name].nodes)
            network_rates[f"{name} single"].append(nodes * steps_per_second(env, network_actions[name], args.seed))
            network_rates[f"{name} batch"].append(
                batched_node_days_per_second(
                    network_batches[name], network_views[name], network_batch_actions[name], args.seed
                )
            )
        for name in ratios:
            ratios[name].append(rates[name][-1] / rates[REFERENCE_ID][-1])

    print(f"{'env':<30} {'steps/s':>12} {'x CartPole':>11}   ({args.rounds} rounds of {args.steps:,} steps, medians)")
    print(f"{REFERENCE_ID:<30} {statistics.median(rates[REFERENCE_ID]):>12,.0f} {1:>11.3f}")
    for name in ratios:
        label = name if name not in envs else f"{name} (single env)"
        print(f"{label:<30} {statistics.median(rates[name]):>12,.0f} {statistics.median(ratios[name]):>11.3f}")
    largest = f"default x{max(args.batches)}"
    for label, ratio, target in (
        (largest, statistics.median(ratios[largest]), BATCH_TARGET),
        (f"{largest}, days only", statistics.median(ratios[f"{largest}, days only"]), BATCH_TARGET),
        (f"{largest}, demand draws only", statistics.median(ratios[f"{largest}, demand draws only"]), BATCH_TARGET),
    ):
        print(f"{label}: {ratio:.3f} x CartPole, target >= {target}: {'met' if ratio >= target else 'MISSED'}")
    for size in args.vector_sizes:
        speedup = statistics.median(rates[f"vector env x{size}"]) / statistics.median(rates[f"SyncVectorEnv x{size}"])
        print(f"vector env x{size}: {speedup:.1f} x SyncVectorEnv x{size}")
    if BEFORE in rates:
        over = statistics.median(now / then for now, then in zip(rates["default"], rates[BEFORE], strict=True))
        verdict = "not slower: met" if over >= 1.0 else "slower: MISSED"
        print(f"default single env: {over:.3f} x the code in {args.before} (target >= 1: {verdict})")
    print(
        f"\n{'network':<20} {'nodes':>5} {'single env':>14} {f'batch x{args.network_batch}':>14}"
        f"   (node-days/s, medians; {args.network_steps:,} single-env steps a round)"
    )
    for name, network in networks.items():
        single, batch = (statistics.median(network_rates[f"{name} {kind}"]) for kind in ("single", "batch"))
        print(f"{name:<20} {len(network.nodes):>5} {single:>14,.0f} {batch:>14,.0f}")
    for env in [*envs.values(), *vector_envs.values(), *network_envs.values()]:
        env.close()


if __name__ == "__main__":
    main()
