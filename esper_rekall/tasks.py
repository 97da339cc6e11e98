"""Celery tasks of esper_rekall (thin: decode, call the runtime service).

Provides:
    run_query_chunk: ``esper_rekall.run_query_chunk(query_ref, chunk_args,
        collection_id, chunk_index)`` runs one chunk of a stored collection
        on a worker (see :func:`esper_rekall.runtime.jobs.run_chunk`) and
        returns counts, never intervals.

Policy lives in the decorator: ``acks_late`` with
``reject_on_worker_lost`` (a worker killed mid-chunk loses nothing: the
message goes back to the queue and the chunk runs again, replacing its
rows), transient database errors retried with exponential back-off, and a
task that finally fails records the error on its chunk (``on_failure``).
Django connections are closed before and after every task, as
``close_old_connections`` does around a request.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, close_old_connections

from .runtime.celery_pool import TASK_NAME
from .runtime.jobs import run_chunk
from .runtime.saving import error_text

__all__ = ["run_query_chunk"]

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class _ChunkTask(Task):
    """Records a task's final failure on its chunk row."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from .models import ResultChunk, ResultCollection

        try:
            collection_id, index = args[2], args[3]
            close_old_connections()
            ResultChunk.objects.mark_failed(collection_id, index, f"task {task_id} failed: {error_text(exc)}")
            ResultCollection.objects.finalize(collection_id)
        except Exception:  # the database may be what failed
            logger.exception("could not record the failure of task %s", task_id)
        finally:
            close_old_connections()


def _dispatcher(query_ref: dict[str, Any]) -> Any:
    def dispatch(children: list[Any]) -> None:
        for child in children:
            run_query_chunk.apply_async(args=[query_ref, child.arguments, child.collection_id, child.index])

    return dispatch


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
)
def run_query_chunk(
    self: Task, query_ref: dict[str, Any], chunk_args: list[Any], collection_id: int, chunk_index: int
) -> dict[str, Any]:
    """Runs chunk ``chunk_index`` of collection ``collection_id``; returns counts."""
    close_old_connections()
    try:
        return run_chunk(
            query_ref,
            collection_id,
            chunk_index,
            worker=f"{self.request.hostname}:{os.getpid()}",
            dispatch=_dispatcher(query_ref),
            transient=TRANSIENT_ERRORS,
        )
    finally:
        close_old_connections()
