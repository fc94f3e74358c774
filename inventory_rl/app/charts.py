"""The dashboard's charts: colours, Vega-Lite specs, the long frames some of them draw, a
shared HTML legend, and ``chart`` to draw a spec with Streamlit.

Specs are plain dicts handed straight to ``st.vega_lite_chart`` (no altair round trip).
Several charts side by side share one legend above them (``legend_html``): each is too
narrow for its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from inventory_rl.app.history import RAW_SERIES, ROLLING_SERIES, component_label

COMPONENT_COLORS = {  # the original reward's parts, then money's (the same colour means the same thing)
    "order_accuracy": "#4c78a8",
    "perfect_fulfillment": "#54a24b",
    "stock_bonus": "#72b7b2",
    "allocation": "#b279a2",
    "stockout_penalty": "#e45756",
    "revenue": "#54a24b",
    "holding": "#4c78a8",
    "lost_sale": "#e45756",
    "ordering": "#f58518",
    "purchase": "#b279a2",
}
OTHER_COLORS = ("#9d755d", "#bab0ac", "#eeca3b", "#ff9da6")  # for components named nowhere above
CURVE_COLORS = {RAW_SERIES: "#9ecae9", ROLLING_SERIES: "#1f5f9f"}
TOTAL_MEASURES = {"delivered": "#4c78a8", "demand": "#f58518", "lost sales": "#e45756"}
SIDE_COLORS = ("#e45756", "#4c78a8")  # the person, the opponent
POLICY_COLORS = (  # the agent (or the person), then the rules
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#b279a2",
    "#72b7b2",
    "#9d755d",
    "#eeca3b",
    "#ff9da6",
    "#bab0ac",
    "#e45756",
    "#1f5f9f",
)
DAY_MEASURES = {"carried over": "#4c78a8", "delivered": "#9ecae9", "lost sales": "#e45756", "demand": "#333333"}
# The height is the plot's; axes and legends add to it (Streamlit's default squeezes them in).
FIT_WIDTH = {"type": "fit-x", "contains": "padding"}
HEATMAP_ROW_PIXELS = 22  # per product, up to the default height


def _x_episode() -> dict:
    """The episode axis (untitled: every chart on it is titled "... per episode")."""
    return {"field": "episode", "type": "quantitative", "title": None}


def curve_spec(y_title: str, y_format: str) -> dict:
    """Per-episode values (thin, faint) and their rolling mean (bold) against the episode."""
    series = list(CURVE_COLORS)
    return {
        "height": 170,
        "autosize": FIT_WIDTH,
        "transform": [{"fold": series, "as": ["series", "value"]}],
        "mark": {"type": "line", "interpolate": "monotone"},
        "encoding": {
            "x": _x_episode(),
            "y": {"field": "value", "type": "quantitative", "title": y_title, "axis": {"format": y_format}},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": series, "range": list(CURVE_COLORS.values())},
                "legend": None,  # one legend above all the curves (legend_html)
            },
            "strokeWidth": {
                "field": "series",
                "type": "nominal",
                "scale": {"domain": series, "range": [1, 2.5]},
                "legend": None,
            },
            "tooltip": [
                _x_episode(),
                {"field": "series", "type": "nominal"},
                {"field": "value", "type": "quantitative", "format": y_format},
            ],
        },
    }


def component_legend(components: Sequence[str]) -> dict[str, str]:
    """Label -> colour of a scenario's reward components (``warehouses.reward_component_names``)."""
    spare = iter(OTHER_COLORS * len(components))
    return {component_label(name): COMPONENT_COLORS.get(name) or next(spare) for name in components}


def components_spec(components: Sequence[str]) -> dict:
    """The reward components' rolling means stacked (penalties and costs below zero)."""
    legend = component_legend(components)
    labels = list(legend)
    return {
        "height": 170,
        "autosize": FIT_WIDTH,
        "transform": [{"fold": labels, "as": ["component", "points"]}],
        "mark": {"type": "area", "opacity": 0.85},
        "encoding": {
            "x": _x_episode(),
            "y": {"field": "points", "type": "quantitative", "stack": "zero", "title": None},
            "color": {
                "field": "component",
                "type": "nominal",
                "title": None,
                "scale": {"domain": labels, "range": list(legend.values())},
                "legend": None,  # drawn above the chart (legend_html): the chart is too narrow for it
            },
            "order": {"field": "component"},
            "tooltip": [
                _x_episode(),
                {"field": "component"},
                {"field": "points", "type": "quantitative", "format": ",.0f"},
            ],
        },
    }


