"""Page data: in-memory collections (pure) and stored collections (paged on the server)."""

from __future__ import annotations

import datetime as dt
import math
import time

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.viewer.pages import (
    PageOutOfRange,
    interval_entry,
    page_data_from_collection,
    page_data_from_stored,
    payload_boxes,
    to_jsonable,
)


def _coll(n_domains: int = 30, per_domain: int = 3) -> DomainIntervalCollection:
    return DomainIntervalCollection(
        {
            k: IntervalSet3D([Interval3D((10 * i, 10 * i + 5), payload=[k, i]) for i in range(per_domain)])
            for k in range(n_domains, 0, -1)
        }
    )


# -- in memory ---------------------------------------------------------------------


def test_pages_hold_per_page_domains_in_sorted_key_order() -> None:
    first = page_data_from_collection(_coll(), 1, 25)
    second = page_data_from_collection(_coll(), 2, 25)
    assert [v["domain"] for v in first["videos"]] == list(range(1, 26))
    assert [v["domain"] for v in second["videos"]] == list(range(26, 31))
    assert (first["num_pages"], first["has_next"], first["has_previous"]) == (2, True, False)
    assert (second["has_next"], second["has_previous"]) == (False, True)


@pytest.mark.parametrize("page", [0, -1, 3])
def test_page_out_of_range(page: int) -> None:
    with pytest.raises(PageOutOfRange, match=str(page)):
        page_data_from_collection(_coll(), page, 25)


def test_keys_that_do_not_sort_keep_insertion_order() -> None:
    coll = DomainIntervalCollection({"b": IntervalSet3D([Interval3D((0, 1))]), 1: IntervalSet3D([Interval3D((0, 1))])})
    assert [v["domain"] for v in page_data_from_collection(coll)["videos"]] == ["b", 1]


def test_length_is_num_frames_when_known_else_last_t2() -> None:
    data = page_data_from_collection(_coll(2), videos_meta={1: {"num_frames": 1000, "fps": 30.0, "src": "/m/1/"}})
    one, two = data["videos"]
    assert (one["length"], one["fps"], one["src"]) == (1000, 30.0, "/m/1/")
    assert (two["length"], two["fps"], two["src"]) == (25, None, None)


def test_interval_entry_boxes_own_bounds_then_nested_payload_boxes() -> None:
    faces = IntervalSet3D([Interval3D((0, 1), (0.1, 0.2), (0.3, 0.4)), Interval3D((0, 1), (0.5, 0.6), (0.3, 0.4))])
    entry = interval_entry(0, 90, 0.1, 0.6, 0.3, 0.4, faces, fps=30.0)
    assert entry["boxes"] == [[0.1, 0.3, 0.6, 0.4], [0.1, 0.3, 0.2, 0.4], [0.5, 0.3, 0.6, 0.4]]
    assert entry["title"].startswith("t=[0, 90] (0.00s–3.00s) payload: [")


def test_full_frame_intervals_draw_no_box_of_their_own() -> None:
    assert interval_entry(0, 1, 0, 1, 0, 1, None)["boxes"] == []


def test_boxes_inside_tuples_as_collect_by_interval_makes() -> None:
    nested = IntervalSet3D([Interval3D((0, 1), (0.1, 0.2), (0.3, 0.4))])
    assert payload_boxes((5, nested)) == [[0.1, 0.3, 0.2, 0.4]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ((1, 2), [1, 2]),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (np.int64(3), 3),
        (float("nan"), "nan"),
        ({1: (2,)}, {"1": [2]}),
        (Interval3D((0, 1), payload=2), {"t": [0, 1], "x": [0, 1], "y": [0, 1], "payload": 2}),
        (object, repr(object)),
    ],
)
def test_to_jsonable(value: object, expected: object) -> None:
    assert to_jsonable(value) == expected


def test_to_jsonable_cuts_huge_lists() -> None:
    shown = to_jsonable(list(range(1000)))
    assert len(shown) == 201 and shown[-1] == "… 800 more"


# -- stored --------------------------------------------------------------------------


@pytest.fixture
def stored(db: None, corpus: object) -> object:
    from esper_rekall.models import Video
    from esper_rekall.storage import save_collection

    ids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
    faces = IntervalSet3D([Interval3D((0, 90), (0.1, 0.2), (0.3, 0.5), payload=11)])
    coll = DomainIntervalCollection(
        {vid: IntervalSet3D([Interval3D((100 * k, 100 * k + 50), payload=faces) for k in range(1, 4)]) for vid in ids}
    )
    return save_collection(coll, "stored-pages", query_name="test"), coll, ids


