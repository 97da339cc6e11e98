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

    @classmethod
    def inline(cls) -> Runtime:
        """A Runtime that runs every chunk in sequence in this process."""
        return cls(inline_pool_factory)

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

        Returns:
            ``(result, failed_args)``: the combination of the successful
            chunks' results (``None`` when ``args`` is empty), and the
            arguments of the failed chunks.

        Raises:
            RekallRuntimeException: If every chunk failed (its
                ``failed_args`` lists them), or from the combiner.
            ValueError: If ``chunksize`` < 1.
        """
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

        Yields:
            The result of each successful chunk.

        Raises:
            RekallRuntimeException: After the last result, if any chunk
                failed; its message and ``failed_args`` list their arguments.
        """
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
        if failed_args or num_failed:
            raise RekallRuntimeException(
                "The following tasks failed: "
                + _failure_message(failed_args, num_failed, len(tasks)),
                failed_args,
            )
