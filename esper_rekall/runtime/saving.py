"""Runs whose chunk results are stored as they arrive (``save_as``).

Provides:
    PartialTaskFailure: a ``TaskException`` for a chunk that was split and
        whose arguments partly failed: ``task_args`` are the failed ones,
        ``partial`` the combined result of the others.
    ChunkError: the error recorded for a failed chunk (its text as stored).
    ChunkDispatcher: the protocol of pools that take stored chunks
        (``map_chunks(indices, done_callback)``); ``CeleryPool`` is one.
    StoringPool: a ``ChunkDispatcher`` whose workers store every chunk
        themselves, bound to its collection by ``start`` (``CeleryPool``).
    StoringPoolFactory: the ``WorkerPoolFactory`` of ``StoringPool``s; a
        ``Runtime`` made with one stores every run.
    LocalChunkDispatcher: the same over any ``WorkerPool``: each chunk's
        result is written by the process pool's worker that ran it (by the
        parent for the inline pool, or when the parent is inside a
        transaction the workers could not see), and a failing
        multi-argument chunk is split and its arguments rerun one at a time.
    error_text: the one-paragraph description of an exception stored in a
        chunk's ``error``.

A stored run's chunk rows (``ResultChunk``) are the source of truth: a
chunk is ``done`` only once its intervals are written, in the same
transaction.
"""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..intervals import payload_codec
from .errors import TaskException
from .pools import AsyncTaskResult, DoneCallback, QueryFunction, WorkerPool
from .split_policy import fail_or_split
from .supervision import LeaseKeeper, lease_seconds

__all__ = [
    "ChunkDispatcher",
    "ChunkError",
    "LocalChunkDispatcher",
    "PartialTaskFailure",
    "StoringPool",
    "StoringPoolFactory",
    "error_text",
    "local_worker_name",
]


class ChunkError(Exception):
    """A chunk failed; the message is the error recorded for it."""


class PartialTaskFailure(TaskException):
    """Some arguments of a split chunk failed, the others succeeded.

    Attributes:
        task_args: The arguments that failed.
        partial: The union of the results of the arguments that succeeded
            (``None`` if none did).
        errors: ``{argument index in task_args: error text}``.
    """

    def __init__(self, task_args: Sequence[Any], partial: Any, errors: Sequence[str]) -> None:
        super().__init__(task_args)
        self.partial = partial
        self.errors = list(errors)

    def __str__(self) -> str:
        return f"arguments {self.task_args!r} failed: {self.errors!r}"


class ChunkDispatcher(Protocol):
    """Dispatches stored chunks of one collection."""

    collection_id: int

    def map_chunks(
        self, indices: Sequence[int], done_callback: DoneCallback, *, want_results: bool = True
    ) -> list[AsyncTaskResult]:
        """Starts the chunks at ``indices``; each future's ``get()`` returns its result.

        With ``want_results=False`` ``get()`` returns ``None`` once the
        chunk is settled (failures still raise), and no intervals travel
        back to this process.
        """
        ...

    def shut_down(self) -> None:
        """Releases the pool."""
        ...


class StoringPool(ChunkDispatcher, Protocol):
    """A pool whose workers write each chunk's result to the database themselves."""

    def start(self, collection_id: int) -> None:
        """Binds the pool to the collection whose chunks it runs."""
        ...


@dataclass(frozen=True)
class StoringPoolFactory:
    """A ``WorkerPoolFactory`` whose pools store every chunk (Celery's).

    A ``Runtime`` made with one runs every query as a stored run and loads
    the results back from the database; the runtime tells it from a plain
    factory by this type.

    Attributes:
        make: Makes the pool for a query function.
    """

    make: Callable[[QueryFunction], StoringPool]

    def __call__(self, fn: QueryFunction) -> StoringPool:
        return self.make(fn)


def error_text(error: BaseException) -> str:
    """``"Type: message"`` plus where it was raised, for a chunk's ``error``."""
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    if frames:
        last = frames[-1]
        text += f" (raised at {last.filename}:{last.lineno} in {last.name})"
    cause = error.__cause__
    if cause is not None and not isinstance(error, ChunkError):
        text += f"; caused by {error_text(cause)}"
    return text


