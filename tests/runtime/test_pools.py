"""Worker pools: InlinePool, ProcessPool (spawned and forked), the protocols."""

from __future__ import annotations

import os
import threading

import pytest

from esper_rekall.runtime import (
    AsyncTaskResult,
    InlinePool,
    ProcessPool,
    TaskException,
    WorkerPool,
    get_forked_process_pool_factory,
    get_spawned_process_pool_factory,
    inline_pool_factory,
)
from tests.runtime import queries


class _Recorder:
    """A done_callback that records its calls (thread-safe)."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[int], str | None]] = []
        self._lock = threading.Lock()

    def __call__(self, task_args, err=None) -> None:
        with self._lock:
            self.calls.append((list(task_args), None if err is None else type(err).__name__))


def test_inline_pool_runs_a_task_only_when_its_result_is_requested() -> None:
    pool = InlinePool(queries.one_interval_per_video)
    results = pool.map([[1], [2]], _Recorder())
    assert (pool.dispatched, pool.executed) == (2, 0)
    assert all(r.done() for r in results)
    assert list(results[1].get().keys()) == [2]
    assert (pool.dispatched, pool.executed) == (2, 1)


def test_inline_pool_runs_each_task_once_however_often_get_is_called() -> None:
    pool = InlinePool(queries.one_interval_per_video)
    recorder = _Recorder()
    [result] = pool.map([[1]], recorder)
    assert result.get() is result.get()
    assert pool.executed == 1
    assert recorder.calls == [([1], None)]


def test_inline_pool_raises_task_exception_caused_by_the_query_error() -> None:
    recorder = _Recorder()
    [result] = InlinePool(queries.fails_on_zero).map([[0]], recorder)
    with pytest.raises(TaskException) as info:
        result.get()
    assert isinstance(info.value.__cause__, RuntimeError)
    assert info.value.task_args == [0]
    assert recorder.calls == [([0], "RuntimeError")]
    assert repr(info.value).startswith("TaskException from RuntimeError(")


def test_spawned_pool_calls_back_and_raises_the_worker_error(spawned_pool) -> None:
    recorder = _Recorder()
    pool = spawned_pool.bind(queries.fails_on_zero)
    ok, bad = pool.map([[1, 2], [0]], recorder)
    assert sorted(ok.get().keys()) == [1, 2]
    with pytest.raises(TaskException) as info:
        bad.get()
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "video 0 is broken" in str(info.value.__cause__)
    assert ok.done() and bad.done()
    assert sorted(recorder.calls) == [([0], "RuntimeError"), ([1, 2], None)]


def test_spawned_workers_set_up_django_from_the_parents_settings_module(spawned_pool) -> None:
    [result] = spawned_pool.bind(queries.django_state).map([[7]], _Recorder())
    [(_, _, _, (settings_module, ready, pid, _))] = queries.as_dict(result.get())[7]
    assert settings_module == os.environ["DJANGO_SETTINGS_MODULE"]
    assert ready is True
    assert pid != os.getpid()


@pytest.mark.django_db(transaction=True)
def test_spawned_workers_use_the_parents_current_database() -> None:
    from django.db import connection

    with ProcessPool(queries.django_state, 1) as pool:
        [(_, _, _, (_, _, _, name))] = queries.as_dict(pool.map([[7]], _Recorder())[0].get())[7]
    assert name == connection.settings_dict["NAME"]
    assert str(name).startswith(("test_", "file:memorydb"))


def test_spawned_pool_serves_several_queries_at_once(spawned_pool) -> None:
    one = spawned_pool.bind(queries.one_interval_per_video)
    two = spawned_pool.bind(queries.two_intervals_per_video)
    r1, r2 = one.map([[1]], _Recorder())[0], two.map([[1]], _Recorder())[0]
    assert queries.as_dict(r1.get()) == queries.as_dict(queries.one_interval_per_video([1]))
    assert queries.as_dict(r2.get()) == queries.as_dict(queries.two_intervals_per_video([1]))
    one.shut_down()  # a bound pool leaves the shared workers running
    assert queries.as_dict(two.map([[2]], _Recorder())[0].get()) == queries.as_dict(
        queries.two_intervals_per_video([2])
    )


def test_process_pool_made_for_one_function_runs_it() -> None:
    with ProcessPool(queries.one_interval_per_video, 1) as pool:
        [result] = pool.map([[3]], _Recorder())
        assert list(result.get().keys()) == [3]


def test_process_pool_refuses_tasks_after_shut_down() -> None:
    pool = ProcessPool(queries.one_interval_per_video, 1)
    pool.shut_down()
    pool.shut_down()  # idempotent
    with pytest.raises(RuntimeError, match="has been shut down"):
        pool.map([[1]], _Recorder())


def test_forked_pool_runs_a_closure_without_pickling_it() -> None:
    lock = threading.Lock()  # unpicklable: only fork can carry this closure

    def query(vids):
        with lock:
            return queries.one_interval_per_video(vids)

    pool = get_forked_process_pool_factory(1)(query)
    try:
        [result] = pool.map([[5]], _Recorder())
        assert list(result.get().keys()) == [5]
    finally:
        pool.shut_down()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_workers": 0}, "num_workers must be an int >= 1, got 0"),
        ({"num_workers": 1, "context": "thread"}, "context must be 'spawn' or 'fork', got 'thread'"),
        ({"num_workers": 1, "context": "fork", "fn": None}, "needs its query function"),
    ],
)
def test_process_pool_rejects_bad_arguments(kwargs, message) -> None:
    kwargs.setdefault("fn", queries.one_interval_per_video)
    with pytest.raises(ValueError, match=message):
        ProcessPool(**kwargs)


def test_process_pool_without_a_function_must_be_bound(spawned_pool) -> None:
    with pytest.raises(ValueError, match="use pool.bind"):
        spawned_pool.map([[1]], _Recorder())


def test_forked_pool_cannot_be_bound_to_another_query() -> None:
    with ProcessPool(queries.one_interval_per_video, 1, context="fork") as pool:
        with pytest.raises(ValueError, match="only spawned pools"):
            pool.bind(queries.fails_on_zero)


def test_pools_satisfy_the_worker_pool_protocol(spawned_pool) -> None:
    inline = inline_pool_factory(queries.one_interval_per_video)
    bound = spawned_pool.bind(queries.one_interval_per_video)
    assert isinstance(inline, WorkerPool)
    assert isinstance(bound, WorkerPool)
    assert isinstance(spawned_pool, WorkerPool)
    assert isinstance(inline.map([[1]], _Recorder())[0], AsyncTaskResult)
    assert isinstance(bound.map([[1]], _Recorder())[0], AsyncTaskResult)


def test_spawned_factory_passes_its_initializer_to_the_workers(tmp_path) -> None:
    pool = get_spawned_process_pool_factory(1, initializer=os.makedirs, initargs=(str(tmp_path / "init"),))(
        queries.one_interval_per_video
    )
    try:
        pool.map([[1]], _Recorder())[0].get()
    finally:
        pool.shut_down()
    assert (tmp_path / "init").is_dir()


@pytest.mark.django_db(transaction=True)
def test_process_pool_closes_the_parents_database_connections() -> None:
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database")
    connection.ensure_connection()
    assert connection.connection is not None
    ProcessPool(queries.one_interval_per_video, 1).shut_down()
    assert connection.connection is None


@pytest.mark.django_db
def test_forking_inside_a_transaction_is_refused() -> None:
    from django.db import connection

    connection.ensure_connection()
    with pytest.raises(RuntimeError, match="inside a transaction"):
        ProcessPool(queries.one_interval_per_video, 1, context="fork")


def test_compat_module_reexports_the_reference_names() -> None:
    from esper_rekall.rekall import runtime as compat

    assert compat.InlineSingleProcessPool is InlinePool
    assert compat.AbstractWorkerPool is WorkerPool
    for name in compat.__all__:
        assert getattr(compat, name) is not None
