"""Training: settings and presets (``settings``), a run's arguments (``args``), its model (``model``),
the one place a run is assembled (``run``), callbacks (``callbacks``) and Optuna tuning (``tuning``)."""
