"""The one place a training run is assembled: its env, its model (new, or resumed with its run's
identity), its files (run config, stream, checkpoints, TensorBoard) and its callbacks.

``train(args)`` is what ``python train.py`` does; ``tune.py``'s trials build their env and model
with the same ``build_new_model``. A run leaves in
``--log-dir``: ``real_inventory_model.zip`` (also saved on Ctrl-C), ``checkpoints/``, ``sb3_logs/``
(TensorBoard, the inventory metrics under ``inventory/``), ``run_config.json`` and
``stream_data.json`` (the JSON Lines stream the dashboard tails).
"""

from __future__ import annotations

import json
import platform
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import CallbackList, ProgressBarCallback
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from inventory_rl.agent.dcl import Improvement
from inventory_rl.agent.network_agent import (
    NetworkAgentVecEnv,
    co_player_rule,
    corrected_rule,
    recorded_agent,
    rule_of,
    rule_record,
)
from inventory_rl.agent.vec_env import AgentVecEnv
from inventory_rl.cli.common import DEFAULT_LOG_DIR, scenario_error_option
from inventory_rl.evaluation.network_episodes import score_network
from inventory_rl.runs.files import describe_error
from inventory_rl.runs.layout import (
    CHECKPOINT_DIR,
    MODEL_NAME,
    RUN_CONFIG_NAME,
    STREAM_NAME,
    ModelLoadError,
    NetworkRecord,
    RunConfig,
    ScenarioRecord,
    find_run_config,
    load_run_config,
    read_run_config,
    resolve_model_path,
    write_run_config,
)
from inventory_rl.runs.lock import training_lock, training_owner
from inventory_rl.runs.stream import (
    StreamReader,
    StreamWriter,
)
from inventory_rl.training.args import Args
from inventory_rl.training.callbacks import (
    TRAJECTORY_EVERY,
    AtomicCheckpointCallback,
    InventoryMetricsCallback,
    KeepBestCallback,
    StreamCallback,
    VerboseCallback,
)
from inventory_rl.training.model import build_model, load_model, save_model, warm_start
from inventory_rl.training.settings import HELD_OUT_SEED, TORCH_THREADS, preset_timesteps, run_settings
from inventory_rl.world.config import InventoryConfig, ScenarioError, scenario_path
from inventory_rl.world.network import NetworkConfig, NetworkScenario, load_any

# ---------------------------------------------------------------------------- files
TENSORBOARD_DIR = "sb3_logs"
CHECKPOINT_PREFIX = "inventory_model"


class BadArgument(ValueError):
    """An argument that cannot be used, found only once training is being set up."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


class LogDirTaken(Exception):
    """The log directory holds another run's model, which this run would replace; the message
    (one line) says whose it is and what to do instead."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training, raised after the model was saved to ``model_path``."""

    def __init__(self, model_path: Path, timesteps: int):
        super().__init__(f"interrupted at {timesteps} timesteps; model saved to {model_path}")
        self.model_path = model_path
        self.timesteps = timesteps


def make_training_env(
    config: InventoryConfig,
    n_envs: int,
    seed: int,
    agent: str = "structured",
    gamma: float = 0.99,
    base: dict | None = None,
) -> VecEnv:
    """``n_envs`` warehouses stepped as one batch, as PPO sees them (``agent.vec_env.AgentVecEnv``);
    warehouse k is seeded with ``seed + k``. Plain PPO (``direct``) learns from the env's own
    reward, thousands of points a day, which SB3's ``VecNormalize`` scales (its returns' running
    standard deviation, discounted by ``gamma``); the observations stay as they are."""
    env = AgentVecEnv(config, n_envs, seed, agent, base)
    return VecNormalize(env, norm_obs=False, norm_reward=True, gamma=gamma) if agent == "direct" else env


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


