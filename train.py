"""Train the PPO inventory agent with Stable-Baselines3.

    python train.py --total-timesteps 100000 --verbose
    python train.py --preset heavy
    python train.py --resume logs/checkpoints/inventory_model_50000_steps.zip

A run leaves in ``--log-dir`` (default ``logs``): ``real_inventory_model.zip`` (the final
model, also saved on Ctrl-C), ``checkpoints/``, ``sb3_logs/`` (TensorBoard, with the
inventory metrics under ``inventory/``), ``run_config.json`` (everything needed to rebuild
the env and policy) and ``stream_data.json`` (the JSON Lines stream the dashboard tails).
Everything runs on SB3's machinery: ``make_vec_env``, ``Monitor``, callbacks, the logger.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CallbackList, CheckpointCallback, ProgressBarCallback
from stable_baselines3.common.vec_env import VecEnv, VecNormalize
from tqdm import TqdmExperimentalWarning

from agent import AgentVecEnv, AgentView, PerProductPolicy
from config import (
    DEFAULT_SCENARIO,
    SCENARIO_HELP,
    SET_HELP,
    InventoryConfig,
    ListScenarios,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_or_exit,
)
from dcl import Improvement, improvable, improve
from episodes import EpisodeResult
from utils import (
    CHECKPOINT_DIR,
    EPISODE_FIGURES,
    MODEL_NAME,
    RUN_CONFIG_NAME,
    STREAM_NAME,
    TRAJECTORY_FIELDS,
    LogDirBusy,
    ModelLoadError,
    StreamReader,
    StreamWriter,
    atomic_writer,
    describe_error,
    episode_record,
    load_run_config,
    resolve_model_path,
    training_lock,
    trajectory_fields,
    write_json_atomic,
)

# ---------------------------------------------------------------------------- settings
# The one place for PPO's settings, per agent: flat keys, PPO's own keyword arguments plus the
# network's width and its initial exploration noise (``ppo_kwargs`` builds PPO's arguments).
# A scenario's [train.hyperparams] and a --hyperparams file (tune.py's best trial) override them.
PPO_HYPERPARAMS: dict[str, Any] = {  # the structured agent (agent.AgentView), each with its reason
    "n_steps": 64,  # per env and rollout: with 16 envs, 1024 steps (~34 episodes) per update
    "batch_size": 256,  # four minibatches per epoch over a 1024-step rollout
    "n_epochs": 10,  # SB3's default number of passes over each rollout
    "learning_rate": 3e-4,  # Adam's usual rate for PPO; 1e-4 learned too little within 100k steps
    "gamma": 0.9,  # stock carries over for a few days; 0.0 (myopic) measured the same (0.8742 vs 0.8740)
    "gae_lambda": 0.95,  # SB3's default bias/variance trade-off for advantages
    # Exploration noise std exp(-1.5) = 0.22 on a [-1, 1] correction: wide enough to find the
    # corrections, narrow enough that the mean PPO settles on works when played deterministically.
    "log_std_init": -1.5,
    # One small network shared by the ten products: each product's correction comes from its own
    # features. In exploratory runs (seed 0, 300k steps, 200 episodes) a flat MLP over all 80
    # inputs learned nothing (0.8712, the newsvendor rule's 0.8711); the shared one 0.8742.
    "net_width": 64,
    # Deep Controlled Learning before PPO (dcl.py): demand paths per state; 0 = off. Only the lost-sales
    # family turns it on (its scenario's presets): there PPO alone learns to play the rule it corrects.
    "dcl_paths": 0,
}
DIRECT_HYPERPARAMS: dict[str, Any] = {  # plain PPO (--agent direct): SB3's defaults, an MlpPolicy of 64 x 64
    "n_steps": 2048,
    "batch_size": 64,
    "n_epochs": 10,
    "learning_rate": 3e-4,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "log_std_init": 0.0,
    "net_width": 64,
}
AGENT_HYPERPARAMS = {"structured": PPO_HYPERPARAMS, "direct": DIRECT_HYPERPARAMS}
SETTING_TYPES: dict[str, type] = {  # every setting a scenario or a --hyperparams file may give
    **{key: int for key in ("n_steps", "batch_size", "n_epochs", "net_width", "dcl_paths")},
    **{key: float for key in ("learning_rate", "gamma", "gae_lambda", "clip_range", "ent_coef", "vf_coef")},
    "max_grad_norm": float,
    "log_std_init": float,
}
# Warehouses stepped as one batch: 16 cost the env hardly more than 8 (numpy calls dominate), so
# per timestep it costs half; with 8 envs x 128 steps the quick preset reached 0.8716, with 16 x 64
# (the same 1,024 steps per update) 0.8718 (seed 0, 200 episodes).
DEFAULT_N_ENVS = 16
PRESETS = {"quick": 100_000, "heavy": 1_000_000}
TORCH_THREADS = 1  # a 64x64 MLP gains nothing from threads; one avoids contention on small machines

# ---------------------------------------------------------------------------- files
TENSORBOARD_DIR = "sb3_logs"
CHECKPOINT_PREFIX = "inventory_model"
# Episodes 1, 1 + k, 1 + 2k, ... carry their day-by-day trajectory (~3.5 kB more) in the stream.
# A 1M-step run has ~33,000 episodes: ~13 MB of summaries plus ~2 MB of trajectories.
TRAJECTORY_EVERY = 50
LOGGED_METRICS = tuple(EPISODE_FIGURES)  # the stream's per-episode figures, also sent to TensorBoard
EXIT_INTERRUPTED = 130  # the shell's code for a process ended by SIGINT


# ---------------------------------------------------------------------------- command line
def _bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for whole numbers in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


def option(default: Any, help: str, **argparse_kwargs: Any) -> Any:
    """A field of ``Args`` that is also the command-line option ``--field-name``: its default,
    help text and argparse settings (``type``, ``choices``, ``metavar``) live here only."""
    return dataclasses.field(default=default, metadata={"help": help, **argparse_kwargs})


@dataclass
class Args:
    """One training run. Each field is a ``train.py`` option (``build_parser`` makes the parser
    from these fields); benchmarks and tests build it directly."""

    total_timesteps: int | None = option(
        None,
        f"environment steps to train; overrides --preset (default: the quick preset, {PRESETS['quick']:,}; "
        "with --resume: what the resumed run had left)",
        type=_bounded_int(1),
    )
    seed: int = option(0, "random seed; the same seed gives the same model", type=_bounded_int(0, 2**32 - 1))
    n_envs: int = option(DEFAULT_N_ENVS, "parallel envs", type=_bounded_int(1, 256))
    log_dir: Path = option(Path("logs"), "output directory", type=Path)
    checkpoint_freq: int = option(
        10_000, "save a checkpoint every this many environment steps, whatever --n-envs is", type=_bounded_int(1)
    )
    resume: Path | None = option(None, "continue training this model", type=Path, metavar="MODEL.zip")
    verbose: bool = option(False, "one line per episode instead of a progress bar")
    preset: str | None = option(
        None, ", ".join(f"{name}: {steps:,} steps" for name, steps in PRESETS.items()), choices=sorted(PRESETS)
    )
    scenario: str = option(DEFAULT_SCENARIO, SCENARIO_HELP, metavar="NAME|PATH")
    overrides: tuple[str, ...] = option((), SET_HELP, flag="--set", action="append", metavar="KEY=VALUE")
    agent: str = option(
        "structured",
        "structured: the agent of agent.py (features, rule-based action decoding, low-noise training signal); "
        "direct: plain PPO on the env's own observation, action space and reward",
        choices=sorted(AGENT_HYPERPARAMS),
    )
    hyperparams: Path | None = option(
        None, "JSON file of PPO settings (e.g. tune.py's best trial) over the defaults", type=Path, metavar="FILE"
    )

    def __post_init__(self) -> None:
        self.overrides = tuple(self.overrides or ())

    def to_argv(self) -> list[str]:
        """The ``train.py`` arguments that reproduce this run."""
        argv = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is True:
                argv.append(flag_of(field))
            elif isinstance(value, tuple):
                for item in value:
                    argv += [flag_of(field), item]
            elif value is not None and value is not False:
                argv += [flag_of(field), str(value)]
        return argv


def flag_of(field: dataclasses.Field) -> str:
    """The command-line flag of an ``Args`` field: ``log_dir`` -> ``--log-dir`` (or its ``flag``)."""
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``train.py``, one option per field of ``Args``."""
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train the PPO inventory agent; model, checkpoints, TensorBoard logs and the "
        "dashboard's live stream go to --log-dir.",
    )
    for field in dataclasses.fields(Args):
        settings = {key: value for key, value in field.metadata.items() if key != "flag"}
        if field.default is False:
            parser.add_argument(flag_of(field), action="store_true", help=settings["help"])
            continue
        if field.default not in (None, ()):
            settings["help"] += f" (default: {field.default})"
        default = None if field.default == () else field.default  # argparse appends to a copy of it
        parser.add_argument(flag_of(field), dest=field.name, default=default, **settings)
    parser.add_argument("--list-scenarios", action=ListScenarios, help="list the shipped scenarios and exit")
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> Args:
    """Parse and check the command line; bad values end the process with argparse's exit code 2."""
    namespace = parser.parse_args(argv)
    if namespace.log_dir.exists() and not namespace.log_dir.is_dir():
        parser.error(f"argument --log-dir: {namespace.log_dir} exists and is not a directory")
    if namespace.resume is not None:
        try:
            resolve_model_path(namespace.resume)
        except ModelLoadError as error:
            parser.error(f"argument --resume: {error}")
        if namespace.scenario != DEFAULT_SCENARIO or namespace.overrides or namespace.hyperparams:
            parser.error("argument --resume: a resumed run keeps its scenario and settings; drop them")
    else:
        scenario = scenario_or_exit(parser, namespace.scenario, namespace.overrides)
        try:
            run_settings(scenario, namespace.agent, namespace.hyperparams)
        except ValueError as error:
            parser.error(f"argument --hyperparams: {error}")
        if namespace.total_timesteps is None and namespace.preset:
            namespace.total_timesteps = preset_timesteps(scenario, namespace.preset)
    return Args(**vars(namespace))


