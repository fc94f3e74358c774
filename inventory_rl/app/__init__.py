"""The dashboard's rooms (``dashboard.py`` is the entry point that routes to them).

- ``training``, ``replay``, ``manual`` (with ``manual_form``), ``beer_game_page``, ``compare``,
  ``tuning``: one Streamlit page each; ``pages/`` holds the six scripts ``st.navigation`` runs, each
  a call into its page module; a network run's Replay is ``network_replay``'s, and the network
  pages draw their diagram and charts with ``network_view``;
- ``charts``: the Vega-Lite specs and the colours; ``common``: the log directory, the run picked
  in the sidebar and its scenario, the models, the paths a page may read, the scenario picker and
  the metric cards shared by the pages;
- plain Python without Streamlit, so tests and benchmarks use them directly: ``history`` (a
  run's per-episode figures) and ``monitor`` (the stream tailed into them, the Training view),
  ``scenario`` (a run's scenario, picking one, the rules that apply and the best of them),
  ``days`` (one day of a played episode: shelf, supply, money), ``game`` (the manual game),
  ``reports`` (evaluation reports), ``studies`` (Optuna studies), ``run_list`` (the runs
  under the log directory, for the sidebar's run picker), ``paths`` (which typed paths a page may
  read), ``network_runs`` (a run's network, the shipped and serial networks), ``network_days`` (a
  network episode day by day, its diagram in DOT, the bullwhip), ``network_reports`` (network
  evaluation reports) and ``beer_game`` (the Beer Game and its saved files).

This file imports nothing, so ``import inventory_rl.app.history`` stays free of Streamlit.
"""
