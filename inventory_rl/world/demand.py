"""Demand: what customers ask for in each episode, drawn at reset from the env's own generator.

``draw_demands`` returns a batch of episodes' whole demand (the history days before day 1 included)
and, where demand comes from hidden rates, those rates day by day, so a step never draws.
For the original warehouse the draws are exactly the original ones (the rates, then one
Poisson draw of every day), so the same seed gives the same demand as it always did.

``DemandData`` reads demand from a CSV file (one row per date and product, as retail sales
exports look: ``date,product,units``); each episode is then a seeded random window of
``history_days + episode_days`` consecutive days. Dates without a row count as zero demand;
units above ``max_demand`` are capped at it (the observation's scale).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inventory_rl.world.config import InventoryConfig, ScenarioError


@dataclass(frozen=True)
class EpisodeDemand:
    """The episodes of a batch of warehouses: ``demand`` is ``(batch, history_days + episode_days,
    n_products)`` whole units; ``rates`` the true mean of each of those days (None where demand
    comes from a file); ``base_rates`` the per-product rates drawn at reset ``(batch, n)`` (None
    for a file); ``first_weekday`` the weekday of each episode's first history day (0 = Monday);
    ``first_date`` that day's date for file demand (None otherwise)."""

    demand: np.ndarray
    rates: np.ndarray | None
    base_rates: np.ndarray | None
    first_weekday: np.ndarray
    first_date: list[dt.date | None]


@dataclass(frozen=True)
class DemandData:
    """Daily demand per product read from a CSV file: ``units`` is ``(days, n_products)``."""

    path: str
    start: dt.date
    products: tuple[str, ...]
    units: np.ndarray

    def window_starts(self, config: InventoryConfig) -> tuple[int, int]:
        """First and last day index an episode window may start at, for ``config.demand_part``.

        The ``holdout_days`` last days are kept apart: "train" windows end before them,
        "holdout" windows start after the training part (their history days may reach back
        into it: they are observed, not played), "all" windows may lie anywhere.
        """
        length = config.history_days + config.episode_days
        days = len(self.units)
        train_end = days - config.holdout_days  # exclusive
        if config.demand_part == "train":
            return 0, train_end - length
        if config.demand_part == "holdout":
            return max(train_end - config.history_days, 0), days - length
        return 0, days - length


def draw_demands(config: InventoryConfig, rngs: Sequence[np.random.Generator]) -> EpisodeDemand:
    """One episode's demand per generator, each drawn from its own generator only (so a batch
    draws exactly what single envs with the same generators draw)."""
    if config.demand_model == "file":
        windows = [_file_window(config, rng) for rng in rngs]
        demand = np.minimum(np.stack([window for window, _ in windows]), config.max_demand)
        dates = [date for _, date in windows]
        return EpisodeDemand(demand, None, None, np.array([date.weekday() for date in dates]), dates)
    n, days = config.n_products, config.history_days + config.episode_days
    if config.demand_model in ("none", "uniform"):
        return _known_demand(config, rngs)
    bases = [rng.uniform(config.rate_low, config.rate_high, n) for rng in rngs]
    if not config.has_varying_rates and config.demand_model == "poisson":
        # the original's draws: the rates, then every day at once
        draws = np.stack([rng.poisson(base, (days, n)) for rng, base in zip(rngs, bases, strict=True)])
        base_rates = np.stack(bases)
        rates = np.broadcast_to(base_rates[:, None, :], draws.shape)
    else:
        rates = np.stack([_episode_rates(config, rng, base) for rng, base in zip(rngs, bases, strict=True)])
        base_rates = np.stack(bases)
        if config.demand_model == "poisson":
            draws = np.stack([rng.poisson(rate) for rng, rate in zip(rngs, rates, strict=True)])
        elif config.demand_model == "constant":  # the rate itself, every day: nothing more is drawn
            draws = np.rint(rates).astype(np.int64)
        else:  # negative binomial with mean `rates` and variance rates + rates**2 / nb_shape
            shape = config.nb_shape
            draws = np.stack(
                [rng.negative_binomial(shape, shape / (shape + r)) for rng, r in zip(rngs, rates, strict=True)]
            )
    first_weekday = np.full(len(rngs), -config.history_days % 7)  # day 1 of the episode is a Monday
    return EpisodeDemand(np.minimum(draws, config.max_demand), rates, base_rates, first_weekday, [None] * len(rngs))


def _known_demand(config: InventoryConfig, rngs: Sequence[np.random.Generator]) -> EpisodeDemand:
    """Demand without hidden rates: none at all (``"none"``: a node where no customers buy, which
    draws nothing), or uniform whole numbers from ``rate_low`` to ``rate_high`` (their mean is known)."""
    n, days = config.n_products, config.history_days + config.episode_days
    shape = (len(rngs), days, n)
    if config.demand_model == "none":
        demand, mean = np.zeros(shape, np.int64), 0.0
    else:
        low, high = int(config.rate_low), int(config.rate_high)
        demand = np.stack([rng.integers(low, high + 1, (days, n)) for rng in rngs])
        mean = (low + high) / 2
    base_rates = np.full((len(rngs), n), mean)
    rates = np.broadcast_to(base_rates[:, None, :], shape)
    first_weekday = np.full(len(rngs), -config.history_days % 7)
    return EpisodeDemand(np.minimum(demand, config.max_demand), rates, base_rates, first_weekday, [None] * len(rngs))