def local_worker_name() -> str:
    """How a parent process that runs or writes chunks names itself."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _union(results: list[Any]) -> Any:
    out = None
    for r in results:
        if r is not None:
            out = r if out is None else out.union(r)
    return out


class _LocalChunkResult:
    """A chunk run on a local pool; ``get()`` writes its result (once)."""

    def __init__(
        self,
        dispatcher: LocalChunkDispatcher,
        index: int,
        args: list[Any],
        future: AsyncTaskResult,
        *,
        written: bool = False,
        want_results: bool = True,
    ):
        self._dispatcher = dispatcher
        self._index = index
        self._args = args
        self._future = future
        self._written = written  # the worker writes the chunk itself
        self._want_results = want_results
        self._outcome: tuple[bool, Any] | None = None

    def done(self) -> bool:
        return self._outcome is not None or self._future.done()

    def get(self) -> Any:
        if self._outcome is None:
            self._outcome = self._settle()
        ok, value = self._outcome
        if ok:
            return value
        raise value

    def _settle(self) -> tuple[bool, Any]:
        from ..models import ResultChunk
        from ..storage import write_chunk

        d = self._dispatcher
        if getattr(self._future, "pending_start", False):
            # Dispatch marked every chunk running at once; this one starts now.
            ResultChunk.objects.mark_started(d.collection_id, self._index)
        try:
            result = self._future.get()
            if not self._written:
                write_chunk(d.collection_id, self._index, result)
        except (TaskException, TypeError) as failure:
            error = failure.__cause__ if isinstance(failure, TaskException) and failure.__cause__ else failure
            text = error_text(error)
            outcome = fail_or_split(d.collection_id, self._index, self._args, text)
            if outcome.state == ResultChunk.State.SPLIT:
                return self._run_children(outcome.children)
            exc = TaskException(self._args)
            exc.__cause__ = ChunkError(text)
            return False, exc
        return True, (result if self._want_results else None)

    def _run_children(self, children: list[Any]) -> tuple[bool, Any]:
        """Runs the children of this split chunk on the same pool; their union, or which arguments failed."""
        d = self._dispatcher
        futures = d.map_chunks(
            [c.index for c in children], d.callback, children=children, want_results=self._want_results
        )
        results, failed, errors = [], [], []
        for child, future in zip(children, futures):
            try:
                results.append(future.get())
            except TaskException as error:
                failed.extend(payload_codec.decode(child.arguments))
                errors.append(str(error.__cause__ or error))
        if not failed:
            return True, _union(results)
        exc = PartialTaskFailure(failed, _union(results), errors)
        exc.__cause__ = ChunkError("; ".join(errors))
        return False, exc


class LocalChunkDispatcher:
    """Runs stored chunks on a ``WorkerPool`` and writes their results.

    Each chunk is marked ``running`` when dispatched, with a lease that a
    ``LeaseKeeper`` thread of this driver renews until ``shut_down``: if
    the driver dies, its chunks become ``interrupted`` instead of
    ``running`` forever, and resume runs them again. A pool that can write
    chunks itself (``map_stored``: the process pools) has each worker
    write the chunk it ran, with the same ``storage.write_chunk`` as Celery
    workers, so encoding and inserting run in parallel and the intervals
    are sent back only when the caller wants them. Otherwise (the inline
    pool, or a parent inside a transaction that the workers' connections
    could not see) the result is written when the future's ``get()`` is
    called. If the query raised or the result could not be encoded, a
    multi-argument chunk is split and each argument rerun on the same
    pool, while a one-argument chunk is marked ``failed``
    (``split_policy.fail_or_split``, as on Celery).

    Args:
        pool: The pool made for the query.
        collection_id: The collection whose chunks run.
        chunk_args: ``{index: arguments}`` of the chunks (decoded).
    """

    def __init__(self, pool: WorkerPool, collection_id: int, chunk_args: dict[int, list[Any]]) -> None:
        self.pool = pool
        self.collection_id = collection_id
        self.chunk_args = dict(chunk_args)
        self.callback: DoneCallback = lambda task_args, err=None: None
        self._worker = local_worker_name()
        self._lease = lease_seconds()
        self._keeper: LeaseKeeper | None = None

    def map_chunks(
        self,
        indices: Sequence[int],
        done_callback: DoneCallback,
        *,
        children: Sequence[Any] = (),
        want_results: bool = True,
    ) -> list[AsyncTaskResult]:
        from ..models import ResultChunk

        self.callback = done_callback
        for child in children:
            self.chunk_args[child.index] = payload_codec.decode(child.arguments)
        indices = list(indices)
        if not indices:
            return []
        ResultChunk.objects.mark_running(self.collection_id, indices, worker=self._worker, lease=self._lease)
        if self._keeper is None and self._workers_see_the_collection(sqlite_too=True):
            self._keeper = LeaseKeeper(self.collection_id, self._worker, self._lease).__enter__()
        tasks = [list(self.chunk_args[i]) for i in indices]

        def callback(task_args: Sequence[Any], err: BaseException | None = None) -> None:
            # A failing multi-argument chunk is split; its arguments report.
            if err is None or len(task_args) <= 1:
                done_callback(task_args, err)

        map_stored = getattr(self.pool, "map_stored", None)
        if map_stored is not None and self._workers_see_the_collection():
            chunks = [(self.collection_id, i) for i in indices]
            futures = map_stored(tasks, chunks, callback, want_results=want_results)
            written = True
        else:
            futures = self.pool.map(tasks, callback)
            written = False
        return [
            _LocalChunkResult(self, i, t, f, written=written, want_results=want_results)
            for i, t, f in zip(indices, tasks, futures)
        ]

    @staticmethod
    def _workers_see_the_collection(sqlite_too: bool = False) -> bool:
        """Whether other connections (worker processes, the lease thread) can write the chunk rows.

        Not inside a transaction (its rows are invisible to other
        connections until it commits), and, for worker processes, not on
        SQLite (it admits one writer at a time, so concurrent workers fail
        with "database is locked"; an in-memory database cannot be opened
        by other processes at all): then the parent writes the chunks.
        ``sqlite_too`` asks for one more connection of this process (the
        lease thread), which SQLite serves.
        """
        from django.db import connection

        return not connection.in_atomic_block and (sqlite_too or connection.vendor != "sqlite")

    def shut_down(self) -> None:
        try:
            self.pool.shut_down()
        finally:
            if self._keeper is not None:
                self._keeper.__exit__(None, None, None)
                self._keeper = None
