"""train.py end to end: files a run leaves, resume, Ctrl-C, bad arguments and the batch scripts.

One tiny run (2,048 steps, 2 envs) is shared by most tests through a module fixture.
"""

import contextlib
import io
import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from inventory_rl.agent.trained import load_agent
from inventory_rl.cli import train as train_cli
from inventory_rl.envs.single import InventoryEnv
from inventory_rl.runs.layout import CHECKPOINT_DIR, LOCK_NAME, MODEL_NAME, RUN_CONFIG_NAME, STREAM_NAME
from inventory_rl.runs.lock import training_lock
from inventory_rl.runs.stream import StreamReader
from inventory_rl.training.args import Args
from inventory_rl.training.callbacks import LOGGED_METRICS, TRAJECTORY_EVERY, summarize_episode
from inventory_rl.training.run import CHECKPOINT_PREFIX, TENSORBOARD_DIR, jsonable, make_training_env
from inventory_rl.training.settings import PPO_HYPERPARAMS, PRESETS
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.warehouses import REWARD_COMPONENTS
from tests import ROOT

STEPS, N_ENVS, CHECKPOINT_FREQ, SEED = 2048, 2, 1024, 3
EPISODES = N_ENVS * (STEPS // N_ENVS // InventoryConfig().episode_days)  # 2 x 34 finished episodes
TINY_RUN = ["--total-timesteps", str(STEPS), "--checkpoint-freq", str(CHECKPOINT_FREQ), "--n-envs", str(N_ENVS)]


def run_main(argv):
    """train.main in this process; returns (exit code, stdout)."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = train_cli.main(argv)
    return code, out.getvalue()


def stream_records(log_dir):
    return [json.loads(text) for text in (log_dir / STREAM_NAME).read_text().splitlines()]


def episodes_of(records):
    return [record for record in records if record["type"] == "episode"]


def episode_fields(records):
    """The episode records without the run id, which differs between runs by design."""
    return [{key: value for key, value in record.items() if key != "run_id"} for record in episodes_of(records)]


def scalars(log_dir):
    """TensorBoard scalars of the single run directory in sb3_logs: tag -> [(step, value)]."""
    (run_dir,) = (log_dir / TENSORBOARD_DIR).iterdir()
    events = EventAccumulator(str(run_dir))
    events.Reload()
    return {tag: [(event.step, event.value) for event in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("run")
    code, output = run_main([*TINY_RUN, "--seed", str(SEED), "--log-dir", str(log_dir), "--verbose"])
    return SimpleNamespace(code=code, output=output, log_dir=log_dir, records=stream_records(log_dir))


# ---------------------------------------------------------------------------- a run's files
def test_run_exits_zero_and_leaves_every_file(run):
    assert run.code == 0
    for name in (
        MODEL_NAME,
        RUN_CONFIG_NAME,
        STREAM_NAME,
        CHECKPOINT_DIR,
        TENSORBOARD_DIR,
    ):
        assert (run.log_dir / name).exists(), name
    assert not [path for path in run.log_dir.iterdir() if path.name.endswith(".tmp")]


def test_final_model_loads_and_plays_valid_actions(run):
    model = PPO.load(run.log_dir / MODEL_NAME, device="cpu")
    assert model.num_timesteps == STEPS
    policy, config = load_agent(run.log_dir / MODEL_NAME)
    env = InventoryEnv(config)
    obs, info = env.reset(seed=1)
    policy.reset(obs, info)
    truncated = False
    while not truncated:
        fractions = policy.act(obs, info)
        assert fractions.shape == (config.n_products,)
        assert np.all(np.isfinite(fractions) & (fractions >= 0) & (fractions <= 1))
        obs, _, _, truncated, info = env.step(fractions)


def test_checkpoints_every_checkpoint_freq_env_steps(run):
    checkpoints = sorted((run.log_dir / CHECKPOINT_DIR).iterdir(), key=lambda path: path.stat().st_mtime)
    assert [path.name for path in checkpoints] == [
        f"{CHECKPOINT_PREFIX}_{steps}_steps.zip" for steps in range(CHECKPOINT_FREQ, STEPS + 1, CHECKPOINT_FREQ)
    ]
    load_agent(checkpoints[0])  # finds run_config.json in the parent directory


def test_tensorboard_has_the_inventory_metrics(run):
    found = scalars(run.log_dir)
    expected = [f"inventory/{key}" for key in LOGGED_METRICS]
    expected += [f"inventory/reward_{name}" for name in REWARD_COMPONENTS]
    for tag in [*expected, "rollout/ep_rew_mean", "train/value_loss"]:
        assert tag in found, tag
    fill_rates = [value for _, value in found["inventory/fill_rate"]]
    assert fill_rates and all(0 <= value <= 1 for value in fill_rates)
    assert max(step for step, _ in found["inventory/fill_rate"]) == STEPS


def test_stream_has_a_header_every_episode_and_an_end(run):
    header, *middle, end = run.records
    run_id = json.loads((run.log_dir / RUN_CONFIG_NAME).read_text())["run_id"]
    assert header["type"] == "header" and header["run_id"] == run_id and header["resumed"] is False
    assert header["total_timesteps"] == STEPS and header["seed"] == SEED
    assert InventoryConfig.from_dict(header["env_config"]) == InventoryConfig()
    assert [record["episode"] for record in middle] == list(range(1, EPISODES + 1))
    assert all(record["type"] == "episode" and record["run_id"] == run_id for record in middle)
    assert {record["env"] for record in middle} == set(range(N_ENVS))
    steps = [record["timesteps"] for record in middle]
    assert steps == sorted(steps) and steps[-1] <= STEPS
    assert end == {
        "type": "end",
        "run_id": run_id,
        "timesteps": STEPS,
        "status": "finished",
        "model": str(run.log_dir / MODEL_NAME),
    }


def test_stream_episodes_are_consistent_with_their_trajectories(run):
    episodes = episodes_of(run.records)
    with_trajectory = [record["episode"] for record in episodes if "trajectory" in record]
    assert with_trajectory == list(range(1, EPISODES + 1, TRAJECTORY_EVERY))
    days, products = InventoryConfig().episode_days, InventoryConfig().n_products
    for record in episodes:
        assert set(record["reward_components"]) == set(REWARD_COMPONENTS)
        assert math.isclose(record["reward"], sum(record["reward_components"].values()), abs_tol=0.1)
        assert math.isclose(record["stockouts_per_day"], record["stockouts"] / days, abs_tol=1e-4)
        if "trajectory" in record:
            trajectory = {key: np.array(value) for key, value in record["trajectory"].items()}
            assert all(array.shape == (days, products) for array in trajectory.values())
            assert math.isclose(
                record["fill_rate"], trajectory["sales"].sum() / trajectory["demand"].sum(), abs_tol=1e-4
            )
            lost_units = trajectory["demand"].sum() - trajectory["sales"].sum()
            assert record["reward_components"]["stockout_penalty"] == -100 * lost_units


def test_stream_of_a_heavy_run_stays_under_20_mb(run):
    """Extrapolates this run's line sizes to the heavy preset."""
    lines = (run.log_dir / STREAM_NAME).read_bytes().splitlines()
    plain = max(len(text) + 1 for text in lines if b'"episode"' in text and b"trajectory" not in text)
    extended = max(len(text) + 1 for text in lines if b"trajectory" in text)
    episodes = PRESETS["heavy"] / InventoryConfig().episode_days
    size = episodes * plain + episodes / TRAJECTORY_EVERY * (extended - plain)
    assert size < 20e6


def test_verbose_prints_a_line_per_episode_and_a_summary(run):
    lines = run.output.splitlines()
    episode_lines = [text for text in lines if text.startswith("episode")]
    assert len(episode_lines) == EPISODES
    assert all("fill rate" in text and "stockouts/day" in text and "utilization" in text for text in episode_lines)
    assert any(text.startswith("Last 68 episodes: reward") for text in lines)
    assert any("tensorboard --logdir" in text for text in lines)


def test_run_config_rebuilds_the_run(run):
    run_config = json.loads((run.log_dir / RUN_CONFIG_NAME).read_text())
    assert set(run_config) == {
        "scenario",
        "env_config",
        "agent",
        "agent_base",
        "hyperparams",
        "hyperparams_file",
        "seed",
        "total_timesteps",
        "versions",
        "command",
        "run_id",
    }
    assert run_config["scenario"]["name"] == "default" and run_config["scenario"]["overrides"] == []
    assert run_config["agent"] == "structured" and run_config["hyperparams_file"] is None
    assert run_config["agent_base"] is None  # fill mode: the agent corrects the newsvendor rule, untuned
    assert InventoryConfig.from_dict(run_config["env_config"]) == InventoryConfig()
    assert run_config["hyperparams"] == {**jsonable(PPO_HYPERPARAMS), "n_envs": N_ENVS}
    assert run_config["versions"]["stable_baselines3"]
    assert run_config["command"][:2] == ["python", "train.py"]
    args = train_cli.parse_args(train_cli.build_parser(), run_config["command"][2:])
    assert args == Args(STEPS, SEED, N_ENVS, run.log_dir, CHECKPOINT_FREQ, verbose=True)


def test_the_same_seed_gives_the_same_run_and_another_seed_does_not(run, tmp_path):
    code, _ = run_main([*TINY_RUN, "--seed", str(SEED), "--log-dir", str(tmp_path / "again")])
    assert code == 0
    assert episode_fields(stream_records(tmp_path / "again")) == episode_fields(run.records)
    first = PPO.load(run.log_dir / MODEL_NAME, device="cpu").policy.state_dict()
    again = PPO.load(tmp_path / "again" / MODEL_NAME, device="cpu").policy.state_dict()
    assert all(torch.equal(first[key], again[key]) for key in first)
    code, _ = run_main(
        ["--total-timesteps", "64", "--n-envs", str(N_ENVS), "--seed", "4", "--log-dir", str(tmp_path / "other")]
    )
    assert code == 0
    assert episode_fields(stream_records(tmp_path / "other"))[0] != episode_fields(run.records)[0]


def test_monitor_sees_the_training_reward_and_the_metrics_the_env_points():
    env = make_training_env(InventoryConfig(), 1, seed=0)
    env.reset()
    same = InventoryEnv()  # the same warehouse as a Gymnasium env, whose info has the day's points
    env_obs, _ = same.reset(seed=0)
    training_reward = env_points = 0.0
    for _ in range(InventoryConfig().episode_days):
        action = np.array([env.action_space.sample()])
        env_obs, points, *_ = same.step(env.view.to_env_actions(action, env_obs[None])[0])
        _, rewards, dones, infos = env.step(action)
        training_reward += rewards[0]
        env_points += points
    assert dones[0]
    assert math.isclose(infos[0]["episode"]["r"], training_reward, abs_tol=1e-4)  # what PPO optimises
    summary = summarize_episode(infos[0]["inventory_episode"])
    assert math.isclose(summary["reward"], env_points)  # what the user reads
    assert math.isclose(summary["reward"], sum(summary["reward_components"].values()))


# ---------------------------------------------------------------------------- resume
def copy_run(run, destination):
    shutil.copytree(run.log_dir, destination)
    return destination


def test_resume_continues_the_timesteps_the_curves_and_the_stream(run, tmp_path):
    log_dir = copy_run(run, tmp_path / "logs")
    checkpoint = log_dir / CHECKPOINT_DIR / f"{CHECKPOINT_PREFIX}_{CHECKPOINT_FREQ}_steps.zip"
    code, output = run_main(["--resume", str(checkpoint), "--log-dir", str(log_dir), "--n-envs", "4"])
    assert code == 0, output
    assert "Resuming PPO for 1,024 timesteps" in output  # by default, what the run had left
    assert PPO.load(log_dir / MODEL_NAME, device="cpu").num_timesteps == STEPS
    records = stream_records(log_dir)
    headers = [record for record in records if record["type"] == "header"]
    assert [header["resumed"] for header in headers] == [False, True]
    assert headers[0]["run_id"] == headers[1]["run_id"]
    numbers = [record["episode"] for record in episodes_of(records)]
    assert numbers == list(range(1, len(numbers) + 1))  # numbering continues after the resume
    assert len(numbers) > EPISODES
    steps = [step for step, _ in scalars(log_dir)["inventory/fill_rate"]]  # one run dir: the same curves
    assert steps.count(STEPS) == 2  # the original end and the resumed run's end
    assert min(step for step in steps[len(steps) // 2 :]) > CHECKPOINT_FREQ


def test_resume_of_a_finished_run_needs_a_budget(run, tmp_path, capsys):
    log_dir = copy_run(run, tmp_path / "logs")
    with pytest.raises(SystemExit) as excinfo:
        train_cli.main(["--resume", str(log_dir / MODEL_NAME), "--log-dir", str(log_dir)])
    assert excinfo.value.code == 2
    assert "--total-timesteps" in capsys.readouterr().err
    code, _ = run_main(["--resume", str(log_dir / MODEL_NAME), "--log-dir", str(log_dir), "--total-timesteps", "64"])
    assert code == 0


def test_ctrl_c_saves_a_model_that_loads_and_resumes(tmp_path):
    log_dir = tmp_path / "logs"
    process = subprocess.Popen(
        [sys.executable, "train.py", "--total-timesteps", "1000000", "--n-envs", "2", "--log-dir", str(log_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell running pytest in the background makes children ignore SIGINT; undo that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    reader = StreamReader(log_dir / STREAM_NAME)
    deadline = time.monotonic() + 120
    while not reader.episodes:  # training is under way once an episode is in the stream
        assert process.poll() is None and time.monotonic() < deadline, "training did not start"
        reader.poll()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    output, errors = process.communicate(timeout=120)
    assert process.returncode == train_cli.EXIT_INTERRUPTED, errors
    assert "Traceback" not in errors
    model_path = log_dir / MODEL_NAME
    assert f"Model saved to {model_path}" in output
    end = stream_records(log_dir)[-1]
    assert end["type"] == "end" and end["status"] == "interrupted"
    load_agent(model_path)
    interrupted_at = PPO.load(model_path, device="cpu").num_timesteps
    assert end["timesteps"] == interrupted_at > 0
    with pytest.raises(SystemExit) as refused:  # a fresh run would replace the interrupted one: resume it instead
        train_cli.main(["--total-timesteps", "64", "--n-envs", "2", "--log-dir", str(log_dir)])
    assert refused.value.code == 2
    resume = ["--resume", str(model_path), "--log-dir", str(log_dir), "--n-envs", "2", "--total-timesteps", "256"]
    assert run_main(resume)[0] == 0
    assert PPO.load(model_path, device="cpu").num_timesteps == interrupted_at + 256  # one rollout of 2 x 128


# ---------------------------------------------------------------------------- one run per folder
def folder_bytes(folder):
    """Every file below ``folder`` and its bytes: what a refused run must leave as it was."""
    return {path.relative_to(folder): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_new_run_into_a_finished_runs_folder_exits_2_and_changes_nothing(run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the folder it suggests, logs/default, is free here
    log_dir = copy_run(run, tmp_path / "logs")
    run_id = json.loads((log_dir / RUN_CONFIG_NAME).read_text())["run_id"]
    before = folder_bytes(log_dir)
    with pytest.raises(SystemExit) as excinfo:
        train_cli.main([*TINY_RUN, "--log-dir", str(log_dir)])
    assert excinfo.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == (
        f"train.py: error: {log_dir} holds the model of run {run_id} (scenario default); add --overwrite to "
        f"replace it, continue it with --resume {log_dir / MODEL_NAME}, or train elsewhere with --log-dir "
        "logs/default (see train.py --help)\n"
    )
    assert folder_bytes(log_dir) == before  # no lock, config, stream or model written

    code, output = run_main(
        ["--resume", str(log_dir / MODEL_NAME), "--log-dir", str(log_dir), "--total-timesteps", "64"]
    )
    assert code == 0, output  # resuming the run that is there is the way on
    assert json.loads((log_dir / RUN_CONFIG_NAME).read_text())["run_id"] == run_id

    code, output = run_main(
        ["--total-timesteps", "64", "--n-envs", str(N_ENVS), "--log-dir", str(log_dir), "--overwrite"]
    )
    assert code == 0, output
    replaced = json.loads((log_dir / RUN_CONFIG_NAME).read_text())
    assert replaced["run_id"] != run_id and stream_records(log_dir)[0]["run_id"] == replaced["run_id"]
    assert "--overwrite" not in replaced["command"]  # run again, the recorded command does not replace a run unasked


def test_a_folder_with_a_model_and_no_run_config_is_refused_too(run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    log_dir = tmp_path / "lead-time"
    log_dir.mkdir()
    shutil.copy(run.log_dir / MODEL_NAME, log_dir)
    with pytest.raises(SystemExit) as excinfo:
        train_cli.main([*TINY_RUN, "--scenario", "lead-time", "--log-dir", str(log_dir)])
    assert excinfo.value.code == 2
    (error,) = capsys.readouterr().err.splitlines()
    assert f"{log_dir} holds a trained model (no readable run config beside it); add --overwrite" in error
    assert "--resume" not in error and "--log-dir logs/lead-time" in error
    assert sorted(path.name for path in log_dir.iterdir()) == [MODEL_NAME]


def test_resuming_a_run_into_another_runs_folder_is_refused(run, tmp_path, capsys):
    other = copy_run(run, tmp_path / "other")
    config = json.loads((other / RUN_CONFIG_NAME).read_text())
    (other / RUN_CONFIG_NAME).write_text(json.dumps({**config, "run_id": "another-run"}))
    log_dir = copy_run(run, tmp_path / "logs")
    before = folder_bytes(log_dir)
    with pytest.raises(SystemExit) as excinfo:
        train_cli.main(["--resume", str(other / MODEL_NAME), "--log-dir", str(log_dir), "--total-timesteps", "64"])
    assert excinfo.value.code == 2
    (error,) = capsys.readouterr().err.splitlines()
    assert (
        f"which resuming run another-run there would replace; resume it in its own folder (--log-dir {other})" in error
    )
    assert folder_bytes(log_dir) == before


# ---------------------------------------------------------------------------- bad arguments
@pytest.fixture
def bad_models(run, tmp_path):
    """Files that --resume must refuse, each beside a valid run config."""
    shutil.copy(run.log_dir / RUN_CONFIG_NAME, tmp_path)
    (tmp_path / "notes.zip").write_text("not a model")
    (tmp_path / "cut.zip").write_bytes((run.log_dir / MODEL_NAME).read_bytes()[:1000])
    PPO("MlpPolicy", "Pendulum-v1", device="cpu").save(tmp_path / "pendulum.zip")  # another env's model
    (tmp_path / "lonely" / "deeper").mkdir(parents=True)  # no run config beside it or in its parent
    shutil.copy(run.log_dir / MODEL_NAME, tmp_path / "lonely" / "deeper" / "orphan.zip")
    (tmp_path / "anonymous").mkdir()  # a run config without the run's id
    shutil.copy(run.log_dir / MODEL_NAME, tmp_path / "anonymous")
    without_id = json.loads((run.log_dir / RUN_CONFIG_NAME).read_text())
    del without_id["run_id"]
    (tmp_path / "anonymous" / RUN_CONFIG_NAME).write_text(json.dumps(without_id))
    (tmp_path / "a_file").write_text("")
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--total-timesteps", "0"], "--total-timesteps: must be at least 1"),
        (["--total-timesteps", "-5"], "--total-timesteps: must be at least 1"),
        (["--total-timesteps", "abc"], "--total-timesteps: expected a whole number"),
        (["--preset", "medium"], "--preset: invalid choice"),
        (["--n-envs", "0"], "--n-envs: must be between 1 and 256"),
        (["--n-envs", "x"], "--n-envs: expected a whole number"),
        (["--checkpoint-freq", "0"], "--checkpoint-freq: must be at least 1"),
        (["--seed", "-1"], "--seed: must be between 0"),
        (["--log-dir", "{dir}/a_file"], "--log-dir: "),
        (["--resume", "{dir}/missing.zip"], "--resume: no model file"),
        (["--resume", "{dir}/notes.zip"], "--resume: "),
        (["--resume", "{dir}/cut.zip"], "--resume: "),
        (["--resume", "{dir}/pendulum.zip"], "--resume: "),
        (["--resume", "{dir}/lonely/deeper/orphan.zip"], "--resume: no run_config.json"),
        (["--resume", f"{{dir}}/anonymous/{MODEL_NAME}"], "lacks run_id"),
    ],
)
def test_bad_values_exit_2_with_a_one_line_error(bad_models, capsys, argv, message):
    argv = [value.replace("{dir}", str(bad_models)) for value in argv]
    with pytest.raises(SystemExit) as excinfo:
        train_cli.main([*argv, "--log-dir", str(bad_models / "logs")] if "--log-dir" not in argv else argv)
    assert excinfo.value.code == 2
    errors = capsys.readouterr().err
    error_lines = [text for text in errors.splitlines() if "error:" in text]
    assert len(error_lines) == 1 and message in error_lines[0], errors
    assert "Traceback" not in errors
    assert not (bad_models / "logs").exists()  # nothing written


def test_a_second_run_on_a_busy_log_dir_exits_2_and_writes_nothing(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    # the lock held here, as a run in another process would hold it
    with training_lock(log_dir), pytest.raises(SystemExit) as excinfo:
        train_cli.main([*TINY_RUN, "--log-dir", str(log_dir)])
    assert excinfo.value.code == 2
    errors = capsys.readouterr().err
    assert [line for line in errors.splitlines() if "error:" in line] == [
        f"train.py: error: a training run (process {os.getpid()}) is already writing to {log_dir}; "
        "wait for it to finish or choose another --log-dir (see train.py --help)"
    ]
    assert sorted(path.name for path in log_dir.iterdir()) == [LOCK_NAME]  # no config, stream or model


# ---------------------------------------------------------------------------- batch scripts
SCRIPTS = {"run_quick.sh": "quick", "run_quick.bat": "quick", "run_heavy.sh": "heavy", "run_heavy.bat": "heavy"}


def train_arguments(script):
    """The arguments of the ``python train.py ...`` line in a script, minus the pass-through."""
    text = (ROOT / script).read_text()
    (command,) = re.findall(r"^\s*\S*python(?:\.exe)?\s+train\.py\s+(.*)$", text, flags=re.MULTILINE)
    return [token for token in shlex.split(command.strip()) if token not in ("$@", "%*")]


@pytest.mark.parametrize(("script", "preset"), SCRIPTS.items())
def test_scripts_pass_arguments_train_accepts(script, preset):
    args = train_cli.parse_args(train_cli.build_parser(), train_arguments(script))
    assert args.total_timesteps == PRESETS[preset]
    assert args.log_dir == Path("logs") / preset  # its own folder: the demo's run stays in logs/
    text = (ROOT / script).read_text()
    assert "requirements.txt" in text and f"tensorboard --logdir logs/{preset}/sb3_logs" in text


@pytest.mark.parametrize("script", [name for name in SCRIPTS if name.endswith(".sh")])
def test_shell_scripts_are_valid_and_executable(script):
    path = ROOT / script
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
    assert path.stat().st_mode & 0o111


def test_explicit_total_timesteps_overrides_the_preset():
    parser = train_cli.build_parser()
    assert train_cli.parse_args(parser, ["--preset", "heavy", "--total-timesteps", "5000"]).total_timesteps == 5000
    assert train_cli.parse_args(parser, ["--preset", "heavy"]).total_timesteps == PRESETS["heavy"]
