"""A run folder's layout: the names of the files a training run leaves, and its ``run_config.json``
as one typed record (``RunConfig``), the only place its keys are spelled. Light: no torch or SB3
(``agent.trained.load_agent`` loads models)."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory_rl.runs.files import describe_error, write_json_atomic
from inventory_rl.world.config import DEFAULT_SCENARIO, InventoryConfig, Scenario
from inventory_rl.world.network import NetworkConfig

# The files a training run leaves in its log directory.
MODEL_NAME = "real_inventory_model.zip"
STREAM_NAME = "stream_data.json"
CHECKPOINT_DIR = "checkpoints"
RUN_CONFIG_NAME = "run_config.json"
LOCK_NAME = "train.lock"
EXAMPLE_MODEL = Path("logs") / MODEL_NAME  # the demo's model, named where a path is not a model
WHAT_A_MODEL_IS = "a model is the .zip a training run saves"

ORIGINAL_DESCRIPTION = "The original warehouse."  # what runs from before scenarios (no ``scenario``) played


class ModelLoadError(Exception):
    """A model or its run config cannot be used; the message is one line fit to show a user."""


# ---------------------------------------------------------------------------- run_config.json
@dataclass(frozen=True)
class ScenarioRecord:
    """What a run records of its scenario: the name, description, TOML file and ``--set`` values
    it was made from (its config is recorded beside it, as ``RunConfig.env_config``)."""

    name: str = DEFAULT_SCENARIO
    description: str = ""
    path: str = ""  # the TOML file ("" for a config built in code)
    overrides: tuple[str, ...] = ()  # the --set values applied, as given

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioRecord:
        """The record of ``scenario``, as a new run writes it."""
        return cls(scenario.name, scenario.description, scenario.path, tuple(scenario.overrides))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, the ``scenario`` of ``run_config.json``."""
        return {
            "name": self.name,
            "description": self.description,
            "path": self.path,
            "overrides": list(self.overrides),
        }

    @classmethod
    def from_dict(cls, values: Any) -> ScenarioRecord:
        """Inverse of ``to_dict``; missing keys take the defaults, and anything but a mapping
        (no ``scenario`` at all: a run from before scenarios) is the original warehouse."""
        if not isinstance(values, Mapping):
            return cls(description=ORIGINAL_DESCRIPTION)
        return cls(
            name=str(values.get("name", DEFAULT_SCENARIO)),
            description=str(values.get("description", "")),
            path=str(values.get("path", "")),
            overrides=tuple(str(text) for text in values.get("overrides") or ()),
        )


