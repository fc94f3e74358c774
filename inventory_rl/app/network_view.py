"""What the network pages draw alike (Training, Replay, the Beer Game): the network's header, its
diagram (``st.graphviz_chart``: DOT drawn in the browser, no Graphviz install), the per-node charts and
the bullwhip chart. The figures come from ``app.network_days``; this module only draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from inventory_rl.app.charts import DEMAND_COLOR, chart, daily_lines_spec, daily_series, legend_html, panel_spec
from inventory_rl.app.network_days import MEASURES, BullwhipPanel, NetworkTrace
from inventory_rl.app.network_runs import agents_text, chain_text
from inventory_rl.runs.layout import NetworkRecord
from inventory_rl.world.network import NetworkConfig


def network_header(name: str, description: str, network: NetworkConfig, record: NetworkRecord | None = None) -> None:
    """The network by name, its description, its warehouses and (for a run) its agents."""
    said = f": {description}" if description else ""
    st.markdown(f":material/hub: **Network: `{name}`**{said}")
    agents = f" Agents: {agents_text(record)}." if record is not None else ""
    st.caption(f"{len(network.nodes)} warehouses: {chain_text(network)}.{agents}")


def draw_diagram(dot: str, alt: str) -> None:
    """A network diagram in DOT (``app.network_days.diagram_dot`` or ``structure_dot``), at its own size
    (shrunk to its column where wider): stretched, a chain's labels would grow too large or too small."""
    st.graphviz_chart(dot, width="content", alt=alt)


def draw_node_charts(trace: NetworkTrace, colors: Mapping[str, str], day: int | None = None) -> None:
    """One chart per ``network_days.MEASURES`` (stock, backorders, orders placed and received,
    shipments received, what is on the way), a line per node, two side by side, with a dashed marker
    at ``day`` if given."""
    st.markdown(legend_html(colors), unsafe_allow_html=True)
    measures = list(MEASURES.items())
    for start in range(0, len(measures), 2):
        for column, (measure, (title, meaning)) in zip(st.columns(2), measures[start : start + 2], strict=False):
            with column:
                st.markdown(f"**{title}** ({meaning})")
                values = getattr(trace, measure)[1:]
                series = {name: values[:, i] for i, name in enumerate(trace.network.names)}
                chart(daily_series(series), daily_lines_spec("units", ",.0f", colors, day))


def draw_bullwhip(
    panels: Sequence[BullwhipPanel], days: int, colors: Mapping[str, str], day: int | None = None
) -> None:
    """The bullwhip chart: each stage's orders (upstream on top), then the customers' demand, one row
    each on the same scale, so that the swings growing up the chain show; each row names its
    variance ratio to the demand it serves."""
    top = max((float(np.max(panel.values)) for panel in panels if len(panel.values)), default=1.0)
    for panel in panels:
        color = colors.get(panel.label, DEMAND_COLOR)
        st.caption(panel.title)
        frame = pd.DataFrame({"day": np.arange(1, len(panel.values) + 1), "value": panel.values})
        chart(frame, panel_spec(days, top, color, day))
