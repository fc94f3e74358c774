"""Wall time of one tuning study run by one worker, then by two workers in parallel.

Both runs are the same study (scenario, ``--n-trials``, ``--trial-timesteps``, ``--seed``) under
two fresh study names in one storage: ``tune.py`` seeds each trial's sampling with (seed, trial
number), so up to TPE's ten start-up trials both runs train exactly the same settings, whoever
runs them. Each worker is its own ``python tune.py`` process, as on separate machines.

    python bench/bench_tune.py [--storage URL] [--n-trials 8] [--trial-timesteps 16384] [--seed 0]

Without ``--storage`` the study lives in a SQLite file in a temporary folder; give a PostgreSQL
URL to measure the shared database of "Tune on many machines" (README).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import optuna

from inventory_rl.runs.studies import default_url

ROOT = Path(__file__).resolve().parent.parent


def run_workers(workers: int, study_name: str, args: argparse.Namespace, storage: str, log_dir: Path) -> float:
    """Start ``workers`` tune.py processes on one study and wait for all; the wall time in seconds."""
    command = [
        sys.executable, str(ROOT / "tune.py"), "--scenario", args.scenario, "--n-trials", str(args.n_trials),
        "--trial-timesteps", str(args.trial_timesteps), "--seed", str(args.seed), "--study-name", study_name,
        "--storage", storage, "--log-dir", str(log_dir),
    ]  # fmt: skip
    started = time.perf_counter()
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL) for _ in range(workers)]
    if any(process.wait() != 0 for process in processes):
        sys.exit(f"a tune.py worker failed: {' '.join(command)}")
    return time.perf_counter() - started


def trial_summary(study_name: str, storage: str) -> tuple[list[dict], dict[str, int]]:
    """The study's sampled settings, by trial number, and its count of trials per state."""
    trials = optuna.load_study(study_name=study_name, storage=storage).get_trials(deepcopy=False)
    states = dict(Counter(trial.state.name for trial in trials))
    return [trial.params for trial in sorted(trials, key=lambda trial: trial.number)], states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--n-trials", type=int, default=8)
    parser.add_argument("--trial-timesteps", type=int, default=16384)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-tune-") as folder:
        storage = args.storage or default_url(Path(folder))
        tag = time.strftime("%Y%m%d-%H%M%S")
        seconds, summaries = {}, {}
        for workers in (1, 2):
            name = f"bench-{tag}-{workers}-worker"
            seconds[workers] = run_workers(workers, name, args, storage, Path(folder))
            summaries[workers] = trial_summary(name, storage)
            print(f"{workers} worker(s): {seconds[workers]:.1f} s, trials {summaries[workers][1]}", flush=True)
    same = summaries[1][0] == summaries[2][0]
    print(
        f"\n{args.n_trials} trials of {args.trial_timesteps:,} steps ({args.scenario}, seed {args.seed}): "
        f"one worker {seconds[1]:.0f} s, two workers {seconds[2]:.0f} s, speed-up {seconds[1] / seconds[2]:.2f}x; "
        f"{'the same' if same else 'NOT the same'} settings trial by trial"
    )


if __name__ == "__main__":
    main()
