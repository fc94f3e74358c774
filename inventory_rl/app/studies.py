"""Optuna studies as the Tuning page shows them, without Streamlit.

``tune.py`` keeps its studies in an Optuna storage: by default the SQLite file
``LOG_DIR/tuning.db`` (``sqlite:///LOG_DIR/tuning.db``), or any storage URL (PostgreSQL:
``postgresql://user@host:port/db``). Its studies are named ``inventory-<scenario>`` with user
attributes ``scenario``, ``overrides``, ``metric`` and ``direction``; trial parameters are PPO
settings, intermediate values are reported per evaluation step.

The page opens a storage as ``runs.studies.read_storage`` does, creating nothing: every way a
storage can fail (a malformed URL, a missing file, a server that does not answer, a database
that is not Optuna's) is a ``StorageError`` with a one-line message; a SQLite URL to a file that
does not exist is ``NoStorageFile``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna
import pandas as pd

from inventory_rl.runs.files import describe_error
from inventory_rl.runs.studies import STORAGE_ERRORS, StorageError, read_storage, sqlite_file

MIN_TRIALS_FOR_IMPORTANCE = 2

optuna.logging.set_verbosity(optuna.logging.WARNING)  # a page reading a study should not log every query
logging.getLogger("sqlalchemy").setLevel(logging.WARNING)


def open_storage(url: str) -> optuna.storages.BaseStorage:
    """The Optuna storage at ``url`` typed on the page, read only (``runs.studies.read_storage``);
    ``StorageError`` (one line) if it cannot be opened."""
    url = url.strip()
    if not url:
        raise StorageError("give a storage URL, e.g. sqlite:///logs/tuning.db or postgresql://user@host:5432/db")
    return read_storage(url)


def storage_file(url: str) -> Path | None:
    """The SQLite file a storage URL names (a path typed into the page: ``app.paths`` guards it), None
    for another database, SQLite in memory or a malformed URL (``open_storage`` says what is wrong)."""
    try:
        return sqlite_file(url.strip())
    except STORAGE_ERRORS:  # a malformed URL
        return None


@dataclass(frozen=True)
class StudyInfo:
    """One study of a storage, as the page lists it."""

    name: str
    trials: int
    direction: str
    best_value: float | None
    started: dt.datetime | None
    attrs: dict

    def describe(self) -> str:
        """``inventory-costs · 12 trials · best 214.3 (minimize)``."""
        best = "no finished trial" if self.best_value is None else f"best {self.best_value:,.4g}"
        return f"{self.name} · {self.trials} trials · {best} ({self.direction})"


def list_studies(storage: optuna.storages.BaseStorage) -> list[StudyInfo]:
    """The storage's studies (``optuna.study.get_all_study_summaries``), newest first."""
    try:
        summaries = optuna.study.get_all_study_summaries(storage, include_best_trial=True)
    except STORAGE_ERRORS as error:
        raise StorageError(f"cannot list the studies: {describe_error(error)}") from None
    studies = []
    for summary in summaries:
        best = summary.best_trial.value if summary.best_trial is not None else None
        direction = summary.direction.name.lower() if len(summary.directions) == 1 else "multi-objective"
        studies.append(
            StudyInfo(summary.study_name, summary.n_trials, direction, best, summary.datetime_start, summary.user_attrs)
        )
    return sorted(studies, key=lambda study: study.started or dt.datetime.min, reverse=True)


def load_study(storage: optuna.storages.BaseStorage, name: str) -> optuna.Study:
    """Study ``name`` of the storage; ``StorageError`` if it is gone or unreadable."""
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except STORAGE_ERRORS as error:
        raise StorageError(f"cannot read study {name!r}: {describe_error(error)}") from None


