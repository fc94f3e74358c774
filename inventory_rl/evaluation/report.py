"""The evaluation report: every policy on the same episodes, each metric's mean with its 95%
interval, and the paired difference from the reference on the scenario's main metric
(``summarize``); as a text table (``format_table``) and a figure (``save_plot``).

The reference is ``optimal`` where it was played, else the best policy; the comparison is
paired, episode by episode, so the days' luck cancels out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from inventory_rl.evaluation.episodes import play_policies
from inventory_rl.evaluation.metrics import METRIC_DISPLAY, METRICS, EpisodeResult, confidence_interval, main_metric
from inventory_rl.policies.base import Policy
from inventory_rl.runs.files import atomic_writer
from inventory_rl.world.config import InventoryConfig


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


COLUMN_GAP = "  "  # between two columns of the text table: cells never touch


def format_table(report: dict, config: InventoryConfig) -> str:
    """The report as a text table: mean ± half the 95% interval for each metric, and the paired
    gap to the reference on the main metric. Each column is as wide as its widest cell (header
    included), columns are ``COLUMN_GAP`` apart, numbers right-aligned, and within a column the
    ``±`` and the interval's brackets line up, so the table reads down as well as across."""
    metrics = ["fill_rate", "stockouts_per_day", "utilization"]
    if config.has_costs:
        metrics += ["cost_per_day", "profit_per_day"] if config.price > 0 else ["cost_per_day"]
    else:
        metrics += ["order_accuracy", "allocation_quality"]
    metrics += ["mean_reward"]
    entries = report["policies"]
    columns = [_left(["policy", *entries])]
    for metric in metrics:
        shown = METRIC_DISPLAY[metric]
        scale, fmt = shown.scale, shown.format
        parts = []
        for entry in entries.values():
            lo, hi = entry[f"{metric}_ci95"]
            parts.append((f"{entry[metric] * scale:{fmt}}", f"{(hi - lo) / 2 * scale:{fmt}}"))
        columns.append(_right(shown.label, _joined(parts, "{} ± {}")))
    gaps = []
    for entry in entries.values():
        lo, hi = entry["gap_ci95"]
        if config.has_costs:
            bounds = entry["gap_percent"], _percent(lo, entry), _percent(hi, entry)
        else:
            bounds = 100 * entry["gap"], 100 * lo, 100 * hi
        gaps.append(tuple(f"{value:+.2f}" for value in bounds))
    gap_header = f"vs {report['reference']}" + (" %" if config.has_costs else " (pp)")
    columns.append(_right(gap_header, _joined(gaps, "{} [{}, {}]")))
    return "\n".join(COLUMN_GAP.join(row).rstrip() for row in zip(*columns, strict=True))


def _joined(cells: list[tuple[str, ...]], template: str) -> list[str]:
    """Cells made of parts (a mean and its half-interval, a gap and its bounds) put into
    ``template``, each part right-aligned to the widest of its kind, so that the ``±`` and the
    brackets of a column line up."""
    widths = [max(len(cell[k]) for cell in cells) for k in range(len(cells[0]))]
    return [template.format(*(part.rjust(width) for part, width in zip(cell, widths, strict=True))) for cell in cells]


def _left(texts: list[str]) -> list[str]:
    """A column of text, left-aligned to its widest cell (the first is the header)."""
    width = max(map(len, texts))
    return [text.ljust(width) for text in texts]


def _right(header: str, cells: list[str]) -> list[str]:
    """A column of numbers under ``header``, right-aligned to its widest cell."""
    width = max(len(header), *map(len, cells))
    return [text.rjust(width) for text in (header, *cells)]


def _percent(value: float, entry: dict) -> float:
    """A bound of the gap in the same percent of the reference as ``gap_percent``."""
    return entry["gap_percent"] * value / entry["gap"] if entry["gap"] else 0.0


def save_plot(report: dict, results: dict[str, list[EpisodeResult]], path: Path) -> None:
    """The main metric per policy with its 95% interval, and the paired gap to the reference
    (or, in a multi-product fill-rate scenario, the allocation against demand). Written atomically."""
    from matplotlib.figure import Figure  # slow import, only needed for --plot

    metric, names = report["main_metric"], list(report["policies"])
    shown = METRIC_DISPLAY[metric]
    scale = shown.scale
    fig = Figure(figsize=(13, 4.5), layout="constrained")
    main_axes, second_axes = fig.subplots(1, 2)
    means = np.array([report["policies"][name][metric] for name in names])
    intervals = np.array([report["policies"][name][f"{metric}_ci95"] for name in names])
    bars = main_axes.bar(names, scale * means, yerr=scale * np.abs(intervals.T - means), capsize=4, color="tab:blue")
    main_axes.bar_label(bars, fmt="%.1f" if scale == 100 else "%.2f", label_type="center", color="white")
    label = shown.name + (" (%)" if scale == 100 else "")
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