class BadArgument(ValueError):
    """An argument that cannot be used, found only once training is being set up."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training, raised after the model was saved to ``model_path``."""

    def __init__(self, model_path: Path, timesteps: int):
        super().__init__(f"interrupted at {timesteps} timesteps; model saved to {model_path}")
        self.model_path = model_path
        self.timesteps = timesteps


# ---------------------------------------------------------------------------- environment
def summarize_episode(result: EpisodeResult, fields: tuple[str, ...] = TRAJECTORY_FIELDS) -> dict:
    """An episode's figures (``utils.EPISODE_FIGURES``, in the env's points, not the training
    reward) and its trajectory (the arrays ``fields``: ``utils.trajectory_fields``), measured by
    ``episodes.EpisodeResult`` so the stream and evaluations agree."""
    metrics = result.metrics()
    return {
        **metrics,
        "reward": metrics["mean_reward"],  # evaluate's per-episode value: the episode's total
        "reward_components": {name: float(points.sum()) for name, points in result.reward_components.items()},
        "stockouts": int(result.daily["stockouts"].sum()),
        "trajectory": {key: getattr(result, key) for key in fields},
    }


def make_training_env(
    config: InventoryConfig,
    n_envs: int,
    seed: int,
    agent: str = "structured",
    gamma: float = 0.99,
    base: dict | None = None,
) -> VecEnv:
    """``n_envs`` warehouses stepped as one batch, as PPO sees them (``agent.AgentVecEnv``);
    warehouse k is seeded with ``seed + k``. Plain PPO (``direct``) learns from the env's own
    reward, thousands of points a day, which SB3's ``VecNormalize`` scales (its returns' running
    standard deviation, discounted by ``gamma``); the observations stay as they are."""
    env = AgentVecEnv(config, n_envs, seed, agent, base)
    return VecNormalize(env, norm_obs=False, norm_reward=True, gamma=gamma) if agent == "direct" else env


