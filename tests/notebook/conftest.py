"""Fixtures of the notebook tests: an IPython cluster, a Celery worker, headless Chromium.

- ``ipcluster``: ``ipcluster start -n 2`` once per session, with its own
  profile directory and cluster id, engines working in the repository root
  with ``DJANGO_SETTINGS_MODULE`` and ``DATABASE_URL`` of the test database;
  stopped (``ipcluster stop``) at the end of the session.
- ``celery_worker_process``: ``celery -A project worker`` as a subprocess on
  the test database and broker, for one test module.
- ``chrome``: a headless Chromium driven by selenium, once per session.

Processes started here are only ever stopped by their own pid or through
their own ``ipcluster stop``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import in_ci, start_chromium
from tests.runtime.celery_workers import Workers, database_url

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_PACKAGES = ("ipyparallel", "ipykernel", "nbclient", "nbformat")
VENV_BIN = Path(sys.executable).parent
CLUSTER_ENGINES = 2
CLUSTER_TIMEOUT = 90


def require_notebook_packages() -> None:
    """Skip the calling module when requirements-notebook.txt is not installed (fail under ``CI=true``)."""
    missing = [name for name in NOTEBOOK_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        message = f"needs {', '.join(missing)}: pip install -r requirements-notebook.txt"
        if in_ci():
            pytest.fail(message + "; CI=true, so the notebook tests must run", pytrace=False)
        pytest.skip(message, allow_module_level=True)


def subprocess_env(**extra: str) -> dict[str, str]:
    """This environment plus the settings module, the repository on the path and the test database."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "project.settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["DATABASE_URL"] = database_url()
    # The tests run with the development SECRET_KEY: declare a development machine, or workers refuse it.
    env["ESPER_REKALL_ALLOW_DEV_KEY"] = "1"
    env.update(extra)
    return env


@dataclass(frozen=True)
class Cluster:
    """How to connect to the session's IPython cluster."""

    profile_dir: str
    cluster_id: str
    engines: int

    def client(self) -> Any:
        """A connected ``ipyparallel.Client`` (close it when done)."""
        import ipyparallel

        client = ipyparallel.Client(profile_dir=self.profile_dir, cluster_id=self.cluster_id, timeout=CLUSTER_TIMEOUT)
        client.wait_for_engines(self.engines, timeout=CLUSTER_TIMEOUT)
        return client


def _ipcluster(*args: str, env: dict[str, str], log: Path) -> subprocess.CompletedProcess[bytes]:
    with log.open("ab") as out:
        return subprocess.run(
            [str(VENV_BIN / "ipcluster"), *args], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=CLUSTER_TIMEOUT
        )


@pytest.fixture(scope="session")
def ipcluster(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """An IPython cluster of two engines on the test database, for the whole session."""
    require_notebook_packages()
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the engines need a database they can share: PostgreSQL")
    base = tmp_path_factory.mktemp("ipcluster")
    profile_dir = str(base / "profile")
    cluster_id = f"esper-rekall-test-{uuid.uuid4().hex[:8]}"
    log = base / "ipcluster.log"
    with django_db_blocker.unblock():
        env = subprocess_env()
    started = _ipcluster(
        "start", f"-n={CLUSTER_ENGINES}", f"--profile-dir={profile_dir}", f"--cluster-id={cluster_id}",
        f"--work-dir={REPO}", "--daemonize", env=env, log=log,
    )
    cluster = Cluster(profile_dir, cluster_id, CLUSTER_ENGINES)
    try:
        if started.returncode != 0:
            raise RuntimeError(f"ipcluster start failed ({started.returncode}):\n{log.read_text()}")
        client = cluster.client()  # waits for the engines
        client.close()
        yield cluster
    finally:
        _ipcluster("stop", f"--profile-dir={profile_dir}", f"--cluster-id={cluster_id}", env=env, log=log)


@pytest.fixture
def cluster_client(ipcluster: Cluster) -> Iterator[Any]:
    """A client of the session's cluster, closed after the test."""
    client = ipcluster.client()
    try:
        yield client
    finally:
        client.close()


@dataclass(frozen=True)
class CeleryWorker:
    """The worker subprocess and the broker it serves."""

    pid: int
    broker_url: str


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryWorker]:
    """``celery -A project worker`` on the test database and broker, for one test module.

    Module-scoped: a worker left running would take the tasks of other
    modules' workers from the shared queue (with this module's environment).
    Started and killed by the runtime tests' ``Workers`` (tests/runtime/celery_workers.py).
    """
    from django.conf import settings
    from django.db import connection

    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a Celery broker: set CELERY_BROKER_URL")
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs a database it can share: PostgreSQL")
    log_dir = tmp_path_factory.mktemp("celery")
    with django_db_blocker.unblock():
        env = subprocess_env(CELERY_BROKER_URL=settings.CELERY_BROKER_URL)
    from project.celery import app

    workers = Workers(app, env, log_dir)
    try:
        proc = workers.start(f"notebook-tests-{uuid.uuid4().hex[:8]}", concurrency=2)
        yield CeleryWorker(proc.pid, settings.CELERY_BROKER_URL)
    finally:
        workers.kill_all()


@pytest.fixture(scope="session")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium (selenium) with a fresh profile, for the session.

    Same binaries and rules as tests/browser (``CHROMIUM_BINARY`` /
    ``CHROMEDRIVER``; skipped when missing, except under ``CI=true``), without
    its Django live server: these pages are files.
    """
    driver = start_chromium(tmp_path_factory.mktemp("chrome-profile"))
    try:
        yield driver
    finally:
        driver.quit()
