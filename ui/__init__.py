"""The dashboard's rooms (``dashboard.py`` is the entry point that routes to them).

- ``training``, ``replay``, ``manual``: one Streamlit page each; ``pages/`` holds the
  three scripts ``st.navigation`` runs, each a call into its page module;
- ``charts``: the Vega-Lite specs and the colours; ``common``: the log directory, the
  models and the metric cards shared by the pages;
- ``history`` (the training stream's figures) and ``game`` (the manual game): plain
  Python without Streamlit, so tests and benchmarks use them directly.

This file imports nothing, so ``import ui.history`` stays free of Streamlit.
"""