def check_settings(values: Any, source: str) -> dict[str, Any]:
    """PPO settings from a scenario or a file, checked: known names, numbers of the right kind and
    sign; ``ValueError`` with a one-line message naming ``source`` and the setting otherwise."""
    if not isinstance(values, dict):
        raise ValueError(f"{source}: expected a table of settings, got {type(values).__name__}")
    checked = {}
    for key, value in values.items():
        kind = SETTING_TYPES.get(key)
        if kind is None:
            raise ValueError(f"{source}: unknown setting {key!r}; known: {', '.join(SETTING_TYPES)}")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (kind is int and value != int(value)) or (key != "log_std_init" and value < 0):
            raise ValueError(
                f"{source}: {key} must be a {'whole ' if kind is int else ''}non-negative number, got {value!r}"
            )
        checked[key] = kind(value)
    return checked


def read_hyperparams(path: Path) -> dict[str, Any]:
    """The settings in a JSON file (as tune.py exports its best trial); ``ValueError`` if unusable."""
    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable JSON file ({describe_error(error)})") from None
    return check_settings(values.get("hyperparams", values) if isinstance(values, dict) else values, str(path))


def ppo_kwargs(agent: str, settings: dict[str, Any]) -> dict[str, Any]:
    """PPO's keyword arguments for ``agent`` with these flat ``settings``."""
    values = dict(settings)
    width, log_std = values.pop("net_width"), values.pop("log_std_init")
    values.pop("dcl_paths", None)  # not PPO's: ``warm_start``'s
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
    (seeds ``seed`` ... ``seed + n_envs - 1``); None where it did not run."""
    paths = settings.get("dcl_paths", 0)
    view = env.get_attr("view")[0]
    if not paths or not isinstance(view, AgentView) or not improvable(view.config):
        return None
    return improve(model.policy, view, range(seed, seed + env.num_envs), paths, seed)


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


# ---------------------------------------------------------------------------- callbacks
class EpisodeCallback(BaseCallback):
    """Base for callbacks that act once per finished episode.

    Episodes are numbered from ``first_episode`` across all envs, in the order they finish
    (lower env index first within a step), identically in every subclass.
    """

    def __init__(self, first_episode: int = 1):
        super().__init__()
        self.next_episode = first_episode
        self.fields = TRAJECTORY_FIELDS

    def _on_training_start(self) -> None:
        self.fields = trajectory_fields(self.training_env.get_attr("config")[0])

    def _on_step(self) -> bool:
        dones = self.locals["dones"]
        if dones.any():
            infos = self.locals["infos"]
            for env_index in np.flatnonzero(dones):
                info = infos[env_index]
                if "inventory_summary" not in info:  # measured once, shared by every callback
                    info["inventory_summary"] = summarize_episode(info["inventory_episode"], self.fields)
                self._on_episode(self.next_episode, int(env_index), info["inventory_summary"])
                self.next_episode += 1
        return True

    def _on_episode(self, episode: int, env_index: int, summary: dict) -> None:
        raise NotImplementedError


class AtomicCheckpointCallback(CheckpointCallback):
    """SB3's ``CheckpointCallback``, writing each checkpoint through ``save_model`` so that the
    dashboard, which lists and loads checkpoints while a run goes on, never reads half a zip.
    (This project saves no replay buffer or normalization statistics beside them.)"""

    def _on_step(self) -> bool:
        if self.n_calls % self.save_freq == 0:
            save_model(self.model, Path(self._checkpoint_path(extension="zip")))
        return True


class InventoryMetricsCallback(EpisodeCallback):
    """Logs each episode's metrics to SB3's logger under ``inventory/``; like
    ``rollout/ep_rew_mean``, TensorBoard gets their mean over each rollout's episodes."""

    def _on_episode(self, episode: int, env_index: int, summary: dict) -> None:
        for key in LOGGED_METRICS:
            self.logger.record_mean(f"inventory/{key}", summary[key])
        for name, points in summary["reward_components"].items():
            self.logger.record_mean(f"inventory/reward_{name}", points)


