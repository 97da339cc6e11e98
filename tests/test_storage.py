"""Saving and loading collections: exact round trips on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from esper_rekall import storage
from esper_rekall.intervals import (
    XY,
    DomainIntervalCollection,
    Interval3D,
    IntervalSet3D,
    P,
    and_pred,
    any_member,
    height_at_least,
    length_at_least,
    length_exactly,
    position,
    width_at_least,
)
from esper_rekall.models import ResultChunk, ResultCollection, ResultInterval

pytestmark = pytest.mark.django_db


def coll(grouped: dict[Any, list[Interval3D]]) -> DomainIntervalCollection:
    return DomainIntervalCollection({k: IntervalSet3D(v) for k, v in grouped.items()})


def shape(c: DomainIntervalCollection) -> list[Any]:
    """Everything that must survive: key order and types, bound types, payload types."""
    out = []
    for key in c.domain_keys:
        rows = [
            (tuple(map(type, (*i.t, *i.x, *i.y))), i.t, i.x, i.y, repr(i.payload), type(i.payload))
            for i in c[key].get_intervals()
        ]
        out.append((type(key), key, rows))
    return out


FACES = IntervalSet3D([Interval3D((0, 3), (0.1, 0.2), (0.3, 0.4), payload=11), Interval3D((0, 3), payload=12)])

CASES = {
    "int keys, int time, float space": coll(
        {
            5: [Interval3D((0, 10), (0.25, 0.5), payload={"faces": FACES}), Interval3D((3, 4), payload=None)],
            2: [Interval3D((1, 2), payload=(1, [2, 3.5]))],
        }
    ),
    "float time": coll({1: [Interval3D((0.5, 1.0), payload="a")], 3: [Interval3D((2.0, 1e16), payload=-0.0)]}),
    "date, str and tuple keys": coll(
        {
            dt.date(2020, 1, 2): [Interval3D((0, 1), payload={1: "x"})],
            "shot-7": [Interval3D((0, 1), payload=dt.datetime(2020, 1, 1, 12, tzinfo=dt.timezone.utc))],
            (3, "b"): [Interval3D((0, float("inf")), payload=Interval3D((1, 2), payload=[()]))],
        }
    ),
    "ties keep their order": coll({1: [Interval3D((0, 1), payload=i) for i in range(5)]}),
    "empty": DomainIntervalCollection(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_saved_collection_loads_back_identical(name: str) -> None:
    original = CASES[name]
    saved = storage.save_collection(original, f"case {name}")
    loaded = storage.load_collection(f"case {name}")
    assert loaded == original
    assert shape(loaded) == shape(original)
    assert saved.status == "done" and saved.num_intervals == len(original.columns)


def test_int_keys_are_stored_in_domain_int_for_sql() -> None:
    storage.save_collection(CASES["int keys, int time, float space"], "ints")
    assert sorted(ResultInterval.objects.values_list("domain_int", flat=True)) == [2, 5, 5]
    storage.save_collection(CASES["date, str and tuple keys"], "others")
    assert set(ResultInterval.objects.filter(collection__name="others").values_list("domain_int", flat=True)) == {None}


def test_stored_collection_is_a_queryset_source() -> None:
    storage.save_collection(CASES["int keys, int time, float space"], "src")
    rows = ResultInterval.objects.filter(collection__name="src", domain_int=5, t1__gte=1)
    assert list(rows.values_list("t1", "t2")) == [(3.0, 4.0)]
    assert set(storage.STORED_INTERVAL_SCHEMA) == {"domain", "t1", "t2", "x1", "x2", "y1", "y2", "payload"}


def test_name_taken_without_replace_is_a_value_error_and_replace_overwrites() -> None:
    storage.save_collection(CASES["float time"], "taken")
    with pytest.raises(ValueError, match="'taken' already exists"):
        storage.save_collection(CASES["ties keep their order"], "taken")
    storage.save_collection(CASES["ties keep their order"], "taken", replace=True)
    assert storage.load_collection("taken") == CASES["ties keep their order"]
    assert ResultCollection.objects.filter(name="taken").count() == 1


def test_unencodable_payload_fails_before_anything_is_written() -> None:
    bad = coll({1: [Interval3D((0, 1), payload="ok")], 2: [Interval3D((0, 1), payload={"s": {1, 2}})]})
    with pytest.raises(TypeError, match=r"builtins.set at payload of interval 1 of domain 2\['s'\]"):
        storage.save_collection(bad, "bad")
    assert not ResultCollection.objects.filter(name="bad").exists()
    assert not ResultInterval.objects.exists()


def test_load_unknown_collection_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no result collection named 'nope'"):
        storage.load_collection("nope")


def test_rewriting_a_chunk_replaces_its_rows() -> None:
    c = ResultCollection.objects.create_run(name="r", query_ref={}, chunks=[[1], [2]])
    storage.write_chunk(c.pk, 0, CASES["ties keep their order"])
    storage.write_chunk(c.pk, 1, CASES["float time"])
    storage.write_chunk(c.pk, 0, CASES["ties keep their order"])
    assert ResultInterval.objects.filter(collection=c).count() == 5 + 2
    assert ResultChunk.objects.get(collection=c, index=0).num_intervals == 5
    assert storage.load_chunks(c, [0]) == CASES["ties keep their order"]


def test_rewriting_a_chunk_replaces_its_nested_rows_too(stored_frames: Any) -> None:
    c = ResultCollection.objects.create_run(name="again", query_ref={}, chunks=[[1], [2]])
    rows_per_write = len(stored_frames.columns) + int(stored_frames.columns.payload.sizes().sum())
    for _ in range(3):
        storage.write_chunk(c.pk, 0, stored_frames)
    assert ResultInterval.objects.filter(collection=c).count() == rows_per_write
    assert storage.load_chunks(c, [0]) == stored_frames


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_of_one_chunk_leave_one_copy() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    faces = coll({v: [Interval3D((t, t + 3), (0.1, 0.2), payload=t) for t in range(0, 30, 3)] for v in (1, 2)})
    frames = faces.group_by_time()
    c = ResultCollection.objects.create_run(name="race", query_ref={}, chunks=[[1, 2]])

    def write(_: int) -> int | None:
        try:
            return storage.write_chunk(c.pk, 0, frames)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(write, range(8))) == [len(frames.columns)] * 8
    assert ResultInterval.objects.filter(collection=c).count() == 2 * len(frames.columns)
    assert storage.load_collection("race") == frames
    storage.delete_collection("race")


def test_delete_collection_never_loads_rows() -> None:
    storage.save_collection(coll({k: [Interval3D((0, 1))] * 3 for k in range(50)}), "big")
    storage.save_collection(CASES["float time"], "kept")
    with CaptureQueriesContext(connection) as queries:
        assert storage.delete_collection("big") is True
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any('from "esper_rekall_resultinterval' in s.lower() and "select" in s.lower() for s in sql), sql
    # The intervals go with one DROP of the collection's partition (PostgreSQL) or one DELETE.
    dropped = [s for s in sql if s.lstrip().upper().startswith(("DELETE", "DROP TABLE"))]
    assert len(dropped) == 3, sql
    assert len(sql) <= 7, sql  # ids, savepoint, partition lookup, 3 deletes, release
    assert not ResultCollection.objects.filter(name="big").exists()
    assert ResultInterval.objects.count() == 2
    assert storage.delete_collection("big") is False


@pytest.mark.postgres
def test_postgresql_writes_with_copy() -> None:
    with CaptureQueriesContext(connection) as queries:
        storage.save_collection(CASES["int keys, int time, float space"], "copy")
    assert not any("INSERT INTO \"esper_rekall_resultinterval\"" in q["sql"] for q in queries.captured_queries)
    assert storage.load_collection("copy") == CASES["int keys, int time, float space"]


def test_stored_interval_query_runs_pushdown_steps_over_the_rows() -> None:
    storage.save_collection(CASES["int keys, int time, float space"], "pushdown")
    got = storage.stored_interval_query("pushdown").filter_size(min_size=5).collect()
    assert sorted(got.keys()) == [5]
    assert [i.t for i in got[5].get_intervals()] == [(0, 10)]


def test_stored_interval_query_rebuilds_every_payload_kind_in_sql() -> None:
    inner = IntervalSet3D([Interval3D((0, 1), (0.1, 0.2), payload=7), Interval3D((0.5, 2.0), payload="s")])
    pair = (None, IntervalSet3D([Interval3D((1, 2))]))
    payloads = [inner, {"a": 1}, 2.5, True, pair, 0.1 + 0.2, 1.0, -7, "s"]
    original = coll({1: [Interval3D((k, 9), payload=p) for k, p in enumerate(payloads)]})
    storage.save_collection(original, "kinds")
    got = storage.stored_interval_query("kinds").collect()
    back = [i.payload for i in got[1].get_intervals()]
    assert back == payloads and [type(p) for p in back] == [type(p) for p in payloads]


def test_nested_sets_are_rows_with_bounds_null_where_a_load_restores_them() -> None:
    faces = IntervalSet3D([Interval3D((0, 3), (0.1, 0.2), payload=11), Interval3D((1, 3), (0.5, 0.6), payload=12)])
    storage.save_collection(coll({4: [Interval3D((0, 3), payload=faces)]}), "frames")
    top, *children = ResultInterval.objects.order_by("id").values_list(
        "parent_row", "child_start", "child_count", "t1", "t2", "x1", "x2", "y1", "payload_int", "payload"
    )
    # Top: its own times, no default spatial bound; faces: no time equal to their frame's.
    assert top == (None, 1, 2, 0.0, 3.0, None, None, None, None, None)
    assert children == [(0, None, None, None, None, 0.1, 0.2, None, 11, None), (0, None, None, 1.0, None, 0.5, 0.6, None, 12, None)]


@pytest.mark.postgres
def test_negative_zero_and_infinite_bounds_are_stored_as_they_are() -> None:
    inner = IntervalSet3D([Interval3D((-0.0, math.inf), (-0.0, 1.0), (0.0, math.inf))])
    stored = coll({4: [Interval3D((0.0, math.inf), (-0.0, 0.0), payload=inner)]})
    storage.save_collection(stored, "edges")
    rows = ResultInterval.objects.order_by("id").values_list("t1", "t2", "x1", "x2", "y1", "y2")
    assert [[repr(v) for v in row] for row in rows] == [
        ["0.0", "inf", "-0.0", "0.0", "None", "None"],
        ["-0.0", "None", "-0.0", "None", "None", "inf"],
    ]
    loaded = storage.load_collection("edges")[4].get_intervals()
    assert [repr(b) for b in (*loaded[0].t, *loaded[0].x, *loaded[0].payload.get_intervals()[0].t)] == [
        "0.0", "inf", "-0.0", "0.0", "-0.0", "inf"
    ]


@pytest.fixture
def stored_frames() -> Any:
    """A stored ``group_by_time`` collection: frames whose payloads are their faces."""
    rng = np.random.default_rng(0)
    faces = {}
    for video in (1, 2, 3):
        rows = []
        for frame in range(30):
            for _ in range(int(rng.integers(0, 5))):
                y1 = float(rng.choice([0.1, 0.2, 0.3]))
                rows.append(Interval3D((frame * 90, frame * 90 + 90), (0.1, 0.2), (y1, y1 + float(rng.choice([0.1, 0.25, 0.4]))),
                                       payload=int(rng.integers(1000))))
            if frame % 7 == video:  # a full-frame face: every spatial bound stored NULL
                rows.append(Interval3D((frame * 90, frame * 90 + 90), payload=frame))
        faces[video] = rows
    frames = coll(faces).group_by_time()
    storage.save_collection(frames, "frames")
    return frames


NESTED_FILTERS = {
    "at least 3 faces": P(length_at_least(3)),
    "exactly 2 faces": P(length_exactly(2)),
    "a face of height >= 0.3": P(any_member(XY(height_at_least(0.3)))),
    "a face high and wide": P(any_member(and_pred(XY(height_at_least(0.3)), XY(width_at_least(0.1))))),
    "a full-frame face": P(any_member(XY(position(0.0, 0.0, 1.0, 1.0, epsilon=0.01)))),
}


def test_a_nested_filter_sql_cannot_express_runs_in_python(stored_frames: Any) -> None:
    query = storage.stored_interval_query("frames").filter(P(any_member(lambda face: face.payload % 2 == 0)))
    assert ": Python (" in query.explain(print_=False).splitlines()[-1]
    assert query.collect() == stored_frames.filter(P(any_member(lambda face: face.payload % 2 == 0)))


@pytest.mark.parametrize("name", sorted(NESTED_FILTERS))
def test_nested_set_filters_on_a_stored_collection_run_in_sql(stored_frames: Any, name: str) -> None:
    query = storage.stored_interval_query("frames").filter_size(min_size=1).filter(NESTED_FILTERS[name])
    explained = query.explain(print_=False)
    assert "over the nested sets' child rows" in explained and "Python" not in explained.split("steps")[-1]
    with CaptureQueriesContext(connection) as queries:
        in_sql = query.collect()
    assert any("child_count" in q["sql"] or "EXISTS" in q["sql"].upper() for q in queries.captured_queries)
    assert in_sql == query.collect(pushdown=False) == stored_frames.filter_size(min_size=1).filter(NESTED_FILTERS[name])
    assert len(in_sql.columns)  # the fixture has frames on both sides of each filter
