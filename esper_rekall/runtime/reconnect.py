"""Database calls of a long-lived driver that outlive a PostgreSQL restart.

Provides:
    with_reconnect: calls a function; if the database connection is lost
        (``InterfaceError``, ``OperationalError``: "connection already
        closed", "server closed the connection", "connection refused" while
        the server restarts), closes the dead Django connection and calls it
        again after a growing pause, for at most ``RECONNECT_BUDGET`` seconds.

Why: Django reconnects only at request boundaries; a driver that follows a
run for hours has no requests, so after a restart every query on its
connection fails with "connection already closed" until it is closed by
hand. The functions retried must be safe to repeat (reads, and idempotent
writes such as finalizing a collection or expiring leases).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["RECONNECT_BUDGET", "with_reconnect"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a driver keeps trying to reach its database before giving up.
RECONNECT_BUDGET = 60.0
_FIRST_PAUSE = 0.1
_LONGEST_PAUSE = 5.0


def with_reconnect(fn: Callable[[], T], what: str, budget: float = RECONNECT_BUDGET) -> T:
    """``fn()``, called again on a fresh connection while the database is unreachable.

    Args:
        fn: A call that is safe to repeat.
        what: What ``fn`` does, for the log ("read the chunk rows").
        budget: Seconds after the first failure before the last error is
            raised.

    Raises:
        InterfaceError, OperationalError: The last error, if the database
            could not be reached within ``budget`` seconds.
    """
    from django.db import InterfaceError, OperationalError, connection

    deadline: float | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            return fn()
        except (InterfaceError, OperationalError) as error:
            if connection.in_atomic_block:
                raise  # the transaction is lost with the connection: only its owner can redo it
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + budget
            if now >= deadline:
                raise
            logger.warning("cannot %s (%s); reconnecting in %.1f s", what, str(error).strip(), pause)
            _close(connection)
            time.sleep(min(pause, max(0.0, deadline - now)))
            pause = min(_LONGEST_PAUSE, pause * 2)


def _close(connection: object) -> None:
    """Drops the Django connection (the next query opens a new one), ignoring a dead socket's errors."""
    from django.db import DatabaseError

    try:
        connection.close()  # type: ignore[attr-defined]
    except DatabaseError:
        pass
