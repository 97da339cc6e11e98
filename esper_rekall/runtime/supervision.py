"""Time limits and leases of running chunks.

Provides:
    ChunkTimeLimitExceeded: raised inside a query that ran past the soft
        limit (inline and process pools; Celery raises its own
        ``SoftTimeLimitExceeded``), and the error of a chunk whose process
        was killed at the hard limit.
    soft_time_limit, hard_time_limit, lease_seconds, resend_after_seconds:
        the configured limits (``ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT``,
        ``..._CHUNK_TIME_LIMIT``, ``..._CHUNK_LEASE``,
        ``..._CHUNK_RESEND_AFTER``) in seconds, ``None`` for no limit.
    soft_limit: a context manager raising ``ChunkTimeLimitExceeded`` in the
        block after some seconds (``SIGALRM``; main thread only).
    LeaseKeeper: a thread renewing the leases one worker holds on the
        chunks of a collection while the block runs.

Why leases: a chunk is claimed by writing ``running`` on its row; if the
process that claimed it dies, nothing else would ever write that row
again. The claimant therefore renews ``lease_expires`` every third of the
lease; a ``running`` chunk whose lease lapsed is ``interrupted`` and is
claimed again (by a re-sent or redelivered message, or a resume).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "ChunkTimeLimitExceeded",
    "LeaseKeeper",
    "hard_time_limit",
    "lease_seconds",
    "resend_after_seconds",
    "soft_limit",
    "soft_time_limit",
]

logger = logging.getLogger(__name__)


class ChunkTimeLimitExceeded(Exception):
    """A chunk ran past its time limit."""


def _positive(value: Any) -> float | None:
    return float(value) if value is not None and float(value) > 0 else None


def soft_time_limit() -> float | None:
    """``ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT`` in seconds; ``None`` (or <= 0) is no limit."""
    from ..conf import settings

    return _positive(settings.CHUNK_SOFT_TIME_LIMIT)


def hard_time_limit() -> float | None:
    """``ESPER_REKALL_CHUNK_TIME_LIMIT`` in seconds; ``None`` (or <= 0) is no limit."""
    from ..conf import settings

    return _positive(settings.CHUNK_TIME_LIMIT)


def lease_seconds() -> float:
    """``ESPER_REKALL_CHUNK_LEASE``: how long a claim lasts without a heartbeat."""
    from ..conf import settings

    lease = _positive(settings.CHUNK_LEASE)
    if lease is None:
        raise ValueError(f"ESPER_REKALL_CHUNK_LEASE must be a positive number of seconds, got {settings.CHUNK_LEASE!r}")
    return lease


def resend_after_seconds() -> float:
    """``ESPER_REKALL_CHUNK_RESEND_AFTER``: how long a Celery chunk may stay pending before its message is sent again."""
    from ..conf import settings

    bound = _positive(settings.CHUNK_RESEND_AFTER)
    if bound is None:
        raise ValueError(
            f"ESPER_REKALL_CHUNK_RESEND_AFTER must be a positive number of seconds, got {settings.CHUNK_RESEND_AFTER!r}"
        )
    return bound


def _raise_time_limit(signum: int, frame: Any) -> None:
    raise ChunkTimeLimitExceeded("the chunk ran past ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT")


@contextmanager
def soft_limit(seconds: float | None) -> Iterator[None]:
    """Raises ``ChunkTimeLimitExceeded`` inside the block once ``seconds`` have passed.

    Uses ``SIGALRM`` (``setitimer``), so it applies only in the main thread
    of a process whose ``SIGALRM`` is unused; elsewhere, or with
    ``seconds=None``, the block runs unlimited.
    """
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
    )
    if not usable:
        yield
        return
    signal.signal(signal.SIGALRM, _raise_time_limit)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


class LeaseKeeper:
    """Renews, every third of the lease, the leases ``worker`` holds in a collection.

    Used as a context manager around running chunks: by a Celery task
    around its chunk (``index``), by an inline or process driver around all
    the chunks it dispatched. The thread uses its own database connection
    and closes it when it stops; a failed renewal (database restarting) is
    logged and tried again at the next beat.

    Args:
        collection_id: The collection.
        worker: The name the chunks were claimed with.
        lease: The lease in seconds.
        index: Only this chunk (default: every chunk ``worker`` runs).
    """

    def __init__(self, collection_id: int, worker: str, lease: float, index: int | None = None) -> None:
        self.collection_id = collection_id
        self.worker = worker
        self.lease = lease
        self.index = index
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{collection_id}", daemon=True)

    def _beat(self) -> None:
        from django.db import connection

        from ..models import ResultChunk

        try:
            while not self._stop.wait(self.lease / 3):
                try:
                    ResultChunk.objects.renew_leases(
                        self.collection_id, worker=self.worker, lease=self.lease, index=self.index
                    )
                except Exception:
                    logger.warning("could not renew the leases of %s", self.worker, exc_info=True)
                    connection.close()
        finally:
            connection.close()

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
