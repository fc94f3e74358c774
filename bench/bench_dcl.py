"""How good Deep Controlled Learning's labels are: in the lost-sales family, the share of the days the
player visits on which the rollouts' label (the player's order, one unit less or one more: ``dcl.py``)
is the exact optimum's correction of the rule (``lost_sales_optimum.py``), and the share on which the
network fitted to the labels plays the optimum's order, round by round (round 1's player is the rule, each
later round's the network fitted before it), for each lead time L and lost-sale cost p asked for, with the
samples, the distinct states and the time each round took. The states, rollouts and network are those of
``train.py --seed S`` (its 16 training envs, ``dcl_paths`` paths, before PPO).

    python bench/bench_dcl.py [--cells 2:9] [--paths 100] [--rounds 1] [--seed 0]
    python bench/bench_dcl.py --cells 1:4,1:9,2:9,3:9,4:4,4:9 --rounds 2
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

from inventory_rl.agent.dcl import played_corrections, state_observation, taught_rounds
from inventory_rl.policies.base import Known
from inventory_rl.policies.rules import make_rule, solver_state
from inventory_rl.training.run import build_new_model
from inventory_rl.training.settings import DEFAULT_N_ENVS, run_settings
from inventory_rl.world.config import load_scenario


def agreement(lead_time: int, lost_sale_cost: int, paths: int, seed: int, rounds: int) -> Iterator[str]:
    """One cell's lines, one a round: the shares of sampled days whose label, and whose fitted
    network's order, is the optimum's."""
    scenario = load_scenario("lost-sales", [f"lead_time={lead_time + 1}", f"lost_sale_cost={lost_sale_cost}"])
    settings = {**run_settings(scenario, "structured", None), "dcl_paths": 0}
    built = build_new_model(scenario.config, "structured", settings, DEFAULT_N_ENVS, seed, None)
    config, policy, view = built.config, built.model.policy, built.env.get_attr("view")[0]
    solution = make_rule("optimal", config).solution
    started = time.perf_counter()
    seeds = range(seed, seed + DEFAULT_N_ENVS)
    for round_, labels in enumerate(taught_rounds(policy, view, seeds, paths, seed, rounds), 1):
        seconds, started = time.perf_counter() - started, time.perf_counter()
        observation = state_observation(config, labels.stock, labels.pipeline)
        wanted = solution.orders(solver_state(observation)) - view.rule.units(observation, Known(0, None, None))[:, 0]
        agree = (labels.corrections[:, 0] == wanted).mean()
        plays = (played_corrections(policy, labels)[:, 0] == wanted).mean()
        changed = (labels.corrections != 0).mean()
        yield (
            f"L = {lead_time}, p = {lost_sale_cost:>2}, round {round_}: {len(wanted):,} days, {labels.states:,} "
            f"distinct states, labels = the optimum's correction on {agree:.1%}, the fitted network plays the "
            f"optimum's order on {plays:.1%} (the labels change the rule's order on {changed:.1%} of the days, "
            f"the optimum on {(wanted != 0).mean():.1%}), {seconds:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="2:9", help="comma-separated L:p pairs (default 2:9, the shipped one)")
    parser.add_argument("--paths", type=int, default=100, help="demand paths per state (default 100)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of improvement (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    args = parser.parse_args()
    try:
        cells = [tuple(int(part) for part in cell.split(":")) for cell in args.cells.split(",")]
    except ValueError:
        parser.error(f"--cells must be L:p pairs such as 2:9,4:4, got {args.cells!r}")
    if (
        args.paths < 1
        or args.rounds < 1
        or any(len(cell) != 2 or not 1 <= cell[0] <= 4 or cell[1] <= 0 for cell in cells)
    ):
        parser.error("--paths and --rounds must be at least 1, and each cell L:p with L in 1..4 and p > 0")
    for lead_time, cost in cells:
        for line in agreement(lead_time, cost, args.paths, args.seed, args.rounds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
