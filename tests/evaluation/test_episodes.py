"""episodes.py: one episode played day by day, its metrics, and the confidence intervals."""

import numpy as np
import pytest

from inventory_rl.evaluation.episodes import play_episode
from inventory_rl.evaluation.metrics import METRICS, confidence_interval, student_t_975
from inventory_rl.policies.rules import BASELINES, make_baseline
from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.warehouses import REWARD_COMPONENTS

CONFIG = InventoryConfig()


# ---------------------------------------------------------------------------- episodes


def test_play_episode_records_a_consistent_day_by_day_history():
    result = play_episode(make_baseline("newsvendor", CONFIG), CONFIG, seed=5)
    days, n = CONFIG.episode_days, CONFIG.n_products
    for name in ("stock", "demand", "orders", "sales", "lost_sales"):
        assert getattr(result, name).shape == (days, n)
    np.testing.assert_array_equal(result.sales + result.lost_sales, result.demand)
    opening = np.vstack([np.zeros((1, n), np.int64), result.stock[:-1]])
    np.testing.assert_array_equal(result.stock, opening + result.orders - result.sales)
    assert ((opening + result.orders).sum(axis=1) == CONFIG.capacity).all()  # the gap is always filled
    assert set(result.reward_components) == set(REWARD_COMPONENTS)
    assert result.rewards.shape == (days,)
    assert result.daily["stockouts"].tolist() == np.count_nonzero(result.lost_sales, axis=1).tolist()
    metrics = result.metrics()
    assert set(metrics) == set(METRICS)
    assert metrics["fill_rate"] == result.sales.sum() / result.demand.sum()
    assert metrics["mean_reward"] == pytest.approx(result.rewards.sum())
    assert result.policy == "newsvendor" and result.seed == 5


def test_every_policy_faces_the_same_demand_for_a_seed():
    played = [play_episode(make_baseline(name, CONFIG), CONFIG, seed=11) for name in BASELINES]
    for result in played[1:]:
        np.testing.assert_array_equal(result.demand, played[0].demand)
        np.testing.assert_array_equal(result.demand_rates, played[0].demand_rates)
    assert not np.array_equal(played[0].orders, played[3].orders)  # random vs newsvendor


# ---------------------------------------------------------------------------- statistics


@pytest.mark.parametrize(
    ("df", "table_value"),
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (10, 2.228), (30, 2.042), (199, 1.972)],
)
def test_student_t_quantile_matches_the_table(df, table_value):
    assert student_t_975(df) == pytest.approx(table_value, rel=1.2e-3)


def test_confidence_interval_is_the_student_t_interval():
    low, high = confidence_interval(np.array([1.0, 2.0, 3.0]))
    assert (low + high) / 2 == pytest.approx(2.0)
    assert (high - low) / 2 == pytest.approx(4.303 / np.sqrt(3), rel=1e-3)
    with pytest.raises(ValueError, match="two episodes"):
        confidence_interval(np.array([1.0]))