class StreamCallback(EpisodeCallback):
    """Appends one record per episode to the dashboard's stream; every ``trajectory_every``-th
    episode (the first included) also carries its day-by-day trajectory."""

    def __init__(self, writer: StreamWriter, run_id: str, first_episode: int = 1, trajectory_every: int = 50):
        super().__init__(first_episode)
        self.writer = writer
        self.run_id = run_id
        self.first_episode = first_episode
        self.trajectory_every = trajectory_every

    def _on_episode(self, episode: int, env_index: int, summary: dict) -> None:
        sampled = (episode - self.first_episode) % self.trajectory_every == 0
        self.writer.write(episode_record(self.run_id, episode, env_index, self.num_timesteps, summary, sampled))


class VerboseCallback(EpisodeCallback):
    """Prints one line per episode and, at the end, a summary of the last 100 episodes."""

    def __init__(self, first_episode: int = 1):
        super().__init__(first_episode)
        self.recent: deque[dict] = deque(maxlen=100)
        self.started = 0.0
        self.start_timesteps = 0

    def _on_training_start(self) -> None:
        super()._on_training_start()
        self.started = time.perf_counter()
        self.start_timesteps = self.model.num_timesteps

    def _on_episode(self, episode: int, env_index: int, summary: dict) -> None:
        self.recent.append(summary)
        print(
            f"episode {episode:>6}  timesteps {self.num_timesteps:>9,}  reward {summary['reward']:>9,.0f}  "
            f"fill rate {summary['fill_rate']:6.1%}  stockouts/day {summary['stockouts_per_day']:5.2f}  "
            f"utilization {summary['utilization']:6.1%}"
        )

    def _on_training_end(self) -> None:
        steps = self.model.num_timesteps - self.start_timesteps
        seconds = time.perf_counter() - self.started
        print(f"Trained {steps:,} timesteps in {seconds:.0f} s ({steps / max(seconds, 1e-9):,.0f}/s).")
        if self.recent:
            means = {key: np.mean([summary[key] for summary in self.recent]) for key in LOGGED_METRICS}
            print(
                f"Last {len(self.recent)} episodes: reward {means['reward']:,.0f}, fill rate {means['fill_rate']:.1%}, "
                f"stockouts/day {means['stockouts_per_day']:.2f}, utilization {means['utilization']:.1%}, "
                f"order accuracy {means['order_accuracy']:.1%}, allocation quality {means['allocation_quality']:.2f}"
            )


