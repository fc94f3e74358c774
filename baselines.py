"""Classic inventory rules to measure the agent against.

Every rule acts through the same fractional action space as the agent (``env.step``),
so it faces the same demand and is scored by the same metrics. Fractions can express
any whole-unit split of the gap exactly (see ``newsvendor.units_to_fractions``), so the
rules lose nothing by going through them.

- ``random``: uniform random fractions (its own generator, seeded).
- ``uniform``: the same fraction for every product.
- ``proportional``: the gap split in proportion to the 7-day average demand.
- ``newsvendor``: the capacity-constrained newsvendor rule. Each product's daily demand
  is taken as Poisson with the 7-day average as its rate; starting from the stock on the
  shelf, the gap's units are added one at a time to the product whose next unit is most
  likely to sell, i.e. the largest ``P(D > level)`` with ``D = min(Poisson(rate),
  max_demand)``.
- ``oracle``: the newsvendor rule given the true hidden rates (``info["demand_rates"]``):
  a near-upper bound no policy without that knowledge should beat by much.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from env import InventoryConfig, Observation
from newsvendor import newsvendor_fractions

BASELINES = ("random", "uniform", "proportional", "newsvendor", "oracle")


class Policy(Protocol):
    """What ``evaluate.play_episode`` needs from a policy (the agent and every rule).

    ``reset`` gets the observation and info of ``env.reset``; ``act`` is called once a
    day with the current observation and the info of the previous step (the reset info
    on day 1) and returns fractions for ``InventoryEnv.step``.
    """

    name: str

    def reset(self, obs: np.ndarray, info: dict) -> None: ...

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray: ...


def as_env_action(fractions: np.ndarray, config: InventoryConfig) -> np.ndarray:
    """The env's action for a split of the gap: in free mode, ordering the whole gap."""
    return np.append(fractions, 1.0) if config.order_mode == "free" else fractions


class RandomPolicy:
    """Uniform random fractions from its own generator, reproducible by seed."""

    name = "random"

    def __init__(self, config: InventoryConfig, seed: int = 0):
        self.config = config
        self.rng = np.random.default_rng(seed)

    def reset(self, obs: np.ndarray, info: dict) -> None:
        """Nothing to remember between days."""

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        return as_env_action(self.rng.random(self.config.n_products), self.config)


class UniformPolicy:
    """The same fraction for every product: the gap split evenly."""

    name = "uniform"

    def __init__(self, config: InventoryConfig):
        self.fractions = as_env_action(np.ones(config.n_products), config)

    def reset(self, obs: np.ndarray, info: dict) -> None:
        """Nothing to remember between days."""

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        return self.fractions.copy()


class ProportionalPolicy:
    """The gap split in proportion to each product's 7-day average demand.

    This is what the original project says the agent learns. Without any demand in
    the last 7 days the gap is split evenly.
    """

    name = "proportional"

    def __init__(self, config: InventoryConfig):
        self.config = config

    def reset(self, obs: np.ndarray, info: dict) -> None:
        """Nothing to remember between days."""

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        avg7 = Observation.decode(obs, self.config).avg7_demand
        top = avg7.max()
        return as_env_action(avg7 / top if top > 0 else np.ones(self.config.n_products), self.config)


class NewsvendorPolicy:
    """The capacity-constrained newsvendor rule with rates estimated from the 7-day average."""

    name = "newsvendor"

    def __init__(self, config: InventoryConfig):
        self.config = config

    def reset(self, obs: np.ndarray, info: dict) -> None:
        """Nothing to remember between days."""

    def rates(self, observation: Observation, info: dict) -> np.ndarray:
        """Estimated daily demand rate per product: the 7-day average in units."""
        return observation.avg7_demand

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        observation = Observation.decode(obs, self.config)
        rates = self.rates(observation, info)
        fractions = newsvendor_fractions(observation.stock, int(observation.free_space), rates, self.config.max_demand)
        return as_env_action(fractions, self.config)


class OraclePolicy(NewsvendorPolicy):
    """The newsvendor rule given the true hidden demand rates: a near-upper bound."""

    name = "oracle"

    def rates(self, observation: Observation, info: dict) -> np.ndarray:
        """The true rates, which the env reveals in every info (for evaluation only)."""
        return info["demand_rates"]


def make_baseline(name: str, config: InventoryConfig, seed: int = 0) -> Policy:
    """The rule called ``name`` (one of ``BASELINES``) for ``config``; ``seed`` drives ``random``."""
    if name == "random":
        return RandomPolicy(config, seed)
    rules = {
        "uniform": UniformPolicy,
        "proportional": ProportionalPolicy,
        "newsvendor": NewsvendorPolicy,
        "oracle": OraclePolicy,
    }
    if name not in rules:
        raise ValueError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")
    return rules[name](config)
