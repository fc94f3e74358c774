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

**Networks** (a ``--scenario`` that is a network: ``docs/network_agents.md``)::

    python bench/bench_quality.py --scenario beer-game --variants central --seeds 0,1,2 --warmup 20
    python bench/bench_quality.py --scenario beer-game --variants central --seeds 0 --seats --reuse

Each ``--variants`` run (``central``, ``per-node-local``, ``per-node-shared``,
``per-node-shared-downstream``, ``per-node-shared-all``) and seed is its own ``python train.py`` process, under
``--runs-dir/NETWORK-VARIANT-PRESET-seedS`` (its wall time in ``bench_train.json`` beside the model;
``--reuse`` takes the runs that are there and leaves out the missing). Every agent plays beside every
tuned network rule, the exact optimum (``optimal``, serial chains) and the bounds (the others) on the
same episodes; the table gives each policy's network cost per day after ``--warmup`` days, its paired
gap to the optimum (else the best rule) with its 95% interval, every node's bullwhip ratio and the
training's wall time. Where the optimum is known, a long-run check plays the agents, ``optimal`` and
tuned echelon base-stock on ``--long-episodes`` episodes of ``--long-days`` days (``--long-warmup``
left out). With transfer lanes, the same stores without them (a TOML copy without those lanes) show
what the transfers save. ``--seats`` (chains): each node's agent among ``sterman`` and ``base-stock``
co-players against tuned base-stock in the same seat beside the same co-players, paired. ``--curve``
draws the first central run's checkpoints on the first ``--curve-episodes`` evaluation episodes.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inventory_rl.agent.network_agent import NetworkAgent, co_player_rule, load_network_agent
from inventory_rl.agent.trained import TrainedAgent, load_agent
from inventory_rl.evaluation.episodes import play_policies
from inventory_rl.evaluation.metrics import EpisodeResult, confidence_interval, main_metric
from inventory_rl.evaluation.network_episodes import NetworkEpisodes, play_network
from inventory_rl.evaluation.network_report import aligned, bounds_of, optimum_entry
from inventory_rl.policies.network_rules import RULES as NETWORK_RULES
from inventory_rl.policies.network_rules import (
    SEES,
    NetworkPolicy,
    SeatPolicy,
    applicable,
    best_rule,
    is_serial,
    make_network_rule,
)
from inventory_rl.policies.network_tuning import tuned_network_rule, tuned_seat_rule
from inventory_rl.policies.rule_tuning import applicable_rules, tuned_rule
from inventory_rl.policies.rules import KNOWING, RULES
from inventory_rl.runs.layout import CHECKPOINT_DIR, MODEL_NAME
from inventory_rl.world.config import load_scenario
from inventory_rl.world.network import NetworkConfig, NetworkScenario, load_any, load_network

ROOT = Path(__file__).resolve().parent.parent


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
    paired_panel(bottom, steps, curve, scores[best], f"agent - {best}", "paired difference")
    save_figure(figure, path)


def paired_panel(
    axes: Any, steps: list[int], curve: list[np.ndarray], reference: np.ndarray, label: str, ylabel: str
) -> None:
    """A learning curve's lower panel: each checkpoint minus ``reference`` on the same episodes, with its 95%
    interval. Episodes differ far more from each other than policies do: the honest error bar is the paired one."""
    paired = [confidence_interval(run - reference) for run in curve]
    axes.fill_between(steps, [low for low, _ in paired], [high for _, high in paired], alpha=0.3, label="95% CI")
    axes.plot(steps, [(run - reference).mean() for run in curve], label=label)
    axes.axhline(0.0, color="grey")
    axes.set_xlabel("timesteps")
    axes.set_ylabel(ylabel)
    axes.legend(loc="best")


def save_figure(figure: Any, path: Path) -> None:
    """Write a learning curve's figure to ``path`` (its folder made if missing)."""
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    print(f"learning curve written to {path}")


