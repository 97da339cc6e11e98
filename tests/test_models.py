"""Model constraints, __str__ and the tutorial's ORM path, on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from esper_rekall.models import (
    Channel,
    Commercial,
    Face,
    FaceIdentity,
    Frame,
    Identity,
    Labeler,
    Shot,
    Show,
    Video,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def frame(corpus: Any) -> Frame:
    return Frame.objects.order_by("id").first()


@pytest.fixture
def labeler(corpus: Any) -> Labeler:
    return Labeler.objects.get(name="mtcnn")


def _face(frame: Frame, labeler: Labeler, **overrides: float) -> Face:
    values = {"bbox_x1": 0.1, "bbox_x2": 0.2, "bbox_y1": 0.3, "bbox_y2": 0.4, "probability": 0.9}
    return Face(frame=frame, labeler=labeler, **{**values, **overrides})


def test_valid_face_is_accepted(frame: Frame, labeler: Labeler) -> None:
    face = _face(frame, labeler, bbox_x1=0.0, bbox_x2=1.0, bbox_y1=0.5, bbox_y2=0.5, probability=1.0)
    face.save()
    assert Face.objects.filter(pk=face.pk).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"bbox_x1": 0.5, "bbox_x2": 0.4},
        {"bbox_y1": 0.5, "bbox_y2": 0.4},
        {"bbox_x1": -0.1},
        {"bbox_x2": 1.1},
        {"bbox_y1": -0.01},
        {"bbox_y2": 1.5},
        {"probability": 1.5},
        {"probability": -0.5},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_database_rejects_invalid_face(frame: Frame, labeler: Labeler, overrides: dict[str, float]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _face(frame, labeler, **overrides).save()


@pytest.mark.parametrize("model", [Shot, Commercial])
def test_database_rejects_segment_with_min_frame_after_max_frame(corpus: Any, model: type[Shot]) -> None:
    video = Video.objects.first()
    labeler = Labeler.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(video=video, labeler=labeler, min_frame=10, max_frame=9)


@pytest.mark.parametrize("model", [Shot, Commercial])
def test_database_accepts_single_frame_segment(corpus: Any, model: type[Shot]) -> None:
    seg = model.objects.create(video=Video.objects.first(), labeler=Labeler.objects.first(), min_frame=5, max_frame=5)
    assert seg.pk is not None


@pytest.mark.parametrize(
    "overrides",
    [{"fps": 0.0}, {"fps": -29.97}, {"num_frames": -1}, {"width": 0}, {"height": -360}],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_database_rejects_invalid_video(corpus: Any, overrides: dict[str, float]) -> None:
    show = Show.objects.select_related("channel").first()
    values = {
        "path": "x.mp4",
        "num_frames": 10,
        "fps": 29.97,
        "width": 640,
        "height": 360,
        "channel": show.channel,
        "show": show,
        "time": datetime(2026, 1, 1, tzinfo=timezone.utc),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Video.objects.create(**{**values, **overrides})


def test_database_rejects_duplicate_frame_number(frame: Frame) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Frame.objects.create(video_id=frame.video_id, number=frame.number)


def test_database_rejects_negative_frame_number(frame: Frame) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Frame.objects.create(video_id=frame.video_id, number=-1)


def test_database_rejects_face_identity_probability_above_one(corpus: Any) -> None:
    face = Face.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        FaceIdentity.objects.create(
            face=face, identity=Identity.objects.first(), labeler=Labeler.objects.first(), probability=1.01
        )


@pytest.mark.parametrize("model", [Channel, Labeler, Identity])
def test_names_are_unique(corpus: Any, model: type[Channel]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(name=model.objects.first().name)


def test_tutorial_faces_query_annotates_frame_bounds(corpus: Any) -> None:
    vids = list(Video.objects.order_by("id").values_list("id", flat=True)[:2])
    faces = Face.objects.filter(frame__video_id__in=vids).annotate(
        video_id=F("frame__video_id"),
        min_frame=F("frame__number"),
        max_frame=F("frame__number") + 3 * F("frame__video__fps"),
    )
    rows = list(faces.values("video_id", "min_frame", "max_frame", "frame__number", "frame__video__fps")[:50])
    assert rows
    for row in rows:
        assert row["video_id"] in vids
        assert row["min_frame"] == row["frame__number"]
        assert row["max_frame"] == pytest.approx(row["frame__number"] + 3 * row["frame__video__fps"])


@pytest.mark.parametrize("model", [Channel, Show, Video, Frame, Labeler, Identity, Face, FaceIdentity, Shot, Commercial])
def test_str_reads_no_related_rows(corpus: Any, model: type[Channel]) -> None:
    obj = model.objects.order_by("pk").first()
    with CaptureQueriesContext(connection) as queries:
        text = str(obj)
    assert text
    assert len(queries) == 0


def test_segment_str_names_its_frames(corpus: Any) -> None:
    shot = Shot.objects.order_by("pk").first()
    assert str(shot) == f"shot {shot.pk}: video {shot.video_id} [{shot.min_frame}, {shot.max_frame}]"


def test_show_names_are_unique_per_channel(corpus: Any) -> None:
    show = Show.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Show.objects.create(name=show.name, channel_id=show.channel_id)
