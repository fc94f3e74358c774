"""Networks of warehouses as the dashboard shows and picks them, without Streamlit.

- whether a run trained on a network, and its ``runs.layout.NetworkRecord`` (the network, its
  agents and the rule they correct), from its ``run_config.json`` or, for a run that has only
  started, its stream's header; what its agents do, in words;
- the shipped networks (``scenarios/*.toml`` with ``[nodes.NAME]`` tables), and the serial ones
  the Beer Game page plays;
- the network rules that apply to a network, and which runs under the log directory have agents
  trained on a given network.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory_rl.app.run_list import RunInfo, header_record
from inventory_rl.policies.network_rules import RULES, applicable
from inventory_rl.runs.layout import MODEL_NAME, RUN_CONFIG_NAME, STREAM_NAME, NetworkRecord
from inventory_rl.world.config import ScenarioError
from inventory_rl.world.network import NetworkConfig, NetworkScenario, list_networks

CO_PLAYER_WORDS = {"sterman": "Sterman's rule", "base-stock": "base-stock (tuned)"}


# ---------------------------------------------------------------------------- a run's network
def run_network(run_dir: Path) -> NetworkRecord | None:
    """The network record of the run in ``run_dir`` (its ``run_config.json``, else its stream's
    header), None for a single warehouse's run, a folder without a run, or an unreadable record.
    Read once per version of the file (its modification time and size)."""
    for name in (RUN_CONFIG_NAME, STREAM_NAME):
        path = run_dir / name
        try:
            stat = path.stat()
        except OSError:
            continue
        return _network_of(str(path), stat.st_mtime_ns, stat.st_size)
    return None


@functools.lru_cache(maxsize=64)
def _network_of(path: str, modified_ns: int, size: int) -> NetworkRecord | None:
    """The ``network`` entry of the run config or stream header at ``path`` as it was then."""
    return network_record(header_record(path))


def network_record(record: Any) -> NetworkRecord | None:
    """The ``NetworkRecord`` of a run config or stream header (a mapping), None where it has none
    or it cannot be read."""
    if not isinstance(record, Mapping) or not isinstance(record.get("network"), Mapping):
        return None
    try:
        return NetworkRecord.from_dict(record["network"])
    except (ScenarioError, KeyError, TypeError, ValueError):
        return None


def chain_text(network: NetworkConfig) -> str:
    """The network in a few words: ``factory → distributor → retailer`` for a chain, else its nodes
    with their supplier: ``dc (from the supplier), store_1 (from dc), ...``."""
    if network.is_serial:
        return " → ".join(network.names)
    parts = []
    for name, lane in zip(network.names, network.supply_lanes, strict=True):
        parts.append(f"{name} (from {'the supplier' if lane.source == 'supplier' else lane.source})")
    text = ", ".join(parts)
    if network.transfer_lanes:
        text += f"; {len(network.transfer_lanes)} transfer lanes"
    return text


def agents_text(record: NetworkRecord) -> str:
    """What a network run's agents are, to follow "a network run: ": ``one PPO agent for the whole
    network``, ``a PPO agent per node (one shared policy, each seeing its own node)`` or ``a PPO agent
    in the wholesaler's seat, the others playing Sterman's rule``; and the rule they correct."""
    base = (record.base or {}).get("rule")
    corrects = f", correcting the {base} rule" if base else ""
    if record.seat is not None:
        others = CO_PLAYER_WORDS.get(record.co_players or "", record.co_players or "a rule")
        return f"a PPO agent in the {record.seat}'s seat, the others playing {others}{corrects}"
    if record.agents == "per-node":
        sees = {"none": "its own node", "downstream": "its node and the demand below it", "all": "every node"}
        return f"a PPO agent per node (one shared policy, each seeing {sees.get(record.share, record.share)}){corrects}"
    return f"one PPO agent for the whole network{corrects}"


def network_description(record: NetworkRecord) -> str:
    """The sidebar's line for a network run: its warehouses and its agents."""
    network = record.network
    return f"a network of {len(network.nodes)} warehouses ({chain_text(network)}); {agents_text(record)}"


def seats_played(record: NetworkRecord) -> tuple[str, ...]:
    """The nodes a run's agents can play: every node, or the one seat they were trained in."""
    return tuple(record.network.names) if record.seat is None else (record.seat,)


# ---------------------------------------------------------------------------- shipped networks
@functools.cache
def shipped_networks() -> tuple[NetworkScenario, ...]:
    """Every network shipped in ``scenarios/`` (``world.network.list_networks``), by name."""
    return tuple(list_networks())


def playable(network: NetworkConfig) -> bool:
    """A network the Beer Game page plays: a chain of one product, where every seat orders freely."""
    return (
        network.is_serial
        and network.n_products == 1
        and all(node.config.order_mode == "free" for node in network.nodes)
        and applicable("base-stock", network) is None
    )


def serial_networks() -> tuple[NetworkScenario, ...]:
    """The shipped networks the Beer Game page plays (``playable``), ``beer-game-classic`` first."""
    found = [scenario for scenario in shipped_networks() if playable(scenario.network)]
    return tuple(sorted(found, key=lambda scenario: (scenario.name != "beer-game-classic", scenario.name)))


def shipped_network(name: str) -> NetworkScenario:
    """The shipped network ``name``; ``ScenarioError`` if there is none by that name."""
    for scenario in shipped_networks():
        if scenario.name == name:
            return scenario
    raise ScenarioError(f"no shipped network {name!r}")


def network_rules(network: NetworkConfig) -> tuple[list[str], dict[str, str]]:
    """The network rules that apply to ``network`` (``network_rules.RULES``), and why each other does not."""
    names, skipped = [], {}
    for name in RULES:
        reason = applicable(name, network)
        if reason is None:
            names.append(name)
        else:
            skipped[name] = reason
    return names, skipped


def network_key(network: NetworkConfig) -> str:
    """A network as a canonical JSON string: a hashable cache key that rebuilds it (``network_from_key``)."""
    return json.dumps(network.to_dict(), sort_keys=True)


def network_from_key(key: str) -> NetworkConfig:
    """The network of a ``network_key``."""
    return NetworkConfig.from_dict(json.loads(key))


def same_network(first: NetworkConfig, second: NetworkConfig) -> bool:
    """Whether two networks are the same: nodes, settings and lanes."""
    return first.to_dict() == second.to_dict()


# ---------------------------------------------------------------------------- runs with agents
@dataclass(frozen=True)
class AgentRun:
    """A run whose agents play a network: where it is, its record and the nodes they can play."""

    run: RunInfo
    record: NetworkRecord

    @property
    def model(self) -> Path:
        """The run's final model."""
        return self.run.path / MODEL_NAME

    @property
    def label(self) -> str:
        """How a picker names it: ``quick (per-node agents)``, ``seat (the wholesaler's agent)``."""
        record = self.record
        kind = f"the {record.seat}'s agent" if record.seat is not None else f"{record.agents} agents"
        return f"{self.run.relative} ({kind})"


def agent_runs(runs: Sequence[RunInfo], network: NetworkConfig) -> list[AgentRun]:
    """The runs among ``runs`` that trained agents on ``network`` and saved a model."""
    found = []
    for run in runs:
        record = run_network(run.path)
        if record is not None and (run.path / MODEL_NAME).is_file() and same_network(record.network, network):
            found.append(AgentRun(run, record))
    return found