def day_ticks(n_days: int, max_ticks: int = 7) -> list[int]:
    """Day 1 and every k-th day, k the smallest of 1, 2, 5, 10, 20, 50, ... giving at most
    ``max_ticks`` ticks: 1, 5, 10, ..., 30 for a 30-day episode, 1, 100, 200, 300 for 365 days."""
    step = next(m * 10**e for e in range(12) for m in (1, 2, 5) if n_days // (m * 10**e) < max_ticks)
    return sorted({1, *range(step, n_days + 1, step)})


def heatmap_spec(value: str, scheme: str, n_days: int, n_products: int, mark_lost: bool = False) -> dict:
    """Products (rows) by days (columns) coloured by ``value`` of the ``days`` frame; with
    ``mark_lost`` a red dot marks each day a product lost sales."""
    x = {"field": "day", "type": "ordinal", "title": "day", "axis": {"labelAngle": 0, "values": day_ticks(n_days)}}
    y = {"field": "product", "type": "nominal", "title": None, "sort": None}
    tooltip = [{"field": "day"}, {"field": "product"}, {"field": "stock"}, {"field": "demand"}, {"field": "lost sales"}]
    layers = [
        {
            "mark": {"type": "rect", "stroke": "white", "strokeWidth": 0.5},
            "encoding": {
                "x": x,
                "y": y,
                "color": {"field": value, "type": "quantitative", "title": "units", "scale": {"scheme": scheme}},
                "tooltip": tooltip,
            },
        }
    ]
    if mark_lost:
        layers.append(
            {
                "transform": [{"filter": "datum['lost sales'] > 0"}],
                "mark": {"type": "circle", "color": "#e45756", "opacity": 1, "size": 28},
                "encoding": {"x": x, "y": y, "tooltip": tooltip},
            }
        )
    return {"height": max(220, HEATMAP_ROW_PIXELS * n_products), "autosize": FIT_WIDTH, "layer": layers}


def grouped_bars_spec(measures: Mapping[str, str], legend: bool = True) -> dict:
    """Bars per product, one per measure side by side (columns product, measure, units); without
    ``legend`` the page draws one above several charts (``legend_html``)."""
    return {
        "height": 200,
        "autosize": FIT_WIDTH,
        "mark": {"type": "bar", "cornerRadiusTopLeft": 2, "cornerRadiusTopRight": 2},
        "encoding": {
            "x": {"field": "product", "type": "nominal", "title": None, "axis": {"labelAngle": 0}, "sort": None},
            "xOffset": {"field": "measure", "sort": list(measures)},
            "y": {"field": "units", "type": "quantitative", "title": "units"},
            "color": {
                "field": "measure",
                "type": "nominal",
                "title": None,
                "scale": {"domain": list(measures), "range": list(measures.values())},
                "legend": {"orient": "bottom"} if legend else None,
            },
            "tooltip": [{"field": "product"}, {"field": "measure"}, {"field": "units", "type": "quantitative"}],
        },
    }


def day_spec(y_max: float) -> dict:
    """One day per product: the shelf (carried over + delivered) stacked with the lost sales on
    top, and a tick at the demand (columns product, measure, units)."""
    x = {"field": "product", "type": "nominal", "title": None, "axis": {"labelAngle": 0}, "sort": None}
    y = {"field": "units", "type": "quantitative", "title": "units", "scale": {"domain": [0, y_max]}}
    color = {
        "field": "measure",
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(DAY_MEASURES), "range": list(DAY_MEASURES.values())},
        "legend": None,  # too narrow: the page draws one legend for all (legend_html)
    }
    tooltip = [{"field": "product"}, {"field": "measure"}, {"field": "units", "type": "quantitative"}]
    stacked = list(DAY_MEASURES)[:-1]
    return {
        "height": 200,
        "autosize": FIT_WIDTH,
        "layer": [
            {
                "transform": [
                    {"filter": {"field": "measure", "oneOf": stacked}},
                    {"calculate": f"indexof({stacked}, datum.measure)", "as": "level"},
                ],
                "mark": {"type": "bar"},
                "encoding": {
                    "x": x,
                    "y": {**y, "stack": "zero"},
                    "color": color,
                    "order": {"field": "level"},
                    "tooltip": tooltip,
                },
            },
            {
                "transform": [{"filter": {"field": "measure", "equal": "demand"}}],
                "mark": {"type": "tick", "thickness": 3},
                "encoding": {"x": x, "y": y, "color": color, "tooltip": tooltip},
            },
        ],
    }


