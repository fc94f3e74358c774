"""A trained model as a policy on the raw env (``TrainedAgent``), and ``load_agent``, which loads
one with the scenario it was trained on."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from inventory_rl.agent.view import AgentView, make_view, space_differences
from inventory_rl.policies.base import BatchPolicy, Known
from inventory_rl.runs.files import describe_error
from inventory_rl.runs.layout import ModelLoadError, load_run_config, resolve_model_path
from inventory_rl.world.config import InventoryConfig


# ---------------------------------------------------------------------------- playing a model
class TrainedAgent(BatchPolicy):
    """A trained model (anything with SB3's ``predict``) as a policy on the raw env: the same
    interface as the rules (``reset`` then ``act`` each day, for a batch or for one env with its
    ``info``), returning the env's actions. Plays deterministically."""

    name = "ppo"

    def __init__(
        self,
        model: Any,
        config: InventoryConfig,
        agent: str = "structured",
        base: Mapping[str, Any] | None = None,
        view: AgentView | None = None,
    ):
        self.model = model
        self.config = config
        self.kind = agent
        self.view = view or make_view(config, agent, base)  # ``view``: a layout of the agent's own (agent.general)
        self._agent_obs: np.ndarray | None = None
        self._first_day = True

    def start(self, obs: np.ndarray, known: Known) -> None:
        self._agent_obs = self.view.start(obs, known.weekday)
        self._first_day = True

    def decide(self, obs: np.ndarray, known: Known) -> np.ndarray:
        if not self._first_day:  # on day 1 the reset observation is the current one
            self._agent_obs = self.view.observe(obs, known.weekday)
        self._first_day = False
        actions, _ = self.model.predict(self._agent_obs, deterministic=True)
        return self.view.to_env_actions(actions, obs, known.weekday)


def load_agent(model_path: str | Path, config: InventoryConfig | None = None) -> tuple[TrainedAgent, InventoryConfig]:
    """Load a trained PPO model as a policy on the raw env, with the env config it was trained on
    (or ``config``, to play it in another scenario with the same spaces).

    ``ModelLoadError`` (a one-line message) when the file, its run config or the model's
    spaces do not fit; where ``config`` does not, the message names the settings that differ from
    the model's training scenario (``view.space_differences``), which a user can act on.
    """
    from stable_baselines3 import PPO  # deferred: importing SB3 costs a second or two

    path = resolve_model_path(model_path)
    run_config = load_run_config(path)
    trained_on = run_config.env_config
    config = config or trained_on
    try:
        model = PPO.load(path, device="cpu")
    except Exception as error:  # SB3 raises many kinds (zip, pickle, torch, key errors)
        raise ModelLoadError(f"{path} is not a loadable PPO model ({describe_error(error)})") from error
    agent = TrainedAgent(model, config, run_config.agent, run_config.agent_base)
    expected = (agent.view.observation_space.shape, agent.view.action_space.shape)
    found = (model.observation_space.shape, model.action_space.shape)
    if found != expected:
        differences = None if config is trained_on else space_differences(trained_on, config, run_config.agent)
        if differences is None:  # its own run config does not fit it: no setting to name
            where = "the env in its run config" if config is trained_on else "the scenario asked for"
            raise ModelLoadError(f"{path} expects observations/actions of shape {found}, {where} gives {expected}")
        raise ModelLoadError(f"{path} cannot play this scenario: {differences}")
    return agent, config
