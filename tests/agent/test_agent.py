"""The agent's view of the env: features, action decoding, training reward, the trained
agent on the raw env, and loading a saved model."""

import dataclasses

import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.monitor import Monitor

from inventory_rl.agent.trained import TrainedAgent, load_agent
from inventory_rl.agent.vec_env import AgentVecEnv
from inventory_rl.agent.view import LOST_UNIT_COST, AgentView, DirectView, make_view, space_differences
from inventory_rl.envs.single import InventoryEnv
from inventory_rl.evaluation.episodes import play_batch, play_episode
from inventory_rl.policies.newsvendor import demand_survival, expected_sales_table
from inventory_rl.policies.rule_tuning import best_rule, tuned_rule
from inventory_rl.policies.rules import make_baseline
from inventory_rl.runs.files import write_json_atomic
from inventory_rl.runs.layout import ModelLoadError
from inventory_rl.training.run import build_model, make_training_env
from inventory_rl.world.config import InventoryConfig, load_scenario
from inventory_rl.world.observation import N_FEATURES

CONFIG = InventoryConfig()


class ConstantModel:
    """A stand-in for a trained model: always the same correction, for every warehouse."""

    def __init__(self, value: float, n_products: int = CONFIG.n_products):
        self.action = np.full(n_products, value, np.float32)

    def predict(self, observation, deterministic=True):
        assert deterministic
        return np.broadcast_to(self.action, (*np.shape(observation)[:-1], len(self.action))), None


def play(policy, seed):
    """The per-day (demand, orders) of one episode of ``policy``."""
    result = play_episode(policy, CONFIG, seed)
    return [{"demand": demand, "orders": orders} for demand, orders in zip(result.demand, result.orders, strict=True)]


def test_running_mean_feature_is_the_mean_of_every_day_seen():
    env = InventoryEnv(CONFIG)
    obs, _ = env.reset(seed=3)
    view = AgentView(CONFIG)
    agent_obs = view.start(obs[None])[0]
    history = env.sim.demand[0, : CONFIG.history_days]
    rows = agent_obs.reshape(CONFIG.n_products, -1)
    np.testing.assert_allclose(rows[:, N_FEATURES] * CONFIG.max_demand, history.mean(axis=0), rtol=1e-5)
    seen = [*history]
    for day in range(5):
        obs, _, _, _, info = env.step(np.ones(CONFIG.n_products))
        seen.append(info["demand"])
        rows = view.observe(obs[None])[0].reshape(CONFIG.n_products, -1)
        np.testing.assert_allclose(rows[:, N_FEATURES] * CONFIG.max_demand, np.mean(seen, axis=0), rtol=1e-5)
        assert rows[0, N_FEATURES + 1] == pytest.approx((day + 1) / CONFIG.episode_days)
        np.testing.assert_array_equal(rows[:, :N_FEATURES], obs.reshape(CONFIG.n_products, N_FEATURES))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_zero_correction_is_exactly_the_newsvendor_rule(seed):
    agent_days = play(TrainedAgent(ConstantModel(0.0), CONFIG), seed)
    rule_days = play(make_baseline("newsvendor", CONFIG), seed)
    for agent_day, rule_day in zip(agent_days, rule_days, strict=True):
        np.testing.assert_array_equal(agent_day["orders"], rule_day["orders"])


def test_corrections_move_units_towards_products_whose_rate_is_raised():
    view = AgentView(CONFIG)
    env = InventoryEnv(CONFIG)
    obs, _ = env.reset(seed=5)
    view.start(obs[None])
    plain = view.to_env_actions(np.zeros((1, CONFIG.n_products)), obs[None])[0]
    boost = np.zeros((1, CONFIG.n_products))
    boost[0, 0] = 1.0
    raised = view.to_env_actions(boost, obs[None])[0]
    gap = CONFIG.capacity
    from inventory_rl.world.warehouses import largest_remainder

    assert largest_remainder(raised.astype(np.float64), gap)[0] > largest_remainder(plain.astype(np.float64), gap)[0]
    assert ((raised >= 0) & (raised <= 1)).all()