class NewModel(NamedTuple):
    """A new run's training envs and model, as ``build_new_model`` makes them."""

    config: InventoryConfig  # what the envs play: the training part of the scenario's demand file
    env: VecEnv
    model: PPO
    improvement: Improvement | None  # what the DCL warm start did, None where it did not run


def build_new_model(
    config: InventoryConfig,
    agent: str,
    settings: dict[str, Any],
    n_envs: int,
    seed: int,
    tensorboard_log: str | None,
) -> NewModel:
    """The envs and the fresh PPO of a new run (``train.py``'s or a tuning trial's) on the training
    part of ``config``'s demand file (days held out stay for evaluation), warm-started by DCL
    where ``settings`` ask for it. One sequence, so that a seed gives the same model in both."""
    config = config.with_demand_part("train")
    env = make_training_env(config, n_envs, seed, agent, settings["gamma"])
    model = build_model(env, seed, tensorboard_log, agent, settings)
    improvement = warm_start(model, env, seed, settings)
    return NewModel(config, env, model, improvement)


class RunSetup(NamedTuple):
    """What a run starts from: a new model, or a saved one with its run's identity."""

    config: InventoryConfig  # a network's: its first node's
    scenario: ScenarioRecord
    run_id: str
    agent: str  # structured or direct (a network's agents: ``network.agents``)
    hyperparams: dict
    env: VecEnv
    model: PPO
    budget: int  # timesteps to train in this session
    agent_base: dict | None = None  # the rule a structured agent corrects (free mode)
    network: NetworkRecord | None = None  # a network run's network and agents


def new_run(args: Args, tensorboard_log: str) -> RunSetup:
    """A fresh PPO on the scenario of ``args`` (``build_new_model``; a network's agents:
    ``new_network_run``), with its settings (``run_settings``)."""
    try:
        scenario = load_any(args.scenario, args.overrides)
        settings = run_settings(scenario, args.agent, args.hyperparams)
    except ScenarioError as error:
        raise BadArgument(scenario_error_option(args.scenario, args.overrides), str(error)) from error
    except ValueError as error:
        raise BadArgument("--hyperparams", str(error)) from error
    budget = args.total_timesteps or preset_timesteps(scenario, "quick")
    record = ScenarioRecord(scenario.name, scenario.description, scenario.path, tuple(scenario.overrides))
    if isinstance(scenario, NetworkScenario):
        return new_network_run(args, scenario.network, record, settings, budget, tensorboard_log)
    built = build_new_model(scenario.config, args.agent, settings, args.n_envs, args.seed, tensorboard_log)
    if built.improvement is not None:
        print(built.improvement.describe())
    base = built.env.get_attr("view")[0].base
    return RunSetup(built.config, record, new_run_id(), args.agent, settings, built.env, built.model, budget, base)


def new_network_run(
    args: Args,
    network: NetworkConfig,
    record: ScenarioRecord,
    settings: dict[str, Any],
    budget: int,
    tensorboard_log: str,
) -> RunSetup:
    """Fresh agents for a network (``agent.network_agent``): each corrects the best tuned rule it can play
    from what it sees (``agent.network_agent.corrected_rule``)."""
    base = corrected_rule(network, args.agents, args.share, args.seat, args.co_players)
    agents = NetworkRecord(
        network,
        "per-node" if args.seat else args.agents,  # a seat is one node's agent, seeing its own node
        args.share,
        args.reward,
        rule_record(base),
        args.seat,
        args.co_players if args.seat else None,
    )
    env = network_training_env(agents, args.n_envs, args.seed)
    model = build_model(env, args.seed, tensorboard_log, "network", settings)
    config = network.nodes[0].config
    return RunSetup(config, record, new_run_id(), "network", settings, env, model, budget, None, agents)


def network_training_env(record: NetworkRecord, n_envs: int, seed: int) -> NetworkAgentVecEnv:
    """The training env of a network run's agents, as its record says (new, or resumed)."""
    base = rule_of(record.base, record.network)
    co_players = None if record.seat is None else co_player_rule(record.co_players, record.network)
    return NetworkAgentVecEnv(
        record.network, base, n_envs, seed, record.agents, record.share, record.reward, record.seat, co_players
    )


