"""Worker pools: where the chunks of a query run.

Provides:
    AsyncTaskResult: the future-like protocol ``WorkerPool.map`` returns.
    WorkerPool: the pool protocol (``map(tasks, done_callback)``,
        ``shut_down()``). A pool is made for one query function by a
        ``WorkerPoolFactory`` (``fn -> WorkerPool``).
    InlinePool: runs each task in the calling process when its result is
        requested (lazily, as the reference's inline pool does).
    ProcessPool: a supervised pool of spawned (default) or forked
        interpreters: a worker that dies (``os._exit``, a segfault, the OOM
        killer) or runs past the hard time limit fails its task with
        ``WorkerLost`` and is replaced, so no caller waits forever. Spawned workers call ``django.setup()`` when the
        parent runs under ``DJANGO_SETTINGS_MODULE``; each task carries its
        query as a ``QueryRef`` (JSON), so one spawned pool can serve many
        queries through ``ProcessPool.bind``.
    SpawnedProcessPool, ForkedProcessPool: ``ProcessPool`` with the
        reference's constructor signatures.
    inline_pool_factory, get_spawned_process_pool_factory,
    get_forked_process_pool_factory: the reference's factories.
    get_process_pool_factory: the ``processes`` runtime's factory: forked
        workers where forking is safe, spawned ones elsewhere.

Database connections: a forked child would share the parent's open
database sockets, and two processes talking over one socket corrupt the
session. Before starting workers the pool therefore closes the parent's
Django connections (Django reopens them on next use). Forking while a
connection is inside a transaction is refused. Spawned children never
inherit sockets, so a connection in a transaction is left alone there.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from .errors import TaskException
from .query_ref import QueryRef
from .supervision import ChunkTimeLimitExceeded, hard_time_limit, soft_limit, soft_time_limit

__all__ = [
    "AsyncTaskResult",
    "DoneCallback",
    "ForkedProcessPool",
    "InlinePool",
    "ProcessPool",
    "QueryFunction",
    "SpawnedProcessPool",
    "WorkerLost",
    "WorkerPool",
    "WorkerPoolFactory",
    "get_forked_process_pool_factory",
    "get_process_pool_factory",
    "get_spawned_process_pool_factory",
    "inline_pool_factory",
]

#: A query: takes one chunk (a list of arguments), returns a partial result.
QueryFunction = Callable[[list[Any]], Any]

#: Called by a pool when a task finishes: ``done(task_args)`` on success,
#: ``done(task_args, error)`` on failure. It may be called from another
#: thread (the multiprocessing result handler) and must not block.
DoneCallback = Callable[..., None]


@runtime_checkable
class AsyncTaskResult(Protocol):
    """A future for one task's result."""

    def get(self) -> Any:
        """Returns the task's result, blocking until it is ready.

        Raises:
            TaskException: If the task failed; its ``__cause__`` is the error.
        """
        ...

    def done(self) -> bool:
        """Whether ``get()`` would return (or raise) without blocking long."""
        ...


@runtime_checkable
class WorkerPool(Protocol):
    """Runs one query function over chunks of arguments.

    A pool is specialised to one function, which its factory receives, so
    that the function is shipped to the workers once, not with every task.
    """

    def map(
        self, tasks: Sequence[list[Any]], done_callback: DoneCallback
    ) -> list[AsyncTaskResult]:
        """Submits ``tasks`` (one list of arguments each) to the workers.

        Args:
            tasks: The chunks to run, in submission order.
            done_callback: Called once per task when it finishes, with the
                task's arguments, and the error if it failed.

        Returns:
            One ``AsyncTaskResult`` per task, in the order of ``tasks``.
        """
        ...

    def shut_down(self) -> None:
        """Releases the workers. Outstanding tasks may be abandoned."""
        ...


#: Makes the pool for a query function.
WorkerPoolFactory = Callable[[QueryFunction], WorkerPool]


