"""from_django_qs equals the reference's row-by-row construction, on the session corpus.

The expected collections are built the slow way, as Rekall did: iterate the
queryset's model instances and make one ``Interval3D`` per row through
``DomainIntervalCollection.from_iterable``.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Callable

import numpy as np
import pytest
from django.db.models import F
from django.db.models.functions import TruncDate

from esper_rekall.intervals import Interval3D
from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.intervals.interval_list import IntervalList
from esper_rekall.intervals.parsers import bbox_payload_parser, dict_payload_parser, in_array
from esper_rekall.intervals.video_collection import VideoIntervalCollection
from esper_rekall.models import Face, Shot, Video
from esper_rekall.queries.tvnews import faces_rekall

pytestmark = pytest.mark.django_db

accessor = DomainIntervalCollection.django_accessor


def tutorial_faces(vids: list[int]) -> Any:
    return Face.objects.filter(frame__video_id__in=vids).annotate(
        video_id=F("frame__video_id"),
        min_frame=F("frame__number"),
        max_frame=F("frame__number") + 3 * F("frame__video__fps"),
    )


def slow(qs: Any, schema: dict[str, str], payload: Callable[[Any], Any] | None = None) -> DomainIntervalCollection:
    """The reference's from_django_qs: model instances, one Interval3D each."""
    s = {"domain": "video_id", "t1": "min_frame", "t2": "max_frame", **schema}
    get = lambda row, f: accessor(row, f)  # noqa: E731
    kwargs: dict[str, Any] = {}
    if "x1" in s:
        kwargs["x_accessor"] = lambda r: (get(r, s["x1"]), get(r, s["x2"]))
        kwargs["y_accessor"] = lambda r: (get(r, s["y1"]), get(r, s["y2"]))
    if payload is not None:
        kwargs["p_accessor"] = payload
    elif "payload" in s:
        kwargs["p_accessor"] = lambda r: get(r, s["payload"])
    rows = list(qs)
    assert rows and all(isinstance(r, qs.model) for r in rows)
    return DomainIntervalCollection.from_iterable(
        rows, lambda r: get(r, s["domain"]), lambda r: (get(r, s["t1"]), get(r, s["t2"])), **kwargs
    )


def assert_same(got: DomainIntervalCollection, expected: DomainIntervalCollection) -> None:
    assert got == expected
    assert set(got.domain_keys) == set(expected.domain_keys)
    for key in expected:
        g, e = got[key].get_intervals(), expected[key].get_intervals()
        assert [i.payload for i in g] == [i.payload for i in e]
        assert [tuple(map(type, (*i.t, *i.x, *i.y))) for i in g] == [tuple(map(type, (*i.t, *i.x, *i.y))) for i in e]


@pytest.fixture
def vids(corpus: Any) -> list[int]:
    return list(Video.objects.order_by("id").values_list("id", flat=True))


def test_faces_rekall_equals_the_reference_construction(vids: list[int]) -> None:
    qs = tutorial_faces(vids[:4])
    expected = slow(qs, DomainIntervalCollection.django_bbox_default_schema()).group_by_time()
    got = faces_rekall(vids[:4])
    assert got == expected and len(got) == 4
    some = got[vids[0]].get_intervals()[0]
    assert (some.x, some.y) == ((0, 1), (0, 1)) and isinstance(some.payload.get_intervals()[0], Interval3D)
    # Every face of those videos is in exactly one frame's payload set.
    assert sum(len(i.payload) for k in got for i in got[k].get_intervals()) == qs.count()


def test_bbox_schema_equals_the_reference_construction(vids: list[int]) -> None:
    qs = tutorial_faces(vids)
    schema = DomainIntervalCollection.django_bbox_default_schema()
    assert_same(DomainIntervalCollection.from_django_qs(qs, schema=schema), slow(qs, schema))


def test_default_schema_on_shots_equals_the_reference_construction(vids: list[int]) -> None:
    qs = Shot.objects.filter(video_id__in=vids[:3])
    got = DomainIntervalCollection.from_django_qs(qs)
    assert_same(got, slow(qs, {}))
    assert got.columns.t1.dtype == np.int64 and got.columns.payload[0] is None