def resumed_run(args: Args, tensorboard_log: str) -> RunSetup:
    """The model at ``args.resume`` with its run's config and id; ``BadArgument`` if unusable.

    Without a budget it trains what the run had left. The envs are seeded with
    ``seed + timesteps`` so they do not replay the run's first episodes.
    """
    try:
        path = resolve_model_path(args.resume)
        previous = load_run_config(path)
    except ModelLoadError as error:
        raise BadArgument("--resume", str(error)) from error
    if previous.run_id is None or previous.hyperparams is None:
        missing = "run_id" if previous.run_id is None else "hyperparams"
        raise BadArgument("--resume", f"the run config of {args.resume} lacks {missing}")
    hyperparams = dict(previous.hyperparams)
    base = None if previous.agent_base is None else dict(previous.agent_base)
    try:
        if previous.network is not None:
            env = network_training_env(previous.network, args.n_envs, args.seed)
        else:
            env = make_training_env(
                previous.env_config, args.n_envs, args.seed, previous.agent, hyperparams.get("gamma", 0.99), base
            )
        model = load_model(path, env, tensorboard_log)
    except ModelLoadError as error:
        raise BadArgument("--resume", str(error)) from error
    except (KeyError, TypeError, ValueError) as error:
        reason = describe_error(error)
        raise BadArgument("--resume", f"the run config of {args.resume} is unusable ({reason})") from error
    model.set_random_seed(args.seed + model.num_timesteps)
    budget = args.total_timesteps or previous.total_timesteps - model.num_timesteps
    if budget <= 0:
        raise BadArgument("--resume", "that run is complete; add --total-timesteps N to train N more steps")
    config, scenario, agent = previous.env_config, previous.scenario, previous.agent
    return RunSetup(config, scenario, previous.run_id, agent, hyperparams, env, model, budget, base, previous.network)


def check_log_dir_free(args: Args) -> None:
    """Refuse (``LogDirTaken``, before anything is written) to train into a folder that holds
    another run's model, finished or interrupted: a new run there would replace it, and with it
    the run's config and stream. Allowed with ``args.overwrite``, and for a resume of the run that
    is there. A run training there now is left to the lock, which says so (``LogDirBusy``)."""
    log_dir = Path(args.log_dir)
    if args.overwrite or not (log_dir / MODEL_NAME).is_file() or training_owner(log_dir) is not None:
        return
    try:
        there: RunConfig | None = read_run_config(log_dir / RUN_CONFIG_NAME)
    except ModelLoadError:
        there = None  # a model without a readable run config: still a model this run would replace
    what = f"{log_dir} holds " + (
        "a trained model (no readable run config beside it)"
        if there is None
        else f"the model of run {there.run_id or '(no id)'} (scenario {there.scenario.name})"
    )
    if args.resume is None:
        hints = ["add --overwrite to replace it"]
        if there is not None and there.run_id is not None:
            hints.append(f"continue it with --resume {log_dir / MODEL_NAME}")
        hints.append(f"train elsewhere with --log-dir {free_log_dir(scenario_path(args.scenario).stem, log_dir)}")
        raise LogDirTaken(f"{what}; {', '.join(hints[:-1])}, or {hints[-1]}")
    try:
        resumed_path = resolve_model_path(args.resume)
        resumed = load_run_config(resumed_path)
    except ModelLoadError:
        return  # not resumable at all: resumed_run says why
    if there is not None and resumed.run_id is not None and resumed.run_id == there.run_id:
        return  # the run that is there, continued
    own = find_run_config(resumed_path).parent
    raise LogDirTaken(
        f"{what}, which resuming run {resumed.run_id} there would replace; resume it in its own folder "
        f"(--log-dir {own}), or add --overwrite to replace the model"
    )


