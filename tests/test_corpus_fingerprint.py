"""Stored collections remember the corpus they were computed on.

``generate_tvnews`` records the corpus fingerprint (``CorpusState``), a new
run copies it, and when the corpus changes afterwards ``rekall_resume``
refuses (unless ``--force``), ``rekall_status`` and the viewer say the
collection is stale, and ``generate_tvnews`` says how many it made stale.
Commands run for real, on the database of the test run (PostgreSQL or SQLite).
"""

from __future__ import annotations

import hashlib
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from esper_rekall import corpus_fingerprint
from esper_rekall.corpus_fingerprint import CorpusFingerprint
from esper_rekall.models import CorpusState, Frame, ResultChunk, ResultCollection, ResultInterval, Video
from esper_rekall.result_rows import chunk_rows

pytestmark = pytest.mark.django_db

#: The session corpus has 6 videos (tests/conftest.py); the changed one has 4.
OTHER_VIDEOS = 4


def run(*args: Any, **options: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def _run_three_videos(name: str) -> ResultCollection:
    """``rekall_run frames_with_faces`` on the first three videos, one chunk each."""
    vids = ",".join(str(pk) for pk in Video.objects.order_by("pk").values_list("pk", flat=True)[:3])
    run("rekall_run", "frames_with_faces", "--videos", vids, "--chunksize", "1", "--name", name, "--no-progress")
    return ResultCollection.objects.get(name=name)


def _leave_last_chunk_pending(collection: ResultCollection) -> None:
    """As if the run stopped before its last chunk: its rows gone, the chunk pending."""
    last = ResultChunk.objects.filter(collection=collection).order_by("-index").first()
    ResultInterval.objects.filter(chunk_rows([last.pk]), collection=collection).delete()
    ResultChunk.objects.filter(pk=last.pk).update(state="pending", num_intervals=0, started=None, finished=None)
    ResultCollection.objects.filter(pk=collection.pk).update(status="running", finished=None)


@pytest.fixture
def stored(corpus: Any) -> ResultCollection:
    return _run_three_videos("on-six")


def test_a_new_run_records_the_corpus_it_is_computed_on(stored: ResultCollection) -> None:
    state = CorpusState.objects.get()
    assert stored.corpus == {"videos": 6, "frames": Frame.objects.count(), "labels": state.labels, "checksum": state.checksum}
    assert CorpusFingerprint.from_json(stored.corpus) == corpus_fingerprint.measure()


def test_the_checksum_covers_every_video_id_frame_count_and_path(corpus: Any) -> None:
    lines = "\n".join(f"{pk}:{n}:{path}" for pk, n, path in Video.objects.order_by("pk").values_list("pk", "num_frames", "path"))
    assert corpus_fingerprint.measure().checksum == hashlib.md5(lines.encode()).hexdigest()
    Video.objects.filter(pk=Video.objects.order_by("pk").first().pk).update(path="tvnews/moved.mp4")
    assert corpus_fingerprint.measure().checksum != hashlib.md5(lines.encode()).hexdigest()


def test_a_corpus_never_recorded_is_measured_once_on_first_use(corpus: Any) -> None:
    CorpusState.objects.all().delete()
    assert corpus_fingerprint.current() == corpus_fingerprint.measure()
    assert CorpusState.objects.count() == 1


def test_resume_refuses_after_the_corpus_was_replaced_and_names_the_change(stored: ResultCollection, rebuild_corpus: Any) -> None:
    _leave_last_chunk_pending(stored)
    rebuild_corpus(videos=OTHER_VIDEOS)
    with pytest.raises(CommandError) as excinfo:
        run("rekall_resume", "on-six", "--no-progress")
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith("collection 'on-six' was computed on a different corpus: videos 6 → 4, frames ")
    assert "(run: 6 videos, " in message and "; now: 4 videos, " in message
    assert "--force" in message
    assert ResultChunk.objects.filter(collection=stored, state="pending").count() == 1  # nothing ran


def test_resume_with_force_runs_anyway(stored: ResultCollection, rebuild_corpus: Any) -> None:
    _leave_last_chunk_pending(stored)
    rebuild_corpus(videos=OTHER_VIDEOS)
    out = run("rekall_resume", "on-six", "--no-progress", "--force")
    assert "--force: resuming on a different corpus (videos 6 → 4" in out
    stored.refresh_from_db()
    assert stored.status == "done"
    assert not ResultChunk.objects.filter(collection=stored).exclude(state="done").exists()


def test_replace_reports_how_many_collections_it_makes_stale(stored: ResultCollection, rebuild_corpus: Any) -> None:
    _run_three_videos("also-on-six")
    out = rebuild_corpus(videos=OTHER_VIDEOS)
    assert "2 stored result collections made stale (also-on-six, on-six)" in out
    # Already stale: replacing again makes none stale.
    assert "0 of 2 stored result collections made stale" in rebuild_corpus(videos=OTHER_VIDEOS + 1)


def test_replacing_by_an_identical_corpus_makes_nothing_stale(stored: ResultCollection, rebuild_corpus: Any) -> None:
    assert "0 of 1 stored result collection made stale" in rebuild_corpus()
    assert "stale" not in run("rekall_status")
    run("rekall_resume", "on-six", "--no-progress")


def test_a_collection_without_a_fingerprint_becomes_stale_when_the_corpus_is_replaced(
    stored: ResultCollection, rebuild_corpus: Any
) -> None:
    ResultCollection.objects.filter(pk=stored.pk).update(corpus=None)
    assert "stale" not in run("rekall_status")  # unknown corpus: not judged
    assert "1 stored result collection made stale (on-six)" in rebuild_corpus(videos=OTHER_VIDEOS)
    assert "stale" in run("rekall_status", "on-six")


def test_status_marks_stale_collections(stored: ResultCollection, rebuild_corpus: Any) -> None:
    lines = run("rekall_status").splitlines()
    assert next(line for line in lines if line.startswith("on-six ")).split()[1:3] == ["done", "3/0/3"]
    rebuild_corpus(videos=OTHER_VIDEOS)
    lines = run("rekall_status").splitlines()
    assert next(line for line in lines if line.startswith("on-six ")).split()[1:3] == ["done", "stale"]
    assert any(line.startswith("on-six: stale: computed on a different corpus: videos 6 → 4, frames ") for line in lines)
    assert lines[-1].startswith("current corpus: 4 videos, ")
    detail = run("rekall_status", "on-six")
    assert "  stale: computed on a different corpus: videos 6 → 4" in detail
    assert "`rekall_run frames_with_faces ... --name on-six --replace`" in detail


def test_the_viewer_warns_about_a_collection_computed_on_a_different_corpus(
    stored: ResultCollection, rebuild_corpus: Any, client: Any
) -> None:
    client.force_login(get_user_model().objects.create_user("staff", password="pw", is_staff=True))
    url = reverse("esper_rekall_viewer:collection", args=[stored.pk])
    assert "computed on a different corpus" not in client.get(url).content.decode()
    rebuild_corpus(videos=OTHER_VIDEOS)
    html = client.get(url).content.decode()
    assert 'class="er-note er-warning" role="alert">⚠ computed on a different corpus: videos 6 → 4' in html
    page = client.get(reverse("esper_rekall_viewer:page_json", args=[stored.pk])).json()
    assert page["warning"].startswith("computed on a different corpus: videos 6 → 4")


def test_the_admin_marks_stale_collections(stored: ResultCollection, rebuild_corpus: Any, admin_client: Any) -> None:
    url = reverse("admin:esper_rekall_resultcollection_changelist")
    assert "stale" not in admin_client.get(url).content.decode()
    rebuild_corpus(videos=OTHER_VIDEOS)
    assert "done · stale: computed on a different corpus" in admin_client.get(url).content.decode()


def test_the_viewer_list_marks_stale_collections(stored: ResultCollection, rebuild_corpus: Any, admin_client: Any) -> None:
    url = reverse("esper_rekall_viewer:collections")
    assert "stale" not in admin_client.get(url).content.decode()
    rebuild_corpus(videos=OTHER_VIDEOS)
    assert "done · stale: computed on a different corpus" in admin_client.get(url).content.decode()
