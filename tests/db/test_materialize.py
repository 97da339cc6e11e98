"""materialize / rows_to_collection: streaming, types, errors before reading, progress."""

from __future__ import annotations

import datetime
import importlib
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.db.models import Case, F, IntegerField, Value, When
from django.test.utils import CaptureQueriesContext

from esper_rekall.db.materialize import materialize, rows_to_collection
from esper_rekall.db.schema import IntervalSchema
from esper_rekall.intervals import Interval3D, IntervalSet3D
from esper_rekall.intervals.errors import BoundTypeError, InvalidBoundError
from esper_rekall.models import Face, Shot

# The package re-exports the function under the module's name.
materialize_module = importlib.import_module("esper_rekall.db.materialize")


def faces_qs():
    return Face.objects.annotate(
        video_id=F("frame__video_id"),
        min_frame=F("frame__number"),
        max_frame=F("frame__number") + 3 * F("frame__video__fps"),
    )


def first(coll: Any) -> Interval3D:
    return coll[coll.domain_keys[0]].get_intervals()[0]


# -- rows_to_collection ------------------------------------------------------------


def test_rows_to_collection_groups_by_domain_and_sorts_by_time() -> None:
    coll = rows_to_collection([(1, 5, 6), (2, 0, 1), (1, 0, 2)], ["domain", "t1", "t2"])
    assert coll.domain_keys == [1, 2]
    assert [i.t for i in coll[1].get_intervals()] == [(0, 2), (5, 6)]


def test_rows_to_collection_defaults_full_frame_and_none_payload() -> None:
    i = first(rows_to_collection([("a", 0, 1)], ["domain", "t1", "t2"]))
    assert (i.x, i.y, i.payload) == ((0, 1), (0, 1), None)
    assert all(type(v) is int for v in (*i.t, *i.x, *i.y))


def test_rows_to_collection_keeps_int_and_float_bounds() -> None:
    coll = rows_to_collection([(1, 0, 1, 0.25, 0.5, 0.0, 1.0)], ["domain", "t1", "t2", "x1", "x2", "y1", "y2"])
    i = first(coll)
    assert coll.columns.t1.dtype == np.int64 and coll.columns.x1.dtype == np.float64
    assert type(i.t[0]) is int and type(i.x[0]) is float


def test_rows_to_collection_makes_both_ends_of_an_axis_float_if_one_is() -> None:
    i = first(rows_to_collection([(1, 0, 1.5)], ["domain", "t1", "t2"]))
    assert i.t == (0.0, 1.5) and type(i.t[0]) is float


def test_rows_to_collection_keeps_python_object_payloads() -> None:
    nested = IntervalSet3D([Interval3D((0, 1))])
    coll = rows_to_collection([(1, 0, 1, [1, [2]]), (1, 2, 3, nested), (1, 4, 5, (1, 2))],
                              ["domain", "t1", "t2", "payload"])
    assert [i.payload for i in coll[1].get_intervals()] == [[1, [2]], nested, (1, 2)]


@pytest.mark.parametrize("key", ["cnn", datetime.date(2020, 1, 2), (1, "a"), 3.5, True])
def test_rows_to_collection_keeps_domain_keys_as_python_values(key: Any) -> None:
    coll = rows_to_collection([(key, 0, 1)], ["domain", "t1", "t2"])
    assert coll.domain_keys == [key] and type(coll.domain_keys[0]) is type(key)


def test_rows_to_collection_keeps_ties_in_row_order() -> None:
    coll = rows_to_collection([(1, 0, 1, "b"), (1, 0, 1, "a")], ["domain", "t1", "t2", "payload"])
    assert [i.payload for i in coll[1].get_intervals()] == ["b", "a"]


def test_rows_to_collection_streams_more_than_one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(materialize_module, "CHUNK_SIZE", 3)
    rows = ((i % 4, i, i + 1.5 if i == 9 else i + 1) for i in range(10))
    coll = rows_to_collection(rows, ["domain", "t1", "t2"])
    assert coll.domain_keys == [0, 1, 2, 3] and sum(coll.size().values()) == 10
    assert coll[1].get_intervals()[-1].t == (9.0, 10.5)