# ---------------------------------------------------------------------------- a run
def new_run_id() -> str:
    """A readable, unique run id: the start time plus a random suffix."""
    return f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON; classes (a custom policy, an activation) become their dotted names."""

    def describe(obj: Any) -> str:
        return f"{obj.__module__}.{obj.__qualname__}" if isinstance(obj, type) else repr(obj)

    return json.loads(json.dumps(value, default=describe))


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "stable_baselines3": stable_baselines3.__version__,
        "torch": torch.__version__,
        "gymnasium": gym.__version__,
        "numpy": np.__version__,
    }


def open_stream(path: Path, header: dict) -> tuple[StreamWriter, int]:
    """The stream writer and the first episode number to use.

    A resumed run continues its own stream (episode numbers go on); anything else, or a
    stream from another run, starts a fresh stream.
    """
    if header["resumed"]:
        reader = StreamReader(path)
        reader.poll()
        if reader.header is not None and reader.header.get("run_id") == header["run_id"]:
            last_episode = reader.episodes[-1]["episode"] if reader.episodes else 0
            return StreamWriter.resume(path, header), last_episode + 1
    return StreamWriter(path, header), 1


class RunSetup(NamedTuple):
    """What a run starts from: a new model, or a saved one with its run's identity."""

    config: InventoryConfig
    scenario: dict  # Scenario.to_dict() of the run's scenario
    run_id: str
    agent: str  # structured or direct
    hyperparams: dict
    env: VecEnv
    model: PPO
    budget: int  # timesteps to train in this session


def preset_timesteps(scenario: Scenario, preset: str) -> int:
    """The budget of ``preset`` for ``scenario``: its ``[train]`` table's, else ``PRESETS``'."""
    return int(scenario.train.get(preset, PRESETS[preset]))


