"""The Runtime: map a query over chunks of arguments on a worker pool.

Provides:
    Runtime: ``Runtime(worker_pool_factory)``; ``run`` (dispatch everything,
        combine, return ``(result, failed_args)``) and
        ``get_result_iterator`` (dispatch lazily, yield each chunk's result
        as it completes).

Semantics follow the reference runtime, with two deliberate differences:
the caller's argument list is never modified (the reference shuffled it in
place), and ``randomize`` shuffles the order of the chunks, not their
contents, so the chunks of a given argument list and chunk size are always
the same (stored per-chunk results can then be resumed by chunk).

A failing chunk never stops the others: its arguments are reported (in
``failed_args`` of ``run``, or in the ``RekallRuntimeException`` that ends
an iterator) and its error is printed as soon as it happens when
``print_error`` is true.
"""

from __future__ import annotations

import functools
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

from .chunking import chunked
from .combiners import union_combiner
from .errors import RekallRuntimeException, TaskException
from .pools import (
    AsyncTaskResult,
    DoneCallback,
    QueryFunction,
    WorkerPoolFactory,
    inline_pool_factory,
)
from .saving import LocalChunkDispatcher, StoringPoolFactory

__all__ = ["Runtime"]

#: Bounds of the back-off when polling futures that do not call back promptly.
_MIN_WAIT = 0.001
_MAX_WAIT = 0.05


