"""Every applicable rule in every shipped scenario, on the same episodes: one table per scenario.

Runs what ``python evaluate.py --scenario NAME`` runs for each shipped scenario (rules tuned on
their own seeds, cached; ``--models DIR`` adds the agent of ``DIR/NAME/real_inventory_model.zip``
where one exists), prints a Markdown table per scenario (policies as rows: the main metric with
its 95% interval, the paired gap to the reference, and the other metrics) and the total time.
Target: every scenario, every applicable policy, 200 episodes each, in under 2 minutes.

    python bench/bench_scenarios.py [--episodes 200] [--seed 1000] [--models logs/models] [--json-dir logs]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from inventory_rl.agent.trained import load_agent
from inventory_rl.evaluation.episodes import play_policies
from inventory_rl.evaluation.metrics import METRIC_DISPLAY
from inventory_rl.evaluation.report import summarize
from inventory_rl.policies.rule_tuning import applicable_rules, tuned_rule
from inventory_rl.policies.rules import RULES
from inventory_rl.runs.files import write_json_atomic
from inventory_rl.runs.layout import MODEL_NAME
from inventory_rl.world.config import list_scenarios

ROOT = Path(__file__).resolve().parent.parent


def markdown(name: str, report: dict, tuned: dict) -> str:
    """One scenario's table: policies as rows, metrics shown as everywhere (``METRIC_DISPLAY``)."""
    metric, reference = report["main_metric"], report["reference"]
    other = "mean_reward" if metric == "fill_rate" else "fill_rate"
    shown = {key: METRIC_DISPLAY[key] for key in (metric, other, "stockouts_per_day")}

    def cell(entry: dict, key: str) -> str:
        return f"{entry[key] * shown[key].scale:{shown[key].format}}"

    headers = [shown[metric].label, f"gap to {reference}", shown[other].label, shown["stockouts_per_day"].label]
    lines = [
        f"**{name}** (main metric: {shown[metric].label}; gaps paired, against `{reference}`)",
        "",
        f"| policy | {' | '.join(headers)} | tuned |",
        "|---|---|---|---|---|---|",
    ]
    for policy, entry in report["policies"].items():
        lo, hi = entry[f"{metric}_ci95"]
        value = f"{cell(entry, metric)} ± {(hi - lo) / 2 * shown[metric].scale:{shown[metric].format}}"
        glo, ghi = entry["gap_ci95"]
        if metric == "fill_rate":
            gap = f"{100 * entry['gap']:+.2f} pp [{100 * glo:+.2f}, {100 * ghi:+.2f}]"
        else:
            gap = f"{entry['gap_percent']:+.2f}%"
        values = ", ".join(f"{k}={v:g}" for k, v in tuned.get(policy, {}).items())
        lines.append(
            f"| {policy} | {value} | {gap} | {cell(entry, other)} | {cell(entry, 'stockouts_per_day')} | {values} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--models", type=Path, help="a folder with one trained run per scenario (DIR/NAME/)")
    parser.add_argument("--json-dir", type=Path, help="also write each report as DIR/evaluation_NAME.json")
    args = parser.parse_args()
    started = time.perf_counter()
    played = 0
    for scenario in list_scenarios():
        config = scenario.config.with_demand_part("holdout")
        names, _ = applicable_rules(config, RULES)
        policies, tuned = [], {}
        model = args.models / scenario.name / MODEL_NAME if args.models else None
        if model is not None and model.is_file():
            policies.append(load_agent(model, scenario.config)[0])
        for name in names:
            rule, result = tuned_rule(name, config, args.seed)
            policies.append(rule)
            if result is not None:
                tuned[name] = result.parameters
        report = summarize(play_policies(policies, config, args.episodes, args.seed), args.seed, config)
        report.update(scenario=f"scenario {scenario.name}", tuned={k: {"parameters": v} for k, v in tuned.items()})
        played += len(policies)
        print(markdown(scenario.name, report, tuned), "\n", flush=True)
        if args.json_dir:
            write_json_atomic(args.json_dir / f"evaluation_{scenario.name}.json", report)
    seconds = time.perf_counter() - started
    print(f"{played} policies x {args.episodes} episodes in 8 scenarios: {seconds:.0f} s (target < 120 s)")


if __name__ == "__main__":
    main()
