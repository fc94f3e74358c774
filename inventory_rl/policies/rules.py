"""The classic inventory rules, as policies on the env's own action space, in every scenario
where they make sense (the interface every policy follows is
``policies.base``).

Every rule decides for a batch of warehouses at once (``decide(obs, known)``, observations
``(batch, size)``) and goes through the env's action encoding (``envs.single.order_action``), so it
faces the same demand and is scored by the same metrics as the agent. ``H`` below is the
scenario's longest lead time, the days an order must cover; an order is judged against the
inventory position (stock plus units in transit). Rates are estimated from the 7-day average,
except where the scenario's rate is fixed and known (``rate_low == rate_high``, no pattern).

| rule              | fill mode (the order is the gap)         | free mode (the order size is decided)             |
|-------------------|------------------------------------------|---------------------------------------------------|
| random            | random fractions (its own generator)     | random fractions and share                        |
| uniform           | the gap split evenly                     | the day's estimated demand, split evenly          |
| proportional      | the gap split by the 7-day average       | each product's 7-day average                      |
| newsvendor        | units one by one to the product most     | order up to the critical-ratio quantile of the    |
|                   | likely to sell them over H days          | demand over H days (``base-stock`` untuned)       |
| oracle            | the newsvendor rule with the true rates  | the same, with the true rates (no file demand)    |
|                   | of the coming H days                     |                                                   |
| base-stock        | order up to quantile ``q`` of H days'     | order up to quantile ``q`` of H days' demand      |
|                   | demand, levels scaled to the capacity    |                                                   |
| capped-base-stock | -                                        | base-stock, but never more than ``cap`` x rate a day|
| constant-order    | -                                        | the same ``factor`` x rate every day               |
| s-S               | -                                        | where ordering has a fixed cost: below ``s`` (the  |
|                   |                                          | quantile ``q``) order up to ``S = s + days`` x rate |
| optimal           | -                                        | the exact optimum (``lost_sales_optimum``)        |

Rules with parameters are tuned by simulation (``policies/rule_tuning.py``); ``make_rule`` builds any of
them, with parameters that may differ per warehouse (for tuning many candidates at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from inventory_rl.envs.single import order_action
from inventory_rl.policies.base import BatchPolicy, Known
from inventory_rl.policies.newsvendor import base_stock_levels, critical_ratio, newsvendor_units
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.observation import Observation

RULES = (
    "random",
    "uniform",
    "proportional",
    "newsvendor",
    "oracle",
    "base-stock",
    "capped-base-stock",
    "constant-order",
    "s-S",
    "optimal",
)
BASELINES = ("random", "uniform", "proportional", "newsvendor", "oracle", "base-stock")  # those of the default
# The oracle reads the hidden rates and the optimum is the target: never the yardstick an agent must beat, for
# one warehouse or a network (network_rules.best_rule).
KNOWING = ("oracle", "optimal")
TUNABLE = {  # a rule's parameters and the value each has untuned
    "base-stock": {"q": None},  # None: the scenario's critical ratio
    "capped-base-stock": {"q": None, "cap": 2.0},
    "constant-order": {"factor": 1.0},
    "s-S": {"q": None, "days": 2.0},
}


class Rule(BatchPolicy):
    """A rule for one scenario, with its parameters (numbers, or one value per warehouse)."""

    def __init__(self, name: str, config: InventoryConfig, parameters: Mapping[str, Any], seed: int = 0):
        self.name, self.config = name, config
        self.parameters = dict(parameters)
        self.days = config.max_lead_time
        self.ratio = critical_ratio(config.holding_cost, config.lost_sale_cost, config.price, config.unit_cost)
        self.rng = np.random.default_rng(seed)
        self.solution = _optimal_solution(config) if name == "optimal" else None
        self.first_rates: np.ndarray | None = None

    def start(self, obs: np.ndarray, known: Known) -> None:
        self.first_rates = estimated_rates(Observation.decode(obs, self.config), self.config)

    def decide(self, obs: np.ndarray, known: Known) -> np.ndarray:
        cfg = self.config
        if self.name == "random":
            return self.rng.random((len(obs), cfg.action_size))
        observation = Observation.decode(obs, cfg)
        return order_action(self.units(observation, known), observation.free_space, cfg)

    def units(self, observation: Observation, known: Known) -> np.ndarray:
        """The rule's order in whole units per product (in fill mode, the proportions in which to
        split the gap), for decoded observations (not for ``random``)."""
        cfg, days, name = self.config, self.days, self.name
        rates = estimated_rates(observation, cfg)
        position = observation.position()
        fill = cfg.order_mode == "fill"
        if name == "uniform":
            if fill:
                return np.ones(rates.shape)
            return _spread(np.rint(rates.sum(axis=-1, keepdims=True)), cfg.n_products)
        if name == "proportional":
            return observation.avg7_demand if fill else np.rint(rates)
        if name in ("newsvendor", "oracle"):
            protected = rates if days == 1 else rates * days  # the demand over the days the order covers
            if name == "oracle":  # the true rates of those days: weekly patterns, trends and shocks included
                protected = known.rates_ahead[:, 0] if days == 1 else known.rates_ahead[:, :days].sum(axis=1)
            if fill:
                return newsvendor_units(position, observation.free_space, protected, days * cfg.max_demand)
            return np.maximum(base_stock_levels(protected, days * cfg.max_demand, self.ratio) - position, 0)
        if name == "optimal":
            return self.solution.orders(solver_state(observation))[:, None]
        if name == "constant-order":
            return np.rint(_column(self.parameters["factor"]) * self.first_rates)
        levels = base_stock_levels(rates * days, days * cfg.max_demand, self._quantile())
        if name == "base-stock":
            if fill:  # the levels scaled so that they fill the capacity, then the gap split towards them
                levels = levels * cfg.capacity / np.maximum(levels.sum(axis=-1, keepdims=True), 1)
            return np.maximum(levels - position, 0)
        if name == "capped-base-stock":
            cap = np.ceil(_column(self.parameters["cap"]) * rates)
            return np.minimum(np.maximum(levels - position, 0), cap)
        up_to = levels + np.ceil(_column(self.parameters["days"]) * rates)  # s-S
        return np.where(position <= levels, up_to - position, 0)

    def _quantile(self) -> np.ndarray | float:
        q = self.parameters.get("q")
        return self.ratio if q is None else np.asarray(q, np.float64)


def _column(value: Any) -> np.ndarray:
    """A parameter as a column: one value per warehouse, applied to every product."""
    return np.asarray(value, np.float64).reshape(-1, 1) if np.ndim(value) else np.float64(value)


def _spread(totals: np.ndarray, n: int) -> np.ndarray:
    """``totals`` (a column) split into ``n`` whole shares, as evenly as possible."""
    return (totals + np.arange(n)[::-1]) // n


def solver_state(observation: Observation) -> np.ndarray:
    """The lost-sales solver's state of one-product warehouses, ``(batch, max(L, 1))``: the stock
    plus what arrives today, then what arrives in 1, 2, ... days (``lost_sales_optimum.py``)."""
    stock, transit = observation.stock[:, :1], observation.in_transit[:, 0]  # (batch, 1), (batch, L)
    if transit.shape[1] == 0:
        return stock
    return np.concatenate([stock + transit[:, :1], transit[:, 1:]], axis=1)


def estimated_rates(observation: Observation, config: InventoryConfig) -> np.ndarray:
    """The rules' estimate of each product's daily demand rate: the 7-day average, or the rate
    itself where the scenario fixes it (``rate_low == rate_high``, no pattern, not a file)."""
    if config.rates_known and config.rate_low == config.rate_high and not config.has_varying_rates:
        return np.full(observation.avg7_demand.shape, config.rate_low)
    return observation.avg7_demand


def applicable(name: str, config: InventoryConfig) -> str | None:
    """None if rule ``name`` makes sense in ``config``'s scenario, else why not (one line)."""
    free = config.order_mode == "free"
    if name == "oracle" and not config.rates_known:
        return "demand comes from a file: there are no hidden rates to know"
    if name in ("capped-base-stock", "constant-order", "s-S", "optimal") and not free:
        return "the order always fills the gap here (order_mode = fill): only its split is decided"
    if name == "s-S" and config.order_cost <= 0:
        return "ordering has no fixed cost (order_cost = 0): s-S is base-stock"
    if name == "optimal" and _optimal_problem(config) is None:
        return "the exact optimum is computed for one product with fixed Poisson demand and lead time <= 5 only"
    return None


