"""Private PostgreSQL and Redis servers that fault tests can stop and restart.

``PrivatePostgres`` is a cluster in a temporary directory (``initdb`` as the
``postgres`` user when run as root, since ``initdb`` refuses root), served
by ``pg_ctl`` on a free port with its socket in that directory; its
database gets the schema of the pytest test database (``pg_dump -s``), so
drivers and workers can use it without migrating. ``PrivateRedis`` is a
``redis-server`` that keeps nothing on disk, so a restart loses every
queued message, as a crashed broker does. Both are context managers that
remove everything at exit.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

def _pg_bin() -> Path | None:
    """The directory of the PostgreSQL server programs (``pg_config --bindir``), if installed."""
    try:
        found = subprocess.run(["pg_config", "--bindir"], check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(found) if (Path(found) / "pg_ctl").exists() else None


PG_BIN = _pg_bin()


def missing_programs() -> str | None:
    """Why private servers cannot be started here (``None`` if they can): a test skips with it."""
    if PG_BIN is None:
        return "needs the PostgreSQL server programs (initdb, pg_ctl; pg_config --bindir)"
    if shutil.which("redis-server") is None:
        return "needs redis-server"
    return None


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on (at the time of the call)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(ready: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout} s")
        time.sleep(0.05)


class PrivatePostgres:
    """A PostgreSQL cluster of its own, on a free port, that a test may restart.

    Args:
        database: The database to create in it.
        schema_from: A ``DATABASE_URL`` whose schema (``pg_dump -s``) the
            database gets.
    """

    def __init__(self, database: str, schema_from: str) -> None:
        if PG_BIN is None:
            raise RuntimeError(missing_programs())
        self.bin = PG_BIN
        self.database = database
        self.schema_from = schema_from
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="er-faults-pg-"))
        self.data = self.directory / "data"
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user is not None:
            account = pwd.getpwnam(self._user)
            os.chown(self.directory, account.pw_uid, account.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, user=self._user, check=True, capture_output=True, text=True, **kwargs)

    def __enter__(self) -> PrivatePostgres:
        try:
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
            self.start()
            schema = subprocess.run(
                [str(self.bin / "pg_dump"), "--schema-only", "--no-owner", "--dbname", self.schema_from],
                check=True, capture_output=True, text=True,
            ).stdout
            self._psql("postgres", f'CREATE DATABASE "{self.database}"')
            self._psql(self.database, schema)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _psql(self, database: str, sql: str) -> None:
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", database],
            input=sql, check=True, capture_output=True, text=True,
        )

    def start(self) -> None:
        """Starts the server and waits until it accepts connections."""
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.directory / "server.log"), "-w", "start")

    def stop(self) -> None:
        """Stops the server at once (``-m fast``): every session is cut."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateRedis:
    """A ``redis-server`` on a free port that keeps nothing on disk (a restart empties it)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="er-faults-redis-"))
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> PrivateRedis:
        self.start()
        return self

    def start(self) -> None:
        """Starts the server and waits until it answers ``PING``."""
        log = open(self.directory / "server.log", "ab")  # noqa: SIM115 - the server's stdout, closed with it
        self._proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        _wait_until(self._answers, 10, f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Kills the server (SIGKILL): every queued and unacknowledged message is gone."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=10)
        self._proc = None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)
