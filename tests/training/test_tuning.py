"""tune.py for real: tiny trials in SQLite and in a PostgreSQL server of the test session, two
workers on one study, a worker killed mid-trial, the export read by train.py, bad arguments."""

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import optuna
import pytest
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from inventory_rl.agent.trained import load_agent
from inventory_rl.cli import tune as tune_cli
from inventory_rl.evaluation.episodes import score_batch
from inventory_rl.training.settings import AGENT_HYPERPARAMS, HELD_OUT_SEED, check_settings, read_hyperparams
from inventory_rl.training.tuning import (
    EVALUATIONS,
    FINISHED,
    FLOATS,
    Objective,
    TrialSeededSampler,
    mismatch,
    sample_settings,
)
from inventory_rl.world.config import load_scenario
from tests import ROOT
from tests.postgres import free_port, new_database, postgres_url  # noqa: F401  (postgres_url is a fixture)

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")  # heartbeats, retries
STEPS, N_ENVS, EPISODES = 512, 2, 10
TINY = ["--trial-timesteps", str(STEPS), "--n-envs", str(N_ENVS), "--eval-episodes", str(EPISODES)]


def tune_command(log_dir, *args):
    return [sys.executable, "tune.py", *TINY, "--log-dir", str(log_dir), *args]


def run_tune(log_dir, *args):
    result = subprocess.run(tune_command(log_dir, *args), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def start_tune(log_dir, *args):
    return subprocess.Popen(tune_command(log_dir, *args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(process):
    output = process.communicate(timeout=300)[0].decode()
    assert process.returncode == 0, output
    return output


def done(study):
    return study.get_trials(states=FINISHED)


def quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.ERROR)


def parse(*args):
    """tune.py's arguments (with every default main() fills in given), for an Objective here."""
    return tune_cli.build_parser().parse_args([*TINY, "--n-trials", "1", *args])


# ---------------------------------------------------------------------------- in this process
def test_help_documents_every_option():
    parser = tune_cli.build_parser()
    text = parser.format_help()
    for action in parser._actions:
        assert action.help and action.help != "SUPPRESS", action.option_strings
        assert all(option in text for option in action.option_strings)
    assert "Sampled settings: learning_rate" in text


def test_sampled_settings_are_valid_and_seeded_per_trial():
    quiet_optuna()

    base = AGENT_HYPERPARAMS["structured"]

    def draw(seed, trials):
        study = optuna.create_study(sampler=TrialSeededSampler(seed))
        return [sample_settings(study.ask(), base, N_ENVS, STEPS) for _ in range(trials)]

    for settings in draw(0, 30):
        assert check_settings(settings, "trial") == settings
        rollout = settings["n_steps"] * N_ENVS
        assert rollout % settings["batch_size"] == 0 and settings["batch_size"] >= 2
        assert rollout * EVALUATIONS <= STEPS
        for name, (low, high, _) in FLOATS.items():
            assert low <= settings[name] <= high
    first, again, other = draw(7, 3), draw(7, 3), draw(8, 3)
    assert first == again and first != other and first[0] != first[1]


def test_trial_reports_scores_and_the_pruner_stops_it_early():
    quiet_optuna()

    class AlwaysPrune(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            return True

    objective = Objective(load_scenario(), parse())
    complete = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    complete.optimize(objective, n_trials=1)
    trial = complete.trials[0]
    assert trial.state == TrialState.COMPLETE
    steps = sorted(trial.intermediate_values)
    assert len(steps) == EVALUATIONS and steps[-1] >= STEPS > steps[-2]
    assert trial.value == trial.intermediate_values[steps[-1]] and 0.5 < trial.value < 1
    assert trial.user_attrs["settings"]["n_steps"] == trial.params["n_steps"]

    pruned = optuna.create_study(direction="maximize", pruner=AlwaysPrune())
    pruned.optimize(objective, n_trials=1)
    assert pruned.trials[0].state == TrialState.PRUNED
    assert list(pruned.trials[0].intermediate_values) == [STEPS // EVALUATIONS]


# ---------------------------------------------------------------------------- SQLite (the default)
@pytest.fixture(scope="module")
def sqlite_study(tmp_path_factory):
    """A log directory whose default SQLite study ran 2 trials, then was continued to 3."""
    log_dir = tmp_path_factory.mktemp("tune")
    first = run_tune(log_dir, "--n-trials", "2")
    with contextlib.redirect_stdout(io.StringIO()) as second:  # the second invocation in this process: faster
        assert tune_cli.main([*TINY, "--log-dir", str(log_dir), "--n-trials", "3"]) == 0
    return log_dir, first, second.getvalue()


def test_sqlite_default_storage_resumes(sqlite_study):
    log_dir, first, second = sqlite_study
    assert (log_dir / "tuning.db").is_file()
    url = f"sqlite:///{log_dir / 'tuning.db'}"
    study = optuna.load_study(study_name="inventory-default", storage=url)
    assert "0 of 2 trials finished" in first and "2 of 3 trials finished" in second
    assert first.count("\ntrial ") + second.count("\ntrial ") == 3
    assert sorted(trial.number for trial in done(study)) == [0, 1, 2]
    assert study.user_attrs == {
        "scenario": "default",
        "overrides": [],
        "metric": "fill_rate",
        "direction": "maximize",
        "agent": "structured",
        "trial_timesteps": STEPS,
        "n_envs": N_ENVS,
        "eval_episodes": EPISODES,
        "eval_seed": HELD_OUT_SEED,
        "heartbeat": 30,
    }
    assert "(id 1)" in first and "(id 1)" in second and "Best: trial" in second


def test_export_is_what_train_py_reads(sqlite_study, tmp_path):
    """The best settings, trained by the train.py command the summary prints (the trial's seed
    included) with the trial's budget, give the same model: it scores the trial's value on the
    trial's evaluation episodes."""
    log_dir, _, summary = sqlite_study
    path = log_dir / "best_hyperparams_inventory-default.json"
    export = json.loads(path.read_text())
    best = optuna.load_study(study_name="inventory-default", storage=f"sqlite:///{log_dir / 'tuning.db'}").best_trial
    assert (export["study"], export["trial"], export["value"]) == ("inventory-default", best.number, best.value)
    assert read_hyperparams(path) == export["hyperparams"] == best.user_attrs["settings"]

    printed = summary.split("train with: python ")[1].splitlines()[0].split()
    assert printed[printed.index("--seed") + 1] == str(export["seed"])
    command = [sys.executable, *printed, "--total-timesteps", str(STEPS), "--log-dir", str(tmp_path)]
    trained = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert trained.returncode == 0, trained.stderr
    run_config = json.loads((tmp_path / "run_config.json").read_text())
    assert run_config["hyperparams"] == {**export["hyperparams"], "n_envs": N_ENVS}
    assert run_config["hyperparams_file"] == str(path)
    agent, config = load_agent(tmp_path / "real_inventory_model.zip")
    seeds = range(HELD_OUT_SEED, HELD_OUT_SEED + EPISODES)
    assert np.mean(score_batch(agent, config, seeds)) == pytest.approx(best.value, abs=1e-12)


# ---------------------------------------------------------------------------- bad arguments
BAD_ARGUMENTS = {  # case: (arguments, part of the error); {existing} is the SQLite study's URL
    "unknown scenario": (["--scenario", "nowhere"], "argument --scenario: no scenario 'nowhere'"),
    "no trials": (["--n-trials", "0"], "argument --n-trials: must be at least 1"),
    "malformed storage": (["--storage", "postgresql:/nohost"], "argument --storage: 'postgresql:/nohost' is not"),
    "unreachable storage": (["--storage", "postgresql://tuner@127.0.0.1:{port}/db"], "cannot use postgresql://"),
    "not a database": (["--storage", f"sqlite:///{ROOT / 'README.md'}"], "(DatabaseError: file is not a database)"),
    "another scenario": (
        ["--storage", "{existing}", "--study-name", "inventory-default", "--scenario", "seasonal"],
        "study 'inventory-default' in sqlite:///",
    ),
    "another budget": (
        ["--storage", "{existing}", "--trial-timesteps", "2048"],
        f"trial_timesteps {STEPS}, this command",
    ),
}


def test_a_study_whose_attributes_are_still_being_written_is_joined():
    """Optuna sets a study's attributes one by one: a worker that looks while the first one
    writes them sees some; only a value that differs is another command's study."""
    wanted = {"scenario": "default", "overrides": [], "agent": "structured"}
    assert mismatch({}, wanted) is None and mismatch({"scenario": "default"}, wanted) is None
    assert mismatch({"scenario": "default", "overrides": ["a=1"]}, wanted) == (
        "was made with overrides ['a=1'], this command has []"
    )


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_are_one_line_errors_that_write_nothing(case, sqlite_study, tmp_path, capsys):
    database = sqlite_study[0] / "tuning.db"
    arguments, message = BAD_ARGUMENTS[case]
    arguments = [text.format(existing=f"sqlite:///{database}", port=free_port()) for text in arguments]
    before = database.read_bytes()
    log_dir = tmp_path / "logs"
    with pytest.raises(SystemExit) as exit_info:
        tune_cli.main([*TINY, "--n-trials", "1", "--log-dir", str(log_dir), *arguments])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("tune.py: error: ") and message in error, error
    assert not log_dir.exists() and database.read_bytes() == before


# ---------------------------------------------------------------------------- PostgreSQL, many workers
def test_two_workers_share_one_postgres_study_and_a_third_continues_it(postgres_url, tmp_path, capsys):  # noqa: F811
    """Started together on an empty database (both create Optuna's tables: one must wait for the
    other), with the same --seed: 4 trials between them, each run once, on different settings."""
    url = new_database(postgres_url, "shared")
    shared = ["--storage", url, "--study-name", "shared"]
    workers = [start_tune(tmp_path / f"w{k}", *shared, "--n-trials", "4") for k in range(2)]
    outputs = [finish(worker) for worker in workers]
    study = optuna.load_study(study_name="shared", storage=url)
    trials = done(study)
    assert len(trials) == 4 and sorted(t.number for t in trials) == list(range(len(trials)))
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 4  # same --seed, different settings
    ran = {t.user_attrs["worker"].split(":")[1] for t in trials}
    assert ran == {str(worker.pid) for worker in workers}, outputs
    assert all(t.user_attrs.get("surplus") for t in study.get_trials(states=(TrialState.FAIL,)))

    third = run_tune(tmp_path / "w3", *shared, "--n-trials", "6")
    again = optuna.load_study(study_name="shared", storage=url)
    assert again._study_id == study._study_id and f"(id {study._study_id})" in third
    assert len(done(again)) == 6 and "4 of 6 trials finished" in third

    with pytest.raises(SystemExit) as refused:
        tune_cli.main([*TINY, *shared, "--n-trials", "8", "--scenario", "seasonal", "--log-dir", str(tmp_path / "w4")])
    assert refused.value.code == 2 and "was made with scenario 'default'" in capsys.readouterr().err
    assert len(optuna.load_study(study_name="shared", storage=url).trials) == len(again.trials)


def test_a_killed_worker_does_not_block_the_study(postgres_url, tmp_path):  # noqa: F811
    """SIGKILL mid-trial: after the grace period (4 heartbeats of 1 s) the trial is failed,
    queued again with its settings, and the next worker runs it and completes the study."""
    command = ["--storage", postgres_url, "--study-name", "killed", "--heartbeat", "1", "--n-trials", "2"]
    command += ["--trial-timesteps", "2048"]
    victim = start_tune(tmp_path, *command)
    running = wait_for_a_trial_in_training(postgres_url, "killed", victim)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)

    output = finish(start_tune(tmp_path, *command))
    study = optuna.load_study(study_name="killed", storage=postgres_url)
    assert study.trials[running.number].state == TrialState.FAIL
    retries = [t for t in done(study) if RetryHeartbeatStaleTrialCallback.retried_trial_number(t) == running.number]
    assert len(retries) == 1 and retries[0].params == running.params
    assert len(done(study)) == 2 and "trial " in output
    assert str(victim.pid) not in {t.user_attrs["worker"].split(":")[1] for t in done(study)}


def wait_for_a_trial_in_training(url, name, worker, timeout=120):
    """The first trial of study ``name`` that is running and has reported a score: training
    is under way (and its heartbeat recorded). Polls the storage."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, worker.communicate()[0].decode()
        try:
            trials = optuna.load_study(study_name=name, storage=url).get_trials(states=(TrialState.RUNNING,))
        except KeyError:  # the worker has not created the study yet
            trials = []
        in_training = [trial for trial in trials if trial.intermediate_values]
        if in_training:
            return in_training[0]
        time.sleep(0.1)
    os.kill(worker.pid, signal.SIGKILL)
    pytest.fail(f"no trial of {name} started training within {timeout} s")
