"""What the commands share: a parser whose errors are one line (``CommandParser``), their common
options, declared and checked alike by one builder (``add_shared_arguments``: the scenario,
``--seed``, ``--log-dir``), argument types with one-line errors, and the scenario a command line
asks for."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from inventory_rl.world.config import DEFAULT_SCENARIO, ScenarioError, list_scenarios, load_scenario


# ---------------------------------------------------------------------------- the parser
class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, ``PROG: error: MESSAGE (see PROG --help)``,
    with exit code 2: argparse prints its usage block first, which buries the error a newcomer
    needs to read. Every error goes through here (a bad value, a missing required argument, an
    unknown option, the commands' own checks); ``--help`` is argparse's."""

    def error(self, message: str) -> NoReturn:
        line = " ".join(message.splitlines())  # one line whatever the message
        self.exit(2, f"{self.prog}: error: {line} (see {self.prog} --help)\n")


# ---------------------------------------------------------------------------- argument types
MAX_SEED = 2**32 - 1  # NumPy's legacy generator, which SB3 seeds with it, takes no larger seed


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


def directory_path(text: str) -> Path:
    """An argparse ``type`` for a folder to write in: it need not exist yet, but must not be a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} exists and is not a directory")
    return path


# ---------------------------------------------------------------------------- the shared options
SCENARIO_HELP = "scenario: a name from scenarios/ (see --list-scenarios) or the path of a TOML file"
SET_HELP = "change one setting of the scenario, e.g. --set lead_time=4 (repeatable)"
SEED_HELP = "random seed; the same seed gives the same model"
SEED_TYPE = bounded_int(0, MAX_SEED)
DEFAULT_LOG_DIR = Path("logs")


class ListScenarios(argparse.Action):
    """``--list-scenarios``: print every shipped scenario with its description, then exit."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any):
        kwargs.setdefault("help", "list the shipped scenarios and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print_scenarios()
        parser.exit()


def print_scenarios() -> None:
    """Every shipped scenario, a line each: its name and description; networks name their nodes."""
    from inventory_rl.world.network import list_networks  # the networks' loader only when listing

    for scenario in list_scenarios():
        print(f"{scenario.name:<17} {scenario.description}")
    for network in list_networks():
        nodes = (" -> " if network.network.is_serial else ", ").join(network.network.names)
        print(f"{network.name:<17} network ({nodes}): {network.description}")


def add_shared_arguments(
    parser: argparse.ArgumentParser,
    *,
    scenario: str | None = DEFAULT_SCENARIO,
    seed: int = 0,
    seed_help: str = SEED_HELP,
    log_dir_help: str | None = None,
) -> None:
    """The options the commands share, with one spelling, type and check each: ``--scenario``
    (default ``scenario``), ``--set`` (into ``overrides``), ``--list-scenarios``, ``--seed`` (a whole
    number from 0 to ``MAX_SEED``, default ``seed``) and, where the command has one (given its
    help), ``--log-dir`` (``directory_path``, default ``logs``). ``train.py`` declares the same
    options from ``training.args.Args`` with these helps and types."""
    parser.add_argument("--scenario", default=scenario, metavar="NAME|PATH", help=SCENARIO_HELP)
    parser.add_argument("--set", dest="overrides", action="append", metavar="KEY=VALUE", help=SET_HELP)
    parser.add_argument("--list-scenarios", action=ListScenarios)
    parser.add_argument("--seed", type=SEED_TYPE, default=seed, help=f"{seed_help} (default: {seed})")
    if log_dir_help is not None:
        default = str(DEFAULT_LOG_DIR)  # a string default goes through the type: a file named so is refused
        help_text = f"{log_dir_help} (default: {default})"
        parser.add_argument("--log-dir", type=directory_path, default=default, metavar="DIR", help=help_text)


def scenario_or_exit(
    parser: argparse.ArgumentParser, name_or_path: str, overrides: Sequence[str] | None, networks: bool = False
) -> Any:
    """The scenario the command line asks for (with ``networks``, a network's too: ``NetworkScenario``);
    a one-line usage error (exit code 2) if unusable, naming the option at fault (``scenario_error_option``)."""
    from inventory_rl.world.network import load_any  # the networks' loader only where a command takes networks

    try:
        return load_any(name_or_path, overrides or ()) if networks else load_scenario(name_or_path, overrides or ())
    except ScenarioError as error:
        option = scenario_error_option(name_or_path, overrides)
        message = str(error)
        if option == "--set":  # "argument --set: lead_time=0: ...", not "argument --set: --set lead_time=0: ..."
            message = message.removeprefix("--set ")
        parser.error(f"argument {option}: {message}")


def scenario_error_option(name_or_path: str, overrides: Sequence[str] | None) -> str:
    """The option a user typed that made the scenario unusable: ``--set`` when the scenario loads
    without the overrides (so one of them is at fault), else ``--scenario``. Called after a
    ``ScenarioError``, so the second load costs nothing on the way that works."""
    from inventory_rl.world.network import load_any

    if not overrides:
        return "--scenario"
    try:
        load_any(name_or_path)
    except ScenarioError:
        return "--scenario"
    return "--set"
