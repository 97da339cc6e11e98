"""Row-level operations on the result tables, as QuerySet methods.

Provides:
    ResultCollectionQuerySet: ``ResultCollection.objects`` —
        ``unfinished()``, ``create_run(...)`` (a collection and its chunk
        rows, one transaction, stamped with the current corpus fingerprint), ``finalize(collection_id)`` (refresh the
        progress summary from the chunk rows; finish the collection when no
        chunk is pending or running), ``finalize_when_finished(collection_id)``
        (what a worker calls after each chunk: ``finalize`` only once no chunk
        is left to run), ``reopen(collection_id)``,
        ``fast_delete()`` (delete collections, chunks and intervals with
        three ``DELETE`` statements and no rows loaded).
    ResultChunkQuerySet: ``ResultChunk.objects`` — ``pending()``,
        ``unfinished()``, ``finished()``, ``claim(...)``,
        ``mark_running(...)``, ``mark_started(...)``, ``requeue(...)``,
        ``mark_failed(...)``, ``split(...)``, ``replace_chunk(...)`` (a chunk's intervals written in
        one transaction keyed by (collection, chunk): a retried chunk
        replaces its rows, never duplicates them).
    Claim: the outcome of ``claim`` (``claimed``/``finished``/``exhausted``).

The chunk rows are the source of truth for a run's progress: every state
change goes through these methods, each one atomic, naming the states by
``ResultChunk.State`` (read through the app registry). ``replace_chunk``
and ``split`` lock the chunk row (``SELECT ... FOR UPDATE`` on
PostgreSQL), so two workers finishing the same chunk leave exactly one
copy of its rows, and a chunk is never both split and written.

Models hold fields only; this module never imports ``esper_rekall.models``
at import time (the models import it), it reaches them through
``self.model`` and the app registry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from datetime import timedelta

from django.db import IntegrityError, connections, models, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from . import corpus_fingerprint
from .db.partitions import analyze_partition, drop_partitions

if TYPE_CHECKING:
    from .models import ResultChunk, ResultCollection
    from .result_layout import StoredRows

__all__ = ["Claim", "ResultChunkQuerySet", "ResultCollectionQuerySet"]

#: Chunk rows per bulk_create batch (SQLite limits variables per statement).
_BULK_BATCH = 500


def _model(name: str) -> type[models.Model]:
    return apps.get_model("esper_rekall", name)


def _unfinished_states() -> tuple[str, ...]:
    """The ``ResultChunk.State`` members of a chunk that still has to run: pending, running, interrupted."""
    State = _model("ResultChunk").State
    return (State.PENDING, State.RUNNING, State.INTERRUPTED)


@contextmanager
def _relaxed_commit(using: str) -> Iterator[None]:
    """A transaction that, when it is the outermost one on PostgreSQL, commits
    with ``synchronous_commit = off``: no wait for the WAL flush (3-7 ms a
    commit here), at the price of losing it in a crash of the server within
    the next fraction of a second. For chunk bookkeeping that the run's
    synchronous ``finalize`` makes durable, or that a resume redoes; inside
    a caller's transaction the caller's durability stands."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


@dataclass(frozen=True)
class Claim:
    """What ``ResultChunkQuerySet.claim`` found.

    Attributes:
        outcome: ``"claimed"`` (this worker runs the chunk now),
            ``"finished"`` (done, failed or split already: nothing to do),
            ``"busy"`` (another worker holds a live lease on it: try again
            once ``chunk.lease_expires`` has passed) or ``"exhausted"``
            (``max_attempts`` claims already: split or fail it).
        chunk: The chunk row after the claim.
    """

    outcome: str
    chunk: ResultChunk


