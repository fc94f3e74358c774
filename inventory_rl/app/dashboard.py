"""The Streamlit dashboard: watch the agent learn live, replay it against the classic rules,
and play against it.

    streamlit run dashboard.py [-- --log-dir DIR]      (or: inventory-rl dashboard [--log-dir DIR])

The log directory is ``--log-dir`` (after ``--``), else ``$INVENTORY_LOG_DIR``, else ``logs``:
a root, whose runs (its own, and those in the folders below it: ``app.run_list``) the sidebar
lists in its "Run" picker; every page shows the picked run's folder.

This entry point sets the page up and routes with ``st.navigation`` to the six pages, each at
its own URL: Training (the default, ``/``), Replay (``/replay``), Manual (``/manual``), the Beer
Game (``/beer-game``: a person in one seat of a chain, against the agents), Compare (``/compare``:
evaluation reports) and Tuning (``/tuning``: Optuna studies). A network run (its run config has a
``network``) is shown by the network versions of the pages; a single warehouse's by the others.
The pages live beside this file: ``pages/*.py`` are the scripts ``st.navigation`` runs (file
pages, so ``AppTest.switch_page`` can open them too), each one call into its module. The
project's ``dashboard.py`` and the ``inventory-rl dashboard`` command both run ``main``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import streamlit as st

from inventory_rl.app.common import RUN_KEY, current_log_dir, forget_other_run, listed_runs, log_dir_scenario
from inventory_rl.app.network_runs import network_description, run_network
from inventory_rl.app.run_list import RunInfo, default_run, pick_run
from inventory_rl.app.scenario import agent_text, label
from inventory_rl.runs.layout import MODEL_NAME, STREAM_NAME

PAGE_DIR = Path(__file__).resolve().parent / "pages"  # the scripts st.navigation runs
PAGES = {  # title -> script, URL path, icon, tooltip; the first is the default
    "Training": (PAGE_DIR / "training.py", "training", ":material/monitoring:", "Watch the agent learn, live"),
    "Replay": (PAGE_DIR / "replay.py", "replay", ":material/replay:", "One episode, day by day, vs the rules"),
    "Manual": (PAGE_DIR / "manual.py", "manual", ":material/sports_esports:", "You against the agent"),
    "Beer Game": (
        PAGE_DIR / "beer_game.py",
        "beer-game",
        ":material/sports_bar:",
        "The Beer Game: you in one seat of a chain, the agents in the others",
    ),
    "Compare": (
        PAGE_DIR / "compare.py",
        "compare",
        ":material/leaderboard:",
        "The agent against the rules, per scenario",
    ),
    "Tuning": (PAGE_DIR / "tuning.py", "tuning", ":material/science:", "Hyperparameter studies (Optuna)"),
}


def run_picker(runs: list[RunInfo]) -> None:
    """The sidebar's "Run" selectbox: every run under the log directory by its relative path and
    scenario, the root's own (or the newest) first picked. Nothing while there is no run."""
    if not runs:
        return
    relatives = [run.relative for run in runs]
    labels = {run.relative: run.label for run in runs}
    default = default_run(runs)
    st.selectbox(
        "Run",
        relatives,
        index=relatives.index(default.relative) if default is not None else 0,
        format_func=lambda relative: labels.get(relative, relative),
        key=RUN_KEY,
        help="The runs under the log directory: its own (`.`) and those in the folders below it, "
        "by their path and scenario. Every page shows the run picked here.",
    )


def sidebar(root: Path) -> Path:
    """The app's title, the run picker, what the agent does in the picked run's scenario, and the
    run folder's state; returns the picked run's folder (the root while it holds no run)."""
    runs = listed_runs(str(root))
    with st.sidebar:
        st.title(":material/inventory_2: Inventory RL")
        run_picker(runs)
        run = pick_run(runs, st.session_state.get(RUN_KEY))
        run_dir = root if run is None else run.path
        scenario = log_dir_scenario(run_dir)
        record = run_network(run_dir)
        if record is not None:
            st.caption(f"Network `{label(scenario)}`: {network_description(record)}.")
        else:
            st.caption(f"Scenario `{label(scenario)}`: a PPO agent {agent_text(scenario.config)}.")
        st.divider()
        where = f"Log directory: `{root}`"
        if run is None:
            where += "  \n:material/hourglass_empty: no run in it or below it yet"
        elif run_dir != root:
            where += f"  \nRun folder: `{run_dir}`"
        st.caption(where)
        stream_state = (
            ":material/check_circle: training stream"
            if (run_dir / STREAM_NAME).is_file()
            else ":material/hourglass_empty: no training stream yet"
        )
        model_state = (
            ":material/check_circle: trained model"
            if (run_dir / MODEL_NAME).is_file()
            else ":material/hourglass_empty: no trained model yet"
        )
        st.caption(f"{stream_state}  \n{model_state}")
    return run_dir


def main() -> None:
    """Set the page up, then run the page the URL (or the sidebar menu) asks for."""
    st.set_page_config(page_title="Inventory RL dashboard", page_icon=":material/inventory_2:", layout="wide")
    try:
        root = current_log_dir()
    except argparse.ArgumentError as error:
        st.error(f"dashboard.py: {error}. Usage: streamlit run dashboard.py -- --log-dir DIR")
        return
    pages = [
        st.Page(script, title=title, url_path=url_path, icon=icon, help=tooltip, default=index == 0)
        for index, (title, (script, url_path, icon, tooltip)) in enumerate(PAGES.items())
    ]
    forget_other_run(sidebar(root))
    st.navigation(pages).run()


if __name__ == "__main__":
    main()
