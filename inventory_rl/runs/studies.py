"""Where a tuning study lives and the one way to open it, shared by ``tune.py``, the Tuning page and
``bench/bench_tune.py`` so that they agree on the default file and on connection settings.

A study lives in an Optuna storage: by default the SQLite file ``LOG_DIR/tuning.db``, or any
SQLAlchemy URL (``postgresql://user@host:port/db``). ``read_storage`` opens one to read and
creates nothing; ``write_storage`` opens one for a ``tune.py`` worker, creating what is missing.
Every way a storage can fail to open is a ``StorageError`` with a one-line message. Light: no
torch, SB3 or Streamlit.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
import sqlalchemy.exc
from sqlalchemy.engine import URL, make_url

from inventory_rl.runs.files import describe_error

STORAGE_NAME = "tuning.db"  # the default SQLite storage, in the log directory
SERVERS = ("postgresql", "mysql")  # backends whose drivers take connect_timeout
# A server that answers connects in well under a second; a lost connection request is sent again
# after 1, 2 and 4 more seconds (Linux), so 10 s survives three lost packets on a poor network,
# where the system's own limit (about two minutes) would leave a worker or the page hanging on a
# server that is down.
CONNECT_SECONDS = 10
# Workers write their trials and heartbeats into one SQLite file; each write locks it only for a
# moment, but a worker that gave up on a busy file would lose its trial. Readers (the page) only
# wait while a writer holds the lock, so they take the same, generous, limit.
BUSY_SECONDS = 60
TABLE_RACE_ATTEMPTS = 5  # tries to open a fresh database on which other workers create the tables
STORAGE_ERRORS = (  # what opening or reading a storage can raise, besides StorageError
    sqlalchemy.exc.SQLAlchemyError,
    optuna.exceptions.OptunaError,
    ValueError,
    KeyError,
    TypeError,
    ImportError,
    OSError,
    RuntimeError,
)


class StorageError(Exception):
    """A storage URL (or a study in it) that cannot be used; the message is one line."""


class NoStudies(StorageError):
    """A storage that cannot hold a study yet: a database without Optuna's tables, in memory, or
    a SQLite file that does not exist."""


class NoStorageFile(NoStudies):
    """A SQLite URL whose file does not exist (yet: ``tune.py`` creates it)."""


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


def engine_kwargs(url: str | URL) -> dict[str, Any]:
    """SQLAlchemy settings: wait up to ``BUSY_SECONDS`` for a SQLite file another process is
    writing, give up on a silent PostgreSQL or MySQL server after ``CONNECT_SECONDS``, and test
    pooled server connections before use (they may sit idle for a long time)."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return {"connect_args": {"timeout": BUSY_SECONDS}}
    if backend in SERVERS:
        return {"connect_args": {"connect_timeout": CONNECT_SECONDS}, "pool_pre_ping": True}
    return {"pool_pre_ping": True}


def cannot_use(url: str | URL, error: BaseException) -> StorageError:
    """The one-line error for a storage that failed with ``error`` (the database's own, if any)."""
    return StorageError(f"cannot use {shown_url(url)} ({describe_error(getattr(error, 'orig', None) or error)})")


def read_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's storage at ``url``, opened to read: nothing is created, neither a SQLite file nor
    Optuna's tables. ``NoStudies`` (``NoStorageFile`` for a SQLite file that does not exist)
    where no study can be yet; ``StorageError`` for a malformed URL or a database that cannot be
    reached or read."""
    try:
        parsed = make_url(url)
        kwargs = engine_kwargs(parsed)
        engine = sqlalchemy.create_engine(parsed, **kwargs)
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError, ValueError, ImportError) as error:
        raise StorageError(f"{url!r} is not a usable storage URL ({describe_error(error)})") from None
    database = sqlite_file(parsed)
    try:
        if database is None and parsed.get_backend_name() == "sqlite":
            raise NoStudies(f"{url}: an in-memory SQLite database holds no study; give a file")
        if database is not None and not database.exists():
            if database.parent.exists() and not database.parent.is_dir():
                raise StorageError(f"{database.parent} is not a directory")
            raise NoStorageFile(f"no SQLite file at {database} (run tune.py first, or check the path)")
        with engine.connect() as connection:
            if not sqlalchemy.inspect(connection).has_table("studies"):
                raise NoStudies(f"{shown_url(parsed)} holds no Optuna study yet (run tune.py first, or check the URL)")
        return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, skip_table_creation=True)
    except STORAGE_ERRORS as error:
        raise cannot_use(parsed, error) from None
    finally:
        engine.dispose()


def write_storage(url: str, **options: Any) -> optuna.storages.RDBStorage:
    """Optuna's storage at ``url`` for a ``tune.py`` worker (``options``: ``RDBStorage``'s, such
    as heartbeats), creating what is missing: the SQLite file's folder, the file, Optuna's tables.
    Workers that start together on a fresh database race to create the tables, and all but one
    fail (PostgreSQL refuses the second ``CREATE TYPE``): those try again, and find the tables made."""
    database = sqlite_file(url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(TABLE_RACE_ATTEMPTS - 1):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs(url), **options)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            time.sleep(1.0)
    return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs(url), **options)
