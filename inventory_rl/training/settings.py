"""PPO's settings as data: the agents' defaults with their reasons, the presets' budgets, and the
checks a scenario's ``[train.hyperparams]`` or a ``--hyperparams`` file goes through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inventory_rl.runs.files import describe_error
from inventory_rl.world.config import Scenario
from inventory_rl.world.network import NetworkScenario

# ---------------------------------------------------------------------------- settings
# The one place for PPO's settings, per agent: flat keys, PPO's own keyword arguments plus the
# network's width and its initial exploration noise (``ppo_kwargs`` builds PPO's arguments).
# A scenario's [train.hyperparams] and a --hyperparams file (tune.py's best trial) override them.
PPO_HYPERPARAMS: dict[str, Any] = {  # the structured agent (agent.view.AgentView), each with its reason
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
    # Its rounds (approximate policy iteration): round 1 improves the rule, each later one the network
    # fitted before it. One improvement of the rule is not the optimum (labels 87-90% the optimum's at
    # L = 3, 4 with 100 paths); the lost-sales presets set 5. 0 counts as 1.
    "dcl_rounds": 1,
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
NETWORK_HYPERPARAMS: dict[str, Any] = {  # a network's agents (agent.network_agent): an MlpPolicy correcting a rule
    "n_steps": 128,  # per env and rollout: 2,048 days of 16 networks per update (central)
    "batch_size": 512,
    "n_epochs": 10,
    "learning_rate": 3e-4,
    "gamma": 0.99,  # an order shows in the cost days later, through every stage's lead time
    "gae_lambda": 0.95,
    "log_std_init": -1.0,  # std 0.37 of a correction of up to half a day's demand: enough to move a rounded order
    "net_width": 64,
}
AGENT_HYPERPARAMS = {"structured": PPO_HYPERPARAMS, "direct": DIRECT_HYPERPARAMS}
SETTING_TYPES: dict[str, type] = {  # every setting a scenario or a --hyperparams file may give
    **{key: int for key in ("n_steps", "batch_size", "n_epochs", "net_width", "dcl_paths", "dcl_rounds")},
    **{key: float for key in ("learning_rate", "gamma", "gae_lambda", "clip_range", "ent_coef", "vf_coef")},
    "max_grad_norm": float,
    "log_std_init": float,
}
# Warehouses stepped as one batch: 16 cost the env hardly more than 8 (numpy calls dominate), so
# per timestep it costs half; with 8 envs x 128 steps the quick preset reached 0.8716, with 16 x 64
# (the same 1,024 steps per update) 0.8718 (seed 0, 200 episodes).
DEFAULT_N_ENVS = 16
PRESETS = {"quick": 100_000, "heavy": 1_000_000}
# The episodes a training choice is judged on (an Optuna trial's settings, --keep-best's checkpoints):
# seeds HELD_OUT_SEED + k, which training (0 .. n_envs - 1), evaluate.py (1000 + k) and rule tuning
# (900,000 + k) never play.
HELD_OUT_SEED = 800_000
TORCH_THREADS = 1  # a 64x64 MLP gains nothing from threads; one avoids contention on small machines


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


def preset_timesteps(scenario: Scenario | NetworkScenario, preset: str) -> int:
    """The budget of ``preset`` for ``scenario``: its ``[train]`` table's, else ``PRESETS``'."""
    return int(scenario.train.get(preset, PRESETS[preset]))


def run_settings(scenario: Scenario | NetworkScenario, agent: str, hyperparams: Path | None) -> dict[str, Any]:
    """The PPO settings of a new run: the agent's defaults (a network's: ``NETWORK_HYPERPARAMS``), then
    the scenario's ``[train.hyperparams]`` (for the structured agent and networks, whose presets they
    are), then the ``--hyperparams`` file."""
    networked = isinstance(scenario, NetworkScenario)
    settings = dict(NETWORK_HYPERPARAMS if networked else AGENT_HYPERPARAMS[agent])
    if agent == "structured" or networked:
        settings.update(check_settings(scenario.train.get("hyperparams", {}), f"{scenario.path} [train.hyperparams]"))
    if hyperparams is not None:
        settings.update(read_hyperparams(hyperparams))
        for key in ("dcl_paths", "dcl_rounds"):
            if agent == "direct" and settings.get(key):
                raise ValueError(f"{hyperparams}: {key} teaches the structured agent only (dcl.py), not --agent direct")
    return settings
