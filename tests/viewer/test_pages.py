"""Page data: in-memory collections (pure) and stored collections (paged on the server)."""

from __future__ import annotations

import datetime as dt
import json
import math
import time

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.viewer.pages import (
    PageOutOfRange,
    encode_times,
    format_seconds,
    interval_detail,
    interval_detail_from_stored,
    page_data_from_collection,
    page_data_from_stored,
    payload_boxes,
    payload_label,
    to_jsonable,
)


def _coll(n_domains: int = 30, per_domain: int = 3) -> DomainIntervalCollection:
    return DomainIntervalCollection(
        {
            k: IntervalSet3D([Interval3D((10 * i, 10 * i + 5), payload=[k, i]) for i in range(per_domain)])
            for k in range(n_domains, 0, -1)
        }
    )


def decode_times(video: dict) -> list[tuple[float, float]]:
    """The bounds of a page's timeline, decoded as viewer.js does (see ``encode_times``)."""
    starts = np.cumsum(video["t1"]) / video["s1"]
    durs = np.broadcast_to(np.asarray(video["dur"]), starts.shape) / video["s2"]
    return [(float(a), float(a + d)) for a, d in zip(starts, durs)]


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


def test_span_is_the_videos_own_frame_count_not_the_last_t2() -> None:
    coll = DomainIntervalCollection({1: IntervalSet3D([Interval3D((900, 989.91))]), 2: IntervalSet3D([Interval3D((5, 25))])})
    data = page_data_from_collection(coll, videos_meta={1: {"num_frames": 950, "fps": 29.97, "src": "/m/1/"}})
    one, two = data["videos"]
    assert (one["span"], one["unit"], one["fps"], one["src"]) == ([0, 950], "frames", 29.97, "/m/1/")
    assert one["length_text"] == "950 frames · 0:31.70 at 29.97 fps"
    assert (two["span"], two["unit"], two["fps"], two["src"]) == ([0.0, 25.0], None, None, None)


@pytest.mark.parametrize(
    ("t1", "t2", "s1", "s2", "dur"),
    [
        ([180, 270, 360], [269.91, 359.91, 449.91], 1, 1000, 89910),  # frames_with_faces: t2 = frame + 3 * 29.97
        ([0, 10, 40], [5, 30, 41], 1, 1, [5, 20, 1]),
        ([0.5, 0.75], [0.625, 1.0], 10**6, 10**6, [125000, 250000]),
    ],
)
def test_encode_times_sends_each_bound_once_and_decodes_to_it(t1: list, t2: list, s1: int, s2: int, dur: object) -> None:
    video = encode_times(t1, t2)
    assert (video["n"], video["s1"], video["s2"], video["dur"]) == (len(t1), s1, s2, dur)
    assert np.allclose(decode_times(video), list(zip(t1, t2)), rtol=0, atol=1e-9)


def test_encode_times_is_a_few_bytes_per_interval() -> None:
    t1 = np.arange(700) * 90
    video = encode_times(t1, t1 + 89.91)
    assert len(json.dumps(video, separators=(",", ":"))) < 4 * 700


def test_in_memory_pages_carry_their_details_bounds_boxes_and_payload() -> None:
    faces = IntervalSet3D([Interval3D((0, 1), (0.1, 0.2), (0.3, 0.4), payload=11), Interval3D((0, 1), (0.5, 0.6), (0.3, 0.4), payload="Ann")])
    coll = DomainIntervalCollection({3: IntervalSet3D([Interval3D((0, 90), (0.1, 0.6), (0.3, 0.4), payload=faces)])})
    (video,) = page_data_from_collection(coll, videos_meta={3: {"fps": 30.0}})["videos"]
    (detail,) = video["details"]
    assert detail["boxes"] == [[0.1, 0.3, 0.6, 0.4, None], [0.1, 0.3, 0.2, 0.4, "11"], [0.5, 0.3, 0.6, 0.4, "Ann"]]
    assert (detail["t"], detail["time"]) == ([0, 90], "0:00–0:03")
    assert [f["payload"] for f in detail["payload"]] == [11, "Ann"]
    assert decode_times(video) == [(0, 90)]


def test_keys_the_codec_cannot_encode_still_make_a_page() -> None:
    class Key:
        def __hash__(self) -> int:
            return 1

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Key)

    (video,) = page_data_from_collection(DomainIntervalCollection({Key(): IntervalSet3D([Interval3D((0, 1))])}))["videos"]
    assert video["key"] is None and video["n"] == 1 and len(video["details"]) == 1


def test_full_frame_intervals_draw_no_box_of_their_own() -> None:
    assert interval_detail(Interval3D((0, 1)))["boxes"] == []


def test_boxes_inside_tuples_as_collect_by_interval_makes() -> None:
    nested = IntervalSet3D([Interval3D((0, 1), (0.1, 0.2), (0.3, 0.4), payload={"identity": "Noah"})])
    assert payload_boxes((5, nested)) == [[0.1, 0.3, 0.2, 0.4, "Noah"]]


@pytest.mark.parametrize(
    ("payload", "label"),
    [(17, "17"), ("Ann", "Ann"), ({"name": "Ann", "id": 3}, "Ann"), ({"id": 3}, "3"), ((4, "x"), "4 x"),
     (None, None), ({"score": 1}, None), ("y" * 50, "y" * 39 + "…")],
)
def test_payload_label(payload: object, label: object) -> None:
    assert payload_label(payload) == label


