"""One agent for the whole lost-sales table: one network, trained once, with the lead time and the
lost-sale cost as inputs (issue 27's "generally capable agent", after Temizöz et al. 2024: train
once, then decide in any cell).

A cell is the ``lost-sales`` scenario with the literature's lead time L (the scenario's
``lead_time`` is L + 1) and lost-sale cost p (``lost_sale_cost_cell``). In every cell the agent
corrects that cell's tuned capped base-stock, as the agent of one cell does (``agent.view``); the
network sees the cell through ``CellView``, a layout every cell shares. It is taught by Deep
Controlled Learning (``agent.dcl``) on all the training cells at once: each round labels the states
of every cell by rollouts of the network fitted the round before (the rule in round 1), then fits
the one network to all the labels. There is no PPO after it.

    policy, seconds = train_general(TABLE, seeds=range(8), paths=100, rounds=5, seed=0)
    save_general(policy, "runs/general/policy.zip")
    agent = general_agent(PerProductPolicy.load("runs/general/policy.zip"), lost_sales_cell(4, 14))
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.utils import ConstantSchedule

from inventory_rl.agent.dcl import FIT_STEPS, fit_policy, label_states
from inventory_rl.agent.network import PerProductPolicy
from inventory_rl.agent.trained import TrainedAgent
from inventory_rl.agent.view import AgentView
from inventory_rl.runs.files import atomic_writer
from inventory_rl.world.config import InventoryConfig, load_scenario

MAX_TRANSIT_SLOTS = 4  # in-transit columns every cell's layout has: the table's longest lead time, L = 4
TABLE = tuple((lead_time, cost) for lead_time in (1, 2, 3, 4) for cost in (4, 9, 19, 39))
SETTINGS = {"log_std_init": -3.0, "net_width": 64}  # the lost-sales scenario's


def lost_sales_cell(lead_time: int, lost_sale_cost: float) -> InventoryConfig:
    """The ``lost-sales`` scenario's config for the literature's lead time L and lost-sale cost p."""
    return load_scenario("lost-sales", [f"lead_time={lead_time + 1}", f"lost_sale_cost={lost_sale_cost:g}"]).config


class CellView(AgentView):
    """``AgentView`` of one lost-sales cell in the layout every cell shares: each product's row with
    its in-transit columns padded to ``MAX_TRANSIT_SLOTS`` (zeros: nothing arrives that late), then
    two inputs that name the cell: L / 4 and the critical ratio p / (p + h)."""

    def __init__(self, config: InventoryConfig, base: Mapping[str, Any] | None = None):
        self.padding = MAX_TRANSIT_SLOTS - config.transit_slots
        if self.padding < 0:
            raise ValueError(f"lead_time {config.lead_time} is beyond the general agent's L = {MAX_TRANSIT_SLOTS}")
        super().__init__(config, base)
        self.cell = np.array(
            [
                (config.lead_time - 1) / MAX_TRANSIT_SLOTS,
                config.lost_sale_cost / (config.lost_sale_cost + config.holding_cost),
            ],
            np.float32,
        )
        size = config.n_products * (self.features + self.padding + len(self.cell))
        self.observation_space = spaces.Box(-np.inf, np.inf, (size,), np.float32)

    def _layout(self, rows: np.ndarray) -> np.ndarray:
        batch, n, _ = rows.shape
        padding = np.zeros((batch, n, self.padding), np.float32)
        cell = np.broadcast_to(self.cell, (batch, n, len(self.cell)))
        at = self.env_features  # the in-transit columns end the env's part of a row
        return np.concatenate([rows[..., :at], padding, rows[..., at:], cell], axis=2).reshape(batch, -1)


def new_policy(view: CellView, seed: int) -> PerProductPolicy:
    """A fresh network for ``CellView``'s layout, which every cell's ``view`` shares (the lost-sales
    scenario's width and noise)."""
    torch.manual_seed(seed)
    return PerProductPolicy(
        view.observation_space,
        view.action_space,
        ConstantSchedule(0.0),  # SB3 optimiser unused: fit_policy brings its own
        log_std_init=SETTINGS["log_std_init"],
        net_width=SETTINGS["net_width"],
    )


def train_general(
    cells: Iterable[tuple[int, float]], seeds: Sequence[int], paths: int, rounds: int, seed: int
) -> tuple[PerProductPolicy, float]:
    """Teach one network every cell of ``cells`` ((L, p) pairs) by ``rounds`` rounds of Deep
    Controlled Learning on the episodes of ``seeds`` in each cell (see the module docstring); the
    network and the seconds it took."""
    started = time.perf_counter()
    views = [CellView(lost_sales_cell(*cell)) for cell in cells]
    policy = new_policy(views[0], seed)
    for round_ in range(rounds):
        labels = [label_states(view, seeds, paths, seed + round_, policy if round_ else None) for view in views]
        features = np.concatenate([label.features for label in labels])
        targets = np.concatenate([label.corrections / label.steps for label in labels])
        fit_policy(policy, features, targets, seed + round_, FIT_STEPS * len(views))
    return policy, time.perf_counter() - started


def save_general(policy: PerProductPolicy, path: str | Path) -> None:
    """Save the network as SB3's ``policy.save`` does (``PerProductPolicy.load`` reads it), atomically."""
    with atomic_writer(Path(path), "wb") as file:
        torch.save({"state_dict": policy.state_dict(), "data": policy._get_constructor_parameters()}, file)


def general_agent(policy: PerProductPolicy, config: InventoryConfig) -> TrainedAgent:
    """The one network as a policy on the cell ``config``: it corrects the cell's tuned rule."""
    return TrainedAgent(policy, config, view=CellView(config))
