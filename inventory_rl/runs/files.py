"""Files other processes read, written so that a reader never sees half of one (``atomic_writer``:
a temp file, then ``os.replace``); where caches live; and one-line error descriptions."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")


def user_cache_root() -> Path:
    """Where computed results worth keeping between runs (tuned rules, exact solutions) live:
    ``$INVENTORY_CACHE_DIR`` if set, else the user's cache folder (``$XDG_CACHE_HOME`` or
    ``~/.cache``; ``%LOCALAPPDATA%`` on Windows) under ``inventory-rl``. Never inside the package."""
    if os.environ.get("INVENTORY_CACHE_DIR"):
        return Path(os.environ["INVENTORY_CACHE_DIR"])
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "inventory-rl" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "inventory-rl"


def cache_dir(kind: str) -> Path:
    """The folder for cached results of one ``kind`` (``optimal``, ``rules``), under ``user_cache_root``."""
    return user_cache_root() / kind


_UMASK = os.umask(0)
os.umask(_UMASK)  # reading the umask means setting it: put it straight back


@contextmanager
def atomic_writer(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temp file beside ``path``; on success it replaces ``path`` in one step.

    A reader sees the old file or the new one, never a half-written one. On error the
    temp file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as file:
            yield file
        os.chmod(temp_name, 0o666 & ~_UMASK)  # mkstemp makes it owner-only; give it a normal file's mode
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def cached_json(
    path: Path,
    compute: Callable[[], T],
    decode: Callable[[dict], T],
    encode: Callable[[T], dict],
    use_cache: bool = True,
) -> T:
    """A result kept as a JSON file: ``decode`` of ``path``'s contents, else ``compute()``'s, written there
    (atomically) with ``encode``; a damaged file is computed again."""
    if use_cache and path.is_file():
        try:
            return decode(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            pass  # a damaged cache entry: compute again
    result = compute()
    write_json_atomic(path, encode(result))
    return result


def write_json_atomic(path: str | Path, data: dict) -> None:
    """Write ``data`` as indented JSON through ``atomic_writer``."""
    with atomic_writer(path, "w") as file:
        json.dump(data, file, indent=2)
        file.write("\n")


def describe_error(error: BaseException) -> str:
    """``Type: first line of the message``, for one-line error messages."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
