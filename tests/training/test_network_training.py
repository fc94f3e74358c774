"""train.py on networks: a central agent, per-node agents and one seat among co-players train, save a
run config that remembers the network and the agents, replay with load_network_agent, and the same
seed gives the same model; the network options are refused where they do not apply."""

import hashlib
import json
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from inventory_rl.agent.network_agent import NetworkAgentView, load_network_agent
from inventory_rl.cli import train as train_cli
from inventory_rl.evaluation.network_episodes import play_network, score_network
from inventory_rl.runs.layout import MODEL_NAME, RUN_CONFIG_NAME, ModelLoadError, load_run_config
from inventory_rl.training.callbacks import KeepBestCallback
from inventory_rl.training.settings import NETWORK_HYPERPARAMS, run_settings
from inventory_rl.world.network import load_network

TINY = ["--total-timesteps", "512", "--n-envs", "2", "--checkpoint-freq", "100000"]


def train(log_dir, *options):
    return train_cli.main(
        ["--scenario", "beer-game", "--set", "episode_days=16", *TINY, "--log-dir", str(log_dir), *options]
    )


def policy_hash(log_dir) -> str:
    return hashlib.sha256(zipfile.ZipFile(log_dir / MODEL_NAME).read("policy.pth")).hexdigest()


@pytest.mark.parametrize(
    "options",
    [
        (),
        ("--agents", "per-node", "--reward", "local", "--share", "downstream"),
        ("--agents", "per-node", "--share", "all"),
        ("--seat", "wholesaler"),
    ],
    ids=["central", "per-node", "per-node-seeing-all", "seat"],
)
def test_a_network_run_trains_remembers_its_network_and_replays(tmp_path, options):
    assert train(tmp_path / "run", *options) == 0
    run = load_run_config(tmp_path / "run" / MODEL_NAME)
    assert run.network is not None and run.network.network.names == ("factory", "distributor", "wholesaler", "retailer")
    assert run.scenario.name == "beer-game" and run.network.network.episode_days == 16
    recorded = json.loads((tmp_path / "run" / RUN_CONFIG_NAME).read_text())["network"]
    sees_every_node = not options or options[-1] == "all"  # then it corrects the echelon rule, else its own
    assert recorded["base"]["rule"] == ("echelon-base-stock" if sees_every_node else "base-stock")
    if options and options[0] == "--seat":
        assert (run.network.seat, run.network.co_players, run.network.agents) == ("wholesaler", "sterman", "per-node")
    else:
        assert run.network.agents == ("per-node" if options else "central")
    agent = load_network_agent(tmp_path / "run" / MODEL_NAME)
    played = play_network(agent, [1000, 1001])
    assert played.costs.shape == (2, 16, 4) and np.isfinite(played.costs).all()


def test_the_same_seed_gives_the_same_network_model(tmp_path):
    assert train(tmp_path / "a", "--seed", "3") == 0
    assert train(tmp_path / "b", "--seed", "3") == 0
    assert train(tmp_path / "c", "--seed", "4") == 0
    assert policy_hash(tmp_path / "a") == policy_hash(tmp_path / "b") != policy_hash(tmp_path / "c")


def test_an_action_of_zero_is_the_rule():
    network = load_network("serial").network
    view = NetworkAgentView(network)
    base = np.array([[[7], [3], [0]]])
    assert np.array_equal(view.orders(base, np.zeros((1, 3, 1))), base)
    moved = view.orders(base, np.ones((1, 3, 1)))
    assert (moved >= base).all() and (moved > base).any()  # at most half a day's demand more
    assert (view.orders(base, -np.ones((1, 3, 1))) >= 0).all()  # never below zero


def test_a_central_agent_decides_the_claims_where_a_parent_rations_as_decided(tmp_path):
    """distribution with the DC rationing as decided: the central agent's action ends with a claim per store
    (1 + its number: 0 is the rules' proportional split); it trains, replays and splits by its claims."""
    network = load_network("distribution", ["nodes.dc.rationing=decided"]).network
    view = NetworkAgentView(network)
    assert view.action_space.shape == ((5 + 4) * 1,)
    moves, claims = view.split(np.zeros((2, 9)))
    assert moves.shape == (2, 5, 1) and not moves.any() and (claims == 1).all()
    _, claims = view.split(np.array([[0] * 5 + [-1, 0, 0.5, 3]]))
    assert claims[0, 1:, 0].tolist() == [0.0, 1.0, 1.5, 2.0]  # clipped to [0, 2]
    with pytest.raises(ValueError, match="only a central agent"):
        NetworkAgentView(network, agents="per-node")
    argv = ["--scenario", "distribution", "--set", "nodes.dc.rationing=decided", "--set", "episode_days=16", *TINY]
    assert train_cli.main([*argv, "--log-dir", str(tmp_path / "run")]) == 0
    agent = load_network_agent(tmp_path / "run" / MODEL_NAME)
    played = play_network(agent, [1000, 1001])
    assert played.costs.shape == (2, 16, 5) and np.isfinite(played.costs).all()
    assert agent.claims is not None and agent.claims.shape == (2, 5, 1) and (agent.claims[:, 1:] >= 0).all()


