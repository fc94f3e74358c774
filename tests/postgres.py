"""A real PostgreSQL server for the tests, started on localhost by a session fixture.

``postgres_url`` runs Debian's PostgreSQL (``apt-get install postgresql``, which ``run_tests.sh``
does when it is missing) from a fresh data directory (``initdb``) on a free port, with a role
``tuner`` and a database ``tuning`` (trust authentication, local connections only), yields
``postgresql+psycopg://tuner@127.0.0.1:PORT/tuning`` and stops the server afterwards;
``new_database`` makes another database on it.
PostgreSQL refuses to run as root: as root (CI) the server runs as the ``postgres`` system user.
If the server cannot be installed or started, the tests that use it fail: they are core tests.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

ROLE, DATABASE = "tuner", "tuning"
SERVER_USER = "postgres"  # the system user the server runs as when the tests run as root


def server_binaries() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest, else the ones on PATH."""
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    initdb = installed[-1] if installed else shutil.which("initdb")
    if initdb is None:
        pytest.fail("PostgreSQL is not installed (initdb not found): run ./run_tests.sh, which installs it")
    return Path(initdb).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    """``command`` run as the server's user: ``postgres`` when the tests run as root."""
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


def run(command: list[str], what: str, log: Path | None = None) -> None:
    """Run ``command``; fail the tests with its output (and the server log) if it fails."""
    result = subprocess.run(as_server_user(command), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        pytest.fail(f"could not {what} PostgreSQL: {result.stdout}{result.stderr}{server_log}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database on a server of this test session."""
    binaries = server_binaries()
    # Not under pytest's tmp_path: its folders are root's alone, and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="inventory-postgres-"))
    data, log = folder / "data", folder / "server.log"
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(folder, user.pw_uid, user.pw_gid)
    port = free_port()
    run(
        [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        "initialise",
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
        "start",
        log,
    )
    try:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as admin:
            admin.execute(f"CREATE ROLE {ROLE} LOGIN CREATEDB")
            admin.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        yield f"postgresql+psycopg://{ROLE}@127.0.0.1:{port}/{DATABASE}"
    finally:
        # immediate: no shutdown checkpoint, the data is thrown away anyway
        run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], "stop", log)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(url: str, name: str) -> str:
    """The URL of a new, empty database ``name`` on the server of ``url`` (made by its role)."""
    parsed = make_url(url)
    with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database) as db:
        db.autocommit = True
        db.execute(f"CREATE DATABASE {name}")
    return parsed.set(database=name).render_as_string(hide_password=False)