def daily_lines_spec(y_title: str, y_format: str, colors: Mapping[str, str], day: int | None = None) -> dict:
    """One line per series against the day (columns day, series, value: ``daily_series``),
    coloured by ``colors`` (series -> colour), with a dashed marker at ``day`` if given."""
    lines = {
        "mark": {"type": "line", "point": {"size": 20}},
        "encoding": {
            "x": {"field": "day", "type": "quantitative", "title": "day", "axis": {"tickMinStep": 1, "format": "d"}},
            "y": {"field": "value", "type": "quantitative", "title": y_title, "axis": {"format": y_format}},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": list(colors), "range": list(colors.values())},
                "legend": None,  # the page draws it above (legend_html): long names do not fit
            },
            "tooltip": [
                {"field": "day"},
                {"field": "series"},
                {"field": "value", "type": "quantitative", "format": y_format},
            ],
        },
    }
    layers = [lines]
    if day is not None:
        layers.append(
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#888"}, "encoding": {"x": {"datum": day}}}
        )
    return {"height": 220, "autosize": FIT_WIDTH, "layer": layers}


def daily_series(values: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long frame (day, series, value) for ``daily_lines_spec`` from one array per series, days counted from 1."""
    return pd.DataFrame(
        [(day, name, float(value)) for name, array in values.items() for day, value in enumerate(array, start=1)],
        columns=["day", "series", "value"],
    )


def interval_spec(value_title: str, value_format: str, colors: Mapping[str, str]) -> dict:
    """Each policy's mean (a dot) and its 95% interval (a bar), one row per policy (columns policy,
    mean, low, high), coloured by ``colors`` (policy -> colour)."""
    y = {"field": "policy", "type": "nominal", "title": None, "sort": None}
    color = {
        "field": "policy",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": list(colors), "range": list(colors.values())},
    }
    tooltip = [
        {"field": "policy"},
        *({"field": name, "type": "quantitative", "format": value_format} for name in ("mean", "low", "high")),
    ]
    x = {"field": "low", "type": "quantitative", "title": value_title, "axis": {"format": ",~f"}}
    x["scale"] = {"zero": False}
    return {
        "height": {"step": 26},
        "autosize": FIT_WIDTH,
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 3, "opacity": 0.6},
                "encoding": {"y": y, "x": x, "x2": {"field": "high"}, "color": color, "tooltip": tooltip},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 70},
                "encoding": {"y": y, "x": {**x, "field": "mean"}, "color": color, "tooltip": tooltip},
            },
        ],
    }


def best_value_spec(value_title: str) -> dict:
    """Each finished trial's value (dots) and the best value so far (a step line), against the
    trial number (columns trial, value, best)."""
    x = {"field": "trial", "type": "quantitative", "title": "trial", "axis": {"tickMinStep": 1, "format": "d"}}
    y = {"type": "quantitative", "title": value_title, "scale": {"zero": False}}
    tooltip = [{"field": "trial"}, {"field": "value", "format": ",.4g"}, {"field": "best", "format": ",.4g"}]
    return {
        "height": 240,
        "autosize": FIT_WIDTH,
        "layer": [
            {
                "mark": {"type": "point", "filled": True, "color": "#9ecae9", "size": 40},
                "encoding": {"x": x, "y": {**y, "field": "value"}, "tooltip": tooltip},
            },
            {
                "mark": {"type": "line", "interpolate": "step-after", "color": "#1f5f9f", "strokeWidth": 2.5},
                "encoding": {"x": x, "y": {**y, "field": "best"}, "tooltip": tooltip},
            },
        ],
    }


def trial_curves_spec(value_title: str) -> dict:
    """Each trial's intermediate values against the evaluation step (columns trial, step, value,
    state): one line per trial, pruned trials dashed."""
    return {
        "height": 240,
        "autosize": FIT_WIDTH,
        "mark": {"type": "line", "point": {"size": 16}},
        "encoding": {
            "x": {
                "field": "step",
                "type": "quantitative",
                "title": "timesteps trained",
                "axis": {"tickMinStep": 1, "format": ",d"},
            },
            "y": {"field": "value", "type": "quantitative", "title": value_title, "scale": {"zero": False}},
            "color": {"field": "trial", "type": "nominal", "legend": None, "scale": {"scheme": "tableau10"}},
            "strokeDash": {
                "field": "state",
                "type": "nominal",
                "scale": {"domain": ["COMPLETE", "PRUNED"], "range": [[1, 0], [4, 3]]},
                "legend": None,  # the title says it: dashed lines are pruned trials
            },
            "tooltip": [
                {"field": "trial"},
                {"field": "state"},
                {"field": "step"},
                {"field": "value", "format": ",.4g"},
            ],
        },
    }


def bars_spec(category: str, value: str, value_format: str) -> dict:
    """Horizontal bars of ``value`` per ``category``, in the frame's order."""
    return {
        "height": {"step": 24},
        "autosize": FIT_WIDTH,
        "mark": {"type": "bar", "color": "#4c78a8"},
        "encoding": {
            "y": {"field": category, "type": "nominal", "title": None, "sort": None},
            "x": {"field": value, "type": "quantitative", "title": value, "axis": {"format": value_format}},
            "tooltip": [{"field": category}, {"field": value, "type": "quantitative", "format": value_format}],
        },
    }


