"""Tune PPO's settings with Optuna: one study, shared by as many workers as you start.

    python tune.py --scenario default --n-trials 20
    python tune.py --scenario default --n-trials 40 --storage postgresql://tuner@db-host/tuning   # on every machine

What a trial does and how workers share a study: ``training.tuning``. Bad arguments (an unknown
scenario, a storage that cannot be reached, a study made for another scenario, ...) are a
one-line error with exit code 2, before anything is written.
"""

from __future__ import annotations

import argparse
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from inventory_rl.cli.common import CommandParser, add_shared_arguments, bounded_int, scenario_or_exit
from inventory_rl.runs.studies import STORAGE_NAME, StorageError, default_url, shown_url
from inventory_rl.training.settings import (
    AGENT_HYPERPARAMS,
    DEFAULT_N_ENVS,
    HELD_OUT_SEED,
    preset_timesteps,
)
from inventory_rl.training.tuning import (
    GRACE_HEARTBEATS,
    MAX_RETRIES,
    Objective,
    default_study_name,
    describe_search_space,
    export_best,
    find_study_attrs,
    format_params,
    mismatch,
    n_finished,
    open_study,
    run_worker,
    study_attrs,
    trial_counts,
)


def check_study(parser: argparse.ArgumentParser, url: str, name: str, existing: dict[str, Any], wanted: dict) -> None:
    """A one-line usage error (exit code 2) if study ``name`` was made for another command."""
    difference = mismatch(existing, wanted)
    if difference:
        parser.error(
            f"argument --study-name: study {name!r} in {shown_url(url)} {difference}; choose another --study-name"
        )


# ---------------------------------------------------------------------------- reports


def print_summary(study: optuna.Study, best: FrozenTrial | None, export: Path, args: argparse.Namespace) -> None:
    """The study's trials by state, its best score and settings, and how to train with them."""
    counts = trial_counts(study)
    print(
        f"Study {study.study_name!r}: {counts[TrialState.COMPLETE]} complete, {counts[TrialState.PRUNED]} pruned, "
        f"{counts[TrialState.FAIL]} failed, {counts[TrialState.RUNNING]} running, {counts[TrialState.WAITING]} waiting."
    )
    if best is None:
        print("No trial has completed yet: nothing exported.")
        return
    print(f"Best: trial {best.number}, {study.user_attrs['metric']} {best.value:.6g} ({study.direction.name.lower()})")
    print(f"Settings: {format_params(best.user_attrs['settings'])}")
    command = ["python", "train.py", "--scenario", args.scenario]
    command += [item for override in args.overrides or () for item in ("--set", override)]
    command += ["--agent", args.agent, "--n-envs", str(args.n_envs), "--seed", str(args.seed)]
    command += ["--hyperparams", str(export)]
    print(f"Exported to {export}; train with: {' '.join(command)}")


