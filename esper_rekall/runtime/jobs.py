"""Stored query runs as a service: start, resume, and run one chunk.

Provides:
    start_collection: run a query over arguments as a stored collection on
        the inline, process or Celery runtime (what ``rekall_run`` calls).
    resume_collection: re-dispatch the chunks of a stored collection that
        are not done (what ``rekall_resume`` calls).
    run_chunk: what a Celery worker does for one chunk (claim it, run the
        query, write its intervals, or split / fail it); ``tasks.py`` is a
        thin wrapper around it.
    RUNTIMES: the runtime names.

Failure policy (the chunk rows are the source of truth):

- a chunk is claimed atomically, for a lease its worker renews while it
  runs, and every claim counts an attempt; a chunk claimed
  ``ESPER_REKALL_MAX_CHUNK_ATTEMPTS`` times without finishing (its worker
  died, or was killed at the hard time limit, each time) is split into
  one chunk per argument, or, with one argument, marked failed;
- the query and the arguments come from the database rows (the
  collection's query reference, the chunk's arguments), never from the
  task message;
- a query that raises (or a result that cannot be stored) splits a
  multi-argument chunk at once, so only the arguments that fail on their
  own are marked failed; a one-argument chunk is marked failed with the
  error (``split_policy.fail_or_split``, shared with the local runtimes);
- a query reference that cannot be resolved (unknown path, unsigned or
  tampered pickle) fails the chunk with that error;
- transient database errors are retried by the task (``autoretry_for``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..intervals import payload_codec
from .query_ref import QueryRef, QueryRefError
from .saving import error_text
from .split_policy import fail_or_split

if TYPE_CHECKING:
    from ..models import ResultChunk, ResultCollection
    from .runtime import Runtime

__all__ = ["RUNTIMES", "fail_lost_chunk", "resume_collection", "run_chunk", "start_collection"]

RUNTIMES = ("inline", "processes", "celery")


def _make_runtime(runtime: str, workers: int | None) -> Runtime:
    from .pools import get_process_pool_factory
    from .runtime import Runtime

    if runtime == "inline":
        return Runtime.inline()
    if runtime == "processes":
        return Runtime(get_process_pool_factory(workers))
    if runtime == "celery":
        return Runtime.celery()
    raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}; got {runtime!r}")


def _check_options(runtime: str, workers: int | None, wait: bool) -> None:
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}; got {runtime!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if not wait and runtime != "celery":
        raise ValueError(f"wait=False needs runtime='celery' (the {runtime} runtime runs in this process)")


def _resolve_query(query: Any) -> tuple[Callable[[list[Any]], Any], str]:
    """A query function and its display name from a function, registry name or path."""
    if callable(query):
        from .runtime import _query_name

        return query, _query_name(query)
    if isinstance(query, str):
        if ":" in query:
            try:
                return QueryRef.from_path(query).resolve(), query
            except QueryRefError as error:
                raise ValueError(str(error)) from None
        from ..queries import get_query

        try:
            return get_query(query).function, query
        except KeyError as error:
            raise ValueError(str(error.args[0] if error.args else error)) from None
    raise TypeError(f"query must be a function, a registered query name or 'module:function', got {query!r}")


def _dispatch(runtime: Runtime, dispatcher: Any, indices: list[int], *, wait: bool, progress: bool, total: int) -> None:
    """Runs the chunks at ``indices`` to the end, or (``wait=False``) only sends them."""
    if wait:
        runtime.drive_stored_run(
            dispatcher, indices, combiner=None, progress=progress, total=total, print_error=False
        )
    else:
        dispatcher.map_chunks(indices, lambda task_args, err=None: None)
        dispatcher.shut_down()


def start_collection(
    query: Any,
    args: Iterable[Any],
    *,
    name: str,
    runtime: str = "inline",
    workers: int | None = None,
    chunksize: int = 1,
    replace: bool = False,
    progress: bool = False,
    wait: bool = True,
    query_name: str | None = None,
) -> ResultCollection:
    """Runs ``query`` over ``args`` in chunks and stores it as collection ``name``.

    Each chunk's intervals are written as the chunk finishes; a crash loses
    only the chunks in flight, and ``resume_collection`` finishes the rest.

    Args:
        query: A query function, a registered query name
            (``"frames_with_faces"``) or a dotted path (``"pkg.mod:fn"``).
        args: The arguments (video ids ...), JSON-compatible or codec types.
        name: The collection name.
        runtime: ``"inline"``, ``"processes"`` or ``"celery"``.
        workers: Process count for ``"processes"`` (default: CPU count).
        chunksize: Arguments per chunk.
        replace: Overwrite an existing collection named ``name``.
        progress: Show a tqdm bar over the arguments.
        wait: Return only when every chunk is done or failed; ``False``
            (Celery only) returns once the tasks are sent.
        query_name: The name shown for the query (default: its path).

    Returns:
        The ``ResultCollection`` (refreshed; finished unless ``wait=False``).

    Raises:
        ValueError: Name taken without ``replace``, unknown runtime or
            query, bad ``workers``/``chunksize``, ``wait=False`` off Celery.
        BrokerUnavailable: On Celery, if the broker cannot be reached.
    """
    from ..models import ResultCollection
    from .chunking import chunked

    _check_options(runtime, workers, wait)
    fn, display = _resolve_query(query)
    args = list(args)
    chunks = chunked(args, chunksize)
    if not replace and ResultCollection.objects.filter(name=name).exists():
        raise ValueError(f"collection {name!r} already exists; pass replace=True to overwrite it")
    rt = _make_runtime(runtime, workers)
    dispatcher, collection = rt.open_stored_run(
        fn, chunks, save_as=name, replace=replace, chunksize=chunksize, query_name=query_name or display
    )
    _dispatch(rt, dispatcher, list(range(len(chunks))), wait=wait, progress=progress, total=len(args))
    if not wait and not chunks:
        ResultCollection.objects.finalize(collection.pk)
    return _reread(collection.pk)


def resume_collection(
    name: str,
    *,
    runtime: str | None = None,
    workers: int | None = None,
    progress: bool = False,
    wait: bool = True,
) -> ResultCollection:
    """Re-dispatches the chunks of collection ``name`` that are not done.

    Pending, running (their worker may be gone), interrupted and failed
    chunks are reset to pending (failed ones with their attempts cleared) and run
    again with the stored query reference; done and split chunks are left
    alone.

    Args:
        name: The collection name.
        runtime: ``"inline"``, ``"processes"`` or ``"celery"``; defaults to
            the runtime the collection was started with (``inline`` if it
            was only saved).
        workers, progress, wait: As in ``start_collection``.

    Returns:
        The refreshed ``ResultCollection``.

    Raises:
        ValueError: Unknown collection, unknown runtime, or a query
            reference that cannot be resolved here.
    """
    from ..models import ResultChunk, ResultCollection

    try:
        collection = ResultCollection.objects.get(name=name)
    except ResultCollection.DoesNotExist:
        raise ValueError(f"no result collection named {name!r}") from None
    runtime = runtime or (collection.runtime if collection.runtime in RUNTIMES else "inline")
    _check_options(runtime, workers, wait)
    todo = ResultChunk.objects.requeue(collection.pk)
    if not todo:
        return ResultCollection.objects.finalize(collection.pk)
    try:
        fn = QueryRef.from_json(collection.query_ref).resolve()
    except QueryRefError as error:
        raise ValueError(f"cannot resume collection {name!r}: its query cannot be resolved: {error}") from None
    ResultCollection.objects.reopen(collection.pk)
    rt = _make_runtime(runtime, workers)
    dispatcher, _ = rt.open_stored_run(fn, collection=collection)
    total = sum(len(arguments) for _, arguments in todo)
    _dispatch(rt, dispatcher, [index for index, _ in todo], wait=wait, progress=progress, total=total)
    return _reread(collection.pk)


def _reread(collection_id: int) -> ResultCollection:
    """The collection as its run left it; reconnects if the database restarted during the run."""
    from ..models import ResultCollection
    from .reconnect import with_reconnect

    return with_reconnect(lambda: ResultCollection.objects.get(pk=collection_id), "read the finished collection")


def _fail_or_split(
    chunk: ResultChunk, args: Sequence[Any], reason: str, dispatch: Callable[[list[ResultChunk]], None]
) -> dict[str, Any]:
    """Settles a failed chunk by the split policy, sends its children, and finalizes the collection."""
    from ..models import ResultCollection

    outcome = fail_or_split(chunk.collection_id, chunk.index, args, reason)
    if outcome.children:
        dispatch(outcome.children)
    ResultCollection.objects.finalize(chunk.collection_id)
    return {"collection": chunk.collection_id, "chunk": chunk.index, "state": outcome.state, "num_intervals": 0}


def fail_lost_chunk(
    collection_id: int, index: int, reason: str, dispatch: Callable[[list[ResultChunk]], None]
) -> None:
    """Splits (or, one argument, fails) a chunk whose worker was lost, e.g. killed at the hard time limit.

    Nothing happens if the chunk is gone (its collection was replaced) or
    already finished.
    """
    from ..models import ResultChunk

    chunk = ResultChunk.objects.unfinished().filter(collection_id=collection_id, index=index).first()
    if chunk is not None:
        _fail_or_split(chunk, payload_codec.decode(chunk.arguments), reason, dispatch)


def run_chunk(
    collection_id: int,
    index: int,
    *,
    worker: str,
    dispatch: Callable[[list[ResultChunk]], None],
    transient: tuple[type[BaseException], ...] = (),
) -> dict[str, Any]:
    """Runs one stored chunk: claim, query, write (or split / fail), finalize.

    The query is the collection's stored reference and the arguments the
    chunk's row: the rows are the source of truth, the task message only
    names the chunk. The claim is a lease that a heartbeat thread renews
    while the query runs.

    Args:
        collection_id, index: The chunk.
        worker: The worker's name, recorded on the chunk.
        dispatch: Sends tasks for new child chunks (after a split).
        transient: Exception types re-raised for the task to retry
            (transient database errors) instead of failing the chunk.

    Returns:
        Counts: ``{"collection", "chunk", "state", "num_intervals"}``;
        ``state`` is ``"missing"`` if the chunk no longer exists (its
        collection was replaced: a late message is discarded), ``"busy"``
        (with ``"lease_expires"``) if another worker holds a live lease.
    """
    from ..conf import settings
    from ..models import ResultChunk, ResultCollection
    from ..storage import write_chunk
    from .supervision import LeaseKeeper, lease_seconds

    max_attempts = settings.MAX_CHUNK_ATTEMPTS
    lease = lease_seconds()
    counts = {"collection": collection_id, "chunk": index, "num_intervals": 0}
    try:
        claim = ResultChunk.objects.claim(collection_id, index, worker=worker, max_attempts=max_attempts, lease=lease)
        query_ref = ResultCollection.objects.values_list("query_ref", flat=True).get(pk=collection_id)
    except (ResultChunk.DoesNotExist, ResultCollection.DoesNotExist):
        return {**counts, "state": "missing"}
    chunk = claim.chunk
    if claim.outcome == "finished":
        return {**counts, "state": chunk.state}
    if claim.outcome == "busy":
        return {**counts, "state": "busy", "lease_expires": chunk.lease_expires}
    args = payload_codec.decode(chunk.arguments)
    if claim.outcome == "exhausted":
        reason = (
            f"chunk {index} was claimed {chunk.attempts} times without finishing "
            f"(its worker was lost each time; ESPER_REKALL_MAX_CHUNK_ATTEMPTS={max_attempts})"
        )
        return _fail_or_split(chunk, args, reason, dispatch)
    try:
        fn = QueryRef.from_json(query_ref).resolve()
    except QueryRefError as error:
        ResultChunk.objects.mark_failed(collection_id, index, f"QueryRefError: {error}")
        ResultCollection.objects.finalize(collection_id)
        return {**counts, "state": ResultChunk.State.FAILED}
    try:
        with LeaseKeeper(collection_id, worker, lease, index):
            result = fn(list(args))
            written = write_chunk(collection_id, index, result)
    except (ResultChunk.DoesNotExist, ResultCollection.DoesNotExist):
        return {**counts, "state": "missing"}
    except transient:
        raise
    except Exception as error:
        return _fail_or_split(chunk, args, error_text(error), dispatch)
    ResultCollection.objects.finalize_when_finished(collection_id)
    state = ResultChunk.State.SPLIT if written is None else ResultChunk.State.DONE
    return {**counts, "state": state, "num_intervals": written or 0}
