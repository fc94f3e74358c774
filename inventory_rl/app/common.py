"""What the pages share: the log directory (a root holding runs), the run picked in the sidebar and
its scenario (or network), the models in it (loaded once per file version and scenario for every
session), the folders a typed path may name (``app.paths``), the scenario picker, and the metric cards."""

from __future__ import annotations

import argparse
import copy
import functools
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import streamlit as st

from inventory_rl.agent.trained import load_agent
from inventory_rl.app.history import Metric
from inventory_rl.app.network_runs import run_network
from inventory_rl.app.paths import PathRefused, allows_any_path, readable_path
from inventory_rl.app.run_list import RunInfo, find_runs, pick_run
from inventory_rl.app.scenario import (
    FILE,
    OWN,
    changes_text,
    config_from_key,
    config_key,
    label,
    parse_overrides,
    pick_scenario,
    reasons_text,
    shipped_names,
)
from inventory_rl.policies.base import Policy
from inventory_rl.policies.network_rules import NetworkPolicy
from inventory_rl.runs.layout import (
    CHECKPOINT_DIR,
    MODEL_NAME,
    RUN_CONFIG_NAME,
    ModelLoadError,
    NetworkRecord,
    read_run_config,
)
from inventory_rl.world.config import SCENARIO_DIR, InventoryConfig, Scenario, ScenarioError, load_scenario

TRAIN_COMMAND = "`python train.py --preset quick` (or `run_quick.sh` / `run_quick.bat`)"
START_TRAINING_HINT = f"Start a training run in another terminal with {TRAIN_COMMAND}: this page follows it live."
TRAIN_MODEL_HINT = f"Train one with {TRAIN_COMMAND}."
RUN_KEY = "run"  # the sidebar's run picker: the picked run's path relative to the root
RUN_LIST_SECONDS = 3  # how long a listing of the runs is reused (every click reruns the page); a new run shows after it
# What a page keeps of the run it showed: forgotten when another run is picked, so that its
# widgets start from the new run's defaults (the reports folder, the storage URL, the models...)
# and the manual game is played against the new run's agent. (A Beer Game is not a run's: it is kept.)
RUN_STATE_KEYS = (
    "training_monitor",
    "episode_pick",
    "replay_model",
    "manual_game",
    "manual_opponent",
    "compare_where",
    "compare_report",
    "tuning_url",
    "tuning_study",
    "network_replay_model",
    "network_replay_rules",
    "network_replay_day",
    "network_replay_shown",
    "compare_network_report",
)
SHOWN_RUN_KEY = "shown_run"  # the run whose state the session holds


# ---------------------------------------------------------------------------- the log directory
def resolve_log_dir(argv: Sequence[str], environ: Mapping[str, str]) -> Path:
    """The log directory: ``--log-dir`` in ``argv``, else ``INVENTORY_LOG_DIR``, else ``logs``.

    Streamlit hands the arguments after ``--`` to the script as ``sys.argv[1:]``; unknown
    ones are ignored. A ``--log-dir`` without a value raises ``argparse.ArgumentError``.
    """
    parser = argparse.ArgumentParser(prog="dashboard.py", add_help=False, exit_on_error=False)
    parser.add_argument("--log-dir")
    known, _ = parser.parse_known_args(list(argv))
    return Path(known.log_dir or environ.get("INVENTORY_LOG_DIR") or "logs")


def current_log_dir() -> Path:
    """This app's log directory, from its command line and environment (see ``resolve_log_dir``)."""
    return resolve_log_dir(sys.argv[1:], os.environ)


@st.cache_data(ttl=RUN_LIST_SECONDS, max_entries=8, show_spinner=False)
def listed_runs(root: str) -> list[RunInfo]:
    """``app.run_list.find_runs`` of ``root``, listed again at most every ``RUN_LIST_SECONDS``
    (every widget change reruns the page; the live Training page reruns only its fragment)."""
    return find_runs(Path(root))


def current_runs() -> tuple[Path, list[RunInfo], RunInfo | None]:
    """The log directory (the root), the runs under it, and the one picked in the sidebar
    (``RUN_KEY``), else the default one (None without runs)."""
    root = current_log_dir()
    runs = listed_runs(str(root))
    return root, runs, pick_run(runs, st.session_state.get(RUN_KEY))


def current_run_dir() -> Path:
    """The folder of the run the pages show: the one picked in the sidebar, else the default; the
    log directory itself while it holds no run (the pages then say how to start one)."""
    root, _, run = current_runs()
    return root if run is None else run.path


def current_network() -> NetworkRecord | None:
    """The network record of the run picked in the sidebar; None for one warehouse's run (or none)."""
    return run_network(current_run_dir())


