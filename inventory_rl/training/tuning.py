"""Tuning PPO's settings with Optuna: one study, shared by as many workers as ``tune.py`` starts
(``cli.tune`` is the command).

Each trial trains PPO exactly as ``train.py`` would (``training.run.build_new_model``: on the training
part of a demand file, warm-started where the settings ask, training seed ``--seed``) with settings that TPE
samples, for ``--trial-timesteps`` steps, and scores the model on ``--eval-episodes`` episodes of
seeds ``training.settings.HELD_OUT_SEED + k`` (800000, 800001, ...), which training (0 .. n_envs - 1), ``evaluate.py``
(1000 + k) and rule tuning (900000 + k) never play: the scenario's main metric
(``evaluation.metrics.main_metric``), on the same episodes for every trial. Like the rules
(``policies/rule_tuning.py``), trials play the training part of a demand file: the held-out days stay
for ``evaluate.py``, so a tuned agent and the tuned rules are compared on days neither was
chosen on. A trial is scored ``EVALUATIONS - 1`` times during training; once 5 trials have
completed (pruned ones do not count), Optuna's median pruner stops a trial whose best score so
far is worse than the median of the completed trials' scores at the same step, from half its
budget on (so at 2/4 and 3/4 of it, not at 1/4).

The study lives in a database: by default the SQLite file ``LOG_DIR/tuning.db``, or any
SQLAlchemy URL (``--storage postgresql://user@host/db``). Every worker started with the same
command works on the same study, each trial once: ``--n-trials`` is the study's total of
finished (complete or pruned) trials, shared by all of them, and a later command with a larger
``--n-trials`` continues the study. A worker records a heartbeat every ``--heartbeat`` seconds;
a trial whose worker died is marked FAILED after ``GRACE_HEARTBEATS`` missed beats and run
again with the same settings by the next worker that looks. Bad arguments (an unknown
scenario, a storage that cannot be reached, a study made for another scenario, ...) are a
one-line error with exit code 2, before anything is written.

The best trial's settings are written to ``LOG_DIR/best_hyperparams_<study>.json`` (or
``--export``), a file ``train.py --hyperparams`` reads.
"""

from __future__ import annotations

import argparse
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import sqlalchemy.exc
import torch
from optuna.trial import FrozenTrial, TrialState
from stable_baselines3.common.callbacks import BaseCallback

from inventory_rl.agent.trained import TrainedAgent
from inventory_rl.evaluation.episodes import score_batch
from inventory_rl.evaluation.metrics import main_metric
from inventory_rl.runs.files import describe_error, write_json_atomic
from inventory_rl.runs.studies import NoStudies, cannot_use, read_storage, shown_url, write_storage
from inventory_rl.training.run import build_new_model
from inventory_rl.training.settings import (
    HELD_OUT_SEED,
    TORCH_THREADS,
    run_settings,
)
from inventory_rl.world.config import Scenario

EVALUATIONS = 4  # scores per trial: at 1/4, 2/4 and 3/4 of its budget (reported, may prune) and at its end
GRACE_HEARTBEATS = 4  # a trial whose worker missed this many heartbeats is taken as dead
MAX_RETRIES = 3  # a dead worker's trial is run again up to this many times
POLL_SECONDS = 2  # how often a worker that waits for trials running elsewhere looks at the study again
PRUNER_STARTUP_TRIALS = 5  # the median pruner waits for this many complete trials
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)  # the trials --n-trials counts
TAKEN = (*FINISHED, TrialState.RUNNING, TrialState.WAITING)  # trials that hold one of the --n-trials places

# ---------------------------------------------------------------------------- the search space
# PPO's rollout length per env: powers of two, so that every minibatch count divides the rollout.
N_STEPS = (32, 64, 128, 256, 512, 1024, 2048)
FLOATS = {  # name: (low, high, log scale)
    "learning_rate": (1e-5, 3e-3, True),
    "gamma": (0.8, 0.999, False),
    "gae_lambda": (0.8, 1.0, False),
    "clip_range": (0.1, 0.4, False),
    "ent_coef": (1e-8, 1e-2, True),
    "log_std_init": (-3.0, 0.0, False),  # the policy's initial exploration noise, log of its std
}
INTS = {"n_epochs": (3, 20)}
CHOICES = {"n_minibatches": (1, 2, 4, 8, 16), "net_width": (16, 32, 64, 128)}