@pytest.mark.parametrize(
    ("seconds", "clock", "text"),
    [(0, False, "0:00"), (3.0, False, "0:03"), (6.006, False, "0:06.01"), (3725.5, False, "1:02:05.50"),
     (27333.2, True, "07:35:33"), (90000, True, "+1d 01:00:00")],
)
def test_format_seconds(seconds: float, clock: bool, text: str) -> None:
    assert format_seconds(seconds, clock=clock) == text


def test_date_domains_read_as_clock_time() -> None:
    coll = DomainIntervalCollection({dt.date(2026, 1, 1): IntervalSet3D([Interval3D((27332.999666333, 27335.5))])})
    (video,) = page_data_from_collection(coll)["videos"]
    assert (video["unit"], video["span"], video["length_text"]) == ("clock", [25200, 28800], "07:00:00 to 08:00:00")
    assert video["details"][0]["time"] == "07:35:32–07:35:35"


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
    got = page_data_from_stored(collection, 1, 4, detail_url="/d/")
    want = page_data_from_collection(coll, 1, 4)
    assert [v["domain"] for v in got["videos"]] == ids[:4]
    for g, w in zip(got["videos"], want["videos"]):
        assert decode_times(g) == decode_times(w)
        assert "details" not in g  # fetched on demand
        details = [interval_detail_from_stored(collection, g["key"], i) for i in range(g["n"])]
        assert [{**d, "time": None} for d in details] == [{**d, "time": None} for d in w["details"]]
    assert got["num_domains"] == len(ids) and got["num_pages"] == math.ceil(len(ids) / 4)
    assert (got["detail_url"], got["num_intervals"], got["note"]) == ("/d/", 3 * len(ids), None)


def test_stored_detail_has_times_from_the_videos_fps_and_refuses_bad_requests(stored: tuple) -> None:
    from esper_rekall.models import Video

    collection, _, ids = stored
    fps = Video.objects.get(pk=ids[0]).fps
    detail = interval_detail_from_stored(collection, str(ids[0]), 0)
    assert detail["t"] == [100, 150] and detail["time"] == f"{format_seconds(100 / fps)}–{format_seconds(150 / fps)}"
    assert detail["boxes"] == [[0.1, 0.3, 0.2, 0.5, "11"]]
    with pytest.raises(LookupError, match="no index 3"):
        interval_detail_from_stored(collection, str(ids[0]), 3)
    with pytest.raises(LookupError, match="no domain"):
        interval_detail_from_stored(collection, "123456789", 0)
    with pytest.raises(ValueError):
        interval_detail_from_stored(collection, "[1, 2]", 0)


def test_stored_page_has_video_metadata(stored: tuple) -> None:
    from esper_rekall.models import Video

    collection, _, ids = stored
    video = Video.objects.get(pk=ids[0])
    got = page_data_from_stored(collection, 1, 2, media_url=lambda v: f"/m/{v.pk}/")
    first = got["videos"][0]
    assert (first["span"], first["fps"], first["src"], first["video_id"], first["unit"]) == (
        [0, video.num_frames], video.fps, f"/m/{video.pk}/", video.pk, "frames"
    )


def test_header_counts_come_from_the_chunk_rows_and_say_when_a_run_was_interrupted(stored: tuple) -> None:
    from esper_rekall.models import ResultChunk, ResultCollection

    collection, _, ids = stored
    run = ResultCollection.objects.create_run(name="killed", query_ref={}, chunks=[[ids[0]], [ids[1]], [ids[2]]])
    ResultChunk.objects.filter(collection=run, index=0).update(state="done", num_intervals=3)
    ResultChunk.objects.filter(collection=run, index=1).update(state="running")  # no lease: its driver is gone
    run.refresh_from_db()
    data = page_data_from_stored(run, 1, 25)
    assert data["num_intervals"] == 3  # the collection's own summary still says 0
    assert data["note"] == "interrupted: 2 of 3 chunks did not finish; run `rekall_resume killed`"


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
    assert decode_times(data["videos"][0]) == [(1.0, 2.0)]
    assert data["videos"][0]["unit"] == "clock"
    assert data["num_pages"] == 2
    detail = interval_detail_from_stored(collection, data["videos"][1]["key"], 0)
    assert (detail["t"], detail["payload"], detail["time"]) == ([2, 3], "p", "00:00:02–00:00:03")


def _bulk_collection(n_videos: int, per_video: int) -> object:
    """A stored collection of ``n_videos * per_video`` intervals, inserted in bulk."""
    from esper_rekall.models import ResultChunk, ResultCollection, ResultInterval
    from esper_rekall.result_rows import row_ids

    collection = ResultCollection.objects.create(
        name=f"big-{n_videos}x{per_video}", query_ref={}, status="done", num_chunks=1, chunks_done=1,
        num_intervals=n_videos * per_video,
    )
    chunk = ResultChunk.objects.create(
        collection=collection, index=0, arguments=[], state="done", num_intervals=n_videos * per_video
    )
    rows = (
        ResultInterval(
            id=row_ids(chunk.pk, 1)[0].item() + (v - 1) * per_video + i, collection=collection, domain_int=v,
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
    assert all(decode_times(v) == [(10 * i, 10 * i + 5) for i in range(20)] for v in data["videos"])


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
        assert len(data["videos"]) == 25 and sum(v["n"] for v in data["videos"]) == 5_000
    assert data["num_pages"] == 40
    with capsys.disabled():
        print("\npage_data_from_stored on 200,000 intervals:", {p: f"{t * 1000:.0f} ms" for p, t in timings.items()})
    assert max(timings.values()) < 2.0
