"""Evaluation: playing episodes (``episodes``), the metric formulas (``metrics``), reports (``report``)."""
