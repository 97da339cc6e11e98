"""The rekall_* management commands on the generated corpus.

Success paths check the database afterwards; every bad argument must raise a
one-line ``CommandError`` naming the problem and leave the result tables
unchanged; exit statuses are checked through ``run_from_argv`` (what
``manage.py`` calls).
"""

from __future__ import annotations

import csv
import io
import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command, load_command_class

from esper_rekall.commands_support import format_duration, parse_date_range, parse_id_ranges
from esper_rekall.models import ResultChunk, ResultCollection, ResultInterval, Video
from esper_rekall.queries import all_queries, registry
from esper_rekall.queries.tvnews import faces_rekall, host_minus_commercials, three_faces_side_by_side
from esper_rekall.result_rows import chunk_rows
from esper_rekall.storage import load_collection

from .commands_queries import FAIL_ENV, flaky_faces

pytestmark = pytest.mark.django_db


def run(*args: Any, **options: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def _state() -> tuple[Any, ...]:
    """Everything a command could change in the result tables."""
    return (
        sorted(ResultCollection.objects.values_list("name", "status", "num_intervals", "chunks_done", "chunks_failed")),
        ResultChunk.objects.count(),
        ResultInterval.objects.count(),
    )


@pytest.fixture
def vids(corpus: Any) -> list[int]:
    return list(Video.objects.order_by("pk").values_list("pk", flat=True))


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> str:
    registry._load_builtin_queries()
    monkeypatch.setitem(registry._REGISTRY, "flaky_faces", registry.RegisteredQuery("flaky_faces", flaky_faces, "video"))
    return "flaky_faces"


@pytest.fixture
def existing(vids: list[int]) -> ResultCollection:
    run("rekall_run", "frames_with_faces", "--videos", str(vids[0]), "--name", "existing", "--no-progress")
    return ResultCollection.objects.get(name="existing")


# -- parsing helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ids"),
    [("1", [1]), ("1,2,5-9", [1, 2, 5, 6, 7, 8, 9]), (" 3 , 1-2 ", [1, 2, 3]), ("2,2,1-2", [1, 2]), ("4-4", [4])],
)
def test_parse_id_ranges(text: str, ids: list[int]) -> None:
    assert parse_id_ranges(text) == ids


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "expected video ids"), ("1,,2", "empty item"), ("a", "'a'"), ("5-1", "reversed"), ("1-", "'1-'"), ("-3", "'-3'"), ("1-2-3", "'1-2-3'"), ("0-99999999", "more than")],
)
def test_parse_id_ranges_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_id_ranges(text)


def test_parse_date_range() -> None:
    assert parse_date_range("2026-01-30:2026-02-02") == ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]
    assert parse_date_range("2026-01-01") == ["2026-01-01"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "expected a date range"), ("2026-13-01:2026-01-02", "not a date range"), ("2026-01-05:2026-01-01", "reversed"), ("x:y", "not a date range"), ("1000-01-01:2026-01-01", "more than")],
)
def test_parse_date_range_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date_range(text)


@pytest.mark.parametrize(("seconds", "text"), [(None, "-"), (4.24, "4.2s"), (185, "3m 05s"), (3723, "1h 02m 03s")])
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


# -- rekall_queries ----------------------------------------------------------------------


def test_rekall_queries_lists_every_registered_query() -> None:
    out = run("rekall_queries")
    for query in all_queries():
        line = next(line for line in out.splitlines() if line.startswith(query.name + " "))
        assert query.arg_kind in line and query.summary in line
    for name in ("frames_with_faces", "three_faces_side_by_side", "host_minus_commercials"):
        assert name in out


def test_rekall_queries_doc() -> None:
    out = run("rekall_queries", "--doc", "three_faces_side_by_side")
    assert "scene graph" in out and "esper_rekall.queries.tvnews.three_faces_side_by_side" in out


def test_rekall_queries_doc_of_unknown_query() -> None:
    with pytest.raises(CommandError, match="unknown query 'nope'"):
        run("rekall_queries", "--doc", "nope")