def run_settings(scenario: Scenario, agent: str, hyperparams: Path | None) -> dict[str, Any]:
    """The PPO settings of a new run: the agent's defaults, then the scenario's ``[train.hyperparams]``
    (for the structured agent, whose presets they are), then the ``--hyperparams`` file."""
    settings = dict(AGENT_HYPERPARAMS[agent])
    if agent == "structured":
        settings.update(check_settings(scenario.train.get("hyperparams", {}), f"{scenario.path} [train.hyperparams]"))
    if hyperparams is not None:
        settings.update(read_hyperparams(hyperparams))
        if agent == "direct" and settings.get("dcl_paths"):
            raise ValueError(f"{hyperparams}: dcl_paths teaches the structured agent only (dcl.py), not --agent direct")
    return settings


def new_run(args: Args, tensorboard_log: str) -> RunSetup:
    """A fresh PPO on the scenario of ``args`` (on the training part of its demand file, where
    days are held out for evaluation), with its settings (``run_settings``)."""
    try:
        scenario = load_scenario(args.scenario, args.overrides)
        settings = run_settings(scenario, args.agent, args.hyperparams)
    except ScenarioError as error:
        raise BadArgument("--scenario", str(error)) from error
    except ValueError as error:
        raise BadArgument("--hyperparams", str(error)) from error
    config = scenario.config.with_demand_part("train")
    env = make_training_env(config, args.n_envs, args.seed, args.agent, settings["gamma"])
    model = build_model(env, args.seed, tensorboard_log, args.agent, settings)
    improvement = warm_start(model, env, args.seed, settings)
    if improvement is not None:
        print(improvement.describe())
    budget = args.total_timesteps or preset_timesteps(scenario, "quick")
    return RunSetup(config, scenario.to_dict(), new_run_id(), args.agent, settings, env, model, budget)


def resumed_run(args: Args, tensorboard_log: str) -> RunSetup:
    """The model at ``args.resume`` with its run's config and id; ``BadArgument`` if unusable.

    Without a budget it trains what the run had left. The envs are seeded with
    ``seed + timesteps`` so they do not replay the run's first episodes.
    """
    try:
        path = resolve_model_path(args.resume)
        previous = load_run_config(path)
        config = InventoryConfig.from_dict(previous["env_config"])
        scenario = dict(previous.get("scenario", {"name": DEFAULT_SCENARIO}))
        run_id, hyperparams = str(previous["run_id"]), dict(previous["hyperparams"])
        agent = previous.get("agent", "structured")
        env = make_training_env(
            config, args.n_envs, args.seed, agent, hyperparams.get("gamma", 0.99), previous.get("agent_base")
        )
        model = load_model(path, env, tensorboard_log)
    except ModelLoadError as error:
        raise BadArgument("--resume", str(error)) from error
    except (KeyError, TypeError, ValueError) as error:
        raise BadArgument("--resume", f"the run config of {args.resume} lacks {describe_error(error)}") from error
    model.set_random_seed(args.seed + model.num_timesteps)
    budget = args.total_timesteps or int(previous.get("total_timesteps", 0)) - model.num_timesteps
    if budget <= 0:
        raise BadArgument("--resume", "that run is complete; add --total-timesteps N to train N more steps")
    return RunSetup(config, scenario, run_id, agent, hyperparams, env, model, budget)


