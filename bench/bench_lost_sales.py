"""The literature's lost-sales table: the exact optimum and each rule's gap to it.

For lead times L = 1, 2, 3, 4 (the literature's convention; the scenario's ``lead_time`` is
L + 1) and lost-sale costs p = 4, 9, 19, 39 (Poisson demand with mean 5, holding cost 1: the
``lost-sales`` scenario with ``--set``), prints the optimal long-run cost per day from the
project's solver (``lost_sales_optimum.py``), then each rule's simulated cost and its gap to the optimal
policy simulated on the same episodes (paired: the episodes' luck cancels), every policy on
seeds ``--seed + k``, the rules tuned on other seeds (``rule_tuning``). With ``--models DIR`` the
agent of ``DIR/L{L}-p{p}/real_inventory_model.zip`` plays too, where one exists. With ``--general DIR``
one network for every cell (``agent/general.py``) plays too: ``DIR/policy.zip``, trained there first
(on the 16 cells of the table, its time in ``DIR/training.json``) where it is missing; ``--cells``
may name cells outside the table (such as 4:14,4:29) to see it where it never trained.
The long-run cost of a policy is its mean daily cost after the first ``--warmup`` days of each
episode (each starts from the scenario's initial stock with nothing in transit). Two published
values check the solver (Zipkin 2008: 4.04 for L = 1, p = 4 and 6.09 for L = 2, p = 9), and the
simulated cost of the optimal policy must agree with the solver's value within its 95% interval.

    python bench/bench_lost_sales.py [--episodes 200] [--seed 1000] [--models runs/lost_sales]
                                     [--cells 4:9,4:4] [--rules capped-base-stock] [--markdown docs/lost_sales.md]
                                     [--general runs/general]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from inventory_rl.agent.general import (
    TABLE,
    PerProductPolicy,
    general_agent,
    lost_sales_cell,
    save_general,
    train_general,
)
from inventory_rl.agent.trained import load_agent
from inventory_rl.evaluation.episodes import play_policies
from inventory_rl.evaluation.metrics import confidence_interval
from inventory_rl.policies.lost_sales_optimum import solve_cached
from inventory_rl.policies.newsvendor import base_stock_levels
from inventory_rl.policies.rule_tuning import tuned_rule
from inventory_rl.policies.rules import make_rule
from inventory_rl.runs.files import cache_dir
from inventory_rl.runs.layout import MODEL_NAME

ROOT = Path(__file__).resolve().parent.parent

LEAD_TIMES = (1, 2, 3, 4)
LOST_SALE_COSTS = (4, 9, 19, 39)
RULES = ("newsvendor", "base-stock", "capped-base-stock", "constant-order")
PUBLISHED = {(1, 4): 4.04, (2, 9): 6.09}  # Zipkin (2008), optimal cost per period


def long_run_costs(results: list, warmup: int) -> np.ndarray:
    """Each episode's mean daily cost after the warm-up days."""
    return np.array([result.costs[warmup:].mean() for result in results])


def gap_cell(costs: dict, name: str, parameters: str) -> str:
    """A policy's long-run cost and its paired gap to the optimal policy on the same episodes."""
    gap = 100 * (costs[name] - costs["optimal"]).mean() / costs["optimal"].mean()
    return f"{costs[name].mean():.3f} ({gap:+.2f}%) {parameters}".strip()


def units(name: str, rule: object, config: object) -> str:
    """A tuned rule's parameters in units: the order-up-to level S and the cap r."""
    parameters = rule.parameters
    days, rate = config.max_lead_time, config.rate_low
    parts = []
    if "q" in parameters and parameters["q"] is not None:
        level = base_stock_levels(np.array([rate * days]), days * config.max_demand, parameters["q"])[0]
        parts.append(f"S={int(level)}")
    if "cap" in parameters:
        parts.append(f"r={int(np.ceil(parameters['cap'] * rate))}")
    if "factor" in parameters:
        parts.append(f"q={int(np.rint(parameters['factor'] * rate))}")
    return " ".join(parts)