def render_by_kind(network_page: Callable[[Path, NetworkRecord], None], warehouse_page: Callable[[Path], None]) -> None:
    """Draw the page for the run picked in the sidebar: ``network_page`` for a network run, else ``warehouse_page``."""
    run_dir = current_run_dir()
    record = run_network(run_dir)
    if record is not None:
        network_page(run_dir, record)
    else:
        warehouse_page(run_dir)


# ---------------------------------------------------------------------------- typed paths
def path_roots() -> tuple[Path, Path]:
    """The folders a path typed into a page may name: the log directory and the scenario folder."""
    return current_log_dir(), SCENARIO_DIR


def any_path_allowed() -> bool:
    """Whether the dashboard was started with ``--allow-any-path`` (after ``--``)."""
    return allows_any_path(sys.argv[1:])


def typed_path(text: str) -> Path:
    """The path typed into a page as ``text``, if the dashboard may read it (``app.paths``);
    ``PathRefused`` (one line) otherwise."""
    return readable_path(text, path_roots(), any_path_allowed())


def forget_other_run(run_dir: Path) -> None:
    """Forget what the session kept of another run than the one in ``run_dir`` (``RUN_STATE_KEYS``);
    called before a page is drawn, so its widgets start from this run's defaults."""
    state = st.session_state
    shown = state.get(SHOWN_RUN_KEY)
    if shown is not None and shown != str(run_dir):
        for key in RUN_STATE_KEYS:
            state.pop(key, None)
    state[SHOWN_RUN_KEY] = str(run_dir)


