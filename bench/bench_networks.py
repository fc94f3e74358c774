"""Every shipped network x every network rule, on the same episodes, with the exact optimum or a bound.

Runs what ``python evaluate.py --scenario NAME`` runs for each shipped network (``list_networks``, and the
``VARIANTS``: a shipped network with ``--set``, where a rule applies that no shipped network uses): every rule
that applies, tuned on its own seeds (cached under the user cache folder, ``network-rules/``), 200 episodes
(seeds 1000..1199), paired against the optimum where it is known, else the cheapest rule. Prints the matrix of
cost per day (network x rule, with the optimum's long-run cost or the bound), then a Markdown table per
network (cost with its 95% interval, the paired gap, fill rate, the bullwhip ratio of every node, the tuned
values), and the total time. Target: under 2 minutes (with an empty cache the tuning is included).

    python bench/bench_networks.py [--episodes 200] [--seed 1000] [--json-dir DIR] [--chart docs/bullwhip_classic.png]
                                   [--optimum-check]

``--chart PATH`` also draws beer-game-classic's orders per stage and week under tuned base-stock and under
Sterman's rule (the bullwhip made visible), from episode ``--seed`` (its demand is deterministic).
``--optimum-check`` plays the exact optimum of ``serial`` and ``beer-game`` for 120 episodes of 2,000 days
beside the solver's long-run cost (and the beer game's levels with an order counted a day too long).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from inventory_rl.evaluation.metrics import confidence_interval
from inventory_rl.evaluation.network_episodes import play_network
from inventory_rl.evaluation.network_report import evaluate_network
from inventory_rl.policies.network_optimum import serial_optimum
from inventory_rl.policies.network_rules import (
    RULES,
    TUNABLE,
    NetworkRule,
    NetworkState,
    applicable,
    make_network_rule,
)
from inventory_rl.policies.network_tuning import cache_key, tuned_network_rule
from inventory_rl.runs.files import atomic_writer, cache_dir, write_json_atomic
from inventory_rl.world.network import NetworkConfig, list_networks, load_network
from inventory_rl.world.networks import Networks

CHART_RULES = ("base-stock", "sterman")
VARIANTS = {  # a shipped network changed with --set, where a rule applies that no shipped network has a use for
    "serial, shipment_cost 10 into the retailer": ("serial", ("lanes.retailer.shipment_cost=10",)),  # s-S
}


def matrix(reports: dict[str, dict]) -> str:
    """The headline: one row per network, the cost per day of every rule (``n/a`` where it does not apply),
    the exact optimum's long-run cost, and the bound."""
    header = ["network", *RULES, "optimum (long run)", "bound"]
    lines = [f"| {' | '.join(header)} |", "|" + "---|" * len(header)]
    for name, report in reports.items():
        cells = [name]
        for rule in RULES:
            entry = report["policies"].get(rule)
            cells.append("n/a" if entry is None else f"{entry['network']['cost_per_day']:.2f}")
        optimum = report["optimum"]
        cells.append(f"{optimum['cost']:.2f}" if optimum["known"] else "-")
        bounds = [f"{bound['cost_per_day']:.2f} ({key.split()[0]})" for key, bound in report["bounds"].items()]
        cells.append(", ".join(bounds) or "-")
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