def test_expected_sales_table_matches_the_survival_sums():
    rates = np.array([0.5, 4.0, 17.0])
    table = expected_sales_table(rates, CONFIG.max_demand)
    survival = demand_survival(rates, CONFIG.max_demand, CONFIG.max_demand + 1).T
    assert table.shape == (3, CONFIG.max_demand + 2)
    np.testing.assert_allclose(table[:, 0], 0)
    np.testing.assert_allclose(table[:, 5], survival[:, :5].sum(axis=1))
    # Expected demand of a capped Poisson: close to the rate when the cap rarely binds.
    assert table[1, -1] == pytest.approx(4.0, abs=1e-6)
    assert table[2, -1] < 17.0


def test_training_reward_is_minus_the_expected_lost_sales_of_the_shelf():
    training = AgentVecEnv(CONFIG, 1, seed=2)
    training.reset()
    env = InventoryEnv(CONFIG)  # the same warehouse, to read each day's info
    obs, info = env.reset(seed=2)
    table = expected_sales_table(info["demand_rates"], CONFIG.max_demand)
    for _ in range(3):
        zero = np.zeros((1, CONFIG.n_products), np.float32)
        _, rewards, _, _ = training.step(zero)
        obs, _, _, _, info = env.step(training.view.to_env_actions(zero, obs[None])[0])
        shelf = info["stock"] + info["sales"]
        expected_lost = table[:, -1].sum() - table[np.arange(CONFIG.n_products), shelf].sum()
        assert rewards[0] == pytest.approx(-LOST_UNIT_COST * expected_lost)
        assert rewards[0] <= 0


def test_agent_policy_is_deterministic_and_uses_the_same_days():
    first = play(TrainedAgent(ConstantModel(0.3), CONFIG), seed=8)
    second = play(TrainedAgent(ConstantModel(0.3), CONFIG), seed=8)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a["orders"], b["orders"])
    other = play(TrainedAgent(ConstantModel(-0.3), CONFIG), seed=8)
    assert all((a["demand"] == b["demand"]).all() for a, b in zip(first, other, strict=True))
    assert any((a["orders"] != b["orders"]).any() for a, b in zip(first, other, strict=True))


