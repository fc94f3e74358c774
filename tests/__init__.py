"""The tests, one folder per subpackage of ``inventory_rl`` (``browser/`` under ``app/``: a real Chromium)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project folder: the doors (train.py, ...) and README.md
