"""Which files a path typed into a page may name, without Streamlit.

Anyone who can open the dashboard can type a path into it (Compare's "Reports folder or file", the
scenario picker's file, a SQLite storage on the Tuning page). The dashboard reads those only under
its log directory and the project's scenario folder (``world.config.SCENARIO_DIR``): a typed path
anywhere else is refused with one line, so a dashboard shared on the network does not read the
machine's other files. ``--allow-any-path`` after ``--`` lifts this, on purpose::

    streamlit run dashboard.py -- --log-dir logs --allow-any-path

The check resolves the path first (``..`` and symbolic links included): a link inside the log
directory that points outside it is outside.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

ALLOW_ANY_PATH = "--allow-any-path"


class PathRefused(ValueError):
    """A typed path outside the folders the dashboard reads; the message is one line."""


def allows_any_path(argv: Sequence[str]) -> bool:
    """Whether the dashboard was started with ``--allow-any-path`` (after ``--``)."""
    parser = argparse.ArgumentParser(prog="dashboard.py", add_help=False, exit_on_error=False)
    parser.add_argument(ALLOW_ANY_PATH, action="store_true")
    known, _ = parser.parse_known_args(list(argv))
    return bool(known.allow_any_path)


def inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether ``path``, resolved, is one of ``roots`` (resolved) or below one of them."""
    resolved = path.expanduser().resolve()
    return any(resolved.is_relative_to(root.expanduser().resolve()) for root in roots)


def readable_path(text: str, roots: Sequence[Path], allow_any: bool = False) -> Path:
    """The path typed as ``text`` (``~`` expanded), if the dashboard may read it: below one of
    ``roots`` (the log directory, the scenario folder), or anywhere with ``allow_any``;
    ``PathRefused`` (one line) otherwise."""
    path = Path(text.strip()).expanduser()
    if allow_any or inside(path, roots):
        return path
    where = " and ".join(f"`{root}`" for root in roots)
    raise PathRefused(
        f"`{text.strip()}` is outside the folders the dashboard reads ({where}); "
        f"start it with `-- {ALLOW_ANY_PATH}` to read files anywhere"
    )
