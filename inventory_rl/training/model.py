"""The PPO model of a run: built from the settings, warm-started by Deep Controlled Learning where
the settings ask, saved atomically and loaded again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv

from inventory_rl.agent.dcl import Improvement, improvable, improve
from inventory_rl.agent.network import PerProductPolicy
from inventory_rl.agent.view import AgentView
from inventory_rl.runs.files import atomic_writer, describe_error
from inventory_rl.runs.layout import (
    ModelLoadError,
)
from inventory_rl.training.settings import AGENT_HYPERPARAMS


def ppo_kwargs(agent: str, settings: dict[str, Any]) -> dict[str, Any]:
    """PPO's keyword arguments for ``agent`` with these flat ``settings``."""
    values = dict(settings)
    width, log_std = values.pop("net_width"), values.pop("log_std_init")
    values.pop("dcl_paths", None)  # not PPO's: ``warm_start``'s
    values.pop("dcl_rounds", None)
    if agent == "structured":
        return {"policy": PerProductPolicy, "policy_kwargs": {"log_std_init": log_std, "net_width": width}, **values}
    return {"policy": "MlpPolicy", "policy_kwargs": {"log_std_init": log_std, "net_arch": [width, width]}, **values}


def build_model(
    env: VecEnv, seed: int, tensorboard_log: str | None = None, agent: str = "structured", settings: dict | None = None
) -> PPO:
    """A new PPO for ``agent`` with its default settings, or ``settings``."""
    kwargs = ppo_kwargs(agent, settings or AGENT_HYPERPARAMS[agent])
    return PPO(env=env, seed=seed, device="cpu", tensorboard_log=tensorboard_log, verbose=0, **kwargs)


def warm_start(model: PPO, env: VecEnv, seed: int, settings: dict[str, Any]) -> Improvement | None:
    """Deep Controlled Learning (``dcl.py``) on the new model's policy where ``settings`` ask for it
    (``dcl_paths`` > 0) and the scenario allows it, from the first episodes of the training envs
    (seeds ``seed`` ... ``seed + n_envs - 1``), ``dcl_rounds`` rounds; None where it did not run."""
    paths = settings.get("dcl_paths", 0)
    view = env.get_attr("view")[0]
    if not paths or not isinstance(view, AgentView) or not improvable(view.config):
        return None
    rounds = max(1, settings.get("dcl_rounds", 1))
    return improve(model.policy, view, range(seed, seed + env.num_envs), paths, seed, rounds)


def load_model(path: Path, env: VecEnv, tensorboard_log: str) -> PPO:
    """A saved PPO, attached to ``env`` (whose number of envs may differ from the original)."""
    try:
        return PPO.load(path, env=env, device="cpu", tensorboard_log=tensorboard_log)
    except Exception as error:  # SB3 raises many kinds (zip, pickle, torch, space mismatch)
        raise ModelLoadError(f"{path} is not a PPO model for this env ({describe_error(error)})") from error


def save_model(model: PPO, path: Path) -> None:
    """Save so that a reader never sees half a zip."""
    with atomic_writer(path) as file:
        model.save(file)
