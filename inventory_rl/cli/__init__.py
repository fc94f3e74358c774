"""The commands: ``train``, ``evaluate``, ``tune`` (also the project's ``train.py``, ``evaluate.py``,
``tune.py``), ``main`` (``inventory-rl``), and what they share (``common``)."""