class _InlineResult:
    """Runs its task on the first ``get()`` and remembers the outcome."""


    def __init__(self, pool: InlinePool, task: list[Any], done_callback: DoneCallback):
        self._pool = pool
        self._task = task
        self._done_callback = done_callback
        self._outcome: tuple[bool, Any] | None = None

    def get(self) -> Any:
        if self._outcome is None:
            self._pool.executed += 1
            try:
                with soft_limit(soft_time_limit()):
                    value = self._pool.fn(self._task)
            except Exception as error:
                self._outcome = (False, error)
                self._done_callback(self._task, error)
            else:
                self._outcome = (True, value)
                self._done_callback(self._task)
        ok, value = self._outcome
        if not ok:
            raise TaskException(self._task) from value
        return value

    def done(self) -> bool:
        # The task runs inside get(), so it never blocks on anything else.
        return True

    @property
    def pending_start(self) -> bool:
        """True until ``get()`` runs the task: a driver stamps the chunk's start then."""
        return self._outcome is None


class InlinePool:
    """Runs tasks one after another in the calling process.

    A task runs when its result's ``get()`` is first called, so a lazily
    consumed iterator only runs what it yields.

    Attributes:
        fn: The query function.
        dispatched: How many tasks ``map`` has received so far.
        executed: How many tasks have run so far.
    """

    def __init__(self, fn: QueryFunction) -> None:
        self.fn = fn
        self.dispatched = 0
        self.executed = 0

    def map(
        self, tasks: Sequence[list[Any]], done_callback: DoneCallback
    ) -> list[AsyncTaskResult]:
        self.dispatched += len(tasks)
        return [_InlineResult(self, list(task), done_callback) for task in tasks]

    def shut_down(self) -> None:
        pass


class WorkerLost(Exception):
    """The worker process running a task died (or was killed at the hard time limit)."""


class WrappedAsyncResult:
    """One task's third-party async result (anything with ``get()`` and
    ``ready()``: ``multiprocessing``'s, ipyparallel's) as an
    :class:`AsyncTaskResult` that raises ``TaskException`` on failure."""

    def __init__(self, result: Any, task: list[Any]):
        self._result = result
        self._task = task

    def get(self) -> Any:
        try:
            return self._result.get()
        except Exception as error:
            raise TaskException(self._task) from error

    def done(self) -> bool:
        return self._result.ready()


# Worker-process state. A spawned worker receives each task with its query as
# a QueryRef (JSON) and resolves it on first use, caching the function, so one
# pool can serve many queries (``ProcessPool.bind``). A reference that cannot
# be resolved, or a failed setup, fails the tasks with the reason rather than
# the initializer: a failing Pool initializer makes multiprocessing restart
# workers forever.
_worker_state: dict[str, Any] = {}
_MAX_CACHED_QUERIES = 32


def _init_spawned_worker(
    settings_module: str | None,
    database_names: dict[str, Any],
    key: str,
    initializer: Callable[..., Any] | None,
    initargs: tuple[Any, ...],
) -> None:
    _worker_state.clear()
    _worker_state.update(key=key, fn=None, cache={}, error=None)
    try:
        if settings_module:
            os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
            import django
            from django.conf import settings

            django.setup()
            # The parent may be using other databases than its settings
            # module names (a test database, override_settings): follow it.
            # Connections read these dicts when they first connect.
            for alias, name in database_names.items():
                if alias in settings.DATABASES:
                    settings.DATABASES[alias]["NAME"] = name
        if initializer is not None:
            initializer(*initargs)
    except Exception as error:
        _worker_state["error"] = error


def _init_forked_worker(
    fn: QueryFunction, initializer: Callable[..., Any] | None, initargs: tuple[Any, ...]
) -> None:
    _worker_state.clear()
    _worker_state.update(fn=fn, error=None)
    try:
        if initializer is not None:
            initializer(*initargs)
    except Exception as error:
        _worker_state["error"] = error


#: How often an idle worker checks that its parent is alive.
_PARENT_CHECK_SECONDS = 1.0


