"""``manage.py generate_tvnews``: arguments, determinism, atomicity and the corpus it builds."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from esper_rekall import corpus as corpus_module
from esper_rekall.corpus import CORPUS_MODELS, FPS, corpus_counts
from esper_rekall.models import Commercial, Face, FaceIdentity, Frame, Identity, Shot, Video

pytestmark = pytest.mark.django_db


def _dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every corpus row, per table, in id order."""
    return {m._meta.model_name: list(m.objects.order_by("pk").values_list()) for m in CORPUS_MODELS}


def test_summary_lists_rows_per_table(rebuild_corpus: Any) -> None:
    output = rebuild_corpus(videos=2)
    lines = output.splitlines()
    assert lines[0].startswith("generate_tvnews: 2 videos, seed 0, mode replace")
    for model in CORPUS_MODELS:
        assert any(line.split()[0] == model._meta.model_name for line in lines[1:-1])
    assert "rows written" in lines[-1]
    video_line = next(line for line in lines if line.split()[0] == "video")
    assert video_line.split()[1] == "2"


def test_same_seed_gives_same_rows(corpus: Any, rebuild_corpus: Any) -> None:
    rebuild_corpus(videos=2, seed=7)
    first = _dump()
    rebuild_corpus(videos=2, seed=7)
    assert _dump() == first


def test_different_seed_gives_different_rows(corpus: Any, rebuild_corpus: Any) -> None:
    rebuild_corpus(videos=2, seed=7)
    first = _dump()
    rebuild_corpus(videos=2, seed=8)
    assert _dump()["face"] != first["face"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"videos": 0}, "--videos must be a positive integer, got 0"),
        ({"videos": -3}, "--videos must be a positive integer, got -3"),
        ({"videos": 2, "append": True, "replace": True}, "--append and --replace are mutually exclusive"),
        ({"videos": 2}, "the corpus tables are not empty; pass --append or --replace"),
        ({"videos": 2, "replace": True, "batch_size": 0}, "--batch-size must be a positive integer, got 0"),
    ],
)
def test_bad_arguments_raise_and_leave_database_unchanged(corpus: Any, options: dict, message: str) -> None:
    before = _dump()
    with pytest.raises(CommandError, match=message):
        call_command("generate_tvnews", no_progress=True, stdout=StringIO(), **options)
    assert _dump() == before


def test_videos_is_required() -> None:
    with pytest.raises(CommandError, match="--videos"):
        call_command("generate_tvnews", stdout=StringIO())


