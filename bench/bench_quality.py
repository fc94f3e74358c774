"""Learning quality: train a preset for several seeds, then judge each agent against the rules.

    python bench/bench_quality.py --preset quick --seeds 0,1,2 --markdown docs/quality_quick.md
    python bench/bench_quality.py --preset heavy --seeds 0 --curve docs/learning_curve.png

Each seed runs ``python train.py --preset P --seed S`` as its own process (so the wall time
is what a user waits for, imports included), then every policy plays the same
``--episodes`` evaluation episodes (seeds ``--eval-seed`` + k, deterministic play), as
``evaluate.py`` does. Besides the rules, the table has the agent's decoder with a zero
correction (``untrained``): the newsvendor allocation on the episode-long mean demand,
which is where PPO starts (see ``agent.py``), so what training itself added is visible.
``vs newsvendor`` is the paired difference in fill rate on the same episodes, with its
95% interval. ``--curve`` evaluates every checkpoint of the first seed's run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent import TrainedAgent, load_agent  # noqa: E402
from baselines import make_baseline  # noqa: E402
from episodes import EpisodeResult, confidence_interval, play_policies  # noqa: E402
from train import PRESETS  # noqa: E402
from utils import CHECKPOINT_DIR, MODEL_NAME  # noqa: E402

RULES = ("proportional", "newsvendor", "oracle")


class ZeroCorrection:
    """Stands in for a model whose every output is zero: the agent's decoder alone."""

    def __init__(self, n_products: int):
        self.action = np.zeros(n_products, np.float32)

    def predict(self, observation: np.ndarray, deterministic: bool = True) -> tuple[np.ndarray, None]:
        return self.action, None


def fill_rates(played: list[EpisodeResult]) -> np.ndarray:
    return np.array([result.metrics()["fill_rate"] for result in played])


def train_seed(preset: str, seed: int, log_dir: Path) -> float:
    """Run train.py for one seed; return its wall time in seconds."""
    command = [sys.executable, str(ROOT / "train.py"), "--preset", preset, "--seed", str(seed)]
    command += ["--log-dir", str(log_dir)]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def judge(model_path: Path, episodes: int, eval_seed: int) -> dict[str, np.ndarray]:
    """Per-episode fill rates of the agent, its untrained decoder and the rules."""
    agent, config = load_agent(model_path)
    untrained = TrainedAgent(ZeroCorrection(config.n_products), config)
    untrained.name = "untrained"
    policies = [agent, untrained, *(make_baseline(name, config) for name in RULES)]
    played = play_policies(policies, config, episodes, eval_seed)
    return {name: fill_rates(results) for name, results in played.items()}


def learning_curve(log_dir: Path, episodes: int, eval_seed: int, path: Path) -> None:
    """Fill rate of every checkpoint against timesteps, with the rules as horizontal lines,
    all on the same ``episodes`` evaluation episodes. Step 0 is the untrained decoder."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def steps_of(checkpoint: Path) -> int:
        return int(checkpoint.stem.split("_")[-2])

    checkpoints = sorted((log_dir / CHECKPOINT_DIR).glob("*_steps.zip"), key=steps_of)
    scores = judge(checkpoints[0], episodes, eval_seed)  # also plays the rules and the untrained decoder
    steps, curve = [0], [scores["untrained"]]
    for checkpoint in checkpoints:
        agent, config = load_agent(checkpoint)
        steps.append(steps_of(checkpoint))
        curve.append(fill_rates(play_policies([agent], config, episodes, eval_seed)["ppo"]))
        print(f"  checkpoint {steps[-1]:>9,}: fill rate {curve[-1].mean():.4f}", flush=True)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True, height_ratios=(3, 2))
    top.plot(steps, [rates.mean() for rates in curve], marker="o", markersize=3, label="PPO agent (checkpoints)")
    for name, style in zip(RULES, ("--", "-", ":"), strict=True):
        value = scores[name].mean()
        top.axhline(value, linestyle=style, color="grey", label=f"{name} rule ({value:.4f})")
    top.set_ylabel(f"fill rate ({episodes} episodes)")
    top.set_title("Learning curve: evaluation fill rate against training timesteps")
    top.legend(loc="center right")
    # Per-episode fill rates vary far more between episodes than between policies, so the
    # honest error bar is the paired one: the agent minus the rule on the same episodes.
    paired = [confidence_interval(rates - scores["newsvendor"]) for rates in curve]
    bottom.fill_between(steps, [low for low, _ in paired], [high for _, high in paired], alpha=0.3, label="95% CI")
    bottom.plot(steps, [(rates - scores["newsvendor"]).mean() for rates in curve], label="agent - newsvendor")
    bottom.axhline(0.0, color="grey")
    bottom.set_xlabel("timesteps")
    bottom.set_ylabel("paired difference")
    bottom.legend(loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    print(f"learning curve written to {path}")


def markdown_table(preset: str, rows: list[dict], episodes: int, eval_seed: int) -> str:
    lines = [
        f"`python bench/bench_quality.py --preset {preset} --seeds {','.join(str(r['seed']) for r in rows)}` "
        f"({episodes} evaluation episodes, seeds {eval_seed}-{eval_seed + episodes - 1}):",
        "",
        "| training seed | train wall time | PPO agent | untrained decoder | proportional | newsvendor | oracle "
        "| agent - newsvendor (paired) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [f"{row['fill'][name]:.4f}" for name in ("ppo", "untrained", *RULES)]
        diff, (low, high) = row["diff"]
        paired = f"{diff:+.4f} [{low:+.4f}, {high:+.4f}]"
        lines.append(f"| {row['seed']} | {row['seconds']:.0f} s | {' | '.join(cells)} | {paired} |")
    agent = np.array([row["fill"]["ppo"] for row in rows])
    lines += ["", f"Agent fill rate over seeds: mean {agent.mean():.4f}, spread {agent.min():.4f}-{agent.max():.4f}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated training seeds")
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--eval-seed", type=int, default=1000)
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "quality")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--curve", type=Path, help="learning-curve PNG from the first seed's checkpoints")
    parser.add_argument("--curve-episodes", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="judge the runs already in --runs-dir, no training")
    args = parser.parse_args()
    try:
        seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
    if args.episodes < 2:
        parser.error("--episodes must be at least 2")

    rows = []
    for seed in seeds:
        log_dir = args.runs_dir / f"{args.preset}-seed{seed}"
        seconds = float("nan") if args.reuse else train_seed(args.preset, seed, log_dir)
        fill = judge(log_dir / MODEL_NAME, args.episodes, args.eval_seed)
        diff = fill["ppo"] - fill["newsvendor"]
        row = {
            "seed": seed,
            "seconds": seconds,
            "fill": {name: float(values.mean()) for name, values in fill.items()},
            "diff": (float(diff.mean()), confidence_interval(diff)),
        }
        rows.append(row)
        print(f"seed {seed}: {seconds:.1f} s, " + ", ".join(f"{k} {v:.4f}" for k, v in row["fill"].items()), flush=True)
    table = markdown_table(args.preset, rows, args.episodes, args.eval_seed)
    print(table)
    if args.markdown and not args.reuse:  # a reused run has no wall time to report
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table + "\n")
    if args.curve:
        first_run = args.runs_dir / f"{args.preset}-seed{seeds[0]}"
        learning_curve(first_run, args.curve_episodes, args.eval_seed, args.curve)


if __name__ == "__main__":
    main()