# ---------------------------------------------------------------------------- command line
def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``tune.py``."""
    parser = CommandParser(
        prog="tune.py",
        description="Tune PPO's settings with Optuna (TPE sampler, median pruner); every worker started with the "
        "same command works on the same study. The best settings go to a file for train.py --hyperparams.",
        epilog=describe_search_space(),
    )
    add_shared_arguments(
        parser,
        seed_help="seeds the sampler (with each trial's number) and every trial's training, as train.py --seed",
        log_dir_help="folder of the default SQLite storage and of the export",
    )
    parser.add_argument(
        "--agent",
        default="structured",
        choices=sorted(AGENT_HYPERPARAMS),
        help="the agent to tune, as train.py's --agent (default: structured)",
    )
    parser.add_argument(
        "--n-trials",
        type=bounded_int(1),
        required=True,
        metavar="N",
        help="the study's total of finished (complete or pruned) trials, shared by all its workers; "
        "a larger N later continues the study",
    )
    parser.add_argument("--timeout", type=_positive_float, metavar="S", help="start no trial after S seconds")
    parser.add_argument(
        "--trial-timesteps",
        type=bounded_int(1),
        metavar="T",
        help="environment steps each trial trains (default: the scenario's quick preset, 100,000 for most)",
    )
    parser.add_argument(
        "--n-envs",
        type=bounded_int(1, 256),
        default=DEFAULT_N_ENVS,
        metavar="K",
        help=f"parallel envs per trial, as train.py's (default: {DEFAULT_N_ENVS})",
    )
    parser.add_argument(
        "--eval-episodes",
        type=bounded_int(1),
        default=100,
        metavar="E",
        help=f"episodes each score plays, seeds {HELD_OUT_SEED} to {HELD_OUT_SEED} + E - 1 (default: 100)",
    )
    parser.add_argument(
        "--study-name", metavar="NAME", help="default: inventory-<scenario>[-<agent> unless structured][-<each --set>]"
    )
    parser.add_argument(
        "--storage",
        metavar="URL",
        help=f"SQLAlchemy URL of the study's database, e.g. postgresql://user@host/db (default: "
        f"sqlite:///LOG_DIR/{STORAGE_NAME})",
    )
    parser.add_argument(
        "--export",
        type=Path,
        metavar="FILE",
        help="where to write the best settings (default: LOG_DIR/best_hyperparams_<study name>.json)",
    )
    parser.add_argument(
        "--heartbeat",
        type=bounded_int(1),
        default=30,
        metavar="S",
        help=f"a running trial records a heartbeat every S seconds; one silent for {GRACE_HEARTBEATS} x S is marked "
        f"failed and run again, up to {MAX_RETRIES} times (default: 30)",
    )
    return parser


def check_export_path(parser: argparse.ArgumentParser, export: Path) -> None:
    """An export file that can be written (checked before anything is; ``--log-dir`` is by its type)."""
    if export.is_dir():
        parser.error(f"argument --export: {export} is a directory")


def safe_file_name(text: str) -> str:
    """``text`` with every character that is not safe in a file name replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9._=+-]", "_", text)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: 0 when at least one trial of the study has completed (and its best is
    exported), 1 if none has, 2 for bad arguments, 130 after Ctrl-C (the best trial so far is
    exported all the same)."""
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # tune.py prints its own line per trial
    parser = build_parser()
    args = parser.parse_args(argv)
    scenario = scenario_or_exit(parser, args.scenario, args.overrides)
    args.trial_timesteps = args.trial_timesteps or preset_timesteps(scenario, "quick")
    args.study_name = args.study_name or default_study_name(scenario.name, args.agent, args.overrides or ())
    args.export = args.export or args.log_dir / f"best_hyperparams_{safe_file_name(args.study_name)}.json"
    url = args.storage or default_url(args.log_dir)
    check_export_path(parser, args.export)
    attrs = study_attrs(scenario, args)
    try:
        existing = find_study_attrs(url, args.study_name)
    except StorageError as error:
        parser.error(f"argument --storage: {error}")
    check_study(parser, url, args.study_name, existing, attrs)

    study = open_study(url, args.study_name, attrs, args.seed, args.heartbeat)
    check_study(parser, url, args.study_name, study.user_attrs, attrs)  # a worker of another command was quicker
    objective = Objective(scenario, args)
    counts = trial_counts(study)
    print(
        f"Study {args.study_name!r} (id {study._study_id}) in {shown_url(url)}: "
        f"{n_finished(counts)} of {args.n_trials} trials finished. Worker {objective.worker} "
        f"scores {attrs['metric']} ({attrs['direction']}) on {args.eval_episodes} episodes after "
        f"{args.trial_timesteps:,} timesteps ({args.n_envs} envs, seed {args.seed}).",
        flush=True,
    )
    interrupted = False
    try:
        run_worker(study, objective, args.timeout)
    except KeyboardInterrupt:
        print("\nInterrupted (a trial this worker was running is marked failed); the same command continues the study.")
        interrupted = True
    best = export_best(study, args.export, url)
    print_summary(study, best, args.export, args)
    return 130 if interrupted else 0 if best is not None else 1
