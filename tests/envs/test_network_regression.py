"""A one-node network supplied by the outside supplier is today's warehouse, bit for bit.

The node is a ``world.warehouses.Warehouses`` and the network only moves orders and stock around it, so with
one node, no order delay and the scenario's lead times on its lane, ``Networks`` must play exactly the
episodes of ``InventoryEnv``: the same reward (the same float), stock, sales, lost sales, deliveries and
observation every day, for the same seeds (the generator ``env.reset(seed=)`` makes) and the same actions.
"""

import numpy as np
import pytest
from gymnasium.utils import seeding

from inventory_rl.envs.single import InventoryEnv
from inventory_rl.world.config import load_scenario
from inventory_rl.world.network import Lane, Node, check_network
from inventory_rl.world.networks import NETWORK_COSTS, Networks

SCENARIOS = {  # scenario -> overrides (lost-sales' 1,000-day episodes, shortened)
    "default": (),
    "lost-sales": ("episode_days=50",),
    "lead-time": (),
    "disrupted": (),
    "costs": (),
    "seasonal": (),
}


def one_node(config):
    return check_network(
        [Node("warehouse", config)],
        [Lane("supplier", "warehouse", lead_time=config.lead_time, lead_time_max=config.lead_time_max)],
        False,
        "",
    )


@pytest.mark.parametrize("mode", ["fractions", "units"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_one_node_network_is_the_single_warehouse_bit_for_bit(scenario, seed, mode):
    config = load_scenario(scenario, SCENARIOS[scenario]).config
    network = one_node(config)
    env = InventoryEnv(config)
    obs, _ = env.reset(seed=seed)
    sim = Networks(network, 1)
    sim.reset([seeding.np_random(seed)[0]])
    np.testing.assert_array_equal(sim.nodes[0].observe()[0], obs, strict=True)
    rng = np.random.default_rng(1000 + seed)
    for day in range(1, config.episode_days + 1):
        if mode == "fractions":
            action = rng.random(config.action_size).astype(np.float32)
            obs, reward, _, truncated, info = env.step(action)
            record = sim.step_fractions(action[None])
        else:  # whole units, some beyond the gap (refused at the door, in proportion)
            units = rng.integers(0, 3 * config.max_demand, config.n_products) * (rng.random() < 0.8)
            obs, reward, _, truncated, info = env.step_units(units)
            record = sim.step_units(units.reshape(1, 1, -1))
        node = record.nodes[0]
        assert type(reward) is float and float(record.reward[0]) == reward, f"day {day}"
        assert float(record.rewards[0][0]) == reward and record.day == info["day"] == day
        for key, value in (
            ("stock", node.stock),
            ("sales", node.sales),
            ("lost_sales", node.lost_sales),
            ("orders", node.received),
            ("ordered", node.ordered),
        ):
            np.testing.assert_array_equal(value[0], info[key], err_msg=f"day {day} {key}", strict=True)
        np.testing.assert_array_equal(sim.nodes[0].observe()[0], obs, err_msg=f"day {day} observation", strict=True)
        for name, points in info["reward_components"].items():
            assert float(node.reward_components[name][0]) == points, (day, name)
        if config.has_costs:
            for name, part in info["cost_parts"].items():
                np.testing.assert_array_equal(node.cost_parts[name][0], part, err_msg=f"day {day} {name}")
        assert all(not record.network_costs[0][name].any() for name in NETWORK_COSTS)
        assert truncated == (day == config.episode_days)
    assert sim.day == config.episode_days
