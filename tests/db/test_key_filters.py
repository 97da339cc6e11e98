"""``db.key_filters.propagate_key_filters``: IN filters copied across inner joins, results unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F, Q

from esper_rekall.db.key_filters import propagate_key_filters
from esper_rekall.models import Face, Video
from esper_rekall.queries.tvnews import faces_rekall

pytestmark = pytest.mark.django_db


def _where(qs: Any) -> str:
    sql = str(propagate_key_filters(qs).query)
    return sql[sql.index(" WHERE ") :]


def _tutorial_faces(videos: list[int]) -> Any:
    return Face.objects.filter(frame__video_id__in=videos).annotate(fps=F("frame__video__fps"))


def test_an_in_filter_on_a_foreign_key_also_restricts_the_table_it_joins(corpus: Any) -> None:
    where = _where(_tutorial_faces([1, 2]))
    assert '"esper_rekall_frame"."video_id" IN (1, 2)' in where
    assert '"esper_rekall_video"."id" IN (1, 2)' in where


def test_an_in_filter_on_the_joined_key_also_restricts_the_foreign_key(corpus: Any) -> None:
    qs = Face.objects.annotate(fps=F("frame__video__fps")).filter(frame__video__fps__gt=0, frame__in=[5, 6])
    assert '"esper_rekall_frame"."id" IN (5, 6)' in _where(qs)


def test_model_instances_in_the_list_are_copied_as_their_keys(corpus: Any) -> None:
    videos = list(Video.objects.order_by("pk")[:2])
    where = _where(_tutorial_faces([]).model.objects.filter(frame__video__in=videos).annotate(fps=F("frame__video__fps")))
    assert f'"esper_rekall_video"."id" IN ({videos[0].pk}, {videos[1].pk})' in where


@pytest.mark.parametrize(
    "qs",
    [
        pytest.param(lambda: Face.objects.filter(frame__video_id__in=[1, 2]), id="no join to the key's table"),
        pytest.param(
            lambda: Face.objects.filter(Q(frame__video_id__in=[1, 2]) | Q(pk=0)).annotate(fps=F("frame__video__fps")),
            id="an OR",
        ),
        pytest.param(
            lambda: Face.objects.exclude(frame__video_id__in=[1, 2]).annotate(fps=F("frame__video__fps")),
            id="a negation",
        ),
        pytest.param(
            lambda: Face.objects.filter(frame__video_id__in=Video.objects.values("pk")).annotate(fps=F("frame__video__fps")),
            id="a subquery",
        ),
    ],
)
def test_filters_that_cannot_be_copied_are_left_alone(corpus: Any, qs: Any) -> None:
    original = qs()
    assert propagate_key_filters(original) is original


def test_an_outer_join_is_not_restricted(corpus: Any) -> None:
    qs = Video.objects.filter(pk__in=[1, 2]).annotate(n=F("frames__number"))
    assert "LEFT OUTER JOIN" in str(qs.query)
    assert propagate_key_filters(qs) is qs


def test_the_copied_filter_keeps_the_rows(corpus: Any) -> None:
    videos = list(Video.objects.order_by("pk").values_list("pk", flat=True)[:3])
    qs = _tutorial_faces(videos).order_by("pk").values_list("pk", "fps")
    assert list(propagate_key_filters(qs)) == list(qs)
    assert len(qs) > 0


def test_the_tutorial_query_reads_only_its_chunks_videos(corpus: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    videos = list(Video.objects.order_by("pk").values_list("pk", flat=True)[:2])
    with CaptureQueriesContext(connection) as queries:
        coll = faces_rekall(videos)
    assert set(coll.domain_keys) == set(videos)
    face_reads = [q["sql"] for q in queries.captured_queries if "esper_rekall_face" in q["sql"]]
    assert face_reads and all('"esper_rekall_video"."id" IN' in sql for sql in face_reads)
