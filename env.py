"""The warehouse simulator: ``InventoryConfig`` (every number of the scenario),
``InventoryEnv`` (the Gymnasium environment, registered as ``InventoryManagement-v0``) and
``Observation`` (the one decoding of an observation into units).

The rules follow the original author's description of the project (its README); where it
was vague, the choice made is written in ``InventoryEnv``'s docstring.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ENV_ID = "InventoryManagement-v0"
N_FEATURES = 6
MAX_ORDER_UNITS = 1_000_000  # keeps the int64 order arithmetic (ordered @ ordered) exact
FEATURE_NAMES = (
    "stock",
    "yesterday_demand",
    "avg7_demand",
    "demand_ratio",
    "total_stock",
    "free_space",
)
REWARD_COMPONENTS = (
    "order_accuracy",
    "perfect_fulfillment",
    "stock_bonus",
    "allocation",
    "stockout_penalty",
)


@dataclass(frozen=True)
class InventoryConfig:
    """Every number of the scenario. The defaults are the original project's."""

    n_products: int = 10
    capacity: int = 100
    max_demand: int = 20
    rate_low: float = 2.0
    rate_high: float = 18.0
    history_days: int = 7
    episode_days: int = 30
    # Reward points (the seed's values).
    accuracy_close: float = 2000.0  # |ordered - gap| < accuracy_close_units
    accuracy_close_units: int = 10
    accuracy_near: float = 1000.0  # |ordered - gap| < accuracy_near_units
    accuracy_near_units: int = 20
    accuracy_slope: float = 100.0  # points lost per unit of error beyond accuracy_near_units
    perfect_fulfillment: float = 1000.0
    stock_bonus: float = 500.0
    stock_bonus_low: float = 0.8  # fraction of capacity, inclusive, after delivery
    allocation_bonus: float = 500.0
    stockout_penalty: float = 100.0  # per unit of lost demand

    def __post_init__(self) -> None:
        if self.n_products < 1 or self.capacity < 1 or self.max_demand < 1:
            raise ValueError("n_products, capacity and max_demand must be positive")
        if not 0 <= self.rate_low <= self.rate_high:
            raise ValueError("need 0 <= rate_low <= rate_high")
        if self.history_days < 1 or self.episode_days < 1:
            raise ValueError("history_days and episode_days must be positive")

    def to_dict(self) -> dict:
        """Plain-JSON form, for ``run_config.json``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> InventoryConfig:
        """Inverse of ``to_dict``; unknown keys are an error, missing keys take defaults."""
        return cls(**values)


class Observation(NamedTuple):
    """An observation decoded into units: the one owner of the observation layout.

    Per-product fields have shape ``(..., n_products)``, warehouse totals ``(...)``, for an
    observation of shape ``(..., n_products * N_FEATURES)`` (one env or a batch of them).
    """

    stock: np.ndarray  # whole units on the shelf, when ordering
    yesterday_demand: np.ndarray  # whole units
    avg7_demand: np.ndarray  # mean units per day over the last history_days days
    demand_share: np.ndarray  # the product's share of the 7-day demand
    total_stock: np.ndarray  # whole units in the warehouse
    free_space: np.ndarray  # capacity - total_stock

    @classmethod
    def decode(cls, obs: np.ndarray, config: InventoryConfig) -> Observation:
        """Undo the observation's scaling (see the table in ``InventoryEnv``); counts come back
        as exact integers, since the float32 scaling of whole units is undone by rounding."""
        rows = np.asarray(obs).reshape(*np.shape(obs)[:-1], config.n_products, N_FEATURES)
        per_product = np.moveaxis(rows, -1, 0)
        totals = per_product[4:, ..., 0]  # warehouse totals are repeated in every row
        return cls(
            stock=np.rint(per_product[0] * config.max_demand).astype(np.int64),
            yesterday_demand=np.rint(per_product[1] * config.max_demand).astype(np.int64),
            avg7_demand=per_product[2].astype(np.float64) * config.max_demand,
            demand_share=per_product[3].astype(np.float64),
            total_stock=np.rint(totals[0] * config.capacity).astype(np.int64),
            free_space=np.rint(totals[1] * config.capacity).astype(np.int64),
        )

    def encode(self, config: InventoryConfig) -> np.ndarray:
        """The float32 observation of these values (the inverse of ``decode``)."""
        per_product = np.broadcast_arrays(
            self.stock / config.max_demand,
            self.yesterday_demand / config.max_demand,
            self.avg7_demand / config.max_demand,
            self.demand_share,
            *(np.expand_dims(total, -1) / config.capacity for total in (self.total_stock, self.free_space)),
        )
        rows = np.stack(per_product, axis=-1).astype(np.float32)
        return rows.reshape(*rows.shape[:-2], -1)


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` whole units in proportion to non-negative ``weights``.

    Each share is floored, then the units still missing go to the largest remainders
    (ties to the lower index), so the result always sums exactly to ``total``. All-zero
    weights split evenly.
    """
    # Sums go through Python lists: for ten numbers that is several times faster than
    # ndarray.sum(), and this runs on every step.
    weight_sum = sum(weights.tolist())
    if weight_sum > 0:
        scale = total / weight_sum  # inf when a float64 weight sum is below ~1e-306
        raw = weights * scale if scale != math.inf else weights / weight_sum * total
    else:
        raw = np.full(weights.shape, total / weights.size)
    units = raw.astype(np.int64)  # floor, since raw >= 0
    missing = total - sum(units.tolist())
    if missing > 0:
        units[(units - raw).argsort(kind="stable")[:missing]] += 1
    return units


