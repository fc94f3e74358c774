"""The Compare page: evaluation reports (``evaluate.py --json``, ``bench/bench_scenarios.py
--json-dir``) per scenario: the agent against the rules, as a table and as intervals; and the
lost-sales family's reports as one table of gaps to the optimum.

Reports are read from the folder of the run picked in the sidebar by default (any ``*.json`` with
the report's schema), or from the folder or file the user types (under the log directory or the
scenario folder only, unless the dashboard was started with ``--allow-any-path``: ``app.paths``);
they are re-read only when a file changes. Network reports (``app.network_reports``) are shown in
their own section: each rule's network cost, every node's, the bullwhip ratios and the optimum.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from inventory_rl.app.charts import POLICY_COLORS, chart, interval_spec
from inventory_rl.app.common import current_run_dir, log_dir_scenario, typed_path
from inventory_rl.app.network_reports import (
    AGENTS,
    NetworkReport,
    interval_rows,
    load_network_reports,
    network_overview,
    network_table,
    node_table,
    optimum_text,
)
from inventory_rl.app.network_runs import run_network
from inventory_rl.app.paths import PathRefused
from inventory_rl.app.reports import (
    Report,
    interval_frame,
    load_reports,
    metric_display,
    optimum_reports,
    optimum_table,
    overview,
    policy_table,
    report_files,
    split_far_behind,
)
from inventory_rl.app.scenario import reasons_text

EVALUATE_HINT = (
    "Write one with `python evaluate.py --json LOG_DIR/evaluation.json` (add `--scenario NAME` and "
    "`--set KEY=VALUE` for another scenario), or one per shipped scenario with "
    "`python bench/bench_scenarios.py --json-dir LOG_DIR`."
)


NETWORK_EVALUATE_HINT = (
    "Write one with `python evaluate.py --model LOG_DIR/real_inventory_model.zip --json LOG_DIR/evaluation.json` "
    "(the run's agents beside the network rules, tuned, and the exact optimum where it is known), or "
    "`python evaluate.py --scenario NETWORK --json FILE` for the rules alone."
)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_network_reports(
    where: str, versions: tuple[tuple[str, float, int], ...]
) -> tuple[list[NetworkReport], list[str]]:
    """``app.network_reports.load_network_reports`` of ``where``, read again only when ``versions`` change."""
    return load_network_reports(Path(where))


@st.cache_data(max_entries=16, show_spinner=False)
def cached_reports(where: str, versions: tuple[tuple[str, float, int], ...]) -> tuple[list[Report], list[str]]:
    """``app.reports.load_reports`` of ``where``, read again only when ``versions`` (the JSON files'
    names, modification times and sizes) change."""
    return load_reports(Path(where))


def file_versions(where: Path) -> tuple[tuple[str, float, int], ...]:
    """The JSON files a folder (or the file) holds, with their modification times and sizes."""
    versions = []
    for path in report_files(where):
        try:
            stat = path.stat()
        except OSError:
            continue
        versions.append((path.name, stat.st_mtime, stat.st_size))
    return tuple(versions)


def render_report(report: Report) -> None:
    """One report: who played, the table, the intervals and what was tuned or skipped."""
    shown = metric_display(report.main_metric)
    label = shown.label
    st.markdown(
        f"**{report.scenario}**: {report.episodes} episodes (seeds {report.seed}–{report.seed + report.episodes - 1}), "
        f"the same for every policy. Main metric: **{label}**; the gaps are paired (episode by episode) "
        f"against **{report.reference}**, with their 95% intervals."
    )
    st.dataframe(policy_table(report), width="stretch")
    st.markdown(f"**{label}**: mean and 95% interval over the episodes")
    shown_rows, far = split_far_behind(report)
    colors = dict(zip(interval_frame(report)["policy"], POLICY_COLORS * 2, strict=False))  # the same with or without
    chart(shown_rows, interval_spec(label, shown.format, {name: colors[name] for name in shown_rows["policy"]}))
    if len(far):
        listed = "; ".join(
            f"**{row.policy}** {row.mean:{shown.format}} [{row.low:{shown.format}}, {row.high:{shown.format}}]"
            for row in far.itertuples()
        )
        squeeze = "it would" if len(far) == 1 else "they would"
        st.caption(f"Left off the plot, far behind the others ({squeeze} squeeze them into one dot): {listed}.")
    if report.skipped:
        st.caption(f"Not evaluated here: {reasons_text(report.skipped)}")


def render_compare(log_dir: Path) -> None:
    """The Compare page: pick a report, see it; the lost-sales table when there are such reports."""
    st.header(":material/leaderboard: Compare: the agent against the rules")
    where = st.text_input(
        "Reports folder or file",
        value=str(log_dir),
        key="compare_where",
        help="Every *.json file with evaluate.py's report schema in this folder (or this one file).",
    )
    try:
        path = typed_path(where.strip() or str(log_dir))
    except PathRefused as error:
        st.error(f"Reports: {error}", icon=":material/block:")
        return
    if not path.exists():
        st.error(f"No folder or file at `{path}`.", icon=":material/error:")
        return
    versions = file_versions(path)
    reports, problems = cached_reports(str(path), versions)
    networks, network_problems = cached_network_reports(str(path), versions)
    for problem in (*problems, *network_problems):
        st.warning(f"Not a usable report: {problem}", icon=":material/warning:")
    if not reports and not networks:
        hint = NETWORK_EVALUATE_HINT if run_network(log_dir) is not None else EVALUATE_HINT
        st.info(f"No evaluation report in `{path}` yet. {hint}", icon=":material/info:")
        return
    if reports:
        render_scenarios(reports, log_dir)
    if networks:
        render_networks(networks, log_dir)


def render_scenarios(reports: list[Report], log_dir: Path) -> None:
    """The single warehouse's reports: the overview, the chosen report, the lost-sales family's table."""
    st.subheader("Scenarios")
    st.dataframe(overview(reports), width="stretch", hide_index=True)
    own = log_dir_scenario(log_dir).name  # the run's own scenario's report first, if there is one
    first = next((index for index, report in enumerate(reports) if report.name == own), 0)
    chosen = st.selectbox(
        "Report", range(len(reports)), index=first, format_func=lambda i: reports[i].title, key="compare_report"
    )
    render_report(reports[chosen])
    family = optimum_reports(reports)
    if family:
        st.subheader("Gaps to the optimum (lost-sales family)")
        st.caption(
            "One row per report measured against the exact optimum (lost_sales_optimum.py): the settings each "
            "changed, the optimum's value, and each policy's value with its gap to the optimum. "
            "In Zipkin's (2008) convention L = lead_time − 1."
        )
        st.dataframe(optimum_table(family), width="stretch", hide_index=True)


def render_network_report(report: NetworkReport) -> None:
    """One network report: the rules' network figures, their intervals, the optimum, each node's cost."""
    st.markdown(
        f"**{report.source}**: {report.episodes} episodes (seeds {report.seed}–{report.seed + report.episodes - 1}), "
        f"the same for every policy. The gaps are paired (episode by episode) against **{report.reference}**, "
        "with their 95% intervals; the bullwhip ratio is the variance of a node's orders over that of the "
        "customers' demand it serves."
    )
    st.dataframe(network_table(report), width="stretch")
    st.markdown("**Network cost per day**: mean and 95% interval over the episodes")
    rows = interval_rows(report)
    colors = dict(zip(rows["policy"], POLICY_COLORS * 2, strict=False))
    chart(rows, interval_spec("cost / day", ",.2f", colors))
    st.markdown(optimum_text(report))
    st.markdown("**Each node's cost per day** (mean ± half the 95% interval)")
    st.dataframe(node_table(report), width="stretch")
    if report.skipped:
        st.caption(f"Not evaluated here: {reasons_text(report.skipped)}")
    if AGENTS not in report.policies:
        st.caption(
            "This report holds the network rules only: `evaluate.py --model` with a network run's model adds "
            "its agents; the Replay page of a network run plays them beside the rules, day by day."
        )


def render_networks(reports: list[NetworkReport], log_dir: Path) -> None:
    """The network reports: an overview, then the chosen one (the run's own network's first)."""
    st.subheader("Networks")
    st.dataframe(network_overview(reports), width="stretch", hide_index=True)
    own = log_dir_scenario(log_dir).name
    first = next((index for index, report in enumerate(reports) if report.name == own), 0)
    chosen = st.selectbox(
        "Network report",
        range(len(reports)),
        index=first,
        format_func=lambda i: reports[i].title,
        key="compare_network_report",
    )
    render_network_report(reports[chosen])


def page() -> None:
    """The Compare page of the run picked in the sidebar (``pages/compare.py`` runs it)."""
    render_compare(current_run_dir())
