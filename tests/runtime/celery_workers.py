"""Real Celery worker subprocesses for the tests (no eager mode, no mocks).

``Workers`` starts ``celery -A project worker`` processes against the pytest
test database (``DATABASE_URL`` names it, so workers see committed rows) and
the test broker, waits until each answers a ping, and kills them (process
group, SIGTERM then SIGKILL) when asked or at teardown.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]


def worker_env(database: str, broker: str, flag_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of test workers: this process's key, short limits and leases, the flag directory.

    Lost messages come back within ~4 s (visibility timeout 3 s), a claim
    lapses 2 s after its worker stops renewing it, a chunk is cut after 3 s
    (soft) and killed after 5 s (hard).
    """
    from django.conf import settings

    return {
        **os.environ,
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "SECRET_KEY": settings.SECRET_KEY,
        # The test process may run with the development key: declare development.
        "ESPER_REKALL_ALLOW_DEV_KEY": "1",
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "ESPER_REKALL_MAX_CHUNK_ATTEMPTS": "2",
        "ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT": "3",
        "ESPER_REKALL_CHUNK_TIME_LIMIT": "5",
        "ESPER_REKALL_CHUNK_LEASE": "2",
        "ESPER_REKALL_TEST_FLAGS": str(flag_dir),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def database_url() -> str:
    """A ``DATABASE_URL`` for the database this process's default connection uses (the test database)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError(f"other processes can only share a PostgreSQL test database, not {connection.vendor}")
    auth = quote(s.get("USER") or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class Workers:
    """Starts and kills named worker subprocesses."""

    def __init__(self, app: Any, env: dict[str, str], log_dir: Path) -> None:
        self.app = app
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, concurrency: int = 2, timeout: float = 30.0) -> subprocess.Popen[bytes]:
        node = f"{name}@{socket.gethostname()}"
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "project", "worker", "-l", "warning",
                    "-c", str(concurrency), "-P", "prefork", "-n", node,
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.procs[name] = proc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker {name} exited with {proc.returncode}; see {log_path}")
            if self.app.control.ping(destination=[node], timeout=0.5):
                return proc
        self.kill(name)
        raise RuntimeError(f"worker {name} did not answer a ping within {timeout} s; see {log_path}")

    def owner_of(self, pid: int) -> str | None:
        """The name of the worker whose process group holds ``pid``."""
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            return None
        for name, proc in self.procs.items():
            if proc.poll() is None and proc.pid == pgid:
                return name
        return None

    def kill(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if sig == signal.SIGKILL:
            return
        try:  # pool children left behind by a worker that died first
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def kill_all(self) -> None:
        for name in list(self.procs):
            self.kill(name)