def test_a_network_scenario_s_own_settings_override_the_network_defaults():
    assert run_settings(load_network("regional"), "structured", None)["gamma"] == 0.9  # its [train.hyperparams]
    assert run_settings(load_network("serial"), "structured", None) == NETWORK_HYPERPARAMS


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--agents", "per-node"], "argument --agents: only for networks of warehouses; default is one warehouse"),
        (["--scenario", "distribution", "--seat", "dc"], "argument --seat: one seat among co-players is for chains"),
        (["--scenario", "beer-game", "--seat", "brewer"], "argument --seat: no node 'brewer'"),
        (["--scenario", "beer-game", "--agent", "direct"], "argument --agent: networks have their own agents"),
        (["--keep-best", "8"], "argument --keep-best: only for networks of warehouses; default is one warehouse"),
        (["--scenario", "serial", "--keep-best", "-1"], "argument --keep-best"),
        (
            ["--scenario", "distribution", "--set", "nodes.dc.rationing=decided", "--agents", "per-node"],
            "argument --agents: rationing = decided is the central agent's decision",
        ),
    ],
)
def test_network_options_are_refused_where_they_do_not_apply(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as excinfo:
        train_cli.main([*argv, "--log-dir", str(tmp_path / "run")])
    assert excinfo.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], errors
    assert not (tmp_path / "run").exists()


def test_a_single_warehouse_model_is_not_a_network_agent(run_dir):
    with pytest.raises(ModelLoadError, match="the model of one warehouse, not of a network"):
        load_network_agent(run_dir / MODEL_NAME)


def test_evaluate_plays_a_network_model_beside_the_rules(tmp_path, capsys):
    from inventory_rl.cli import evaluate as evaluate_cli

    assert train(tmp_path / "run") == 0
    capsys.readouterr()
    report = tmp_path / "report.json"
    argv = ["--model", str(tmp_path / "run" / MODEL_NAME), "--episodes", "4", "--json", str(report)]
    assert evaluate_cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "network beer-game --set episode_days=16" in out
    policies = json.loads(report.read_text())["policies"]
    assert {"ppo", "echelon-base-stock", "optimal"} <= set(policies)
    assert policies["ppo"]["sees"] == "echelon (central)"


def test_a_network_model_is_refused_where_the_network_gives_it_other_observations(tmp_path, capsys):
    """The same nodes with a longer lead time into the retailer: more in-transit columns than the model saw.
    evaluate.py says so in one line and exits 2."""
    from inventory_rl.cli import evaluate as evaluate_cli

    assert train(tmp_path / "run") == 0
    capsys.readouterr()
    model = tmp_path / "run" / MODEL_NAME
    with pytest.raises(ModelLoadError, match="does not fit this network: it sees"):
        load_network_agent(model, load_network("beer-game", ["episode_days=16", "lanes.retailer.lead_time=6"]).network)
    argv = ["--model", str(model), "--set", "episode_days=16", "--set", "lanes.retailer.lead_time=6", "--episodes", "2"]
    with pytest.raises(SystemExit) as excinfo:
        evaluate_cli.main(argv)
    assert excinfo.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "does not fit this network" in errors[0], errors


def test_a_seat_agent_decides_its_seat_and_the_co_players_the_rest(tmp_path):
    from gymnasium.utils import seeding

    from inventory_rl.policies.network_rules import make_network_rule
    from inventory_rl.world.networks import Networks

    assert train(tmp_path / "run", "--seat", "wholesaler") == 0
    agent = load_network_agent(tmp_path / "run" / MODEL_NAME)
    sterman = make_network_rule("sterman", agent.network)
    sims = [Networks(agent.network, 2) for _ in range(2)]
    for sim in sims:
        sim.reset([seeding.np_random(seed)[0] for seed in (5, 6)])
    agent.reset(sims[0])
    sterman.reset(sims[1])
    for _ in range(5):
        mine, _ = agent.decide(sims[0])
        theirs, _ = sterman.decide(sims[1])
        others = [i for i, name in enumerate(agent.network.names) if name != "wholesaler"]
        assert np.array_equal(mine[:, others], theirs[:, others])  # the co-players play Sterman's rule
        sims[0].step_units(mine)
        sims[1].step_units(mine)  # the same days, so both see the same state


def test_keep_best_puts_back_the_cheapest_policy_it_judged():
    model = SimpleNamespace(policy=torch.nn.Linear(1, 1), num_timesteps=0, get_env=lambda: None, logger=None)
    costs = iter([5.0, 3.0, 4.0, 6.0])  # at the start, after 2 and 4 calls, at the end
    callback = KeepBestCallback(lambda _: next(costs), every=2)
    callback.init_callback(model)
    callback.on_training_start({}, {})
    weights = []
    for step in (10, 20):
        torch.nn.init.constant_(model.policy.weight, step)
        weights.append(model.policy.weight.detach().clone())
        model.num_timesteps = step
        callback.on_step()
        callback.on_step()
    torch.nn.init.constant_(model.policy.weight, 99.0)
    callback.on_training_end()
    assert (callback.best_step, callback.best_cost) == (10, 3.0)
    assert torch.equal(model.policy.weight, weights[0])


def test_a_network_run_with_keep_best_saves_the_policy_it_kept(tmp_path, capsys):
    assert train(tmp_path / "run", "--keep-best", "2", "--checkpoint-freq", "256") == 0
    kept = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Kept the policy of step")]
    assert len(kept) == 1, kept
    step = int(kept[0].split("step ")[1].split(":")[0].replace(",", ""))
    assert step in (0, 256, 512)  # judged at the start, at every checkpoint and at the end
    agent = load_network_agent(tmp_path / "run" / MODEL_NAME)
    cost = score_network(agent, range(800_000, 800_002)).mean()
    assert f"{cost:.4f}" in kept[0]  # the saved model is the one it kept