def test_tutorial_payload_parsers_equal_the_reference_construction(vids: list[int]) -> None:
    qs = tutorial_faces(vids[:3])
    schema = DomainIntervalCollection.django_bbox_default_schema()
    payload = in_array(bbox_payload_parser(DomainIntervalCollection.django_accessor))
    got = DomainIntervalCollection.from_django_qs(qs, schema=schema, with_payload=payload)
    assert_same(got, slow(qs, schema, payload))
    assert set(first_payload(got)[0]) == {"x1", "y1", "x2", "y2"}


def test_dict_payload_parser_through_relations_equals_the_reference_construction(vids: list[int]) -> None:
    qs = tutorial_faces(vids[:2])
    payload = dict_payload_parser(accessor, {"video": "frame.video_id", "frame": "frame.number", "p": "probability"})
    got = DomainIntervalCollection.from_django_qs(qs, with_payload=payload)
    assert_same(got, slow(qs, {}, payload))


def test_schema_with_expressions_and_date_domains(vids: list[int]) -> None:
    qs = tutorial_faces(vids).annotate(date=TruncDate("frame__video__time"))
    got = DomainIntervalCollection.from_django_qs(qs, schema={"domain": "date", "payload": "frame.number"})
    assert_same(got, slow(qs, {"domain": "date", "payload": "frame.number"}))
    assert all(type(k).__name__ == "date" for k in got.domain_keys)


def test_from_django_qs_progress_bar_counts_the_queryset(vids: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    qs = Shot.objects.filter(video_id=vids[0])
    DomainIntervalCollection.from_django_qs(qs, progress=True)
    assert f"{qs.count()}/{qs.count()}" in capsys.readouterr().err


def test_from_django_qs_of_an_empty_queryset(corpus: Any) -> None:
    assert len(DomainIntervalCollection.from_django_qs(Shot.objects.none())) == 0


def test_from_django_qs_unknown_field_names_it(corpus: Any) -> None:
    with pytest.raises(ValueError, match="'min_frame'.*not a field of Face"):
        DomainIntervalCollection.from_django_qs(Face.objects.all(), schema={"domain": "frame__video_id"})


def test_from_django_qs_still_accepts_model_like_rows() -> None:
    from types import SimpleNamespace

    rows = [SimpleNamespace(video_id=1, min_frame=0, max_frame=2, f=SimpleNamespace(g="x"))]
    coll = DomainIntervalCollection.from_django_qs(rows, schema={"payload": "f.g"})
    assert coll[1].get_intervals()[0].payload == "x"


def first_payload(coll: DomainIntervalCollection) -> Any:
    return coll[coll.domain_keys[0]].get_intervals()[0].payload


# -- the 1D VideoIntervalCollection ---------------------------------------------------


def test_video_interval_collection_from_django_qs_equals_row_by_row(vids: list[int]) -> None:
    qs = Shot.objects.filter(video_id__in=vids[:3])
    got = VideoIntervalCollection.from_django_qs(qs)
    expected = VideoIntervalCollection.from_django_qs(list(qs))  # Rekall's path over model instances
    assert got.intervals.keys() == expected.intervals.keys()
    for vid, lst in expected.intervals.items():
        g = [(i.start, i.end, i.payload) for i in got.get_intervallist(vid).get_intervals()]
        assert g == [(i.start, i.end, i.payload) for i in lst.get_intervals()]
        assert isinstance(got.get_intervallist(vid), IntervalList) and type(g[0][0]) is int


def test_video_interval_collection_schema_and_with_payload(vids: list[int]) -> None:
    qs = tutorial_faces(vids[:2])
    schema = {"start": "min_frame", "end": "max_frame"}
    got = VideoIntervalCollection.from_django_qs(qs, "video_id", schema, with_payload=lambda r: r.frame.number)
    expected = VideoIntervalCollection.from_django_qs(list(qs), "video_id", schema, with_payload=lambda r: r.frame.number)
    for vid, lst in expected.intervals.items():
        assert sorted((i.start, i.end, i.payload) for i in got.get_intervallist(vid).get_intervals()) == sorted(
            (i.start, i.end, i.payload) for i in lst.get_intervals()
        )


def test_video_interval_collection_needs_a_payload_field(corpus: Any) -> None:
    with pytest.raises(ValueError, match="schema must map 'payload'"):
        VideoIntervalCollection.from_django_qs(Shot.objects.all(), schema={"start": "min_frame", "end": "max_frame"})


def test_importing_the_collections_does_not_import_django() -> None:
    code = ("import sys, esper_rekall.intervals.collection, esper_rekall.intervals.video_collection;"
            "assert 'django' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
