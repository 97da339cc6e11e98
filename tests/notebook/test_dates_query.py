"""The dates query ``person_on_several_channels`` against plain SQL.

The oracle is written in SQL without the interval algebra: every identified
face as ``[s, s + d)`` in seconds since midnight UTC of its broadcast date
(``s = epoch(time - midnight) + number / fps``, ``d = ceil(3 fps) / fps``),
a self-join of faces of the same person and date on *different* channels
that overlap (strictly), giving their intersections; the test then unions
those intersections in Python (a sort and a sweep) and compares.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.db import connection

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.models import Video
from esper_rekall.queries import get_query
from esper_rekall.queries.dates import as_date, face_duration, person_on_several_channels

TOLERANCE = 1e-6  # SQL and Python add the same doubles in a different order

# Faces are bucketed by 10 s of start time, so the self-join is an equi-join
# on (date, identity, bucket) instead of a cross product per person: two
# faces that overlap start less than one face duration (~3 s) apart, so in
# the same or a neighbouring bucket.
ORACLE_SQL = """
WITH faces AS (
    SELECT i.name AS identity,
           v.channel_id AS channel,
           (v.time AT TIME ZONE 'UTC')::date AS day,
           EXTRACT(EPOCH FROM v.time - ((v.time AT TIME ZONE 'UTC')::date::timestamp AT TIME ZONE 'UTC'))
               + fr.number / v.fps AS t1,
           CEIL(3 * v.fps) / v.fps AS duration
    FROM esper_rekall_faceidentity fi
    JOIN esper_rekall_identity i ON i.id = fi.identity_id
    JOIN esper_rekall_face fa ON fa.id = fi.face_id
    JOIN esper_rekall_frame fr ON fr.id = fa.frame_id
    JOIN esper_rekall_video v ON v.id = fr.video_id
),
bucketed AS (
    SELECT faces.*, t1 + duration AS t2, FLOOR(t1 / 10)::bigint AS bucket FROM faces
),
near AS (
    SELECT bucketed.*, bucket + k AS near_bucket FROM bucketed, generate_series(-1, 1) AS k
)
SELECT a.day, a.identity, GREATEST(a.t1, b.t1) AS t1, LEAST(a.t2, b.t2) AS t2
FROM bucketed a
JOIN near b
  ON b.day = a.day AND b.identity = a.identity AND b.near_bucket = a.bucket
 AND a.channel <> b.channel
 AND a.t1 < b.t2 AND b.t1 < a.t2
"""


def _union(pieces: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Maximal intervals of a union of half-open intervals (overlapping or touching ones merge)."""
    out: list[list[float]] = []
    for t1, t2 in sorted(pieces):
        if out and t1 <= out[-1][1]:
            out[-1][1] = max(out[-1][1], t2)
        else:
            out.append([t1, t2])
    return [(a, b) for a, b in out]