def n_steps_choices(trial_timesteps: int, n_envs: int) -> list[int]:
    """The rollout lengths per env whose rollout fits ``EVALUATIONS`` times into a trial's budget
    (at least the shortest), so that the model is updated between any two scores."""
    fitting = [n_steps for n_steps in N_STEPS if n_steps * n_envs * EVALUATIONS <= trial_timesteps]
    return fitting or [N_STEPS[0]]


def describe_search_space() -> str:
    """The sampled settings and their ranges, for ``--help``."""
    floats = [f"{name} {low:g}-{high:g}{' (log)' if log else ''}" for name, (low, high, log) in FLOATS.items()]
    ints = [f"{name} {low}-{high}" for name, (low, high) in INTS.items()]
    choices = [f"{name} {'/'.join(map(str, values))}" for name, values in CHOICES.items()]
    return (
        "Sampled settings: "
        + ", ".join([*floats, *ints, *choices])
        + f", n_steps {'/'.join(map(str, N_STEPS))} (those whose rollout fits {EVALUATIONS} times into"
        " --trial-timesteps); batch_size = n_steps * n_envs / n_minibatches. The others keep the agent's defaults."
    )


def sample_settings(trial: optuna.Trial, base: dict[str, Any], n_envs: int, trial_timesteps: int) -> dict[str, Any]:
    """The settings of one trial: ``base`` (the agent's defaults and the scenario's presets) with
    the sampled ones (``FLOATS``, ``INTS``, ``CHOICES``, ``n_steps``) over it; the batch size is
    the rollout (``n_steps * n_envs``) split into ``n_minibatches``, so it always divides it."""
    sampled: dict[str, Any] = {
        name: trial.suggest_float(name, low, high, log=log) for name, (low, high, log) in FLOATS.items()
    }
    sampled.update({name: trial.suggest_int(name, low, high) for name, (low, high) in INTS.items()})
    sampled.update({name: trial.suggest_categorical(name, values) for name, values in CHOICES.items()})
    sampled["n_steps"] = trial.suggest_categorical("n_steps", n_steps_choices(trial_timesteps, n_envs))
    sampled["batch_size"] = sampled["n_steps"] * n_envs // sampled.pop("n_minibatches")
    return {**base, **sampled}


class TrialSeededSampler(optuna.samplers.TPESampler):
    """TPE (multivariate; with Optuna's constant liar, so that trials running elsewhere count)
    whose random draws for trial k come from (seed, k), not from the worker's own history.

    Workers that share a study with the same ``--seed`` then draw different settings (a plain
    seeded TPE in each would repeat the same ones), and one worker draws the same random
    start-up settings as two. Optuna has no public way to seed a sampler per trial: this reseeds
    TPESampler's two generators (its own and its start-up RandomSampler's; Optuna is pinned)."""

    def __init__(self, seed: int):
        super().__init__(seed=seed, multivariate=True)
        self.seed = seed

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        tpe_seed, random_seed = np.random.SeedSequence([self.seed, trial.number]).generate_state(2)
        self._rng.rng.seed(int(tpe_seed))
        self._random_sampler._rng.rng.seed(int(random_seed))
        super().before_trial(study, trial)


# ---------------------------------------------------------------------------- one trial
class SurplusTrial(Exception):
    """A trial started after other workers had taken every one of the study's places."""