class InventoryEnv(gym.Env):
    """Ten products share one 100-unit warehouse; each day the agent splits the order
    that refills the warehouse across the products.

    ## Dynamics (one ``step`` is one day)
    At ``reset`` every product gets a hidden demand rate ``lambda_i ~ U[rate_low, rate_high]``
    and the whole demand sequence is drawn: ``history_days`` days before day 1 (so
    yesterday's demand and the 7-day average are known from the first step) and
    ``episode_days`` days of the episode, each ``min(Poisson(lambda_i), max_demand)``.
    Demand depends only on the seed, never on the actions, so two policies reset with the
    same seed face the same days. The warehouse starts empty. Each day:

    1. the order fills the gap ``capacity - total stock`` (whole units);
    2. it arrives overnight (lead time one day) and is on the shelves before demand;
    3. ``sales = min(stock, demand)``; unmet demand is lost (no backlog).

    ## Action space: ``Box(0, 1, (n_products,), float32)``
    Fractions of the gap (the seed's "fractional allocation"). Orders are
    ``action / action.sum() * gap``, rounded by largest remainders so they always sum
    exactly to the gap. Values outside [0, 1] are clipped; an all-zero action splits the
    gap evenly; NaN, inf or a wrong shape raise ``ValueError``. Manual play orders whole
    units through ``step_units``; units beyond the free space are refused at the door.

    ## Observation space: ``Box(0, hi, (n_products * 6,), float32)``
    Six features per product, product-major (``obs.reshape(n_products, 6)`` gives one row
    per product), as known when ordering (before the delivery):

    | col | feature           | unit                                  | bounds          |
    |-----|-------------------|---------------------------------------|-----------------|
    | 0   | stock             | units / max_demand                    | [0, cap/max_d]  |
    | 1   | yesterday_demand  | units / max_demand                    | [0, 1]          |
    | 2   | avg7_demand       | 7-day mean units / max_demand         | [0, 1]          |
    | 3   | demand_ratio      | share of the total 7-day demand       | [0, 1]          |
    | 4   | total_stock       | warehouse total / capacity (repeated) | [0, 1]          |
    | 5   | free_space        | (capacity - total) / capacity (rep.)  | [0, 1]          |

    Per-product quantities are scaled by the largest daily demand so a product's stock
    reads as "days of maximal demand"; warehouse totals by the capacity. The demand ratio
    is ``1 / n_products`` when no demand was seen in the last 7 days.

    ## Rewards (the seed's point values)
    ``info["reward_components"]`` holds the five parts; their sum is the reward.

    | component            | points                                                        |
    |----------------------|---------------------------------------------------------------|
    | order_accuracy       | err = abs(units ordered - gap): +2000 if err < 10, +1000 if   |
    |                      | err < 20, else 1000 - 100 * (err - 20)                        |
    | perfect_fulfillment  | +1000 if no demand was lost that day                          |
    | stock_bonus          | +500 if stock after delivery is 80-100% of capacity           |
    | allocation           | +500 * max(0, Pearson corr(units ordered, 7-day avg demand)), |
    |                      | 0 when either is constant                                     |
    | stockout_penalty     | -100 per unit of lost demand                                  |

    With ``step`` the order always equals the gap, so order_accuracy is +2000 and the
    stock bonus +500 every day; they only vary in manual play, where a person may order
    too little or too much (the accuracy judges the order placed, not what fitted).

    ## Episode end
    ``truncated=True`` after ``episode_days`` steps (the business goes on; the horizon
    is artificial); ``terminated`` is always False.

    ## info (every step)
    ``day`` (1-based), per-product arrays ``demand``, ``sales``, ``lost_sales``, ``stock``
    (end of day), ``orders`` (units delivered), ``ordered`` (units placed), ``refused``
    (placed but not delivered), and ``gap``, ``fill_rate`` (sales / demand, 1.0 without
    demand), ``stockouts`` (products whose demand was not fully met), ``utilization`` (stock
    after delivery / capacity), ``order_accuracy`` (1 - err / max(gap, 1), clipped to
    [0, 1]), ``allocation_quality`` (the correlation above), ``demand_rates`` (the hidden
    rates: for evaluation only) and ``reward_components``. ``reset``'s info holds
    ``day=0``, ``stock`` and ``demand_rates``.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}

    def __init__(self, config: InventoryConfig | None = None, render_mode: str | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.config = config or InventoryConfig()
        self.render_mode = render_mode
        cfg = self.config
        n = cfg.n_products
        self.action_space = spaces.Box(0.0, 1.0, (n,), np.float32)
        high = np.ones((n, N_FEATURES), np.float32)
        high[:, 0] = cfg.capacity / cfg.max_demand
        self.observation_space = spaces.Box(np.zeros(n * N_FEATURES, np.float32), high.ravel(), dtype=np.float32)
        self._demand: np.ndarray | None = None
        self._day = 0
        self._stock = np.zeros(n, np.int64)
        self._total = 0  # int(self._stock.sum()), kept as a Python int for speed
        self._last: dict | None = None

    # ------------------------------------------------------------------ episode set-up
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        cfg = self.config
        n, h, days = cfg.n_products, cfg.history_days, cfg.episode_days
        self._rates = self.np_random.uniform(cfg.rate_low, cfg.rate_high, n)
        self._demand = np.minimum(self.np_random.poisson(self._rates, (h + days, n)), cfg.max_demand)
        # Everything about demand that the agent sees is precomputed for the days+1
        # observations, so a step only writes the stock columns.
        running = np.zeros((h + days + 1, n))
        np.cumsum(self._demand, axis=0, out=running[1:])
        avg7 = (running[h:] - running[:-h]) * (1.0 / h)  # row t: mean of the h days before day t+1
        totals = avg7.sum(axis=1, keepdims=True)
        ratio = np.divide(avg7, totals, out=np.full_like(avg7, 1.0 / n), where=totals > 0)
        self._obs = np.empty((days + 1, n, N_FEATURES), np.float32)
        self._obs[:, :, 1] = self._demand[h - 1 :] * (1.0 / cfg.max_demand)
        self._obs[:, :, 2] = avg7 * (1.0 / cfg.max_demand)
        self._obs[:, :, 3] = ratio
        self._avg7_centered = avg7 - totals * (1.0 / n)
        self._avg7_norm = np.sqrt(np.einsum("ij,ij->i", self._avg7_centered, self._avg7_centered)).tolist()
        self._daily_total_demand = self._demand[h:].sum(axis=1).tolist()
        self._day = 0
        self._stock = np.zeros(n, np.int64)
        self._total = 0
        self._last = None
        return self._observe(), {"day": 0, "stock": self._stock.copy(), "demand_rates": self._rates.copy()}

    # ------------------------------------------------------------------ the day
    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Advance one day with an order given as fractions of the gap."""
        fractions = np.asarray(action, dtype=np.float64)
        if fractions.shape != self._stock.shape:
            raise ValueError(f"action must have shape {self._stock.shape}, got {fractions.shape}")
        # one sum catches any NaN or inf; only when it is not finite (also for huge finite
        # values whose sum overflows) does the exact element-wise check run
        if not math.isfinite(sum(fractions.tolist())) and not np.isfinite(fractions).all():
            raise ValueError(f"action must be finite, got {fractions}")
        weights = np.minimum(np.maximum(fractions, 0.0), 1.0)
        gap = self.config.capacity - self._total
        orders = largest_remainder(weights, gap)
        return self._advance(orders, gap, orders, gap)

    def step_units(self, units: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Advance one day with an order in whole units per product (manual play).

        Orders above ``MAX_ORDER_UNITS`` per product are refused as input errors. Units
        beyond the free space are refused at the door: deliveries are cut in
        proportion (largest remainders) to fit exactly, and ``info["refused"]`` says how
        many of each product were turned away.
        """
        placed = np.asarray(units, dtype=np.float64)
        if placed.shape != self._stock.shape:
            raise ValueError(f"units must have shape {self._stock.shape}, got {placed.shape}")
        if not np.isfinite(placed).all():
            raise ValueError(f"units must be finite numbers, got {placed}")
        if (placed < 0).any():
            raise ValueError(f"units cannot be negative, got {placed}")
        if (placed != np.round(placed)).any():
            raise ValueError(f"units must be whole numbers, got {placed}")
        if (placed > MAX_ORDER_UNITS).any():
            raise ValueError(f"units must be at most {MAX_ORDER_UNITS} per product, got {placed}")
        ordered = placed.astype(np.int64)
        n_ordered = sum(ordered.tolist())
        gap = self.config.capacity - self._total
        if n_ordered <= gap:
            return self._advance(ordered, n_ordered, ordered, n_ordered)
        return self._advance(ordered, n_ordered, largest_remainder(ordered, gap), gap)

    def _advance(
        self, ordered: np.ndarray, n_ordered: int, delivered: np.ndarray, n_delivered: int
    ) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Deliver, serve the day's demand, score it, and move to the next day.

        The totals are passed in because each caller already knows them.
        """
        if self._demand is None:
            raise RuntimeError("call reset() before step()")
        if self._day >= self.config.episode_days:
            raise RuntimeError("the episode is over: call reset() before step()")
        cfg = self.config
        day = self._day
        gap = cfg.capacity - self._total
        shelf = self._stock + delivered
        on_shelf = self._total + n_delivered
        demand = self._demand[cfg.history_days + day]
        sales = np.minimum(shelf, demand)
        lost = demand - sales
        total_sales = sum(sales.tolist())
        total_demand = self._daily_total_demand[day]
        total_lost = total_demand - total_sales
        self._stock = shelf - sales
        self._total = on_shelf - total_sales
        self._day = day + 1

        error = abs(n_ordered - gap)
        if error < cfg.accuracy_close_units:
            accuracy_points = cfg.accuracy_close
        elif error < cfg.accuracy_near_units:
            accuracy_points = cfg.accuracy_near
        else:
            accuracy_points = cfg.accuracy_near - cfg.accuracy_slope * (error - cfg.accuracy_near_units)
        # Pearson correlation; the centred 7-day averages sum to zero, so the orders
        # need no centring in the numerator.
        spread = math.sqrt(max(0.0, int(ordered @ ordered) - n_ordered * n_ordered / cfg.n_products))
        spread *= self._avg7_norm[day]
        correlation = float(ordered @ self._avg7_centered[day]) / spread if spread > 1e-9 else 0.0
        components = {
            "order_accuracy": accuracy_points,
            "perfect_fulfillment": cfg.perfect_fulfillment if total_lost == 0 else 0.0,
            "stock_bonus": cfg.stock_bonus if on_shelf >= cfg.stock_bonus_low * cfg.capacity else 0.0,
            "allocation": cfg.allocation_bonus * max(0.0, correlation),
            "stockout_penalty": -cfg.stockout_penalty * total_lost,
        }
        reward = float(sum(components.values()))
        info = {
            "day": self._day,
            "demand": demand,
            "sales": sales,
            "lost_sales": lost,
            "stock": self._stock,  # a new array every day, never changed in place
            "orders": delivered,
            "ordered": ordered,
            "refused": ordered - delivered,
            "gap": gap,
            "fill_rate": 1.0 - total_lost / total_demand if total_demand else 1.0,
            "stockouts": int(np.count_nonzero(lost)),
            "utilization": on_shelf / cfg.capacity,
            "order_accuracy": max(0.0, 1.0 - error / max(gap, 1)),
            "allocation_quality": correlation,
            "demand_rates": self._rates.copy(),
            "reward_components": components,
        }
        self._last = info
        if self.render_mode == "human":
            self.render()
        return self._observe(), reward, False, self._day >= cfg.episode_days, info

    def _observe(self) -> np.ndarray:
        """The observation for the current day, written into the precomputed demand rows."""
        cfg = self.config
        row = self._obs[self._day]
        total = self._total
        row[:, 0] = self._stock / cfg.max_demand
        row[:, 4:] = (total / cfg.capacity, (cfg.capacity - total) / cfg.capacity)
        return row.reshape(-1).copy()

    # ------------------------------------------------------------------ display
    def render(self) -> str | None:
        """A text table of the last day: ``"ansi"`` returns it, ``"human"`` prints it."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' or 'human'")
            return None
        if self._last is None:
            text = f"day 0: empty warehouse, capacity {self.config.capacity}"
        else:
            info = self._last
            lines = [
                f"day {info['day']}/{self.config.episode_days}  fill rate {info['fill_rate']:.0%}  "
                f"stockouts {info['stockouts']}  utilization {info['utilization']:.0%}",
                f"{'product':>7} {'ordered':>7} {'arrived':>7} {'demand':>6} {'sold':>4} {'lost':>4} {'stock':>5}",
            ]
            for i in range(self.config.n_products):
                lines.append(
                    f"{i:>7} {info['ordered'][i]:>7} {info['orders'][i]:>7} {info['demand'][i]:>6} "
                    f"{info['sales'][i]:>4} {info['lost_sales'][i]:>4} {info['stock'][i]:>5}"
                )
            text = "\n".join(lines)
        if self.render_mode == "ansi":
            return text
        print(text)
        return None


if ENV_ID not in gym.registry:
    # The env raises on a step before reset itself, so Gymnasium's OrderEnforcing
    # wrapper would only add a layer of call overhead to every step.
    gym.register(id=ENV_ID, entry_point="env:InventoryEnv", order_enforce=False)
