"""agent/general.py: one network for every lost-sales cell: a layout every cell shares, trained by Deep
Controlled Learning on several cells at once, saved and loaded, played in a cell it never saw."""

import numpy as np
import pytest

from inventory_rl.agent import general
from inventory_rl.agent.general import (
    MAX_TRANSIT_SLOTS,
    CellView,
    PerProductPolicy,
    general_agent,
    lost_sales_cell,
    save_general,
    train_general,
)
from inventory_rl.agent.view import AgentView
from inventory_rl.evaluation.episodes import generators, play_policies
from inventory_rl.world.warehouses import Warehouses


def first_features(view: AgentView, seed: int = 0) -> np.ndarray:
    sim = Warehouses(view.config, 1)
    sim.reset(generators([seed]))
    return view.start(sim.observe())


@pytest.mark.parametrize("lead_time", [1, 4])
def test_every_cell_has_the_same_layout_the_plain_features_padded_and_the_cell_named(lead_time):
    config = lost_sales_cell(lead_time, 19)
    view, plain = CellView(config), AgentView(config)
    general, original = first_features(view)[0], first_features(plain)[0]
    assert view.observation_space.shape == CellView(lost_sales_cell(2, 4)).observation_space.shape
    at, padding = plain.env_features, MAX_TRANSIT_SLOTS - config.transit_slots
    np.testing.assert_array_equal(general[:at], original[:at])
    assert not general[at : at + padding].any()  # nothing arrives later than the cell's lead time
    np.testing.assert_array_equal(general[at + padding : -2], original[at:])
    np.testing.assert_allclose(general[-2:], [lead_time / 4, 19 / 20])


def test_a_cell_beyond_the_longest_lead_time_is_refused():
    with pytest.raises(ValueError, match="beyond the general agent's L = 4"):
        CellView(lost_sales_cell(5, 9))


def test_one_network_learns_two_cells_and_plays_a_third_after_saving(tmp_path, monkeypatch):
    monkeypatch.setattr(general, "FIT_STEPS", 200)  # a tenth of the fit: enough to move the network
    policy, seconds = train_general([(1, 4), (2, 39)], range(1), 10, 1, 0)
    assert seconds > 0
    save_general(policy, tmp_path / "policy.zip")
    loaded = PerProductPolicy.load(str(tmp_path / "policy.zip"), device="cpu")
    for cell in [(1, 4), (2, 39), (2, 14)]:  # (2, 14): a lost-sale cost it never trained on
        config = lost_sales_cell(*cell)
        agent, reloaded = general_agent(policy, config), general_agent(loaded, config)
        features = first_features(agent.view, seed=5)
        np.testing.assert_array_equal(
            agent.model.predict(features, deterministic=True)[0],
            reloaded.model.predict(features, deterministic=True)[0],
        )
        played = play_policies([agent], config, 2, 1000)["ppo"]
        assert all(np.isfinite(result.costs).all() for result in played)
    corrections = policy.predict(
        np.concatenate([first_features(CellView(lost_sales_cell(1, 4)), seed) for seed in range(20)]),
        deterministic=True,
    )[0]
    assert np.abs(corrections).max() > 0.05  # it learned to move the rule's order somewhere