def _worker_main(
    conn: multiprocessing.connection.Connection,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    soft_seconds: float | None,
) -> None:
    """A pool worker: initialise, then run ``(job id, fn, args)`` jobs until told to stop (``None``).

    It exits when its parent has died (checked every ``_PARENT_CHECK_SECONDS``
    while idle). It says ``"ready"`` once initialised, so the supervisor's hard deadline
    never counts start-up (interpreter, ``django.setup()``). Each job runs
    under the soft time limit and its outcome is sent back as ``(job id,
    ok, value)``; an error that cannot be pickled is sent as its text.
    """
    parent = os.getppid()
    initializer(*initargs)
    conn.send("ready")
    while True:
        try:
            while not conn.poll(_PARENT_CHECK_SECONDS):
                if os.getppid() != parent:
                    return  # orphaned: a forked worker holds copies of the pool's pipes, so it sees no EOF
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        job_id, fn, fn_args = job
        try:
            with soft_limit(soft_seconds):
                reply = (job_id, True, fn(*fn_args))
        except Exception as error:
            reply = (job_id, False, error)
        try:
            conn.send(reply)
        except Exception as error:  # an unpicklable result or exception
            conn.send((job_id, False, RuntimeError(f"cannot send the task's outcome back: {error!r}")))


def _run_task(ref_json: dict[str, str] | None, task: list[Any]) -> Any:
    error = _worker_state.get("error")
    if error is not None:
        raise RuntimeError(f"worker initialisation failed: {error!r}") from error
    if ref_json is None:
        fn = _worker_state["fn"]
    else:
        cache: dict[tuple[Any, ...], QueryFunction] = _worker_state["cache"]
        cache_key = tuple(sorted(ref_json.items()))
        fn = cache.get(cache_key)
        if fn is None:
            fn = QueryRef.from_json(ref_json).resolve(key=_worker_state["key"])
            if len(cache) >= _MAX_CACHED_QUERIES:
                cache.clear()
            cache[cache_key] = fn
    return fn(task)


def _run_stored_task(
    ref_json: dict[str, str] | None, task: list[Any], collection_id: int, index: int, want_result: bool
) -> Any:
    """Runs a stored chunk in the worker and writes its result there.

    The same write as everywhere (``storage.write_chunk``: one transaction
    keyed by the chunk, replacing its rows), so the parent neither encodes
    nor copies the intervals; it receives the result only if it wants it.
    A failure (query or encoding) reaches the parent, which splits or
    fails the chunk as for any task.
    """
    from ..storage import write_chunk

    result = _run_task(ref_json, task)
    write_chunk(collection_id, index, result)
    return result if want_result else None


def _database_names() -> dict[str, Any]:
    """The parent's current database NAME per alias (none without Django)."""
    if "django" not in sys.modules:
        return {}
    from django.conf import settings

    if not settings.configured:
        return {}
    return {alias: db.get("NAME") for alias, db in settings.DATABASES.items()}


def _close_db_connections(*, forking: bool) -> None:
    """Closes the parent's open Django connections before starting workers."""
    if "django" not in sys.modules:
        return
    from django.conf import settings

    if not settings.configured:
        return
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            if forking:
                raise RuntimeError(
                    f"cannot fork workers while database connection "
                    f"{connection.alias!r} is inside a transaction: the children "
                    "would share its socket; use a spawned pool"
                )
            # A spawned child cannot inherit the socket; closing the
            # connection would break the caller's transaction.
            continue
        connection.close()