# -- rekall_run: success -------------------------------------------------------------------


def test_run_stores_the_query_result(vids: list[int]) -> None:
    chosen = vids[:3]
    out = run("rekall_run", "frames_with_faces", "--videos", f"{chosen[0]}-{chosen[-1]}", "--chunksize", "2", "--name", "faces", "--no-progress")
    collection = ResultCollection.objects.get(name="faces")
    assert (collection.status, collection.num_chunks, collection.chunks_done, collection.chunksize) == ("done", 2, 2, 2)
    assert collection.arguments == chosen
    assert load_collection("faces") == faces_rekall(chosen)
    assert "collection 'faces'" in out and "chunks     2/2 done, 0 failed\n" in out
    assert f"intervals  {collection.num_intervals:,}" in out


@pytest.mark.parametrize("query", [three_faces_side_by_side, host_minus_commercials], ids=lambda f: f.__name__)
def test_run_the_new_registered_queries(vids: list[int], query: Any) -> None:
    name = query.__name__
    run("rekall_run", name, "--all", "--chunksize", "4", "--name", name, "--no-progress")
    expected = query(vids)
    assert len(expected.columns) > 0
    assert load_collection(name) == expected


def test_run_all_videos(vids: list[int]) -> None:
    run("rekall_run", "frames_with_faces", "--all", "--name", "all", "--no-progress")
    assert ResultCollection.objects.get(name="all").arguments == vids


def test_run_date_query(corpus: Any) -> None:
    out = run("rekall_run", "person_on_several_channels", "--dates", "2026-01-01:2026-01-02", "--chunksize", "1", "--name", "dates", "--no-progress")
    collection = ResultCollection.objects.get(name="dates")
    assert collection.arguments == ["2026-01-01", "2026-01-02"] and collection.status == "done"
    assert "over 2 dates" in out


def test_run_default_name_is_the_query_name_and_a_timestamp(vids: list[int]) -> None:
    run("rekall_run", "frames_with_faces", "--videos", str(vids[0]), "--no-progress")
    assert ResultCollection.objects.get().name.startswith("frames_with_faces-")


def test_run_replace_overwrites(existing: ResultCollection, vids: list[int]) -> None:
    run("rekall_run", "frames_with_faces", "--videos", ",".join(map(str, vids[:2])), "--name", "existing", "--replace", "--no-progress")
    collection = ResultCollection.objects.get(name="existing")
    assert collection.arguments == vids[:2] and collection.pk != existing.pk
    assert load_collection("existing") == faces_rekall(vids[:2])


@pytest.mark.slow
@pytest.mark.postgres  # spawned workers read the corpus through their own connections
@pytest.mark.django_db(transaction=True)
def test_run_with_processes(vids: list[int]) -> None:
    run("rekall_run", "frames_with_faces", "--videos", ",".join(map(str, vids[:2])), "--runtime", "processes", "--workers", "2", "--chunksize", "1", "--name", "procs", "--no-progress")
    assert load_collection("procs") == faces_rekall(vids[:2])


# -- failures: summary, then non-zero exit ---------------------------------------------