def legend_html(colors: Mapping[str, str]) -> str:
    """A one-line colour legend shared by several charts (each of them too narrow for its own)."""
    items = (f'<span style="color:{color}">&#9632;</span>&nbsp;{name}' for name, color in colors.items())
    return '<span style="font-size:0.85rem">' + " &nbsp;&nbsp; ".join(items) + "</span>"


REWARD_CURVE_SPEC = curve_spec("points", ",.0f")
MONEY_REWARD_CURVE_SPEC = curve_spec("money", ",.0f")
FILL_CURVE_SPEC = curve_spec("fill rate", ".0%")
STOCKOUT_CURVE_SPEC = curve_spec("per day", ".1f")
MONEY_CURVE_SPEC = curve_spec("per day", ",.4~g")


def chart(data: pd.DataFrame, spec: dict) -> None:
    """Draw a Vega-Lite chart across its column (Streamlit's theme, no altair round trip)."""
    st.vega_lite_chart(data, spec, width="stretch")


# ---------------------------------------------------------------------------- networks
NODE_PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#72b7b2", "#9d755d", "#eeca3b", "#ff9da6", "#bab0ac")
YOU_COLOR = "#e45756"  # the person's seat in the Beer Game
DEMAND_COLOR = "#333333"


def node_colors(names: Sequence[str], you: str | None = None) -> dict[str, str]:
    """A colour per node, in the network's order (``you``: the person's seat, in red)."""
    palette = [color for color in NODE_PALETTE]
    return {name: YOU_COLOR if name == you else palette[i % len(palette)] for i, name in enumerate(names)}


def episode_lines_spec(value: str, y_format: str, colors: Mapping[str, str]) -> dict:
    """One line per node against the episode (columns episode, node, ``value``), coloured by ``colors``."""
    return {
        "height": 170,
        "autosize": FIT_WIDTH,
        "mark": {"type": "line", "interpolate": "monotone"},
        "encoding": {
            "x": _x_episode(),
            "y": {"field": value, "type": "quantitative", "title": None, "axis": {"format": y_format}},
            "color": {
                "field": "node",
                "type": "nominal",
                "title": None,
                "scale": {"domain": list(colors), "range": list(colors.values())},
                "legend": None,  # drawn above the chart (legend_html)
            },
            "tooltip": [
                _x_episode(),
                {"field": "node"},
                {"field": value, "type": "quantitative", "format": y_format},
            ],
        },
    }


def panel_spec(days: int, y_max: float, color: str, day: int | None = None, height: int = 70) -> dict:
    """One row of a small-multiples chart (columns day, value): a step line over days 1 .. ``days`` on a
    shared scale up to ``y_max`` (so that the rows compare), with a dashed marker at ``day`` if given."""
    x = {
        "field": "day",
        "type": "quantitative",
        "title": None,
        "scale": {"domain": [1, max(days, 2)]},
        "axis": {"tickMinStep": 1, "format": "d"},
    }
    layers = [
        {
            "mark": {"type": "line", "interpolate": "step-after", "color": color, "strokeWidth": 2},
            "encoding": {
                "x": x,
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": None,
                    "scale": {"domain": [0, max(y_max, 1)]},
                    "axis": {"tickCount": 3},
                },
                "tooltip": [{"field": "day"}, {"field": "value", "type": "quantitative", "format": ",.0f"}],
            },
        }
    ]
    if day is not None:
        layers.append(
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#888"}, "encoding": {"x": {"datum": day}}}
        )
    return {"height": height, "autosize": FIT_WIDTH, "layer": layers}
