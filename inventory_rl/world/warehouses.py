"""The warehouse simulation, for a batch of independent warehouses stepped as one.

``Warehouses(config, batch)`` holds ``batch`` warehouses of one scenario as arrays with a
leading batch axis; ``InventoryEnv`` is a batch of one, training steps all its envs as one
batch. Each warehouse draws its episode (demand, lead times, disruptions, partial
shipments) at reset from its own generator, so a step draws nothing and a batch of n
warehouses plays exactly the episodes of n single envs reset with the same seeds. Every
warehouse of a batch is on the same day: episodes all have ``episode_days`` days and a batch
resets all its warehouses together.

One day (``step_units``; ``step_fractions`` first turns the action into whole units):

1. The order is placed. Units beyond the gap (capacity - stock - units in transit) are
   refused at the door. On a disrupted day the supplier ships nothing (the order is
   cancelled, the gap stays open); a partial shipment carries a share of the units (the rest
   is cancelled). What ships is in transit for its lead time (each order draws its own, so a
   later order may overtake an earlier one) and arrives before the demand of day
   ``t + lead_time - 1`` (t = today; a lead time of 1 arrives before today's demand).
2. The day's deliveries go on the shelf; ``sales = min(shelf, demand)``; the rest is lost.
3. Costs, profit and the reward are counted (see ``InventoryEnv``).

The arithmetic is written so that the original warehouse gives exactly the original's
numbers, bit for bit, in any batch: sums of floats run left to right (``np.cumsum``) as the
original's Python sums did, and dot products go through ``np.vecdot`` (the same routine as
the original's ``@``, one row at a time). The numbers of one warehouse (its gap, totals,
reward parts) are computed through ``_BatchMath`` for a batch and ``_OneMath`` (Python
numbers, several times faster than numpy on one number) for a batch of one.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inventory_rl.world.config import InventoryConfig
from inventory_rl.world.demand import draw_demands
from inventory_rl.world.observation import (
    AVG7_DEMAND,
    DEMAND_RATIO,
    FREE_SPACE,
    IN_TRANSIT,
    N_FEATURES,
    STOCK,
    TOTAL_STOCK,
    YESTERDAY_DEMAND,
)

MAX_ORDER_UNITS = 1_000_000  # keeps the int64 order arithmetic (ordered @ ordered) exact
REWARD_COMPONENTS = ("order_accuracy", "perfect_fulfillment", "stock_bonus", "allocation", "stockout_penalty")
COST_PARTS = ("holding", "lost_sale", "ordering", "purchase")


# The columns ``observe`` writes each day, as index tuples built once (the step is hot: ~35 us)
_STOCK_COLUMN, _TOTAL_COLUMN, _FREE_COLUMN = np.s_[..., STOCK], np.s_[..., TOTAL_STOCK], np.s_[..., FREE_SPACE]
_TRANSIT_COLUMNS = np.s_[..., IN_TRANSIT:]

PerWarehouse = np.ndarray | float  # one number per warehouse: (batch,) or, for a batch of one, a Python number


class _BatchMath:
    """Arithmetic on one number per warehouse, for a batch: ``(batch,)`` numpy arrays.

    The day's rules are written once against this interface; ``_OneMath`` runs the same rules
    on Python numbers for a batch of one (the single env), where a numpy call on one number
    costs tens of times its arithmetic. Both give the same bits: Python floats are IEEE
    doubles, every sum keeps its order and every dot product goes through ``np.vecdot``
    (``tests/test_scenarios.py`` plays a batch against single envs in every scenario).
    """

    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)
    sqrt = staticmethod(np.sqrt)

    @staticmethod
    def read(values: np.ndarray) -> np.ndarray:
        """A ``(batch,)`` array as this arithmetic holds it."""
        return values

    @staticmethod
    def store(*values: np.ndarray) -> Sequence[np.ndarray]:
        """Values of this arithmetic, all ints or all floats, as ``(batch,)`` arrays."""
        return values

    @staticmethod
    def units(per_product: np.ndarray) -> np.ndarray:
        """Whole units summed over products (exact in any order)."""
        return np.add.reduce(per_product, axis=1)

    @staticmethod
    def total(per_product: np.ndarray) -> np.ndarray:
        """Floats summed over products by numpy's own (pairwise) sum."""
        return np.add.reduce(per_product, axis=1)

    @staticmethod
    def dot(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """The dot product over products."""
        return np.vecdot(left, right)

    @staticmethod
    def ratio(numerator: np.ndarray, denominator: np.ndarray, defined: np.ndarray) -> np.ndarray:
        """``numerator / denominator`` where ``defined``, else 0."""
        return np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=defined)

    @staticmethod
    def column(values: np.ndarray) -> np.ndarray:
        """Values that broadcast against ``(batch, n_products)`` arrays."""
        return values[:, None]

    @staticmethod
    def split(rows: np.ndarray, totals: np.ndarray) -> np.ndarray:
        """``largest_remainder`` of a ``(batch, n)`` float64 array and ``(batch,)`` int64 totals."""
        weight_sum = np.cumsum(rows, axis=1)[:, -1]  # left to right, like the original's Python sum
        if (weight_sum > 1e-300).all():
            raw = rows * (totals / weight_sum)[:, None]
        else:  # a zero row, or a sum so small that total / sum would overflow
            raw = np.empty_like(rows)
            for index, (row, weight, count) in enumerate(zip(rows, weight_sum.tolist(), totals.tolist(), strict=True)):
                if weight <= 0:
                    raw[index] = count / len(row)
                else:
                    scale = count / weight  # inf when the sum is below ~1e-306, as in the original
                    raw[index] = row * scale if scale != math.inf else row / weight * count
        units = raw.astype(np.int64)  # floor, since raw >= 0
        missing = totals - np.add.reduce(units, axis=1)
        # one more unit for the ``missing`` products of each row with the largest remainders (ties to the lower index)
        order = np.argsort(units - raw, axis=1, kind="stable")
        units += order.argsort(axis=1) < missing[:, None]  # a product's rank in that order
        return units

    @staticmethod
    def finite(array: np.ndarray) -> bool:
        """Whether every element of ``array`` is finite."""
        return bool(np.isfinite(array).all())