# ---------------------------------------------------------------------------- load_agent
@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An untrained model saved as train.py saves one, with its run config and a checkpoint."""
    folder = tmp_path_factory.mktemp("model")
    model = build_model(make_training_env(InventoryConfig(), 2, seed=0), seed=0)
    model.save(folder / "real_inventory_model.zip")
    (folder / "checkpoints").mkdir()
    model.save(folder / "checkpoints" / "inventory_model_10_steps.zip")
    write_json_atomic(folder / "run_config.json", {"env_config": InventoryConfig().to_dict(), "run_id": "r"})
    return folder


def assert_one_line_error(excinfo, *words):
    message = str(excinfo.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_load_agent_returns_a_policy_that_plays_the_raw_env(model_dir):
    policy, config = load_agent(model_dir / "real_inventory_model.zip")
    assert isinstance(policy, TrainedAgent)
    assert config == InventoryConfig()
    env = InventoryEnv(config)
    obs, info = env.reset(seed=0)
    policy.reset(obs, info)
    for _ in range(config.episode_days):
        fractions = policy.act(obs, info)
        assert fractions.shape == (config.n_products,)
        assert np.all((fractions >= 0) & (fractions <= 1))
        obs, _, _, truncated, info = env.step(fractions)
    assert truncated


def test_load_agent_finds_the_config_of_a_checkpoint_and_a_name_without_zip(model_dir):
    load_agent(model_dir / "checkpoints" / "inventory_model_10_steps.zip")
    load_agent(model_dir / "real_inventory_model")  # as the seed wrote it


def test_load_agent_missing_model(tmp_path):
    with pytest.raises(ModelLoadError) as excinfo:
        load_agent(tmp_path / "nothing.zip")
    assert_one_line_error(excinfo, "nothing.zip")


def test_load_agent_corrupt_zip(model_dir, tmp_path):
    (tmp_path / "run_config.json").write_bytes((model_dir / "run_config.json").read_bytes())
    broken = tmp_path / "broken.zip"
    broken.write_bytes((model_dir / "real_inventory_model.zip").read_bytes()[:500])
    with pytest.raises(ModelLoadError) as excinfo:
        load_agent(broken)
    assert_one_line_error(excinfo, "broken.zip", "not a loadable PPO model")


def test_load_agent_missing_or_bad_run_config(model_dir, tmp_path):
    model = tmp_path / "deep" / "er" / "model.zip"
    model.parent.mkdir(parents=True)
    model.write_bytes((model_dir / "real_inventory_model.zip").read_bytes())
    with pytest.raises(ModelLoadError) as excinfo:
        load_agent(model)
    assert_one_line_error(excinfo, "run_config.json")
    (model.parent / "run_config.json").write_text("{not json")
    with pytest.raises(ModelLoadError) as excinfo:
        load_agent(model)
    assert_one_line_error(excinfo, "not a valid run config")


def test_load_agent_rejects_a_model_for_another_env(model_dir, tmp_path):
    model = tmp_path / "model.zip"
    model.write_bytes((model_dir / "real_inventory_model.zip").read_bytes())
    write_json_atomic(tmp_path / "run_config.json", {"env_config": InventoryConfig(n_products=5).to_dict()})
    with pytest.raises(ModelLoadError) as excinfo:
        load_agent(model)
    assert_one_line_error(excinfo, "shape")


def test_a_model_that_does_not_fit_the_scenario_asked_for_is_explained_in_settings(model_dir):
    weekly = (1, 1, 1, 1, 1.2, 1.5, 1.3)
    with pytest.raises(ModelLoadError) as excinfo:
        load_agent(model_dir / "real_inventory_model.zip", InventoryConfig(n_products=3, weekly=weekly))
    assert str(excinfo.value) == (
        f"{model_dir / 'real_inventory_model.zip'} cannot play this scenario: trained with n_products=10 and "
        "weekly=[1, 1, 1, 1, 1, 1, 1]; this scenario has n_products=3 and weekly=[1, 1, 1, 1, 1.2, 1.5, 1.3], "
        "which changes the number of products and adds weekday features"
    )


@pytest.mark.parametrize(
    ("trained", "asked", "agent", "expected"),
    [
        (
            InventoryConfig(),
            InventoryConfig(lead_time=3),
            "structured",
            "trained with lead_time=1; this scenario has lead_time=3, which adds in-transit features",
        ),
        (
            InventoryConfig(n_products=1, capacity=10, order_mode="free"),
            InventoryConfig(),
            "structured",
            "trained with n_products=1 and order_mode=free; this scenario has n_products=10 and order_mode=fill, "
            "which changes the number of products and drops the base rule's order and the inventory position from "
            "the features",
        ),
        (
            InventoryConfig(order_mode="free"),
            InventoryConfig(lead_time=2, lead_time_max=4),
            "direct",
            "trained with lead_time=1, lead_time_max=0 and order_mode=free; this scenario has lead_time=2, "
            "lead_time_max=4 and order_mode=fill, which adds in-transit features and drops the share of the gap "
            "from the action",
        ),
        (  # the direct agent sees no weekday; the demand model counts only as a file or not
            InventoryConfig(),
            InventoryConfig(weekly=(1, 1, 1, 1, 1, 2, 2), demand_model="negative_binomial"),
            "direct",
            None,
        ),
        (InventoryConfig(lead_time=2, lead_time_max=4), InventoryConfig(lead_time=4), "structured", None),
        (InventoryConfig(), InventoryConfig(capacity=60, max_demand=30), "structured", None),
    ],
)
def test_space_differences_name_the_settings_that_size_the_spaces(trained, asked, agent, expected):
    assert space_differences(trained, asked, agent) == expected
    if agent == "direct":  # None exactly where the spaces agree (the structured views need a tuned rule in free mode)
        spaces = [(view.observation_space.shape, view.action_space.shape) for view in map(DirectView, (trained, asked))]
        assert (spaces[0] == spaces[1]) == (expected is None)
    elif "free" not in (trained.order_mode, asked.order_mode):
        spaces = [(view.observation_space.shape, view.action_space.shape) for view in map(make_view, (trained, asked))]
        assert (spaces[0] == spaces[1]) == (expected is None)


def test_predict_on_an_env_observation_says_what_to_use_instead(model_dir):
    model = PPO.load(model_dir / "real_inventory_model.zip", device="cpu")
    obs, _ = InventoryEnv(CONFIG).reset(seed=0)
    with pytest.raises(ValueError, match=r"inventory_rl\.agent\.trained\.load_agent\(path\)") as excinfo:
        model.predict(obs)
    assert "\n" not in str(excinfo.value)
    agent_obs = AgentView(CONFIG).start(obs[None])[0]
    action, _ = model.predict(agent_obs, deterministic=True)  # the agent's own features still work
    assert action.shape == (CONFIG.n_products,)


# ---------------------------------------------------------------------------- the training env
def test_a_batch_of_training_envs_plays_exactly_what_single_ones_play():
    config = InventoryConfig(episode_days=6)
    batch = AgentVecEnv(config, 3, seed=20)
    singles = [AgentVecEnv(config, 1, seed=20 + k) for k in range(3)]
    obs = batch.reset()
    np.testing.assert_array_equal(obs, np.concatenate([env.reset() for env in singles]))
    rng = np.random.default_rng(0)
    for _ in range(2 * config.episode_days):  # across an episode end and the automatic reset
        actions = rng.uniform(-1, 1, (3, config.n_products)).astype(np.float32)
        obs, rewards, dones, infos = batch.step(actions)
        for k, env in enumerate(singles):
            single_obs, single_rewards, single_dones, single_infos = env.step(actions[k : k + 1])
            np.testing.assert_array_equal(obs[k], single_obs[0])
            assert rewards[k] == single_rewards[0] and dones[k] == single_dones[0]
            assert infos[k].keys() == single_infos[0].keys()


def test_an_episode_end_follows_sb3s_conventions_and_other_days_carry_no_info():
    config = InventoryConfig(episode_days=5)
    env = AgentVecEnv(config, 2, seed=3)
    env.reset()
    view, single = AgentView(config), InventoryEnv(config)  # the first warehouse, replayed on its own
    single_obs, _ = single.reset(seed=3)
    agent_obs = view.start(single_obs[None])
    returns = points = 0.0
    for day in range(1, config.episode_days + 1):
        actions = np.full((2, config.n_products), 0.2, np.float32)
        single_obs, reward, _, truncated, info = single.step(view.to_env_actions(actions[:1], single_obs[None])[0])
        agent_obs = view.observe(single_obs[None])
        points += reward
        obs, rewards, dones, infos = env.step(actions)
        returns += rewards[0]
        if day < config.episode_days:
            assert not dones.any() and infos == [{}, {}]  # no per-day info is built for training
    assert dones.all() and truncated
    last = infos[0]
    np.testing.assert_array_equal(last["terminal_observation"], agent_obs[0])  # the last day, as the agent saw it
    assert last["TimeLimit.truncated"] is True
    assert last["episode"]["l"] == config.episode_days and last["episode"]["r"] == pytest.approx(returns)
    result = last["inventory_episode"]  # the episode in the env's own points
    np.testing.assert_array_equal(result.stock[-1], info["stock"])
    assert result.rewards.sum() == pytest.approx(points)
    np.testing.assert_array_equal(obs[0], view.start(single.reset()[0][None])[0])  # already the next episode
    assert env.env_is_wrapped(Monitor) == [True, True]


def test_ppo_sees_monitor_statistics_from_the_batch():
    model = build_model(AgentVecEnv(InventoryConfig(), 2, seed=0), seed=0)
    model.learn(256)
    assert len(model.ep_info_buffer) > 0
    assert all(info["l"] == InventoryConfig().episode_days for info in model.ep_info_buffer)


@pytest.mark.parametrize("scenario", ["lost-sales", "costs"])
def test_in_free_mode_a_zero_action_is_exactly_the_best_tuned_rule(scenario):
    config = dataclasses.replace(load_scenario(scenario).config, episode_days=40)
    best = best_rule(config)
    agent = TrainedAgent(ConstantModel(0.0, config.n_products), config)
    assert agent.view.base == {"rule": best.rule, "parameters": best.parameters}
    rule, _ = tuned_rule(best.rule, config)
    ours, theirs = play_batch(agent, config, [5, 6]), play_batch(rule, config, [5, 6])
    for mine, yours in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.ordered, yours.ordered)
    moved = TrainedAgent(ConstantModel(0.9, config.n_products), config)  # a correction moves the orders
    assert any((a.ordered != b.ordered).any() for a, b in zip(play_batch(moved, config, [5, 6]), theirs, strict=True))
