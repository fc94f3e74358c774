"""What the commands share: the scenario options (``--scenario``, ``--set``, ``--list-scenarios``)
and argument types with one-line errors."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from inventory_rl.world.config import DEFAULT_SCENARIO, Scenario, ScenarioError, list_scenarios, load_scenario

# ---------------------------------------------------------------------------- command line
SCENARIO_HELP = "scenario: a name from scenarios/ (see --list-scenarios) or the path of a TOML file"
SET_HELP = "change one setting of the scenario, e.g. --set lead_time=4 (repeatable)"


class ListScenarios(argparse.Action):
    """``--list-scenarios``: print every shipped scenario with its description, then exit."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        for scenario in list_scenarios():
            print(f"{scenario.name:<12} {scenario.description}")
        parser.exit()


def add_scenario_arguments(parser: argparse.ArgumentParser, default: str | None = DEFAULT_SCENARIO) -> None:
    """``--scenario``, ``--set`` (into ``overrides``) and ``--list-scenarios``, for every CLI."""
    parser.add_argument("--scenario", default=default, metavar="NAME|PATH", help=SCENARIO_HELP)
    parser.add_argument("--set", dest="overrides", action="append", metavar="KEY=VALUE", help=SET_HELP)
    parser.add_argument("--list-scenarios", action=ListScenarios, help="list the shipped scenarios and exit")


def scenario_or_exit(parser: argparse.ArgumentParser, name_or_path: str, overrides: Sequence[str] | None) -> Scenario:
    """The scenario the command line asks for; a one-line usage error (exit code 2) if unusable."""
    try:
        return load_scenario(name_or_path, overrides or ())
    except ScenarioError as error:
        parser.error(f"argument --scenario: {error}")


# ---------------------------------------------------------------------------- command line
def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for whole numbers in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse
