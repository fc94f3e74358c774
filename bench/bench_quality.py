"""Learning quality: train a preset for several seeds in a scenario, then judge each agent
against the rules tuned for that scenario, on the same episodes.

    python bench/bench_quality.py --preset quick --seeds 0,1,2 --markdown docs/quality_quick.md
    python bench/bench_quality.py --scenario lost-sales --set lead_time=3 --preset heavy --seeds 0
    python bench/bench_quality.py --scenario seasonal --preset heavy --seeds 0 --curve docs/learning_seasonal.png

Each seed runs ``python train.py --scenario S --preset P --seed K`` (or ``--total-timesteps N``)
as its own process (so the wall time is what a user waits for, imports included), then the
agent and every rule that applies (tuned on their own seeds, ``rule_tuning``; the ``oracle``
and the exact ``optimal`` where they exist) play the same ``--episodes`` evaluation episodes (seeds ``--eval-seed`` + k,
training never saw them; the held-out days of a demand file), as ``evaluate.py`` does. The
verdict is the paired difference on the scenario's main metric (fill rate; cost or profit per
day) between the agent and the best rule that does not know the hidden rates, with its 95%
interval: above zero means the agent beats it. Where ``optimal`` exists, the agent's gap to it
is reported too. ``--warmup`` leaves the first days of each episode out of cost and profit (the
long-run cost of the lost-sales literature). The table also has the agent's decoder with a zero
action (``untrained``): where PPO starts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from inventory_rl.agent.trained import TrainedAgent, load_agent
from inventory_rl.evaluation.episodes import play_policies
from inventory_rl.evaluation.metrics import EpisodeResult, confidence_interval, main_metric
from inventory_rl.policies.rule_tuning import applicable_rules, tuned_rule
from inventory_rl.policies.rules import RULES
from inventory_rl.runs.layout import CHECKPOINT_DIR, MODEL_NAME
from inventory_rl.world.config import load_scenario

ROOT = Path(__file__).resolve().parent.parent

KNOWING = ("oracle", "optimal")  # rules that know what a policy cannot: never the yardstick to beat


class ZeroAction:
    """Stands in for a model whose every output is zero: the agent's decoder alone."""

    def __init__(self, size: int):
        self.size = size

    def predict(self, observation: np.ndarray, deterministic: bool = True) -> tuple[np.ndarray, None]:
        return np.zeros((len(observation), self.size), np.float32), None


def values(played: list[EpisodeResult], metric: str, warmup: int) -> np.ndarray:
    """Each episode's main metric; cost and profit per day after ``warmup`` days."""
    if metric == "fill_rate":
        return np.array([result.metrics()["fill_rate"] for result in played])
    daily = "costs" if metric == "cost_per_day" else "profits"
    return np.array([getattr(result, daily)[warmup:].mean() for result in played])


def train_seed(argv: list[str], seed: int, log_dir: Path) -> float:
    """Run train.py for one seed; return its wall time in seconds."""
    command = [sys.executable, str(ROOT / "train.py"), *argv, "--seed", str(seed), "--log-dir", str(log_dir)]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def judge(model_path: Path, scenario_config: object, episodes: int, eval_seed: int, warmup: int) -> dict:
    """Per-episode main metric of the agent, its untrained decoder and every applicable rule."""
    agent, config = load_agent(model_path, scenario_config)
    config = config.with_demand_part("holdout")
    untrained = TrainedAgent(ZeroAction(agent.view.action_space.shape[0]), config, agent.kind, agent.view.base)
    untrained.name = "untrained"
    names, _ = applicable_rules(config, RULES)
    rules = [tuned_rule(name, config, eval_seed)[0] for name in names if name not in ("random", "uniform")]
    played = play_policies([agent, untrained, *rules], config, episodes, eval_seed)
    metric, sign = main_metric(config)
    scores = {name: values(results, metric, warmup) for name, results in played.items()}
    yardsticks = [name for name in scores if name not in ("ppo", "untrained", *KNOWING)]
    best = max(yardsticks, key=lambda name: sign * scores[name].mean())
    return {"metric": metric, "sign": sign, "scores": scores, "best": best}


def summary_row(seed: int, seconds: float, judged: dict) -> str:
    """One Markdown row: the seed, its wall time, the agent, the rules, and the paired verdict."""
    scores, sign, best = judged["scores"], judged["sign"], judged["best"]
    difference = sign * (scores["ppo"] - scores[best])
    low, high = confidence_interval(difference)
    scale = 100 if judged["metric"] == "fill_rate" else 1
    cells = [f"{scores[name].mean() * scale:.3f}" for name in scores]
    verdict = "beats" if low > 0 else "does not beat"
    gap = ""
    if "optimal" in scores:
        gap = f" ({100 * (scores['ppo'].mean() / scores['optimal'].mean() - 1):+.2f}% vs optimal)"
    return (
        f"| {seed} | {seconds:.0f} s | {' | '.join(cells)} | {difference.mean() * scale:+.3f} "
        f"[{low * scale:+.3f}, {high * scale:+.3f}]: {verdict} {best}{gap} |"
    )


