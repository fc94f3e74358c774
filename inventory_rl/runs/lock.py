"""One training run per log folder: an OS lock that the operating system releases when the
process ends, however it ends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from inventory_rl.runs.layout import LOCK_NAME


class LogDirBusy(Exception):
    """Another training run holds the log directory's lock; the message says which process."""


@contextmanager
def training_lock(log_dir: str | Path) -> Iterator[None]:
    """Hold ``log_dir``'s exclusive lock for the duration of a run; ``LogDirBusy`` if taken.

    An OS lock (``flock``; ``msvcrt.locking`` on Windows) on ``log_dir/train.lock``: the
    operating system releases it when the process ends however it ends, so a crashed run
    never leaves the folder locked. The file holds the owner's process id, for messages.
    """
    path = Path(log_dir) / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            _lock_file(fd)
        except OSError:
            raise LogDirBusy(f"a training run (process {_read_owner(fd)}) is already writing to {log_dir}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def training_owner(log_dir: str | Path) -> str | None:
    """The process id of the run training in ``log_dir`` now (``?`` if it cannot be read), or None:
    the lock itself is asked, so a stale lock file of a dead run says None."""
    path = Path(log_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:  # no lock file: no run has trained here, or the folder does not exist
        return None
    try:
        try:
            _lock_file(fd)
        except OSError:
            return _read_owner(fd)
        return None
    finally:
        os.close(fd)  # releases the lock if this call took it


def _read_owner(fd: int) -> str:
    """The process id written in a lock file, or ``?`` when it cannot be read."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 32).decode(errors="replace").strip() or "?"
    except OSError:  # Windows refuses to read a byte range another process has locked
        return "?"


def _lock_file(fd: int) -> None:
    """Lock an open file exclusively without waiting; ``OSError`` if another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
