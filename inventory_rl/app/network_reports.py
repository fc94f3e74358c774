"""Evaluation reports of networks of warehouses as the Compare page shows them, without Streamlit.

A network report is the JSON ``evaluation.network_report.evaluate_network`` makes (and
``cli/evaluate_network.py`` writes for ``evaluate.py --scenario NETWORK --json FILE``, or with
``--model`` a network run's model, whose agents are the policy ``ppo``): ``episodes``,
``seed``, ``nodes``, ``main_metric`` (``cost_per_day``), ``reference`` (``optimal`` where played, else the
cheapest rule), ``network`` (``network beer-game --set ...``), and per policy ``sees`` (local or echelon),
``network`` and ``nodes`` (each metric's mean and ``_ci95``), ``bullwhip`` (node -> variance ratio) and the
paired ``gap`` to the reference; ``bounds`` (lower bounds where no optimum is known), ``optimum``
(the exact echelon levels and their cost, or why there are none), ``tuned`` and ``skipped``.
It is told apart from a single warehouse's report by its ``nodes`` and its policies' ``network`` entries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from inventory_rl.app.reports import MAX_REPORT_BYTES, ReportError, is_network_report, read_all
from inventory_rl.evaluation.network_episodes import NODE_METRIC_DISPLAY, NODE_METRICS
from inventory_rl.runs.files import describe_error
from inventory_rl.runs.layout import STREAM_NAME

AGENTS = "ppo"
AGENTS_LABEL = "PPO agents"


@dataclass(frozen=True)
class NetworkReport:
    """One evaluation of network policies on the same episodes (see the module docstring)."""

    path: Path
    source: str  # "network beer-game --set ..."
    nodes: tuple[str, ...]
    reference: str
    episodes: int
    seed: int
    policies: dict[str, dict]
    bounds: dict[str, dict] = field(default_factory=dict)
    optimum: dict = field(default_factory=dict)
    tuned: dict[str, dict] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The network's name (the word after ``network``), else the text itself."""
        found = re.search(r"network\s+(\S+)", self.source)
        return found.group(1) if found else self.source

    @property
    def label(self) -> str:
        """``beer-game --set nodes.retailer.backorder_cost=20``: the text without its leading ``network``."""
        return re.sub(r"^network\s+", "", self.source) or self.path.stem

    @property
    def title(self) -> str:
        return f"{self.label} ({self.path.name})"


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _interval(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_number(bound) for bound in value)


def read_network_report(path: Path) -> NetworkReport | None:
    """The network report in ``path``; None for a file that is not one; ``ReportError`` (one line) for a
    network report that cannot be read."""
    if path.name == STREAM_NAME:
        return None
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # reports.read_report names an unreadable report
    if not is_network_report(data):
        return None
    policies = data["policies"]
    for name, entry in policies.items():
        network = entry.get("network") if isinstance(entry, dict) else None
        if not isinstance(network, dict) or not _number(network.get("cost_per_day")):
            raise ReportError(f"{path.name}: policy {name!r} has no network cost per day")
        if not _interval(network.get("cost_per_day_ci95")):
            raise ReportError(f"{path.name}: policy {name!r} has no 95% interval of its cost per day")
    reference = str(data.get("reference") or next(iter(policies)))
    try:
        return NetworkReport(
            path=path,
            source=str(data.get("network") or f"network {path.stem}"),
            nodes=tuple(str(node) for node in data["nodes"]),
            reference=reference if reference in policies else next(iter(policies)),
            episodes=int(data.get("episodes") or 0),
            seed=int(data.get("seed") or 0),
            policies=policies,
            bounds=data.get("bounds") if isinstance(data.get("bounds"), dict) else {},
            optimum=data.get("optimum") if isinstance(data.get("optimum"), dict) else {},
            tuned=data.get("tuned") if isinstance(data.get("tuned"), dict) else {},
            skipped=data.get("skipped") if isinstance(data.get("skipped"), dict) else {},
        )
    except (TypeError, ValueError) as error:
        raise ReportError(f"{path.name}: not a readable network report ({describe_error(error)})") from None


def load_network_reports(where: Path) -> tuple[list[NetworkReport], list[str]]:
    """Every network report in the folder ``where`` (its ``*.json`` files, by name) or the file ``where``,
    and one line for each that is broken."""
    return read_all(where, read_network_report)


def policy_label(name: str) -> str:
    """``PPO agents`` for the agents, the rule's name otherwise."""
    return AGENTS_LABEL if name == AGENTS else name