def _episode_rates(config: InventoryConfig, rng: np.random.Generator, base: np.ndarray) -> np.ndarray:
    """The true mean of every day and product of an episode: weekly pattern, trend and shocks."""
    n, days = config.n_products, config.history_days + config.episode_days
    rates = base * _day_factors(config)[:, None]
    if config.shock_prob > 0:
        shocked = rng.random(n) < config.shock_prob
        shock_day = config.history_days + rng.integers(0, config.episode_days, n)
        after = np.arange(days)[:, None] >= shock_day[None, :]
        rates = np.where(shocked & after, rates * config.shock_factor, rates)
    return rates


def _day_factors(config: InventoryConfig) -> np.ndarray:
    """The weekly factor times the trend (and the step) of each day of an episode, history days first."""
    days = np.arange(config.history_days + config.episode_days)
    weekday = (days - config.history_days) % 7
    trend = np.maximum(1.0 + config.trend * (days - config.history_days), 0.0)
    if config.step_day > 0:  # episode day d (1-based) is row history_days + d - 1
        trend = trend * np.where(days >= config.history_days + config.step_day - 1, config.step_factor, 1.0)
    return np.asarray(config.weekly)[weekday] * trend


def _file_window(config: InventoryConfig, rng: np.random.Generator) -> tuple[np.ndarray, dt.date]:
    """A seeded random window of the demand file and the date of its first day."""
    data = load_demand_file(config)
    first, last = data.window_starts(config)
    start = int(rng.integers(first, last + 1))
    window = data.units[start : start + config.history_days + config.episode_days]
    return window, data.start + dt.timedelta(days=start)


def load_demand_file(config: InventoryConfig) -> DemandData:
    """The demand file of ``config``, checked against it; ``ScenarioError`` naming the file (and
    the line) if it cannot be used. Read once per file and modification time."""
    path = Path(config.demand_file)
    try:
        modified = path.stat().st_mtime_ns
    except OSError:
        raise ScenarioError(f"demand_file: no such file {path}") from None
    data = _read_demand_csv(str(path), modified)
    if len(data.products) != config.n_products:
        raise ScenarioError(
            f"{path}: has {len(data.products)} products, the scenario has n_products = {config.n_products}"
        )
    length = config.history_days + config.episode_days
    first, last = data.window_starts(config)
    if last < first:
        part = "" if config.demand_part == "all" else f" in its {config.demand_part} part"
        raise ScenarioError(
            f"{path}: {len(data.units)} days{part} (holdout_days = {config.holdout_days}), fewer than one "
            f"episode needs (history_days + episode_days = {length})"
        )
    return data


@functools.lru_cache(maxsize=8)
def _read_demand_csv(path: str, modified: int) -> DemandData:
    """Parse ``date,product,units`` rows; ``modified`` is part of the cache key only."""
    rows: dict[tuple[dt.date, str], int] = {}
    try:
        with open(path, newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            missing = {"date", "product", "units"} - set(reader.fieldnames or ())
            if missing:
                raise ScenarioError(f"{path}: missing column {sorted(missing)[0]!r} (need date,product,units)")
            for line, row in enumerate(reader, start=2):
                key = (_parse_date(path, line, row["date"]), (row["product"] or "").strip())
                rows[key] = rows.get(key, 0) + _parse_units(path, line, row["units"])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ScenarioError(f"{path}: cannot be read as CSV ({error})") from None
    if not rows:
        raise ScenarioError(f"{path}: no rows")
    dates = [date for date, _ in rows]
    start, end = min(dates), max(dates)
    products = tuple(sorted({product for _, product in rows}))
    column = {product: index for index, product in enumerate(products)}
    units = np.zeros(((end - start).days + 1, len(products)), np.int64)
    for (date, product), count in rows.items():
        units[(date - start).days, column[product]] = count
    return DemandData(path, start, products, units)


def _parse_date(path: str, line: int, text: str | None) -> dt.date:
    """A ``YYYY-MM-DD`` date; a one-line ``ScenarioError`` that says whether the text is not a date
    in that form or names a day that does not exist (``2023-02-30``)."""
    stripped = (text or "").strip()
    try:
        return dt.date.fromisoformat(stripped)
    except ValueError:
        form = re.fullmatch(r"\d{4}-(\d{2})-(\d{2})", stripped)
        if form and 1 <= int(form[1]) <= 12 and 1 <= int(form[2]) <= 31:  # a month and day, not in that month
            raise ScenarioError(f"{path}, line {line}: date {text!r} does not exist") from None
        raise ScenarioError(f"{path}, line {line}: date {text!r} is not YYYY-MM-DD") from None


def _parse_units(path: str, line: int, text: str | None) -> int:
    try:
        value = float((text or "").strip())
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value >= 0 and value == int(value)):
        raise ScenarioError(f"{path}, line {line}: units {text!r} must be a whole number of at least 0")
    return int(value)