def test_run_with_a_failing_video_prints_summary_then_fails(flaky: str, vids: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAIL_ENV, str(vids[1]))
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 chunk of 'flaky' failed .* rekall_resume flaky"):
        call_command("rekall_run", flaky, "--videos", ",".join(map(str, vids[:3])), "--chunksize", "3", "--name", "flaky", "--no-progress", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "failed" in text and f"video {vids[1]} is broken" in text
    collection = ResultCollection.objects.get(name="flaky")
    assert collection.status == "failed" and collection.chunks_failed == 1
    # The other videos' results are stored.
    assert set(load_collection("flaky")) == set(faces_rekall([vids[0], vids[2]]))


def test_resume_finishes_what_failed(flaky: str, vids: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAIL_ENV, str(vids[0]))
    with pytest.raises(CommandError):
        run("rekall_run", flaky, "--videos", ",".join(map(str, vids[:2])), "--chunksize", "1", "--name", "resumable", "--no-progress")
    monkeypatch.delenv(FAIL_ENV)
    out = run("rekall_resume", "resumable", "--no-progress")
    collection = ResultCollection.objects.get(name="resumable")
    assert (collection.status, collection.chunks_failed) == ("done", 0)
    assert "2/2 done, 0 failed" in out
    assert load_collection("resumable") == faces_rekall(vids[:2])


def test_resume_of_a_finished_collection_is_a_no_op(existing: ResultCollection) -> None:
    before = _state()
    out = run("rekall_resume", "existing", "--no-progress")
    assert "1/1 done" in out and _state() == before


def _exit_status(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """What ``manage.py <argv>`` exits with, run in this process (and this test's transaction)."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test transaction's connection
    command = load_command_class("esper_rekall", argv[0])
    command.stdout, command.stderr = StringIO(), StringIO()
    monkeypatch.setattr("sys.stdout", StringIO())
    monkeypatch.setattr("sys.stderr", StringIO())
    try:
        command.run_from_argv(["manage.py", *argv])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_exit_statuses(flaky: str, vids: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    one = str(vids[0])
    assert _exit_status(monkeypatch, "rekall_run", "frames_with_faces", "--videos", one, "--name", "ok", "--no-progress") == 0
    assert _exit_status(monkeypatch, "rekall_run", "frames_with_faces", "--videos", one, "--name", "ok", "--no-progress") == 1
    assert _exit_status(monkeypatch, "rekall_run", "nope", "--videos", one) == 1
    monkeypatch.setenv(FAIL_ENV, one)
    assert _exit_status(monkeypatch, "rekall_run", flaky, "--videos", one, "--name", "bad", "--no-progress") == 1
    assert _exit_status(monkeypatch, "rekall_status", "bad") == 0
    assert _exit_status(monkeypatch, "rekall_resume", "bad", "--no-progress") == 1
    monkeypatch.delenv(FAIL_ENV)
    assert _exit_status(monkeypatch, "rekall_resume", "bad", "--no-progress") == 0
    assert _exit_status(monkeypatch, "rekall_export", "bad", "--format", "json") == 0
    assert _exit_status(monkeypatch, "rekall_export", "missing", "--format", "json") == 1
    assert _exit_status(monkeypatch, "rekall_queries") == 0


# -- bad arguments: one-line CommandError, database unchanged ----------------------------------


def _bad_cases(vids: list[int]) -> list[tuple[tuple[str, ...], str]]:
    one = str(vids[0])
    return [
        (("rekall_run", "nope", "--videos", one), "unknown query 'nope'"),
        (("rekall_run", "frames_with_faces", "--videos", "1,,2"), "--videos: empty item"),
        (("rekall_run", "frames_with_faces", "--videos", "x-3"), "--videos: 'x-3'"),
        (("rekall_run", "frames_with_faces", "--videos", "9-2"), "--videos: range '9-2' .* is reversed"),
        (("rekall_run", "frames_with_faces", "--videos", "999999"), "no such video ids: 999999"),
        (("rekall_run", "frames_with_faces", "--videos", one, "--all"), "only one of --videos, --all, --dates"),
        (("rekall_run", "frames_with_faces"), "takes video ids: pass --videos"),
        (("rekall_run", "frames_with_faces", "--dates", "2026-01-01:2026-01-02"), "takes video ids, not dates"),
        (("rekall_run", "person_on_several_channels", "--videos", one), "takes dates: pass --dates"),
        (("rekall_run", "person_on_several_channels", "--dates", "2026-02-30:2026-03-01"), "--dates: .* not a date range"),
        (("rekall_run", "person_on_several_channels", "--dates", "2026-03-01:2026-02-01"), "--dates: .* reversed"),
        (("rekall_run", "frames_with_faces", "--videos", one, "--name", "existing"), "collection 'existing' already exists; pass --replace"),
        (("rekall_run", "frames_with_faces", "--videos", one, "--chunksize", "0"), "--chunksize must be a positive integer, got 0"),
        (("rekall_run", "frames_with_faces", "--videos", one, "--workers", "0", "--runtime", "processes"), "--workers must be a positive integer"),
        (("rekall_run", "frames_with_faces", "--videos", one, "--workers", "2"), "--workers applies to --runtime processes"),
        (("rekall_run", "frames_with_faces", "--videos", one, "--no-wait"), "--no-wait applies to --runtime celery"),
        (("rekall_run", "frames_with_faces", "--videos", one, "--runtime", "spark"), "invalid choice: 'spark'"),
        (("rekall_run", "frames_with_faces", "--videos", one, "--name", " "), "--name must not be empty"),
        (("rekall_resume", "missing"), "no result collection named 'missing'"),
        (("rekall_status", "missing"), "no result collection named 'missing'"),
        (("rekall_export", "missing", "--format", "json"), "no result collection named 'missing'"),
        (("rekall_export", "existing", "--format", "xml"), "invalid choice: 'xml'"),
        (("rekall_export", "existing"), "the following arguments are required: --format"),
        (("rekall_export", "existing", "--format", "csv", "--output", "/nonexistent-dir/x.csv"), "--output: cannot write '/nonexistent-dir/x.csv'"),
    ]


@pytest.mark.parametrize("case", range(24))
def test_bad_arguments_raise_a_one_line_error_and_change_nothing(existing: ResultCollection, vids: list[int], case: int) -> None:
    argv, message = _bad_cases(vids)[case]
    before = _state()
    with pytest.raises(CommandError, match=message) as error:
        run(*argv)
    assert "\n" not in str(error.value)
    assert _state() == before


def test_bad_case_table_is_fully_parametrized(vids: list[int]) -> None:
    assert len(_bad_cases(vids)) == 24


@pytest.mark.skipif(bool(settings.CELERY_BROKER_URL), reason="a broker is configured")
def test_celery_runtime_without_a_broker(existing: ResultCollection, vids: list[int]) -> None:
    before = _state()
    with pytest.raises(CommandError, match="needs a broker: set CELERY_BROKER_URL"):
        run("rekall_run", "frames_with_faces", "--videos", str(vids[0]), "--runtime", "celery")
    assert _state() == before


# -- rekall_status --------------------------------------------------------------------------------


def test_status_lists_collections(existing: ResultCollection, vids: list[int]) -> None:
    run("rekall_run", "frames_with_faces", "--videos", str(vids[1]), "--name", "second", "--no-progress")
    lines = run("rekall_status").splitlines()
    assert lines[0].split()[:2] == ["name", "status"]
    assert lines[1].split()[0] == "second" and lines[2].split()[0] == "existing"
    assert lines[2].split()[1:3] == ["done", "1/0/1"]


def test_status_of_one_collection(flaky: str, vids: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAIL_ENV, str(vids[1]))
    with pytest.raises(CommandError):
        run("rekall_run", flaky, "--videos", ",".join(map(str, vids[:3])), "--chunksize", "1", "--name", "st", "--no-progress")
    out = run("rekall_status", "st")
    assert "collection 'st'" in out and ": failed" in out
    assert "chunks     2/3 done, 1 failed\n" in out
    assert "chunk time mean" in out
    assert f"[{vids[1]}]: RuntimeError: video {vids[1]} is broken" in out or f"video {vids[1]} is broken" in out


def _killed_run(vids: list[int]) -> ResultCollection:
    """A run whose driver was killed: chunk 0 done, chunk 1 running with a lapsed lease, chunk 2 pending."""
    import datetime as dt

    from django.utils import timezone

    run("rekall_run", "frames_with_faces", "--videos", ",".join(map(str, vids[:3])), "--chunksize", "1",
        "--name", "killed", "--no-progress")
    collection = ResultCollection.objects.get(name="killed")
    stored = ResultChunk.objects.get(collection=collection, index=0).num_intervals
    started = timezone.now() - dt.timedelta(minutes=10)
    first = ResultChunk.objects.get(collection=collection, index=0).pk
    ResultInterval.objects.filter(collection=collection).exclude(chunk_rows([first])).delete()
    ResultChunk.objects.filter(collection=collection, index=0).update(
        started=started - dt.timedelta(seconds=1), finished=started + dt.timedelta(seconds=2)
    )
    ResultChunk.objects.filter(collection=collection, index=1).update(
        state="running", num_intervals=0, started=started, finished=None, lease_expires=started + dt.timedelta(seconds=30)
    )
    ResultChunk.objects.filter(collection=collection, index=2).update(state="pending", num_intervals=0, started=None, finished=None)
    # What the collection row said when the driver died: nothing finished yet.
    ResultCollection.objects.filter(pk=collection.pk).update(
        status="running", finished=None, num_intervals=0, chunks_done=0, created=started - dt.timedelta(seconds=5)
    )
    collection.refresh_from_db()
    assert stored > 0
    return collection


def test_status_of_a_killed_run_says_interrupted_and_how_to_resume(vids: list[int]) -> None:
    collection = _killed_run(vids)
    stored = ResultInterval.objects.filter(collection=collection, parent_row__isnull=True).count()
    out = run("rekall_status", "killed")
    assert "collection 'killed' (id" in out and "): interrupted" in out
    assert "interrupted: 2 of 3 chunks did not finish; run `rekall_resume killed`" in out
    assert "1/3 done, 0 failed, 1 stale (worker gone), 1 pending" in out
    assert f"intervals  {stored:,} (in done chunks)" in out
    assert "duration 7.0s" in out  # to the last chunk activity, not growing with the clock
    assert "chunk time mean 3.0s, max 3.0s over 1 chunk\n" in out
    lines = run("rekall_status").splitlines()
    row = next(line for line in lines if line.startswith("killed "))
    assert row.split()[1:4] == ["interrupted", "1/0/3", f"{stored:,}"]
    assert "interrupted: 2 of 3 chunks did not finish; run `rekall_resume killed`" in lines
    run("rekall_resume", "killed", "--no-progress")
    assert "interrupted" not in run("rekall_status", "killed")


def test_a_run_that_stores_nothing_says_why_it_may_be_empty(existing: ResultCollection, vids: list[int]) -> None:
    from esper_rekall.commands_support import EMPTY_RESULT_NOTE

    Video.objects.filter(pk=vids[-1]).update(num_frames=0)
    from esper_rekall.models import Frame

    Frame.objects.filter(video_id=vids[-1]).delete()  # a video with no sampled frame: no face
    out = run("rekall_run", "frames_with_faces", "--videos", str(vids[-1]), "--name", "empty", "--no-progress")
    assert EMPTY_RESULT_NOTE in " ".join(out.split())
    assert EMPTY_RESULT_NOTE in " ".join(run("rekall_status", "empty").split())
    assert "note" not in run("rekall_status", "existing")


def test_status_without_collections(db: None) -> None:
    assert "no stored collections" in run("rekall_status")


# -- rekall_export ----------------------------------------------------------------------------------


def test_export_json_is_grouped_by_video_and_matches_the_collection(existing: ResultCollection, vids: list[int], tmp_path: Path) -> None:
    run("rekall_run", "frames_with_faces", "--videos", ",".join(map(str, vids[:2])), "--name", "exp", "--no-progress")
    target = tmp_path / "exp.json"
    out = run("rekall_export", "exp", "--format", "json", "--output", str(target), "--no-progress")
    data = json.loads(target.read_text())
    coll = load_collection("exp")
    assert data["collection"]["name"] == "exp" and data["collection"]["num_intervals"] == len(coll.columns)
    assert [v["video_id"] for v in data["videos"]] == vids[:2]
    first = data["videos"][0]["intervals"][0]
    interval = coll[vids[0]].get_intervals()[0]
    assert (first["t1"], first["t2"], first["x1"], first["x2"]) == (interval.t[0], interval.t[1], 0, 1)
    assert [face["payload"] for face in first["payload"]] == [face.payload for face in interval.payload]
    assert f"{len(coll.columns):,} intervals of 'exp' written" in out
    video = Video.objects.get(pk=vids[0])
    assert (data["videos"][0]["path"], data["videos"][0]["fps"]) == (video.path, video.fps)
    assert first["t1_seconds"] == round(interval.t[0] / video.fps, 6)
    assert len(target.read_text().splitlines()) == 2 + 2 + 1  # compact: one line per video
    run("rekall_export", "exp", "--format", "json", "--output", str(target), "--no-progress", "--indent", "2")
    assert json.loads(target.read_text()) == data and '\n      "intervals": [' in target.read_text()


def test_export_json_to_stdout(existing: ResultCollection) -> None:
    data = json.loads(run("rekall_export", "existing", "--format", "json"))
    assert sum(len(v["intervals"]) for v in data["videos"]) == existing.num_intervals


def test_export_csv_has_one_row_per_interval_with_path_fps_and_seconds(existing: ResultCollection) -> None:
    rows = list(csv.DictReader(io.StringIO(run("rekall_export", "existing", "--format", "csv"))))
    assert list(rows[0]) == ["video_id", "path", "fps", "t1", "t2", "t1_seconds", "t2_seconds", "x1", "x2", "y1", "y2", "payload"]
    assert len(rows) == existing.num_intervals
    assert json.loads(rows[0]["payload"])[0]["payload"] > 0  # a face id inside the frame's set of faces
    video = Video.objects.get(pk=int(rows[0]["video_id"]))
    assert (rows[0]["path"], float(rows[0]["fps"])) == (video.path, video.fps)
    for row in rows:
        assert float(row["t2_seconds"]) == round(float(row["t2"]) / video.fps, 6)
        assert len(row["t2"]) <= 10  # 269.91, not the float noise 269.90999999999997
        assert not re.search(r"\d\.\d{8,}", row["payload"])  # the nested faces' bounds too


def test_export_of_date_domains(corpus: Any) -> None:
    run("rekall_run", "person_on_several_channels", "--dates", "2026-01-01", "--name", "d", "--no-progress")
    data = json.loads(run("rekall_export", "d", "--format", "json"))
    assert [v["domain"] for v in data["videos"]] == ["2026-01-01"]
    assert all(isinstance(i["payload"], str) for i in data["videos"][0]["intervals"])
    assert all(i["t1_seconds"] == i["t1"] for i in data["videos"][0]["intervals"])  # seconds since midnight
    rows = list(csv.DictReader(io.StringIO(run("rekall_export", "d", "--format", "csv"))))
    assert {row["domain"] for row in rows} == {"2026-01-01"}  # a value, not JSON text with quotes
    assert {(row["path"], row["fps"]) for row in rows} == {("", "")}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_is_a_one_line_error(vids: list[int]) -> None:
    import os
    import subprocess
    import sys

    from tests.runtime.celery_workers import ROOT, database_url

    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
           "ESPER_REKALL_ALLOW_DEV_KEY": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "rekall_run", "frames_with_faces", "--videos", str(vids[0]),
         "--runtime", "celery", "--name", "down", "--no-progress"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("CommandError:"), result.stderr
    assert "broker" in result.stderr.lower()


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly() -> None:
    import os
    import subprocess
    import sys

    from tests.runtime.celery_workers import ROOT

    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already exited: every write fails with EPIPE
    try:
        result = subprocess.run([sys.executable, "manage.py", "rekall_queries"], cwd=ROOT, stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("error", ["OperationalError", "InterfaceError"])
def test_a_database_that_stays_unreachable_ends_a_run_with_one_line_naming_the_resume(error: str) -> None:
    import django.db

    from esper_rekall.commands_support import run_errors_in_one_line

    with pytest.raises(CommandError) as raised:
        with run_errors_in_one_line("faces"):
            raise getattr(django.db, error)("server closed the connection unexpectedly\n\tThis probably means ...")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("the database cannot be reached (server closed the connection unexpectedly)")
    assert message.endswith("run `manage.py rekall_resume faces` once it is back")
