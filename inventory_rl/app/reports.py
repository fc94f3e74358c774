"""Evaluation reports as the Compare page shows them, without Streamlit.

A report is the JSON ``evaluate.py --json FILE`` writes (``bench/bench_scenarios.py --json-dir
DIR`` writes one per shipped scenario): ``episodes``, ``seed``, ``main_metric``, ``reference``,
``scenario`` (text such as ``scenario lost-sales --set lead_time=4``), ``tuned``, ``skipped``
and ``policies: {name: {metric: mean, metric + "_ci95": [lo, hi], ..., "gap", "gap_ci95",
"gap_percent"}}``. ``load_reports`` reads every such file of a folder (other JSON files, like
``run_config.json``, are not reports and are passed over); the tables and plot frames here
show one report, or the lost-sales family's reports against the optimum.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from inventory_rl.evaluation.metrics import METRIC_DISPLAY, MetricDisplay, metric_sign
from inventory_rl.runs.files import describe_error
from inventory_rl.runs.layout import STREAM_NAME
from inventory_rl.world.config import ScenarioError, load_scenario

T = TypeVar("T")  # a kind of report

COLUMNS = ("fill_rate", "cost_per_day", "profit_per_day", "stockouts_per_day", "utilization", "mean_reward")
MONEY = ("cost_per_day", "profit_per_day")
AGENT = "ppo"
AGENT_LABEL = "PPO agent"
MAX_REPORT_BYTES = 5_000_000  # reports are kilobytes; larger JSON files are not read
SETTING = re.compile(r"--set\s+(\S+?)=(\S+)")
FAR_BEHIND = 10  # a policy this many typical spreads worse than the middle one is left off the interval plot


class ReportError(ValueError):
    """A file that claims to be a report (it has ``policies``) but cannot be read as one; one line."""


@dataclass(frozen=True)
class Report:
    """One evaluation: every policy's mean metrics with their 95% intervals, on the same episodes."""

    path: Path
    scenario: str  # the evaluation's own words: "scenario lost-sales --set lead_time=4"
    main_metric: str
    reference: str
    episodes: int
    seed: int
    policies: dict[str, dict]
    tuned: dict[str, dict] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The scenario's name (the word after ``scenario``), else the text itself."""
        found = re.search(r"scenario\s+(\S+)", self.scenario)
        return found.group(1).rstrip(",") if found else self.scenario

    @property
    def settings(self) -> dict[str, str]:
        """The ``--set`` values the scenario text names, as given."""
        return dict(SETTING.findall(self.scenario))

    @property
    def label(self) -> str:
        """The scenario text without its leading ``scenario``: ``lost-sales --set lead_time=4``."""
        return re.sub(r"^scenario\s+", "", self.scenario)

    @property
    def title(self) -> str:
        """How the page lists the report: its scenario and file."""
        return f"{self.label} ({self.path.name})"

    @property
    def sells(self) -> bool:
        """Something was sold at a price: some policy's profit is not just minus its cost."""
        return any(
            abs(entry.get("profit_per_day", 0.0) + entry.get("cost_per_day", 0.0)) > 1e-9
            for entry in self.policies.values()
        )

    @property
    def money(self) -> bool:
        """The scenario is judged in money (cost or profit per day)."""
        return self.main_metric in MONEY


def read_report(path: Path) -> Report | None:
    """The report in ``path``; None for a JSON file that is not one (no ``policies``);
    ``ReportError`` (one line) for a report that cannot be read."""
    if path.name == STREAM_NAME:
        return None  # the training stream: JSON Lines, and possibly large
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"{path.name}: cannot be read ({describe_error(error)})") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        if '"policies"' not in text:
            return None  # not JSON, and nothing says it meant to be a report
        raise ReportError(f"{path.name}: not valid JSON ({describe_error(error)})") from None
    if not isinstance(data, dict) or "policies" not in data or is_network_report(data):
        return None  # not a report, or a network's (``app.network_reports`` reads those)
    policies, metric = data.get("policies"), data.get("main_metric", "fill_rate")
    if not isinstance(policies, dict) or not policies:
        raise ReportError(f"{path.name}: 'policies' must map each policy to its metrics")
    for name, entry in policies.items():
        if not isinstance(entry, dict) or not _number(entry.get(metric)) or not _interval(entry.get(f"{metric}_ci95")):
            raise ReportError(f"{path.name}: policy {name!r} has no {metric} with its 95% interval")
    reference = str(data.get("reference") or next(iter(policies)))
    return Report(
        path=path,
        scenario=str(data.get("scenario") or "scenario default"),
        main_metric=str(metric),
        reference=reference if reference in policies else next(iter(policies)),
        episodes=int(data.get("episodes") or 0),
        seed=int(data.get("seed") or 0),
        policies=policies,
        tuned=data.get("tuned") if isinstance(data.get("tuned"), dict) else {},
        skipped=data.get("skipped") if isinstance(data.get("skipped"), dict) else {},
    )


