"""Measure the agent against the classic inventory rules on the same demand.

    python evaluate.py [--model logs/real_inventory_model.zip] [--episodes 200] [--seed 1000]
                       [--policies ppo,newsvendor,...] [--json out.json] [--plot out.png]

Every policy plays the same episodes: episode k is ``InventoryEnv.reset(seed=seed + k)``,
and demand depends only on the seed, so the policies face identical days. Each metric is
computed per episode and reported as its mean over episodes with a 95% confidence
interval (Student t, see ``confidence_interval``). The agent (``ppo``) is played
deterministically, on the env config saved with it; every other policy plays that same
config (the default config when no model is loaded).

Episodes are played and measured by ``episodes.py``; this module turns their metrics into
the report (``evaluate``, ``summarize``), the table and the figure; ``main`` is the command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent import load_agent
from baselines import BASELINES, Policy, make_baseline
from config import DEFAULT_SCENARIO, InventoryConfig, add_scenario_arguments, load_scenario, scenario_or_exit
from episodes import METRICS, EpisodeResult, confidence_interval, play_policies
from utils import ModelLoadError, atomic_writer, load_run_config, resolve_model_path, write_json_atomic

DEFAULT_MODEL = Path("logs/real_inventory_model.zip")
POLICY_NAMES = ("ppo", *BASELINES)


def summarize(results: dict[str, list[EpisodeResult]], seed: int) -> dict:
    """The JSON report of ``play_policies`` results (see ``evaluate``)."""
    episodes = {len(played) for played in results.values()}
    if len(episodes) != 1:
        raise ValueError("every policy must have played the same number of episodes")
    report = {"episodes": episodes.pop(), "seed": seed, "policies": {}}
    for name, played in results.items():
        per_episode = [result.metrics() for result in played]
        entry = {}
        for metric in METRICS:
            values = np.array([metrics[metric] for metrics in per_episode])
            entry[metric] = float(values.mean())
            entry[f"{metric}_ci95"] = confidence_interval(values)
        report["policies"][name] = entry
    return report


def evaluate(policies: Sequence[Policy], config: InventoryConfig, episodes: int, seed: int) -> dict:
    """Play every policy on the same ``episodes`` episodes and report the mean of each metric.

    Returns ``{"episodes": N, "seed": S, "policies": {name: {metric: mean,
    metric + "_ci95": [lo, hi], ...}}}`` for each of ``METRICS``, over N >= 2 episodes.
    """
    return summarize(play_policies(policies, config, episodes, seed), seed)


def allocation_by_demand_rank(results: list[EpisodeResult]) -> tuple[np.ndarray, np.ndarray]:
    """Mean share of the units ordered and of the demand, per product ranked by episode demand.

    Products are drawn afresh each episode, so product 3 of one episode has nothing to
    do with product 3 of the next; ranking them by their episode demand (index 0 = the
    busiest) makes the shares comparable across episodes.
    """
    order_shares, demand_shares = [], []
    for result in results:
        demand = result.demand.sum(axis=0)
        orders = result.orders.sum(axis=0)
        rank = np.argsort(-demand, kind="stable")
        order_shares.append(orders[rank] / max(orders.sum(), 1))
        demand_shares.append(demand[rank] / max(demand.sum(), 1))
    return np.mean(order_shares, axis=0), np.mean(demand_shares, axis=0)


def format_table(report: dict) -> str:
    """The report as a text table: mean ± half the 95% interval for each metric."""
    columns = (  # metric, header, scale, format
        ("fill_rate", "fill rate %", 100, ".1f"),
        ("stockouts_per_day", "stockouts/day", 1, ".2f"),
        ("utilization", "utilization %", 100, ".1f"),
        ("order_accuracy", "order acc. %", 100, ".1f"),
        ("allocation_quality", "alloc. quality", 1, ".3f"),
        ("mean_reward", "reward/episode", 1, ".0f"),
    )
    width = 18
    lines = ["policy".ljust(13) + "".join(header.rjust(width) for _, header, _, _ in columns)]
    for name, entry in report["policies"].items():
        cells = []
        for metric, _, scale, fmt in columns:
            lo, hi = entry[f"{metric}_ci95"]
            cells.append(f"{entry[metric] * scale:{fmt}} ± {(hi - lo) / 2 * scale:{fmt}}".rjust(width))
        lines.append(name.ljust(13) + "".join(cells))
    return "\n".join(lines)


def save_plot(report: dict, results: dict[str, list[EpisodeResult]], path: Path) -> None:
    """Fill rate per policy with its 95% interval, and the agent's allocation against demand.

    The allocation panel shows ``ppo`` when it was evaluated, else the newsvendor rule
    (else the first policy), and says which in its title. Written atomically.
    """
    from matplotlib.figure import Figure  # slow import, only needed for --plot

    fig = Figure(figsize=(13, 4.5), layout="constrained")
    fill_axes, allocation_axes = fig.subplots(1, 2)
    names = list(report["policies"])
    means = np.array([report["policies"][name]["fill_rate"] for name in names])
    intervals = np.array([report["policies"][name]["fill_rate_ci95"] for name in names])
    bars = fill_axes.bar(names, 100 * means, yerr=100 * np.abs(intervals.T - means), capsize=4, color="tab:blue")
    fill_axes.bar_label(bars, fmt="%.1f", label_type="center", color="white")
    fill_axes.set(ylabel="fill rate (%)", ylim=(0, 100), title=f"Fill rate, 95% CI over {report['episodes']} episodes")

    shown = next((name for name in ("ppo", "newsvendor") if name in results), names[0])
    label = {"ppo": "PPO agent", "newsvendor": "newsvendor rule (PPO not evaluated)"}.get(shown, shown)
    order_share, demand_share = allocation_by_demand_rank(results[shown])
    ranks = np.arange(1, len(order_share) + 1)
    allocation_axes.bar(ranks - 0.2, 100 * order_share, 0.4, label=f"{shown}: units ordered")
    allocation_axes.bar(ranks + 0.2, 100 * demand_share, 0.4, label="demand")
    allocation_axes.set(
        xlabel="product, ranked by episode demand (1 = busiest)",
        ylabel="share of episode total (%)",
        xticks=ranks,
        title=f"Allocation vs demand: {label}",
    )
    allocation_axes.legend()
    with atomic_writer(path) as file:
        fig.savefig(file, format=path.suffix.lstrip(".").lower())


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``evaluate.py``."""
    parser = argparse.ArgumentParser(
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
    parser.add_argument("--episodes", type=int, default=200, help="episodes per policy, at least 2 (default 200)")
    parser.add_argument("--seed", type=int, default=1000, help="episode k is played with seed SEED + k (default 1000)")
    parser.add_argument(
        "--policies",
        default=None,
        help=f"comma-separated, from {','.join(POLICY_NAMES)} (default: all of them; ppo when the model exists)",
    )
    add_scenario_arguments(parser, default=None)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; argument and model errors exit with code 2 and one line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.episodes < 2:
        parser.error(f"--episodes must be at least 2 (a confidence interval needs two), got {args.episodes}")
    if args.seed < 0:
        parser.error(f"--seed must be non-negative, got {args.seed}")
    check_output_path(parser, "--json", args.json)
    check_output_path(parser, "--plot", args.plot)
    model_path = args.model or DEFAULT_MODEL
    if args.policies is None:
        names = [name for name in POLICY_NAMES if name != "ppo" or args.model is not None or model_path.exists()]
    else:
        names = parse_policies(parser, args.policies)

    scenario = (
        None
        if args.scenario is None and not args.overrides
        else scenario_or_exit(parser, args.scenario or DEFAULT_SCENARIO, args.overrides)
    )
    agent = None
    config = scenario.config if scenario is not None else load_scenario(DEFAULT_SCENARIO).config
    if "ppo" in names or args.model is not None:
        try:
            agent, config = load_agent(model_path, None if scenario is None else scenario.config)
        except ModelLoadError as error:
            parser.error(str(error))
    config = config.with_demand_part("holdout")  # where days are held out, judge on them only
    if not config.rates_known and "oracle" in names:
        print("oracle: not evaluated, demand comes from a file (there are no hidden rates to know)")
        names.remove("oracle")
    policies = [agent if name == "ppo" else make_baseline(name, config, args.seed) for name in names]

    results = play_policies(policies, config, args.episodes, args.seed)
    report = summarize(results, args.seed)
    if scenario is not None:
        source = f"scenario {scenario.name}" + "".join(f" --set {text}" for text in scenario.overrides)
    elif agent is not None:
        saved = load_run_config(resolve_model_path(model_path)).get("scenario", {}).get("name", DEFAULT_SCENARIO)
        source = f"scenario {saved}, as saved with {model_path}"
    else:
        source = "the default scenario"
    report["scenario"] = source
    print(f"{args.episodes} episodes (seeds {args.seed}..{args.seed + args.episodes - 1}) on {source}")
    print(format_table(report))
    if args.json is not None:
        write_json_atomic(args.json, report)
        print(f"report written to {args.json}")
    if args.plot is not None:
        save_plot(report, results, args.plot)
        print(f"figure written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