def played(trials: Sequence[optuna.trial.FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
    """The trials that were run: without ``tune.py``'s surplus ones (started when other workers
    had already taken every place, and stopped at once; user attribute ``surplus``)."""
    return [trial for trial in trials if not trial.user_attrs.get("surplus")]


def trials_frame(trials: Sequence[optuna.trial.FrozenTrial]) -> pd.DataFrame:
    """One row per trial: number, state, value, duration (s), the last step reported, why it
    stopped early where ``tune.py`` said (``diverged``), then one column per parameter (blank
    where a trial did not set it)."""
    rows = []
    for trial in trials:
        duration = trial.duration.total_seconds() if trial.duration is not None else None
        steps = trial.intermediate_values
        rows.append(
            {
                "trial": trial.number,
                "state": trial.state.name,
                "value": trial.value if len(trial.values or ()) == 1 else None,
                "duration (s)": None if duration is None else round(duration, 1),
                "last step": max(steps) if steps else None,
                "note": str(trial.user_attrs.get("diverged", "")),
                **{f"param: {key}": value for key, value in trial.params.items()},
            }
        )
    return pd.DataFrame(rows)


def complete(trials: Sequence[optuna.trial.FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
    """The finished trials with one value, by number."""
    done = optuna.trial.TrialState.COMPLETE
    return sorted((t for t in trials if t.state == done and t.value is not None), key=lambda t: t.number)


def best_curve(trials: Sequence[optuna.trial.FrozenTrial], direction: str) -> pd.DataFrame:
    """The finished trials' values and the best value so far (columns trial, value, best);
    ``trials`` may be all of a study's or only its ``complete`` ones."""
    finished = complete(trials)
    values = np.array([trial.value for trial in finished], dtype=float)
    best = np.maximum.accumulate(values) if direction == "maximize" else np.minimum.accumulate(values)
    return pd.DataFrame({"trial": [t.number for t in finished], "value": values, "best": best})


def intermediate_frame(trials: Sequence[optuna.trial.FrozenTrial]) -> pd.DataFrame:
    """Every trial's intermediate values (columns trial, state, step, value), for learning curves."""
    rows = [
        {"trial": trial.number, "state": trial.state.name, "step": step, "value": value}
        for trial in trials
        for step, value in sorted(trial.intermediate_values.items())
    ]
    return pd.DataFrame(rows, columns=["trial", "state", "step", "value"])


def importances(study: optuna.Study, n_finished: int | None = None) -> dict[str, float]:
    """The parameters' importances for the objective (``optuna.importance.get_param_importances``,
    over the complete trials, normalised to sum to 1); ``StorageError`` saying why when they
    cannot be computed (fewer than ``MIN_TRIALS_FOR_IMPORTANCE`` finished trials, or parameters
    that never vary). ``n_finished``: how many ``complete`` trials the caller has already found
    (counted here if None)."""
    if n_finished is None:
        n_finished = len(complete(study.get_trials(deepcopy=False)))
    if n_finished < MIN_TRIALS_FOR_IMPORTANCE:
        raise StorageError(
            f"parameter importances need at least {MIN_TRIALS_FOR_IMPORTANCE} finished trials; "
            f"this study has {n_finished}"
        )
    try:
        return optuna.importance.get_param_importances(study)
    except STORAGE_ERRORS as error:
        raise StorageError(f"parameter importances cannot be computed here: {describe_error(error)}") from None


def study_facts(info: StudyInfo) -> list[tuple[str, str]]:
    """What ``tune.py`` recorded about a study (its user attributes), as (label, value) pairs."""
    attrs = info.attrs or {}
    facts = [("scenario", str(attrs.get("scenario", "?")))]
    overrides = attrs.get("overrides") or []
    if overrides:
        facts.append(("changes", " ".join(f"--set {text}" for text in overrides)))
    facts.append(("metric", str(attrs.get("metric", "the objective"))))
    facts.append(("direction", str(attrs.get("direction", info.direction))))
    facts.extend(
        (key, str(value)) for key, value in attrs.items() if key not in ("scenario", "overrides", "metric", "direction")
    )
    return facts
