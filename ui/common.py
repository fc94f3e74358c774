"""What the pages share: the log directory and its config, the models in it (loaded once per
file version for every session), and the metric cards."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import streamlit as st

from agent import TrainedAgent, load_agent
from baselines import Policy
from env import InventoryConfig
from ui.history import Metric
from utils import CHECKPOINT_DIR, MODEL_NAME, RUN_CONFIG_NAME, ModelLoadError, read_run_config

TRAIN_COMMAND = "`python train.py --preset quick` (or `run_quick.sh` / `run_quick.bat`)"
START_TRAINING_HINT = f"Start a training run in another terminal with {TRAIN_COMMAND}: this page follows it live."
TRAIN_MODEL_HINT = f"Train one with {TRAIN_COMMAND}."


# ---------------------------------------------------------------------------- the log directory
def resolve_log_dir(argv: Sequence[str], environ: Mapping[str, str]) -> Path:
    """The log directory: ``--log-dir`` in ``argv``, else ``INVENTORY_LOG_DIR``, else ``logs``.

    Streamlit hands the arguments after ``--`` to the script as ``sys.argv[1:]``; unknown
    ones are ignored. A ``--log-dir`` without a value raises ``argparse.ArgumentError``.
    """
    parser = argparse.ArgumentParser(prog="dashboard.py", add_help=False, exit_on_error=False)
    parser.add_argument("--log-dir")
    known, _ = parser.parse_known_args(list(argv))
    return Path(known.log_dir or environ.get("INVENTORY_LOG_DIR") or "logs")


def current_log_dir() -> Path:
    """This app's log directory, from its command line and environment (see ``resolve_log_dir``)."""
    return resolve_log_dir(sys.argv[1:], os.environ)


def log_dir_config(log_dir: Path) -> InventoryConfig:
    """The env config of the run in ``log_dir`` (its ``run_config.json``), else the default one."""
    try:
        return InventoryConfig.from_dict(read_run_config(log_dir / RUN_CONFIG_NAME)["env_config"])
    except ModelLoadError:  # no run yet, or an unreadable config
        return InventoryConfig()


def available_models(log_dir: Path) -> list[Path]:
    """The final model first (if any), then the checkpoints, oldest to newest by timesteps."""

    def timesteps(path: Path) -> tuple[int, str]:
        numbers = re.findall(r"\d+", path.stem)  # SB3 names them PREFIX_<steps>_steps.zip
        return (int(numbers[-1]) if numbers else -1, path.name)

    final = [log_dir / MODEL_NAME] if (log_dir / MODEL_NAME).is_file() else []
    return final + sorted((log_dir / CHECKPOINT_DIR).glob("*.zip"), key=timesteps)


# ---------------------------------------------------------------------------- models
@st.cache_resource(show_spinner="Loading the model...", max_entries=4)
def cached_agent(path: str, modified: float) -> tuple[TrainedAgent, InventoryConfig]:
    """The SB3 model and env config at ``path``; the modification time makes a rewritten file reload.

    Only the model is shared between sessions: every use wraps it in a fresh ``TrainedAgent``
    (see ``fresh_agent``), which holds per-episode state.
    """
    return load_agent(path)


def fresh_agent(path: Path) -> tuple[Policy, InventoryConfig]:
    """A new policy for the model at ``path``; raises ``ModelLoadError`` with a one-line message."""
    try:
        modified = path.stat().st_mtime
    except OSError as error:
        raise ModelLoadError(f"cannot read model {path}: {error.strerror or error}") from None
    agent, config = cached_agent(str(path), modified)
    return TrainedAgent(agent.model, config), config


# ---------------------------------------------------------------------------- cards
def draw_metrics(metrics: Sequence[Metric], per_row: int = 4) -> None:
    """Metric cards in rows of ``per_row``."""
    for start in range(0, len(metrics), per_row):
        for column, metric in zip(st.columns(per_row), metrics[start : start + per_row], strict=False):
            column.metric(
                metric.label,
                metric.value,
                metric.delta,
                delta_color=metric.delta_color,
                help=metric.help,
                border=True,
                height="stretch",
                chart_data=metric.sparkline,
                chart_type="area",
            )
