"""The Tuning page: an Optuna study of ``tune.py``'s, read from the storage it writes (by
default ``tuning.db`` in the folder of the run picked in the sidebar, as ``tune.py --log-dir``
that folder writes it, or any storage URL typed in): its trials, the best value over
the trials, the trials' intermediate values, and the parameters' importances.

The storage is opened once per URL and queried on every run, so a study that ``tune.py`` is
still writing shows its new trials at each rerun (the Refresh button, or any widget). The page never
writes: it opens a storage read-only (``runs.studies.read_storage``), creating no file and no table,
and a SQLite file is read only under the log directory (``app.paths``; ``--allow-any-path`` lifts it).
"""

from __future__ import annotations

from pathlib import Path

import optuna
import pandas as pd
import streamlit as st

from inventory_rl.app.charts import bars_spec, best_value_spec, chart, trial_curves_spec
from inventory_rl.app.common import current_run_dir, draw_metrics, typed_path
from inventory_rl.app.history import Metric
from inventory_rl.app.paths import PathRefused
from inventory_rl.app.studies import (
    StudyInfo,
    best_curve,
    complete,
    importances,
    intermediate_frame,
    list_studies,
    load_study,
    open_storage,
    played,
    storage_file,
    study_facts,
    trials_frame,
)
from inventory_rl.runs.studies import NoStorageFile, StorageError, default_url

TUNE_HINT = "Start a study with `python tune.py --scenario NAME` (it writes to `LOG_DIR/tuning.db` by default)."


@st.cache_resource(max_entries=4, show_spinner=False)
def cached_storage(url: str) -> optuna.storages.BaseStorage:
    """The storage at ``url``, opened once (a failure is not kept: the next run tries again)."""
    return open_storage(url)


@st.cache_data(max_entries=32, show_spinner="Computing the parameters' importances...")
def cached_importances(url: str, study: str, finished: tuple[int, ...]) -> dict[str, float] | str:
    """The study's parameter importances, or why there are none; computed again only when the
    finished trials (``finished``: their numbers) change."""
    try:
        return importances(load_study(cached_storage(url), study), n_finished=len(finished))
    except StorageError as error:
        return str(error)


def pick_study(url: str, log_dir: Path) -> tuple[optuna.Study, StudyInfo] | None:
    """The storage's studies in a selectbox, and the chosen one; a one-line error or a hint
    otherwise (the hint also when the default storage, in ``log_dir``, has no file yet)."""
    try:
        storage = cached_storage(url)
        studies = list_studies(storage)
    except NoStorageFile as error:
        if url == default_url(log_dir):
            st.info(f"No tuning study in `{log_dir}` yet. {TUNE_HINT}", icon=":material/info:")
        else:
            st.error(f"Tuning storage: {error}", icon=":material/error:")
        return None
    except StorageError as error:
        st.error(f"Tuning storage: {error}", icon=":material/error:")
        return None
    if not studies:
        st.info(f"No study in this storage yet. {TUNE_HINT}", icon=":material/info:")
        return None
    index = st.selectbox("Study", range(len(studies)), format_func=lambda i: studies[i].describe(), key="tuning_study")
    info = studies[index or 0]
    try:
        return load_study(storage, info.name), info
    except StorageError as error:
        st.error(f"Tuning storage: {error}", icon=":material/error:")
        return None


def render_study(url: str, study: optuna.Study, info: StudyInfo) -> None:
    """One study: what it tunes, its trials, the best value over them, the intermediate values
    and the importances."""
    every = study.get_trials(deepcopy=False)
    trials = played(every)
    finished = complete(trials)
    facts = dict(study_facts(info))
    st.markdown(" · ".join(f"{key}: **{value}**" for key, value in facts.items()))
    states = pd.Series([trial.state.name for trial in trials]).value_counts()
    best = f"{info.best_value:,.4g}" if info.best_value is not None else "–"
    draw_metrics(
        (
            Metric("Trials", f"{len(trials)}"),
            Metric("Finished", f"{len(finished)}"),
            Metric("Pruned", f"{int(states.get('PRUNED', 0))}"),
            Metric("Failed", f"{int(states.get('FAIL', 0))}"),
            Metric("Best value", best, help=f"The best {facts['metric']} ({facts['direction']})."),
        ),
        per_row=5,
    )
    metric = facts["metric"]
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Best value over the trials** ({metric}; dots: each finished trial)")
        if finished:
            chart(best_curve(finished, info.direction), best_value_spec(metric))
        else:
            st.info("No finished trial yet.", icon=":material/hourglass_top:")
    with right:
        st.markdown(f"**Intermediate values** ({metric} at each evaluation, by timesteps trained; dashed: pruned)")
        curves = intermediate_frame(trials)
        if len(curves):
            chart(curves, trial_curves_spec(metric))
        else:
            st.info("No trial has reported an intermediate value yet.", icon=":material/hourglass_top:")
    st.markdown("**Trials**")
    st.dataframe(trials_frame(trials), width="stretch", hide_index=True)
    if len(every) > len(trials):
        st.caption(f"{len(every) - len(trials)} surplus trials (started when every place was taken) are not shown.")
    st.markdown("**Parameter importances** (fANOVA: the share of the value's variance each parameter explains)")
    found = cached_importances(url, info.name, tuple(trial.number for trial in finished))
    if isinstance(found, str):
        st.info(found[:1].upper() + found[1:] + ".", icon=":material/info:")
    else:
        frame = pd.DataFrame({"parameter": list(found), "importance": list(found.values())})
        chart(frame, bars_spec("parameter", "importance", ".0%"))


def render_tuning(log_dir: Path) -> None:
    """The Tuning page: the storage URL, the study picker, the study."""
    st.header(":material/science: Tuning: hyperparameter studies")
    controls = st.columns([5, 1], vertical_alignment="bottom")
    url = controls[0].text_input(
        "Optuna storage URL",
        value=default_url(log_dir),
        key="tuning_url",
        help="tune.py's storage: the SQLite file LOG_DIR/tuning.db by default, or e.g. postgresql://user@host:5432/db.",
    )
    controls[1].button("Refresh", key="tuning_refresh", width="stretch", help="Read the study again.")
    url = url.strip()
    database = storage_file(url)
    if database is not None:
        try:
            typed_path(str(database))
        except PathRefused as error:
            st.error(f"Tuning storage: {error}", icon=":material/block:")
            return
    picked = pick_study(url, log_dir)
    if picked is not None:
        render_study(url, *picked)


def page() -> None:
    """The Tuning page of the run picked in the sidebar (``pages/tuning.py`` runs it)."""
    render_tuning(current_run_dir())
