"""``evaluate.py --scenario NETWORK``: the network rules (tuned), the exact optimum where it is known and the
bounds where it is not, on the same episodes (``evaluation.network_report``), printed as aligned tables.

    python evaluate.py --scenario beer-game [--set KEY=VALUE] [--episodes 200] [--seed 1000]
                       [--policies base-stock,echelon-base-stock,...] [--json out.json] [--plot out.png]

``cli/evaluate.py`` sends a network file here (``is_network_scenario``); its options mean what they mean for
one warehouse, with the network rules (``policies.network_rules.RULES``) as ``--policies``.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from pathlib import Path

from inventory_rl.agent.network_agent import load_network_agent
from inventory_rl.evaluation.network_report import describe_report, evaluate_network, format_tables, save_network_plot
from inventory_rl.policies.network_rules import RULES, applicable
from inventory_rl.runs.files import write_json_atomic
from inventory_rl.runs.layout import ModelLoadError, RunConfig, load_run_config, resolve_model_path
from inventory_rl.world.config import ScenarioError, scenario_path
from inventory_rl.world.network import is_network_table, load_network


def is_network_scenario(name_or_path: str | None) -> bool:
    """Whether ``--scenario`` names a network file (``[nodes.NAME]`` tables); False for anything unreadable,
    which the single-warehouse path then reports."""
    if not name_or_path:
        return False
    try:
        return is_network_table(tomllib.loads(scenario_path(name_or_path).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def model_run(parser: argparse.ArgumentParser, model: Path) -> RunConfig:
    """The run config of ``--model`` (a one-line error if there is none)."""
    try:
        return load_run_config(resolve_model_path(model))
    except ModelLoadError as error:
        parser.error(str(error))


def is_network_model(model: Path | None) -> bool:
    """Whether ``--model`` is a network run's model (False for anything unreadable: the usual path says why)."""
    if model is None:
        return False
    try:
        return load_run_config(resolve_model_path(model)).network is not None
    except ModelLoadError:
        return False


def evaluate_network_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Evaluate the network of ``args.scenario`` (with ``--set``) as ``evaluate.py`` does one warehouse."""
    run = None if args.model is None else model_run(parser, args.model)
    name = args.scenario or (run.scenario.path or run.scenario.name)
    overrides = args.overrides or (() if args.scenario else run.scenario.overrides)
    try:
        scenario = load_network(name, overrides)
    except ScenarioError as error:
        option = "--set" if args.overrides else "--scenario"
        parser.error(f"argument {option}: {str(error).removeprefix('--set ')}")
    network = scenario.network
    agents = {}
    if args.model is not None:
        try:
            agents["ppo"] = load_network_agent(args.model, network)
        except ModelLoadError as error:
            parser.error(str(error))
    names = list(RULES)
    if args.policies is not None:
        names = list(dict.fromkeys(name.strip() for name in args.policies.split(",") if name.strip()))
        unknown = [name for name in names if name not in RULES]
        if not names or unknown:
            given = ", ".join(map(repr, unknown)) or "none given"
            parser.error(f"--policies: {given}; on a network choose from {','.join(RULES)}")
        refused = {name: reason for name in names if (reason := applicable(name, network)) is not None}
        if refused:
            parser.error("; ".join(f"{name} does not apply here: {reason}" for name, reason in refused.items()))
    source = f"network {scenario.name}" + "".join(f" --set {text}" for text in scenario.overrides)
    started = time.perf_counter()
    report, _ = evaluate_network(network, names, args.episodes, args.seed, source=source, agents=agents)
    print(f"{args.episodes} episodes (seeds {args.seed}..{args.seed + args.episodes - 1}) on {source}")
    for line in describe_report(report):
        print(line)
    print(format_tables(report))
    seconds = time.perf_counter() - started
    print(f"{len(report['policies'])} rules x {args.episodes} episodes in {seconds:.1f} s (tuning included)")
    if args.json is not None:
        write_json_atomic(args.json, report)
        print(f"report written to {args.json}")
    if args.plot is not None:
        save_network_plot(report, args.plot)
        print(f"figure written to {args.plot}")
    return 0