def test_failure_mid_write_leaves_database_unchanged(corpus: Any, rebuild_corpus: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _dump()
    real_write = corpus_module._write_table

    def failing_write(model: Any, *args: Any) -> None:
        if model is Face:
            raise RuntimeError("disk full")
        real_write(model, *args)

    monkeypatch.setattr(corpus_module, "_write_table", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        rebuild_corpus(videos=2, seed=5)  # --replace: the truncate must be rolled back too
    assert _dump() == before


def test_append_continues_ids_and_schedule(corpus: Any) -> None:
    before = corpus_counts()
    last_video = Video.objects.order_by("-id").first()
    last_face_id = Face.objects.order_by("-id").values_list("id", flat=True).first()
    call_command("generate_tvnews", videos=3, seed=1, append=True, no_progress=True, stdout=StringIO())
    new = list(Video.objects.filter(id__gt=last_video.id).order_by("id"))
    assert [v.id for v in new] == [last_video.id + 1, last_video.id + 2, last_video.id + 3]
    assert min(v.time for v in new) > last_video.time
    assert Face.objects.filter(id__gt=last_face_id).exists()
    after = corpus_counts()
    assert after["video"] == before["video"] + 3
    assert after["channel"] == before["channel"]  # reference rows are reused by name


def test_sequences_continue_after_explicit_ids(corpus: Any) -> None:
    frame = Frame.objects.order_by("id").first()
    last = Face.objects.order_by("-id").values_list("id", flat=True).first()
    face = Face.objects.create(
        frame=frame, labeler_id=Face.objects.first().labeler_id, bbox_x1=0, bbox_x2=0.1, bbox_y1=0, bbox_y2=0.1
    )
    assert face.id > last


# --- The corpus it builds -------------------------------------------------------


def test_videos_have_expected_shape(corpus: Any) -> None:
    videos = list(Video.objects.select_related("channel").order_by("id"))
    assert len(videos) == corpus.videos
    for video in videos:
        assert video.fps == pytest.approx(FPS)
        assert (video.width, video.height) == (640, 360)
        assert 30 * 60 * FPS - 1 <= video.num_frames <= 60 * 60 * FPS + 1
        assert video.path == f"tvnews/{video.channel.name}/{video.id}.mp4"
        assert video.time.year == 2026 and video.time.tzinfo is not None


def test_channels_broadcast_simultaneously(corpus: Any) -> None:
    per_time = defaultdict(set)
    for time, channel in Video.objects.values_list("time", "channel__name"):
        per_time[time].add(channel)
    assert {frozenset(c) for c in per_time.values()} == {frozenset({"CNN", "FOXNEWS", "MSNBC"})}


def test_a_host_appears_on_several_channels_at_once(corpus: Any) -> None:
    rows = (
        FaceIdentity.objects.values("identity__name", "face__frame__video__time")
        .annotate(channels=Count("face__frame__video__channel", distinct=True))
        .filter(channels__gt=1)
    )
    assert {r["identity__name"] for r in rows} == {"Noah Patel"}


def test_frames_are_sampled_every_three_seconds(corpus: Any) -> None:
    for video in Video.objects.all():
        numbers = np.array(Frame.objects.filter(video=video).order_by("number").values_list("number", flat=True))
        expected = np.rint(np.arange(len(numbers)) * 3 * FPS)
        assert np.array_equal(numbers, expected)
        assert numbers[-1] < video.num_frames <= numbers[-1] + 3 * FPS + 1


def test_shots_partition_each_video(corpus: Any) -> None:
    for video in Video.objects.all():
        bounds = np.array(Shot.objects.filter(video=video).order_by("min_frame").values_list("min_frame", "max_frame"))
        assert bounds[0, 0] == 0
        assert bounds[-1, 1] == video.num_frames - 1
        assert np.array_equal(bounds[1:, 0], bounds[:-1, 1] + 1)


def test_commercials_are_a_few_minutes_on_shot_boundaries(corpus: Any) -> None:
    for video in Video.objects.all():
        shot_starts = set(Shot.objects.filter(video=video).values_list("min_frame", flat=True))
        shot_ends = set(Shot.objects.filter(video=video).values_list("max_frame", flat=True))
        ads = list(Commercial.objects.filter(video=video).order_by("min_frame").values_list("min_frame", "max_frame"))
        assert 1 <= len(ads) <= 4
        for lo, hi in ads:
            assert lo in shot_starts and hi in shot_ends
            assert 60 * FPS <= hi - lo <= 5 * 60 * FPS
        assert all(a[1] < b[0] for a, b in zip(ads, ads[1:]))


def test_frames_hold_zero_to_four_faces(corpus: Any) -> None:
    per_frame = Frame.objects.annotate(n=Count("faces")).values_list("n", flat=True)
    counts = set(per_frame)
    assert counts <= {0, 1, 2, 3, 4}
    assert {0, 1, 2, 3, 4} <= counts
    assert 0.8 <= corpus.counts["face"] / corpus.counts["frame"] <= 1.6


def test_host_faces_are_identified_and_stay_in_place(corpus: Any) -> None:
    assert set(Identity.objects.values_list("name", flat=True)) >= {"Noah Patel", "Ava Morgan"}
    ids = FaceIdentity.objects.filter(labeler__name="facenet")
    assert ids.count() > 0
    # A host alone on screen sits at the same spot (up to jitter) in every sample.
    boxes = np.array(
        ids.filter(face__frame__video=Video.objects.order_by("id").first())
        .annotate(n=Count("face__frame__faces"))
        .filter(n=1)
        .values_list("face__bbox_x1", "face__bbox_y1")
    )
    assert len(boxes) > 10
    assert np.ptp(boxes[:, 0]) < 0.01 and np.ptp(boxes[:, 1]) < 0.01


def test_panels_show_three_faces_side_by_side_at_the_same_height(corpus: Any) -> None:
    triples = Frame.objects.annotate(n=Count("faces")).filter(n=3).values_list("id", flat=True)[:20]
    assert triples
    for frame_id in triples:
        faces = list(Face.objects.filter(frame_id=frame_id).order_by("bbox_x1"))
        assert len({(f.bbox_y1, f.bbox_y2) for f in faces}) == 1
        assert all(a.bbox_x2 < b.bbox_x1 for a, b in zip(faces, faces[1:]))


def test_faces_are_labelled_by_mtcnn(corpus: Any) -> None:
    assert set(Face.objects.values_list("labeler__name", flat=True).distinct()) == {"mtcnn"}
    assert not Face.objects.filter(bbox_x1__gt=F("bbox_x2")).exists()


@pytest.mark.postgres
def test_generation_analyzes_the_tables_it_loaded(rebuild_corpus: Any) -> None:
    """Every bulk load ends with ANALYZE: the planner knows the new row counts at once (issue 11)."""
    from django.db import connection

    rebuild_corpus(videos=2, seed=3)  # not the session corpus's size: stale statistics would show
    tables = {m._meta.db_table: m.objects.count() for m in (Video, Frame, Face, Shot)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [list(tables)]
        )
        reltuples = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'esper_rekall_face'")
        (face_columns_with_stats,) = cursor.fetchone()
    # ANALYZE in the loading transaction counts its rows; autovacuum could not have seen them.
    assert reltuples == {table: float(n) for table, n in tables.items()}
    assert face_columns_with_stats > 0


def test_replace_says_which_stored_collections_it_makes_stale(rebuild_corpus: Any) -> None:
    from esper_rekall.models import ResultCollection

    for name in ("faces-a", "faces-b"):
        ResultCollection.objects.create_run(name=name, query_ref={}, chunks=[[1]])
    output = " ".join(rebuild_corpus(videos=2).split())
    assert (
        "2 stored result collections made stale (faces-b, faces-a): computed on the corpus this replaced, "
        "their video ids may now name other videos." in output
    )
    assert "rekall_resume refuses them unless --force" in output