def general_policy(folder: Path, seeds: int, paths: int, rounds: int, seed: int) -> PerProductPolicy:
    """The one network of ``folder``, trained there first on every cell of the table if it is missing."""
    path = folder / "policy.zip"
    if not path.is_file():
        print(
            f"training one network for the {len(TABLE)} cells: {rounds} rounds, {seeds} episodes a cell, {paths} paths"
        )
        policy, seconds = train_general(TABLE, range(seed, seed + seeds), paths, rounds, seed)
        save_general(policy, path)
        record = {"seconds": seconds, "cells": TABLE, "seeds": seeds, "paths": paths, "rounds": rounds, "seed": seed}
        (folder / "training.json").write_text(json.dumps(record) + "\n")
    record = json.loads((folder / "training.json").read_text())
    print(f"one network ({path}): trained in {record['seconds']:.0f} s on {len(record['cells'])} cells")
    return PerProductPolicy.load(str(path), device="cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200, help="evaluation episodes per policy (default 200)")
    parser.add_argument("--seed", type=int, default=1000, help="episode k is played with seed SEED + k")
    parser.add_argument("--warmup", type=int, default=100, help="days of each episode left out of the long-run cost")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--models", type=Path, help="agents trained per cell, in DIR/L{L}-p{p}/")
    parser.add_argument("--cells", help="comma-separated L:p pairs, such as 4:9,4:4 (default: all 16)")
    parser.add_argument("--rules", default=",".join(RULES), help=f"comma-separated rules (default: {','.join(RULES)})")
    parser.add_argument(
        "--general", type=Path, help="one network for every cell, in DIR/policy.zip (trained if missing)"
    )
    parser.add_argument("--general-seeds", type=int, default=8, help="training episodes a cell (default 8)")
    parser.add_argument("--general-paths", type=int, default=100, help="rollout paths a state (default 100)")
    parser.add_argument("--general-rounds", type=int, default=5, help="rounds of Deep Controlled Learning (default 5)")
    args = parser.parse_args()
    chosen = [(lead_time, cost) for lead_time in LEAD_TIMES for cost in LOST_SALE_COSTS]
    if args.cells:
        try:
            chosen = [(int(cell.split(":")[0]), int(cell.split(":")[1])) for cell in args.cells.split(",")]
        except (ValueError, IndexError):
            parser.error(f"--cells must be L:p pairs such as 4:9,4:4, got {args.cells!r}")
    rule_names = [name for name in args.rules.split(",") if name]
    if any(name not in RULES for name in rule_names):
        parser.error(f"--rules must be among {', '.join(RULES)}, got {args.rules!r}")

    general = None
    if args.general:
        general = general_policy(args.general, args.general_seeds, args.general_paths, args.general_rounds, 0)
    columns = (["agent"] if args.models else []) + (["one network"] if general else []) + list(rule_names)
    header = "| L | p | optimal (solver) | optimal (simulated) | " + " | ".join(columns) + " |"
    rows = [header, "|" + "---|" * (4 + len(columns))]
    started = time.perf_counter()
    checks = []
    for lead_time, cost in chosen:
        config = lost_sales_cell(lead_time, cost)
        optimal = make_rule("optimal", config)
        solution = solve_cached(optimal.solution.problem, cache_dir("optimal"))
        rules = [tuned_rule(name, config, args.seed)[0] for name in rule_names]
        agents = []
        model = args.models / f"L{lead_time}-p{cost}" / MODEL_NAME if args.models else None
        if model is not None and model.is_file():
            agents = [load_agent(model, config)[0]]
        if general is not None:
            agents.append(general_agent(general, config))
            agents[-1].name = "one network"
        played = play_policies([optimal, *agents, *rules], config, args.episodes, args.seed)
        costs = {name: long_run_costs(results, args.warmup) for name, results in played.items()}
        low, high = confidence_interval(costs["optimal"])
        agrees = low <= solution.average_cost <= high
        checks.append(agrees)
        cells = [f"{solution.average_cost:.3f}", f"{costs['optimal'].mean():.3f} [{low:.3f}, {high:.3f}]"]
        if args.models:
            cells.append(gap_cell(costs, "ppo", "") if "ppo" in costs else "-")
        if general is not None:
            cells.append(gap_cell(costs, "one network", ""))
        cells += [gap_cell(costs, rule.name, units(rule.name, rule, config)) for rule in rules]
        rows.append(f"| {lead_time} | {cost} | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
        if (lead_time, cost) in PUBLISHED:
            published = PUBLISHED[(lead_time, cost)]
            verdict = "agrees" if abs(solution.average_cost - published) < 0.005 else "DISAGREES"
            print(f"  solver {solution.average_cost:.4f} vs Zipkin (2008) {published}: {verdict}")
    table = "\n".join(rows)
    print()
    print(table)
    print(
        f"\nSimulated optimal within the 95% interval of the solver's value in {sum(checks)}/{len(checks)} cells; "
        f"{args.episodes} episodes of {config.episode_days} days per policy (the first {args.warmup} left out), "
        f"{time.perf_counter() - started:.0f} s"
    )
    if args.markdown:
        args.markdown.write_text(table + "\n")
        print(f"written to {args.markdown}")


if __name__ == "__main__":
    main()
