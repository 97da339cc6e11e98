"""``with_reconnect`` against real lost PostgreSQL connections (a terminated backend, a closed port)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg2
import pytest
from django.db import OperationalError, connection

from esper_rekall.runtime.reconnect import with_reconnect
from tests.runtime.services import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def terminate(pid: int) -> None:
    """Ends backend ``pid`` from another session, as a server restart ends every session."""
    s = connection.settings_dict
    other = psycopg2.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"] or 5432)
    try:
        with other, other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.fixture
def unreachable_database() -> Iterator[None]:
    """The default connection points at a port nobody listens on during the test."""
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


def test_a_call_on_a_terminated_connection_is_repeated_on_a_new_one() -> None:
    old = backend_pid()
    terminate(old)
    new = with_reconnect(backend_pid, "read the backend pid")
    assert new != old


def test_without_it_the_terminated_connection_fails() -> None:
    terminate(backend_pid())
    with pytest.raises(OperationalError):
        backend_pid()
    connection.close()


def test_it_gives_up_with_the_last_error_after_its_budget(unreachable_database: None) -> None:
    started = time.monotonic()
    with pytest.raises(OperationalError, match="Connection refused|could not connect"):
        with_reconnect(backend_pid, "read the backend pid", budget=0.5)
    assert 0.5 <= time.monotonic() - started < 5