class ProcessPool:
    """A pool of worker processes (``multiprocessing``).

    With ``context="spawn"`` (the default) each worker is a fresh
    interpreter: it sets ``DJANGO_SETTINGS_MODULE`` to the parent's (when the
    parent has one), calls ``django.setup()``, points each database alias
    at the database the parent uses (its current ``NAME``, e.g. the test
    database), then runs ``initializer``. Each task carries its query as a ``QueryRef``:
    importable functions by dotted path, anything else as a cloudpickle
    signed with a fresh per-pool key (the key reaches the workers when they
    start, so only this pool can give them a payload to unpickle). Workers
    cache resolved queries, and ``bind(fn)`` lets one spawned pool serve
    many queries without restarting interpreters.

    With ``context="fork"`` the workers inherit ``fn`` and all module state
    from the parent (nothing is pickled); forking a multithreaded process is
    unsafe, and a forked pool runs only the ``fn`` it was made with.

    Args:
        fn: The query function ``map`` runs; may be ``None`` for a spawned
            pool used only through ``bind``.
        num_workers: Number of worker processes; defaults to the CPU count.
        context: ``"spawn"`` or ``"fork"``.
        initializer: Called in each worker after Django setup, with
            ``initargs``. Must be importable (picklable) for spawn.
        initargs: Arguments of ``initializer``.

    Raises:
        ValueError: If ``num_workers`` < 1, ``context`` is unknown, or a
            forked pool has no ``fn``.
        RuntimeError: If forking inside a database transaction.

    Example:
        >>> with ProcessPool(num_workers=2) as pool:  # doctest: +SKIP
        ...     rt = Runtime(pool.bind)
        ...     rt.run(query_a, video_ids)
        ...     rt.run(query_b, video_ids)
    """

    def __init__(
        self,
        fn: QueryFunction | None = None,
        num_workers: int | None = None,
        *,
        context: str = "spawn",
        initializer: Callable[..., Any] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        if num_workers is None:
            num_workers = os.cpu_count() or 1
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
            raise ValueError(f"num_workers must be an int >= 1, got {num_workers!r}")
        if context not in ("spawn", "fork"):
            raise ValueError(f"context must be 'spawn' or 'fork', got {context!r}")
        if context == "fork" and fn is None:
            raise ValueError("a forked ProcessPool needs its query function, got fn=None")
        self.fn = fn
        self.num_workers = num_workers
        self.context = context
        self._key = secrets.token_urlsafe(32)
        self._ref_json = None
        if context == "spawn":
            if fn is not None:
                self._ref_json = QueryRef.from_function(fn, key=self._key).to_json()
            pool_initializer: Callable[..., None] = _init_spawned_worker
            pool_initargs: tuple[Any, ...] = (
                os.environ.get("DJANGO_SETTINGS_MODULE") or None,
                _database_names(),
                self._key,
                initializer,
                tuple(initargs),
            )
        else:
            pool_initializer = _init_forked_worker
            pool_initargs = (fn, initializer, tuple(initargs))
        _close_db_connections(forking=context == "fork")
        self._pool: _Supervisor | None = _Supervisor(
            multiprocessing.get_context(context), num_workers, pool_initializer, pool_initargs
        )

    def map(
        self, tasks: Sequence[list[Any]], done_callback: DoneCallback
    ) -> list[AsyncTaskResult]:
        if self.fn is None:
            raise ValueError("this ProcessPool has no query function; use pool.bind(fn)")
        return self._submit(self._ref_json, tasks, done_callback)

    def map_stored(
        self,
        tasks: Sequence[list[Any]],
        chunks: Sequence[tuple[int, int]],
        done_callback: DoneCallback,
        *,
        want_results: bool = True,
    ) -> list[AsyncTaskResult]:
        """Like ``map``, but each worker also writes its task's result as a stored chunk.

        Args:
            tasks: The chunks' arguments.
            chunks: ``(collection_id, chunk index)`` of each task; the
                collection's rows must be committed (workers use their own
                database connections).
            done_callback: As in ``map``.
            want_results: Send each result back; if false, ``get()``
                returns ``None`` (failures still raise).
        """
        if self.fn is None:
            raise ValueError("this ProcessPool has no query function; use pool.bind(fn)")
        return self._submit(self._ref_json, tasks, done_callback, chunks=chunks, want_results=want_results)

    def bind(self, fn: QueryFunction) -> WorkerPool:
        """A ``WorkerPool`` running ``fn`` on this pool's (spawned) workers.

        Its ``shut_down`` leaves the workers running, so ``pool.bind`` is a
        ``WorkerPoolFactory`` whose pools share one set of interpreters;
        whoever made this pool shuts it down.

        Raises:
            ValueError: If this is a forked pool (its workers only know ``fn``).
        """
        if self.context != "spawn":
            raise ValueError(
                f"only spawned pools can run other queries, this one is {self.context!r}"
            )
        return _BoundPool(self, QueryRef.from_function(fn, key=self._key).to_json())

    def _submit(
        self,
        ref_json: dict[str, str] | None,
        tasks: Sequence[list[Any]],
        done_callback: DoneCallback,
        *,
        chunks: Sequence[tuple[int, int]] | None = None,
        want_results: bool = True,
    ) -> list[AsyncTaskResult]:
        if self._pool is None:
            raise RuntimeError("this ProcessPool has been shut down")
        results: list[AsyncTaskResult] = []
        for k, task in enumerate(tasks):
            task = list(task)
            if chunks is None:
                fn, fn_args = _run_task, (ref_json, task)
            else:
                fn, fn_args = _run_stored_task, (ref_json, task, *chunks[k], want_results)
            results.append(WrappedAsyncResult(self._pool.submit(fn, fn_args, done_callback, task), task))
        return results

    def shut_down(self) -> None:
        """Terminates the workers; tasks not finished fail; safe to call more than once."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shut_down()


class _BoundPool:
    """One query's view of a shared spawned ``ProcessPool``."""

    def __init__(self, pool: ProcessPool, ref_json: dict[str, str]) -> None:
        self._pool = pool
        self._ref_json = ref_json

    def map(
        self, tasks: Sequence[list[Any]], done_callback: DoneCallback
    ) -> list[AsyncTaskResult]:
        return self._pool._submit(self._ref_json, tasks, done_callback)

    def map_stored(
        self,
        tasks: Sequence[list[Any]],
        chunks: Sequence[tuple[int, int]],
        done_callback: DoneCallback,
        *,
        want_results: bool = True,
    ) -> list[AsyncTaskResult]:
        """As ``ProcessPool.map_stored``."""
        return self._pool._submit(self._ref_json, tasks, done_callback, chunks=chunks, want_results=want_results)

    def shut_down(self) -> None:
        # The shared pool outlives the runs that borrow it.
        pass


class _Job:
    """One task of a ``_Supervisor``: a future with ``get()``/``ready()``."""

    def __init__(self, job_id: int, fn: Callable[..., Any], fn_args: tuple[Any, ...],
                 done_callback: DoneCallback, task: list[Any]) -> None:
        self.id = job_id
        self.fn = fn
        self.fn_args = fn_args
        self._done_callback = done_callback
        self._task = task
        self._event = threading.Event()
        self._outcome: tuple[bool, Any] = (False, None)

    def settle(self, ok: bool, value: Any) -> None:
        if self._event.is_set():
            return
        self._outcome = (ok, value)
        self._event.set()
        if ok:
            self._done_callback(self._task)
        else:
            self._done_callback(self._task, value)

    def ready(self) -> bool:
        return self._event.is_set()

    def get(self) -> Any:
        self._event.wait()
        ok, value = self._outcome
        if not ok:
            raise value
        return value


#: Seconds a new worker may take to start (interpreter, ``django.setup()``) before it is killed.
STARTUP_LIMIT = 120.0


@contextlib.contextmanager
def _no_broker_cleanup_in_children(ctx: Any) -> Iterator[None]:
    """While forking: keep kombu's after-fork hook from running in the child.

    That hook closes the broker connections the child inherited; a
    connection whose blocking read (``BRPOP``) the parent has in flight is
    closed by reading its reply, which the parent consumes, so the child
    waits forever before running anything. The child never uses the
    broker; its inherited sockets go when it exits.
    """
    registry = getattr(multiprocessing.util, "_afterfork_registry", None)
    if ctx.get_start_method() != "fork" or registry is None:
        yield
        return
    kombu = {key: fn for key, fn in list(registry.items()) if getattr(fn, "__module__", "").startswith("kombu")}
    for key in kombu:
        del registry[key]
    try:
        yield
    finally:
        registry.update(kombu)


class _Worker:
    """One worker process, its pipe, and the job it runs (with its hard deadline)."""

    def __init__(self, ctx: Any, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, initializer, initargs, soft_time_limit()), daemon=True
        )
        with _no_broker_cleanup_in_children(ctx):
            self.process.start()
        child.close()
        self.ready = False  # initialised (it said so): jobs go to ready workers only
        self.job: _Job | None = None
        # Until it is ready: its start-up limit; then the running job's hard deadline.
        self.deadline = time.monotonic() + STARTUP_LIMIT