# ---------------------------------------------------------------------------- networks
# A variant: what train.py is told, and what its agents are trained on (their reward).
VARIANTS = {
    "central": (["--agents", "central"], "network cost"),
    "per-node-local": (["--agents", "per-node", "--reward", "local", "--share", "none"], "own node's cost"),
    "per-node-shared": (["--agents", "per-node", "--reward", "shared", "--share", "none"], "network cost"),
    "per-node-shared-downstream": (
        ["--agents", "per-node", "--reward", "shared", "--share", "downstream"],
        "network cost",
    ),
    "per-node-shared-all": (["--agents", "per-node", "--reward", "shared", "--share", "all"], "network cost"),
}
CO_PLAYERS = ("sterman", "base-stock")
RULE_SOURCE = {"optimal": "exact levels", "sterman": "published parameters"}  # else tuned
TRAIN_RECORD = "bench_train.json"  # the wall time of a run the bench trained, read again with --reuse


def network_run(argv: list[str], seed: int, log_dir: Path, reuse: bool) -> float | None:
    """Train one network run (or with ``reuse`` take the one in ``log_dir``); its wall time in seconds (nan
    when reused without the bench's record of it), None when ``reuse`` finds no model there."""
    record = log_dir / TRAIN_RECORD
    if reuse:
        if not (log_dir / MODEL_NAME).is_file():
            print(f"  {log_dir.name}: not trained (no model), left out", flush=True)
            return None
        return json.loads(record.read_text())["wall_seconds"] if record.is_file() else float("nan")
    seconds = train_seed([*argv, "--overwrite"], seed, log_dir)
    record.write_text(json.dumps({"wall_seconds": seconds, "argv": argv}) + "\n")
    print(f"  {log_dir.name}: trained in {seconds:.0f} s", flush=True)
    return seconds


def tuned_rules(network: NetworkConfig) -> dict[str, NetworkPolicy]:
    """Every network rule that applies, tuned (``optimal``: the exact optimum's levels)."""
    return {name: tuned_network_rule(name, network)[0] for name in NETWORK_RULES if applicable(name, network) is None}


