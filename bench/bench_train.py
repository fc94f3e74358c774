"""Timesteps per second of the full training pipeline against a bare ``PPO(...).learn()``.

Both use the same env (``train.make_training_env``), hyperparameters (``train.PPO_HYPERPARAMS``),
torch threads and seed, in this one process; the full pipeline adds the episode summaries,
checkpoints, inventory metrics, TensorBoard, the stream, the progress bar and the final save.
Target: ratio >= 0.9 (monitoring costs at most 10%). The two alternate for ``--rounds`` rounds
and the best rate of each counts, which damps the noise of a shared machine.

    python bench/bench_train.py --timesteps 50000 --seed 0
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from env import InventoryConfig
from train import DEFAULT_N_ENVS, TORCH_THREADS, Args, build_model, make_training_env, train


def bare_rate(timesteps: int, seed: int) -> float:
    """Timesteps/s of PPO alone: env and model construction plus ``learn``."""
    started = time.perf_counter()
    env = make_training_env(InventoryConfig(), DEFAULT_N_ENVS, seed)
    build_model(env, seed).learn(timesteps)
    env.close()
    return timesteps / (time.perf_counter() - started)


def pipeline_rate(timesteps: int, seed: int) -> float:
    """Timesteps/s of ``train.train`` (construction, learn with every callback, final save)."""
    with tempfile.TemporaryDirectory() as log_dir:
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            train(Args(total_timesteps=timesteps, seed=seed, log_dir=Path(log_dir)))
        return timesteps / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=50_000, help="timesteps per measured run (default 50000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the two measures (default 2)")
    args = parser.parse_args()
    torch.set_num_threads(TORCH_THREADS)
    bare_rate(2 * DEFAULT_N_ENVS * 128, args.seed)  # warm-up: imports, allocator, first-call costs
    bare = full = 0.0
    for _ in range(args.rounds):
        bare = max(bare, bare_rate(args.timesteps, args.seed))
        full = max(full, pipeline_rate(args.timesteps, args.seed))
    print(f"bare PPO.learn : {bare:8,.0f} timesteps/s")
    print(f"full pipeline  : {full:8,.0f} timesteps/s")
    print(f"ratio          : {full / bare:8.3f}  (target >= 0.9)")


if __name__ == "__main__":
    main()