class _OneMath:
    """``_BatchMath``'s interface on Python numbers, for a batch of one (``store`` still gives
    ``(1,)`` arrays, so a ``Day`` looks the same for any batch)."""

    maximum = staticmethod(max)
    sqrt = staticmethod(math.sqrt)

    @staticmethod
    def where(condition: bool, yes: float, no: float) -> float:
        return yes if condition else no

    @staticmethod
    def read(values: np.ndarray) -> float:
        return values.item()

    @staticmethod
    def store(*values: float) -> Sequence[np.ndarray]:
        return np.array(values)[:, None]  # its rows

    @staticmethod
    def units(per_product: np.ndarray) -> int:
        return sum(per_product[0].tolist())

    @staticmethod
    def total(per_product: np.ndarray) -> float:
        return np.add.reduce(per_product, axis=1).item()

    @staticmethod
    def dot(left: np.ndarray, right: np.ndarray) -> float:
        return np.vecdot(left, right).item()

    @staticmethod
    def ratio(numerator: float, denominator: float, defined: bool) -> float:
        return numerator / denominator if defined else 0.0

    @staticmethod
    def column(value: float) -> float:
        return value

    @staticmethod
    def split(rows: np.ndarray, totals: np.ndarray) -> np.ndarray:
        row, total = rows[0], totals.item()
        weight_sum = sum(row.tolist())  # left to right, as np.cumsum does
        if not weight_sum > 1e-300:
            return _BatchMath.split(rows, totals)
        raw = row * (total / weight_sum)
        units = raw.astype(np.int64)  # floor, since raw >= 0
        missing = total - sum(units.tolist())
        if missing:
            key = (units - raw).tolist()
            for product in sorted(range(len(key)), key=key.__getitem__)[:missing]:  # a stable sort
                units[product] += 1
        return units[None]

    @staticmethod
    def finite(array: np.ndarray) -> bool:
        # one sum catches any NaN or inf; only a sum that overflows needs the element-wise check
        return math.isfinite(sum(array.ravel().tolist())) or bool(np.isfinite(array).all())


