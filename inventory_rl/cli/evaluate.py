"""Measure the agent against the classic rules (and the exact optimum, where there is one) on
the same demand, in any scenario.

    python evaluate.py [--model logs/real_inventory_model.zip] [--scenario NAME|PATH] [--set KEY=VALUE]
                       [--episodes 200] [--seed 1000] [--policies ppo,newsvendor,...]
                       [--json out.json] [--plot out.png]

Every policy plays the same episodes: episode k is ``InventoryEnv.reset(seed=seed + k)``,
and demand depends only on the seed, so the policies face identical days (played in
batches, ``evaluation.episodes.play_policies``). Each metric is computed per episode and reported as its
mean over episodes with a 95% confidence interval (Student t, see ``confidence_interval``).
The comparison that counts is paired: each policy's difference from the reference (``optimal``
where it was played, else the best policy) on the scenario's main metric (the fill rate, or
cost or profit per day where the reward is money), episode by episode, with its own interval.

The scenario is the model's own (from its ``run_config.json``) unless ``--scenario`` or
``--set`` says otherwise, and the default scenario without a model; where a demand file holds
days out, only they are played. The agent (``ppo``) plays deterministically. Rules with
parameters play tuned (``policies/rule_tuning.py``: on other seeds, cached), and the report says with
what values. Rules that do not apply in the scenario are skipped, with the reason. A network file
(``--scenario beer-game``) is evaluated with the network rules instead (``cli/evaluate_network.py``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from inventory_rl.agent.trained import load_agent
from inventory_rl.cli.common import CommandParser, add_shared_arguments, bounded_int, scenario_or_exit
from inventory_rl.cli.evaluate_network import evaluate_network_command, is_network_model, is_network_scenario
from inventory_rl.evaluation.episodes import play_policies
from inventory_rl.evaluation.report import format_table, save_plot, summarize
from inventory_rl.policies.base import Policy
from inventory_rl.policies.rule_tuning import Tuned, applicable_rules, tuned_rule
from inventory_rl.policies.rules import RULES
from inventory_rl.runs.files import write_json_atomic
from inventory_rl.runs.layout import ModelLoadError, load_run_config, resolve_model_path
from inventory_rl.world.config import DEFAULT_SCENARIO, InventoryConfig, load_scenario

DEFAULT_MODEL = Path("logs/real_inventory_model.zip")
POLICY_NAMES = ("ppo", *RULES)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``evaluate.py``."""
    parser = CommandParser(
        prog="evaluate.py",
        description="Evaluate the PPO agent and the classic rules on the same episodes.",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"trained PPO model; run_config.json must be beside it or one level up (default {DEFAULT_MODEL}, "
        "evaluated as 'ppo' when it exists)",
    )
    parser.add_argument(
        "--episodes",
        type=bounded_int(2),
        default=200,
        help="episodes per policy, at least 2: a confidence interval needs two (default: 200)",
    )
    add_shared_arguments(parser, scenario=None, seed=1000, seed_help="episode k is played with seed SEED + k")
    parser.add_argument(
        "--policies",
        default=None,
        help=f"comma-separated, from {','.join(POLICY_NAMES)} (default: every one that applies; ppo when the "
        "model exists)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the report as JSON to this file")
    parser.add_argument("--plot", type=Path, default=None, help="save a figure (png, pdf, svg, ...) to this file")
    return parser


