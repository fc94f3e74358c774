"""Evaluation on networks: every applicable rule (tuned), the exact optimum where it is known, on the same
episodes, paired; per node and for the network: cost per day, fill rate at the customers, backorders and
lost sales, stock on hand and in transit, and the bullwhip ratio of every node; the bounds where no optimum
is known (``policies.network_optimum``).

``evaluate_network`` plays and summarises (a JSON-ready dict), ``format_tables`` prints it with aligned
columns, ``save_network_plot`` draws it. The reference of the paired comparison is ``optimal`` where it was
played, else the best rule (``network_rules.best_rule``: the cheapest that knows no hidden rates); every
difference is taken episode by episode (the same seeds: the same demand), with its 95% interval
(``evaluation.metrics.confidence_interval``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from inventory_rl.evaluation.episodes import generators
from inventory_rl.evaluation.metrics import confidence_interval
from inventory_rl.evaluation.network_episodes import NODE_METRIC_DISPLAY, NODE_METRICS, NetworkEpisodes, play_network
from inventory_rl.policies.network_optimum import (
    oracle_applies,
    oracle_bound,
    pooling_bound,
    pooling_problem,
    serial_optimum,
    serial_problem,
)
from inventory_rl.policies.network_rules import RULES, SEES, NetworkPolicy, applicable, best_rule, fixed_rates
from inventory_rl.policies.network_tuning import NetworkTuned, tuned_network_rule
from inventory_rl.runs.files import atomic_writer
from inventory_rl.world.network import NetworkConfig
from inventory_rl.world.networks import Networks

REFERENCE = "optimal"
COLUMN_GAP = "  "


def bounds_of(network: NetworkConfig, seeds: Sequence[int]) -> tuple[dict[str, dict], dict[str, str]]:
    """The lower bounds computed for ``network`` on the episodes of ``seeds`` (``name -> {"description",
    "per_episode": (episodes,) costs per day}``), and why each other one is not."""
    found: dict[str, dict] = {}
    reasons: dict[str, str] = {}
    problem, why = pooling_problem(network)
    if problem is not None:
        bound = pooling_bound(network)
        found[bound.name] = {"description": bound.description, "per_episode": np.full(len(seeds), bound.value)}
    else:
        reasons["pooling bound"] = why
    why = oracle_applies(network)
    if why is None:
        sim = Networks(network, len(seeds))
        sim.reset(generators(seeds))
        found["oracle bound"] = {
            "description": "each node where customers buy holds, every day, the best stock for the day's true rates "
            "within its capacity (newsvendor); every other cost 0",
            "per_episode": oracle_bound(sim),
        }
    else:
        reasons["oracle bound"] = why
    return found, reasons


def evaluate_network(
    network: NetworkConfig,
    names: Sequence[str] = RULES,
    episodes: int = 200,
    seed: int = 1000,
    *,
    source: str = "",
    use_cache: bool = True,
    agents: Mapping[str, NetworkPolicy] | None = None,
) -> tuple[dict, dict[str, NetworkEpisodes]]:
    """Play every rule of ``names`` that applies in ``network`` (tuned, ``policies.network_tuning``: seconds per
    rule the first time, then from the cache) on episodes ``seed .. seed + episodes - 1`` and summarise (see
    ``summarize``: also what was skipped and why, the tunings, the optimum or the bounds); and the played
    episodes by rule. ``agents`` (name -> a trained agent as a policy) play the same episodes first."""
    started = time.perf_counter()
    seeds = list(range(seed, seed + episodes))
    skipped = {name: reason for name in names if (reason := applicable(name, network)) is not None}
    played = {name: play_network(agent, seeds) for name, agent in (agents or {}).items()}
    tunings: dict[str, NetworkTuned] = {}
    for name in names:
        if name in skipped:
            continue
        rule, tuning = tuned_network_rule(name, network, use_cache)
        if tuning is not None:
            tunings[name] = tuning
        played[name] = play_network(rule, seeds)
    if not played:
        raise ValueError("no rule applies: " + "; ".join(f"{name}: {reason}" for name, reason in skipped.items()))
    bounds, unbounded = bounds_of(network, seeds)
    report = summarize(
        played, network, seed, bounds=bounds, sees={name: agent.sees for name, agent in (agents or {}).items()}
    )
    report.update(
        network=source,
        skipped=skipped,
        tuned={name: tuning_entry(tuning, network) for name, tuning in tunings.items()},
        optimum=optimum_entry(network, tunings.get("echelon-base-stock")),
        no_bound=unbounded,
        seconds=time.perf_counter() - started,
    )
    return report, played


def tuning_entry(tuning: NetworkTuned, network: NetworkConfig) -> dict:
    """What the report says of a tuning: the values, the cost reached on the tuning episodes, the method,
    its budget and its time."""
    return {
        "parameters": tuning.parameters,
        "described": tuning.describe(network),
        "score": tuning.score,
        "start_score": tuning.start_score,
        "method": tuning.method,
        "rounds": tuning.rounds,
        "candidates": tuning.candidates,
        "episodes": tuning.episodes,
        "seconds": tuning.seconds,
    }


def optimum_entry(network: NetworkConfig, echelon: NetworkTuned | None = None) -> dict:
    """The exact optimum where it is known: the levels (node -> echelon level), the long-run cost per day as the
    simulator charges it (with and without in-transit holding), and the tuned echelon levels' exact cost; else
    the reason there is none."""
    _, reason = serial_problem(network)
    if reason is not None:
        return {"known": False, "reason": reason}
    optimum = serial_optimum(network)
    entry = {
        "known": True,
        "levels": dict(zip(network.names, optimum.node_levels, strict=True)),
        "cost": optimum.cost,
        "cost_without_in_transit": optimum.solution.cost_without_in_transit + optimum.constant,
        "transit_holding": optimum.transit_holding,
    }
    if echelon is not None:
        rates = fixed_rates(network)
        covers = echelon.rule_parameters()["cover"]
        levels = [int(np.rint(cover * rate)) for cover, rate in zip(covers, rates, strict=True)]
        entry["tuned_echelon"] = {
            "levels": dict(zip(network.names, levels, strict=True)),
            "cost": optimum.evaluate_levels(levels),
        }
    return entry


def summarize(
    played: dict[str, NetworkEpisodes],
    network: NetworkConfig,
    seed: int,
    bounds: dict[str, dict] | None = None,
    sees: Mapping[str, str] | None = None,
) -> dict:
    """The JSON-ready report of rules (and agents: what each sees, ``sees``) played on the same episodes:
    per policy the network's and every node's metrics (mean and 95% interval), the bullwhip ratio of every
    node, and the paired difference of the network's cost per day from the reference (``optimal`` where
    played, else the best rule); per bound its cost per day and its difference from the reference."""
    counts = {len(episodes.seeds) for episodes in played.values()}
    if len(counts) != 1:
        raise ValueError("every rule must have played the same episodes")
    metrics = {name: episodes.metrics() for name, episodes in played.items()}
    costs = {name: values["network"]["cost_per_day"] for name, values in metrics.items()}
    reference = REFERENCE if REFERENCE in costs else best_rule(costs)
    base = costs[reference]
    report: dict = {
        "episodes": counts.pop(),
        "seed": seed,
        "nodes": list(network.names),
        "main_metric": "cost_per_day",
        "reference": reference,
        "policies": {},
        "bounds": {},
    }
    for name, values in metrics.items():
        entry = {
            "sees": SEES[name] if name in SEES else (sees or {})[name],
            "network": _means(values["network"]),
            "nodes": {node: _means(values[node]) for node in network.names},
            "bullwhip": {node: _json(ratio) for node, ratio in played[name].bullwhip().items()},
        }
        entry.update(_gap(costs[name], base))
        report["policies"][name] = entry
    for name, bound in (bounds or {}).items():
        values = np.asarray(bound["per_episode"], np.float64)
        entry = {"description": bound["description"], "cost_per_day": float(values.mean())}
        entry["cost_per_day_ci95"] = _interval(values)
        entry.update(_gap(values, base))
        report["bounds"][name] = entry
    return report


def _interval(values: np.ndarray) -> list[float]:
    """The 95% interval of a mean; a point where every value is the same (a constant bound)."""
    if np.ptp(values) == 0:
        return [float(values[0]), float(values[0])]
    return confidence_interval(values)


def _gap(values: np.ndarray, base: np.ndarray) -> dict:
    difference = values - base  # paired: the same episodes
    reference = float(base.mean())
    gap = float(difference.mean())
    lo, hi = _interval(difference) if len(difference) > 1 else (gap, gap)
    scale = 100 / abs(reference) if reference else 0.0
    return {
        "gap": gap,
        "gap_ci95": [lo, hi],
        "gap_percent": gap * scale,
        "gap_percent_ci95": [lo * scale, hi * scale],
    }


def _means(values: dict[str, np.ndarray]) -> dict:
    """Each metric's mean over episodes and its 95% interval (None where it does not apply: no customers)."""
    entry: dict = {}
    for key in NODE_METRICS:
        column = np.asarray(values[key], np.float64)
        if np.isnan(column).all():
            entry[key], entry[f"{key}_ci95"] = None, None
            continue
        entry[key] = float(column.mean())
        entry[f"{key}_ci95"] = _interval(column) if len(column) > 1 else [entry[key], entry[key]]
    return entry