def paired_percent(values: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """The paired difference ``values - reference`` as % of the reference's mean, with its 95% interval."""
    scale = 100 / reference.mean()
    low, high = confidence_interval(values - reference)
    return (values - reference).mean() * scale, low * scale, high * scale


def mean_pm(values: np.ndarray) -> str:
    low, high = confidence_interval(values)
    return f"{values.mean():.2f} ± {(high - low) / 2:.2f}"


def gap_cell(values: np.ndarray, reference: np.ndarray) -> str:
    gap, low, high = paired_percent(values, reference)
    return f"{gap:+.2f} [{low:+.2f}, {high:+.2f}]"


def wall_cell(seconds: float | None) -> str:
    return "-" if seconds is None else ("?" if math.isnan(seconds) else f"{seconds:.0f} s")


def as_markdown(rows: list[list[str]]) -> str:
    return "\n".join(
        ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        + ["| " + " | ".join(row) + " |" for row in rows[1:]]
    )


def comparison(
    played: dict[str, NetworkEpisodes],
    rules: Sequence[str],
    sees: dict[str, str],
    walls: dict[str, float | None],
    warmup: int,
    bounds: dict[str, dict] | None = None,
) -> tuple[list[list[str]], str]:
    """The comparison table's rows (header first) and its reference: every policy's network cost per day after
    ``warmup`` days, its paired gap to the optimum (where played, else the best rule), to the bounds, the bullwhip
    ratio of every node and the training's wall time."""
    costs = {name: episodes.metrics(warmup)["network"]["cost_per_day"] for name, episodes in played.items()}
    best = best_rule({name: costs[name] for name in rules})
    reference = "optimal" if "optimal" in costs else best
    nodes = next(iter(played.values())).network.names
    bounds = bounds or {}
    header = ["policy", "trained on / sees", "cost / day", f"vs {reference} % [95% CI]"]
    if reference == "optimal":
        header.append(f"vs best rule ({best}) %")
    header += [f"vs {name} %" for name in bounds]
    header += [f"bullwhip ({', '.join(nodes)})", "train wall time"]
    rows = [header]
    for name, episodes in played.items():
        row = [name, sees[name], mean_pm(costs[name]), gap_cell(costs[name], costs[reference])]
        if reference == "optimal":
            row.append(gap_cell(costs[name], costs[best]))
        for bound in bounds.values():
            base = np.asarray(bound["per_episode"], np.float64)
            row.append(f"{100 * (costs[name].mean() / base.mean() - 1):+.2f}")
        ratios = episodes.bullwhip(warmup)
        row.append(" ".join("-" if math.isnan(ratios[node]) else f"{ratios[node]:.2f}" for node in nodes))
        row.append(wall_cell(walls.get(name)))
        rows.append(row)
    for name, bound in bounds.items():
        values = np.asarray(bound["per_episode"], np.float64)
        cost = f"{values.mean():.2f}" + (
            "" if np.ptp(values) == 0 else f" ± {np.ptp(confidence_interval(values)) / 2:.2f}"
        )
        gap = f"{100 * (values.mean() / costs[reference].mean() - 1):+.2f}"
        extra = ["-"] if reference == "optimal" else []
        rows.append([name, "bound (all days)", cost, gap, *extra, *["-"] * len(bounds), "-", "-"])
    return rows, reference


def show(title: str, rows: list[list[str]], tables: list[str]) -> None:
    """Print a table and keep it, with its title, for ``--markdown``."""
    print(f"\n{title}\n{aligned(rows, left=2)}", flush=True)
    tables.append(f"{title}\n\n{as_markdown(rows)}")


def without_transfers(scenario: NetworkScenario, overrides: Sequence[str]) -> NetworkConfig:
    """The network with its transfer lanes removed (``--set`` cannot remove a lane): its TOML file without the
    ``[[lanes]]`` blocks of ``kind = "transfer"``, in a temporary folder."""
    blocks: list[list[str]] = []
    for line in Path(scenario.path).read_text(encoding="utf-8").splitlines():
        if line.startswith("[") or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    kept = [
        block for block in blocks if not (block[0].strip() == "[[lanes]]" and any('"transfer"' in x for x in block))
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{scenario.name}-no-transfers.toml"
        path.write_text("\n".join(line for block in kept for line in block) + "\n", encoding="utf-8")
        return load_network(str(path), overrides).network


def network_main(args: argparse.Namespace, scenario: NetworkScenario, seeds: list[int]) -> None:
    """The network mode (see the module docstring's second part)."""
    network, warmup = scenario.network, args.warmup or 0
    variants = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    steps = args.preset if args.total_timesteps is None else f"{args.total_timesteps}steps"
    budget = ["--total-timesteps", str(args.total_timesteps)] if args.total_timesteps else ["--preset", args.preset]
    train_argv = ["--scenario", args.scenario, *(f"--set={text}" for text in args.overrides), *budget]
    if args.keep_best:  # runs that keep their best policy on held-out episodes live in their own folders
        train_argv += ["--keep-best", str(args.keep_best)]
        steps = f"{steps}-best{args.keep_best}"
    stem = "-".join([scenario.name, *(text.replace("=", "") for text in args.overrides)])
    eval_seeds = list(range(args.eval_seed, args.eval_seed + args.episodes))
    tables: list[str] = []
    command = " ".join(["python bench/bench_quality.py", *sys.argv[1:]])
    print(
        f"{command}\n{args.episodes} evaluation episodes (seeds {eval_seeds[0]}-{eval_seeds[-1]}), "
        f"{network.episode_days} days each, the first {warmup} left out",
        flush=True,
    )

    runs: dict[str, tuple[Path, str, float]] = {}  # agent -> (model, variant, wall time)
    for variant in variants:
        for seed in seeds:
            log_dir = args.runs_dir / f"{stem}-{variant}-{steps}-seed{seed}"
            seconds = network_run([*train_argv, *VARIANTS[variant][0]], seed, log_dir, args.reuse)
            if seconds is not None:
                runs[f"{variant} s{seed}"] = (log_dir / MODEL_NAME, variant, seconds)

    def agents_on(net: NetworkConfig) -> dict[str, NetworkAgent]:
        loaded = {}
        for name, (model, _, _) in runs.items():
            loaded[name] = load_network_agent(model, net)
            loaded[name].name = name
        return loaded

    agents = agents_on(network)
    rules = tuned_rules(network)
    sees = {name: f"{VARIANTS[runs[name][1]][1]} / {agent.sees}" for name, agent in agents.items()}
    sees.update({name: f"{RULE_SOURCE.get(name, 'tuned')} / {SEES[name]}" for name in rules})
    walls = {name: run[2] for name, run in runs.items()}
    played = {name: play_network(policy, eval_seeds) for name, policy in {**agents, **rules}.items()}
    bounds, _ = bounds_of(network, eval_seeds)
    rows, reference = comparison(played, list(rules), sees, walls, warmup, bounds)
    title = (
        f"{scenario.name} ({steps}): {args.episodes} episodes of {network.episode_days} days (seeds "
        f"{eval_seeds[0]}-{eval_seeds[-1]}), cost per day after {warmup} warm-up days, paired gaps to {reference}"
    )
    show(title, rows, tables)
    if "optimal" in rules:
        optimum = optimum_entry(network, tuned_network_rule("echelon-base-stock", network)[1])
        levels = ", ".join(f"{node} {level}" for node, level in optimum["levels"].items())
        note = f"optimal: echelon levels {levels} (Chen-Zheng), solver's long-run cost {optimum['cost']:.3f} a day"
        if "tuned_echelon" in optimum:
            tuned = optimum["tuned_echelon"]
            note += f"; tuned echelon-base-stock {', '.join(map(str, tuned['levels'].values()))}: {tuned['cost']:.3f}"
        print(note)
        tables.append(note)

    if "optimal" in rules and args.long_episodes > 0 and (agents or rules):
        long_net = load_network(args.scenario, [*args.overrides, f"episode_days={args.long_days}"]).network
        first = args.eval_seed if args.long_seed is None else args.long_seed
        long_seeds = list(range(first, first + args.long_episodes))
        echelon = tuned_network_rule("echelon-base-stock", network)[0]
        policies: dict[str, NetworkPolicy] = {
            **agents_on(long_net),
            "optimal": make_network_rule("optimal", long_net),
            "echelon-base-stock": make_network_rule("echelon-base-stock", long_net, **echelon.parameters),
        }
        long_played = {name: play_network(policy, long_seeds) for name, policy in policies.items()}
        sees_long = {**sees, "echelon-base-stock": "tuned on 100-day episodes / echelon"}
        rows, _ = comparison(long_played, ["optimal", "echelon-base-stock"], sees_long, walls, args.long_warmup)
        title = (
            f"{scenario.name}, long-run check: {args.long_episodes} episodes of {args.long_days} days (seeds "
            f"{long_seeds[0]}-{long_seeds[-1]}), cost per day after {args.long_warmup} warm-up days"
        )
        show(title, rows, tables)

    if network.transfer_lanes:
        alone = without_transfers(scenario, args.overrides)
        alone_rules = tuned_rules(alone)
        alone_played = {
            f"{name} (no transfer lanes)": play_network(rule, eval_seeds) for name, rule in alone_rules.items()
        }
        same = all(np.array_equal(e.demand, played[reference].demand) for e in alone_played.values())
        rows = [["policy", "cost / day", ""]]
        costs = {name: e.metrics(warmup)["network"]["cost_per_day"] for name, e in {**played, **alone_played}.items()}
        without = min(alone_played, key=lambda name: costs[name].mean())
        rows[0][2] = f"vs {without} % [95% CI]"
        for name in [*alone_played, reference, *(name for name in agents if name.startswith("central"))]:
            rows.append([name, mean_pm(costs[name]), gap_cell(costs[name], costs[without])])
        title = (
            f"{scenario.name}: what the transfer lanes save (the same stores with the lanes removed, the best rule "
            f"tuned there; the same demand: {'yes' if same else 'NO'}); paired, % of {without}'s cost"
        )
        show(title, rows, tables)

    if args.seats:
        seat_table(args, scenario, train_argv, stem, steps, eval_seeds, warmup, tables)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(f"`{command}`\n\n" + "\n\n".join(tables) + "\n")
    if args.curve:
        curve_run = next((name for name in runs if runs[name][1] == "central"), next(iter(runs), None))
        if curve_run is None:
            print("no run to draw a learning curve of")
        else:
            network_curve(
                runs[curve_run][0].parent, network, rules, args.curve_episodes, args.eval_seed, warmup, args.curve
            )


def seat_table(
    args: argparse.Namespace,
    scenario: NetworkScenario,
    train_argv: list[str],
    stem: str,
    steps: str,
    eval_seeds: list[int],
    warmup: int,
    tables: list[str],
) -> None:
    """One seat among co-players: each node's agent beside each co-player rule against tuned base-stock in the same
    seat beside the same co-players, paired."""
    network = scenario.network
    if not is_serial(network):
        print(f"\n--seats: {scenario.name} is not a chain, no seat table")
        return
    seat_seeds = [int(seed) for seed in args.seat_seeds.split(",")]
    base_stock = tuned_network_rule("base-stock", network)[0]
    header = ["seat", "co-players", "seed", "agent: chain cost / day", "base-stock in the seat", "agent - base-stock"]
    rows = [[*header, "% [95% CI]", "verdict", "seat-tuned rule %", "agent - seat-tuned rule %", "train wall time"]]
    for seat in network.names:
        for co in CO_PLAYERS:
            co_rule = co_player_rule(co, network)
            yardstick = play_network(SeatPolicy(base_stock, co_rule, seat), eval_seeds).metrics(warmup)
            base = yardstick["network"]["cost_per_day"]
            retuned = SeatPolicy(tuned_seat_rule(network, seat, co_rule, co), co_rule, seat)  # what the agent corrects
            seat_tuned = play_network(retuned, eval_seeds).metrics(warmup)["network"]["cost_per_day"]
            tuned_gap = "{:+.2f} [{:+.2f}, {:+.2f}]".format(*paired_percent(seat_tuned, base))
            for seed in seat_seeds:
                log_dir = args.runs_dir / f"{stem}-seat-{seat}-{co}-{steps}-seed{seed}"
                # --agents per-node: the seat's agent sees its own node (train.py's default, central, would give
                # it every node's state, and NetworkAgent would then play it as a central agent, co-players unused)
                argv = [*train_argv, "--agents", "per-node", "--seat", seat, "--co-players", co]
                seconds = network_run(argv, seed, log_dir, args.reuse)
                if seconds is None:
                    continue
                agent = load_network_agent(log_dir / MODEL_NAME, network)
                if agent.agents != "per-node":
                    print(f"  {log_dir.name}: a central-view seat run (no --agents per-node), left out", flush=True)
                    continue
                cost = play_network(agent, eval_seeds).metrics(warmup)["network"]["cost_per_day"]
                low, high = confidence_interval(cost - base)
                gap, gap_low, gap_high = paired_percent(cost, base)
                if co == "sterman":
                    verdict = "cheaper: met" if high < 0 else "not cheaper: missed"
                else:
                    verdict = "within 1%: met" if gap <= 1.0 else "not within 1%: missed"
                rows.append(
                    [
                        seat,
                        co,
                        str(seed),
                        mean_pm(cost),
                        mean_pm(base),
                        f"{(cost - base).mean():+.2f} [{low:+.2f}, {high:+.2f}]",
                        f"{gap:+.2f} [{gap_low:+.2f}, {gap_high:+.2f}]",
                        verdict,
                        tuned_gap,
                        "{:+.2f} [{:+.2f}, {:+.2f}]".format(*paired_percent(cost, seat_tuned)),
                        wall_cell(seconds),
                    ]
                )
    title = (
        f"{scenario.name}: one seat ({steps}), the agent's chain cost against tuned base-stock in the same seat beside "
        f"the same co-players, {len(eval_seeds)} episodes, after {warmup} warm-up days, paired; the agent corrects "
        "base-stock with the seat's level and order smoothing tuned beside the co-players (tuned_seat_rule; its gap to "
        "base-stock, then the agent's gap to it, in the last % columns)"
    )
    show(title, rows, tables)


def network_curve(
    log_dir: Path,
    network: NetworkConfig,
    rules: dict[str, NetworkPolicy],
    episodes: int,
    eval_seed: int,
    warmup: int,
    path: Path,
) -> None:
    """The network's cost per day of every checkpoint of a run on the first ``episodes`` evaluation episodes, with
    the rules (and the optimum) as lines, and the paired difference from the best rule below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def steps_of(checkpoint: Path) -> int:
        return int(checkpoint.stem.split("_")[-2])

    seeds = list(range(eval_seed, eval_seed + episodes))
    scores = {
        name: play_network(rule, seeds).metrics(warmup)["network"]["cost_per_day"] for name, rule in rules.items()
    }
    best = best_rule(scores)
    checkpoints = sorted((log_dir / CHECKPOINT_DIR).glob("*_steps.zip"), key=steps_of)
    first = load_network_agent(checkpoints[0], network)
    steps, curve = [0], [play_network(first.base, seeds).metrics(warmup)["network"]["cost_per_day"]]
    for checkpoint in checkpoints:
        played = play_network(load_network_agent(checkpoint, network), seeds)
        steps.append(steps_of(checkpoint))
        curve.append(played.metrics(warmup)["network"]["cost_per_day"])
        print(f"  checkpoint {steps[-1]:>9,}: cost per day {curve[-1].mean():.3f}", flush=True)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True, height_ratios=(3, 2))
    top.plot(
        steps,
        [run.mean() for run in curve],
        marker="o",
        markersize=3,
        label=f"agent (checkpoints; 0: {first.base.name})",
    )
    shown = max(run.mean() for run in curve) * 1.1  # a rule far above the agent (sterman) would flatten the curve
    off = [f"{name} {scores[name].mean():.2f}" for name in scores if scores[name].mean() > shown]
    for index, name in enumerate(name for name in scores if scores[name].mean() <= shown):
        color = "black" if name == "optimal" else "grey"
        top.axhline(scores[name].mean(), linestyle=("--", "-", ":", "-.")[index % 4], color=color, label=name)
    top.set_ylabel(f"network cost per day ({episodes} episodes, after {warmup} days)")
    top.set_title(f"Learning curve: {log_dir.name}" + (f" (off the chart: {', '.join(off)})" if off else ""))
    top.legend(loc="best", fontsize="small")
    paired_panel(bottom, steps, curve, scores[best], f"agent - {best} (paired)", "paired difference, cost per day")
    save_figure(figure, path)


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
    parser.add_argument(
        "--warmup", type=int, default=None, help="days of each episode left out of cost and profit (default 0)"
    )
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "quality")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--curve", type=Path, help="learning-curve PNG from the first seed's checkpoints")
    parser.add_argument("--curve-episodes", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="judge the runs already in --runs-dir, no training")
    networks = parser.add_argument_group("networks (a --scenario that is a network)")
    networks.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: " + ", ".join(VARIANTS))
    networks.add_argument(
        "--keep-best", type=int, default=0, help="train with train.py --keep-best N (runs in *-bestN folders)"
    )
    networks.add_argument("--seats", action="store_true", help="also the one-seat table (chains)")
    networks.add_argument("--seat-seeds", default="0", help="training seeds of the seat agents")
    networks.add_argument("--long-episodes", type=int, default=50, help="long-run check where the optimum is known")
    networks.add_argument("--long-days", type=int, default=1000)
    networks.add_argument("--long-warmup", type=int, default=100)
    networks.add_argument("--long-seed", type=int, help="first seed of the long episodes (default: --eval-seed)")
    args = parser.parse_args()
    try:
        seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
    found = load_any(args.scenario, args.overrides)
    if isinstance(found, NetworkScenario):
        network_main(args, found, seeds)
        return
    args.warmup = args.warmup or 0
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
