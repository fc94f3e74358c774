"""How long the dashboard's pages take: the Training page on a large stream, and the first render of
every page, of a single warehouse's run and of a network run, and of the Beer Game.

    python bench/bench_dashboard.py [--megabytes 50] [--seed 0] [--repeats 20] [--no-pages | --pages-only]

Builds a synthetic stream of about ``--megabytes`` MB in a temporary directory with
``utils.StreamWriter`` (records made by ``utils.episode_record``, every
``train.TRAJECTORY_EVERY``-th with its day-by-day trajectory, as a long run samples them),
then times the Training page's render function ``ui.training.render_training`` (Streamlit
in bare mode: every element is built and serialized, only the sending is skipped):

- first render: read and parse the whole stream, build the history, the metrics and the
  chart frames, draw the page;
- idle refresh: a refresh with no new data (the page's steady state between episodes);
- refresh with 16 new episodes: what the page costs while a run is writing.

Targets (issue 6): first render under 3 s, idle refresh under 50 ms. The machine's load is
printed beside them: on a shared machine, other processes slow every figure.

Then every page's first render (issue 26), through Streamlit's AppTest (the whole script: sidebar,
page, every element built and serialized): two tiny training runs are made in a temporary log
directory (the default warehouse, and per-node agents on ``beer-game-classic``; seconds each), and
each page of each run is opened

- cold: in a fresh Python process, its imports (the app's, and torch and SB3 for the pages that play
  a model; Streamlit itself is imported before, as a running server has it) and empty Streamlit
  caches included: what the first visitor after a start waits;
- warm: in a new session of a process that has shown the page before (another browser tab, another
  visitor): what everyone else waits.

The Beer Game is timed at its setup, at its start (which loads the run's agents), at a week's
order (the rerun that plays the week) and at its last week (which plays the comparisons in the
person's seat); its cold setup is timed after the Training page has drawn once in that process
(AppTest opens a page whose URL is not its script's name only after ``st.navigation`` has
registered it), so it leaves out the app's common imports.
Rules are tuned once into the user's cache before timing (the very first tuning of a network's
rules takes 1-3 s per rule, once).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from inventory_rl.app.monitor import TrainingMonitor
from inventory_rl.app.training import render_training
from inventory_rl.runs.layout import STREAM_NAME
from inventory_rl.runs.stream import StreamWriter, episode_record
from inventory_rl.training.callbacks import TRAJECTORY_EVERY
from inventory_rl.world.config import InventoryConfig

# Bare mode warns about every element that there is no browser session to send it to.
logging.disable(logging.WARNING)

CONFIG = InventoryConfig()
DAYS, PRODUCTS = CONFIG.episode_days, CONFIG.n_products


def synthetic_episode(episode: int, rng: np.random.Generator) -> dict:
    """A record as ``train.py`` writes it, with figures that improve like a learning run's;
    episodes 1, 1 + TRAJECTORY_EVERY, ... carry their day-by-day trajectory."""
    progress = 1.0 - np.exp(-episode / 20_000)
    fill_rate = float(np.clip(0.55 + 0.35 * progress + rng.normal(0, 0.04), 0, 1))
    stockouts = int(rng.integers(30, 150))
    components = {
        "order_accuracy": 60_000.0,
        "perfect_fulfillment": float(1000 * rng.binomial(DAYS, 0.2 + 0.5 * progress)),
        "stock_bonus": 15_000.0,
        "allocation": float(DAYS * 500 * np.clip(0.3 + 0.6 * progress + rng.normal(0, 0.05), 0, 1)),
        "stockout_penalty": -100.0 * round((1 - fill_rate) * 3000),
    }
    summary = {
        "reward": sum(components.values()),
        "reward_components": components,
        "fill_rate": fill_rate,
        "stockouts": stockouts,
        "stockouts_per_day": stockouts / DAYS,
        "utilization": float(np.clip(0.8 + rng.normal(0, 0.03), 0, 1)),
        "order_accuracy": 1.0,
        "allocation_quality": float(np.clip(0.3 + 0.6 * progress + rng.normal(0, 0.05), -1, 1)),
        "cost_per_day": 0.0,  # the original warehouse counts no money
        "profit_per_day": 0.0,
    }
    sampled = (episode - 1) % TRAJECTORY_EVERY == 0
    if sampled:
        demand = np.minimum(rng.poisson(rng.uniform(2, 18, PRODUCTS), (DAYS, PRODUCTS)), 20)
        stock = rng.integers(0, 20, (DAYS, PRODUCTS))
        summary["trajectory"] = {
            "stock": stock,
            "demand": demand,
            "orders": rng.integers(0, 20, (DAYS, PRODUCTS)),
            "sales": np.minimum(demand, stock),
        }
    return episode_record("bench", episode, episode % 8, episode * DAYS, summary, with_trajectory=sampled)


def write_stream(path: Path, megabytes: float, seed: int) -> int:
    """A synthetic stream of about ``megabytes`` MB at ``path``; returns its episode count."""
    rng = np.random.default_rng(seed)
    header = {
        "type": "header",
        "run_id": "bench",
        "started": "2026-01-01T00:00:00",
        "resumed": False,
        "scenario": {"name": "default", "description": "The original warehouse.", "path": "", "overrides": []},
        "env_config": CONFIG.to_dict(),
        "hyperparams": {},
        "seed": seed,
        "total_timesteps": 10_000_000,
    }
    writer = StreamWriter(path, header)
    episode = 0
    try:
        while path.stat().st_size < megabytes * 1e6:
            episode += 1
            writer.write(synthetic_episode(episode, rng))
    finally:
        writer.close()
    return episode


def timed(function, *args) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------- every page's first render
ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
TINY = ["--total-timesteps", "2048", "--n-envs", "2"]
PAGE_RUNS = {  # log folder -> train.py's arguments (tiny runs: seconds each)
    "warehouse": TINY,
    "network": ["--scenario", "beer-game-classic", "--agents", "per-node", *TINY],
}
# The pages' scripts (app/dashboard.py's PAGES), named here so that a cold process imports nothing of the
# app before its first page is timed: a server imports it when the first visitor's script runs.
PAGE_SCRIPTS = {
    "Training": "training.py",
    "Replay": "replay.py",
    "Manual": "manual.py",
    "Beer Game": "beer_game.py",
    "Compare": "compare.py",
    "Tuning": "tuning.py",
}
NAMED_OTHERWISE = ("Beer Game",)  # its URL (/beer-game) is not its script's name: timed after a first page


def make_runs(root: Path) -> None:
    """The tiny runs the pages show, trained side by side into ``root``."""
    started = []
    for name, arguments in PAGE_RUNS.items():
        command = [sys.executable, "train.py", *arguments, "--log-dir", str(root / name)]
        started.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for process in started:
        _, errors = process.communicate()
        if process.returncode:
            raise SystemExit(f"a training run for the pages failed:\n{errors.decode()[-2000:]}")


def page_times(root: Path, run: str, page: str) -> dict[str, float]:
    """Seconds of the first render of ``page`` in a new session showing the run in ``root / run`` (the
    Beer Game: its setup, a week's order and the last week, against the network run's agents)."""
    from streamlit.testing.v1 import AppTest  # Streamlit itself: a server has imported it before any visitor

    os.environ["INVENTORY_LOG_DIR"] = str(root)
    sys.argv = ["dashboard.py"]
    app = AppTest.from_file(APP, default_timeout=300)
    app.session_state["run"] = run
    if page in NAMED_OTHERWISE:  # AppTest finds such a page only once st.navigation has registered it
        app.run()
    app.switch_page(str(ROOT / "inventory_rl" / "app" / "pages" / PAGE_SCRIPTS[page]))
    start = time.perf_counter()
    app.run()
    times = {"render": time.perf_counter() - start}
    if app.exception:
        raise SystemExit(f"{page} of {run} failed: {app.exception[0].value}")
    if page == "Beer Game":
        app.selectbox(key="beer_run").set_value("network").run()
        start = time.perf_counter()
        app.button(key="beer_start").click().run()  # loads the run's agents
        times["start"] = time.perf_counter() - start
        weeks = app.session_state["beer_game"].weeks
        for week in range(1, weeks + 1):
            app.text_input(key="beer_order").input("4")
            button = next(button for button in app.button if button.label == "Place order")
            start = time.perf_counter()
            button.click().run()
            if week == 1:
                times["week"] = time.perf_counter() - start
        times["end"] = time.perf_counter() - start
    return times


def pages_to_time() -> list[tuple[str, str]]:
    """(run, page) pairs: every page of both runs; the Beer Game once (it does not depend on the run)."""
    pairs = [(run, page) for run in PAGE_RUNS for page in PAGE_SCRIPTS if page != "Beer Game"]
    return [*pairs, ("network", "Beer Game")]


def cold_times(root: Path, run: str, page: str) -> dict[str, float]:
    """``page_times`` in a fresh Python process."""
    command = [sys.executable, __file__, "--time-page", str(root), run, page]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"timing {page} of {run} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_pages() -> None:
    """Every page's first render, cold and warm, printed as a table (see the module docstring)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "logs"
        started = time.perf_counter()
        make_runs(root)
        print(f"\npages: two tiny runs trained in {time.perf_counter() - started:.1f} s; first render of each page")
        for run, page in pages_to_time():  # the rules are tuned into the user's cache once, untimed
            page_times(root, run, page)
        rows = []
        for run, page in pages_to_time():
            cold = cold_times(root, run, page)
            warm = page_times(root, run, page)
            if page == "Beer Game":
                names = {
                    "render": "setup",
                    "start": "start (the agents load)",
                    "week": "a week's order",
                    "end": "the last week (scores)",
                }
                rows += [(run, f"Beer Game: {label}", cold[key], warm[key]) for key, label in names.items()]
            else:
                rows.append((run, page, cold["render"], warm["render"]))
        print(f"{'run':<10} {'page':<34} {'cold (new process)':>19} {'warm (new session)':>19}")
        for run, page, cold, warm in rows:
            flag = "  over 3 s" if max(cold, warm) > 3 else ""
            print(f"{run:<10} {page:<34} {cold:>17.2f} s {warm:>17.2f} s{flag}")
        print("target: first render under 3 s; cold includes the imports (torch and SB3: about 1.4 s here)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0, help="size of the synthetic stream (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data (default 0)")
    parser.add_argument("--repeats", type=int, default=20, help="idle refreshes to time (default 20)")
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--no-pages", action="store_true", help="time the Training page's stream only")
    chosen.add_argument("--pages-only", action="store_true", help="time every page's first render only")
    parser.add_argument("--time-page", nargs=3, metavar=("ROOT", "RUN", "PAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_page:  # one page in this fresh process, for bench_pages' cold figures
        root, run, page = args.time_page
        print(json.dumps(page_times(Path(root), run, page)))
        return
    if args.megabytes <= 0 or args.repeats < 1:
        parser.error("--megabytes must be positive and --repeats at least 1")
    if not args.pages_only:
        bench_stream(args)
    if not args.no_pages:
        bench_pages()


def bench_stream(args: argparse.Namespace) -> None:
    """The Training page on a synthetic stream of ``args.megabytes`` MB (see the module docstring)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / STREAM_NAME
        start = time.perf_counter()
        episodes = write_stream(path, args.megabytes, args.seed)
        built = time.perf_counter() - start
        print(f"stream: {path.stat().st_size / 1e6:.1f} MB, {episodes:,} episodes (built in {built:.1f} s)")

        monitor = TrainingMonitor(path)
        first = timed(render_training, monitor)
        idle = [timed(render_training, monitor) for _ in range(args.repeats)]

        rng = np.random.default_rng(args.seed + 1)
        growing = []
        writer = StreamWriter.resume(path, {"type": "header", "run_id": "bench", "resumed": True})
        try:
            for _ in range(5):
                for _ in range(16):
                    episodes += 1
                    writer.write(synthetic_episode(episodes, rng))
                growing.append(timed(render_training, monitor))
        finally:
            writer.close()

    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"
    print(f"machine load (1-minute average): {load} on {os.cpu_count()} cores; other work slows every figure")
    print(f"first render:                    {first:7.3f} s    (target < 3 s)")
    print(f"idle refresh (median of {args.repeats:>3}):    {1000 * statistics.median(idle):7.1f} ms   (target < 50 ms)")
    print(f"refresh with 16 new episodes:    {1000 * statistics.median(growing):7.1f} ms   (median of {len(growing)})")


if __name__ == "__main__":
    main()
