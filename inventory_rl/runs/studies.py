"""Where a tuning study lives and how to open it, shared by ``tune.py``, the Tuning page and
``bench/bench_tune.py`` so that they agree on the default file and on connection settings.

A study lives in an Optuna storage: by default the SQLite file ``LOG_DIR/tuning.db``, or any
SQLAlchemy URL (``postgresql://user@host:port/db``). Light: no torch, SB3 or Streamlit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

STORAGE_NAME = "tuning.db"  # the default SQLite storage, in the log directory
SERVERS = ("postgresql", "mysql")  # backends whose drivers take connect_timeout


class StorageError(Exception):
    """A storage URL (or a study in it) that cannot be used; the message is one line."""


def default_url(log_dir: Path) -> str:
    """The storage ``tune.py`` uses by default: the SQLite file ``LOG_DIR/tuning.db``."""
    return f"sqlite:///{log_dir / STORAGE_NAME}"


def shown_url(url: str | URL) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL, or None (another database, or SQLite in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def engine_kwargs(url: str | URL, connect_timeout: float, busy_timeout: float = 5.0) -> dict[str, Any]:
    """SQLAlchemy settings: wait up to ``busy_timeout`` seconds for a SQLite file another process
    is writing (5 s is Python's default), give up on a silent PostgreSQL or MySQL server after
    ``connect_timeout`` seconds, and test pooled server connections before use (they may sit idle
    for a long time)."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return {"connect_args": {"timeout": busy_timeout}}
    if backend in SERVERS:
        return {"connect_args": {"connect_timeout": connect_timeout}, "pool_pre_ping": True}
    return {"pool_pre_ping": True}
