"""Run queries on an IPython cluster (ipyparallel), as Esper's ``rekall_parallel``.

Provides:
    get_runtime_for_ipython_cluster: ``Runtime`` whose chunks run on the
        engines of an ``ipyparallel.Client`` through a load-balanced view.
    IPythonClusterPool: the ``WorkerPool`` behind it (one per run).

Start a cluster from the repository root with the same settings as the
notebook, e.g. ``DJANGO_SETTINGS_MODULE=project.settings
DATABASE_URL=postgres://... ipcluster start -n 2``; then
``get_runtime_for_ipython_cluster(ipyparallel.Client())``.

Engines set themselves up lazily, on their first chunk: they take the
client's ``DJANGO_SETTINGS_MODULE`` when they have none and call
``django.setup()`` once. Each chunk closes stale database connections
before and after it runs (``django.db.close_old_connections``), so a
long-lived engine never reuses a connection the server dropped.
``get_runtime_for_ipython_cluster`` checks that every engine uses the same
database (vendor and name) as the calling process and refuses a cluster that
does not: a query silently run against another database would give wrong
answers, not errors.

How the query travels: an importable module-level function (the registered
queries) as its dotted path (``QueryRef``), anything else (a function typed
into the notebook, a closure) as a cloudpickle through ipyparallel's own
channel, which the cluster's connection file authenticates (HMAC-signed
messages); the engines never unpickle anything the cluster's clients did not
send.

A chunk whose query raises comes back as a failed task: ``run`` returns its
arguments in ``failed_args`` and prints the engine's error (the
``RemoteError`` with the remote traceback).

Needs ``ipyparallel`` (``pip install -r requirements-notebook.txt``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

try:
    import ipyparallel
except ImportError as error:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "esper_rekall.rekall_parallel needs ipyparallel, which is not installed: "
        "pip install -r requirements-notebook.txt"
    ) from error

from .runtime import AsyncTaskResult, DoneCallback, QueryFunction, QueryRef, Runtime, WorkerPool
from .runtime.pools import WrappedAsyncResult
from .runtime.query_ref import _dotted_path  # the rule QueryRef uses to name rather than pickle

__all__ = ["IPythonClusterPool", "get_runtime_for_ipython_cluster"]


# --- engine side ---------------------------------------------------------------------------------
# These functions run on the engines. cloudpickle sends module-level functions of importable
# modules by reference, so each engine imports this module (and so esper_rekall): start engines
# where the project is importable (the repository root, or with PYTHONPATH set).


def _setup_engine(settings_module: str | None) -> None:
    """Configure Django on this engine once: settings module, ``django.setup()``."""
    if settings_module and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return  # a query that needs no Django (pure intervals) still runs
    # An engine executes requests from inside its event loop, which Django's
    # async-safety check mistakes for async code; an engine serves one
    # request at a time, so synchronous ORM calls are safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _describe_engine(settings_module: str | None) -> dict[str, Any]:
    """Set the engine up and say which settings and database it uses."""
    _setup_engine(settings_module)
    return {"pid": os.getpid(), **_database_identity()}


def _run_chunk(query: Any, task: list[Any], settings_module: str | None) -> Any:
    """Run one chunk on an engine: ``query(task)`` between connection clean-ups."""
    _setup_engine(settings_module)
    close = _close_old_connections_function()
    close()
    try:
        fn = QueryRef.from_json(query).resolve() if isinstance(query, dict) else query
        return fn(task)
    finally:
        close()


def _close_old_connections_function() -> Callable[[], None]:
    if "django" in sys.modules:
        from django.apps import apps

        if apps.ready:
            from django.db import close_old_connections

            return close_old_connections
    return lambda: None


def _database_identity() -> dict[str, Any]:
    """``settings_module``, database ``vendor`` and ``name`` of this process (None without Django)."""
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE")
    if "django" not in sys.modules:
        return {"settings_module": settings_module, "vendor": None, "name": None}
    from django.conf import settings

    if not settings.configured:
        return {"settings_module": settings_module, "vendor": None, "name": None}
    from django.db import connection

    return {
        "settings_module": settings_module,
        "vendor": connection.vendor,
        "name": str(connection.settings_dict.get("NAME")),
    }


# --- client side ---------------------------------------------------------------------------------


class IPythonClusterPool:
    """A ``WorkerPool`` over an ipyparallel load-balanced view.

    Each chunk is one ``view.apply_async`` message, so the scheduler hands
    chunks to whichever engine is free (``chunksize=1`` in the reference's
    ``view.map``). ``shut_down`` aborts the chunks that have not started
    (an abandoned ``get_result_iterator``) and leaves the cluster running:
    it belongs to whoever started it.

    Args:
        client: A connected ``ipyparallel.Client``.
        fn: The query function.
        view: The view to submit to; defaults to ``client.load_balanced_view()``.
    """

    #: How stored runs name this runtime (``ResultCollection.runtime``).
    runtime_label = "ipyparallel"

    def __init__(self, client: ipyparallel.Client, fn: QueryFunction, view: Any = None) -> None:
        if not callable(fn):
            raise TypeError(f"a query must be callable, got {fn!r}")
        self._client = client
        self._view = view if view is not None else client.load_balanced_view()
        self._settings_module = os.environ.get("DJANGO_SETTINGS_MODULE")
        path = _dotted_path(fn)
        self._query: Any = QueryRef.from_path(path).to_json() if path is not None else fn
        self._pending: list[ipyparallel.AsyncResult] = []

    def map(self, tasks: Sequence[list[Any]], done_callback: DoneCallback) -> list[AsyncTaskResult]:
        futures: list[AsyncTaskResult] = []
        for task in tasks:
            task = list(task)
            result = self._view.apply_async(_run_chunk, self._query, task, self._settings_module)
            result.add_done_callback(_notify(done_callback, task))
            self._pending.append(result)
            futures.append(WrappedAsyncResult(result, task))
        return futures

    def shut_down(self) -> None:
        unfinished = [r for r in self._pending if not r.ready()]
        self._pending = []
        if unfinished:
            try:
                self._view.abort([r for r in unfinished])
            except Exception:  # noqa: BLE001 - best effort: the engines may be gone
                pass


def _notify(done_callback: DoneCallback, task: list[Any]) -> Callable[[Any], None]:
    # Called from the client's IO thread when the engine replies: must not block.
    def callback(result: ipyparallel.AsyncResult) -> None:
        error = result.exception()
        if error is None:
            done_callback(task)
        else:
            done_callback(task, error)

    return callback


def _check_engines(client: ipyparallel.Client, settings_module: str | None) -> None:
    """Set every engine up now, and refuse engines that use another database than this process."""
    mine = _database_identity()
    engines = client[:].apply_sync(_describe_engine, settings_module)
    if mine["vendor"] is None:
        return
    for engine_id, theirs in zip(client.ids, engines):
        if (theirs["vendor"], theirs["name"]) != (mine["vendor"], mine["name"]):
            raise RuntimeError(
                f"IPython engine {engine_id} uses database {theirs['vendor']}:{theirs['name']!r} "
                f"(settings {theirs['settings_module']!r}) but this process uses "
                f"{mine['vendor']}:{mine['name']!r}; start the cluster with the same "
                "DJANGO_SETTINGS_MODULE and DATABASE_URL as the notebook"
            )


def get_runtime_for_ipython_cluster(client: ipyparallel.Client) -> Runtime:
    """A ``Runtime`` whose chunks run on the engines of ``client``'s cluster.

    Turns on cloudpickle serialization on the client and the engines (so
    functions typed into a notebook can travel), sets Django up on every
    registered engine and checks their database against this process's.

    Args:
        client: A connected ``ipyparallel.Client`` with at least one engine.

    Returns:
        ``Runtime`` with the reference's ``run`` / ``get_result_iterator``.

    Raises:
        TypeError: ``client`` is not an ``ipyparallel.Client``.
        ipyparallel.error.NoEnginesRegistered: the cluster has no engine.
        RuntimeError: an engine uses another database than this process.
    """
    if not isinstance(client, ipyparallel.Client):
        raise TypeError(f"client must be an ipyparallel.Client, got {client!r}")
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE")
    client.direct_view().use_cloudpickle()
    _check_engines(client, settings_module)

    def factory(fn: QueryFunction) -> WorkerPool:
        return IPythonClusterPool(client, fn)

    return Runtime(factory)