def make_callbacks(args: Args, stream: StreamWriter, run_id: str, first_episode: int) -> CallbackList:
    """Checkpoints, TensorBoard metrics, the stream, and per-episode lines or a progress bar."""
    callbacks = [
        AtomicCheckpointCallback(
            save_freq=max(args.checkpoint_freq // args.n_envs, 1),  # counted in calls, each n_envs steps
            save_path=str(Path(args.log_dir) / CHECKPOINT_DIR),
            name_prefix=CHECKPOINT_PREFIX,
        ),
        InventoryMetricsCallback(first_episode),
        StreamCallback(stream, run_id, first_episode, TRAJECTORY_EVERY),
    ]
    callbacks.append(VerboseCallback(first_episode) if args.verbose else ProgressBarCallback())
    return CallbackList(callbacks)


def train(args: Args) -> Path:
    """Train (or resume) PPO as ``args`` says and return the saved model's path.

    On Ctrl-C the model is saved all the same, then ``TrainingInterrupted`` is raised.
    Raises ``BadArgument`` (before writing anything) if ``args.resume`` cannot be used, and
    ``LogDirBusy`` if another run is training in ``args.log_dir``.
    """
    torch.set_num_threads(TORCH_THREADS)
    tensorboard_log = str(Path(args.log_dir) / TENSORBOARD_DIR)
    setup = new_run(args, tensorboard_log) if args.resume is None else resumed_run(args, tensorboard_log)
    with training_lock(args.log_dir):
        return run_training(args, setup)


def run_training(args: Args, setup: RunSetup) -> Path:
    """``train``'s work once the run is set up and the log directory is its alone."""
    log_dir = Path(args.log_dir)
    model, run_id = setup.model, setup.run_id
    header = {
        "type": "header",
        "run_id": run_id,
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        "resumed": args.resume is not None,
        "scenario": setup.scenario,
        "env_config": setup.config.to_dict(),
        "agent": setup.agent,
        "agent_base": setup.env.get_attr("view")[0].base,  # the rule a structured agent corrects (free mode)
        "hyperparams": {**setup.hyperparams, "n_envs": args.n_envs},
        "hyperparams_file": None if args.hyperparams is None else str(args.hyperparams),
        "seed": args.seed,
        "total_timesteps": model.num_timesteps + setup.budget,
    }
    kept = ("scenario", "env_config", "agent", "agent_base", "hyperparams", "hyperparams_file", "seed")
    kept += ("total_timesteps", "run_id")
    run_config = {key: header[key] for key in kept}
    run_config.update(versions=library_versions(), command=["python", "train.py", *args.to_argv()])
    write_json_atomic(log_dir / RUN_CONFIG_NAME, run_config)
    stream, first_episode = open_stream(log_dir / STREAM_NAME, header)
    callback = make_callbacks(args, stream, run_id, first_episode)

    print(
        f"{'Resuming' if args.resume else 'Training'} PPO for {setup.budget:,} timesteps "
        f"({args.n_envs} envs, seed {args.seed}, run {run_id}); logs in {log_dir}/"
    )
    status = "finished"
    try:
        model.learn(setup.budget, callback=callback, reset_num_timesteps=args.resume is None, tb_log_name=run_id)
    except KeyboardInterrupt:
        status = "interrupted"
        if callback.locals:  # training had started: close the progress bar, print the summary
            callback.on_training_end()
    model_path = log_dir / MODEL_NAME
    save_model(model, model_path)
    stream.write(
        {"type": "end", "run_id": run_id, "timesteps": model.num_timesteps, "status": status, "model": str(model_path)}
    )
    stream.close()
    setup.env.close()
    if status == "interrupted":
        raise TrainingInterrupted(model_path, model.num_timesteps)
    return model_path


# ---------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    """The command line: 0 when trained, 2 for bad arguments, 130 after Ctrl-C."""
    warnings.filterwarnings("ignore", category=TqdmExperimentalWarning)  # SB3's progress bar uses tqdm.rich
    parser = build_parser()
    args = parse_args(parser, argv)
    try:
        model_path = train(args)
    except BadArgument as error:
        parser.error(f"argument {error.option}: {error}")
    except LogDirBusy as error:
        parser.error(f"{error}; wait for it to finish or choose another --log-dir")
    except TrainingInterrupted as interrupted:
        print(f"\nInterrupted at {interrupted.timesteps:,} timesteps. Model saved to {interrupted.model_path}")
        print(f"Continue with: python train.py --resume {interrupted.model_path} --log-dir {args.log_dir}")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("\nInterrupted before training started: nothing was saved.")
        return EXIT_INTERRUPTED
    print(f"Model saved to {model_path}; checkpoints in {args.log_dir / CHECKPOINT_DIR}/")
    print(f"TensorBoard: tensorboard --logdir {args.log_dir / TENSORBOARD_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