class ResultCollectionQuerySet(models.QuerySet):
    """QuerySet of ``ResultCollection`` with the run-level operations."""

    def unfinished(self) -> ResultCollectionQuerySet:
        """Collections still pending or running."""
        Status = self.model.Status
        return self.filter(status__in=(Status.PENDING, Status.RUNNING))

    def create_run(
        self,
        *,
        name: str,
        query_ref: dict[str, Any],
        chunks: Sequence[Sequence[Any]],
        query_name: str = "",
        chunksize: int = 1,
        runtime: str = "",
        replace: bool = False,
    ) -> ResultCollection:
        """Creates a collection and one pending chunk row per chunk, atomically.

        The collection records the corpus it is computed on
        (``corpus_fingerprint.current``: one primary-key read), so
        ``rekall_resume``, ``rekall_status`` and the viewer can tell when the
        corpus changed since.

        Args:
            name: The unique collection name.
            query_ref: ``QueryRef.to_json()`` of the query.
            chunks: The chunks' arguments (JSON-compatible lists), in index order.
            query_name: A display name of the query.
            chunksize: The chunk size used to make ``chunks``.
            runtime: ``"inline"``, ``"processes"``, ``"celery"`` ... for display.
            replace: Delete an existing collection of that name first.

        Raises:
            ValueError: If ``name`` is empty, or taken and ``replace`` is
                false, or another run created that name at the same moment
                (the unique constraint decides; no traceback of it leaks).
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a collection name must be a non-empty string, got {name!r}")
        try:
            return self._create_run(
                name=name, query_ref=query_ref, chunks=chunks, query_name=query_name,
                chunksize=chunksize, runtime=runtime, replace=replace,
            )
        except IntegrityError:
            if self.filter(name=name).exists():
                raise ValueError(
                    f"collection {name!r} was just created by another run; choose another name "
                    "(or pass replace=True once that run is over)"
                ) from None
            raise

    def _create_run(
        self,
        *,
        name: str,
        query_ref: dict[str, Any],
        chunks: Sequence[Sequence[Any]],
        query_name: str,
        chunksize: int,
        runtime: str,
        replace: bool,
    ) -> ResultCollection:
        chunk_model = _model("ResultChunk")
        corpus = corpus_fingerprint.current(self.db).to_json()
        with transaction.atomic(using=self.db):
            existing = self.filter(name=name)
            if existing.exists():
                if not replace:
                    raise ValueError(f"collection {name!r} already exists; pass replace=True to overwrite it")
                existing.fast_delete()
            collection = self.create(
                name=name,
                query_ref=query_ref,
                query_name=query_name[:300],
                arguments=[arg for chunk in chunks for arg in chunk],
                chunksize=chunksize,
                runtime=runtime,
                num_chunks=len(chunks),
                corpus=corpus,
            )
            chunk_model.objects.using(self.db).bulk_create(
                [chunk_model(collection=collection, index=i, arguments=list(c)) for i, c in enumerate(chunks)],
                batch_size=_BULK_BATCH,
            )
        return collection

    def fast_delete(self) -> int:
        """Deletes the selected collections with their chunks and intervals.

        On PostgreSQL each collection's intervals are its own partition,
        dropped with one ``DROP TABLE`` (no row read, whatever its size);
        elsewhere one ``DELETE``. Then two ``DELETE`` statements (chunks,
        collections), all inside one transaction; no interval or chunk row
        is loaded and no signal is sent.

        Returns:
            The number of collections deleted.
        """
        ids = list(self.values_list("pk", flat=True))
        if not ids:
            return 0
        using = self.db
        with transaction.atomic(using=using):
            if not drop_partitions(connections[using], ids):
                _model("ResultInterval").objects.using(using).filter(collection_id__in=ids)._raw_delete(using)
            _model("ResultChunk").objects.using(using).filter(collection_id__in=ids)._raw_delete(using)
            self.model.objects.using(using).filter(pk__in=ids)._raw_delete(using)
        return len(ids)

    def reopen(self, collection_id: int) -> None:
        """Marks a collection running again (before its chunks are re-dispatched)."""
        self.filter(pk=collection_id).update(status=self.model.Status.RUNNING, finished=None)

    def finalize_when_finished(self, collection_id: int) -> ResultCollection | None:
        """``finalize`` once no chunk of the collection is left to run; else nothing.

        What a worker calls after each chunk: one ``EXISTS`` on the
        ``(collection_id, state)`` index instead of ``finalize``'s recount of
        every chunk under the collection row's lock, which grows with the
        run (13,333 chunks at 200,000 videos) and serialises the workers on
        that row. A running collection's progress is read from its chunk
        rows (``commands_support.run_progress``), not from the summary
        ``finalize`` writes. The worker of the last chunk finalizes (two at
        once may both: ``finalize`` is serialised and idempotent).

        Returns:
            The finalized collection, or None while chunks are left.
        """
        unfinished = _model("ResultChunk").objects.using(self.db).filter(
            collection_id=collection_id, state__in=_unfinished_states()
        )
        if unfinished.exists():
            return None
        return self.finalize(collection_id)

    def finalize(self, collection_id: int) -> ResultCollection:
        """Refreshes the progress summary of a collection from its chunk rows.

        When no chunk is pending or running, the collection is finished:
        status ``done`` (or ``failed`` if some chunk failed), ``finished``
        set, ``failed_args`` listing each failed chunk's arguments and
        error, and its interval rows ``ANALYZE``d once (planner statistics
        current after the bulk writes). Serialised on the collection row,
        so concurrent workers finishing the last chunks agree.

        Returns:
            The updated collection.
        """
        chunk_model = _model("ResultChunk")
        State, Status = chunk_model.State, self.model.Status
        chunk_model.objects.using(self.db).expire_leases(collection_id)
        just_finished = False
        with transaction.atomic(using=self.db):
            collection = self.select_for_update().get(pk=collection_id)
            chunks = chunk_model.objects.using(self.db).filter(collection_id=collection_id)
            counts = {
                row["state"]: row
                for row in chunks.values("state").annotate(n=Count("id"), rows=Sum("num_intervals")).order_by()
            }
            n = {state: counts.get(state, {}).get("n", 0) for state in State}
            collection.num_chunks = sum(n.values())
            collection.chunks_done = n[State.DONE]
            collection.chunks_failed = n[State.FAILED]
            collection.num_intervals = counts.get(State.DONE, {}).get("rows") or 0
            if not any(n[state] for state in _unfinished_states()):
                failed = chunks.filter(state=State.FAILED).order_by("index").values_list("arguments", "error")
                collection.failed_args = [{"args": args, "error": error} for args, error in failed]
                collection.status = Status.FAILED if n[State.FAILED] else Status.DONE
                if collection.finished is None:
                    collection.finished = timezone.now()
                    just_finished = True
            else:
                collection.failed_args = []
                collection.finished = None
                if any(n[state] for state in State if state != State.PENDING):
                    collection.status = Status.RUNNING
            collection.save(
                update_fields=[
                    "num_chunks",
                    "chunks_done",
                    "chunks_failed",
                    "num_intervals",
                    "failed_args",
                    "status",
                    "finished",
                ]
            )
        if just_finished:
            analyze_partition(connections[self.db], collection_id)
        return collection


class ResultChunkQuerySet(models.QuerySet):
    """QuerySet of ``ResultChunk`` with the chunk state machine.

    States: ``pending`` → ``running`` (claimed) → ``done`` | ``failed`` |
    ``split`` (replaced by one child chunk per argument). A claim is a
    lease: ``lease_expires`` is renewed by a heartbeat while the worker
    (Celery) or the driver (inline and process runs) lives; a ``running``
    chunk whose lease lapsed is ``interrupted`` (``expire_leases``), and
    it, or a running chunk with no lease, can be claimed again. Every
    claim counts an attempt.
    """

    def pending(self) -> ResultChunkQuerySet:
        """Chunks not started yet."""
        return self.filter(state=self.model.State.PENDING)

    def unfinished(self) -> ResultChunkQuerySet:
        """Chunks pending, running or interrupted: what a resume re-dispatches."""
        return self.filter(state__in=_unfinished_states())

    def finished(self) -> ResultChunkQuerySet:
        """Chunks done, failed or split: nothing is left to run for them."""
        State = self.model.State
        return self.filter(state__in=(State.DONE, State.FAILED, State.SPLIT))

    def _claimable(self, now: Any) -> Q:
        """Pending or interrupted chunks, and running ones whose lease lapsed (or that have none)."""
        State = self.model.State
        return (
            Q(state__in=(State.PENDING, State.INTERRUPTED))
            | Q(state=State.RUNNING, lease_expires__isnull=True)
            | Q(state=State.RUNNING, lease_expires__lt=now)
        )

    def renew_leases(self, collection_id: int, *, worker: str, lease: float, index: int | None = None) -> int:
        """Extends to now + ``lease`` seconds the leases ``worker`` holds in a collection (one chunk if ``index``).

        Returns:
            The number of chunks renewed.
        """
        chunks = self.filter(collection_id=collection_id, state=self.model.State.RUNNING, worker=worker[:200])
        if index is not None:
            chunks = chunks.filter(index=index)
        return chunks.update(lease_expires=timezone.now() + timedelta(seconds=lease))

    def expire_leases(self, collection_id: int | None = None) -> list[int]:
        """Marks ``interrupted`` the running chunks whose lease lapsed (of one collection, or all).

        Their worker or driver stopped renewing the lease: it died, or was
        killed with its chunk. Resume (or a live Celery driver) runs them
        again.

        Returns:
            The indices of the chunks marked (of ``collection_id``; all
            collections' when it is None).
        """
        now = timezone.now()
        State = self.model.State
        chunks = self.filter(state=State.RUNNING, lease_expires__lt=now)
        if collection_id is not None:
            chunks = chunks.filter(collection_id=collection_id)
        with transaction.atomic(using=self.db):
            indices = list(chunks.values_list("index", flat=True))
            if indices:
                chunks.update(
                    state=State.INTERRUPTED,
                    error="interrupted: its lease lapsed (the worker or driver running it stopped)",
                )
        return indices

    def _one(self, collection_id: int, index: int) -> models.QuerySet:
        return self.filter(collection_id=collection_id, index=index)

    def claim(self, collection_id: int, index: int, *, worker: str, max_attempts: int, lease: float) -> Claim:
        """Atomically claims a chunk for ``worker`` for ``lease`` seconds and counts the attempt.

        One ``UPDATE ... WHERE attempts < max_attempts`` and the chunk is
        pending, interrupted, or running with a lapsed lease (its worker
        was lost). A running chunk whose lease is live belongs to a worker
        that is still heartbeating: the claim is ``busy``, so a duplicate
        message (a re-send, a redelivery) never runs a chunk twice at once
        nor counts an attempt against it.

        Raises:
            ResultChunk.DoesNotExist: If there is no such chunk.
        """
        State = self.model.State
        now = timezone.now()
        # A claim lost in a crash of the server leaves the chunk claimable again: no flush to wait for.
        with _relaxed_commit(self.db):
            claimed = (
                self._one(collection_id, index)
                .filter(self._claimable(now), attempts__lt=max_attempts)
                .update(
                    state=State.RUNNING,
                    attempts=F("attempts") + 1,
                    worker=worker[:200],
                    started=now,
                    finished=None,
                    lease_expires=now + timedelta(seconds=lease),
                )
            )
            chunk = self._one(collection_id, index).get()
            if claimed:
                collection_model = _model("ResultCollection")
                collection_model.objects.using(self.db).filter(
                    pk=collection_id, status=collection_model.Status.PENDING
                ).update(status=collection_model.Status.RUNNING)
        if claimed:
            return Claim("claimed", chunk)
        if chunk.state not in _unfinished_states():
            return Claim("finished", chunk)
        if chunk.state == State.RUNNING and chunk.lease_expires is not None and chunk.lease_expires >= now:
            return Claim("busy", chunk)
        return Claim("exhausted", chunk)

    def mark_running(self, collection_id: int, indices: Sequence[int], *, worker: str, lease: float) -> int:
        """Marks chunks ``running`` for ``worker`` for ``lease`` seconds and counts an attempt each.

        What a driver that runs the chunks itself (inline and process runs)
        does when it dispatches them: unlike ``claim`` it does not check
        the chunks' state, the driver owns the run.

        Returns:
            The number of chunks marked.
        """
        now = timezone.now()
        return self.filter(collection_id=collection_id, index__in=list(indices)).update(
            state=self.model.State.RUNNING,
            attempts=F("attempts") + 1,
            worker=worker[:200],
            started=now,
            lease_expires=now + timedelta(seconds=lease),
        )

    def mark_started(self, collection_id: int, index: int) -> int:
        """Stamps ``started`` now on a chunk dispatched earlier that starts only now.

        Returns:
            1 if the chunk exists, else 0.
        """
        with _relaxed_commit(self.db):  # a timestamp: losing it in a crash loses nothing else
            return self._one(collection_id, index).update(started=timezone.now())

    def requeue(self, collection_id: int) -> list[tuple[int, Any]]:
        """Resets to ``pending`` the chunks of a collection that are not done or split, for a resume.

        Failed chunks get their attempts and error cleared; running (their
        worker may be gone) and interrupted ones lose their lease. Done
        and split chunks are left alone.

        Returns:
            ``(index, arguments)`` of the chunks reset, in index order.
        """
        State = self.model.State
        chunks = self.filter(collection_id=collection_id)
        with transaction.atomic(using=self.db):
            chunks.filter(state=State.FAILED).update(state=State.PENDING, attempts=0, error="")
            chunks.filter(state__in=(State.RUNNING, State.INTERRUPTED)).update(
                state=State.PENDING, lease_expires=None
            )
            return list(
                chunks.exclude(state__in=(State.DONE, State.SPLIT)).order_by("index").values_list("index", "arguments")
            )

    def mark_failed(self, collection_id: int, index: int, error: str) -> int:
        """Marks a chunk failed with ``error`` unless it is already done or split.

        Returns:
            1 if the chunk was marked, else 0.
        """
        State = self.model.State
        return (
            self._one(collection_id, index)
            .filter(state__in=(*_unfinished_states(), State.FAILED))
            .update(state=State.FAILED, error=str(error), finished=timezone.now())
        )

    def split(self, collection_id: int, index: int, reason: str) -> list[ResultChunk]:
        """Replaces a multi-argument chunk by one new pending chunk per argument.

        The chunk becomes ``split`` (``reason`` kept in its ``error``); the
        children get the next free indices and ``parent`` pointing at it.
        Nothing happens if the chunk is already done, failed or split (another
        worker got there first).

        Returns:
            The new child chunks (empty if nothing was split).
        """
        State = self.model.State
        collection_model = _model("ResultCollection")
        with transaction.atomic(using=self.db):
            # Lock order: collection, then chunk (as in finalize).
            collection_model.objects.using(self.db).select_for_update().filter(pk=collection_id).get()
            chunk = self.select_for_update()._one(collection_id, index).get()
            if chunk.state not in _unfinished_states():
                return []
            first = (self.filter(collection_id=collection_id).aggregate(m=Max("index"))["m"] or 0) + 1
            children = self.bulk_create(
                [
                    self.model(collection_id=collection_id, index=first + i, arguments=[arg], parent=chunk)
                    for i, arg in enumerate(chunk.arguments)
                ]
            )
            self.filter(pk=chunk.pk).update(state=State.SPLIT, error=str(reason), finished=timezone.now())
            collection_model.objects.using(self.db).filter(pk=collection_id).update(
                num_chunks=F("num_chunks") + len(children)
            )
        # bulk_create does not set pks on every backend; read them back.
        return list(self.filter(parent=chunk).order_by("index"))

    def replace_chunk(self, collection_id: int, index: int, rows: StoredRows) -> int | None:
        """Writes a chunk's intervals and marks it done, in one transaction.

        Locks the chunk row, deletes its intervals if it was done before
        (only this transaction writes a chunk's rows, and it marks the chunk
        done: a chunk not done has none), inserts ``rows`` (binary
        ``COPY`` on PostgreSQL, batched inserts elsewhere; see
        ``result_rows.write_rows``) and sets ``state=done``,
        ``num_intervals``, ``int_axes``, ``finished``. A chunk that was split
        meanwhile is left alone (its children own its arguments).

        On PostgreSQL, when it is the outermost transaction, it commits with
        ``synchronous_commit = off`` (about 7 ms less per chunk): a crash can
        lose the last chunks written, never half of one, and leaves them
        running, so a resume runs them again; the run's ``finalize`` commits
        synchronously, which makes every chunk written before it durable.

        Args:
            collection_id, index: The chunk.
            rows: The chunk's result as ``result_layout.encode_rows`` made it.

        Returns:
            The number of top-level intervals written, or ``None`` if the
            chunk was split.
        """
        from .result_rows import chunk_rows, write_rows

        State = self.model.State
        using = self.db
        with _relaxed_commit(using):  # durable with the run's last (synchronous) commit, see above
            chunk = self.select_for_update()._one(collection_id, index).get()
            if chunk.state == State.SPLIT:
                return None
            if chunk.state == State.DONE:  # written before: its rows are one id range (``chunk << 32 | row``)
                _model("ResultInterval").objects.using(using).filter(
                    chunk_rows([chunk.pk]), collection_id=collection_id
                )._raw_delete(using)
            write_rows(using, collection_id, chunk.pk, rows)
            self.filter(pk=chunk.pk).update(
                state=State.DONE, num_intervals=rows.n_top, int_axes=rows.int_axes, error="", finished=timezone.now()
            )
        return rows.n_top