def _mean(entry: dict | None, key: str, with_interval: bool = False) -> str:
    """A metric's mean as shown (``–`` where it does not apply), with ``± half`` its interval if asked."""
    if not entry or not _number(entry.get(key)):
        return "–"
    _, scale, shown = NODE_METRIC_DISPLAY[key]
    text = f"{entry[key] * scale:{shown}}"
    interval = entry.get(f"{key}_ci95")
    if with_interval and _interval(interval):
        text += f" ± {(interval[1] - interval[0]) / 2 * scale:{shown}}"
    return text


def _ratio(value: object) -> str:
    return f"{value:.2f}×" if _number(value) else "–"


def network_table(report: NetworkReport) -> pd.DataFrame:
    """One row per policy, then per bound: what it sees, the network's cost per day with its 95% interval,
    its paired gap to the reference in percent, the customers' figures, the stock, each node's bullwhip
    ratio, and the tuned parameters."""
    rows = {}
    gap_column = f"vs {report.reference} % [95% CI]"
    for name, entry in report.policies.items():
        network = entry["network"]
        row = {"sees": str(entry.get("sees", "")), "cost / day": _mean(network, "cost_per_day", True)}
        row[gap_column] = _gap(entry)
        row.update({NODE_METRIC_DISPLAY[key][0]: _mean(network, key) for key in NODE_METRICS[1:]})
        bullwhip = entry.get("bullwhip") if isinstance(entry.get("bullwhip"), dict) else {}
        row["bullwhip (" + ", ".join(report.nodes) + ")"] = " ".join(
            _ratio(bullwhip.get(node)) for node in report.nodes
        )
        row["tuned"] = str((report.tuned.get(name) or {}).get("described", ""))
        rows[policy_label(name)] = row
    for name, bound in report.bounds.items():
        if isinstance(bound, dict) and _number(bound.get("cost_per_day")):
            row = {"sees": "bound", "cost / day": _mean(bound, "cost_per_day", True), gap_column: _gap(bound)}
            rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index").fillna("")


def _gap(entry: dict) -> str:
    interval = entry.get("gap_percent_ci95")
    if not _number(entry.get("gap_percent")):
        return "–"
    if not _interval(interval):
        return f"{entry['gap_percent']:+.2f}"
    return f"{entry['gap_percent']:+.2f} [{interval[0]:+.2f}, {interval[1]:+.2f}]"


def node_table(report: NetworkReport) -> pd.DataFrame:
    """One row per policy, one column per node: the node's cost per day with its 95% interval."""
    rows = {}
    for name, entry in report.policies.items():
        nodes = entry.get("nodes") if isinstance(entry.get("nodes"), dict) else {}
        rows[policy_label(name)] = {node: _mean(nodes.get(node), "cost_per_day", True) for node in report.nodes}
    return pd.DataFrame.from_dict(rows, orient="index")


def interval_rows(report: NetworkReport) -> pd.DataFrame:
    """The plot's rows: each policy's network cost per day and its 95% interval."""
    return pd.DataFrame(
        [
            {
                "policy": policy_label(name),
                "mean": entry["network"]["cost_per_day"],
                "low": entry["network"]["cost_per_day_ci95"][0],
                "high": entry["network"]["cost_per_day_ci95"][1],
            }
            for name, entry in report.policies.items()
        ]
    )


def optimum_text(report: NetworkReport) -> str:
    """What the report says of the exact optimum, in one line of Markdown."""
    optimum = report.optimum
    if not optimum:
        return "The report says nothing of the exact optimum."
    if not optimum.get("known"):
        return f"No exact optimum: {optimum.get('reason', 'not known for this network')}."
    levels = optimum.get("levels") if isinstance(optimum.get("levels"), dict) else {}
    shown = ", ".join(f"{node} {level}" for node, level in levels.items())
    cost = optimum.get("cost")
    text = f"Exact optimum (Clark-Scarf, Chen-Zheng): echelon levels {shown}"
    if _number(cost):
        text += f"; long-run cost **{cost:,.3f}** a day"
    return text + "."


def network_overview(reports: Sequence[NetworkReport]) -> pd.DataFrame:
    """One row per network report: its episodes, reference, cheapest policy and whether the optimum is known."""
    rows = []
    for report in reports:
        best = min(report.policies, key=lambda name: report.policies[name]["network"]["cost_per_day"])
        cost = report.policies[best]["network"]["cost_per_day"]
        rows.append(
            {
                "network": report.label,
                "file": report.path.name,
                "episodes": report.episodes,
                "reference": report.reference,
                "cheapest": f"{policy_label(best)} ({cost:,.2f} a day)",
                "optimum": "known" if report.optimum.get("known") else "not known",
            }
        )
    return pd.DataFrame(rows)