@contextmanager
def _timed(label: str, enabled: bool) -> Iterator[None]:
    """Prints the wall time of the block when ``enabled``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if enabled:
            print(f"{label}: {time.perf_counter() - start:.3f} s")


def _done_callback(
    pbar: tqdm | None, print_error: bool, wakeup: threading.Event | None = None
) -> DoneCallback:
    """Callback for finished tasks: advances the bar, prints errors, wakes waiters."""

    def callback(task_args: Sequence[Any], err: BaseException | None = None) -> None:
        if err is not None and print_error:
            print(f"Error when processing {list(task_args)!r}: {err!r}")
        if pbar is not None:
            pbar.update(len(task_args))
        if wakeup is not None:
            wakeup.set()

    return callback


def _pop_done(
    in_flight: list[tuple[list[Any], AsyncTaskResult]], wakeup: threading.Event
) -> tuple[list[Any], AsyncTaskResult]:
    """Removes and returns the first finished task, waiting for one if needed.

    Pools call back when a task finishes, which sets ``wakeup``; polling with
    a short back-off covers pools whose futures report done a moment after
    the callback (``multiprocessing``) or never call back.
    """
    delay = _MIN_WAIT
    while True:
        wakeup.clear()
        for i, (_, future) in enumerate(in_flight):
            if future.done():
                return in_flight.pop(i)
        wakeup.wait(delay)
        delay = min(_MAX_WAIT, delay * 2)


def _stored_outcome(future: AsyncTaskResult, failed_args: list[Any]) -> tuple[bool, Any]:
    """``(True, result)`` of a stored chunk, or ``(False, None)`` if it failed outright.

    A failed chunk's arguments are appended to ``failed_args``; a split
    chunk whose arguments partly failed gives ``(True, partial result)``.
    """
    try:
        return True, future.get()
    except TaskException as error:
        failed_args.extend(error.task_args or [])
        partial = getattr(error, "partial", None)
        return partial is not None, partial


class _TreeReducer:
    """Combines partial results pairwise, like a binary counter.

    Folding left to right (``combine(combine(a, b), c) ...``) re-reads the
    growing result at every step: O(n^2) for n chunks whose combination costs
    its size, as a union of sorted columns does. Combining equal-sized
    partial results instead costs O(n log n) and keeps O(log n) partials.
    Operands keep their order (left before right), so any associative
    combiner gives the left fold's result.
    """

    def __init__(self, combiner: Callable[[Any, Any], Any]) -> None:
        self._combiner = combiner
        self._stack: list[tuple[int, Any]] = []  # (level, partial), levels decreasing

    @property
    def empty(self) -> bool:
        return not self._stack

    def add(self, value: Any) -> None:
        level = 0
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            value = self._combiner(left, value)
            level += 1
        self._stack.append((level, value))

    def result(self) -> Any:
        if not self._stack:
            raise ValueError("no partial result to combine")
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = self._combiner(left, value)
        return value


def _query_name(query: Any) -> str:
    module = getattr(query, "__module__", None) or ""
    name = getattr(query, "__qualname__", None) or type(query).__qualname__
    return f"{module}.{name}" if module else str(name)


def _finalize(collection_id: int) -> None:
    """Finalizes a stored run's collection, unless it was replaced (deleted) meanwhile.

    Reconnects if the database restarted under the run (finalizing twice
    is harmless).
    """
    from ..models import ResultCollection
    from .reconnect import with_reconnect

    def finalize() -> None:
        if ResultCollection.objects.filter(pk=collection_id).exists():
            ResultCollection.objects.finalize(collection_id)

    with_reconnect(finalize, "finalize the collection")


def _runtime_label(pool: Any, stores_results: bool) -> str:
    if stores_results:
        return "celery"
    kind = type(pool).__name__
    return {"InlinePool": "inline"}.get(kind, "processes" if "Pool" in kind else kind)


def _failure_message(failed_args: list[Any], num_failed: int, num_tasks: int) -> str:
    return f"{num_failed} of {num_tasks} tasks failed; failed args: {failed_args!r}"


class Runtime:
    """Runs a query over a long list of arguments, chunk by chunk, on a pool.

    A query takes a list of arguments (one chunk, e.g. video ids) and returns
    a partial result, usually a ``DomainIntervalCollection`` keyed by video
    id. ``run`` combines the partial results; ``get_result_iterator``
    yields them.

    Example:
        >>> rt = Runtime.inline()
        >>> def query(video_ids):
        ...     return set(video_ids)
        >>> rt.run(query, [1, 2, 3], combiner=set.union, chunksize=2)
        ({1, 2, 3}, [])

    Args:
        worker_pool_factory: Makes the ``WorkerPool`` for a query function
            (``inline_pool_factory``, ``get_spawned_process_pool_factory(n)``,
            ...). A new pool is made for every ``run`` / iterator and shut
            down when it ends.
    """

    def __init__(self, worker_pool_factory: WorkerPoolFactory) -> None:
        if not callable(worker_pool_factory):
            raise TypeError(
                f"worker_pool_factory must be callable, got {worker_pool_factory!r}"
            )
        self._get_worker_pool = worker_pool_factory
        #: The ``ResultCollection`` of the latest stored run (``save_as`` / Celery).
        self.last_collection: Any = None

    @classmethod
    def inline(cls) -> Runtime:
        """A Runtime that runs every chunk in sequence in this process."""
        return cls(inline_pool_factory)

    @classmethod
    def celery(cls, **pool_options: Any) -> Runtime:
        """A Runtime whose chunks run as Celery tasks (see ``CeleryPool``).

        The broker and result backend come from Django settings
        (``CELERY_BROKER_URL`` ...). Every run is stored: workers write each
        chunk's intervals to the database and the results are loaded back
        from there.

        Args:
            pool_options: Passed to ``CeleryPool`` (``poll_interval`` ...).
        """
        from .celery_pool import CeleryPool

        return cls(StoringPoolFactory(functools.partial(CeleryPool, **pool_options)))

    def _stores_results(self) -> bool:
        """Whether the pools store every chunk themselves (a ``StoringPoolFactory``): every run is stored."""
        return isinstance(self._get_worker_pool, StoringPoolFactory)

    # -- stored runs ------------------------------------------------------------

    def open_stored_run(
        self,
        query: QueryFunction,
        chunks: Sequence[list[Any]] | None = None,
        *,
        save_as: str | None = None,
        replace: bool = False,
        chunksize: int = 1,
        query_name: str | None = None,
        collection: Any = None,
    ) -> tuple[Any, Any]:
        """Makes the pool and the collection of a stored run.

        Either creates the collection ``save_as`` (a generated name if None)
        with one pending chunk per element of ``chunks``, or, with
        ``collection``, reuses an existing one (to resume it). The pool is
        made first, so a broker that is down fails before anything is
        written.

        Returns:
            ``(dispatcher, collection)``: a ``ChunkDispatcher`` (the
            ``CeleryPool``, or a ``LocalChunkDispatcher`` over the pool) and
            the ``ResultCollection``.
        """
        from ..intervals import payload_codec
        from ..models import ResultChunk, ResultCollection
        from ..storage import generate_name
        from .query_ref import QueryRef, QueryRefError

        pool = self._get_worker_pool(query)
        stores_results = self._stores_results()
        try:
            label = _runtime_label(pool, stores_results)
            if collection is None:
                try:
                    ref = QueryRef.from_function(query).to_json()
                except (QueryRefError, TypeError, ValueError, AttributeError) as error:
                    if stores_results:
                        raise
                    ref = {"kind": "unavailable", "name": _query_name(query), "error": str(error)}
                name = save_as if save_as is not None else generate_name(_query_name(query).replace(".", "-")[:60])
                collection = ResultCollection.objects.create_run(
                    name=name,
                    query_ref=ref,
                    query_name=query_name or _query_name(query),
                    chunks=[payload_codec.encode(list(c), path="arguments") for c in chunks or []],
                    chunksize=chunksize,
                    runtime=label,
                    replace=replace,
                )
            self.last_collection = collection
            if stores_results:
                pool.start(collection.pk)
                return pool, collection
            chunk_args = {
                index: payload_codec.decode(arguments)
                for index, arguments in ResultChunk.objects.filter(collection=collection).values_list(
                    "index", "arguments"
                )
            }
            return LocalChunkDispatcher(pool, collection.pk, chunk_args), collection
        except BaseException:
            pool.shut_down()
            raise

    def drive_stored_run(
        self,
        dispatcher: Any,
        indices: Sequence[int],
        *,
        combiner: Callable[[Any, Any], Any] | None = None,
        progress: bool = False,
        total: int | None = None,
        print_error: bool = True,
    ) -> tuple[Any, list[Any]]:
        """Dispatches chunks of a stored run and waits for all of them.

        Results are taken as chunks finish (so a local pool's results are
        written as they arrive) and, with a ``combiner``, combined in
        dispatch order. The collection is finalized at the end.

        Returns:
            ``(combined result or None, failed arguments)``.
        """
        results: dict[int, Any] = {}
        failed_args: list[Any] = []
        wakeup = threading.Event()
        try:
            with tqdm(total=total, disable=not progress) as pbar:
                callback = _done_callback(pbar, print_error, wakeup)
                # Without a combiner the results are not needed: no
                # intervals travel back (nor are loaded back on Celery).
                futures = dispatcher.map_chunks(list(indices), callback, want_results=combiner is not None)
                in_flight: list[tuple[Any, AsyncTaskResult]] = list(enumerate(futures))
                while in_flight:
                    position, future = _pop_done(in_flight, wakeup)
                    has_result, result = _stored_outcome(future, failed_args)
                    if has_result and combiner is not None:
                        results[position] = result
        finally:
            dispatcher.shut_down()
            _finalize(dispatcher.collection_id)
        if combiner is None or not results:
            return None, failed_args
        reducer = _TreeReducer(combiner)
        for position in sorted(results):
            reducer.add(results.pop(position))
        return reducer.result(), failed_args

    def _run_stored(
        self,
        query: QueryFunction,
        args: Iterable[Any],
        *,
        combiner: Callable[[Any, Any], Any],
        randomize: bool,
        chunksize: int,
        progress: bool,
        print_error: bool,
        save_as: str | None,
        replace: bool,
    ) -> tuple[Any, list[Any]]:
        args = list(args)
        chunks = chunked(args, chunksize)
        dispatcher, collection = self.open_stored_run(
            query, chunks, save_as=save_as, replace=replace, chunksize=chunksize
        )
        order = list(range(len(chunks)))
        if randomize:
            random.shuffle(order)
        result, failed_args = self.drive_stored_run(
            dispatcher, order, combiner=combiner, progress=progress, total=len(args), print_error=print_error
        )
        if chunks and result is None and failed_args:
            raise RekallRuntimeException(
                f"All tasks failed! {len(chunks)} tasks; failed args: {failed_args!r}", failed_args
            )
        return result, failed_args

    def _iterate_stored(
        self,
        query: QueryFunction,
        args: Iterable[Any],
        *,
        randomize: bool,
        chunksize: int,
        print_error: bool,
        dispatch_size: int | None,
        save_as: str | None,
        replace: bool,
    ) -> Iterator[Any]:
        chunks = chunked(list(args), chunksize)
        dispatcher, _ = self.open_stored_run(query, chunks, save_as=save_as, replace=replace, chunksize=chunksize)
        order = deque(range(len(chunks)))
        if randomize:
            shuffled = list(order)
            random.shuffle(shuffled)
            order = deque(shuffled)
        if dispatch_size is None or dispatch_size < 1:
            dispatch_size = max(1, len(chunks))
        in_flight: list[tuple[int, AsyncTaskResult]] = []
        failed_args: list[Any] = []
        wakeup = threading.Event()
        callback = _done_callback(None, print_error, wakeup)
        try:
            while order or in_flight:
                if order and len(in_flight) < dispatch_size:
                    batch = [order.popleft() for _ in range(min(dispatch_size - len(in_flight), len(order)))]
                    in_flight.extend(zip(batch, dispatcher.map_chunks(batch, callback)))
                if randomize:
                    _, future = _pop_done(in_flight, wakeup)
                else:
                    _, future = in_flight.pop(0)
                has_result, result = _stored_outcome(future, failed_args)
                if has_result:
                    yield result
        finally:
            dispatcher.shut_down()
            _finalize(dispatcher.collection_id)
        if failed_args:
            raise RekallRuntimeException(
                f"The following tasks failed: {len(failed_args)} arguments; failed args: {failed_args!r}",
                failed_args,
            )

    def __repr__(self) -> str:
        return f"Runtime({self._get_worker_pool!r})"

    @staticmethod
    def _tasks(args: Iterable[Any], chunksize: int, randomize: bool) -> tuple[list[Any], list[list[Any]]]:
        args = list(args)
        tasks = chunked(args, chunksize)
        if randomize:
            random.shuffle(tasks)
        return args, tasks

    def run(
        self,
        query: QueryFunction,
        args: Iterable[Any],
        combiner: Callable[[Any, Any], Any] = union_combiner,
        randomize: bool = True,
        chunksize: int = 1,
        progress: bool = False,
        profile: bool = False,
        print_error: bool = True,
        save_as: str | None = None,
        replace: bool = False,
    ) -> tuple[Any, list[Any]]:
        """Runs ``query`` on every chunk of ``args`` and combines the results.

        All chunks are dispatched at once; results are combined in the order
        of dispatch as they become available, pairwise (a balanced tree of
        ``combiner`` calls, so ``combiner`` must be associative, as unions
        are). A chunk whose query raises is skipped and its
        arguments returned in ``failed_args``.

        Args:
            query: Takes a list of arguments, returns a partial result.
            args: The arguments (e.g. all video ids); not modified.
            combiner: Combines two partial results; defaults to
                ``union_combiner`` (``a.union(b)``).
            randomize: Dispatch the chunks in random order.
            chunksize: Number of arguments per chunk (task).
            progress: Show a tqdm bar over the arguments.
            profile: Print the wall time of dispatching and executing.
            print_error: Print each task's error when it happens.
            save_as: Store the run as the ``ResultCollection`` of this name:
                each chunk's intervals are written as the chunk finishes
                (by this process for the inline and process pools, by the
                worker on Celery), and a chunk that fails is split and its
                arguments rerun one at a time, so ``failed_args`` holds
                exactly the arguments whose query failed. Celery runs are
                always stored (under a generated name when ``save_as`` is
                None); ``self.last_collection`` is the collection of the
                latest stored run.
            replace: With ``save_as``, overwrite a collection of that name.

        Returns:
            ``(result, failed_args)``: the combination of the successful
            chunks' results (``None`` when ``args`` is empty), and the
            arguments of the failed chunks.

        Raises:
            RekallRuntimeException: If every chunk failed (its
                ``failed_args`` lists them), or from the combiner.
            ValueError: If ``chunksize`` < 1, or ``save_as`` names an
                existing collection and ``replace`` is false.
            BrokerUnavailable: On Celery, if the broker cannot be reached.
        """
        if save_as is not None or self._stores_results():
            with _timed("Executing query in Runtime", profile):
                return self._run_stored(
                    query, args, combiner=combiner, randomize=randomize, chunksize=chunksize,
                    progress=progress, print_error=print_error, save_as=save_as, replace=replace,
                )
        with _timed("Executing query in Runtime", profile):
            args, tasks = self._tasks(args, chunksize, randomize)
            if not tasks:
                return None, []
            reducer = _TreeReducer(combiner)
            failed_args: list[Any] = []
            num_failed = 0
            first_error: TaskException | None = None
            pool = self._get_worker_pool(query)
            try:
                with tqdm(total=len(args), disable=not progress) as pbar:
                    callback = _done_callback(pbar, print_error)
                    with _timed("Executing in workers", profile):
                        with _timed("Dispatching tasks", profile):
                            futures = pool.map(tasks, callback)
                        # In submission order, as the reference: O(1) per task
                        # whatever the number of chunks; workers keep running
                        # while earlier results are combined.
                        for task, future in zip(tasks, futures):
                            try:
                                result = future.get()
                            except TaskException as error:
                                failed_args.extend(task)
                                num_failed += 1
                                first_error = first_error or error
                                continue
                            reducer.add(result)
            finally:
                pool.shut_down()
            if reducer.empty:
                raise RekallRuntimeException(
                    f"All tasks failed! {num_failed} tasks; failed args: {failed_args!r}",
                    failed_args,
                ) from first_error
            return reducer.result(), failed_args

    def get_result_iterator(
        self,
        query: QueryFunction,
        args: Iterable[Any],
        randomize: bool = True,
        chunksize: int = 1,
        print_error: bool = True,
        dispatch_size: int | None = os.cpu_count() or 1,
        save_as: str | None = None,
        replace: bool = False,
    ) -> Iterator[Any]:
        """Yields each chunk's result, dispatching chunks as results are consumed.

        At most ``dispatch_size`` chunks are in flight (dispatched and not yet
        yielded); a new chunk is dispatched each time one is taken. Nothing
        runs before the first ``next()``. With ``randomize`` the results are
        yielded as they complete; without, in the order of ``args``.
        Abandoning the iterator (``close()`` or garbage collection) shuts the
        pool down.

        Args:
            query, args, randomize, chunksize, print_error: As in ``run``.
            dispatch_size: Maximum number of chunks in flight; ``None`` or
                < 1 dispatches every chunk at once. Defaults to the CPU count.
            save_as, replace: As in ``run``. On Celery each yielded result
                is loaded back from the database once its chunk is done.

        Yields:
            The result of each successful chunk.

        Raises:
            RekallRuntimeException: After the last result, if any chunk
                failed; its message and ``failed_args`` list their arguments.
        """
        if save_as is not None or self._stores_results():
            yield from self._iterate_stored(
                query, args, randomize=randomize, chunksize=chunksize, print_error=print_error,
                dispatch_size=dispatch_size, save_as=save_as, replace=replace,
            )
            return
        _, tasks = self._tasks(args, chunksize, randomize)
        if not tasks:
            return
        if dispatch_size is None or dispatch_size < 1:
            dispatch_size = len(tasks)
        pending = deque(tasks)
        # Bounded by dispatch_size, so scanning it for a finished task is cheap.
        in_flight: list[tuple[list[Any], AsyncTaskResult]] = []
        failed_args: list[Any] = []
        num_failed = 0
        wakeup = threading.Event()
        callback = _done_callback(None, print_error, wakeup)
        pool = self._get_worker_pool(query)
        try:
            while pending or in_flight:
                if pending and len(in_flight) < dispatch_size:
                    batch = [
                        pending.popleft()
                        for _ in range(min(dispatch_size - len(in_flight), len(pending)))
                    ]
                    in_flight.extend(zip(batch, pool.map(batch, callback)))
                if randomize:
                    task, future = _pop_done(in_flight, wakeup)
                else:
                    task, future = in_flight.pop(0)
                try:
                    result = future.get()
                except TaskException:
                    failed_args.extend(task)
                    num_failed += 1
                    continue
                yield result
        finally:
            pool.shut_down()
        if num_failed:
            raise RekallRuntimeException(
                "The following tasks failed: "
                + _failure_message(failed_args, num_failed, len(tasks)),
                failed_args,
            )
