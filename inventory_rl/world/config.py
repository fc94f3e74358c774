"""Scenarios: ``InventoryConfig`` (every number of a warehouse) and the TOML files that name them.

A scenario is a TOML file in ``scenarios/`` (or anywhere, given by path): a ``description``,
any ``InventoryConfig`` field at the top level, and optionally a ``[train]`` table of
training presets. Every field defaults to the original warehouse, so ``default.toml`` is
nearly empty. ``load_scenario("lead-time", ["lead_time=4"])`` resolves a name or path and
``--set``-style overrides into a ``Scenario``; every mistake raises ``ScenarioError`` with a
one-line message naming the file and the key.

The lead time follows the project's convention: an order placed at the end of day t is on
the shelf before the demand of day t + ``lead_time`` (1 = overnight, the original). In the
literature's convention (Zipkin 2008: an order misses L demand periods) ``lead_time = L + 1``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

# The shipped scenarios, package data (a folder on disk for any pip install, which never zips it).
SCENARIO_DIR = Path(str(resources.files("inventory_rl") / "scenarios"))
DEFAULT_SCENARIO = "default"
ORDER_MODES = ("fill", "free")
REWARD_MODES = ("original", "cost", "profit")
DEMAND_MODELS = ("poisson", "negative_binomial", "uniform", "constant", "file", "none")
UNMET_DEMAND = ("lost", "backorder")
DEMAND_PARTS = ("all", "train", "holdout")
COST_FIELDS = ("holding_cost", "lost_sale_cost", "backorder_cost", "order_cost", "unit_cost", "price")


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming the file and the key."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


def _check(condition: bool, key: str, requirement: str, value: Any) -> None:
    if not condition:
        raise ScenarioError(f"{key}: must be {requirement}, got {value!r}", key)


@dataclass(frozen=True)
class InventoryConfig:
    """Every number of a warehouse scenario. The defaults are the original project's.

    Size and start: ``n_products`` share ``capacity`` units; each product starts with
    ``initial_stock`` units. Demand: ``min(Poisson(rate), max_demand)`` per product and day
    with a hidden rate ~ U[rate_low, rate_high] drawn per episode (``demand_model``
    ``"negative_binomial"``: the same mean with variance ``mean + mean**2 / nb_shape``),
    times ``weekly[weekday]`` (day 1 of an episode is a Monday), times ``1 + trend * (day - 1)``
    and, with chance ``shock_prob`` per product and episode, times ``shock_factor`` from a
    random day of the episode on, and from day ``step_day`` on (0: never) times ``step_factor``
    (a known step, as in the beer game). ``"uniform"``: each day's demand is a whole number drawn
    uniformly from ``rate_low`` to ``rate_high``; ``"constant"``: each day's demand is the rate
    itself (rounded); ``"none"``: no customers buy here (a network's DC or factory).
    ``demand_model = "file"`` reads ``demand_file`` instead (see ``demand.DemandData``). Demand
    that cannot be met is lost, or with ``unmet_demand = "backorder"`` owed and served first on
    later days, at ``backorder_cost`` per unit and day. Supply: lead times from ``lead_time`` to ``lead_time_max`` days
    (0: always ``lead_time``), a disrupted day (chance ``disruption_prob``) ships nothing, a
    partial shipment (chance ``partial_prob`` per product) delivers a share ~ U[partial_min, 1).
    Decision: ``order_mode`` ``"fill"`` orders the whole gap, ``"free"`` adds the share of the gap
    to order to the action. Costs and ``reward_mode``: see ``InventoryEnv``.
    """

    # size and start
    n_products: int = 10
    capacity: int = 100
    initial_stock: int = 0
    # demand
    demand_model: str = "poisson"
    max_demand: int = 20
    rate_low: float = 2.0
    rate_high: float = 18.0
    nb_shape: float = 2.0
    weekly: tuple[float, ...] = (1.0,) * 7
    trend: float = 0.0
    shock_prob: float = 0.0
    shock_factor: float = 2.0
    step_day: int = 0  # from this day of the episode on (1-based; 0: never) the rate is step_factor times as high
    step_factor: float = 1.0
    demand_file: str = ""
    holdout_days: int = 0  # file demand: the last days, kept for evaluation
    demand_part: str = "all"  # file demand: windows from "all" days, the "train" part or the "holdout"
    history_days: int = 7
    episode_days: int = 30
    # supply
    lead_time: int = 1
    lead_time_max: int = 0
    disruption_prob: float = 0.0
    partial_prob: float = 0.0
    partial_min: float = 0.5
    # the decision
    order_mode: str = "fill"
    # costs and profit (per unit and day, except order_cost: per product ordered)
    holding_cost: float = 0.0
    lost_sale_cost: float = 0.0
    unmet_demand: str = "lost"  # "lost" or "backorder": owed to the customer, served first on later days
    backorder_cost: float = 0.0  # per unit owed to customers at the end of a day
    order_cost: float = 0.0
    unit_cost: float = 0.0
    price: float = 0.0
    reward_mode: str = "original"
    # reward points of the original reward (the seed's values)
    accuracy_close: float = 2000.0  # |ordered - gap| < accuracy_close_units
    accuracy_close_units: int = 10
    accuracy_near: float = 1000.0  # |ordered - gap| < accuracy_near_units
    accuracy_near_units: int = 20
    accuracy_slope: float = 100.0  # points lost per unit of error beyond accuracy_near_units
    perfect_fulfillment: float = 1000.0
    stock_bonus: float = 500.0
    stock_bonus_low: float = 0.8  # fraction of capacity, inclusive, after delivery
    allocation_bonus: float = 500.0
    stockout_penalty: float = 100.0  # per unit of lost demand

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            _check_type(field, getattr(self, field.name))
            if field.type == "float":  # 1 and 1.0 are the same setting: costs and points are floats
                object.__setattr__(self, field.name, float(getattr(self, field.name)))
        if isinstance(self.weekly, list):  # from JSON or TOML
            object.__setattr__(self, "weekly", tuple(float(factor) for factor in self.weekly))
        self._check_ranges()

    def _check_ranges(self) -> None:
        for key in ("n_products", "capacity", "max_demand", "history_days", "episode_days", "lead_time"):
            _check(getattr(self, key) >= 1, key, "at least 1", getattr(self, key))
        _check(self.initial_stock >= 0, "initial_stock", "at least 0", self.initial_stock)
        _check(
            self.initial_stock * self.n_products <= self.capacity,
            "initial_stock",
            f"at most capacity / n_products = {self.capacity // self.n_products}",
            self.initial_stock,
        )
        _check(self.demand_model in DEMAND_MODELS, "demand_model", f"one of {DEMAND_MODELS}", self.demand_model)
        _check(0 <= self.rate_low <= self.rate_high, "rate_low", "between 0 and rate_high", self.rate_low)
        _check(self.nb_shape > 0, "nb_shape", "positive", self.nb_shape)
        _check(len(self.weekly) == 7, "weekly", "seven factors, Monday first", self.weekly)
        _check(all(factor >= 0 for factor in self.weekly), "weekly", "non-negative factors", self.weekly)
        _check(self.trend > -1, "trend", "above -1 (a relative change per day)", self.trend)
        _check(1 + self.trend * (self.episode_days - 1) >= 0, "trend", "non-negative over the episode", self.trend)
        _check(self.shock_factor >= 0, "shock_factor", "at least 0", self.shock_factor)
        for key in ("shock_prob", "disruption_prob", "partial_prob"):
            _check(0 <= getattr(self, key) <= 1, key, "a probability in [0, 1]", getattr(self, key))
        _check(0 <= self.partial_min <= 1, "partial_min", "a share in [0, 1]", self.partial_min)
        _check(self.demand_model != "file" or self.demand_file, "demand_file", "set when demand_model is file", "")
        _check(self.step_day >= 0, "step_day", "at least 0 (0: no step)", self.step_day)
        _check(self.step_factor >= 0, "step_factor", "at least 0", self.step_factor)
        if self.demand_model == "uniform":
            for key in ("rate_low", "rate_high"):
                _check(
                    getattr(self, key) == int(getattr(self, key)),
                    key,
                    "a whole number of units (uniform demand)",
                    getattr(self, key),
                )
            _check(self.step_day == 0, "step_day", "0 with uniform demand (a step scales a rate)", self.step_day)
        _check(self.unmet_demand in UNMET_DEMAND, "unmet_demand", f"one of {UNMET_DEMAND}", self.unmet_demand)
        _check(
            self.unmet_demand == "lost" or self.reward_mode != "original",
            "unmet_demand",
            "lost with the original reward (it counts lost units); backorders are counted in money",
            self.unmet_demand,
        )
        _check(self.holdout_days >= 0, "holdout_days", "at least 0", self.holdout_days)
        _check(self.demand_part in DEMAND_PARTS, "demand_part", f"one of {DEMAND_PARTS}", self.demand_part)
        _check(
            self.lead_time_max == 0 or self.lead_time_max >= self.lead_time,
            "lead_time_max",
            f"0 (fixed lead time) or at least lead_time = {self.lead_time}",
            self.lead_time_max,
        )
        _check(self.order_mode in ORDER_MODES, "order_mode", f"one of {ORDER_MODES}", self.order_mode)
        _check(self.reward_mode in REWARD_MODES, "reward_mode", f"one of {REWARD_MODES}", self.reward_mode)
        for key in COST_FIELDS:
            _check(getattr(self, key) >= 0, key, "at least 0", getattr(self, key))
        _check(0 <= self.stock_bonus_low <= 1, "stock_bonus_low", "a share in [0, 1]", self.stock_bonus_low)

    # ------------------------------------------------------------------ derived facts
    # (cached: the simulation reads them every step; the config is frozen, so they never change)
    @functools.cached_property
    def max_lead_time(self) -> int:
        """The longest an order can take, in days."""
        return max(self.lead_time, self.lead_time_max)

    @functools.cached_property
    def transit_slots(self) -> int:
        """Arrival days an order can be in transit for after ordering: 0 with overnight delivery."""
        return self.max_lead_time - 1

    @functools.cached_property
    def has_supply_risk(self) -> bool:
        """Orders can be late, lost or cut: ``info`` then reports what was shipped and received."""
        return self.transit_slots > 0 or self.disruption_prob > 0 or self.partial_prob > 0

    @functools.cached_property
    def has_costs(self) -> bool:
        """Costs or prices are set, or the reward is counted in money: ``info`` then reports them."""
        return self.reward_mode != "original" or any(getattr(self, key) > 0 for key in COST_FIELDS)

    @functools.cached_property
    def has_calendar(self) -> bool:
        """Demand depends on the day of the week (a weekly pattern or real data)."""
        return self.demand_model == "file" or len(set(self.weekly)) > 1

    @functools.cached_property
    def has_varying_rates(self) -> bool:
        """The true demand rate of a product changes within an episode."""
        return len(set(self.weekly)) > 1 or self.trend != 0 or self.shock_prob > 0 or self.step_day > 0

    @functools.cached_property
    def rates_known(self) -> bool:
        """Demand comes from hidden rates (not from a file), which the env can reveal to an oracle."""
        return self.demand_model != "file"

    @functools.cached_property
    def action_size(self) -> int:
        """One fraction per product, plus the share of the gap to order in free mode."""
        return self.n_products + (self.order_mode == "free")

    def with_demand_part(self, part: str) -> InventoryConfig:
        """This config drawing its episode windows from one part of its demand file ("train" or
        "holdout"); unchanged where no days are held out."""
        if self.demand_model != "file" or self.holdout_days == 0:
            return self
        return dataclasses.replace(self, demand_part=part)

    def to_dict(self) -> dict:
        """Plain-JSON form, for ``run_config.json``."""
        values = asdict(self)
        values["weekly"] = list(self.weekly)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> InventoryConfig:
        """Inverse of ``to_dict``; unknown keys are an error, missing keys take defaults."""
        unknown = set(values) - {field.name for field in dataclasses.fields(cls)}
        if unknown:
            key = sorted(unknown)[0]
            raise ScenarioError(f"{key}: not a setting of the warehouse", key)
        return cls(**values)


def _check_type(field: dataclasses.Field, value: Any) -> None:
    """Whole numbers where ints are expected (a float like 3.0 is not one), numbers for floats."""
    expected = field.type
    if expected == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    elif expected == "str":
        ok = isinstance(value, str)
    else:  # the weekly factors
        ok = isinstance(value, tuple | list) and all(
            isinstance(item, int | float) and not isinstance(item, bool) for item in value
        )
    if not ok:
        kind = _TYPE_NAMES.get(expected, "a list of numbers")
        raise ScenarioError(f"{field.name}: must be {kind}, got {value!r}", field.name)


_TYPE_NAMES = {"int": "a whole number", "float": "a finite number", "str": "a string"}


@dataclass(frozen=True)
class Scenario:
    """A named, described config: what ``--scenario NAME --set k=v`` resolves to."""

    name: str
    description: str
    config: InventoryConfig
    path: str = ""  # the TOML file ("" for a config built in code)
    overrides: tuple[str, ...] = ()  # the --set values applied, as given
    train: dict = dataclasses.field(default_factory=dict)  # the [train] table: training presets

    def to_dict(self) -> dict:
        """What ``run_config.json`` records of the scenario (the config itself goes beside it)."""
        return {
            "name": self.name,
            "description": self.description,
            "path": self.path,
            "overrides": list(self.overrides),
        }

    def changes(self) -> dict[str, Any]:
        """The settings that differ from the original warehouse, for display."""
        original = InventoryConfig().to_dict()
        return {key: value for key, value in self.config.to_dict().items() if value != original[key]}


def scenario_path(name_or_path: str) -> Path:
    """The TOML file of a scenario name (``scenarios/NAME.toml``) or a path to one."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        return candidate
    return SCENARIO_DIR / f"{name_or_path}.toml"


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` with the value read as TOML (``4``, ``0.5``, ``[1, 2]``, ``"fill"``), or as a
    bare string when it is not TOML (``order_mode=free``)."""
    key, separator, raw = text.partition("=")
    key = key.strip()
    if not separator or not key:
        raise ScenarioError(f"--set {text!r}: expected key=value")
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def load_scenario(name_or_path: str = DEFAULT_SCENARIO, overrides: Sequence[str] = ()) -> Scenario:
    """The scenario in a TOML file (by name or path) with ``key=value`` overrides applied.

    ``ScenarioError`` (one line, naming the file and the key) for a missing file, bad TOML,
    an unknown key, a wrong type or a value out of range. A relative ``demand_file`` is
    resolved against the scenario file's folder.
    """
    path, shown, table = read_scenario_file(name_or_path)
    if "nodes" in table:
        raise ScenarioError(
            f"{shown}: a network of warehouses ([nodes.NAME] tables), not one warehouse: "
            "play it with gymnasium.make('InventoryNetwork-v0', scenario=...)"
        )
    description = table.pop("description", "")
    train = table.pop("train", {})
    if not isinstance(description, str) or not isinstance(train, dict):
        raise ScenarioError(f"{shown}: description must be a string and [train] a table")
    config = apply_overrides(table, overrides, shown, path.parent)
    return Scenario(path.stem, description, config, str(path), tuple(overrides), train)


def read_scenario_file(name_or_path: str) -> tuple[Path, str, dict[str, Any]]:
    """A scenario file's path, its path as messages show it, and its TOML table; ``ScenarioError`` (one
    line) for a missing or unreadable file, naming the shipped scenarios where a name was not found."""
    path = scenario_path(name_or_path)
    shown = shown_path(path)
    try:
        return path, shown, tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(scenario.name for scenario in list_scenarios())
        raise ScenarioError(f"no scenario {name_or_path!r} ({shown} does not exist); known: {known}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"{shown}: not a readable TOML file ({error})") from None


def apply_overrides(
    values: Mapping[str, Any], overrides: Sequence[str], source: str, folder: Path | None = None
) -> InventoryConfig:
    """The config of the settings ``values`` with ``key=value`` ``overrides`` applied, validated.

    ``ScenarioError`` (one line) for a bad override or setting: prefixed ``--set key=value``
    when an override is at fault, else ``source`` (the scenario file); a demand file is read
    now, so that a bad CSV (or one with another number of products) is a bad scenario. A
    relative ``demand_file`` is resolved against ``folder`` when given.
    """
    given = {}  # key -> (value, the --set text)
    for override in overrides:
        key, value = parse_override(override)
        given[key] = (value, override)
    table = {**values, **{key: value for key, (value, _) in given.items()}}
    if folder is not None and table.get("demand_file"):
        table["demand_file"] = str(demand_file_path(table["demand_file"], folder))
    try:
        config = InventoryConfig.from_dict(table)
    except ScenarioError as error:
        prefix = f"--set {given[error.key][1]}" if error.key in given else source
        raise ScenarioError(f"{prefix}: {error}", error.key) from None
    if config.demand_model == "file":
        from inventory_rl.world.demand import load_demand_file

        load_demand_file(config)  # a bad CSV is a bad scenario: say so now, naming the file and line
    return config


def demand_file_path(value: Any, folder: Path | None) -> Path:
    """Where a ``demand_file`` setting points: resolved against ``folder`` (its scenario file's) when
    given, as written otherwise."""
    return (folder / str(value)).resolve() if folder is not None else Path(str(value))


def overridden_demand_file(overrides: Sequence[str], folder: Path | None) -> Path | None:
    """The demand file ``overrides`` name (the last ``demand_file=``), where ``apply_overrides`` will read it
    with ``folder``; None if they name none. ``ScenarioError`` (one line) for a malformed override."""
    named = [value for key, value in map(parse_override, overrides) if key == "demand_file" and str(value)]
    return demand_file_path(named[-1], folder) if named else None


def shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (shorter messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def list_scenarios() -> list[Scenario]:
    """Every scenario shipped in ``scenarios/``, by name (broken files are skipped)."""
    found = []
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        try:
            found.append(load_scenario(str(path)))
        except ScenarioError:
            continue
    return found
