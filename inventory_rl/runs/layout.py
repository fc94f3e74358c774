"""A run folder's layout: the names of the files a training run leaves, and finding and reading
a model's ``run_config.json``. Light: no torch or SB3 (``agent.trained.load_agent`` loads models)."""

from __future__ import annotations

import json
from pathlib import Path

from inventory_rl.runs.files import describe_error
from inventory_rl.world.config import InventoryConfig

# The files a training run leaves in its log directory.
MODEL_NAME = "real_inventory_model.zip"
STREAM_NAME = "stream_data.json"
CHECKPOINT_DIR = "checkpoints"
RUN_CONFIG_NAME = "run_config.json"
LOCK_NAME = "train.lock"


class ModelLoadError(Exception):
    """A model or its run config cannot be used; the message is one line fit to show a user."""


def find_run_config(model_path: str | Path) -> Path:
    """The ``run_config.json`` beside the model or in its parent directory (for checkpoints)."""
    model_path = Path(model_path)
    for folder in (model_path.parent, model_path.parent.parent):
        candidate = folder / RUN_CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ModelLoadError(f"no {RUN_CONFIG_NAME} beside {model_path} or in its parent directory")


def read_run_config(config_path: str | Path) -> dict:
    """A ``run_config.json`` with a valid ``env_config``; ``ModelLoadError`` if missing or broken."""
    try:
        run_config = json.loads(Path(config_path).read_text(encoding="utf-8"))
        InventoryConfig.from_dict(run_config["env_config"])
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise ModelLoadError(f"{config_path} is not a valid run config ({describe_error(error)})") from error
    return run_config


def load_run_config(model_path: str | Path) -> dict:
    """The run config of the run that produced ``model_path``, with a valid ``env_config``."""
    return read_run_config(find_run_config(model_path))


def resolve_model_path(model_path: str | Path) -> Path:
    """The model file, accepting the name without ``.zip`` as SB3 does."""
    path = Path(model_path)
    if not path.is_file() and path.suffix != ".zip" and path.with_suffix(".zip").is_file():
        path = path.with_suffix(".zip")
    if not path.is_file():
        raise ModelLoadError(f"no model file at {model_path}")
    return path
