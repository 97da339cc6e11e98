"""The Celery worker pool: chunks run as tasks on any number of machines.

Provides:
    CeleryPool: dispatches the chunks of a stored collection as
        ``esper_rekall.run_query_chunk`` tasks and follows their progress in
        the chunk rows (never in Celery results or chords).
    BrokerUnavailable: the broker cannot be reached (raised at submission,
        within a couple of seconds, instead of hanging).
    CollectionReplaced: the collection a driver follows was deleted or
        replaced (``--replace``) while its run was in flight.
    MessageRefused: a task message that is not a signed chunk reference.
    chunk_message, verify_chunk_message: make and check the arguments of a
        task message.
    check_worker_key: refuses the development ``SECRET_KEY`` on a worker.
    celery_pool_factory: the ``WorkerPoolFactory`` of ``Runtime.celery()``.

A task message carries only ``[collection id, chunk index, signature]``,
the signature made with ``SECRET_KEY`` (``django.core.signing``, salted)
over the two numbers. The worker reads the query reference from the
``ResultCollection`` row and the arguments from the ``ResultChunk`` row:
the database, not the message, decides what runs, so anyone able to write
to the broker can at most re-run a chunk that exists. The worker writes
the chunk's intervals to the database and returns counts; the parent
loads a chunk's intervals back from the database when the chunk row says
it is done. Chunks that a worker split (after repeated failures) are
followed through their child chunks.

The driver survives its database and broker restarting: its reads of the
chunk rows reconnect after a PostgreSQL restart (``reconnect.with_reconnect``,
for up to a minute); chunks whose lease lapsed (their worker died) and
pending chunks sent more than ``ESPER_REKALL_CHUNK_RESEND_AFTER`` seconds
ago while the broker's queue is empty (their messages were lost with a Redis
restart) are sent again. A re-sent chunk is never computed twice at once:
the claim lets one worker hold it, and a chunk written twice replaces its
rows. A driver whose collection was replaced (``--replace``) stops with
``CollectionReplaced``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from ..intervals import payload_codec
from .errors import TaskException
from .pools import AsyncTaskResult, DoneCallback, QueryFunction
from .query_ref import QueryRef
from .reconnect import with_reconnect
from .saving import ChunkError, PartialTaskFailure, StoringPoolFactory

__all__ = [
    "TASK_NAME",
    "BrokerUnavailable",
    "CeleryPool",
    "CollectionReplaced",
    "MessageRefused",
    "celery_pool_factory",
    "check_worker_key",
    "chunk_message",
    "verify_chunk_message",
]

logger = logging.getLogger(__name__)

#: The name of the task that runs one chunk.
TASK_NAME = "esper_rekall.run_query_chunk"

#: The ``django.core.signing`` salt of task messages.
MESSAGE_SALT = "esper_rekall.chunk_message"

_MIN_POLL = 0.02
#: Longest pause, in seconds, between two looks for lost chunks and a replaced collection.
_LONGEST_CHECK = 15.0
#: Django's own prefix of generated development keys (``check --deploy`` warns about it).
_INSECURE_KEY_PREFIX = "django-insecure"


class BrokerUnavailable(RuntimeError):
    """The Celery broker is not configured or cannot be reached."""


class CollectionReplaced(RuntimeError):
    """The collection a driver follows no longer exists (replaced or deleted)."""


class MessageRefused(ValueError):
    """A task message is not ``[collection id, chunk index, valid signature]``; nothing runs."""


def _message_signer() -> Any:
    from django.core import signing

    return signing.Signer(salt=MESSAGE_SALT)


def chunk_message(collection_id: int, index: int) -> list[Any]:
    """The arguments of the task message of a chunk: ``[collection id, index, signature]``."""
    value = f"{int(collection_id)}:{int(index)}"
    return [int(collection_id), int(index), _message_signer().sign(value).rpartition(":")[2]]


def verify_chunk_message(args: Sequence[Any], kwargs: dict[str, Any] | None = None) -> tuple[int, int]:
    """``(collection id, index)`` of a task message, after checking its signature.

    Raises:
        MessageRefused: If the message has another shape (e.g. the query
            reference and arguments of older versions), or its signature is
            missing, forged, or made with another key.
    """
    from django.core.signing import BadSignature

    args = list(args)
    if kwargs or len(args) != 3 or not all(type(a) is int for a in args[:2]) or not isinstance(args[2], str):
        raise MessageRefused(
            f"refusing a task message with arguments {_preview(args)}"
            f"{' and keyword arguments ' + _preview(kwargs) if kwargs else ''}: a chunk task takes "
            "[collection id, chunk index, signature] (a message of an older version, or a forged one); "
            "nothing was run. Re-send the collection's chunks with: manage.py rekall_resume NAME"
        )
    collection_id, index, signature = args
    try:
        _message_signer().unsign(f"{collection_id}:{index}:{signature}")
    except BadSignature:
        raise MessageRefused(
            f"refusing the task message of chunk {index} of collection {collection_id}: its signature "
            "is missing or wrong (forged, tampered, or signed with another SECRET_KEY); nothing was run"
        ) from None
    return collection_id, index


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def check_worker_key() -> None:
    """Refuses to run a worker with the development ``SECRET_KEY``.

    Signatures (of messages and pickled queries) protect nothing when the
    key is published, as a development key is; ``ESPER_REKALL_ALLOW_DEV_KEY``
    says the worker runs in development and may use it.

    Raises:
        ImproperlyConfigured: If the key is a development key and
            development was not declared.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from ..conf import settings as app_settings

    key = str(getattr(settings, "SECRET_KEY", "") or "")
    if key.startswith(_INSECURE_KEY_PREFIX) and not app_settings.ALLOW_DEV_KEY:
        raise ImproperlyConfigured(
            "this Celery worker would run with the development SECRET_KEY, which everybody can read: "
            "it would accept forged messages and pickled queries. Set the SECRET_KEY environment variable "
            "to the same long random value as the processes that start runs (or, in development only, "
            "ESPER_REKALL_ALLOW_DEV_KEY=1)"
        )


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
        self._sent: dict[int, float] = {}
        self._last_check = time.monotonic()
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
            rows = with_reconnect(
                lambda: list(
                    ResultChunk.objects.filter(collection_id=self.collection_id, index__in=missing).values_list(
                        "index", "arguments"
                    )
                ),
                "read the chunks' arguments",
            )
            self._args.update(rows)
        futures: list[AsyncTaskResult] = []
        for index in indices:
            self._send(index)
            self._watch.add(index)
            futures.append(_CeleryChunkResult(self, index, want_results))
        return futures

    def _send(self, index: int) -> None:
        try:
            self.app.send_task(TASK_NAME, args=chunk_message(self.collection_id, index), retry=False)
        except Exception as error:
            from kombu.exceptions import OperationalError

            if isinstance(error, (OperationalError, ConnectionError, OSError)):
                raise BrokerUnavailable(
                    f"cannot publish chunk {index} to the Celery broker: {error}"
                ) from error
            raise
        self.dispatched.append(index)
        self._sent[index] = time.monotonic()

    def refresh(self, force: bool = False) -> None:
        """Reads the states of the watched chunks (at most every few ms).

        Every third of the shorter of the lease and the re-send bound
        (at most every 5 s) it also checks the collection still exists and
        re-sends lost chunks (``_recover``). A lost database connection is
        re-opened (``with_reconnect``).

        Raises:
            CollectionReplaced: If the collection no longer exists.
            InterfaceError, OperationalError: If the database stays
                unreachable for a minute.
        """
        now = time.monotonic()
        if not force and now - self._last_refresh < _MIN_POLL:
            return
        self._last_refresh = now
        if not self._watch:
            return
        self._apply_rows(*with_reconnect(self._read_rows, "read the chunk rows"))
        if now - self._last_check >= min(self._lease, self._resend_after, _LONGEST_CHECK) / 3:
            self._last_check = now
            with_reconnect(self._recover, "look for lost chunks")

    @property
    def _lease(self) -> float:
        from .supervision import lease_seconds

        return lease_seconds()

    @property
    def _resend_after(self) -> float:
        from .supervision import resend_after_seconds

        return resend_after_seconds()

    def _recover(self) -> None:
        """Re-sends the chunks whose message or worker was lost.

        Interrupted chunks (their lease lapsed: the worker died) sent more
        than a lease ago are sent again; pending chunks sent more than
        ``ESPER_REKALL_CHUNK_RESEND_AFTER`` seconds ago, when the broker's
        queue is empty (a Redis restart emptied it), too. A duplicate
        message is harmless: the claim lets one worker run a chunk. A
        re-send the broker refuses (it is still down) is tried again at
        the next check.

        Raises:
            CollectionReplaced: If the collection no longer exists.
        """
        from ..models import ResultChunk, ResultCollection

        if not ResultCollection.objects.filter(pk=self.collection_id).exists():
            raise CollectionReplaced(
                f"collection replaced: collection {self.collection_id} was replaced or deleted while this "
                "run was in flight; this driver stops, and late chunks of its run are discarded"
            )
        ResultChunk.objects.expire_leases(self.collection_id)
        now = time.monotonic()
        State = ResultChunk.State
        bound = {State.INTERRUPTED: self._lease, State.PENDING: self._resend_after}
        lost = {
            state: [i for i in indices if now - self._sent.get(i, 0.0) > bound[state]]
            for state in bound
            for indices in [
                ResultChunk.objects.filter(
                    collection_id=self.collection_id, index__in=sorted(self._watch), state=state
                ).values_list("index", flat=True)
            ]
        }
        if lost[State.PENDING] and self._queue_length() > 0:
            lost[State.PENDING] = []  # still queued behind other messages
        for index in sorted(lost[State.INTERRUPTED] + lost[State.PENDING]):
            logger.warning("re-sending chunk %s of collection %s (its message or worker was lost)",
                           index, self.collection_id)
            try:
                self._send(index)
            except BrokerUnavailable as error:
                logger.warning("%s; trying again in a moment", error)
                return

    def _queue_length(self) -> int:
        """Messages waiting in the default task queue (0 if the broker cannot tell)."""
        try:
            with self.app.connection_for_read() as conn:
                return int(conn.default_channel.queue_declare(
                    queue=self.app.conf.task_default_queue, passive=False
                ).message_count)
        except Exception as error:
            logger.warning("cannot read the length of the task queue: %s", error)
            return 0

    def _read_rows(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The watched chunks that finished, and the children of those that were split (nothing applied yet)."""
        from ..models import ResultChunk

        rows = list(
            ResultChunk.objects.filter(collection_id=self.collection_id, index__in=sorted(self._watch))
            .finished()
            .values_list("id", "index", "state", "error", "arguments")
        )
        split_ids = [pk for pk, _, state, _, _ in rows if state == ResultChunk.State.SPLIT]
        children = (
            list(ResultChunk.objects.filter(parent_id__in=split_ids).values_list("parent_id", "index", "arguments"))
            if split_ids
            else []
        )
        return rows, children

    def _apply_rows(self, rows: list[tuple[Any, ...]], children: list[tuple[Any, ...]]) -> None:
        """Settles the finished chunks (calling back) and watches the children of split ones."""
        from ..models import ResultChunk

        split_ids = {}
        for pk, index, state, error, arguments in rows:
            self._watch.discard(index)
            self._rows[index] = (state, error)
            self._args.setdefault(index, arguments)
            if state == ResultChunk.State.SPLIT:
                split_ids[pk] = index
                continue
            if self._callback is not None:
                args = payload_codec.decode(arguments)
                self._callback(args, ChunkError(error) if state == ResultChunk.State.FAILED else None)
        if split_ids:
            for parent_id, index, arguments in children:
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
        from ..models import ResultChunk

        row = self._rows.get(index)
        if row is None:
            return False
        if row[0] != ResultChunk.State.SPLIT:
            return True
        children = self._children.get(index)
        return bool(children) and all(self._settled(c) for c in children)

    def _outcome(self, index: int, load: bool = True) -> Any:
        from ..models import ResultChunk
        from ..storage import load_chunks

        leaves = self._leaves(index)
        done = [i for i in leaves if self._rows[i][0] == ResultChunk.State.DONE]
        failed = [i for i in leaves if self._rows[i][0] == ResultChunk.State.FAILED]
        result = (
            with_reconnect(lambda: load_chunks(self.collection_id, done), "load the chunks' intervals")
            if done and load
            else None
        )
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


#: Makes a ``CeleryPool`` for a query function (the factory of ``Runtime.celery()``).
celery_pool_factory = StoringPoolFactory(CeleryPool)
