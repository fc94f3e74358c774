"""The warehouse as a Gymnasium environment: ``InventoryEnv``, registered as
``InventoryManagement-v0`` (``inventory_rl.envs``), and ``order_action``, the one encoding of an
order into the action layout (``world.observation`` owns the observation's).

The rules follow the original author's description of the project (its README); where it
was vague, the choice made is written in ``InventoryEnv``'s docstring. Scenarios
(``world/config.py``, ``scenarios/*.toml``) change the warehouse; the default is the original.
The simulation itself, for one warehouse or a batch, is ``world.warehouses.Warehouses``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from inventory_rl.evaluation.metrics import fill_rate
from inventory_rl.world.config import InventoryConfig, load_scenario
from inventory_rl.world.observation import IN_TRANSIT, STOCK
from inventory_rl.world.warehouses import Day, Warehouses


def order_action(units: np.ndarray, gap: np.ndarray, config: InventoryConfig) -> np.ndarray:
    """The env action that orders ``units`` per product, ``(..., n_products)``: the one encoding of
    an order into the action layout. In fill mode the order is the gap, split in proportion to
    ``units`` (exactly ``units`` when they sum to the gap); in free mode the last component is the
    share of the gap to order (an order above the gap is cut in proportion by the env)."""
    units = np.asarray(units)
    top = units.max(axis=-1, keepdims=True)
    fractions = np.divide(units, top, out=np.zeros(units.shape), where=top > 0)
    if config.order_mode == "fill":
        return fractions
    total = units.sum(axis=-1)
    share = np.minimum(np.divide(total, gap, out=np.zeros(total.shape), where=np.asarray(gap) > 0), 1.0)
    return np.concatenate([fractions, share[..., None]], axis=-1)


class InventoryEnv(gym.Env):
    """Products share one warehouse; each day the agent splits the order that refills it
    across the products. By default ten products share 100 units (the original project).

    ## Dynamics (one ``step`` is one day)
    At ``reset`` the whole episode is drawn from the env's generator (``self.np_random``):
    every product gets a hidden demand rate ``lambda_i ~ U[rate_low, rate_high]``, and the
    demand of ``history_days`` days before day 1 (so yesterday's demand and the 7-day average
    are known from the first step) and of the ``episode_days`` days of the episode is drawn,
    each ``min(Poisson(lambda_i), max_demand)``; scenarios add weekly patterns, trends, shocks,
    overdispersion or demand read from a file (``demand.py``), and random lead times,
    disruptions and partial shipments. Demand depends only on the seed, never on the actions,
    so two policies reset with the same seed face the same days. The warehouse starts with
    ``initial_stock`` units of each product (0: empty). Each day:

    1. the order fills the gap ``capacity - stock - units in transit`` (whole units; in
       ``free`` order mode, the share of the gap the action asks for);
    2. it arrives after its lead time: with ``lead_time = 1`` overnight, so it is on the
       shelves before the demand of the same step (``sim.py`` has the full sequence);
    3. ``sales = min(stock, demand)``; unmet demand is lost (no backlog).

    ## Action space: ``Box(0, 1, (n_products,), float32)``; ``(n_products + 1,)`` in free mode
    Fractions of the gap (the seed's "fractional allocation"). Orders are
    ``action / action.sum() * gap``, rounded by largest remainders so they always sum
    exactly to the gap. Values outside [0, 1] are clipped; an all-zero action splits the
    gap evenly; NaN, inf or a wrong shape raise ``ValueError``. In ``free`` order mode the last
    component is the share of the gap to order (rounded to whole units) and the others split
    it. Manual play orders whole units through ``step_units``; units beyond the gap are
    refused at the door.

    ## Observation space: ``Box(0, hi, (n_products * n_features,), float32)``
    Six features per product, product-major (``obs.reshape(n_products, -1)`` gives one row
    per product), as known when ordering (before the delivery); ``Observation.decode`` turns
    them back into units. Where orders can be in transit for more than a night
    (``max_lead_time > 1``), each row gains ``max_lead_time - 1`` columns.

    | col | feature           | unit                                   | bounds          |
    |-----|-------------------|----------------------------------------|-----------------|
    | 0   | stock             | units / max_demand                     | [0, cap/max_d]  |
    | 1   | yesterday_demand  | units / max_demand                     | [0, 1]          |
    | 2   | avg7_demand       | 7-day mean units / max_demand          | [0, 1]          |
    | 3   | demand_ratio      | share of the total 7-day demand        | [0, 1]          |
    | 4   | total_stock       | warehouse total / capacity (repeated)  | [0, 1]          |
    | 5   | free_space        | the gap / capacity (repeated)          | [0, 1]          |
    | 6+k | in transit        | units arriving in k days / max_demand  | [0, cap/max_d]  |

    Per-product quantities are scaled by the largest daily demand so a product's stock
    reads as "days of maximal demand"; warehouse totals by the capacity. The demand ratio
    is ``1 / n_products`` when no demand was seen in the last 7 days. Units arriving in
    0 days arrive before today's demand.

    ## Rewards (``reward_mode``)
    ``info["reward_components"]`` holds the parts; their sum is the reward. ``original`` (the
    default, the seed's point values):

    | component            | points                                                        |
    |----------------------|---------------------------------------------------------------|
    | order_accuracy       | err = abs(units ordered - gap): +2000 if err < 10, +1000 if   |
    |                      | err < 20, else 1000 - 100 * (err - 20)                        |
    | perfect_fulfillment  | +1000 if no demand was lost that day                          |
    | stock_bonus          | +500 if stock after delivery is 80-100% of capacity           |
    | allocation           | +500 * max(0, Pearson corr(units ordered, 7-day avg demand)), |
    |                      | 0 when either is constant                                     |
    | stockout_penalty     | -100 per unit of lost demand                                  |

    With ``step`` in fill mode the order always equals the gap, so order_accuracy is +2000
    every day; it only varies in manual play or free mode, where the order may differ from
    the gap (the accuracy judges the order placed, not what fitted).

    ``cost``: minus each cost part of the day; ``profit``: the revenue and minus each cost
    part. Cost parts, per product and day: ``holding`` = holding_cost x stock at the end of the
    day, ``lost_sale`` = lost_sale_cost x units of unmet demand, ``ordering`` = order_cost for
    each product with an order placed that day, ``purchase`` = unit_cost x units shipped.
    ``revenue`` = price x units sold; ``profit`` = revenue - cost.

    ## Episode end
    ``truncated=True`` after ``episode_days`` steps (the business goes on; the horizon
    is artificial); ``terminated`` is always False.

    ## info (every step)
    ``day`` (1-based), per-product arrays ``demand``, ``sales``, ``lost_sales``, ``stock``
    (end of day), ``orders`` (units delivered onto the shelf), ``ordered`` (units placed),
    ``refused`` (placed but beyond the gap), and ``gap``, ``fill_rate`` (sales / demand, 1.0
    without demand), ``stockouts`` (products whose demand was not fully met), ``utilization``
    (stock after delivery / capacity), ``order_accuracy`` (1 - err / max(gap, 1), clipped to
    [0, 1]), ``allocation_quality`` (the correlation above), ``demand_rates`` (the hidden mean
    demand of the next day: for evaluation only; None where demand comes from a file) and
    ``reward_components``. Scenarios add, only where they use the mechanism:

    | when                                   | keys                                               |
    |----------------------------------------|----------------------------------------------------|
    | lead times > 1, disruptions, partials  | ``shipped``, ``received``, ``disrupted`` (bool),     |
    |                                        | ``in_transit`` (products x arrival day, tomorrow 1st)|
    | costs, prices or a cost/profit reward  | ``cost_parts`` (part -> per product), ``cost``,     |
    |                                        | ``revenue``, ``profit`` (per product)               |
    | weekly pattern or file demand          | ``weekday`` of the next day (0 = Monday); ``date``    |
    |                                        | (ISO) for file demand                               |
    | rates vary or lead time > 1 (not file) | ``rates_ahead``: true means of the next             |
    |                                        | ``max_lead_time`` days                              |

    ``reset``'s info holds ``day=0``, ``stock`` and ``demand_rates`` (and the scenario's
    ``in_transit``, ``weekday``, ``date`` and ``rates_ahead``).

    ## Arguments
    ``InventoryEnv(config=None, render_mode=None, scenario=None, overrides=())``: a config, or
    a scenario name or TOML path with ``key=value`` overrides (``config.load_scenario``), as in
    ``gymnasium.make("InventoryManagement-v0", scenario="seasonal")``.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}

    def __init__(
        self,
        config: InventoryConfig | None = None,
        render_mode: str | None = None,
        scenario: str | None = None,
        overrides: Sequence[str] = (),
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        if scenario is not None or overrides:
            if config is not None:
                raise ValueError("give a config or a scenario, not both")
            config = load_scenario(scenario or "default", overrides).config
        self.config = cfg = config or InventoryConfig()
        self.render_mode = render_mode
        n = cfg.n_products
        self.action_space = spaces.Box(0.0, 1.0, (cfg.action_size,), np.float32)
        self.sim = Warehouses(cfg, 1)
        high = np.ones((n, self.sim.n_features), np.float32)
        high[:, STOCK] = high[:, IN_TRANSIT:] = cfg.capacity / cfg.max_demand
        self.observation_space = spaces.Box(np.zeros(high.size, np.float32), high.ravel(), dtype=np.float32)
        self._last: dict | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.sim.reset([self.np_random])
        self._last = None
        return self.sim.observe()[0], reset_info(self.sim, 0)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Advance one day with an order given as fractions of the gap."""
        action = np.asarray(action, dtype=np.float64)
        if action.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape}, got {action.shape}")
        return self._finish(self.sim.step_fractions(action[None]))

    def step_units(self, units: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Advance one day with an order in whole units per product (manual play).

        Orders above ``MAX_ORDER_UNITS`` per product are refused as input errors. Units
        beyond the gap are refused at the door: deliveries are cut in proportion (largest
        remainders) to fit exactly, and ``info["refused"]`` says how many of each product
        were turned away.
        """
        placed = np.asarray(units, dtype=np.float64)
        if placed.shape != (self.config.n_products,):
            raise ValueError(f"units must have shape {(self.config.n_products,)}, got {placed.shape}")
        return self._finish(self.sim.step_units(placed[None]))

    def _finish(self, day: Day) -> tuple[np.ndarray, float, bool, bool, dict]:
        info = self._last = day_info(self.sim, day, 0)
        if self.render_mode == "human":
            self.render()
        return self.sim.observe()[0], float(day.reward[0]), False, day.day >= self.config.episode_days, info

    # ------------------------------------------------------------------ display
    def render(self) -> str | None:
        """A text table of the last day: ``"ansi"`` returns it, ``"human"`` prints it."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' or 'human'")
            return None
        if self._last is None:
            text = f"day 0: {int(self.sim.stock_total[0])} units in the warehouse, capacity {self.config.capacity}"
            if self.config.initial_stock == 0:
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


def day_info(sim: Warehouses, day: Day, index: int) -> dict:
    """The ``info`` of warehouse ``index`` for a day of ``sim`` (see ``InventoryEnv``)."""
    cfg = sim.config
    gap = int(day.gap[index])
    ordered, lost_sales = day.ordered[index], day.lost_sales[index]
    info = {
        "day": day.day,
        "demand": day.demand[index],
        "sales": day.sales[index],
        "lost_sales": lost_sales,
        "stock": day.stock[index],
        "orders": day.received[index],
        "ordered": ordered,
        "refused": ordered - day.accepted[index],
        "gap": gap,
        "fill_rate": fill_rate(int(day.total_demand[index]), lost=int(day.total_lost[index])),
        "stockouts": int(np.count_nonzero(lost_sales)),
        "utilization": int(day.on_shelf[index]) / cfg.capacity,
        "order_accuracy": max(0.0, 1.0 - int(day.error[index]) / max(gap, 1)),
        "allocation_quality": float(day.correlation[index]),
    }
    _add_known_rates(info, sim, index)
    info["reward_components"] = {name: points.item(index) for name, points in day.reward_components.items()}
    if cfg.has_supply_risk:
        info["shipped"] = day.shipped[index]
        info["received"] = day.received[index]
        info["disrupted"] = bool(day.disrupted[index])
        info["in_transit"] = _in_transit(sim, day.in_transit, index)
    if cfg.has_costs:
        parts = {name: values[index] for name, values in day.cost_parts.items()}
        cost = sum(parts.values())
        info.update(cost_parts=parts, cost=cost, revenue=day.revenue[index], profit=day.revenue[index] - cost)
    _add_calendar(info, sim, index)
    return info


def reset_info(sim: Warehouses, index: int) -> dict:
    """The ``info`` of ``reset`` for warehouse ``index``."""
    info = {"day": 0, "stock": sim.stock[index].copy()}
    _add_known_rates(info, sim, index)
    if sim.config.has_supply_risk:
        info["in_transit"] = _in_transit(sim, None, index)
    _add_calendar(info, sim, index)
    return info


def _add_known_rates(info: dict, sim: Warehouses, index: int) -> None:
    """Add ``demand_rates`` (the next day's true means, None for file demand) and, where the rates
    vary or orders take longer than a night, ``rates_ahead``."""
    cfg = sim.config
    if not cfg.rates_known:
        info["demand_rates"] = None
    elif not cfg.has_varying_rates and cfg.max_lead_time == 1:
        info["demand_rates"] = sim.base_rates[index].copy()
    else:
        ahead = sim.rates_ahead(cfg.max_lead_time)[index]
        info["demand_rates"] = ahead[0].copy()
        info["rates_ahead"] = ahead


def _in_transit(sim: Warehouses, in_transit: np.ndarray | None, index: int) -> np.ndarray:
    if in_transit is None:
        return np.zeros((sim.config.n_products, sim.config.transit_slots), np.int64)
    return in_transit[index]


def _add_calendar(info: dict, sim: Warehouses, index: int) -> None:
    """Add the next day's ``weekday`` (and ``date`` for file demand) where the calendar matters."""
    if not sim.config.has_calendar:
        return
    info["weekday"] = int(sim.weekday()[index])
    first = sim.first_date[index]
    if first is not None:
        info["date"] = (first + dt.timedelta(days=sim.config.history_days + sim.day)).isoformat()