BATCH_MATH = _BatchMath()
ONE_MATH = _OneMath()


def in_transit(pipeline: np.ndarray, slots: int) -> np.ndarray:
    """The units in transit per product and arrival day, ``(batch, n_products, slots)``, of
    pipelines ``(batch, max_lead_time, n_products)`` (slot k arrives in k days): a view."""
    return pipeline[:, :slots].swapaxes(1, 2)


def largest_remainder(weights: np.ndarray, totals: np.ndarray | int) -> np.ndarray:
    """Split each row's total of whole units in proportion to its non-negative ``weights``.

    ``weights`` has shape ``(..., n)``, ``totals`` the leading shape. Each share is floored,
    then the units still missing go to the largest remainders (ties to the lower index), so
    each row sums exactly to its total. A row of zero weights is split evenly.
    """
    weights = np.asarray(weights, np.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    totals = np.broadcast_to(np.asarray(totals, np.int64), weights.shape[:-1]).reshape(-1)
    return BATCH_MATH.split(rows, totals).reshape(weights.shape)


def order_units(
    actions: np.ndarray, gaps: np.ndarray, config: InventoryConfig, m: _BatchMath | _OneMath = BATCH_MATH
) -> tuple[np.ndarray, np.ndarray]:
    """The whole units per product that env actions ``(batch, action_size)`` order against the
    gaps ``(batch,)``, and their totals: fractions clipped to [0, 1], in free mode the last
    component the share of the gap to order (rounded), split by largest remainders (in the
    batch's arithmetic ``m``; the result is the same in either)."""
    weights = np.minimum(np.maximum(np.asarray(actions, np.float64), 0.0), 1.0)
    totals = np.asarray(gaps, np.int64)
    if config.order_mode == "free":
        totals = np.rint(weights[:, -1] * totals).astype(np.int64)
        weights = weights[:, :-1]
    return m.split(weights, totals), totals


Orders = tuple[np.ndarray, PerWarehouse, np.ndarray, PerWarehouse]  # placed, their total, accepted, their total


@dataclass(slots=True)
class Day:
    """What one step did to every warehouse of a batch: arrays with a leading batch axis
    (per-product ones ``(batch, n_products)``). ``InventoryEnv`` turns a row into ``info``."""

    day: int  # 1-based, the same for the whole batch
    demand: np.ndarray
    sales: np.ndarray
    lost_sales: np.ndarray
    stock: np.ndarray  # at the end of the day
    received: np.ndarray  # units put on the shelf today (the original's "orders")
    ordered: np.ndarray  # units placed today
    accepted: np.ndarray  # placed and within the gap
    shipped: np.ndarray  # accepted and sent by the supplier
    gap: np.ndarray  # (batch,) capacity - stock - in transit, when ordering
    on_shelf: np.ndarray  # (batch,) units on the shelf after delivery
    total_demand: np.ndarray  # (batch,)
    total_lost: np.ndarray  # (batch,) units of the day's demand not served that day (lost, or owed)
    error: np.ndarray  # (batch,) |units placed - gap|
    correlation: np.ndarray  # (batch,) of the order with the 7-day average demand
    disrupted: np.ndarray  # (batch,) bool
    in_transit: np.ndarray | None  # (batch, n_products, transit_slots) by arrival day, tomorrow first
    cost_parts: dict[str, np.ndarray]  # per product, empty without costs
    revenue: np.ndarray | None
    reward_components: dict[str, np.ndarray]  # (batch,) each; they sum to the reward
    reward: np.ndarray  # (batch,)
    backordered: np.ndarray | None = None  # with backorders: units of the day's demand owed, not served
    backorders: np.ndarray | None = None  # with backorders: units owed to customers at the end of the day


class Warehouses:
    """A batch of warehouses of one scenario (see the module docstring)."""

    def __init__(self, config: InventoryConfig, batch: int):
        if batch < 1:
            raise ValueError(f"a batch needs at least one warehouse, got {batch}")
        cfg = self.config = config
        self.batch = batch
        n, h, days = cfg.n_products, cfg.history_days, cfg.episode_days
        self.n_features = N_FEATURES + cfg.transit_slots
        self.day = 0
        self.started = False
        self.stock = np.zeros((batch, n), np.int64)
        self.stock_total = np.zeros(batch, np.int64)
        self.pipeline = np.zeros((batch, cfg.max_lead_time, n), np.int64)  # slot k arrives in k days
        self.transit_total = np.zeros(batch, np.int64)
        self.demand = np.zeros((batch, h + days, n), np.int64)
        self.rates: np.ndarray | None = None  # (batch, h + days, n) true means, from reset on (None: file demand)
        self.base_rates: np.ndarray | None = None
        self.first_weekday = np.zeros(batch, np.int64)
        self.first_date: list[dt.date | None] = [None] * batch
        self.lead_times = np.full((batch, days, n), cfg.lead_time, np.int64)
        self.disrupted = np.zeros((batch, days), bool)
        self.delivered_share = np.ones((batch, days, n))
        # Everything about demand that the agent sees, for the days + 1 observations of an
        # episode, is computed at reset, so a step only writes the stock and transit columns.
        self._obs = np.zeros((batch, days + 1, n, self.n_features), np.float32)
        self._avg7_centered = np.zeros((batch, days + 1, n))
        self._avg7_norm = np.zeros((batch, days + 1))
        self._daily_total_demand = np.zeros((batch, days), np.int64)
        self.gap = np.full(batch, cfg.capacity, np.int64)  # capacity - stock - in transit: what an order may fill
        self._slots = cfg.transit_slots
        self._supply_risk = cfg.has_supply_risk
        self._costly = cfg.has_costs
        self._backorders = cfg.unmet_demand == "backorder"
        self.backlog = np.zeros((batch, n), np.int64)  # units owed to customers (backorders only)
        # A node of a network (world.networks) is supplied by the network, which puts today's
        # shipments in its pipeline (``put_in_transit``) before the day; the order it places is
        # counted against its gap with what it has on order (placed, not yet shipped).
        self.networked = False
        self.on_order = np.zeros((batch, n), np.int64)
        self.inbound = np.zeros((batch, n), np.int64)  # networked: units its supplier shipped to it today
        self.night_stock: np.ndarray | None = None  # networked: what it holds overnight, after its own shipments
        self._math = ONE_MATH if batch == 1 else BATCH_MATH  # the same rules, see _BatchMath
        self._action_shape = (batch, cfg.action_size)

    # ------------------------------------------------------------------ episodes
    def reset(self, rngs: Sequence[np.random.Generator]) -> None:
        """Start a new episode in every warehouse, drawing it from that warehouse's generator.

        Every array is new, not written into the old one: callers may still hold the last
        episode's days (``info`` arrays are views of them).
        """
        if len(rngs) != self.batch:
            raise ValueError(f"need one generator per warehouse ({self.batch}), got {len(rngs)}")
        cfg = self.config
        days, n = cfg.episode_days, cfg.n_products
        episodes = draw_demands(cfg, rngs)
        self.demand, self.rates, self.base_rates = episodes.demand, episodes.rates, episodes.base_rates
        self.first_weekday, self.first_date = episodes.first_weekday, episodes.first_date
        # Supply draws come after demand and only where the mechanism is on, so the original
        # warehouse draws exactly what it always drew.
        if cfg.lead_time_max > cfg.lead_time:
            self.lead_times = np.stack([rng.integers(cfg.lead_time, cfg.lead_time_max + 1, (days, n)) for rng in rngs])
        if cfg.disruption_prob > 0:
            self.disrupted = np.stack([rng.random(days) < cfg.disruption_prob for rng in rngs])
        if cfg.partial_prob > 0:
            self.delivered_share = np.stack([_delivered_share(cfg, rng) for rng in rngs])
        self._precompute_demand_features()
        self.day = 0
        self.started = True
        self.stock = np.full((self.batch, n), cfg.initial_stock, np.int64)
        self.stock_total = np.full(self.batch, cfg.initial_stock * n, np.int64)
        self.pipeline = np.zeros_like(self.pipeline)
        self.transit_total = np.zeros(self.batch, np.int64)
        self.gap = cfg.capacity - self.stock_total
        self.backlog = np.zeros((self.batch, n), np.int64)
        self.on_order = np.zeros((self.batch, n), np.int64)

    def start_from(
        self, stock: np.ndarray, pipeline: np.ndarray, demand: np.ndarray, lead_times: np.ndarray | None = None
    ) -> None:
        """Start every warehouse from a given state, ``stock`` ``(batch, n)`` and ``pipeline``
        ``(batch, max_lead_time, n)`` (as the attributes of another batch hold them), with the
        given ``demand`` ``(batch, history_days + episode_days, n)`` and, where lead times are random,
        the given ``lead_times`` ``(batch, episode_days, n)`` of the orders placed each day: for
        rollouts that replay one state under several decisions on the same demand and lead times
        (``dcl.py``). There are no hidden rates (``rates_ahead`` is None) and supply never fails."""
        cfg = self.config
        if cfg.disruption_prob > 0 or cfg.partial_prob > 0:
            raise ValueError("start_from replays reliable supply only (no disruptions or partial deliveries)")
        arrays = {"stock": stock, "pipeline": pipeline, "demand": demand}
        shapes = {"stock": (self.batch, cfg.n_products), "pipeline": self.pipeline.shape, "demand": self.demand.shape}
        if cfg.lead_time_max > cfg.lead_time:
            arrays["lead_times"], shapes["lead_times"] = lead_times, self.lead_times.shape
        for name, array in arrays.items():
            if np.shape(array) != shapes[name]:
                raise ValueError(f"{name} must have shape {shapes[name]}, got {np.shape(array)}")
        if "lead_times" in arrays:
            self.lead_times = np.asarray(lead_times, np.int64)
        self.demand = np.asarray(demand, np.int64)
        self.rates = self.base_rates = None
        self._precompute_demand_features()
        self.day = 0
        self.started = True
        self.stock = np.array(stock, np.int64)
        self.stock_total = self.stock.sum(axis=1)
        self.pipeline = np.array(pipeline, np.int64)
        self.transit_total = self.pipeline.sum(axis=(1, 2))
        self.gap = cfg.capacity - self.stock_total - self.transit_total

    def _precompute_demand_features(self) -> None:
        cfg = self.config
        n, h = cfg.n_products, cfg.history_days
        running = np.zeros((self.batch, self.demand.shape[1] + 1, n))
        np.cumsum(self.demand, axis=1, out=running[:, 1:])
        avg7 = (running[:, h:] - running[:, :-h]) * (1.0 / h)  # row t: mean of the h days before day t+1
        totals = avg7.sum(axis=2, keepdims=True)
        ratio = np.divide(avg7, totals, out=np.full_like(avg7, 1.0 / n), where=totals > 0)
        self._obs = np.zeros_like(self._obs)
        self._obs[..., YESTERDAY_DEMAND] = self.demand[:, h - 1 :] * (1.0 / cfg.max_demand)
        self._obs[..., AVG7_DEMAND] = avg7 * (1.0 / cfg.max_demand)
        self._obs[..., DEMAND_RATIO] = ratio
        self._avg7_centered = avg7 - totals * (1.0 / n)
        self._avg7_norm = np.sqrt(np.einsum("bij,bij->bi", self._avg7_centered, self._avg7_centered))
        self._daily_total_demand = self.demand[:, h:].sum(axis=2)

    # ------------------------------------------------------------------ what is known
    def observe(self) -> np.ndarray:
        """The observation of every warehouse for today, ``(batch, n_products * n_features)``."""
        cfg, m = self.config, self._math
        rows = self._obs[:, self.day]
        np.divide(self.stock, cfg.max_demand, out=rows[_STOCK_COLUMN], casting="unsafe")  # float64, then float32
        rows[_TOTAL_COLUMN] = m.column(m.read(self.stock_total) / cfg.capacity)
        rows[_FREE_COLUMN] = m.column(m.read(self.gap) / cfg.capacity)
        if self._slots:
            rows[_TRANSIT_COLUMNS] = in_transit(self.pipeline, self._slots) / cfg.max_demand
        return rows.reshape(self.batch, -1).copy()

    def rates_ahead(self, horizon: int) -> np.ndarray | None:
        """The true mean demand of today and the next ``horizon - 1`` days, ``(batch, horizon,
        n_products)`` (days past the episode repeat its last day); None for file demand."""
        if self.rates is None:
            return None
        first = self.config.history_days + self.day
        rows = np.minimum(np.arange(first, first + horizon), self.rates.shape[1] - 1)
        return self.rates[:, rows]

    def weekday(self) -> np.ndarray:
        """Today's weekday per warehouse (0 = Monday)."""
        return (self.first_weekday + self.config.history_days + self.day) % 7

    # ------------------------------------------------------------------ the day
    def step_fractions(self, actions: np.ndarray) -> Day:
        """One day with orders given as the env's actions, ``(batch, action_size)``: fractions of
        the gap per product, clipped to [0, 1], plus in free mode the share of the gap to order."""
        units, totals = self._fraction_units(actions)
        return self.advance(units, totals, units, totals)  # a fraction of the gap always fits it

    def step_units(self, units: np.ndarray) -> Day:
        """One day with orders in whole units per product, ``(batch, n_products)`` (manual play).

        Units beyond the gap are refused at the door: the order is cut in proportion (largest
        remainders) to fit exactly. ``ValueError`` for negative, fractional, non-finite or
        absurdly large (> ``MAX_ORDER_UNITS``) orders.
        """
        return self.advance(*self.orders_from_units(units))

    def orders_from_fractions(self, actions: np.ndarray) -> Orders:
        """The day's orders of env actions (see ``step_fractions``): placed and accepted, with totals."""
        units, totals = self._fraction_units(actions)
        return units, totals, units, totals

    def _fraction_units(self, actions: np.ndarray) -> tuple[np.ndarray, PerWarehouse]:
        """Env actions checked and turned into whole units per product, and their totals."""
        actions = np.asarray(actions, np.float64)
        if actions.shape != self._action_shape:
            raise ValueError(f"actions must have shape {self._action_shape}, got {actions.shape}")
        if not self._math.finite(actions):
            raise ValueError(f"actions must be finite, got {actions}")
        return order_units(actions, self.gap, self.config, self._math)

    def orders_from_units(self, units: np.ndarray) -> Orders:
        """The day's orders of whole units (see ``step_units``): placed, and accepted within the gap."""
        placed = np.asarray(units, np.float64)
        shape = (self.batch, self.config.n_products)
        if placed.shape != shape:
            raise ValueError(f"units must have shape {shape}, got {placed.shape}")
        if not np.isfinite(placed).all():
            raise ValueError(f"units must be finite numbers, got {placed}")
        if (placed < 0).any():
            raise ValueError(f"units cannot be negative, got {placed}")
        if (placed != np.round(placed)).any():
            raise ValueError(f"units must be whole numbers, got {placed}")
        if (placed > MAX_ORDER_UNITS).any():
            raise ValueError(f"units must be at most {MAX_ORDER_UNITS} per product, got {placed}")
        ordered = placed.astype(np.int64)
        n_ordered = ordered.sum(axis=1)
        gap = self.gap
        over = n_ordered > gap
        accepted = ordered.copy()
        if over.any():
            accepted[over] = BATCH_MATH.split(ordered[over].astype(np.float64), gap[over])
        return ordered, n_ordered, accepted, np.minimum(n_ordered, gap)

    def advance(self, ordered: np.ndarray, n_ordered: np.ndarray, accepted: np.ndarray, n_accepted: np.ndarray) -> Day:
        """Ship, deliver, serve the day's demand, count it, and move to the next day. A network
        (``networked``) has already shipped to this warehouse: it only receives, serves and counts."""
        if not self.started:
            raise RuntimeError("call reset() before step()")
        cfg, m = self.config, self._math
        day = self.day
        if day >= cfg.episode_days:
            raise RuntimeError("the episode is over: call reset() before step()")
        gaps = self.gap
        gap, n_ordered = m.read(gaps), m.read(n_ordered)
        transit_total = m.read(self.transit_total)
        disrupted = self.disrupted[:, day]
        networked = self.networked
        if networked:  # the network put today's shipments on the way and counted them in transit
            shipped = self.inbound
            received, n_received = self._arrivals()
            transit_total = transit_total - n_received
        elif self._supply_risk:
            shipped = self.supplier_ships(accepted, day)
            self.put_in_transit(shipped, day)
            received, n_received = self._arrivals()
            transit_total = transit_total + m.units(shipped) - n_received
        else:
            shipped, received, n_received = accepted, accepted, m.read(n_accepted)
        shelf = self.stock + received
        on_shelf = m.read(self.stock_total) + n_received
        demand = self.demand[:, cfg.history_days + day]
        total_demand = self._daily_total_demand[:, day]
        backordered = backorders = None
        if self._backorders:  # what is owed is served first, then the day's demand; the rest is owed
            owed = self.backlog + demand
            sales = np.minimum(shelf, owed)
            backordered = demand - np.minimum(np.maximum(shelf - self.backlog, 0), demand)
            self.backlog = backorders = owed - sales
            lost = np.zeros_like(demand)
            total_sales = m.units(sales)
            total_lost = m.units(backordered)
        else:
            sales = np.minimum(shelf, demand)
            lost = demand - sales
            total_sales = m.units(sales)
            total_lost = m.read(total_demand) - total_sales
        self.stock = shelf - sales
        stock_total = on_shelf - total_sales
        self.day = day + 1

        error = abs(n_ordered - gap)
        # Pearson correlation; the centred 7-day averages sum to zero, so the orders need
        # no centring in the numerator.
        spread = m.sqrt(m.maximum(0.0, m.dot(ordered, ordered) - n_ordered * n_ordered / cfg.n_products))
        spread = spread * m.read(self._avg7_norm[:, day])
        correlation = m.ratio(m.dot(ordered, self._avg7_centered[:, day]), spread, spread > 1e-9)
        cost_parts, revenue = self._money(ordered, accepted, shipped, sales, lost) if self._costly else ({}, None)
        components = self._reward_components(error, total_lost, on_shelf, correlation, cost_parts, revenue)
        reward = functools.reduce(operator.add, components.values())  # left to right, like the original's sum
        free = (cfg.capacity - stock_total) - transit_total
        if networked:  # what it ordered and its supplier has not shipped takes room too
            free = free - m.units(self.on_order)
        self.stock_total, self.gap, self.transit_total, on_shelf, total_lost, error = m.store(
            stock_total, free, transit_total, on_shelf, total_lost, error
        )
        correlation, reward, *points = m.store(correlation, reward, *components.values())
        return Day(
            day=self.day,
            demand=demand,
            sales=sales,
            lost_sales=lost,
            stock=self.stock,
            received=received,
            ordered=ordered,
            accepted=accepted,
            shipped=shipped,
            gap=gaps,
            on_shelf=on_shelf,
            total_demand=total_demand,
            total_lost=total_lost,
            error=error,
            correlation=correlation,
            disrupted=disrupted,
            in_transit=in_transit(self.pipeline, self._slots).copy() if self._slots else None,
            cost_parts=cost_parts,
            revenue=revenue,
            reward_components=dict(zip(components, points, strict=True)),
            reward=reward,
            backordered=backordered,
            backorders=backorders,
        )

    def supplier_ships(self, accepted: np.ndarray, day: int) -> np.ndarray:
        """What the outside supplier ships of ``accepted`` on ``day``: all of it, the drawn share of a
        partial shipment (floored), nothing on a disrupted day."""
        cfg = self.config
        shipped = accepted
        if cfg.partial_prob > 0:
            shipped = (accepted * self.delivered_share[:, day]).astype(np.int64)  # floor of the share
        if cfg.disruption_prob > 0:
            shipped = np.where(self.disrupted[:, day][:, None], 0, shipped)
        return shipped

    def put_in_transit(self, shipped: np.ndarray, day: int, lead_time: int | None = None) -> None:
        """Put units shipped today in the pipeline: each order its own drawn lead time where lead
        times are random, else ``lead_time`` days (default: the supply lane's); slot k arrives in k days."""
        cfg = self.config
        if lead_time is None and cfg.lead_time_max > cfg.lead_time:
            batch_index, product = np.nonzero(shipped)
            np.add.at(
                self.pipeline,
                (batch_index, self.lead_times[batch_index, day, product] - 1, product),
                shipped[batch_index, product],
            )
        else:
            self.pipeline[:, (lead_time or cfg.lead_time) - 1] += shipped

    def _arrivals(self) -> tuple[np.ndarray, PerWarehouse]:
        """Take today's arrivals out of the pipeline (moving it a day on): the units and their total."""
        received = self.pipeline[:, 0].copy()
        self.pipeline[:, :-1] = self.pipeline[:, 1:]
        self.pipeline[:, -1] = 0
        return received, self._math.units(received)

    def _money(
        self, ordered: np.ndarray, accepted: np.ndarray, shipped: np.ndarray, sales: np.ndarray, lost: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Each cost part and the revenue, per warehouse and product."""
        cfg = self.config
        held = self.stock if self.night_stock is None else self.night_stock
        parts = {
            "holding": cfg.holding_cost * held,
            "lost_sale": cfg.lost_sale_cost * lost,
            "ordering": cfg.order_cost * (accepted > 0),
            "purchase": cfg.unit_cost * shipped,
        }
        if self._backorders:
            parts["backorder"] = cfg.backorder_cost * self.backlog
        return parts, cfg.price * sales

    def _reward_components(
        self,
        error: PerWarehouse,
        total_lost: PerWarehouse,
        on_shelf: PerWarehouse,
        correlation: PerWarehouse,
        cost_parts: dict[str, np.ndarray],
        revenue: np.ndarray | None,
    ) -> dict[str, PerWarehouse]:
        """The reward's parts per warehouse, by ``reward_mode``: the original five, or minus each
        cost part (``cost``), or the revenue and minus each cost part (``profit``)."""
        cfg, m = self.config, self._math
        if cfg.reward_mode != "original":
            parts = {name: -m.total(values) for name, values in cost_parts.items()}
            return {"revenue": m.total(revenue), **parts} if cfg.reward_mode == "profit" else parts
        near = m.where(
            error < cfg.accuracy_near_units,
            cfg.accuracy_near,
            cfg.accuracy_near - cfg.accuracy_slope * (error - cfg.accuracy_near_units),
        )
        return {
            "order_accuracy": m.where(error < cfg.accuracy_close_units, cfg.accuracy_close, near),
            "perfect_fulfillment": m.where(total_lost == 0, cfg.perfect_fulfillment, 0.0),
            "stock_bonus": m.where(on_shelf >= cfg.stock_bonus_low * cfg.capacity, cfg.stock_bonus, 0.0),
            "allocation": cfg.allocation_bonus * m.maximum(0.0, correlation),
            "stockout_penalty": -cfg.stockout_penalty * total_lost,
        }


def _delivered_share(config: InventoryConfig, rng: np.random.Generator) -> np.ndarray:
    """The share of each (day, product) shipment that arrives: 1 unless the shipment is partial."""
    shape = (config.episode_days, config.n_products)
    partial = rng.random(shape) < config.partial_prob
    return np.where(partial, rng.uniform(config.partial_min, 1.0, shape), 1.0)


def cost_part_names(config: InventoryConfig) -> tuple[str, ...]:
    """The names of ``config``'s cost parts (``backorder`` only where demand can be owed)."""
    return (*COST_PARTS, "backorder") if config.unmet_demand == "backorder" else COST_PARTS


def reward_component_names(config: InventoryConfig) -> tuple[str, ...]:
    """The names of ``config``'s reward parts, in the order they are summed."""
    if config.reward_mode == "original":
        return REWARD_COMPONENTS
    parts = cost_part_names(config)
    return ("revenue", *parts) if config.reward_mode == "profit" else parts
