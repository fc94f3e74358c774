"""What one day of a played episode shows, without Streamlit: the shelf, the supply (ordered,
shipped, received, in transit; disrupted days), the money and the reward's parts, per product
or per policy. The Replay and Manual pages draw these frames.

Episodes are ``metrics.EpisodeResult``; days are numbered from 1, as the pages show them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from inventory_rl.app.history import component_label, per_product_frame
from inventory_rl.app.scenario import sells
from inventory_rl.evaluation.metrics import METRIC_DISPLAY, EpisodeResult, in_words
from inventory_rl.world.config import InventoryConfig

COST_LABELS = {"holding": "holding", "lost_sale": "lost sales", "ordering": "ordering", "purchase": "purchase"}
LOST_SALES = "lost sales (units)"


def _formatter(spec: str) -> Callable[[float], str]:
    """A function that writes a value with the format ``spec``."""
    return lambda value: format(value, spec)


FIGURE_FORMATS: dict[str, Callable[[float], str]] = {  # a headline figure (a metric in words) -> how tables write it
    **{shown.name: _formatter(shown.headline) for shown in METRIC_DISPLAY.values()},
    LOST_SALES: _formatter(".0f"),
}


def day_frame(result: EpisodeResult, day: int) -> pd.DataFrame:
    """Per-product units of one day (1-based) in ``charts.DAY_MEASURES``: stock carried over from
    the day before, delivered, lost sales, demand (columns product, measure, units)."""
    index = day - 1
    delivered = result.orders[index]
    measures = {
        "carried over": result.stock[index] + result.sales[index] - delivered,
        "delivered": delivered,
        "lost sales": result.lost_sales[index],
        "demand": result.demand[index],
    }
    return per_product_frame(measures)


def supply_frame(result: EpisodeResult, day: int) -> pd.DataFrame:
    """Per-product units of one day's supply: ordered, shipped, received (put on the shelf) and
    still in transit at the end of the day (columns product, measure, units)."""
    index = day - 1
    measures = {
        "ordered": result.ordered[index],
        "shipped": result.shipped[index],
        "received": result.orders[index],
        "in transit": result.in_transit[index],
    }
    return per_product_frame(measures)


def supply_note(result: EpisodeResult, day: int) -> str:
    """The day's supply in one line: ordered, shipped (and why less), received, in transit."""
    index = day - 1
    disrupted = bool(result.disrupted[index])
    ordered, sent = int(result.ordered[index].sum()), int(result.shipped[index].sum())
    received, transit = int(result.orders[index].sum()), int(result.in_transit[index].sum())
    if disrupted and ordered:
        why = " (disrupted: nothing shipped)"
    elif sent < ordered:
        why = f" (partial: {ordered - sent} cancelled)"
    else:
        why = ""
    return f"ordered {ordered} · shipped {sent}{why} · received {received} · in transit {transit}"


def summary_table(played: Mapping[str, EpisodeResult], config: InventoryConfig) -> pd.DataFrame:
    """One row per policy: the episode's headline figures, with cost and profit per day where the
    scenario counts money."""
    rows = {}
    for name, result in played.items():
        metrics = result.metrics()
        row = {
            **in_words(metrics, ("fill_rate", "stockouts_per_day", "mean_reward")),
            LOST_SALES: int(result.lost_sales.sum()),
        }
        if config.has_costs:
            row.update(in_words(metrics, ("cost_per_day", "profit_per_day")))
        # the lost sales stay a number here, as the Replay page has always shown them
        rows[name] = {key: value if key == LOST_SALES else FIGURE_FORMATS[key](value) for key, value in row.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def components_table(played: Mapping[str, EpisodeResult], day: int) -> pd.DataFrame:
    """The day's reward components (the scenario's own) and their total, per policy."""
    table = {
        name: {component_label(part): values[day - 1] for part, values in result.reward_components.items()}
        for name, result in played.items()
    }
    frame = pd.DataFrame(table)
    frame.loc["Total"] = frame.sum()
    return frame.map(lambda points: f"{points:,.0f}")


def money_table(played: Mapping[str, EpisodeResult], day: int, config: InventoryConfig) -> pd.DataFrame:
    """The day's money per policy: each cost part (summed over products), the cost and, where
    ``config``'s scenario sells (``app.scenario.sells``), the revenue and the profit."""
    table = {}
    for name, result in played.items():
        index = day - 1
        parts = {COST_LABELS.get(part, part): float(values[index].sum()) for part, values in result.cost_parts.items()}
        table[name] = {**parts, "cost": float(result.costs[index])}
        if sells(config):
            revenue = float(result.revenue[index].sum()) if result.revenue is not None else 0.0
            table[name].update(revenue=revenue, profit=float(result.profits[index]))
    return pd.DataFrame(table).map(lambda money: f"{money:,.2f}")