def free_log_dir(scenario: str, taken: Path) -> Path:
    """A folder to suggest for a new run of ``scenario``: ``logs/<scenario>``, or ``-2``, ``-3``, ...
    after it where that one is ``taken`` or holds a model too."""
    candidate, number = DEFAULT_LOG_DIR / scenario, 1
    while candidate == taken or (candidate / MODEL_NAME).exists():
        number += 1
        candidate = DEFAULT_LOG_DIR / f"{scenario}-{number}"
    return candidate


def make_callbacks(
    args: Args,
    stream: StreamWriter,
    run_id: str,
    first_episode: int,
    steps_per_call: int,
    network: NetworkRecord | None = None,
) -> CallbackList:
    """Checkpoints, TensorBoard metrics, the stream, and per-episode lines or a progress bar; with
    ``--keep-best`` (networks), the best policy on held-out episodes (``KeepBestCallback``)."""
    # counted in calls of the VecEnv, each ``steps_per_call`` steps (a network's node agents: one per node)
    every = max(args.checkpoint_freq // steps_per_call, 1)
    callbacks = [
        AtomicCheckpointCallback(
            save_freq=every,
            save_path=str(Path(args.log_dir) / CHECKPOINT_DIR),
            name_prefix=CHECKPOINT_PREFIX,
        ),
        InventoryMetricsCallback(first_episode),
        StreamCallback(stream, run_id, first_episode, TRAJECTORY_EVERY),
    ]
    if network is not None and args.keep_best:
        seeds = range(HELD_OUT_SEED, HELD_OUT_SEED + args.keep_best)
        callbacks.append(
            KeepBestCallback(lambda model: score_network(recorded_agent(model, network), seeds).mean(), every)
        )
    callbacks.append(VerboseCallback(first_episode) if args.verbose else ProgressBarCallback())
    return CallbackList(callbacks)


def train(args: Args) -> Path:
    """Train (or resume) PPO as ``args`` says and return the saved model's path.

    On Ctrl-C the model is saved all the same, then ``TrainingInterrupted`` is raised.
    Raises, before writing anything, ``LogDirTaken`` if ``args.log_dir`` holds another run's model
    (``check_log_dir_free``: checked here, where the folder is written, so that every caller is
    held to it) and ``BadArgument`` if ``args.resume`` cannot be used; ``LogDirBusy`` if another
    run is training in ``args.log_dir``.
    """
    check_log_dir_free(args)
    torch.set_num_threads(TORCH_THREADS)
    tensorboard_log = str(Path(args.log_dir) / TENSORBOARD_DIR)
    setup = new_run(args, tensorboard_log) if args.resume is None else resumed_run(args, tensorboard_log)
    with training_lock(args.log_dir):
        return run_training(args, setup)


def run_training(args: Args, setup: RunSetup) -> Path:
    """``train``'s work once the run is set up and the log directory is its alone."""
    log_dir = Path(args.log_dir)
    model, run_id = setup.model, setup.run_id
    run_config = RunConfig(
        env_config=setup.config,
        scenario=setup.scenario,
        agent=setup.agent,
        agent_base=setup.agent_base,
        hyperparams={**setup.hyperparams, "n_envs": args.n_envs},
        hyperparams_file=None if args.hyperparams is None else str(args.hyperparams),
        seed=args.seed,
        total_timesteps=model.num_timesteps + setup.budget,
        run_id=run_id,
        versions=library_versions(),
        command=("python", "train.py", *args.to_argv()),
        network=setup.network,
    )
    header = {
        "type": "header",
        "run_id": run_id,
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        "resumed": args.resume is not None,
        **run_config.to_dict(provenance=False),  # run_id stays second
    }
    write_run_config(log_dir / RUN_CONFIG_NAME, run_config)
    stream, first_episode = open_stream(log_dir / STREAM_NAME, header)
    callback = make_callbacks(args, stream, run_id, first_episode, setup.env.num_envs, setup.network)

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