def test_rows_to_collection_of_no_rows_is_empty() -> None:
    coll = rows_to_collection([], ["domain", "t1", "t2"])
    assert len(coll) == 0 and len(coll.columns) == 0


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ((1, 3, 1), InvalidBoundError, r"t1 must be <= t2, got t1=3, t2=1 \(domain 1, row 0\)"),
        ((1, float("nan"), 1.0), InvalidBoundError, "t1 must not be NaN"),
        ((1, None, 1), BoundTypeError, "t1 must be a real number, got t1=NULL"),
        ((1, 0, "2"), BoundTypeError, "t2 must be a real number, got t2='2'"),
        ((1, 0, True), BoundTypeError, "t2 must be a real number, got t2=True"),
    ],
)
def test_rows_to_collection_rejects_bad_bounds(row: tuple, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        rows_to_collection([row], ["domain", "t1", "t2"])


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["domain", "t1"], "must include 't2'"),
        (["domain", "t1", "t2", "x1"], "both 'x1' and 'x2'"),
        (["domain", "t1", "t2", "start"], "unknown column 'start'"),
        (["domain", "t1", "t1"], "must not repeat"),
    ],
)
def test_rows_to_collection_rejects_bad_columns(columns: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rows_to_collection([], columns)


def test_rows_to_collection_shows_progress(capsys: pytest.CaptureFixture[str]) -> None:
    rows_to_collection([(1, 0, 1)] * 7, ["domain", "t1", "t2"], progress=True, total=7)
    assert "7/7" in capsys.readouterr().err


# -- materialize ---------------------------------------------------------------------


@pytest.fixture
def copy_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records whether each materialize() read through binary COPY."""
    calls: list[bool] = []
    real = materialize_module._copy_binary

    def spy(*args: Any, **kwargs: Any) -> bool:
        try:
            used = real(*args, **kwargs)
        except materialize_module._NotFixedWidth:
            calls.append(False)
            raise
        calls.append(used)
        return used

    monkeypatch.setattr(materialize_module, "_copy_binary", spy)
    return calls


@pytest.mark.django_db
def test_materialize_keeps_types(corpus: Any) -> None:
    coll = materialize(Shot.objects.all(), IntervalSchema.from_mapping({"payload": "id"}))
    i = first(coll)
    assert all(type(k) is int for k in coll.domain_keys)
    assert coll.columns.t1.dtype == np.int64 and type(i.t[0]) is int and type(i.payload) is int
    assert (i.x, i.y) == ((0, 1), (0, 1))
    assert sum(coll.size().values()) == corpus.counts["shot"]


@pytest.mark.django_db
def test_materialize_float_bounds_and_bbox(corpus: Any) -> None:
    coll = materialize(faces_qs(), IntervalSchema.bbox_default())
    i = first(coll)
    assert type(i.t[1]) is float and type(i.x[0]) is float and type(i.payload) is int
    assert sum(coll.size().values()) == corpus.counts["face"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_materialize_uses_binary_copy_on_postgresql(corpus: Any, copy_calls: list[bool]) -> None:
    materialize(faces_qs(), IntervalSchema.bbox_default())
    assert copy_calls == [True]


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_and_values_list_paths_agree(corpus: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = materialize(faces_qs(), IntervalSchema.bbox_default(), chunk_size=1000)
    monkeypatch.setattr(materialize_module, "_copy_binary", lambda *a, **k: False)
    slow = materialize(faces_qs(), IntervalSchema.bbox_default(), chunk_size=1000)
    assert fast == slow and fast.domain_keys == slow.domain_keys
    assert all(a.dtype == b.dtype for a, b in zip(fast.columns.bounds(), slow.columns.bounds()))
    assert [type(p) for p in fast.columns.payload[:5]] == [type(p) for p in slow.columns.payload[:5]]


@pytest.mark.django_db
def test_materialize_null_payloads_read_as_none(corpus: Any, copy_calls: list[bool]) -> None:
    payload = Case(When(min_frame__lt=1000, then=F("id")), default=Value(None), output_field=IntegerField())
    coll = materialize(Shot.objects.all(), IntervalSchema.from_mapping({"payload": payload}))
    payloads = [i.payload for k in coll for i in coll[k].get_intervals()]
    assert None in payloads and any(type(p) is int for p in payloads)
    if connection.vendor == "postgresql":
        assert copy_calls == [False]  # NULLs break the fixed layout: read again through values_list


@pytest.mark.django_db
def test_materialize_string_domain_keys(corpus: Any) -> None:
    coll = materialize(Shot.objects.all(), IntervalSchema.from_mapping({"domain": "video__channel__name"}))
    assert sorted(coll.domain_keys) == sorted(set(Shot.objects.values_list("video__channel__name", flat=True)))


@pytest.mark.django_db
def test_materialize_null_bound_is_a_clear_error(corpus: Any) -> None:
    t2 = Case(When(min_frame__lt=0, then=F("max_frame")), default=Value(None), output_field=IntegerField())
    with pytest.raises(BoundTypeError, match="t2 must be a real number, got t2=NULL"):
        materialize(Shot.objects.all(), IntervalSchema.from_mapping({"t2": t2}))


@pytest.mark.django_db
def test_materialize_inverted_bounds_is_a_clear_error(corpus: Any) -> None:
    with pytest.raises(InvalidBoundError, match="t1 must be <= t2"):
        materialize(Shot.objects.all(), IntervalSchema.from_mapping({"t1": "max_frame", "t2": "min_frame"}))


@pytest.mark.django_db
def test_materialize_empty_querysets(corpus: Any) -> None:
    for qs in (Shot.objects.none(), Shot.objects.filter(min_frame__lt=0)):
        coll = materialize(qs, IntervalSchema.from_mapping({"payload": "id"}))
        assert len(coll) == 0 and len(coll.columns) == 0


@pytest.mark.django_db
def test_materialize_streams_in_chunks(corpus: Any) -> None:
    whole = materialize(faces_qs(), IntervalSchema.bbox_default())
    assert materialize(faces_qs(), IntervalSchema.bbox_default(), chunk_size=7) == whole


@pytest.mark.django_db
def test_materialize_progress_bar_has_the_count_as_total(corpus: Any, capsys: pytest.CaptureFixture[str]) -> None:
    materialize(Shot.objects.all(), IntervalSchema.from_mapping({}), progress=True)
    n = corpus.counts["shot"]
    assert f"{n}/{n}" in capsys.readouterr().err


@pytest.mark.django_db
def test_materialize_never_builds_model_instances(corpus: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a Face instance was built")

    monkeypatch.setattr(Face, "from_db", classmethod(fail))
    monkeypatch.setattr(Face, "__init__", fail)
    materialize(faces_qs(), IntervalSchema.bbox_default(), with_payload=lambda r: r.probability)


# -- errors before any row is read ---------------------------------------------------


@pytest.mark.django_db
def test_unknown_schema_field_fails_before_any_query(corpus: Any) -> None:
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError, match="'nope'"):
        materialize(faces_qs(), IntervalSchema.from_mapping({"payload": "nope"}), progress=True)
    assert len(queries) == 0


@pytest.mark.django_db
def test_unknown_payload_field_fails_before_any_query(corpus: Any) -> None:
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError, match="with_payload reads 'gender_name'"):
        materialize(faces_qs(), IntervalSchema.bbox_default(), with_payload=lambda row: row["gender_name"], progress=True)
    assert len(queries) == 0


@pytest.mark.django_db
def test_unknown_nested_payload_field_is_named(corpus: Any) -> None:
    with pytest.raises(ValueError, match="with_payload reads 'frame.nope'"):
        materialize(faces_qs(), IntervalSchema.bbox_default(), with_payload=lambda row: row.frame.nope)


@pytest.mark.django_db
def test_many_valued_payload_field_is_refused(corpus: Any) -> None:
    with pytest.raises(ValueError, match="'identities.probability'.*many-valued"):
        materialize(faces_qs(), IntervalSchema.bbox_default(), with_payload=lambda row: row.identities.probability)


@pytest.mark.django_db
def test_non_callable_with_payload_is_a_type_error(corpus: Any) -> None:
    with pytest.raises(TypeError, match="with_payload must be callable"):
        materialize(faces_qs(), IntervalSchema.bbox_default(), with_payload="id")


# -- with_payload rows ----------------------------------------------------------------


@pytest.mark.django_db
def test_with_payload_rows_give_attribute_item_and_nested_access(corpus: Any) -> None:
    def payload(row: Any) -> tuple:
        return (row.id, row["bbox_x1"], row.frame.video_id, row["frame.number"], row.frame.video.fps, row.pk)

    coll = materialize(faces_qs(), IntervalSchema.bbox_default(), with_payload=payload)
    face = Face.objects.select_related("frame__video").get(pk=first(coll).payload[0])
    assert first(coll).payload == (face.id, face.bbox_x1, face.frame.video_id, face.frame.number, face.frame.video.fps, face.pk)


@pytest.mark.django_db
def test_with_payload_may_compute_on_values(corpus: Any) -> None:
    coll = materialize(
        faces_qs(), IntervalSchema.bbox_default(),
        with_payload=lambda r: {"w": round(r.bbox_x2 - r.bbox_x1, 6), "label": f"face-{r.id}".upper()},
    )
    i = first(coll)
    assert i.payload["w"] == round(i.x[1] - i.x[0], 6) and i.payload["label"].startswith("FACE-")


@pytest.mark.django_db
def test_with_payload_field_read_only_conditionally_is_named_on_the_row(corpus: Any) -> None:
    def payload(row: Any) -> Any:
        return row.id if row.probability > 2 else row.labeler_id  # the probe only takes the first branch

    with pytest.raises(AttributeError, match="no fetched field 'labeler_id'"):
        materialize(faces_qs(), IntervalSchema.bbox_default(), with_payload=payload)