@dataclass(frozen=True)
class NetworkRecord:
    """What a network run records beside the usual: the network it trained on, its agents (``central``
    or ``per-node``), what a node's agent sees of the others (``share``) and is rewarded for (``reward``),
    the rule the agents correct (``base``: name and parameters), and for one seat among co-players,
    the seat and the co-players' rule."""

    network: NetworkConfig
    agents: str = "central"
    share: str = "none"
    reward: str = "shared"
    base: Mapping[str, Any] | None = None
    seat: str | None = None
    co_players: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, the ``network`` of ``run_config.json``."""
        return {
            "config": self.network.to_dict(),
            "agents": self.agents,
            "share": self.share,
            "reward": self.reward,
            "base": None if self.base is None else dict(self.base),
            "seat": self.seat,
            "co_players": self.co_players,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> NetworkRecord:
        """Inverse of ``to_dict``; the network is checked as a network file is."""
        base = values.get("base")
        return cls(
            network=NetworkConfig.from_dict(values["config"]),
            agents=str(values.get("agents", "central")),
            share=str(values.get("share", "none")),
            reward=str(values.get("reward", "shared")),
            base=None if base is None else dict(base),
            seat=None if values.get("seat") is None else str(values["seat"]),
            co_players=None if values.get("co_players") is None else str(values["co_players"]),
        )


@dataclass(frozen=True)
class RunConfig:
    """A training run's ``run_config.json``: everything needed to rebuild or resume it, and to play
    its models. Only ``env_config`` is required; a field that older files lack takes its default
    here, so every reader sees the same run. A stream header carries the same fields (but
    ``versions`` and ``command``): ``training.run`` writes both from one record."""

    env_config: InventoryConfig  # the config it trained on (the training part of a demand file)
    scenario: ScenarioRecord = ScenarioRecord(description=ORIGINAL_DESCRIPTION)
    agent: str = "structured"  # structured or direct
    agent_base: Mapping[str, Any] | None = None  # the rule a structured agent corrects (free mode), if tuned
    hyperparams: Mapping[str, Any] | None = None  # the PPO settings, with n_envs
    hyperparams_file: str | None = None  # the --hyperparams file they were read from
    seed: int | None = None
    total_timesteps: int = 0  # the run's whole budget, from its first timestep
    run_id: str | None = None
    versions: Mapping[str, str] = dataclasses.field(default_factory=dict)  # python and library versions
    command: tuple[str, ...] = ()  # the train.py command line that rebuilds the run
    network: NetworkRecord | None = None  # a network run's network and agents (env_config: its first node's)

    def as_scenario(self) -> Scenario:
        """The scenario the run trained on, with its env config."""
        record = self.scenario
        return Scenario(record.name, record.description, self.env_config, record.path, record.overrides)

    def to_dict(self, provenance: bool = True) -> dict[str, Any]:
        """Plain-JSON form, as ``run_config.json`` holds it; without ``provenance`` (the library
        versions and the command line, which a stream header does not repeat)."""
        values: dict[str, Any] = {
            "scenario": self.scenario.to_dict(),
            "env_config": self.env_config.to_dict(),
            "agent": self.agent,
            "agent_base": None if self.agent_base is None else dict(self.agent_base),
            "hyperparams": None if self.hyperparams is None else dict(self.hyperparams),
            "hyperparams_file": self.hyperparams_file,
            "seed": self.seed,
            "total_timesteps": self.total_timesteps,
            "run_id": self.run_id,
        }
        if self.network is not None:
            values["network"] = self.network.to_dict()
        if provenance:
            values.update(versions=dict(self.versions), command=list(self.command))
        return values

    @classmethod
    def from_dict(cls, values: Any) -> RunConfig:
        """Inverse of ``to_dict`` (also reads a stream header, whose other keys it passes over).
        Missing keys take the defaults; ``ValueError`` (``ScenarioError`` for the env config) or
        ``TypeError`` if ``values`` is not a run config."""
        if not isinstance(values, Mapping):
            raise TypeError(f"expected a JSON object, got {type(values).__name__}")
        if "env_config" not in values:
            raise ValueError("no env_config")
        agent_base, hyperparams = values.get("agent_base"), values.get("hyperparams")
        seed, run_id = values.get("seed"), values.get("run_id")
        return cls(
            env_config=InventoryConfig.from_dict(values["env_config"]),
            scenario=ScenarioRecord.from_dict(values.get("scenario")),
            agent=str(values.get("agent", "structured")),
            agent_base=None if agent_base is None else dict(agent_base),
            hyperparams=None if hyperparams is None else dict(hyperparams),
            hyperparams_file=None if values.get("hyperparams_file") is None else str(values["hyperparams_file"]),
            seed=None if seed is None else int(seed),
            total_timesteps=int(values.get("total_timesteps", 0)),
            run_id=None if run_id is None else str(run_id),
            versions={str(key): str(value) for key, value in dict(values.get("versions") or {}).items()},
            command=tuple(str(part) for part in values.get("command") or ()),
            network=None if values.get("network") is None else NetworkRecord.from_dict(values["network"]),
        )


def write_run_config(path: str | Path, run_config: RunConfig) -> None:
    """Write ``run_config`` to ``path`` (atomically: the dashboard may be reading it)."""
    write_json_atomic(path, run_config.to_dict())


def find_run_config(model_path: str | Path) -> Path:
    """The ``run_config.json`` beside the model or in its parent directory (for checkpoints)."""
    model_path = Path(model_path)
    for folder in (model_path.parent, model_path.parent.parent):
        candidate = folder / RUN_CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ModelLoadError(f"no {RUN_CONFIG_NAME} beside {model_path} or in its parent directory")


def read_run_config(config_path: str | Path) -> RunConfig:
    """The run config in ``config_path``; ``ModelLoadError`` (one line) if missing or broken."""
    try:
        return RunConfig.from_dict(json.loads(Path(config_path).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as error:
        raise ModelLoadError(f"{config_path} is not a valid run config ({describe_error(error)})") from error


def load_run_config(model_path: str | Path) -> RunConfig:
    """The run config of the run that produced ``model_path``."""
    return read_run_config(find_run_config(model_path))


def resolve_model_path(model_path: str | Path) -> Path:
    """The model file, accepting the name without ``.zip`` as SB3 does; ``ModelLoadError`` (one
    line) where there is none, or where the path names something that is not a model at all (a
    folder, or a file that is not a zip archive and not named ``.zip``), so that a mistyped
    ``--model README.md`` hears so rather than about a missing run config. A damaged file named
    ``.zip`` is taken for a model here: loading it says what is wrong with it."""
    path = Path(model_path)
    if not path.is_file() and path.suffix != ".zip" and path.with_suffix(".zip").is_file():
        path = path.with_suffix(".zip")
    if path.is_dir():
        example = path / MODEL_NAME if (path / MODEL_NAME).is_file() else EXAMPLE_MODEL
        raise ModelLoadError(f"{model_path} is a folder, not a model ({WHAT_A_MODEL_IS}, e.g. {example})")
    if not path.is_file():
        raise ModelLoadError(f"no model file at {model_path}")
    if path.suffix != ".zip" and not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{model_path} is not a model ({WHAT_A_MODEL_IS}, e.g. {EXAMPLE_MODEL})")
    return path
