"""Celery tasks of esper_rekall (thin: verify the message, call the runtime service).

Provides:
    run_query_chunk: ``esper_rekall.run_query_chunk(collection_id,
        chunk_index, signature)`` runs one chunk of a stored collection on a
        worker (see :func:`esper_rekall.runtime.jobs.run_chunk`) and returns
        counts, never intervals. The message names only the chunk; the
        query and the arguments are read from the database rows. A message
        of another shape (older versions sent the query reference and the
        arguments) or with a bad signature is refused and nothing runs.

Policy lives in the decorator: ``acks_late`` with
``reject_on_worker_lost`` (a worker killed mid-chunk loses nothing: the
message goes back to the queue and the chunk runs again, replacing its
rows), a soft and a hard time limit per chunk
(``ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT`` raises in the query, so the chunk
is split like any failing one; ``ESPER_REKALL_CHUNK_TIME_LIMIT`` kills the
pool process and ``on_failure`` splits or fails the chunk), transient
database errors retried with exponential back-off. A message for a chunk
another worker holds a live lease on is retried once that lease could
have lapsed. Django connections are closed before and after every task, as
``close_old_connections`` does around a request.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task, shared_task
from celery.exceptions import TimeLimitExceeded
from django.db import InterfaceError, OperationalError, close_old_connections
from django.utils import timezone

from .runtime.celery_pool import TASK_NAME, MessageRefused, chunk_message, verify_chunk_message
from .runtime.jobs import fail_lost_chunk, run_chunk
from .runtime.saving import error_text
from .runtime.supervision import hard_time_limit, soft_time_limit

__all__ = ["run_query_chunk"]

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class _ChunkTask(Task):
    """Splits or fails the chunk of a task killed at its hard time limit; logs other final failures."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        try:
            collection_id, index = verify_chunk_message(args, kwargs)
        except MessageRefused:
            return  # nothing trustworthy to record it on
        try:
            close_old_connections()
            reason = (
                f"killed at ESPER_REKALL_CHUNK_TIME_LIMIT={hard_time_limit()} s"
                if isinstance(exc, TimeLimitExceeded)
                else f"task {task_id} failed: {error_text(exc)}"
            )
            fail_lost_chunk(collection_id, index, reason, _dispatch_children)
        except Exception:  # the database may be what failed
            logger.exception("could not record the failure of task %s", task_id)
        finally:
            close_old_connections()


def _dispatch_children(children: list[Any]) -> None:
    for child in children:
        run_query_chunk.apply_async(args=chunk_message(child.collection_id, child.index))


@shared_task(
    base=_ChunkTask,
    bind=True,
    name=TASK_NAME,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=soft_time_limit(),
    time_limit=hard_time_limit(),
)
def run_query_chunk(self: Task, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Runs the chunk a signed message names; returns counts (or why it was refused)."""
    try:
        collection_id, index = verify_chunk_message(args, kwargs)
    except MessageRefused as refusal:
        logger.error("%s", refusal)
        return {"state": "refused", "error": str(refusal)}
    close_old_connections()
    try:
        outcome = run_chunk(
            collection_id,
            index,
            worker=f"{self.request.hostname}:{os.getpid()}",
            dispatch=_dispatch_children,
            transient=TRANSIENT_ERRORS,
        )
    finally:
        close_old_connections()
    if outcome["state"] == "busy":
        # Another worker holds a live lease: look again once it could have
        # lapsed. Such waits are not failures, so they do not use up retries.
        wait = max(1.0, (outcome.pop("lease_expires") - timezone.now()).total_seconds() + 0.5)
        raise self.retry(countdown=wait, max_retries=self.request.retries + 1)
    return outcome