def log_dir_scenario(log_dir: Path) -> Scenario:
    """The scenario of the run in ``log_dir`` (its ``run_config.json``), else the default one.
    Read once per version of the file (its modification time and size), so a new run is picked up."""
    path = log_dir / RUN_CONFIG_NAME
    try:
        stat = path.stat()
    except OSError:
        return load_scenario()  # no run yet
    return _run_config_scenario(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _run_config_scenario(path: str, modified_ns: int, size: int) -> Scenario:
    """The scenario of the ``run_config.json`` at ``path`` as it was at ``modified_ns`` and ``size``."""
    try:
        return read_run_config(path).as_scenario()
    except ModelLoadError:  # an unreadable config
        return load_scenario()


def available_models(log_dir: Path) -> list[Path]:
    """The final model first (if any), then the checkpoints, oldest to newest by timesteps."""

    def timesteps(path: Path) -> tuple[int, str]:
        numbers = re.findall(r"\d+", path.stem)  # SB3 names them PREFIX_<steps>_steps.zip
        return (int(numbers[-1]) if numbers else -1, path.name)

    final = [log_dir / MODEL_NAME] if (log_dir / MODEL_NAME).is_file() else []
    return final + sorted((log_dir / CHECKPOINT_DIR).glob("*.zip"), key=timesteps)


# ---------------------------------------------------------------------------- models
@st.cache_resource(show_spinner="Loading the model...", max_entries=8)
def cached_agent(path: str, modified: float, scenario: str) -> tuple[Policy, InventoryConfig] | str:
    """The model at ``path`` as a policy with its env config, in its own scenario (``scenario``
    empty) or in the one whose ``config_key`` is ``scenario``; the one-line reason if it cannot
    play there (kept too, so that a failing model is not reloaded on every rerun). The
    modification time makes a rewritten file reload.

    Only the model is shared between sessions: every use copies the policy (see ``fresh_agent``),
    which holds per-episode state.
    """
    try:
        return load_agent(path, config_from_key(scenario) if scenario else None)
    except ModelLoadError as error:
        return str(error)


def fresh_agent(path: Path, config: InventoryConfig | None = None) -> tuple[Policy, InventoryConfig]:
    """A new policy for the model at ``path``, playing ``config`` (default: the model's own
    scenario); raises ``ModelLoadError`` with a one-line message."""
    try:
        modified = path.stat().st_mtime
    except OSError as error:
        raise ModelLoadError(f"cannot read model {path}: {error.strerror or error}") from None
    loaded = cached_agent(str(path), modified, "" if config is None else config_key(config))
    if isinstance(loaded, str):
        raise ModelLoadError(loaded)
    agent, played = loaded
    model = getattr(agent, "model", None)
    return copy.deepcopy(agent, {id(model): model}), played  # a fresh episode state, the same network


@st.cache_resource(show_spinner="Loading the network's agents...", max_entries=8)
def cached_network_agent(path: str, modified: float) -> NetworkPolicy | str:
    """The network run's model at ``path`` as a ``NetworkPolicy`` (``agent.network_agent``), or the
    one-line reason it cannot be loaded (kept too, so that a failing model is not reloaded on every
    rerun); ``modified`` makes a rewritten file reload. Copied for every use (``fresh_network_agent``)."""
    from inventory_rl.agent.network_agent import load_network_agent  # deferred: it imports SB3

    try:
        return load_network_agent(path)
    except ModelLoadError as error:
        return str(error)


def fresh_network_agent(path: Path) -> NetworkPolicy:
    """A new network policy for the network model at ``path``, with its own episode state and the
    shared network; raises ``ModelLoadError`` with a one-line message."""
    try:
        modified = path.stat().st_mtime
    except OSError as error:
        raise ModelLoadError(f"cannot read model {path}: {error.strerror or error}") from None
    loaded = cached_network_agent(str(path), modified)
    if isinstance(loaded, str):
        raise ModelLoadError(loaded)
    model = getattr(loaded, "model", None)
    return copy.deepcopy(loaded, {id(model): model})


# ---------------------------------------------------------------------------- scenarios
def one_line(error: BaseException) -> str:
    """An error's message as one line (its first), for ``st.error``: never a traceback."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def scenario_header(scenario: Scenario, title: str) -> None:
    """The scenario by name, its description and what differs from the original warehouse."""
    description = f": {scenario.description}" if scenario.description else ""
    st.markdown(f":material/tune: **{title}: `{label(scenario)}`**{description}")
    st.caption(f"What differs from the original warehouse: {changes_text(scenario)}")


def picked_scenario(prefix: str, own: Scenario) -> Scenario:
    """The scenario the ``{prefix}`` picker's widgets name now (``scenario_picker``); also usable in
    their callbacks. ``ScenarioError`` (one line) if it cannot be used."""
    state = st.session_state
    choice = state.get(f"{prefix}_scenario", OWN)
    overrides = parse_overrides(state.get(f"{prefix}_overrides", ""))
    path = state.get(f"{prefix}_scenario_path", "") if choice == FILE else ""
    return pick_scenario(choice, own, path, overrides, may_read=typed_scenario_file)


def typed_scenario_file(file: Path) -> None:
    """A file named in a scenario picker, if the dashboard may read it (``typed_path``); else
    ``ScenarioError``, which the picker shows in one line."""
    try:
        typed_path(str(file))
    except PathRefused as error:
        raise ScenarioError(str(error)) from None


def scenario_picker(prefix: str, own: Scenario, on_change: Callable[[], None] | None = None) -> Scenario | None:
    """Pick a scenario: the run's own, a shipped one, or a TOML file of the user's, with changes
    (``key=value``). Widgets keyed ``{prefix}_scenario``, ``{prefix}_scenario_path`` and
    ``{prefix}_overrides``; a scenario that cannot be used is a one-line error (None returned)."""
    choices = [OWN, *shipped_names(), FILE]
    names = {OWN: f"the run's own ({label(own)})", FILE: "a TOML file of your own..."}
    columns = st.columns(3)
    choice = columns[0].selectbox(
        "Scenario",
        choices,
        format_func=lambda value: names.get(value, value),
        key=f"{prefix}_scenario",
        on_change=on_change,
        help="The scenarios shipped in scenarios/ (python train.py --list-scenarios), or your own file.",
    )
    if choice == FILE:
        columns[1].text_input(
            "Scenario file", key=f"{prefix}_scenario_path", on_change=on_change, placeholder="my_scenario.toml"
        )
    columns[2].text_input(
        "Changes (key=value ...)",
        key=f"{prefix}_overrides",
        on_change=on_change,
        placeholder="lead_time=4 lost_sale_cost=19",
        help="Settings to change, as train.py --set takes them, separated by spaces.",
    )
    if choice == FILE and not st.session_state.get(f"{prefix}_scenario_path", "").strip():
        st.info("Type the path of your scenario's TOML file.", icon=":material/description:")
        return None
    try:
        return picked_scenario(prefix, own)
    except ScenarioError as error:
        st.error(f"Scenario: {one_line(error)}", icon=":material/error:")
        return None


# ---------------------------------------------------------------------------- cards
def draw_metrics(metrics: Sequence[Metric], per_row: int = 4) -> None:
    """Metric cards in rows of ``per_row``."""
    for start in range(0, len(metrics), per_row):
        for column, metric in zip(st.columns(per_row), metrics[start : start + per_row], strict=False):
            column.metric(
                metric.label,
                metric.value,
                metric.delta,
                delta_color=metric.delta_color,
                help=metric.help,
                border=True,
                height="stretch",
                chart_data=metric.sparkline,
                chart_type="area",
            )


def pick_applicable_rules(
    key: str, names: Sequence[str], skipped: Mapping[str, str], preselected: Sequence[str], help_text: str
) -> list[str]:
    """The "Rules to compare" multiselect over the rules that apply (``preselected`` first time), with the
    others listed with why; a choice that no longer applies (after a scenario change) is dropped."""
    chosen = st.session_state.get(key)
    if chosen is None:
        chosen = [name for name in preselected if name in names]
    st.session_state[key] = [name for name in chosen if name in names]
    picked = st.multiselect("Rules to compare", names, key=key, help=help_text)
    if skipped:
        st.caption(f"Not applicable here: {reasons_text(skipped)}")
    return picked
