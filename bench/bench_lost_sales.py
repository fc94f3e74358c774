"""The literature's lost-sales table: the exact optimum and each rule's gap to it.

For lead times L = 1, 2, 3, 4 (the literature's convention; the scenario's ``lead_time`` is
L + 1) and lost-sale costs p = 4, 9, 19, 39 (Poisson demand with mean 5, holding cost 1: the
``lost-sales`` scenario with ``--set``), prints the optimal long-run cost per day from the
project's solver (``optimal.py``), then each rule's simulated cost and gap to it, every policy
on the same episodes (seeds ``--seed + k``), its rules tuned on other seeds (``rule_tuning``).
The long-run cost of a policy is its mean daily cost after the first ``--warmup`` days of each
episode (each starts from the scenario's initial stock with nothing in transit). Two published
values check the solver (Zipkin 2008: 4.04 for L = 1, p = 4 and 6.09 for L = 2, p = 9), and the
simulated cost of the optimal policy must agree with the solver's value within its 95% interval.

    python bench/bench_lost_sales.py [--episodes 200] [--seed 1000] [--markdown docs/lost_sales.md]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from baselines import make_rule  # noqa: E402
from config import load_scenario  # noqa: E402
from episodes import confidence_interval, play_policies  # noqa: E402
from newsvendor import base_stock_levels  # noqa: E402
from optimal import solve_cached  # noqa: E402
from rule_tuning import tuned_rule  # noqa: E402
from utils import cache_dir  # noqa: E402

LEAD_TIMES = (1, 2, 3, 4)
LOST_SALE_COSTS = (4, 9, 19, 39)
RULES = ("newsvendor", "base-stock", "capped-base-stock", "constant-order")
PUBLISHED = {(1, 4): 4.04, (2, 9): 6.09}  # Zipkin (2008), optimal cost per period


def long_run_costs(results: list, warmup: int) -> np.ndarray:
    """Each episode's mean daily cost after the warm-up days."""
    return np.array([result.costs[warmup:].mean() for result in results])


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200, help="evaluation episodes per policy (default 200)")
    parser.add_argument("--seed", type=int, default=1000, help="episode k is played with seed SEED + k")
    parser.add_argument("--warmup", type=int, default=100, help="days of each episode left out of the long-run cost")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    args = parser.parse_args()

    header = "| L | p | optimal (solver) | optimal (simulated) | " + " | ".join(RULES) + " |"
    rows = [header, "|" + "---|" * (4 + len(RULES))]
    started = time.perf_counter()
    checks = []
    for lead_time in LEAD_TIMES:
        for cost in LOST_SALE_COSTS:
            scenario = load_scenario("lost-sales", [f"lead_time={lead_time + 1}", f"lost_sale_cost={cost}"])
            config = scenario.config
            optimal = make_rule("optimal", config)
            solution = solve_cached(optimal.solution.problem, cache_dir("optimal"))
            rules = [tuned_rule(name, config, args.seed)[0] for name in RULES]
            played = play_policies([optimal, *rules], config, args.episodes, args.seed)
            costs = {name: long_run_costs(results, args.warmup) for name, results in played.items()}
            low, high = confidence_interval(costs["optimal"])
            agrees = low <= solution.average_cost <= high
            checks.append(agrees)
            cells = [f"{solution.average_cost:.3f}", f"{costs['optimal'].mean():.3f} [{low:.3f}, {high:.3f}]"]
            for rule in rules:
                gap = 100 * (costs[rule.name].mean() / solution.average_cost - 1)
                cells.append(f"{costs[rule.name].mean():.3f} ({gap:+.1f}%) {units(rule.name, rule, config)}".strip())
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
