"""Timesteps per second of training: the full pipeline against the most any env could give.

Three measures, in this one process, with the same PPO settings (``train.PPO_HYPERPARAMS``),
torch threads and seed, alternating for ``--rounds`` rounds (the best rate of each counts,
which damps the noise of a shared machine):

- ``stub``: ``PPO.learn`` on a VecEnv with the training env's spaces that does no work at all
  (zero observations and rewards, an episode end every ``episode_days`` steps): the limit;
- ``bare``: ``PPO.learn`` on the training env (``train.make_training_env``), nothing else;
- ``full``: ``train.train``, the whole pipeline: the batched env, episode summaries,
  checkpoints, inventory metrics, TensorBoard, the stream, the progress bar and the final save.

Targets: full / stub >= 0.85 (the env and the pipeline cost at most 15% over PPO itself),
full / bare >= 0.9 (monitoring costs at most 10%).

    python bench/bench_train.py [--timesteps 50000] [--seed 0] [--rounds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.vec_env import VecEnv

from inventory_rl.training.args import Args
from inventory_rl.training.run import build_model, make_training_env, train
from inventory_rl.training.settings import DEFAULT_N_ENVS, TORCH_THREADS
from inventory_rl.world.config import InventoryConfig


class StubVecEnv(VecEnv):
    """The training env's spaces and episode length, and no work: what PPO alone costs."""

    def __init__(self, template: VecEnv, episode_days: int):
        self.render_mode = None
        super().__init__(template.num_envs, template.observation_space, template.action_space)
        self.episode_days = episode_days
        self.day = 0
        self.obs = np.zeros((self.num_envs, *self.observation_space.shape), np.float32)

    def reset(self) -> np.ndarray:
        self.day = 0
        return self.obs.copy()

    def step_async(self, actions: np.ndarray) -> None:
        self.day += 1

    def step_wait(self) -> tuple:
        done = self.day >= self.episode_days
        if done:
            self.day = 0
        dones = np.full(self.num_envs, done)
        # an episode's end as the training env reports it: PPO bootstraps the value of a truncated episode
        infos = [{"terminal_observation": self.obs[0], "TimeLimit.truncated": True} if done else {} for _ in self.obs]
        return self.obs.copy(), np.zeros(self.num_envs, np.float32), dones, infos

    def close(self) -> None:
        """Nothing to close."""

    def get_attr(self, attr_name: str, indices: object = None) -> list:
        return [getattr(self, attr_name)] * self.num_envs

    def set_attr(self, attr_name: str, value: object, indices: object = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *args: object, indices: object = None, **kwargs: object) -> list:
        return [None] * self.num_envs

    def env_is_wrapped(self, wrapper_class: type, indices: object = None) -> list[bool]:
        return [False] * self.num_envs


def rate_of_learn(env: VecEnv, timesteps: int, seed: int) -> float:
    """Timesteps/s of PPO on ``env``: model construction plus ``learn``."""
    started = time.perf_counter()
    build_model(env, seed).learn(timesteps)
    return timesteps / (time.perf_counter() - started)


def pipeline_rate(timesteps: int, seed: int, n_envs: int) -> float:
    """Timesteps/s of ``train.train`` (construction, learn with every callback, final save)."""
    with tempfile.TemporaryDirectory() as log_dir:
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            train(Args(total_timesteps=timesteps, seed=seed, n_envs=n_envs, log_dir=Path(log_dir)))
        return timesteps / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=50_000, help="timesteps per measured run (default 50000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the measures (default 2)")
    parser.add_argument(
        "--n-envs", type=int, default=DEFAULT_N_ENVS, help=f"envs (default {DEFAULT_N_ENVS}, train.py's)"
    )
    args = parser.parse_args()
    torch.set_num_threads(TORCH_THREADS)
    config = InventoryConfig()

    def training_env() -> VecEnv:
        return make_training_env(config, args.n_envs, args.seed)

    def stub_env() -> VecEnv:
        return StubVecEnv(training_env(), config.episode_days)

    rate_of_learn(training_env(), 2 * args.n_envs * 128, args.seed)  # warm-up: imports, first-call costs
    rates = {"stub": 0.0, "bare": 0.0, "full": 0.0}
    for _ in range(args.rounds):
        rates["stub"] = max(rates["stub"], rate_of_learn(stub_env(), args.timesteps, args.seed))
        rates["bare"] = max(rates["bare"], rate_of_learn(training_env(), args.timesteps, args.seed))
        rates["full"] = max(rates["full"], pipeline_rate(args.timesteps, args.seed, args.n_envs))
    print(f"stub VecEnv (PPO alone) : {rates['stub']:8,.0f} timesteps/s")
    print(f"bare PPO.learn          : {rates['bare']:8,.0f} timesteps/s")
    print(f"full pipeline (train.py): {rates['full']:8,.0f} timesteps/s")
    print(f"full / stub             : {rates['full'] / rates['stub']:8.3f}  (target >= 0.85)")
    print(f"full / bare             : {rates['full'] / rates['bare']:8.3f}  (target >= 0.9)")


if __name__ == "__main__":
    main()