def _json(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


# ---------------------------------------------------------------------------- the text tables
def aligned(rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Rows of cells as a text table: each column as wide as its widest cell, the first ``left`` columns
    left-aligned and the others right-aligned, ``COLUMN_GAP`` between columns."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if k < left else cell.rjust(width)
            for k, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(COLUMN_GAP.join(cells).rstrip())
    return "\n".join(lines)


def _mean_pm(entry: dict, key: str) -> tuple[str, str]:
    """A mean and half its 95% interval, as shown (``-`` where it does not apply)."""
    _, scale, fmt = NODE_METRIC_DISPLAY[key]
    if entry.get(key) is None:
        return "-", ""
    lo, hi = entry[f"{key}_ci95"]
    return f"{entry[key] * scale:{fmt}}", f"{(hi - lo) / 2 * scale:{fmt}}"


def _pm_column(parts: list[tuple[str, str]]) -> list[str]:
    """``mean ± half`` cells with the ``±`` of a column lined up."""
    first = max(len(mean) for mean, _ in parts)
    second = max(len(half) for _, half in parts)
    return [f"{mean.rjust(first)} ± {half.rjust(second)}" if half else mean.rjust(first) for mean, half in parts]


def _gap_cell(entry: dict) -> str:
    lo, hi = entry["gap_percent_ci95"]
    return f"{entry['gap_percent']:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def format_tables(report: dict) -> str:
    """The report as two text tables: the network (one row per rule, then the bounds), and every node."""
    nodes = report["nodes"]
    policies = report["policies"]
    names = list(policies)
    header = ["policy", "sees", NODE_METRIC_DISPLAY["cost_per_day"][0], f"vs {report['reference']} % [95% CI]"]
    header += [NODE_METRIC_DISPLAY[key][0] for key in NODE_METRICS[1:]] + [f"bullwhip ({', '.join(nodes)})"]
    columns: list[list[str]] = [names, [policies[name]["sees"] for name in names]]
    columns.append(_pm_column([_mean_pm(policies[name]["network"], "cost_per_day") for name in names]))
    columns.append([_gap_cell(policies[name]) for name in names])
    for key in NODE_METRICS[1:]:
        columns.append([_mean_pm(policies[name]["network"], key)[0] for name in names])
    columns.append([" ".join(_ratio(policies[name]["bullwhip"][node]) for node in nodes) for name in names])
    rows = [header, *map(list, zip(*columns, strict=True))]
    for name, bound in report["bounds"].items():
        lo, hi = bound["cost_per_day_ci95"]
        cost = f"{bound['cost_per_day']:.2f}" + (f" ± {(hi - lo) / 2:.2f}" if hi > lo else "")
        rows.append([name, "bound", cost, _gap_cell(bound), *["-"] * (len(NODE_METRICS) - 1), "-"])
    network_table = aligned(rows, left=2)
    node_rows = [["policy", "node", *(NODE_METRIC_DISPLAY[key][0] for key in NODE_METRICS), "bullwhip"]]
    for name in names:
        for node in nodes:
            entry = policies[name]["nodes"][node]
            cells = [_mean_pm(entry, key) for key in NODE_METRICS]
            shown = [f"{mean} ± {half}" if half else mean for mean, half in cells]
            node_rows.append([name, node, *shown, _ratio(policies[name]["bullwhip"][node])])
    return network_table + "\n\nper node:\n" + aligned(node_rows, left=2)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def describe_report(report: dict) -> list[str]:
    """The lines printed above the tables: what was skipped and why, how each rule was tuned, the optimum or
    the bounds, and what each bound is."""
    lines = [f"{name}: not evaluated, {reason}" for name, reason in report["skipped"].items()]
    for name, tuning in report["tuned"].items():
        lines.append(
            f"{name}: tuned on {tuning['episodes']} other episodes by {tuning['method']}: {tuning['rounds']} rounds, "
            f"{tuning['candidates']} candidates, {tuning['seconds']:.1f} s; cost {tuning['start_score']:.2f} -> "
            f"{tuning['score']:.2f} a day there; {tuning['described']}"
        )
    optimum = report["optimum"]
    if optimum["known"]:
        levels = ", ".join(f"{node} {level}" for node, level in optimum["levels"].items())
        charged = "with in-transit holding" if optimum["transit_holding"] else "no in-transit holding charged"
        lines.append(
            f"optimum (Clark-Scarf, Chen-Zheng): echelon levels {levels}; long-run cost {optimum['cost']:.3f} a day "
            f"({charged}; {optimum['cost_without_in_transit']:.3f} without it); the optimal row plays these levels "
            "from the episode's start"
        )
        if "tuned_echelon" in optimum:
            tuned = optimum["tuned_echelon"]
            levels = ", ".join(f"{node} {level}" for node, level in tuned["levels"].items())
            excess = 100 * (tuned["cost"] / optimum["cost"] - 1)
            lines.append(
                f"tuned echelon-base-stock levels {levels}: long-run cost {tuned['cost']:.3f} ({excess:+.2f}%)"
            )
    else:
        lines.append(f"no exact optimum: {optimum['reason']}")
    for name, bound in report["bounds"].items():
        lines.append(f"{name}: {bound['description']}")
    return lines


def save_network_plot(report: dict, path: Path) -> None:
    """The network's cost per day per rule with its 95% interval (bounds as lines), and every node's bullwhip
    ratio per rule. Written atomically."""
    from matplotlib.figure import Figure

    policies = report["policies"]
    names = list(policies)
    fig = Figure(figsize=(13, 4.5), layout="constrained")
    cost_axes, bullwhip_axes = fig.subplots(1, 2)
    means = np.array([policies[name]["network"]["cost_per_day"] for name in names])
    intervals = np.array([policies[name]["network"]["cost_per_day_ci95"] for name in names])
    cost_axes.bar(names, means, yerr=np.abs(intervals.T - means), capsize=4, color="tab:blue")
    for name, bound in report["bounds"].items():
        cost_axes.axhline(bound["cost_per_day"], color="tab:red", linestyle="--", label=name)
    if report["bounds"]:
        cost_axes.legend()
    cost_axes.set(ylabel="cost per day", title=f"Network cost, 95% CI over {report['episodes']} episodes")
    cost_axes.tick_params(axis="x", labelrotation=30)
    width = 0.8 / len(report["nodes"])
    for k, node in enumerate(report["nodes"]):
        ratios = [policies[name]["bullwhip"][node] or 0.0 for name in names]
        bullwhip_axes.bar(np.arange(len(names)) + k * width, ratios, width, label=node)
    bullwhip_axes.axhline(1.0, color="black", linewidth=0.8)
    bullwhip_axes.set_xticks(np.arange(len(names)) + width * (len(report["nodes"]) - 1) / 2, names, rotation=30)
    bullwhip_axes.set(ylabel="var(orders) / var(demand served)", title="Bullwhip ratio per node")
    bullwhip_axes.legend()
    with atomic_writer(path) as file:
        fig.savefig(file, format=path.suffix.lstrip(".").lower())