def learning_curve(
    log_dir: Path, scenario_config: object, episodes: int, eval_seed: int, warmup: int, path: Path
) -> None:
    """The main metric of every checkpoint against timesteps, with the rules as horizontal lines
    and the paired difference from the best rule below, all on the same evaluation episodes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def steps_of(checkpoint: Path) -> int:
        return int(checkpoint.stem.split("_")[-2])

    checkpoints = sorted((log_dir / CHECKPOINT_DIR).glob("*_steps.zip"), key=steps_of)
    judged = judge(checkpoints[0], scenario_config, episodes, eval_seed, warmup)
    scores, best, metric = judged["scores"], judged["best"], judged["metric"]
    steps, curve = [0], [scores["untrained"]]
    for checkpoint in checkpoints:
        agent, config = load_agent(checkpoint, scenario_config)
        played = play_policies([agent], config.with_demand_part("holdout"), episodes, eval_seed)["ppo"]
        steps.append(steps_of(checkpoint))
        curve.append(values(played, metric, warmup))
        print(f"  checkpoint {steps[-1]:>9,}: {metric} {curve[-1].mean():.4f}", flush=True)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True, height_ratios=(3, 2))
    top.plot(steps, [run.mean() for run in curve], marker="o", markersize=3, label="PPO agent (checkpoints)")
    for index, name in enumerate(name for name in scores if name not in ("ppo", "untrained")):
        top.axhline(scores[name].mean(), linestyle=("--", "-", ":", "-.")[index % 4], color="grey", label=name)
    top.set_ylabel(f"{metric} ({episodes} episodes)")
    top.set_title(f"Learning curve: {log_dir.name}")
    top.legend(loc="best", fontsize="small")
    # Episodes differ far more from each other than policies do: the honest error bar is the
    # paired one, the agent minus the best rule on the same episodes.
    paired = [confidence_interval(run - scores[best]) for run in curve]
    bottom.fill_between(steps, [low for low, _ in paired], [high for _, high in paired], alpha=0.3, label="95% CI")
    bottom.plot(steps, [(run - scores[best]).mean() for run in curve], label=f"agent - {best}")
    bottom.axhline(0.0, color="grey")
    bottom.set_xlabel("timesteps")
    bottom.set_ylabel("paired difference")
    bottom.legend(loc="best")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    print(f"learning curve written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--preset", choices=("quick", "heavy"), default="quick")
    parser.add_argument("--total-timesteps", type=int, help="train this many steps instead of the preset's")
    parser.add_argument("--agent", choices=("structured", "direct"), default="structured")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated training seeds")
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--eval-seed", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=0, help="days of each episode left out of cost and profit")
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
    scenario = load_scenario(args.scenario, args.overrides)
    train_argv = ["--scenario", args.scenario, *(f"--set={text}" for text in args.overrides)]
    steps = args.preset if args.total_timesteps is None else f"{args.total_timesteps}steps"
    budget = ["--total-timesteps", str(args.total_timesteps)] if args.total_timesteps else ["--preset", args.preset]
    train_argv += [*budget, "--agent", args.agent]
    label = "-".join([scenario.name, *(text.replace("=", "") for text in args.overrides), args.agent, steps])
    rows = []
    for seed in seeds:
        log_dir = args.runs_dir / f"{label}-seed{seed}"
        seconds = float("nan") if args.reuse else train_seed(train_argv, seed, log_dir)
        judged = judge(log_dir / MODEL_NAME, scenario.config, args.episodes, args.eval_seed, args.warmup)
        rows.append(summary_row(seed, seconds, judged))
        print(rows[-1], flush=True)
    command = " ".join(["python bench/bench_quality.py", *sys.argv[1:]])
    header = f"| training seed | train wall time | {' | '.join(judged['scores'])} | agent - best rule (paired) |"
    last_seed = args.eval_seed + args.episodes - 1
    unit = ", x100" if judged["metric"] == "fill_rate" else ""
    table = "\n".join(
        [
            f"`{command}` ({args.episodes} evaluation episodes, seeds {args.eval_seed}-{last_seed}; "
            f"{judged['metric']}{unit}):",
            "",
            header,
            "|" + "---|" * (len(judged["scores"]) + 3),
            *rows,
        ]
    )
    print(table)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table + "\n")
    if args.curve:
        first_run = args.runs_dir / f"{label}-seed{seeds[0]}"
        learning_curve(first_run, scenario.config, args.curve_episodes, args.eval_seed, args.warmup, args.curve)


if __name__ == "__main__":
    main()
