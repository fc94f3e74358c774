"""Scenarios as the dashboard shows and picks them, without Streamlit.

- what a run was trained on (its stream header or ``run_config.json``: ``scenario`` and
  ``env_config``) and what differs from the original warehouse, in words;
- the scenario a user picks on the Replay and Manual pages: the run's own, a shipped one or a
  TOML file of their own, with ``--set``-style changes (``ScenarioError``, one line, if unusable);
- the rules that apply in a scenario, and the best of them, for a game without the agent.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from inventory_rl.evaluation.metrics import METRIC_DISPLAY, main_metric
from inventory_rl.policies.base import Policy
from inventory_rl.policies.rule_tuning import Tuned, applicable_rules, tune, tuned_rule
from inventory_rl.policies.rule_tuning import best_rule as best_tuned_rule
from inventory_rl.policies.rules import RULES, applicable
from inventory_rl.runs.layout import RunConfig
from inventory_rl.world.config import (
    SCENARIO_DIR,
    InventoryConfig,
    Scenario,
    ScenarioError,
    apply_overrides,
    list_scenarios,
    load_scenario,
    overridden_demand_file,
    scenario_path,
)
from inventory_rl.world.demand import load_demand_file

OWN, FILE = "own", "file"  # the picker's choices besides the shipped scenarios' names
HIDDEN_SETTINGS = ("demand_part",)  # which part of a demand file an episode is drawn from: not a scenario setting


# ---------------------------------------------------------------------------- a run's scenario
def run_scenario(record: RunConfig | Mapping[str, Any] | None) -> Scenario:
    """The scenario a run recorded (its ``run_config.json``, or a stream header, which carries the
    same fields): its name, description, file, overrides and resolved config. Runs from before
    scenarios (no ``scenario`` key) were on the default warehouse; ``ScenarioError`` (or another
    ``ValueError``, or ``TypeError``) for a broken record."""
    if record is None:
        return RunConfig(InventoryConfig()).as_scenario()
    return (record if isinstance(record, RunConfig) else RunConfig.from_dict(record)).as_scenario()


def label(scenario: Scenario) -> str:
    """``lost-sales --set lead_time=4``: the scenario as a command line names it."""
    return " ".join([scenario.name, *(f"--set {text}" for text in scenario.overrides)])


def shown_value(key: str, value: Any) -> str:
    """A setting's value for display: a demand file by its name in ``scenarios/``, lists compact."""
    if key == "demand_file" and value:
        path = Path(value)
        return str(path.relative_to(SCENARIO_DIR)) if path.is_relative_to(SCENARIO_DIR) else path.name
    if isinstance(value, list | tuple):
        return "[" + ", ".join(f"{item:g}" for item in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def changes(scenario: Scenario) -> list[tuple[str, str, str]]:
    """``(setting, value, original value)`` for every setting that differs from the original warehouse."""
    original = InventoryConfig().to_dict()
    return [
        (key, shown_value(key, value), shown_value(key, original[key]))
        for key, value in scenario.changes().items()
        if key not in HIDDEN_SETTINGS
    ]


def changes_text(scenario: Scenario) -> str:
    """The changes in one line of Markdown: ``lead_time`` **3** (originally 1) · ..."""
    found = changes(scenario)
    if not found:
        return "nothing (this is the original)."
    return " · ".join(f"`{key}` **{value}** (originally {original})" for key, value, original in found)


def counted(number: int, noun: str) -> str:
    """``1 product``, ``10 products``, ``1,000 units``: a count with its noun, singular or plural."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def agent_text(config: InventoryConfig) -> str:
    """What a PPO agent decides in ``config``'s scenario, to follow "a PPO agent": ``splits each
    day's order across 10 products sharing a 1,000-unit warehouse``; a one-product scenario reads
    ``... for one product in a warehouse of 1,000 units``."""
    free = config.order_mode == "free"
    if config.n_products == 1:
        where = f"one product in a warehouse of {counted(config.capacity, 'unit')}"
        if free:
            return f"decides how much to order each day for {where}"
        return f"orders the free space each day for {where} (with one product there is nothing to split)"
    products = f"{counted(config.n_products, 'product')} sharing a {config.capacity:,}-unit warehouse"
    if free:
        return f"decides how much to order each day and splits it across {products}"
    return f"splits each day's order across {products}"


def reasons_text(reasons: Mapping[str, str]) -> str:
    """Why each of some rules (or policies) is left out, one clause per reason, in Markdown:
    ``**s-S**, **optimal**: the order always fills the gap here; **oracle**: ...``. Rules sharing a
    reason are named together, so the reason is said once."""
    grouped: dict[str, list[str]] = {}
    for name, reason in reasons.items():
        grouped.setdefault(reason, []).append(name)
    return "; ".join(f"{', '.join(f'**{name}**' for name in names)}: {reason}" for reason, names in grouped.items())


def sells(config: InventoryConfig) -> bool:
    """Something is sold at a price, or the reward is the profit: revenue and profit mean
    something beside the cost."""
    return config.price > 0 or config.reward_mode == "profit"


def costs_text(config: InventoryConfig) -> str:
    """The scenario's money in words (only what is set): ``holding 1 per unit a day, ...``; "" without."""
    parts = (
        ("holding_cost", "holding {} per unit a day"),
        ("lost_sale_cost", "{} per lost sale"),
        ("order_cost", "{} per product ordered"),
        ("unit_cost", "{} per unit bought"),
        ("price", "a price of {} per unit sold"),
    )
    said = [text.format(f"{getattr(config, key):g}") for key, text in parts if getattr(config, key) > 0]
    return ", ".join(said)


# ---------------------------------------------------------------------------- picking one
def shipped_names() -> list[str]:
    """The shipped scenarios' names, as ``scenarios/`` holds them."""
    return [scenario.name for scenario in _shipped()]


@functools.cache
def _shipped() -> tuple[Scenario, ...]:
    return tuple(list_scenarios())


def parse_overrides(text: str) -> list[str]:
    """``lead_time=4 lost_sale_cost=19`` (spaces or commas between, shell quoting allowed) as ``--set`` values."""
    try:
        words = shlex.split(text.replace(",", " "))
    except ValueError as error:
        raise ScenarioError(f"changes {text!r}: {error}") from None
    return [word for word in words if word]


def pick_scenario(
    choice: str,
    own: Scenario,
    path: str = "",
    overrides: Sequence[str] = (),
    may_read: Callable[[Path], object] = lambda file: None,
) -> Scenario:
    """The scenario a user picked: ``OWN`` (the run's), ``FILE`` (the TOML file at ``path``) or a
    shipped scenario's name, with ``overrides`` applied. ``ScenarioError`` (one line) if unusable.
    ``may_read`` is asked about every file a user named (the TOML file, a ``demand_file=`` in the
    overrides) before it is opened, and raises ``ScenarioError`` to refuse it."""
    if choice == FILE and not path.strip():
        raise ScenarioError("give the path of a scenario TOML file")
    file = Path(path.strip()).expanduser() if choice == FILE else None
    # a relative demand file is read beside the scenario file; the run's own reads it where it is written
    folder = None if choice == OWN else (file or scenario_path(choice)).parent
    for named in (file, overridden_demand_file(overrides, folder)):
        if named is not None:
            may_read(named)
    if choice == OWN:
        scenario = with_overrides(own, overrides)
    elif file is not None:
        if file.is_dir():
            raise ScenarioError(f"{file} is a folder, not a scenario TOML file")
        if not file.is_file():
            raise ScenarioError(f"no scenario file at {file}")
        scenario = load_scenario(str(file), overrides)
    else:
        scenario = load_scenario(choice, overrides)
    if scenario.config.demand_model == "file":
        load_demand_file(played_config(scenario))  # the pages play its held-out days: they must hold an episode
    return scenario


def with_overrides(scenario: Scenario, overrides: Sequence[str]) -> Scenario:
    """``scenario`` with ``key=value`` changes applied to its config, checked as ``load_scenario``
    checks ``--set`` (``config.apply_overrides``: ``ScenarioError``, one line, if unusable)."""
    if not overrides:
        return scenario
    config = apply_overrides(scenario.config.to_dict(), overrides, scenario.name)
    return dataclasses.replace(scenario, config=config, overrides=(*scenario.overrides, *overrides))


def played_config(scenario: Scenario) -> InventoryConfig:
    """The config episodes are played on: a demand file's held-out days, as ``evaluate.py`` plays."""
    return scenario.config.with_demand_part("holdout")


def config_key(config: InventoryConfig) -> str:
    """A config as a canonical JSON string: a hashable cache key that rebuilds it (``config_from_key``)."""
    return json.dumps(config.to_dict(), sort_keys=True)


def config_from_key(key: str) -> InventoryConfig:
    """The config of a ``config_key``."""
    return InventoryConfig.from_dict(json.loads(key))


# ---------------------------------------------------------------------------- rules
def rules_for(config: InventoryConfig) -> tuple[list[str], dict[str, str]]:
    """The rules that apply in ``config``'s scenario, and why each other one does not."""
    return applicable_rules(config, RULES)


def rule_label(name: str) -> str:
    """How a rule is named on the pages: ``newsvendor rule``."""
    return f"{name} rule"


def rule_policy(name: str, config: InventoryConfig, seed: int = 0) -> Policy:
    """Rule ``name`` ready to play ``config`` (tuned on its own seeds where it has parameters, cached)."""
    return tuned_rule(name, config, seed)[0]


@dataclasses.dataclass(frozen=True)
class RuleScore(Tuned):
    """A rule's ``rule_tuning.Tuned`` result, with the name of the scenario's main metric that
    ``score`` is (``metrics.main_metric``), for the page to say."""

    metric: str

    def describe(self) -> str:
        """``newsvendor rule (fill rate 0.871)``: the rule and its score."""
        return f"{rule_label(self.rule)} ({METRIC_DISPLAY[self.metric].name} {self.score:,.3f})"


def best_rule(config: InventoryConfig) -> RuleScore:
    """The manual game's opponent when the agent cannot play: the exact optimum where it applies
    (the lost-sales family), else the best tuned rule that neither knows the hidden rates nor
    plays at random (``rule_tuning.best_rule``), by the scenario's main metric on the tuning
    episodes (the training part of a demand file)."""
    best = tune("optimal", config) if applicable("optimal", config) is None else best_tuned_rule(config)
    return RuleScore(**best.__dict__, metric=main_metric(config)[0])