def is_network_report(data: object) -> bool:
    """A network's report (its ``nodes``, and policies with ``network`` figures): ``app.network_reports``'."""
    if not isinstance(data, dict):
        return False
    policies = data.get("policies")
    return (
        isinstance(data.get("nodes"), list)
        and isinstance(policies, dict)
        and any(isinstance(entry, dict) and "network" in entry for entry in policies.values())
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _interval(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_number(bound) for bound in value)


def report_files(where: Path) -> list[Path]:
    """The files that may be reports: the folder ``where``'s ``*.json`` files, by name, or the file ``where``."""
    return sorted(where.glob("*.json")) if where.is_dir() else [where] if where.is_file() else []


def load_reports(where: Path) -> tuple[list[Report], list[str]]:
    """Every report in the folder ``where`` (its ``*.json`` files, by name), or in the file
    ``where``; and one line for each file that claims to be a report but is broken."""
    return read_all(where, read_report)


def read_all(where: Path, read: Callable[[Path], T | None]) -> tuple[list[T], list[str]]:
    """What ``read`` makes of every file ``report_files`` finds in ``where`` (None: not that kind of
    report), and one line for each that is broken (``ReportError``)."""
    reports, problems = [], []
    for path in report_files(where):
        try:
            report = read(path)
        except ReportError as error:
            problems.append(str(error))
            continue
        if report is not None:
            reports.append(report)
    return reports, problems


def policy_label(name: str) -> str:
    """``PPO agent`` for the agent, the rule's name otherwise."""
    return AGENT_LABEL if name == AGENT else name


def metric_display(metric: str) -> MetricDisplay:
    """How ``metric`` is shown: its label, scale and format (``metrics.METRIC_DISPLAY``; the name
    itself, as is, for another)."""
    return METRIC_DISPLAY.get(metric) or MetricDisplay(metric, 1, ".3f", metric, ".3f")


def _fmt(value: float, metric: str) -> str:
    shown = metric_display(metric)
    return f"{value * shown.scale:{shown.format}}"


def policy_table(report: Report) -> pd.DataFrame:
    """One row per policy: the main metric with its 95% interval, the paired gap to the reference
    (with its interval, and in percent), the other metrics, and tuned parameters."""
    metric = report.main_metric
    label = metric_display(metric).label
    others = [name for name in COLUMNS if name != metric and (name not in MONEY or report.money)]
    if metric == "cost_per_day" and not report.sells:  # no price: the profit is minus the cost
        others.remove("profit_per_day")
    rows = {}
    for name, entry in report.policies.items():
        lo, hi = entry[f"{metric}_ci95"]
        row = {label: f"{_fmt(entry[metric], metric)} ± {_fmt((hi - lo) / 2, metric)}"}
        if _number(entry.get("gap")) and _interval(entry.get("gap_ci95")):
            glo, ghi = entry["gap_ci95"]
            row[f"gap to {report.reference}" + (" (pp)" if metric == "fill_rate" else "")] = (
                f"{_fmt(entry['gap'], metric)} [{_fmt(glo, metric)}, {_fmt(ghi, metric)}]"
            )
            row["gap %"] = f"{entry.get('gap_percent', 0.0):+.2f}%"
        for other in others:
            if _number(entry.get(other)):
                row[METRIC_DISPLAY[other].label] = _fmt(entry[other], other)
        parameters = (report.tuned.get(name) or {}).get("parameters") or {}
        row["tuned"] = ", ".join(f"{key}={value:g}" for key, value in parameters.items() if _number(value))
        rows[policy_label(name)] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def interval_frame(report: Report) -> pd.DataFrame:
    """The plot's rows: each policy's mean of the main metric and its 95% interval (scaled as shown)."""
    metric = report.main_metric
    scale = metric_display(metric).scale
    return pd.DataFrame(
        [
            {
                "policy": policy_label(name),
                "mean": entry[metric] * scale,
                "low": entry[f"{metric}_ci95"][0] * scale,
                "high": entry[f"{metric}_ci95"][1] * scale,
            }
            for name, entry in report.policies.items()
        ]
    )


def split_far_behind(report: Report, factor: float = FAR_BEHIND) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``interval_frame`` split in two: the rows the interval plot shows, and those it leaves off
    because they are far behind the rest (listed under the plot instead).

    Why: a user reads this plot to see whether the close contenders' intervals overlap (6.12 against
    6.14 a day). One policy far off (``random``, at 977 a day) stretches the axis until every other
    one is a single dot, and it is not in contention: its value is in the table above. A log scale
    would not do (a profit can be negative, and the close ones would stay close). So a policy whose
    mean is worse than the middle policy's by more than ``factor`` times the typical spread (the
    median distance of the means to their median, or the median half-width of the intervals if
    larger) is left off. Only on the worse side: a policy far *better* than the rest is the news and
    stays. The reference always stays, and with fewer than three policies nothing is left off (there
    is no "rest" to zoom on)."""
    frame = interval_frame(report)
    if len(frame) < 3:
        return frame, frame.iloc[:0]
    means = frame["mean"].to_numpy()
    center = float(np.median(means))
    half_widths = (frame["high"] - frame["low"]).to_numpy() / 2
    spread = max(float(np.median(np.abs(means - center))), float(np.median(half_widths)), 1e-9 * max(1.0, abs(center)))
    behind = metric_sign(report.main_metric) * (center - means)  # > 0: worse than the middle policy
    far = (behind > factor * spread) & (frame["policy"] != policy_label(report.reference)).to_numpy()
    return frame[~far], frame[far]


def overview(reports: Sequence[Report]) -> pd.DataFrame:
    """One row per report: its main metric, reference, the best policy and the agent's gap."""
    rows = []
    for report in reports:
        metric = report.main_metric
        sign = metric_sign(metric)
        best = max(report.policies, key=lambda name: sign * report.policies[name][metric])
        agent = report.policies.get(AGENT, {})
        rows.append(
            {
                "scenario": report.label,
                "file": report.path.name,
                "episodes": report.episodes,
                "main metric": metric_display(metric).label,
                "reference": report.reference,
                "best": f"{policy_label(best)} ({_fmt(report.policies[best][metric], metric)})",
                "PPO agent": f"{_fmt(agent[metric], metric)} ({agent.get('gap_percent', 0.0):+.2f}%)" if agent else "–",
            }
        )
    return pd.DataFrame(rows)


