"""The Celery worker pool: chunks run as tasks on any number of machines.

Provides:
    CeleryPool: dispatches the chunks of a stored collection as
        ``esper_rekall.run_query_chunk`` tasks and follows their progress in
        the chunk rows (never in Celery results or chords).
    BrokerUnavailable: the broker cannot be reached (raised at submission,
        within a couple of seconds, instead of hanging).
    celery_pool_factory: the ``WorkerPoolFactory`` of ``Runtime.celery()``.

A task message is JSON: the query's ``QueryRef.to_json()`` (a dotted path,
or a cloudpickle signed with ``SECRET_KEY``), the chunk's arguments
(payload-codec encoded), the collection id and the chunk index. The worker
writes the chunk's intervals to the database and returns counts; the
parent loads a chunk's intervals back from the database when the chunk row
says it is done. Chunks that a worker split (after repeated failures) are
followed through their child chunks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..intervals import payload_codec
from .errors import TaskException
from .pools import AsyncTaskResult, DoneCallback, QueryFunction
from .query_ref import QueryRef
from .saving import ChunkError, PartialTaskFailure

__all__ = ["TASK_NAME", "BrokerUnavailable", "CeleryPool", "celery_pool_factory"]

#: The name of the task that runs one chunk.
TASK_NAME = "esper_rekall.run_query_chunk"

_TERMINAL = ("done", "failed", "split")
_MIN_POLL = 0.02


class BrokerUnavailable(RuntimeError):
    """The Celery broker is not configured or cannot be reached."""


def _check_broker(app: Any, timeout: float) -> None:
    from django.conf import settings

    url = getattr(settings, "CELERY_BROKER_URL", None)
    if not url:
        raise BrokerUnavailable(
            "no Celery broker is configured: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) "
            "or use the inline / process runtime"
        )
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception as error:
        raise BrokerUnavailable(
            f"cannot reach the Celery broker at {_safe_url(url)}: {error}. "
            "Is Redis running, and is CELERY_BROKER_URL right?"
        ) from error


def _safe_url(url: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(url)


class _CeleryChunkResult:
    """The future of one dispatched chunk, settled from the chunk rows."""

    def __init__(self, pool: CeleryPool, index: int, want_result: bool = True) -> None:
        self._pool = pool
        self._index = index
        self._want_result = want_result

    def done(self) -> bool:
        self._pool.refresh()
        return self._pool._settled(self._index)

    def get(self) -> Any:
        delay = _MIN_POLL
        while not self.done():
            time.sleep(delay)
            delay = min(self._pool.poll_interval, delay * 2)
        return self._pool._outcome(self._index, load=self._want_result)


class CeleryPool:
    """Runs the chunks of a stored collection as Celery tasks.

    Made for one query by ``Runtime.celery()`` (through
    ``celery_pool_factory``); the runtime binds it to the collection it
    creates (``start``) and dispatches chunks with ``map_chunks``. It checks
    the broker when made, so a broker that is down fails before anything
    is written. ``shut_down`` leaves dispatched tasks running on the
    workers: their chunks still land in the collection.

    Args:
        fn: The query; it travels as a ``QueryRef`` (dotted path, or a
            cloudpickle signed with ``settings.SECRET_KEY``).
        app: The Celery app; defaults to the current app (the project's).
        poll_interval: Longest wait between two reads of the chunk rows, in
            seconds.
        connect_timeout: Seconds to wait for the broker when checking it.

    Raises:
        BrokerUnavailable: If no broker is configured or it cannot be reached.
    """

    stores_results = True

    def __init__(
        self,
        fn: QueryFunction,
        *,
        app: Any = None,
        poll_interval: float = 0.25,
        connect_timeout: float = 2.0,
    ) -> None:
        if app is None:
            from celery import current_app

            app = current_app
        self.app = app
        self.fn = fn
        self.ref_json = QueryRef.from_function(fn).to_json()
        self.poll_interval = poll_interval
        self.collection_id: int | None = None
        self.dispatched: list[int] = []
        self._args: dict[int, list[Any]] = {}
        self._watch: set[int] = set()
        self._rows: dict[int, tuple[str, str]] = {}
        self._children: dict[int, list[int]] = {}
        self._callback: DoneCallback | None = None
        self._last_refresh = 0.0
        _check_broker(app, connect_timeout)

    def __repr__(self) -> str:
        return f"CeleryPool({self.ref_json!r}, collection={self.collection_id})"

    def start(self, collection_id: int) -> None:
        """Binds this pool to the collection whose chunks it dispatches.

        Raises:
            RuntimeError: If called inside a database transaction: workers
                could not see the collection's rows until it commits.
        """
        from django.db import connection

        if connection.in_atomic_block:
            raise RuntimeError(
                "a Celery run cannot start inside a database transaction: the workers would not "
                "see its collection; call it outside transaction.atomic()"
            )
        self.collection_id = collection_id

    def map(self, tasks: Sequence[list[Any]], done_callback: DoneCallback) -> list[AsyncTaskResult]:
        raise TypeError(
            "a CeleryPool runs the chunks of a stored collection: use it through Runtime.celery() "
            "(run / get_result_iterator), not pool.map"
        )

    def map_chunks(
        self, indices: Sequence[int], done_callback: DoneCallback, *, want_results: bool = True
    ) -> list[AsyncTaskResult]:
        """Sends one task per chunk index; returns their futures.

        A future's ``get()`` loads its chunk's intervals back from the
        database, unless ``want_results`` is false (it then returns
        ``None``; failures still raise).

        Raises:
            BrokerUnavailable: If a message cannot be published.
        """
        from ..models import ResultChunk

        if self.collection_id is None:
            raise RuntimeError("CeleryPool.start(collection_id) must be called before map_chunks")
        self._callback = done_callback
        indices = list(indices)
        missing = [i for i in indices if i not in self._args]
        if missing:
            for index, args in ResultChunk.objects.filter(
                collection_id=self.collection_id, index__in=missing
            ).values_list("index", "arguments"):
                self._args[index] = args
        futures: list[AsyncTaskResult] = []
        for index in indices:
            self._send(index)
            self._watch.add(index)
            futures.append(_CeleryChunkResult(self, index, want_results))
        return futures

    def _send(self, index: int) -> None:
        try:
            self.app.send_task(
                TASK_NAME, args=[self.ref_json, self._args[index], self.collection_id, index], retry=False
            )
        except Exception as error:
            from kombu.exceptions import OperationalError

            if isinstance(error, (OperationalError, ConnectionError, OSError)):
                raise BrokerUnavailable(
                    f"cannot publish chunk {index} to the Celery broker: {error}"
                ) from error
            raise
        self.dispatched.append(index)

    def refresh(self, force: bool = False) -> None:
        """Reads the states of the watched chunks (at most every few ms)."""
        from ..models import ResultChunk

        now = time.monotonic()
        if not force and now - self._last_refresh < _MIN_POLL:
            return
        self._last_refresh = now
        if not self._watch:
            return
        rows = ResultChunk.objects.filter(
            collection_id=self.collection_id, index__in=sorted(self._watch), state__in=_TERMINAL
        ).values_list("id", "index", "state", "error", "arguments")
        split_ids = {}
        for pk, index, state, error, arguments in rows:
            self._watch.discard(index)
            self._rows[index] = (state, error)
            self._args.setdefault(index, arguments)
            if state == "split":
                split_ids[pk] = index
                continue
            if self._callback is not None:
                args = payload_codec.decode(arguments)
                self._callback(args, ChunkError(error) if state == "failed" else None)
        if split_ids:
            for parent_id, index, arguments in ResultChunk.objects.filter(parent_id__in=list(split_ids)).values_list(
                "parent_id", "index", "arguments"
            ):
                self._children.setdefault(split_ids[parent_id], []).append(index)
                self._args[index] = arguments
                self._watch.add(index)
            self._last_refresh = 0.0

    def _leaves(self, index: int) -> list[int]:
        children = self._children.get(index)
        if children is None:
            return [index]
        return [leaf for child in sorted(children) for leaf in self._leaves(child)]

    def _settled(self, index: int) -> bool:
        row = self._rows.get(index)
        if row is None:
            return False
        if row[0] != "split":
            return True
        children = self._children.get(index)
        return bool(children) and all(self._settled(c) for c in children)

    def _outcome(self, index: int, load: bool = True) -> Any:
        from ..storage import load_chunks

        leaves = self._leaves(index)
        done = [i for i in leaves if self._rows[i][0] == "done"]
        failed = [i for i in leaves if self._rows[i][0] == "failed"]
        result = load_chunks(self.collection_id, done) if done and load else None
        if not failed:
            return result
        failed_args = [arg for i in failed for arg in payload_codec.decode(self._args[i])]
        errors = [self._rows[i][1] for i in failed]
        if index in self._children:
            exc: TaskException = PartialTaskFailure(failed_args, result, errors)
        else:
            exc = TaskException(failed_args)
        exc.__cause__ = ChunkError("; ".join(errors))
        raise exc

    def shut_down(self) -> None:
        """Stops following the chunks; dispatched tasks keep running on the workers."""
        self._watch.clear()


def celery_pool_factory(fn: QueryFunction) -> CeleryPool:
    """Makes a ``CeleryPool`` for ``fn`` (the factory of ``Runtime.celery()``)."""
    return CeleryPool(fn)


celery_pool_factory.stores_results = True  # type: ignore[attr-defined]