class _Supervisor:
    """Runs jobs on worker processes, one job per worker at a time, and watches them.

    A thread hands queued jobs to idle workers and waits on their pipes and
    process sentinels together: a result settles its job; a worker that
    exits (``os._exit``, a signal, the OOM killer) fails its job with
    ``WorkerLost`` at once and is replaced; a worker past the hard time
    limit (``ESPER_REKALL_CHUNK_TIME_LIMIT``) is killed likewise. Unlike
    ``multiprocessing.Pool``, which loses the task of a dead worker and
    lets its caller wait forever, every job is settled.
    """

    def __init__(self, ctx: Any, num_workers: int, initializer: Callable[..., None],
                 initargs: tuple[Any, ...]) -> None:
        self._ctx = ctx
        self._init = (initializer, initargs)
        self._hard = hard_time_limit()
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._next_id = 0
        self._closed = False
        self._wake_r, self._wake_w = ctx.Pipe(duplex=False)
        self._workers = [_Worker(ctx, initializer, initargs) for _ in range(num_workers)]
        self._thread = threading.Thread(target=self._supervise, name="process-pool-supervisor", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], fn_args: tuple[Any, ...], done_callback: DoneCallback,
               task: list[Any]) -> _Job:
        with self._lock:
            if self._closed:
                raise RuntimeError("this ProcessPool has been shut down")
            job = _Job(self._next_id, fn, fn_args, done_callback, task)
            self._next_id += 1
            self._queue.append(job)
        self._wake_w.send_bytes(b"")
        return job

    def close(self) -> None:
        """Stops the workers (killing those still running a job) and fails the jobs not finished."""
        with self._lock:
            self._closed = True
        self._wake_w.send_bytes(b"")
        self._thread.join()

    def _supervise(self) -> None:
        while True:
            with self._lock:
                closed = self._closed
            if closed:
                break
            self._assign()
            watched = [w for w in self._workers if w.job is not None or not w.ready]
            listening = [w.conn for w in watched]
            timeout = min((w.deadline for w in watched), default=float("inf")) - time.monotonic()
            ready = multiprocessing.connection.wait(
                [self._wake_r] + listening + [w.process.sentinel for w in self._workers],
                timeout=None if timeout == float("inf") else max(0.0, timeout),
            )
            if self._wake_r in ready:
                while self._wake_r.poll():
                    self._wake_r.recv_bytes()
            for worker in list(self._workers):
                self._check(worker, ready)
        self._stop_all()

    def _assign(self) -> None:
        for worker in self._workers:
            if worker.job is not None or not worker.ready:
                continue
            with self._lock:
                if not self._queue:
                    return
                job = self._queue.popleft()
            try:
                worker.conn.send((job.id, job.fn, job.fn_args))
            except Exception as error:  # unpicklable arguments, or the worker just died
                job.settle(False, error)
                continue
            worker.job = job
            worker.deadline = time.monotonic() + self._hard if self._hard else float("inf")

    def _check(self, worker: _Worker, ready: list[Any]) -> None:
        job = worker.job
        if not worker.ready and worker.conn in ready:
            try:
                worker.ready = worker.conn.recv() == "ready"
            except (EOFError, OSError):
                pass  # it died while starting: its sentinel tells
            else:
                worker.deadline = float("inf")
                return
        if job is not None and worker.conn in ready:
            try:
                job_id, ok, value = worker.conn.recv()
            except (EOFError, OSError):
                pass  # it died while sending: its sentinel tells
            else:
                worker.job, worker.deadline = None, float("inf")
                job.settle(ok, value)
                return
        if worker.process.sentinel in ready or not worker.process.is_alive():
            worker.process.join()
            self._replace(worker, WorkerLost(
                f"worker process {worker.process.pid} died with exit code {worker.process.exitcode} "
                "while running this task"
            ))
        elif not worker.ready and time.monotonic() >= worker.deadline:
            worker.process.kill()
            worker.process.join()
            self._replace(worker, WorkerLost(
                f"worker process {worker.process.pid} did not start within {STARTUP_LIMIT:g} s and was killed"
            ))
        elif job is not None and time.monotonic() >= worker.deadline:
            worker.process.kill()
            worker.process.join()
            self._replace(worker, ChunkTimeLimitExceeded(
                f"worker process {worker.process.pid} killed at ESPER_REKALL_CHUNK_TIME_LIMIT={self._hard} s"
            ))

    def _replace(self, worker: _Worker, error: Exception) -> None:
        job = worker.job
        if job is None and not worker.ready:
            # It died while starting (its initializer failed): fail a waiting
            # job rather than respawn forever while every job waits.
            with self._lock:
                job = self._queue.popleft() if self._queue else None
        worker.conn.close()
        self._workers[self._workers.index(worker)] = _Worker(self._ctx, *self._init)
        if job is not None:
            job.settle(False, error)

    def _stop_all(self) -> None:
        for worker in self._workers:
            if worker.job is None:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        for worker in self._workers:
            worker.process.join(timeout=1 if worker.job is None else 0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
            if worker.job is not None:
                worker.job.settle(False, RuntimeError("the ProcessPool was shut down before this task finished"))
        with self._lock:
            queued, self._queue = list(self._queue), deque()
        for job in queued:
            job.settle(False, RuntimeError("the ProcessPool was shut down before this task ran"))
        self._wake_r.close()
        self._wake_w.close()


class SpawnedProcessPool(ProcessPool):
    """``ProcessPool`` of spawned interpreters (the reference's class)."""

    def __init__(
        self,
        fn: QueryFunction,
        num_workers: int | None = None,
        initializer: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(fn, num_workers, context="spawn", initializer=initializer)


class ForkedProcessPool(ProcessPool):
    """``ProcessPool`` of forked processes (the reference's class)."""

    def __init__(self, fn: QueryFunction, num_workers: int | None = None) -> None:
        super().__init__(fn, num_workers, context="fork")


def inline_pool_factory(fn: QueryFunction) -> InlinePool:
    """Makes an ``InlinePool`` (the factory of ``Runtime.inline()``)."""
    return InlinePool(fn)


def get_spawned_process_pool_factory(
    num_workers: int | None = None,
    *,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
) -> WorkerPoolFactory:
    """Returns a factory of spawned ``ProcessPool``s.

    Args:
        num_workers: Number of interpreters to spawn; defaults to the CPU count.
        initializer: Run in each worker after ``django.setup()``.
        initargs: Arguments of ``initializer``.
    """

    def factory(fn: QueryFunction) -> WorkerPool:
        return ProcessPool(
            fn, num_workers, context="spawn", initializer=initializer, initargs=initargs
        )

    return factory


def get_forked_process_pool_factory(num_workers: int | None = None) -> WorkerPoolFactory:
    """Returns a factory of forked ``ProcessPool``s.

    Workers inherit the parent's globals; forking a multithreaded process is
    unsafe (threads do not survive in the children).

    Args:
        num_workers: Number of processes to fork; defaults to the CPU count.
    """

    def factory(fn: QueryFunction) -> WorkerPool:
        return ProcessPool(fn, num_workers, context="fork")

    return factory


def get_process_pool_factory(num_workers: int | None = None) -> WorkerPoolFactory:
    """Returns a factory of ``ProcessPool``s that fork where it is safe and spawn elsewhere.

    Forked workers start at once: they inherit the parent's imported modules
    (0.3 s to start two on this 2-core machine at load 3, against 3.3 s for
    two spawned interpreters importing Django, numpy and the app, a fifth of
    a 1,000-video run). Forking is unsafe when the parent runs other threads
    (a lock one of them holds stays held in the child) or has a database
    connection inside a transaction (the child would share its socket), so
    the choice is made when each pool is made.

    Args:
        num_workers: Number of worker processes; defaults to the CPU count.
    """

    def factory(fn: QueryFunction) -> WorkerPool:
        _stop_tqdm_monitor()
        return ProcessPool(fn, num_workers, context="fork" if _fork_is_safe() else "spawn")

    return factory


def _stop_tqdm_monitor() -> None:
    """Stops tqdm's monitor thread, which outlives the first progress bar
    shown in this process (the next bar starts it again), so that it does
    not by itself rule out forking."""
    tqdm = getattr(sys.modules.get("tqdm"), "tqdm", None)
    monitor = getattr(tqdm, "monitor", None)
    if monitor is not None:
        monitor.exit()
        tqdm.monitor = None


def _fork_is_safe() -> bool:
    """True when this process may fork workers: the platform forks, no other
    thread runs, and no Django connection is inside a transaction."""
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return False
    if "django" not in sys.modules:
        return True
    from django.conf import settings

    if not settings.configured:
        return True
    from django.db import connections

    return not any(c.in_atomic_block for c in connections.all(initialized_only=True))