class TrialEvaluation(BaseCallback):
    """Scores the model at 1/``EVALUATIONS``, 2/``EVALUATIONS``, ... of the trial's budget
    (before its end), reports each score to Optuna at the number of timesteps trained, and stops
    training when the pruner says so."""

    def __init__(self, trial: optuna.Trial, score: Callable[[], float], budget: int):
        super().__init__()
        self.trial = trial
        self.score = score
        self.budget = budget
        self.checkpoints = [budget * k // EVALUATIONS for k in range(1, EVALUATIONS)]
        self.pruned = False

    def _on_step(self) -> bool:
        if not self.checkpoints or self.num_timesteps < self.checkpoints[0] or self.num_timesteps >= self.budget:
            return True
        self.checkpoints = [step for step in self.checkpoints if step > self.num_timesteps]
        self.trial.report(self.score(), self.num_timesteps)
        self.pruned = self.trial.should_prune()
        return not self.pruned


class Objective:
    """What a trial does: claim one of the study's places, sample settings, train, score."""

    def __init__(self, scenario: Scenario, args: argparse.Namespace):
        self.agent = args.agent
        self.n_envs = args.n_envs
        self.seed = args.seed
        self.n_trials = args.n_trials
        self.trial_timesteps = args.trial_timesteps
        self.defaults = run_settings(scenario, args.agent, None)
        self.config = scenario.config
        self.train_config = scenario.config.with_demand_part("train")
        self.eval_seeds = list(range(HELD_OUT_SEED, HELD_OUT_SEED + args.eval_episodes))
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        torch.set_num_threads(TORCH_THREADS)  # as train.train does

    def score(self, policy: TrainedAgent) -> float:
        """The scenario's main metric of ``policy``, averaged over the evaluation episodes."""
        return float(np.mean(score_batch(policy, self.train_config, self.eval_seeds)))

    def __call__(self, trial: optuna.Trial) -> float:
        claim_place(trial, self.n_trials)
        settings = sample_settings(trial, self.defaults, self.n_envs, self.trial_timesteps)
        for key, value in {"worker": self.worker, "seed": self.seed, "settings": settings}.items():
            trial.set_user_attr(key, value)
        built = build_new_model(self.config, self.agent, settings, self.n_envs, self.seed, None)  # as train.py
        env, model = built.env, built.model
        # The model as a policy (correcting the rule that training's view corrects, in free order
        # mode, as train.py records it); it plays the model as it is at each score.
        policy = TrainedAgent(model, self.train_config, self.agent, env.get_attr("view")[0].base)
        evaluation = TrialEvaluation(trial, lambda: self.score(policy), self.trial_timesteps)
        try:
            model.learn(self.trial_timesteps, callback=evaluation)
        except ValueError as error:  # settings that make the policy's outputs NaN: a bad corner, not a bug
            trial.set_user_attr("diverged", describe_error(error))
            raise optuna.TrialPruned(f"training diverged: {describe_error(error)}") from error
        finally:
            env.close()
        if evaluation.pruned:
            raise optuna.TrialPruned(f"pruned at {model.num_timesteps:,} timesteps")
        value = self.score(policy)
        trial.report(value, model.num_timesteps)
        return value


def claim_place(trial: optuna.Trial, n_trials: int) -> None:
    """Raise ``SurplusTrial`` if ``n_trials`` trials numbered before this one are finished,
    running or waiting. Optuna numbers a study's trials one by one under a lock, so when two
    workers start a trial for the last place at the same moment, the lower number goes on."""
    taken = trial.study.get_trials(deepcopy=False, states=TAKEN)
    if sum(other.number < trial.number for other in taken) >= n_trials:
        trial.set_user_attr("surplus", True)
        raise SurplusTrial(f"the study's {n_trials} trials were taken by other workers")


# ---------------------------------------------------------------------------- the study
def find_study_attrs(url: str, name: str) -> dict[str, Any]:
    """The user attributes of study ``name`` in ``url`` (none if there is no such study).

    Writes nothing (``runs.studies.read_storage``): a SQLite file that does not exist is not
    created, a database without Optuna's tables is left without them. ``StorageError`` if the URL
    is malformed or names a database that cannot be reached or read."""
    try:
        storage = read_storage(url)
    except NoStudies:
        return {}
    try:
        return storage.get_study_user_attrs(storage.get_study_id_from_name(name))
    except KeyError:
        return {}
    except sqlalchemy.exc.SQLAlchemyError as error:
        raise cannot_use(url, error) from None
    finally:
        storage.engine.dispose()


def default_study_name(scenario: str, agent: str, overrides: Sequence[str]) -> str:
    """``inventory-<scenario>``, then ``-<agent>`` unless structured, then each ``--set``."""
    parts = [f"inventory-{scenario}", *([agent] if agent != "structured" else []), *overrides]
    return "-".join(parts)


def study_attrs(scenario: Scenario, args: argparse.Namespace) -> dict[str, Any]:
    """What a study records of its command, which every worker of it must share: its trials are
    comparable only on one scenario, agent, budget and set of evaluation episodes."""
    metric, sign = main_metric(scenario.config)
    return {
        "scenario": scenario.name,
        "overrides": list(args.overrides or ()),
        "metric": metric,
        "direction": "maximize" if sign > 0 else "minimize",
        "agent": args.agent,
        "trial_timesteps": args.trial_timesteps,
        "n_envs": args.n_envs,
        "eval_episodes": args.eval_episodes,
        "eval_seed": HELD_OUT_SEED,
        "heartbeat": args.heartbeat,
    }


def mismatch(existing: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    """How a study's recorded attributes differ from this command's (None if they do not).
    Attributes a study lacks are no difference: the worker that created it may be writing them
    at this moment (Optuna sets them one by one), or have stopped before it could."""
    for key, value in wanted.items():
        if key in existing and existing[key] != value:
            return f"was made with {key} {existing[key]!r}, this command has {value!r}"
    return None


def open_study(url: str, name: str, attrs: dict[str, Any], seed: int, heartbeat: int) -> optuna.Study:
    """Study ``name`` in ``url`` (``runs.studies.write_storage``: the storage too), created if it
    does not exist yet (by whichever worker comes first), with the ``attrs`` it lacks. Trials
    record a heartbeat; a stale one is failed and queued again."""
    storage = write_storage(
        url,
        heartbeat_interval=heartbeat,
        grace_period=GRACE_HEARTBEATS * heartbeat,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRIES),
    )
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction=attrs["direction"],
        sampler=TrialSeededSampler(seed),
        pruner=optuna.pruners.MedianPruner(PRUNER_STARTUP_TRIALS, n_warmup_steps=attrs["trial_timesteps"] // 2),
        load_if_exists=True,
    )
    for key, value in attrs.items():
        if key not in study.user_attrs:
            study.set_user_attr(key, value)
    return study


def trial_counts(study: optuna.Study) -> Counter:
    """The study's trials by state."""
    return Counter(trial.state for trial in study.get_trials(deepcopy=False))


def n_finished(counts: Counter) -> int:
    """How many trials of ``trial_counts`` count towards ``--n-trials`` (complete or pruned)."""
    return sum(counts[state] for state in FINISHED)


def run_worker(study: optuna.Study, objective: Objective, timeout: float | None) -> None:
    """Run trials until the study has ``objective.n_trials`` finished ones (or ``timeout``
    seconds have passed). When every place is taken by trials running elsewhere, wait: they
    finish, or their worker died and they come back as waiting trials, which this worker runs."""
    started = time.monotonic()
    waiting = False
    while timeout is None or time.monotonic() - started < timeout:
        counts = trial_counts(study)
        finished = n_finished(counts)
        if finished >= objective.n_trials:
            return
        if counts[TrialState.WAITING] or finished + counts[TrialState.RUNNING] < objective.n_trials:
            study.optimize(objective, n_trials=1, catch=(SurplusTrial,), callbacks=[print_progress])
            waiting = False
            continue
        if not waiting:
            print(f"Waiting for {counts[TrialState.RUNNING]} trial(s) running elsewhere ...", flush=True)
            waiting = True
        time.sleep(POLL_SECONDS)
        optuna.storages.fail_stale_trials(study)


def export_best(study: optuna.Study, path: Path, url: str) -> FrozenTrial | None:
    """Write the best trial's settings to ``path`` (atomically), in the form ``train.py
    --hyperparams`` reads, with where they came from; None (and nothing written) if no trial
    has completed yet."""
    try:
        best = study.best_trial
    except ValueError:
        return None
    write_json_atomic(
        path,
        {
            "hyperparams": best.user_attrs["settings"],
            "study": study.study_name,
            "storage": shown_url(url),
            "trial": best.number,
            "value": best.value,
            **{key: study.user_attrs[key] for key in ("metric", "direction", "scenario", "overrides", "agent")},
            **{key: study.user_attrs[key] for key in ("n_envs", "trial_timesteps")},
            "seed": best.user_attrs["seed"],
        },
    )
    return best


def format_params(params: dict[str, Any]) -> str:
    """``key=value`` pairs, floats to three significant digits."""
    return " ".join(
        f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}" for key, value in params.items()
    )


def print_progress(study: optuna.Study, trial: FrozenTrial) -> None:
    """One line per trial this worker ran: number, state, score, seconds, sampled settings."""
    if trial.user_attrs.get("surplus"):
        print(f"trial {trial.number:>4} not run: the study's places were all taken by other workers", flush=True)
        return
    value = "" if trial.value is None else f"{study.user_attrs['metric']} {trial.value:.6g}"
    seconds = trial.duration.total_seconds() if trial.duration else 0.0
    line = f"trial {trial.number:>4} {trial.state.name:<8} {value:<22} {seconds:6.1f} s  {format_params(trial.params)}"
    print(line, flush=True)
