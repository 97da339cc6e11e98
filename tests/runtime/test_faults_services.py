"""The Celery driver under restarts of its own PostgreSQL and Redis.

Each test starts private servers (``tests.runtime.services``), two Celery
workers and a driver subprocess (``tests.runtime.drive``) on them, restarts
a server once the first chunk is done (polled, not slept: the restart lands
mid-run; Redis is also left down past the driver's re-send bound), and ends
with the driver exiting 0 and the stored collection equal to an inline run,
video by video.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError, connection

from esper_rekall.models import ResultChunk
from tests.runtime.celery_workers import Workers, database_url, worker_env
from tests.runtime.drive import assert_stored_equals_inline, start_driver
from tests.runtime.services import PrivatePostgres, PrivateRedis, missing_programs
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.celery,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(missing_programs() is not None, reason=str(missing_programs())),
]

IDS = list(range(1, 17))
CHUNKSIZE = 2
NUM_CHUNKS = len(IDS) // CHUNKSIZE
#: ``ESPER_REKALL_CHUNK_RESEND_AFTER`` of the Redis tests' driver, in seconds.
RESEND_AFTER = 2


def chunks_done(name: str) -> int:
    """Done chunks of collection ``name``; 0 while the database is unreachable."""
    try:
        return ResultChunk.objects.filter(collection__name=name, state="done").count()
    except DatabaseError:
        connection.close()
        return 0


@contextmanager
def two_workers(app: Any, env: dict[str, str], log_dir: Path) -> Iterator[Workers]:
    """Two workers of one process each (so the chunks of a run take several rounds), killed at exit."""
    workers = Workers(app, env, log_dir)
    try:
        for name in ("a", "b"):
            workers.start(name, concurrency=1)
        yield workers
    finally:
        workers.kill_all()


def wait_for_a_first_chunk(name: str, driver: subprocess.Popen[str]) -> None:
    """Returns once a chunk of ``name`` is done; kills the driver and shows its output if none is within 30 s."""
    try:
        wait_for(lambda: chunks_done(name), 30, f"a first chunk of {name!r}")
    except AssertionError as error:
        driver.kill()
        raise AssertionError(f"{error}; the driver said:\n{driver.communicate()[0]}") from None


def finish(driver: subprocess.Popen[str]) -> str:
    """The driver's output once it exits, which it must do with status 0 within a minute (else it is killed)."""
    try:
        output, _ = driver.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        driver.kill()
        raise AssertionError(f"the driver did not finish within 60 s; it said:\n{driver.communicate()[0]}") from None
    assert driver.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def private_postgres(django_db_setup: None, django_db_blocker: Any) -> Iterator[PrivatePostgres]:
    with django_db_blocker.unblock():
        schema = database_url()
    with PrivatePostgres("faults", schema_from=schema) as server:
        yield server


@pytest.fixture
def on_private_postgres(private_postgres: PrivatePostgres, django_db_blocker: Any) -> Iterator[PrivatePostgres]:
    """This process's default database is the private cluster during the test."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(NAME=private_postgres.database, HOST="127.0.0.1", PORT=str(private_postgres.port))
    try:
        with django_db_blocker.unblock():
            yield private_postgres
            connection.close()
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.fixture
def private_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateRedis]:
    """A Redis of the test's own; Celery apps made meanwhile use it (the environment wins over ``broker=``)."""
    with PrivateRedis() as server:
        monkeypatch.setenv("CELERY_BROKER_URL", server.url)
        yield server


def test_the_driver_and_workers_survive_a_postgres_restart_mid_run(
    on_private_postgres: PrivatePostgres, flag_dir: Path, tmp_path: Path
) -> None:
    from project.celery import app

    env = worker_env(on_private_postgres.url, settings.CELERY_BROKER_URL, flag_dir)
    app.control.purge()
    (flag_dir / "pause").touch()
    with two_workers(app, env, tmp_path), start_driver("pg-restart", "celery", env, IDS, CHUNKSIZE) as driver:
        wait_for_a_first_chunk("pg-restart", driver)
        assert chunks_done("pg-restart") < NUM_CHUNKS
        on_private_postgres.restart()
        connection.close()
        output = finish(driver)
    assert "reconnecting" in output and "status: done" in output
    assert_stored_equals_inline("pg-restart", IDS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("down_for", [0, 2 * RESEND_AFTER], ids=["restarted", "down-past-the-resend-bound"])
def test_the_driver_resends_the_chunks_a_redis_restart_lost(
    private_redis: PrivateRedis, flag_dir: Path, tmp_path: Path, down_for: float
) -> None:
    from celery import Celery

    env = worker_env(database_url(), private_redis.url, flag_dir, ESPER_REKALL_CHUNK_RESEND_AFTER=str(RESEND_AFTER))
    app = Celery("faults", set_as_current=False)  # only pings the workers, on the private broker
    (flag_dir / "pause").touch()
    with app, two_workers(app, env, tmp_path), start_driver("redis-restart", "celery", env, IDS, CHUNKSIZE) as driver:
        wait_for_a_first_chunk("redis-restart", driver)
        private_redis.kill()
        time.sleep(down_for)  # the outage itself: re-sends fail meanwhile and are tried again
        private_redis.start()
        assert ResultChunk.objects.filter(collection__name="redis-restart", state="pending").exists()
        output = finish(driver)
    assert "re-sending chunk" in output and "status: done" in output
    assert_stored_equals_inline("redis-restart", IDS)
