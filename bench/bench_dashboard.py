"""How long the dashboard's Training page takes on a large stream.

    python bench/bench_dashboard.py [--megabytes 50] [--seed 0] [--repeats 20]

Builds a synthetic stream of about ``--megabytes`` MB in a temporary directory with
``utils.StreamWriter`` (records made by ``utils.episode_record``, every
``train.TRAJECTORY_EVERY``-th with its day-by-day trajectory, as a long run samples them),
then times the Training page's render function ``ui.training.render_training`` (Streamlit
in bare mode: every element is built and serialized, only the sending is skipped):

- first render: read and parse the whole stream, build the history, the metrics and the
  chart frames, draw the page;
- idle refresh: a refresh with no new data (the page's steady state between episodes);
- refresh with 16 new episodes: what the page costs while a run is writing.

Targets (issue 6): first render under 3 s, idle refresh under 50 ms. The machine's load is
printed beside them: on a shared machine, other processes slow every figure.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from inventory_rl.app.monitor import TrainingMonitor
from inventory_rl.app.training import render_training
from inventory_rl.runs.layout import STREAM_NAME
from inventory_rl.runs.stream import StreamWriter, episode_record
from inventory_rl.training.callbacks import TRAJECTORY_EVERY
from inventory_rl.world.config import InventoryConfig

# Bare mode warns about every element that there is no browser session to send it to.
logging.disable(logging.WARNING)

CONFIG = InventoryConfig()
DAYS, PRODUCTS = CONFIG.episode_days, CONFIG.n_products


def synthetic_episode(episode: int, rng: np.random.Generator) -> dict:
    """A record as ``train.py`` writes it, with figures that improve like a learning run's;
    episodes 1, 1 + TRAJECTORY_EVERY, ... carry their day-by-day trajectory."""
    progress = 1.0 - np.exp(-episode / 20_000)
    fill_rate = float(np.clip(0.55 + 0.35 * progress + rng.normal(0, 0.04), 0, 1))
    stockouts = int(rng.integers(30, 150))
    components = {
        "order_accuracy": 60_000.0,
        "perfect_fulfillment": float(1000 * rng.binomial(DAYS, 0.2 + 0.5 * progress)),
        "stock_bonus": 15_000.0,
        "allocation": float(DAYS * 500 * np.clip(0.3 + 0.6 * progress + rng.normal(0, 0.05), 0, 1)),
        "stockout_penalty": -100.0 * round((1 - fill_rate) * 3000),
    }
    summary = {
        "reward": sum(components.values()),
        "reward_components": components,
        "fill_rate": fill_rate,
        "stockouts": stockouts,
        "stockouts_per_day": stockouts / DAYS,
        "utilization": float(np.clip(0.8 + rng.normal(0, 0.03), 0, 1)),
        "order_accuracy": 1.0,
        "allocation_quality": float(np.clip(0.3 + 0.6 * progress + rng.normal(0, 0.05), -1, 1)),
        "cost_per_day": 0.0,  # the original warehouse counts no money
        "profit_per_day": 0.0,
    }
    sampled = (episode - 1) % TRAJECTORY_EVERY == 0
    if sampled:
        demand = np.minimum(rng.poisson(rng.uniform(2, 18, PRODUCTS), (DAYS, PRODUCTS)), 20)
        stock = rng.integers(0, 20, (DAYS, PRODUCTS))
        summary["trajectory"] = {
            "stock": stock,
            "demand": demand,
            "orders": rng.integers(0, 20, (DAYS, PRODUCTS)),
            "sales": np.minimum(demand, stock),
        }
    return episode_record("bench", episode, episode % 8, episode * DAYS, summary, with_trajectory=sampled)


def write_stream(path: Path, megabytes: float, seed: int) -> int:
    """A synthetic stream of about ``megabytes`` MB at ``path``; returns its episode count."""
    rng = np.random.default_rng(seed)
    header = {
        "type": "header",
        "run_id": "bench",
        "started": "2026-01-01T00:00:00",
        "resumed": False,
        "scenario": {"name": "default", "description": "The original warehouse.", "path": "", "overrides": []},
        "env_config": CONFIG.to_dict(),
        "hyperparams": {},
        "seed": seed,
        "total_timesteps": 10_000_000,
    }
    writer = StreamWriter(path, header)
    episode = 0
    try:
        while path.stat().st_size < megabytes * 1e6:
            episode += 1
            writer.write(synthetic_episode(episode, rng))
    finally:
        writer.close()
    return episode


def timed(function, *args) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0, help="size of the synthetic stream (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data (default 0)")
    parser.add_argument("--repeats", type=int, default=20, help="idle refreshes to time (default 20)")
    args = parser.parse_args()
    if args.megabytes <= 0 or args.repeats < 1:
        parser.error("--megabytes must be positive and --repeats at least 1")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / STREAM_NAME
        start = time.perf_counter()
        episodes = write_stream(path, args.megabytes, args.seed)
        built = time.perf_counter() - start
        print(f"stream: {path.stat().st_size / 1e6:.1f} MB, {episodes:,} episodes (built in {built:.1f} s)")

        monitor = TrainingMonitor(path)
        first = timed(render_training, monitor)
        idle = [timed(render_training, monitor) for _ in range(args.repeats)]

        rng = np.random.default_rng(args.seed + 1)
        growing = []
        writer = StreamWriter.resume(path, {"type": "header", "run_id": "bench", "resumed": True})
        try:
            for _ in range(5):
                for _ in range(16):
                    episodes += 1
                    writer.write(synthetic_episode(episodes, rng))
                growing.append(timed(render_training, monitor))
        finally:
            writer.close()

    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"
    print(f"machine load (1-minute average): {load} on {os.cpu_count()} cores; other work slows every figure")
    print(f"first render:                    {first:7.3f} s    (target < 3 s)")
    print(f"idle refresh (median of {args.repeats:>3}):    {1000 * statistics.median(idle):7.1f} ms   (target < 50 ms)")
    print(f"refresh with 16 new episodes:    {1000 * statistics.median(growing):7.1f} ms   (median of {len(growing)})")


if __name__ == "__main__":
    main()