def oracle() -> dict[dt.date, dict[str, list[tuple[float, float]]]]:
    """``{date: {identity: [(t1, t2), ...]}}`` from plain SQL and a Python union."""
    pieces: dict[tuple[dt.date, str], list[tuple[float, float]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(ORACLE_SQL)
        for day, identity, t1, t2 in cursor.fetchall():
            pieces.setdefault((day, identity), []).append((float(t1), float(t2)))
    out: dict[dt.date, dict[str, list[tuple[float, float]]]] = {}
    for (day, identity), intervals in pieces.items():
        out.setdefault(day, {})[identity] = _union(intervals)
    return out


def as_table(result: DomainIntervalCollection) -> dict[dt.date, dict[str, list[tuple[float, float]]]]:
    out: dict[dt.date, dict[str, list[tuple[float, float]]]] = {}
    for day, intervals in result.get_grouped_intervals().items():
        for i in intervals.get_intervals():
            assert i.x == (0, 1) and i.y == (0, 1)
            out.setdefault(day, {}).setdefault(i.payload, []).append(i.t)
    return out


def assert_same(got: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert set(got) == set(expected)
    for day in expected:
        assert set(got[day]) == set(expected[day]), day
        for identity, intervals in expected[day].items():
            mine = got[day][identity]
            assert len(mine) == len(intervals), (day, identity)
            for (a1, a2), (b1, b2) in zip(mine, intervals):
                assert math.isclose(a1, b1, abs_tol=TOLERANCE) and math.isclose(a2, b2, abs_tol=TOLERANCE), (
                    day, identity, (a1, a2), (b1, b2))


def broadcast_dates() -> list[dt.date]:
    return sorted({t.astimezone(dt.timezone.utc).date() for t in Video.objects.values_list("time", flat=True)})


def test_person_on_several_channels_is_registered_with_date_arguments() -> None:
    query = get_query("person_on_several_channels")
    assert query.arg_kind == "date"
    assert query.function is person_on_several_channels


@pytest.mark.django_db
def test_session_corpus_has_a_host_on_three_channels_at_once(corpus: Any) -> None:
    # The 07:00 show of every channel is hosted by Noah Patel (esper_rekall.corpus.SCHEDULE).
    result = person_on_several_channels(broadcast_dates())
    table = as_table(result)
    assert list(table) == [dt.date(2026, 1, 1)]
    assert set(table[dt.date(2026, 1, 1)]) == {"Noah Patel"}
    for t1, t2 in table[dt.date(2026, 1, 1)]["Noah Patel"]:
        assert 7 * 3600 <= t1 < t2 <= 8 * 3600 + 5  # within the 07:00 broadcasts


@pytest.mark.postgres
@pytest.mark.django_db
def test_person_on_several_channels_matches_plain_sql_on_the_session_corpus(corpus: Any) -> None:
    expected = oracle()
    assert expected, "the corpus must have a person on two channels at once"
    assert_same(as_table(person_on_several_channels(broadcast_dates())), expected)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db
def test_person_on_several_channels_matches_plain_sql_over_a_day_and_a_half(rebuild_corpus: Any) -> None:
    # 60 videos: the 54 of 2026-01-01 (18 hourly slots x 3 channels) and 6 of 2026-01-02.
    rebuild_corpus(videos=60)
    days = broadcast_dates()
    assert days == [dt.date(2026, 1, 1), dt.date(2026, 1, 2)]
    expected = oracle()
    # Noah Patel (07:00 everywhere) and Liam Chen (the 08:00-slot shows of CNN and FOXNEWS) overlap.
    assert set(expected[dt.date(2026, 1, 1)]) == {"Noah Patel", "Liam Chen"}
    assert_same(as_table(person_on_several_channels(days)), expected)
    # Chunks of one date each give the same answer (the runtime's tasks).
    per_day = person_on_several_channels([days[0]]).union(person_on_several_channels([days[1].isoformat()]))
    assert_same(as_table(per_day), expected)


@pytest.mark.django_db
def test_identity_keeps_one_person(rebuild_corpus: Any) -> None:
    rebuild_corpus(videos=12)
    everyone = as_table(person_on_several_channels(broadcast_dates()))
    liam = as_table(person_on_several_channels(broadcast_dates(), identity="Liam Chen"))
    assert liam == {day: {"Liam Chen": people["Liam Chen"]} for day, people in everyone.items() if "Liam Chen" in people}
    assert liam


@pytest.mark.django_db
def test_a_date_without_broadcasts_gives_no_domain(corpus: Any) -> None:
    assert len(person_on_several_channels([dt.date(1999, 1, 1)])) == 0
    assert len(person_on_several_channels([])) == 0


def test_a_face_lasts_the_sampling_period_rounded_up_to_whole_frames() -> None:
    assert face_duration(29.97) == pytest.approx(90 / 29.97)
    assert face_duration(25.0) == 3.0


@pytest.mark.parametrize("value", ["2026-01-01", dt.date(2026, 1, 1)])
def test_as_date_accepts_dates_and_iso_text(value: Any) -> None:
    assert as_date(value) == dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), TypeError, "not a datetime"),
        ("01/02/2026", ValueError, "ISO date"),
        (20260101, TypeError, "20260101"),
    ],
)
def test_as_date_refuses_other_values_naming_them(value: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        person_on_several_channels([value])