def test_stored_page_matches_in_memory_page(stored: tuple) -> None:
    collection, coll, ids = stored
    got = page_data_from_stored(collection, 1, 4)
    want = page_data_from_collection(coll, 1, 4)
    assert [v["domain"] for v in got["videos"]] == ids[:4]
    for g, w in zip(got["videos"], want["videos"]):
        assert [(i["t1"], i["t2"], i["payload"], i["boxes"]) for i in g["intervals"]] == [
            (i["t1"], i["t2"], i["payload"], i["boxes"]) for i in w["intervals"]
        ]
    assert got["num_domains"] == len(ids) and got["num_pages"] == math.ceil(len(ids) / 4)


def test_stored_page_has_video_metadata(stored: tuple) -> None:
    from esper_rekall.models import Video

    collection, _, ids = stored
    video = Video.objects.get(pk=ids[0])
    got = page_data_from_stored(collection, 1, 2, media_url=lambda v: f"/m/{v.pk}/")
    first = got["videos"][0]
    assert (first["length"], first["fps"], first["src"], first["video_id"]) == (
        video.num_frames, video.fps, f"/m/{video.pk}/", video.pk
    )


def test_stored_last_page_and_past_it(stored: tuple) -> None:
    collection, _, ids = stored
    last = math.ceil(len(ids) / 4)
    assert not page_data_from_stored(collection, last, 4)["has_next"]
    with pytest.raises(PageOutOfRange):
        page_data_from_stored(collection, last + 1, 4)


def test_stored_collection_with_date_domains(db: None) -> None:
    from esper_rekall.storage import save_collection

    coll = DomainIntervalCollection(
        {dt.date(2026, 1, d): IntervalSet3D([Interval3D((d, d + 1), payload="p")]) for d in (3, 1, 2)}
    )
    collection = save_collection(coll, "dates")
    data = page_data_from_stored(collection, 1, 2)
    assert [v["domain"] for v in data["videos"]] == ["2026-01-01", "2026-01-02"]
    assert data["videos"][0]["intervals"][0]["t1"] == 1.0
    assert data["num_pages"] == 2


def _bulk_collection(n_videos: int, per_video: int) -> object:
    """A stored collection of ``n_videos * per_video`` intervals, inserted in bulk."""
    from esper_rekall.models import ResultChunk, ResultCollection, ResultInterval

    collection = ResultCollection.objects.create(
        name=f"big-{n_videos}x{per_video}", query_ref={}, status="done", num_chunks=1, chunks_done=1,
        num_intervals=n_videos * per_video,
    )
    chunk = ResultChunk.objects.create(collection=collection, index=0, arguments=[], state="done")
    rows = (
        ResultInterval(
            collection=collection, chunk=chunk, row=(v - 1) * per_video + i, domain_int=v,
            t1=float(10 * i), t2=float(10 * i + 5), payload_kind=2, payload_int=i,
        )
        for v in range(1, n_videos + 1)
        for i in range(per_video)
    )
    ResultInterval.objects.bulk_create(rows, batch_size=10_000)
    return collection


@pytest.mark.django_db
def test_stored_page_reads_a_constant_number_of_queries() -> None:
    small = _bulk_collection(60, 5)
    with CaptureQueriesContext(connection) as q1:
        page_data_from_stored(small, 2, 25)
    from esper_rekall.models import ResultInterval

    ResultInterval.objects.filter(collection=small).delete()
    bigger = _bulk_collection(300, 20)
    with CaptureQueriesContext(connection) as q2:
        data = page_data_from_stored(bigger, 5, 25)
    assert len(q1) == len(q2) <= 8
    assert [v["domain"] for v in data["videos"]] == list(range(101, 126))
    assert all(len(v["intervals"]) == 20 for v in data["videos"])


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db
def test_large_collection_page_is_fast(capsys: pytest.CaptureFixture[str]) -> None:
    """200,000 stored intervals (1,000 videos x 200): a deep page stays a few queries and milliseconds."""
    big = _bulk_collection(1_000, 200)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE esper_rekall_resultinterval")
    page_data_from_stored(big, 1, 25)  # warm the cache
    timings = {}
    for page in (1, 20, 40):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            data = page_data_from_stored(big, page, 25)
            timings[page] = time.perf_counter() - started
        assert len(queries) <= 8  # the page (5) + its chunks, top rows, text values
        assert len(data["videos"]) == 25 and sum(len(v["intervals"]) for v in data["videos"]) == 5_000
    assert data["num_pages"] == 40
    with capsys.disabled():
        print("\npage_data_from_stored on 200,000 intervals:", {p: f"{t * 1000:.0f} ms" for p, t in timings.items()})
    assert max(timings.values()) < 2.0
