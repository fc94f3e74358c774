"""Train the PPO inventory agent with Stable-Baselines3.

    python train.py --total-timesteps 100000 --verbose
    python train.py --preset heavy
    python train.py --resume logs/checkpoints/inventory_model_50000_steps.zip

A run leaves in ``--log-dir`` (default ``logs``): ``real_inventory_model.zip`` (the final
model, also saved on Ctrl-C), ``checkpoints/``, ``sb3_logs/`` (TensorBoard, with the
inventory metrics under ``inventory/``), ``run_config.json`` (everything needed to rebuild
the env and policy) and ``stream_data.json`` (the JSON Lines stream the dashboard tails).
A folder that holds another run's model is refused unless ``--overwrite`` is given or the run
is a ``--resume`` of that run. The run itself is assembled in ``training.run``; this module is
the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings
from pathlib import Path
from typing import Any

from tqdm import TqdmExperimentalWarning

from inventory_rl.cli.common import CommandParser, ListScenarios, scenario_or_exit
from inventory_rl.runs.layout import (
    CHECKPOINT_DIR,
    ModelLoadError,
    resolve_model_path,
)
from inventory_rl.runs.lock import LogDirBusy
from inventory_rl.training.args import Args, flag_of
from inventory_rl.training.run import TENSORBOARD_DIR, BadArgument, LogDirTaken, TrainingInterrupted, train
from inventory_rl.training.settings import preset_timesteps, run_settings
from inventory_rl.world.config import DEFAULT_SCENARIO
from inventory_rl.world.network import NetworkScenario

EXIT_INTERRUPTED = 130  # the shell's code for a process ended by SIGINT


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``train.py``, one option per field of ``Args``."""
    parser = CommandParser(
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
        if isinstance(default, Path):
            default = str(default)  # argparse passes a string default through the type: --log-dir is checked
        parser.add_argument(flag_of(field), dest=field.name, default=default, **settings)
    parser.add_argument("--list-scenarios", action=ListScenarios)
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> Args:
    """Parse and check the command line; bad values end the process with argparse's exit code 2."""
    namespace = parser.parse_args(argv)
    if namespace.resume is not None:
        try:
            resolve_model_path(namespace.resume)
        except ModelLoadError as error:
            parser.error(f"argument --resume: {error}")
        if namespace.scenario != DEFAULT_SCENARIO or namespace.overrides or namespace.hyperparams:
            parser.error("argument --resume: a resumed run keeps its scenario and settings; drop them")
    else:
        scenario = scenario_or_exit(parser, namespace.scenario, namespace.overrides, networks=True)
        problem = network_options_problem(scenario, namespace)
        if problem:
            parser.error(problem)
        try:
            run_settings(scenario, namespace.agent, namespace.hyperparams)
        except ValueError as error:
            parser.error(f"argument --hyperparams: {error}")
        if namespace.total_timesteps is None and namespace.preset:
            namespace.total_timesteps = preset_timesteps(scenario, namespace.preset)
    return Args(**vars(namespace))


NETWORK_OPTIONS = (  # the options only a network takes: flag, Args field, default
    ("--agents", "agents", "central"),
    ("--share", "share", "none"),
    ("--reward", "reward", "shared"),
    ("--seat", "seat", None),
    ("--keep-best", "keep_best", 0),
)


def network_options_problem(scenario: Any, namespace: argparse.Namespace) -> str | None:
    """Why the network options cannot be used with this scenario (one line), or None."""
    if not isinstance(scenario, NetworkScenario):
        given = [flag for flag, name, default in NETWORK_OPTIONS if getattr(namespace, name) != default]
        return (
            f"argument {given[0]}: only for networks of warehouses; {scenario.name} is one warehouse" if given else None
        )
    if namespace.agent != "structured":
        return "argument --agent: networks have their own agents (--agents central|per-node)"
    if namespace.seat is not None and namespace.seat not in scenario.network.names:
        return f"argument --seat: no node {namespace.seat!r}; the nodes are {', '.join(scenario.network.names)}"
    if namespace.seat is not None and not scenario.network.is_serial:
        return "argument --seat: one seat among co-players is for chains (serial networks, the beer game)"
    if scenario.network.claimants and (namespace.agents != "central" or namespace.seat is not None):
        return (
            "argument --agents: rationing = decided is the central agent's decision (--agents central); "
            "per-node agents decide orders only"
        )
    return None


# ---------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    """The command line: 0 when trained, 2 for bad arguments (one line, nothing written; also for
    a ``--log-dir`` holding another run's model), 130 after Ctrl-C."""
    warnings.filterwarnings("ignore", category=TqdmExperimentalWarning)  # SB3's progress bar uses tqdm.rich
    parser = build_parser()
    args = parse_args(parser, argv)
    try:
        model_path = train(args)
    except BadArgument as error:
        parser.error(f"argument {error.option}: {error}")
    except LogDirBusy as error:
        parser.error(f"{error}; wait for it to finish or choose another --log-dir")
    except LogDirTaken as error:
        parser.error(str(error))
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
