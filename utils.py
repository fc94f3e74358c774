"""The run folder's files, as older code imported them (the design card's ``utils.py``).

They live in ``inventory_rl.runs``: ``layout`` (file names, the run config, finding a model),
``stream`` (the JSON Lines stream the dashboard tails), ``lock`` (one run per folder) and
``files`` (atomic writes, caches). New code imports from there.
"""

from inventory_rl.runs.files import atomic_writer, cache_dir, describe_error, write_json_atomic
from inventory_rl.runs.layout import (
    CHECKPOINT_DIR,
    LOCK_NAME,
    MODEL_NAME,
    RUN_CONFIG_NAME,
    STREAM_NAME,
    ModelLoadError,
    find_run_config,
    load_run_config,
    read_run_config,
    resolve_model_path,
)
from inventory_rl.runs.lock import LogDirBusy, training_lock
from inventory_rl.runs.stream import (
    EPISODE_FIGURES,
    TRAJECTORY_FIELDS,
    StreamReader,
    StreamWriter,
    episode_record,
    trajectory_fields,
)

__all__ = [
    "CHECKPOINT_DIR",
    "EPISODE_FIGURES",
    "LOCK_NAME",
    "MODEL_NAME",
    "RUN_CONFIG_NAME",
    "STREAM_NAME",
    "TRAJECTORY_FIELDS",
    "LogDirBusy",
    "ModelLoadError",
    "StreamReader",
    "StreamWriter",
    "atomic_writer",
    "cache_dir",
    "describe_error",
    "episode_record",
    "find_run_config",
    "load_run_config",
    "read_run_config",
    "resolve_model_path",
    "training_lock",
    "trajectory_fields",
    "write_json_atomic",
]
