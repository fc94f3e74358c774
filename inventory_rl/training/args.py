"""``Args``: one training run's arguments, a dataclass whose fields are also ``train.py``'s options
(``cli.train`` builds the parser from them; benchmarks and tests build ``Args`` directly)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory_rl.cli.common import (
    DEFAULT_LOG_DIR,
    SCENARIO_HELP,
    SEED_HELP,
    SEED_TYPE,
    SET_HELP,
    bounded_int,
    directory_path,
)
from inventory_rl.training.settings import AGENT_HYPERPARAMS, DEFAULT_N_ENVS, PRESETS
from inventory_rl.world.config import DEFAULT_SCENARIO


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
        type=bounded_int(1),
    )
    seed: int = option(0, SEED_HELP, type=SEED_TYPE)  # the other commands: cli.common.add_shared_arguments
    n_envs: int = option(DEFAULT_N_ENVS, "parallel envs", type=bounded_int(1, 256))
    log_dir: Path = option(DEFAULT_LOG_DIR, "output directory", type=directory_path, metavar="DIR")
    checkpoint_freq: int = option(
        10_000, "save a checkpoint every this many environment steps, whatever --n-envs is", type=bounded_int(1)
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
        "structured: the agent of inventory_rl.agent (features, rule-based action decoding, low-noise training"
        " signal); "
        "direct: plain PPO on the env's own observation, action space and reward",
        choices=sorted(AGENT_HYPERPARAMS),
    )
    hyperparams: Path | None = option(
        None, "JSON file of PPO settings (e.g. tune.py's best trial) over the defaults", type=Path, metavar="FILE"
    )
    agents: str = option(
        "central",
        "networks only: central, one agent for the whole network; per-node, one agent per node sharing one policy",
        choices=("central", "per-node"),
    )
    share: str = option(
        "none",
        "networks, per-node agents: what a node's agent sees of the others: none, downstream (its customers' "
        "demand below it) or all (every node's state; its agent then corrects echelon base-stock)",
        choices=("none", "downstream", "all"),
    )
    reward: str = option(
        "shared",
        "networks, per-node agents: each agent's reward is its node's cost (local) or the network's (shared)",
        choices=("local", "shared"),
    )
    seat: str | None = option(
        None,
        "networks: train one node's agent (e.g. wholesaler; it sees its own node, as per-node agents do) while the "
        "others follow --co-players",
        metavar="NODE",
    )
    co_players: str = option(
        "sterman", "with --seat: the rule the other nodes follow", choices=("sterman", "base-stock")
    )
    keep_best: int = option(
        0,
        "networks: every --checkpoint-freq steps, play the agents on this many held-out episodes (seeds 800,000 + k, "
        "never trained or evaluated on) and save the best of them as the model, not the last; 0: the last",
        type=bounded_int(0, 10_000),
        metavar="EPISODES",
    )
    overwrite: bool = option(
        False,
        "train into --log-dir although it holds another run's model, replacing that run's model, run config and "
        "stream (its checkpoints and TensorBoard curves stay beside the new run's); without it train.py refuses",
    )

    def __post_init__(self) -> None:
        self.overrides = tuple(self.overrides or ())

    def to_argv(self) -> list[str]:
        """The ``train.py`` arguments that reproduce this run. ``--overwrite`` is left out: it changes
        nothing in the run, and a recorded command run again must not replace a run unasked."""
        argv = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "overwrite":
                continue
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