def parse_policies(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """The policy names in ``--policies``, deduplicated in order; unknown names are an error."""
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        parser.error("--policies needs at least one policy name")
    unknown = [name for name in names if name not in POLICY_NAMES]
    if unknown:
        parser.error(f"unknown policy {', '.join(map(repr, unknown))}; choose from {','.join(POLICY_NAMES)}")
    return names


def check_output_path(parser: argparse.ArgumentParser, option: str, path: Path | None) -> None:
    """Fail early, before any episode is played, when an output file cannot be written."""
    if path is None:
        return
    if not path.parent.is_dir():
        parser.error(f"{option}: directory {str(path.parent)!r} does not exist")
    if path.is_dir():
        parser.error(f"{option}: {str(path)!r} is a directory")
    if option == "--plot":
        from matplotlib.figure import Figure

        formats = Figure().canvas.get_supported_filetypes()
        if path.suffix.lstrip(".").lower() not in formats:
            parser.error(f"--plot: unsupported file type {path.suffix!r}; use one of {', '.join(sorted(formats))}")


def what_to_play(
    parser: argparse.ArgumentParser, args: argparse.Namespace, names: list[str]
) -> tuple[str, InventoryConfig, Policy | None]:
    """The scenario's description, its config (the held-out part of a demand file) and the agent."""
    model_path = args.model or DEFAULT_MODEL
    scenario = None
    if args.scenario is not None or args.overrides:
        scenario = scenario_or_exit(parser, args.scenario or DEFAULT_SCENARIO, args.overrides)
    agent, config = None, scenario.config if scenario is not None else load_scenario(DEFAULT_SCENARIO).config
    if "ppo" in names or args.model is not None:
        try:
            agent, config = load_agent(model_path, None if scenario is None else scenario.config)
        except ModelLoadError as error:
            parser.error(str(error))
    if scenario is not None:
        source = f"scenario {scenario.name}" + "".join(f" --set {text}" for text in scenario.overrides)
    elif agent is not None:
        saved = load_run_config(resolve_model_path(model_path)).scenario.name
        source = f"scenario {saved}, as saved with {model_path}"
    else:
        source = "the default scenario"
    return source, config.with_demand_part("holdout"), agent


def no_model_reason() -> str:
    """Why ``ppo`` is not evaluated without ``--model``: no model at the default path, and how to
    get one, naming the models of the runs in folders below it (``logs/quick``, ...) if there are."""
    found = sorted(DEFAULT_MODEL.parent.glob(f"*/{DEFAULT_MODEL.name}"), key=lambda path: -path.stat().st_mtime)
    if found:  # the newest first
        return f"no model at {DEFAULT_MODEL} (give one with --model PATH, e.g. --model {found[0]})"
    return f"no model at {DEFAULT_MODEL} (train one with python train.py, or give --model PATH)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; argument and model errors exit with code 2 and one line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_output_path(parser, "--json", args.json)
    check_output_path(parser, "--plot", args.plot)
    if is_network_scenario(args.scenario) or (args.scenario is None and is_network_model(args.model)):
        # a network of warehouses: its rules, optimum and bounds (and the model's agents)
        return evaluate_network_command(parser, args)
    asked = args.policies is not None
    names = parse_policies(parser, args.policies) if asked else list(POLICY_NAMES)
    unplayed = {}  # policies not evaluated, with why; ppo's is printed only (the report's "skipped" are rules)
    if not asked and args.model is None and not DEFAULT_MODEL.exists():
        names.remove("ppo")
        unplayed["ppo"] = no_model_reason()
    source, config, agent = what_to_play(parser, args, names)
    rules, skipped = applicable_rules(config, [name for name in names if name != "ppo"])
    unplayed.update(skipped)
    if asked and skipped:
        parser.error("; ".join(f"{name} does not apply here: {reason}" for name, reason in skipped.items()))
    started = time.perf_counter()
    tuned: dict[str, Tuned] = {}
    policies = [agent] if "ppo" in names else []
    for name in rules:
        rule, tuning = tuned_rule(name, config, args.seed)
        policies.append(rule)
        if tuning is not None:
            tuned[name] = tuning

    results = play_policies(policies, config, args.episodes, args.seed)
    report = summarize(results, args.seed, config)
    report.update(
        scenario=source,
        tuned={
            name: {"parameters": t.parameters, "score": t.score, "episodes": t.episodes} for name, t in tuned.items()
        },
        skipped=skipped,
    )
    seconds = time.perf_counter() - started
    print(f"{args.episodes} episodes (seeds {args.seed}..{args.seed + args.episodes - 1}) on {source}")
    for name, reason in unplayed.items():
        print(f"{name}: not evaluated, {reason}")
    for name, tuning in tuned.items():
        print(
            f"{name}: tuned on {tuning.episodes} other episodes ({tuning.candidates} candidates): {tuning.describe()}"
        )
    print(format_table(report, config))
    print(f"{len(policies)} policies x {args.episodes} episodes in {seconds:.1f} s (tuning included)")
    if args.json is not None:
        write_json_atomic(args.json, report)
        print(f"report written to {args.json}")
    if args.plot is not None:
        save_plot(report, results, args.plot)
        print(f"figure written to {args.plot}")
    return 0