def optimum_reports(reports: Sequence[Report]) -> list[Report]:
    """The reports measured against the exact optimum (the lost-sales family)."""
    return [report for report in reports if report.reference == "optimal"]


def _settings(report: Report, keys: Sequence[str]) -> dict[str, str]:
    """``keys``' values in the report's scenario: as ``--set`` gave them, else the scenario file's."""
    given = report.settings
    missing = [key for key in keys if key not in given]
    if missing:
        try:
            config = load_scenario(report.name).config.to_dict()
        except ScenarioError:
            config = {}
        given = {**{key: f"{config[key]:g}" if key in config else "?" for key in missing}, **given}
    return {key: given[key] for key in keys}


def optimum_table(reports: Sequence[Report]) -> pd.DataFrame:
    """The lost-sales table: one row per report against the optimum (its settings, the optimum's
    value), one column per other policy: its value and gap to the optimum in percent."""
    family = optimum_reports(reports)
    keys = sorted({key for report in family for key in report.settings})
    rows = []
    for report in sorted(family, key=lambda report: tuple(_sort_key(v) for v in _settings(report, keys).values())):
        metric = report.main_metric
        row = {"scenario": report.name, **_settings(report, keys)}
        row["optimal"] = _fmt(report.policies["optimal"][metric], metric)
        for name, entry in report.policies.items():
            if name != "optimal":
                row[policy_label(name)] = f"{_fmt(entry[metric], metric)} ({entry.get('gap_percent', 0.0):+.1f}%)"
        rows.append(row)
    return pd.DataFrame(rows)


def _sort_key(value: str) -> tuple[int, float | str]:
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)