def _optimal_problem(config: InventoryConfig) -> Any:
    """The lost-sales problem of ``config``, or None where the solver does not apply."""
    from inventory_rl.policies.lost_sales_optimum import LostSalesProblem

    exact = (
        config.n_products == 1
        and config.order_mode == "free"
        and config.reward_mode == "cost"
        and config.rates_known
        and config.rate_low == config.rate_high
        and config.demand_model == "poisson"
        and not config.has_varying_rates
        and config.lead_time_max in (0, config.lead_time)
        and config.lead_time <= 5
        and config.disruption_prob == 0
        and config.partial_prob == 0
        and config.order_cost == 0
        and config.price == 0
    )
    if not exact:
        return None
    problem = LostSalesProblem(
        lead_time_periods=config.lead_time - 1,
        mean=config.rate_low,
        holding_cost=config.holding_cost,
        lost_sale_cost=config.lost_sale_cost,
        unit_cost=config.unit_cost,
        max_demand=config.max_demand,
    )
    return problem if problem.max_position <= config.capacity else None  # the capacity must not bind


def _optimal_solution(config: InventoryConfig) -> Any:
    from inventory_rl.policies.lost_sales_optimum import solve_cached
    from inventory_rl.runs.files import cache_dir

    problem = _optimal_problem(config)
    if problem is None:
        raise ValueError(f"optimal: {applicable('optimal', config)}")
    return solve_cached(problem, cache_dir("optimal"))


def make_rule(name: str, config: InventoryConfig, seed: int = 0, **parameters: Any) -> Rule:
    """Rule ``name`` for ``config`` (``seed`` drives ``random``); parameters not given take their
    untuned values (``TUNABLE``). ``ValueError`` for an unknown rule or one that does not apply."""
    if name not in RULES:
        raise ValueError(f"unknown rule {name!r}; choose from {', '.join(RULES)}")
    reason = applicable(name, config)
    if reason is not None:
        raise ValueError(f"{name}: {reason}")
    unknown = set(parameters) - set(TUNABLE.get(name, {}))
    if unknown:
        raise ValueError(f"{name} has no parameter {sorted(unknown)[0]!r}")
    return Rule(name, config, {**TUNABLE.get(name, {}), **parameters}, seed)


def make_baseline(name: str, config: InventoryConfig, seed: int = 0) -> Rule:
    """The rule called ``name`` with its untuned parameters (see ``make_rule``)."""
    return make_rule(name, config, seed)