def markdown(name: str, report: dict) -> str:
    """One network's table: rules as rows, then its bounds."""
    nodes = report["nodes"]
    reference = report["reference"]
    lines = [
        f"**{name}** (cost per day; gaps paired, against `{reference}`; bullwhip: {', '.join(nodes)})",
        "",
        "| rule | sees | cost / day | gap to " + reference + " | fill rate % | bullwhip | tuned |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule, entry in report["policies"].items():
        network = entry["network"]
        lo, hi = network["cost_per_day_ci95"]
        glo, ghi = entry["gap_percent_ci95"]
        tuned = report["tuned"].get(rule, {}).get("described", "")
        bullwhip = " ".join(
            "-" if entry["bullwhip"][node] is None else f"{entry['bullwhip'][node]:.2f}" for node in nodes
        )
        lines.append(
            f"| {rule} | {entry['sees']} | {network['cost_per_day']:.2f} ± {(hi - lo) / 2:.2f} | "
            f"{entry['gap_percent']:+.2f}% [{glo:+.2f}, {ghi:+.2f}] | {100 * network['fill_rate']:.2f} | "
            f"{bullwhip} | {tuned} |"
        )
    for bound_name, bound in report["bounds"].items():
        lines.append(f"| *{bound_name}* | - | {bound['cost_per_day']:.2f} | {bound['gap_percent']:+.2f}% | - | - | - |")
    for rule, tuning in report["tuned"].items():
        lines.append(
            f"\nTuning {rule}: {tuning['rounds']} rounds, {tuning['candidates']} candidates on {tuning['episodes']} "
            f"episodes, {tuning['seconds']:.1f} s, cost {tuning['start_score']:.2f} -> {tuning['score']:.2f} there."
        )
    optimum = report["optimum"]
    if optimum["known"]:
        levels = ", ".join(f"{node} {level}" for node, level in optimum["levels"].items())
        line = f"\nExact optimum: echelon levels {levels}, long-run cost {optimum['cost']:.3f} a day"
        if "tuned_echelon" in optimum:
            tuned = optimum["tuned_echelon"]
            line += f"; tuned echelon-base-stock's levels cost exactly {tuned['cost']:.3f}"
        lines.append(line + ".")
    return "\n".join(lines)


def cached(rule: str, network: NetworkConfig) -> bool:
    """Whether rule ``rule``'s tuning for ``network`` is in the cache already."""
    return (cache_dir("network-rules") / f"{rule}-{cache_key(rule, network)}.json").is_file()


def chart(network: NetworkConfig, seed: int, path: Path) -> dict[str, dict[str, float]]:
    """beer-game-classic's orders per stage and week under each of ``CHART_RULES`` (tuned where they have
    parameters), beside the customers' demand; returns each rule's cost per week of each stage."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4.5), layout="constrained")
    panels = fig.subplots(1, len(CHART_RULES), sharey=True)
    costs = {}
    for axes, name in zip(panels, CHART_RULES, strict=True):
        rule = tuned_network_rule(name, network)[0] if name != "sterman" else make_network_rule(name, network)
        played = play_network(rule, [seed])
        weeks = np.arange(played.days)  # the order placed at the end of week k, the demand of week k + 1
        costs[name] = {node: float(played.costs[0, :, i].mean()) for i, node in enumerate(network.names)}
        ratios = played.bullwhip()
        for i, node in reversed(list(enumerate(network.names))):
            axes.step(weeks, played.ordered[0, :, i], where="post", label=f"{node} (bullwhip {ratios[node]:.1f})")
        retailer = network.names.index(next(node.name for node in network.nodes if node.has_customers))
        demand = played.demand[0, :, retailer]
        axes.step(weeks + 1, demand, where="post", color="black", linestyle="--", label="customers' demand")
        total = float(played.costs[0].sum(axis=1).mean())
        axes.set(title=f"{name}: {total:.2f} a week", xlabel="week (orders placed at its end)", ylabel="units")
        axes.legend(fontsize=8)
    fig.suptitle("beer-game-classic: the orders each stage places (demand 4, then 8 from week 5)")
    with atomic_writer(path) as file:
        fig.savefig(file, format=path.suffix.lstrip(".").lower(), dpi=110)
    return costs


class LateCount(NetworkRule):
    """The optimal echelon levels with an order below counted in the echelon position until the day after it
    reaches its supplier (the simulator delivers it after that day's decisions): what the timing costs."""

    def _echelon(self, sim: Networks, state: NetworkState, orders: np.ndarray) -> np.ndarray:
        return super()._echelon(sim, dataclasses.replace(state, reaching=np.zeros_like(state.reaching)), orders)


def optimum_check(seed: int, episodes: int = 120, days: int = 2_000, warmup: int = 100) -> list[str]:
    """The exact optimum of ``serial`` and ``beer-game`` played for ``episodes`` episodes of ``days`` days (the
    first ``warmup`` dropped) beside the solver's long-run cost: one line each, with the 95% interval; and the
    beer game's levels with an order counted a day too long (``LateCount``)."""
    lines = []
    seeds = list(range(seed, seed + episodes))
    for name in ("serial", "beer-game"):
        network = load_network(name, [f"episode_days={days}"]).network
        optimum = serial_optimum(network)
        rule = make_network_rule("optimal", network)
        late = LateCount("optimal", network, rule.parameters)
        for label, policy in ((name, rule), (f"{name}, counted a day too long", late)):
            if policy is late and name != "beer-game":
                continue
            cost = play_network(policy, seeds).metrics(warmup)["network"]["cost_per_day"]
            low, high = confidence_interval(cost)
            levels = ", ".join(f"{node} {v}" for node, v in zip(network.names, optimum.node_levels, strict=True))
            lines.append(
                f"{label}: levels {levels}: solver {optimum.cost:.3f} a day, simulated {cost.mean():.3f} "
                f"[{low:.3f}, {high:.3f}] ({episodes} episodes of {days} days, the first {warmup} dropped)"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--json-dir", type=Path, help="also write each report as DIR/network_NAME.json")
    parser.add_argument("--chart", type=Path, help="draw beer-game-classic's orders per stage (png, svg, ...)")
    parser.add_argument(
        "--optimum-check", action="store_true", help="also play the optimum of serial and beer-game for 2,000 days"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    reports: dict[str, dict] = {}
    tuning, fresh = 0.0, 0
    networks = {scenario.name: (scenario.name, ()) for scenario in list_networks()} | VARIANTS
    for label, (name, overrides) in networks.items():
        source = f"network {name}" + "".join(f" --set {text}" for text in overrides)
        network = load_network(name, overrides).network
        untuned = [rule for rule in TUNABLE if applicable(rule, network) is None and not cached(rule, network)]
        reports[label] = report = evaluate_network(network, RULES, args.episodes, args.seed, source=source)[0]
        tuning += sum(report["tuned"][rule]["seconds"] for rule in untuned)
        fresh += len(untuned)
        if args.json_dir:
            write_json_atomic(
                args.json_dir / f"network_{label.split(',')[0]}{'_variant' if overrides else ''}.json", report
            )
    print(matrix(reports) + "\n")
    for name, report in reports.items():
        print(markdown(name, report) + "\n")
    seconds = time.perf_counter() - started
    rules = sum(len(report["policies"]) for report in reports.values())
    print(f"{rules} rules x {args.episodes} episodes in {len(reports)} networks ({len(VARIANTS)} a variant): ", end="")
    print(f"{seconds:.0f} s")
    print(f"(target < 120 s), of which tuning now {tuning:.0f} s ({fresh} rules tuned, the others read from the cache)")
    if args.optimum_check:
        print("\n".join(optimum_check(args.seed)))
    if args.chart is not None:
        costs = chart(load_network("beer-game-classic").network, args.seed, args.chart)
        for name, stages in costs.items():
            shown = ", ".join(f"{node} {cost:.2f}" for node, cost in stages.items())
            print(f"beer-game-classic, {name}: cost per week {sum(stages.values()):.2f} ({shown})")
        print(f"chart written to {args.chart}")


if __name__ == "__main__":
    main()
