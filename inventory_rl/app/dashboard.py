"""The Streamlit dashboard: watch the agent learn live, replay it against the classic rules,
and play against it.

    streamlit run dashboard.py [-- --log-dir DIR]      (or: inventory-rl dashboard [--log-dir DIR])

The log directory is ``--log-dir`` (after ``--``), else ``$INVENTORY_LOG_DIR``, else ``logs``.
This entry point sets the page up and routes with ``st.navigation`` to the five pages, each
at its own URL: Training (the default, ``/``), Replay (``/replay``), Manual (``/manual``),
Compare (``/compare``: evaluation reports) and Tuning (``/tuning``: Optuna studies).
The pages live beside this file: ``pages/*.py`` are the scripts ``st.navigation`` runs (file
pages, so ``AppTest.switch_page`` can open them too), each one call into its module. The
project's ``dashboard.py`` and the ``inventory-rl dashboard`` command both run ``main``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import streamlit as st

from inventory_rl.app.common import current_log_dir, log_dir_scenario
from inventory_rl.app.scenario import label
from inventory_rl.runs.layout import MODEL_NAME, STREAM_NAME

PAGE_DIR = Path(__file__).resolve().parent / "pages"  # the scripts st.navigation runs
PAGES = {  # title -> script, URL path, icon, tooltip; the first is the default
    "Training": (PAGE_DIR / "training.py", "training", ":material/monitoring:", "Watch the agent learn, live"),
    "Replay": (PAGE_DIR / "replay.py", "replay", ":material/replay:", "One episode, day by day, vs the rules"),
    "Manual": (PAGE_DIR / "manual.py", "manual", ":material/sports_esports:", "You against the agent"),
    "Compare": (
        PAGE_DIR / "compare.py",
        "compare",
        ":material/leaderboard:",
        "The agent against the rules, per scenario",
    ),
    "Tuning": (PAGE_DIR / "tuning.py", "tuning", ":material/science:", "Hyperparameter studies (Optuna)"),
}


def sidebar(log_dir: Path) -> None:
    """The app's title, what the agent does in this run's scenario, and the log directory's state."""
    scenario = log_dir_scenario(log_dir)
    config = scenario.config
    decides = (
        "decides how much to order each day and splits it" if config.order_mode == "free" else "splits each day's order"
    )
    with st.sidebar:
        st.title(":material/inventory_2: Inventory RL")
        st.caption(
            f"Scenario `{label(scenario)}`: a PPO agent {decides} across {config.n_products} products "
            f"sharing a {config.capacity}-unit warehouse."
        )
        st.divider()
        st.caption(f"Log directory: `{log_dir}`")
        stream_state = (
            ":material/check_circle: training stream"
            if (log_dir / STREAM_NAME).is_file()
            else ":material/hourglass_empty: no training stream yet"
        )
        model_state = (
            ":material/check_circle: trained model"
            if (log_dir / MODEL_NAME).is_file()
            else ":material/hourglass_empty: no trained model yet"
        )
        st.caption(f"{stream_state}  \n{model_state}")


def main() -> None:
    """Set the page up, then run the page the URL (or the sidebar menu) asks for."""
    st.set_page_config(page_title="Inventory RL dashboard", page_icon=":material/inventory_2:", layout="wide")
    try:
        log_dir = current_log_dir()
    except argparse.ArgumentError as error:
        st.error(f"dashboard.py: {error}. Usage: streamlit run dashboard.py -- --log-dir DIR")
        return
    pages = [
        st.Page(script, title=title, url_path=url_path, icon=icon, help=tooltip, default=index == 0)
        for index, (title, (script, url_path, icon, tooltip)) in enumerate(PAGES.items())
    ]
    sidebar(log_dir)
    st.navigation(pages).run()


if __name__ == "__main__":
    main()
