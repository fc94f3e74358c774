"""Measure the agent against the classic rules (and the exact optimum, where there is one) on
the same demand, in any scenario.

    python evaluate.py [--model logs/real_inventory_model.zip] [--scenario NAME|PATH] [--set KEY=VALUE]
                       [--episodes 200] [--seed 1000] [--policies ppo,newsvendor,...]
                       [--json out.json] [--plot out.png]

Every policy plays the same episodes: episode k is ``InventoryEnv.reset(seed=seed + k)``,
and demand depends only on the seed, so the policies face identical days (played in
batches, ``episodes.play_policies``). Each metric is computed per episode and reported as its
mean over episodes with a 95% confidence interval (Student t, see ``confidence_interval``).
The comparison that counts is paired: each policy's difference from the reference (``optimal``
where it was played, else the best policy) on the scenario's main metric (the fill rate, or
cost or profit per day where the reward is money), episode by episode, with its own interval.

The scenario is the model's own (from its ``run_config.json``) unless ``--scenario`` or
``--set`` says otherwise, and the default scenario without a model; where a demand file holds
days out, only they are played. The agent (``ppo``) plays deterministically. Rules with
parameters play tuned (``rule_tuning.py``: on other seeds, cached), and the report says with
what values. Rules that do not apply in the scenario are skipped, with the reason.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent import load_agent
from baselines import RULES, Policy
from config import DEFAULT_SCENARIO, InventoryConfig, add_scenario_arguments, load_scenario, scenario_or_exit
from episodes import METRIC_DISPLAY, METRICS, EpisodeResult, confidence_interval, main_metric, play_policies
from rule_tuning import Tuned, applicable_rules, tuned_rule
from utils import ModelLoadError, atomic_writer, load_run_config, resolve_model_path, write_json_atomic

DEFAULT_MODEL = Path("logs/real_inventory_model.zip")
POLICY_NAMES = ("ppo", *RULES)


def summarize(results: dict[str, list[EpisodeResult]], seed: int, config: InventoryConfig) -> dict:
    """The JSON report of ``play_policies`` results (see ``evaluate``)."""
    episodes = {len(played) for played in results.values()}
    if len(episodes) != 1:
        raise ValueError("every policy must have played the same number of episodes")
    metric, sign = main_metric(config)
    per_episode = {name: [result.metrics() for result in played] for name, played in results.items()}
    main = {name: np.array([values[metric] for values in rows]) for name, rows in per_episode.items()}
    reference = "optimal" if "optimal" in main else max(main, key=lambda name: sign * main[name].mean())
    report = {"episodes": episodes.pop(), "seed": seed, "main_metric": metric, "reference": reference, "policies": {}}
    for name, rows in per_episode.items():
        entry = {}
        for key in METRICS:
            values = np.array([values[key] for values in rows])
            entry[key] = float(values.mean())
            entry[f"{key}_ci95"] = confidence_interval(values)
        difference = main[name] - main[reference]  # paired: the same episodes
        entry["gap"] = float(difference.mean())
        entry["gap_ci95"] = confidence_interval(difference)
        reference_mean = float(main[reference].mean())
        entry["gap_percent"] = 100 * entry["gap"] / abs(reference_mean) if reference_mean else 0.0
        report["policies"][name] = entry
    return report


def evaluate(policies: Sequence[Policy], config: InventoryConfig, episodes: int, seed: int) -> dict:
    """Play every policy on the same ``episodes`` episodes and report the mean of each metric.

    Returns ``{"episodes": N, "seed": S, "main_metric": M, "reference": R, "policies": {name:
    {metric: mean, metric + "_ci95": [lo, hi], ..., "gap", "gap_ci95", "gap_percent"}}}`` for each
    of ``METRICS``, over N >= 2 episodes; ``gap`` is the paired difference from policy R on M.
    """
    return summarize(play_policies(policies, config, episodes, seed), seed, config)


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


def format_table(report: dict, config: InventoryConfig) -> str:
    """The report as a text table: mean ± half the 95% interval for each metric, and the paired
    gap to the reference on the main metric."""
    columns = ["fill_rate", "stockouts_per_day", "utilization"]
    if config.has_costs:
        columns += ["cost_per_day", "profit_per_day"] if config.price > 0 else ["cost_per_day"]
    else:
        columns += ["order_accuracy", "allocation_quality"]
    columns += ["mean_reward"]
    width, name_width = 21, 19
    gap_header = f"vs {report['reference']}" + (" %" if config.has_costs else " (pp)")
    lines = ["policy".ljust(name_width) + "".join(METRIC_DISPLAY[metric][0].rjust(width) for metric in columns)]
    lines[0] += gap_header.rjust(26)
    for name, entry in report["policies"].items():
        cells = []
        for metric in columns:
            _, scale, fmt = METRIC_DISPLAY[metric]
            lo, hi = entry[f"{metric}_ci95"]
            cells.append(f"{entry[metric] * scale:{fmt}} ± {(hi - lo) / 2 * scale:{fmt}}".rjust(width))
        lo, hi = entry["gap_ci95"]
        if config.has_costs:
            gap = f"{entry['gap_percent']:+.2f} [{_percent(lo, entry):+.2f}, {_percent(hi, entry):+.2f}]"
        else:
            gap = f"{100 * entry['gap']:+.2f} [{100 * lo:+.2f}, {100 * hi:+.2f}]"
        lines.append(name.ljust(name_width) + "".join(cells) + gap.rjust(26))
    return "\n".join(lines)


def _percent(value: float, entry: dict) -> float:
    """A bound of the gap in the same percent of the reference as ``gap_percent``."""
    return entry["gap_percent"] * value / entry["gap"] if entry["gap"] else 0.0


def save_plot(report: dict, results: dict[str, list[EpisodeResult]], path: Path) -> None:
    """The main metric per policy with its 95% interval, and the paired gap to the reference
    (or, in a multi-product fill-rate scenario, the allocation against demand). Written atomically."""
    from matplotlib.figure import Figure  # slow import, only needed for --plot

    metric, names = report["main_metric"], list(report["policies"])
    scale = 100 if metric == "fill_rate" else 1
    fig = Figure(figsize=(13, 4.5), layout="constrained")
    main_axes, second_axes = fig.subplots(1, 2)
    means = np.array([report["policies"][name][metric] for name in names])
    intervals = np.array([report["policies"][name][f"{metric}_ci95"] for name in names])
    bars = main_axes.bar(names, scale * means, yerr=scale * np.abs(intervals.T - means), capsize=4, color="tab:blue")
    main_axes.bar_label(bars, fmt="%.1f" if scale == 100 else "%.2f", label_type="center", color="white")
    label = {"fill_rate": "fill rate (%)", "cost_per_day": "cost per day", "profit_per_day": "profit per day"}[metric]
    main_axes.set(ylabel=label, title=f"{label}, 95% CI over {report['episodes']} episodes")
    main_axes.tick_params(axis="x", labelrotation=30)
    if metric == "fill_rate" and results[names[0]][0].demand.shape[1] > 1:
        _allocation_panel(second_axes, results, names)
    else:
        gaps = np.array([report["policies"][name]["gap"] for name in names])
        gap_intervals = np.array([report["policies"][name]["gap_ci95"] for name in names])
        second_axes.bar(names, scale * gaps, yerr=scale * np.abs(gap_intervals.T - gaps), capsize=4, color="tab:gray")
        second_axes.axhline(0, color="black", linewidth=0.8)
        second_axes.set(ylabel=f"difference in {label}", title=f"Paired difference from {report['reference']}")
        second_axes.tick_params(axis="x", labelrotation=30)
    with atomic_writer(path) as file:
        fig.savefig(file, format=path.suffix.lstrip(".").lower())


def _allocation_panel(axes: object, results: dict[str, list[EpisodeResult]], names: list[str]) -> None:
    """The agent's (else the newsvendor rule's) share of units per product against demand."""
    shown = next((name for name in ("ppo", "newsvendor") if name in results), names[0])
    label = {"ppo": "PPO agent", "newsvendor": "newsvendor rule (PPO not evaluated)"}.get(shown, shown)
    order_share, demand_share = allocation_by_demand_rank(results[shown])
    ranks = np.arange(1, len(order_share) + 1)
    axes.bar(ranks - 0.2, 100 * order_share, 0.4, label=f"{shown}: units ordered")
    axes.bar(ranks + 0.2, 100 * demand_share, 0.4, label="demand")
    axes.set(
        xlabel="product, ranked by episode demand (1 = busiest)",
        ylabel="share of episode total (%)",
        xticks=ranks,
        title=f"Allocation vs demand: {label}",
    )
    axes.legend()


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
        help=f"comma-separated, from {','.join(POLICY_NAMES)} (default: every one that applies; ppo when the "
        "model exists)",
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
        saved = load_run_config(resolve_model_path(model_path)).get("scenario", {}).get("name", DEFAULT_SCENARIO)
        source = f"scenario {saved}, as saved with {model_path}"
    else:
        source = "the default scenario"
    return source, config.with_demand_part("holdout"), agent


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
    asked = args.policies is not None
    names = parse_policies(parser, args.policies) if asked else list(POLICY_NAMES)
    if not asked and args.model is None and not DEFAULT_MODEL.exists():
        names.remove("ppo")
    source, config, agent = what_to_play(parser, args, names)
    rules, skipped = applicable_rules(config, [name for name in names if name != "ppo"])
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
    for name, reason in skipped.items():
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


if __name__ == "__main__":
    sys.exit(main())
