"""How PPO sees the warehouse, the one place that says so: the agent's features, its actions
decoded into env actions, and the training signal.

``envs.single`` stays faithful to the original design (fractions in [0, 1], six features per
product). PPO learns better with a symmetric action box, a few derived features and a
low-noise training signal, so ``AgentView`` translates between the two for a batch of
warehouses at once, and ``training_reward`` / ``projected_reward`` are what PPO maximises.
``DirectView`` is the env as it is, for plain PPO (``--agent direct``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
from gymnasium import spaces

from inventory_rl.envs.single import InventoryEnv, order_action
from inventory_rl.policies.base import Known
from inventory_rl.policies.newsvendor import demand_survival, expected_sales_table, newsvendor_units
from inventory_rl.policies.rule_tuning import best_rule
from inventory_rl.policies.rules import Rule, estimated_rates, make_rule
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.observation import AVG7_DEMAND, YESTERDAY_DEMAND, Observation
from inventory_rl.world.warehouses import Day, Warehouses

LOST_UNIT_COST = 0.1  # the env's -100 points per lost unit, scaled to PPO's preferred ~1


class AgentView:
    """The agent's view of a batch of warehouses of one scenario.

    **Features**, per product (one row each, so one network serves every product): the env's
    own features (``Observation``), the mean demand over every day seen so far (the history
    days plus the episode's: a better rate estimate than the 7-day average as the episode goes
    on), the day as a fraction of the episode and, where demand depends on the weekday, the
    next day's weekday (one-hot).

    **Action**: one number in [-1, 1] per product: a correction to a classic rule, so that an
    action of zero is exactly that rule, where PPO starts, and the whole gain over it is learned.
    In ``fill`` mode (the order is the gap) it corrects the newsvendor rule's demand-rate
    estimate, ``rate = 7-day average * exp(rate_range * action)``, and the order is the
    capacity-constrained newsvendor allocation of the gap for those rates (on the inventory
    position, over the lead time): what it learns is when to trust other evidence (the
    episode-long mean, yesterday, the day, the weekday) over the 7-day average. In ``free`` mode
    (the order size is decided) it moves the order of the scenario's best tuned rule
    (``rule_tuning.best_rule``: s-S where orders have a fixed cost, capped base-stock in the
    lost-sales family, ...) by up to ``order_range`` x the product's daily rate (at least one
    unit); the agent then also sees that rule's order and the inventory position.

    **Training signal** (``training_reward``): where demand comes from hidden rates, the
    *expected* cost of the day's shelf under the true rates of that day (for the original
    reward, the expected lost sales at 0.1 per unit), which the simulator knows and the agent
    never sees: the same as the env's reward in expectation, without the day's demand noise.
    Where every order lands a fixed number of nights later (``projects``: ``lead-time``, the
    lost-sales family), the expected cost of the day each order lands instead
    (``projected_reward``), so that an order is credited with the day it decides. Where demand
    comes from a file there are no rates: the day's actual lost sales (or cost).

    **Before PPO**, in the lost-sales family (``dcl.improvable``), the network is first taught the
    base rule improved by rollouts (Deep Controlled Learning, ``dcl.py``; the setting ``dcl_paths``):
    there PPO alone settles on the rule itself.
    """

    rate_range = 0.5  # exp(+-0.5): rates between 0.61x and 1.65x the 7-day average
    order_range = 0.6  # free mode: orders move by up to 0.6 x the daily rate

    def __init__(self, config: InventoryConfig, base: Mapping[str, Any] | None = None):
        self.config = config
        n = config.n_products
        self.env_features = Warehouses(config, 1).n_features
        self.base: dict[str, Any] | None = None  # free mode: {"rule": name, "parameters": {...}}
        self.rule: Rule | None = None  # free mode: that rule, the one the actions correct
        if config.order_mode == "free":
            if base is None:
                best = best_rule(config)
                base = {"rule": best.rule, "parameters": best.parameters}
            self.base = {"rule": base["rule"], "parameters": dict(base["parameters"])}
            self.rule = make_rule(self.base["rule"], config, **self.base["parameters"])
        self.calendar_at = self.env_features + 2  # where the weekday (one-hot) starts, if any
        self.order_at = self.calendar_at + (7 if config.has_calendar else 0)  # free mode: rule's order, position
        self.features = self.order_at + (2 if self.base else 0)
        self.observation_space = spaces.Box(-np.inf, np.inf, (n * self.features,), np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (n,), np.float32)
        self._demand_sum = np.zeros((1, n))
        self._decoded: tuple[np.ndarray, Observation] | None = None
        self._based: tuple[np.ndarray, np.ndarray] | None = None
        self._days_seen = 0
        self._day = 0

    def decode(self, obs: np.ndarray) -> Observation:
        """``Observation.decode``, once per observation (each is read twice: seen, then acted on)."""
        if self._decoded is None or self._decoded[0] is not obs:
            self._decoded = (obs, Observation.decode(obs, self.config))
        return self._decoded[1]

    def _base_units(self, obs: np.ndarray, weekday: np.ndarray | None) -> np.ndarray:
        """Free mode: the base rule's order for ``obs``, once per observation."""
        if self._based is None or self._based[0] is not obs:
            self._based = (obs, self.rule.units(self.decode(obs), Known(self._day, weekday, None)))
        return self._based[1]

    def start(self, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        """Start an episode from the env's first observations ``(batch, env size)``."""
        if self.base:
            self.rule.start(obs, Known(0, weekday, None))
        self._days_seen = self.config.history_days
        # Demand is whole units: rounding undoes the observation's float32 scaling exactly.
        self._demand_sum = np.rint(self.decode(obs).avg7_demand * self._days_seen)
        self._day = 0
        return self._features(obs, weekday)

    def observe(self, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        """The agent's observations after a step; adds yesterday's demand to the running mean."""
        self._demand_sum = self._demand_sum + self.decode(obs).yesterday_demand
        self._days_seen += 1
        self._day += 1
        return self._features(obs, weekday)

    def typical_features(self, obs: np.ndarray) -> np.ndarray:
        """The features of warehouses in the states of ``obs`` as the agent would see them mid-episode
        on a typical day, so that its order depends on the state alone (``dcl.Player``'s rollouts):
        yesterday's demand, the 7-day and the running mean are the scenario's fixed rate, the day
        half the episode."""
        cfg = self.config
        reader = type(self)(cfg, self.base)
        reader.start(obs)
        rows = reader._rows(obs, None)
        rate = cfg.rate_low / cfg.max_demand
        rows[..., YESTERDAY_DEMAND] = np.rint(cfg.rate_low) / cfg.max_demand
        rows[..., [AVG7_DEMAND, reader.env_features]] = rate
        rows[..., reader.env_features + 1] = 0.5
        return reader._layout(rows)

    def _features(self, obs: np.ndarray, weekday: np.ndarray | None) -> np.ndarray:
        return self._layout(self._rows(obs, weekday))

    def _layout(self, rows: np.ndarray) -> np.ndarray:
        """The agent's observation from the per-product rows ``(batch, n, features)``: the rows one after another."""
        return rows.reshape(len(rows), -1)

    def _rows(self, obs: np.ndarray, weekday: np.ndarray | None) -> np.ndarray:
        """Each product's row of features, ``(batch, n, features)`` (see the class docstring)."""
        cfg = self.config
        batch, n = len(obs), cfg.n_products
        rows = np.empty((batch, n, self.features), np.float32)
        rows[..., : self.env_features] = obs.reshape(batch, n, self.env_features)
        rows[..., self.env_features] = self._demand_sum / (self._days_seen * cfg.max_demand)
        rows[..., self.env_features + 1] = self._day / cfg.episode_days
        if cfg.has_calendar:
            rows[..., self.calendar_at : self.order_at] = np.eye(7, dtype=np.float32)[np.asarray(weekday)][:, None, :]
        if self.base:
            observation = self.decode(obs)
            rows[..., self.order_at] = self._base_units(obs, weekday) / cfg.max_demand
            rows[..., self.order_at + 1] = observation.position() / cfg.max_demand
        return rows

    def correction_steps(self, observation: Observation) -> np.ndarray:
        """Free mode: the units an action of 1 moves the base rule's order by, per product."""
        return np.maximum(self.order_range * estimated_rates(observation, self.config), 1.0)

    def to_env_actions(self, actions: np.ndarray, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        """Env actions ``(batch, action size)`` from the agent's actions and the env observations."""
        cfg = self.config
        observation = self.decode(obs)
        actions = np.clip(actions, -1.0, 1.0)
        if self.base:  # the best rule's order, moved
            correction = np.rint(self.correction_steps(observation) * actions)
            units = np.maximum(self._base_units(obs, weekday) + correction, 0)
            return order_action(units, observation.free_space, cfg)
        # the newsvendor rule's own estimate (the 7-day average, or the scenario's fixed rate), corrected
        rates = estimated_rates(observation, cfg) * np.exp(self.rate_range * actions)
        position = observation.position()
        days = cfg.max_lead_time  # the order must cover the demand until the next one arrives
        protected = rates if days == 1 else rates * days
        units = newsvendor_units(position, observation.free_space, protected, days * cfg.max_demand)
        return order_action(units, observation.free_space, cfg).astype(np.float32)  # as the first agent sent them

    def reward(self, day: Day, sales_table: np.ndarray | None) -> np.ndarray:
        """The training signal of a day, ``training_reward`` (``AgentVecEnv`` uses
        ``projected_reward`` instead where orders land a fixed number of days later)."""
        return training_reward(self.config, day, sales_table)


class DirectView:
    """The env as it is, for plain PPO (``train.py --agent direct``, the original design): the
    env's own observation, action space and reward, no features, decoding or training signal
    added, so what the structure of ``AgentView`` adds can be measured."""

    def __init__(self, config: InventoryConfig):
        env = InventoryEnv(config)
        self.config, self.base = config, None
        self.observation_space, self.action_space = env.observation_space, env.action_space

    def start(self, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        return obs

    def observe(self, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        return obs

    def to_env_actions(self, actions: np.ndarray, obs: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
        return actions

    def reward(self, day: Day, sales_table: np.ndarray | None) -> np.ndarray:
        """The env's own reward, in its points or money (``sales_table`` is None: not needed)."""
        return day.reward


def make_view(
    config: InventoryConfig, agent: str = "structured", base: Mapping[str, Any] | None = None
) -> AgentView | DirectView:
    """How agent ``agent`` (``structured`` or ``direct``) sees ``config``'s warehouses (``base``: the
    rule a structured agent corrects in free mode, as a run recorded it; chosen afresh if None)."""
    return DirectView(config) if agent == "direct" else AgentView(config, base)


class SpaceSetting(NamedTuple):
    """A fact of a config that sizes the agent's observation or action (see ``AgentView.__init__``
    and ``DirectView``), the settings it comes from, and what a different value changes."""

    size: Callable[[InventoryConfig], Any]  # the fact: equal facts, equal sizes
    keys: tuple[str, ...]  # the settings behind it, as a scenario file or --set names them
    more: str  # what asking for more (or for it at all) changes, after "which"
    less: str  # what asking for less (or not at all) changes
    agents: tuple[str, ...] = ("structured", "direct")  # the agents whose spaces it sizes


SPACE_SETTINGS = (
    SpaceSetting(
        lambda c: c.n_products,
        ("n_products",),
        "changes the number of products",
        "changes the number of products",
    ),
    SpaceSetting(
        lambda c: c.transit_slots,
        ("lead_time", "lead_time_max"),
        "adds in-transit features",
        "drops the in-transit features",
    ),
    SpaceSetting(
        lambda c: c.has_calendar,
        ("demand_model", "weekly"),
        "adds weekday features",
        "drops the weekday features",
        ("structured",),
    ),
    SpaceSetting(
        lambda c: c.order_mode == "free",
        ("order_mode",),
        "adds the base rule's order and the inventory position to the features",
        "drops the base rule's order and the inventory position from the features",
        ("structured",),
    ),
    SpaceSetting(
        lambda c: c.order_mode == "free",
        ("order_mode",),
        "adds the share of the gap to the action",
        "drops the share of the gap from the action",
        ("direct",),
    ),
)


def space_differences(trained: InventoryConfig, asked: InventoryConfig, agent: str = "structured") -> str | None:
    """Why an ``agent`` trained on ``trained`` cannot play ``asked``, in settings rather than tensor
    shapes: each setting that sizes the agent's features or actions and differs, with both values,
    and what the difference changes, e.g. "trained with lead_time=1; this scenario has lead_time=3,
    which adds in-transit features". None where no such setting differs (the same spaces)."""
    mine, theirs, effects = [], [], []
    for setting in SPACE_SETTINGS:
        if agent not in setting.agents or setting.size(trained) == setting.size(asked):
            continue
        keys = [key for key in setting.keys if _setting_differs(key, trained, asked)] or list(setting.keys)
        mine += [f"{key}={_shown(getattr(trained, key))}" for key in keys]
        theirs += [f"{key}={_shown(getattr(asked, key))}" for key in keys]
        effects.append(setting.more if setting.size(asked) > setting.size(trained) else setting.less)
    if not effects:
        return None
    return f"trained with {_and(mine)}; this scenario has {_and(theirs)}, which {_and(effects)}"


def _setting_differs(key: str, trained: InventoryConfig, asked: InventoryConfig) -> bool:
    """Whether setting ``key`` differs in a way that matters to the spaces: the demand model only as
    file or not (a file has dates), the weekly factors only as flat or not."""
    if key == "demand_model":
        return (trained.demand_model == "file") != (asked.demand_model == "file")
    if key == "weekly":
        return (len(set(trained.weekly)) > 1) != (len(set(asked.weekly)) > 1)
    return getattr(trained, key) != getattr(asked, key)


def _shown(value: Any) -> str:
    """A setting's value as a scenario file or ``--set`` writes it."""
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{item:g}" for item in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def training_reward(config: InventoryConfig, day: Day, sales_table: np.ndarray | None) -> np.ndarray:
    """What PPO maximises for a day of a batch (see ``AgentView``): ``(batch,)``.

    ``sales_table`` is ``newsvendor.expected_sales_table`` of the true mean demands of the day
    just served, ``(batch, n, max_demand + 2)``, or None where demand comes from a file.
    """
    if sales_table is None:  # no hidden rates: the day as it happened
        if config.reward_mode == "original":
            return -LOST_UNIT_COST * day.total_lost
        return day.reward / cost_scale(config)
    table = sales_table
    shelf = np.minimum(day.stock + day.sales, config.max_demand + 1)
    expected_sales = np.take_along_axis(table, shelf[..., None], axis=-1)[..., 0]
    expected_lost = table[..., -1] - expected_sales
    if config.reward_mode == "original":
        return -LOST_UNIT_COST * expected_lost.sum(axis=-1)
    expected_left = day.stock + day.sales - expected_sales
    money = config.price * expected_sales - config.holding_cost * expected_left - config.lost_sale_cost * expected_lost
    money -= day.cost_parts["ordering"] + day.cost_parts["purchase"]
    return money.sum(axis=-1) / cost_scale(config)


def projects(config: InventoryConfig) -> bool:
    """True where every order lands a fixed number of days (> 0) after it is placed and demand
    has hidden rates: there the training signal is ``projected_reward``."""
    return (
        config.rates_known
        and config.lead_time > 1
        and config.lead_time_max in (0, config.lead_time)
        and config.disruption_prob == 0
        and config.partial_prob == 0
    )


def projected_reward(config: InventoryConfig, decided: Observation, day: Day, rates_ahead: np.ndarray) -> np.ndarray:
    """The training signal where orders take ``L = lead_time - 1`` nights: the expected cost of the
    day each order lands (for the original reward, its expected lost sales), given what the
    simulator knew when it was placed: the stock, the units in transit (``decided``) and the true
    mean demand of the days until then (``rates_ahead``, ``(batch, L + 1, n)``). Summed over an
    episode it is the cost of the days as they happen, moved L days earlier, without the noise of
    the demand in between, and it credits each order with the day it decides.
    """
    nights = config.lead_time - 1
    stock, arrivals = decided.stock, decided.in_transit  # arrivals in 0 .. L-1 days
    levels = int((stock + arrivals.sum(axis=-1)).max()) + 1
    chances = np.zeros((*stock.shape, levels))
    np.put_along_axis(chances, stock[..., None], 1.0, axis=-1)
    for night in range(nights):  # the stock left each evening before the order lands
        chances = _after_a_day(chances, arrivals[..., night], rates_ahead[:, night], config.max_demand)
    table = expected_sales_table(rates_ahead[:, nights], config.max_demand)  # the landing day's demand
    shelf = np.arange(levels) + day.accepted[..., None].astype(np.int64)
    expected_sales = np.take_along_axis(table, np.minimum(shelf, config.max_demand + 1), axis=-1)
    expected_lost = table[..., -1:] - expected_sales
    if config.reward_mode == "original":
        return -LOST_UNIT_COST * (chances * expected_lost).sum(axis=(-2, -1))
    money = config.price * expected_sales - config.holding_cost * (shelf - expected_sales)
    money = (chances * (money - config.lost_sale_cost * expected_lost)).sum(axis=-1)
    money -= day.cost_parts["ordering"] + day.cost_parts["purchase"]
    return money.sum(axis=-1) / cost_scale(config)


def _after_a_day(chances: np.ndarray, arrival: np.ndarray, rates: np.ndarray, max_demand: int) -> np.ndarray:
    """The distribution of a product's stock after a day: ``chances[..., j]`` = P(stock = j) before,
    ``arrival`` units put on the shelf, demand ``min(Poisson(rate), max_demand)`` served, the rest lost."""
    levels = chances.shape[-1]
    source = np.arange(levels) - arrival[..., None]
    shelf = np.where(source >= 0, np.take_along_axis(chances, np.maximum(source, 0), axis=-1), 0.0)
    survival = demand_survival(rates, max_demand, max_demand + 1)  # (batch, max_demand + 1, n)
    pmf = -np.diff(np.concatenate([np.ones_like(survival[..., :1, :]), survival], axis=-2), axis=-2)
    after = np.zeros_like(shelf)
    for demand in range(1, min(max_demand, levels - 1) + 1):  # a shelf of j + d units left with j after d sold
        after[..., 1 : levels - demand] += shelf[..., 1 + demand :] * pmf[..., demand, :][..., None]
    after[..., 1:] += shelf[..., 1:] * pmf[..., 0, :][..., None]
    after[..., 0] = 1.0 - after[..., 1:].sum(axis=-1)  # everything else sold out
    return after


def cost_scale(config: InventoryConfig) -> float:
    """A day's money in PPO's preferred units (about 1): per product, per unit of cost rate."""
    return config.n_products * max(config.holding_cost + config.lost_sale_cost + config.price, 1.0)
