"""How good Deep Controlled Learning's labels are: in the lost-sales family, the share of the days the
rule visits on which the rollouts' label (the rule's order, one unit less or one more: ``dcl.py``)
is the exact optimum's correction of the rule (``lost_sales_optimum.py``), for each lead time L and lost-sale
cost p asked for, with the samples, the distinct states and the time the labelling took. The
states and rollouts are those of ``train.py --seed S`` (its 16 training envs, ``dcl_paths`` paths).

    python bench/bench_dcl.py [--cells 2:9] [--paths 100] [--seed 0]
    python bench/bench_dcl.py --cells 1:4,1:9,2:9,3:9,4:4,4:9
"""

from __future__ import annotations

import argparse
import time

from inventory_rl.agent.dcl import label_states, state_observation
from inventory_rl.agent.view import AgentView
from inventory_rl.policies.base import Known
from inventory_rl.policies.rules import make_rule, solver_state
from inventory_rl.training.settings import DEFAULT_N_ENVS
from inventory_rl.world.config import load_scenario


def agreement(lead_time: int, lost_sale_cost: int, paths: int, seed: int) -> str:
    """One cell's line: the share of sampled days whose label is the optimum's correction."""
    overrides = [f"lead_time={lead_time + 1}", f"lost_sale_cost={lost_sale_cost}"]
    config = load_scenario("lost-sales", overrides).config.with_demand_part("train")
    view = AgentView(config)
    started = time.perf_counter()
    labels = label_states(view, range(seed, seed + DEFAULT_N_ENVS), paths, seed)
    seconds = time.perf_counter() - started
    observation = state_observation(config, labels.stock, labels.pipeline)
    optimum = make_rule("optimal", config).solution.orders(solver_state(observation))
    wanted = optimum - view.rule.units(observation, Known(0, None, None))[:, 0]
    agree = (labels.corrections[:, 0] == wanted).mean()
    changed = (labels.corrections != 0).mean()
    return (
        f"L = {lead_time}, p = {lost_sale_cost:>2}: {len(wanted):,} days, {labels.states:,} distinct states, "
        f"labels = the optimum's correction on {agree:.1%} (the labels change the rule's order on "
        f"{changed:.1%} of the days, the optimum on {(wanted != 0).mean():.1%}), {seconds:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="2:9", help="comma-separated L:p pairs (default 2:9, the shipped one)")
    parser.add_argument("--paths", type=int, default=100, help="demand paths per state (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    args = parser.parse_args()
    try:
        cells = [tuple(int(part) for part in cell.split(":")) for cell in args.cells.split(",")]
    except ValueError:
        parser.error(f"--cells must be L:p pairs such as 2:9,4:4, got {args.cells!r}")
    if args.paths < 1 or any(len(cell) != 2 or not 1 <= cell[0] <= 4 or cell[1] <= 0 for cell in cells):
        parser.error("--paths must be at least 1, and each cell L:p with L in 1..4 and p > 0")
    for lead_time, cost in cells:
        print(agreement(lead_time, cost, args.paths, args.seed), flush=True)


if __name__ == "__main__":
    main()
