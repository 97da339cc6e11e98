"""``Runtime.run(..., save_as=...)`` on the inline pool and on spawned processes."""

from __future__ import annotations

import pytest

from esper_rekall import storage
from esper_rekall.models import ResultChunk, ResultCollection
from esper_rekall.runtime import RekallRuntimeException, Runtime, disjoint_domain_combiner
from tests.runtime.queries import as_dict, fails_on_zero, one_interval_per_video, two_intervals_per_video

pytestmark = pytest.mark.django_db


def test_run_saves_every_chunk_and_the_stored_collection_equals_the_result(runtime: Runtime) -> None:
    result, failed = runtime.run(two_intervals_per_video, range(1, 8), chunksize=3, save_as="saved")
    assert failed == []
    collection = ResultCollection.objects.get(name="saved")
    assert collection.status == "done" and collection.finished is not None
    assert (collection.num_chunks, collection.chunks_done, collection.num_intervals) == (3, 3, 14)
    assert as_dict(storage.load_collection("saved")) == as_dict(result)
    assert runtime.last_collection.pk == collection.pk


def test_failing_chunk_is_split_and_only_the_failing_argument_is_reported(runtime: Runtime) -> None:
    result, failed = runtime.run(
        fails_on_zero, [4, 0, 5, 6, 7], chunksize=3, save_as="split", combiner=disjoint_domain_combiner,
        print_error=False,
    )
    assert failed == [0]
    assert sorted(result.keys()) == [4, 5, 6, 7]
    collection = ResultCollection.objects.get(name="split")
    assert collection.status == "failed"
    assert collection.failed_args[0]["args"] == [0]
    assert "RuntimeError: video 0 is broken" in collection.failed_args[0]["error"]
    states = dict(ResultChunk.objects.filter(collection=collection).values_list("index", "state"))
    assert states == {0: "split", 1: "done", 2: "done", 3: "failed", 4: "done"}
    assert as_dict(storage.load_collection(collection)) == as_dict(result)


def test_name_taken_is_refused_before_running(runtime: Runtime) -> None:
    runtime.run(one_interval_per_video, [1], save_as="once")
    with pytest.raises(ValueError, match="'once' already exists"):
        runtime.run(one_interval_per_video, [2], save_as="once")
    runtime.run(one_interval_per_video, [2], save_as="once", replace=True)
    assert list(storage.load_collection("once").keys()) == [2]


def test_result_iterator_saves_what_it_yields(runtime: Runtime) -> None:
    results = list(runtime.get_result_iterator(one_interval_per_video, range(6), chunksize=2, save_as="it"))
    assert len(results) == 3
    merged = results[0].union(results[1]).union(results[2])
    assert as_dict(storage.load_collection("it")) == as_dict(merged)


def test_every_chunk_failing_raises_and_records_the_failures() -> None:
    with pytest.raises(RekallRuntimeException, match="All tasks failed"):
        Runtime.inline().run(fails_on_zero, [0], save_as="all-failed", print_error=False)
    assert ResultCollection.objects.get(name="all-failed").status == "failed"


def _parent_must_not_write(*args: object, **kwargs: object) -> None:
    raise AssertionError("the parent wrote a chunk that its worker should have written")


@pytest.mark.postgres  # on SQLite the parent writes: it admits one writer at a time
@pytest.mark.django_db(transaction=True)
def test_spawned_workers_write_their_own_chunks(spawned_pool, monkeypatch: pytest.MonkeyPatch) -> None:
    # Outside a transaction the workers can see the collection: each writes
    # the chunk it ran (the parent's write_chunk is never called).
    monkeypatch.setattr(storage, "write_chunk", _parent_must_not_write)
    runtime = Runtime(spawned_pool.bind)
    result, failed = runtime.run(two_intervals_per_video, range(1, 8), chunksize=3, save_as="by-workers")
    assert failed == []
    collection = ResultCollection.objects.get(name="by-workers")
    assert (collection.status, collection.chunks_done, collection.num_intervals) == ("done", 3, 14)
    assert as_dict(storage.load_collection(collection)) == as_dict(result)
    expected = Runtime.inline().run(two_intervals_per_video, range(1, 8), combiner=disjoint_domain_combiner)[0]
    assert as_dict(result) == as_dict(expected)


@pytest.mark.postgres  # on SQLite the parent writes: it admits one writer at a time
@pytest.mark.django_db(transaction=True)
def test_spawned_workers_writing_chunks_split_a_failing_chunk(spawned_pool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "write_chunk", _parent_must_not_write)
    result, failed = Runtime(spawned_pool.bind).run(
        fails_on_zero, [4, 0, 5, 6, 7], chunksize=3, save_as="split-by-workers",
        combiner=disjoint_domain_combiner, print_error=False,
    )
    assert failed == [0] and sorted(result.keys()) == [4, 5, 6, 7]
    collection = ResultCollection.objects.get(name="split-by-workers")
    states = dict(ResultChunk.objects.filter(collection=collection).values_list("index", "state"))
    assert states == {0: "split", 1: "done", 2: "done", 3: "failed", 4: "done"}
    assert as_dict(storage.load_collection(collection)) == as_dict(result)


@pytest.mark.postgres  # on SQLite the parent writes: it admits one writer at a time
@pytest.mark.django_db(transaction=True)
def test_stored_run_without_a_combiner_gets_no_results_back(spawned_pool, monkeypatch: pytest.MonkeyPatch) -> None:
    from esper_rekall.runtime import pools

    monkeypatch.setattr(storage, "write_chunk", _parent_must_not_write)
    runtime = Runtime(spawned_pool.bind)
    dispatcher, collection = runtime.open_stored_run(
        two_intervals_per_video, [[1, 2], [3], [0]], save_as="no-results"
    )
    futures = dispatcher.map_chunks([0, 1, 2], lambda *a: None, want_results=False)
    assert all(isinstance(f._future, pools.WrappedAsyncResult) for f in futures)
    assert [f.get() for f in futures] == [None, None, None]
    ResultCollection.objects.finalize(collection.pk)
    collection.refresh_from_db()
    assert (collection.status, collection.num_intervals) == ("done", 8)


@pytest.mark.django_db
def test_inline_chunks_record_their_own_start_times() -> None:
    Runtime.inline().run(one_interval_per_video, list(range(9)), chunksize=3, save_as="timed")
    chunks = list(ResultChunk.objects.filter(collection__name="timed").order_by("started"))  # run order
    assert len({c.started for c in chunks}) == len(chunks) == 3
    assert all(a.finished <= b.started for a, b in zip(chunks, chunks[1:]))
