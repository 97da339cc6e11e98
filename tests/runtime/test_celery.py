"""The Celery runtime against real worker subprocesses, Redis and PostgreSQL.

Workers run ``celery -A project worker`` on the pytest test database, so the
tests are transactional (workers must see committed rows). One worker is
shared by the module; the kill tests start and kill more.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from esper_rekall import storage
from esper_rekall.models import ResultChunk, ResultCollection, ResultInterval, Video
from esper_rekall.runtime import QueryRef, Runtime, disjoint_domain_combiner
from esper_rekall.runtime.celery_pool import TASK_NAME, BrokerUnavailable, celery_pool_factory, chunk_message
from esper_rekall.runtime.jobs import resume_collection, start_collection
from tests.runtime.celery_workers import Workers, database_url, worker_env
from tests.runtime.chunk_queries import steered
from tests.runtime.drive import start_driver
from tests.test_storage import shape
from tests.waiting import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SOFT_LIMIT = 3  # ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT of the test workers (worker_env)
HARD_LIMIT = 5

IDS = list(range(1, 9))


@pytest.fixture(scope="module")
def flag_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("flags")
    old = os.environ.get("ESPER_REKALL_TEST_FLAGS")
    os.environ["ESPER_REKALL_TEST_FLAGS"] = str(directory)
    yield directory
    if old is None:
        del os.environ["ESPER_REKALL_TEST_FLAGS"]
    else:
        os.environ["ESPER_REKALL_TEST_FLAGS"] = old


@pytest.fixture(scope="module")
def workers(
    django_db_setup: None, django_db_blocker: Any, flag_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workers]:
    from project.celery import app

    with django_db_blocker.unblock():
        url = database_url()
    env = worker_env(url, settings.CELERY_BROKER_URL, flag_dir)
    app.control.purge()
    pool = Workers(app, env, tmp_path_factory.mktemp("worker-logs"))
    pool.start("w1", concurrency=2)
    yield pool
    pool.kill_all()
    app.control.purge()
    with django_db_blocker.unblock():
        from tests.conftest import build_corpus

        build_corpus()  # transactional tests flushed the session corpus


@pytest.fixture(autouse=True)
def clean_flags(flag_dir: Path) -> Iterator[None]:
    yield
    for f in flag_dir.iterdir():
        f.unlink()


def finished(name: str) -> ResultCollection:
    return wait_for(
        lambda: ResultCollection.objects.filter(name=name, finished__isnull=False).first(),
        what=f"collection {name!r} to finish",
    )


def inline(query: Any, ids: list[Any]) -> Any:
    return Runtime.inline().run(query, ids, combiner=disjoint_domain_combiner)[0]


def assert_one_copy(name: str, expected: Any) -> None:
    loaded = storage.load_collection(name)
    assert loaded == expected
    assert shape(loaded) == shape(expected) or sorted(shape(loaded), key=repr) == sorted(shape(expected), key=repr)
    assert ResultInterval.objects.filter(collection__name=name, parent_row=None).count() == len(expected.columns)


def test_tutorial_query_on_celery_equals_inline(workers: Workers, corpus: Any) -> None:
    from esper_rekall.queries.tvnews import faces_rekall

    ids = sorted(Video.objects.values_list("id", flat=True))
    expected = inline(faces_rekall, ids)
    rt = Runtime.celery()
    result, failed = rt.run(faces_rekall, ids, chunksize=2, combiner=disjoint_domain_combiner, save_as="faces")
    assert failed == []
    assert result == expected
    assert_one_copy("faces", expected)
    collection = ResultCollection.objects.get(name="faces")
    assert (collection.status, collection.runtime, collection.chunks_done) == ("done", "celery", 3)
    assert collection.num_intervals == len(expected.columns)


@pytest.mark.parametrize("make_runtime", [Runtime.celery, lambda: Runtime(celery_pool_factory)])
def test_unnamed_celery_run_is_stored_under_a_generated_name(workers: Workers, make_runtime: Any) -> None:
    rt = make_runtime()
    result, _ = rt.run(lambda ids: steered(ids), [1, 2], combiner=disjoint_domain_combiner)
    assert rt.last_collection.name
    assert storage.load_collection(rt.last_collection.name) == result == inline(steered, [1, 2])


def test_worker_process_killed_mid_chunk_loses_and_duplicates_nothing(workers: Workers, flag_dir: Path) -> None:
    (flag_dir / "sleep-3").touch()
    start_collection(steered, IDS, name="killed-child", runtime="celery", chunksize=2, wait=False)
    pid = int(wait_for(lambda: (flag_dir / "started-3").exists() and (flag_dir / "started-3").read_text(), 30))
    os.kill(pid, signal.SIGKILL)  # the pool process holding chunk [3, 4]
    collection = finished("killed-child")
    assert collection.status == "done"
    assert_one_copy("killed-child", inline(steered, IDS))
    assert ResultChunk.objects.get(collection=collection, index=1).attempts == 2


def test_whole_worker_killed_mid_chunk_is_finished_by_another_worker(workers: Workers, flag_dir: Path) -> None:
    workers.start("w2", concurrency=1)
    (flag_dir / "sleep-5").touch()
    start_collection(steered, IDS, name="killed-worker", runtime="celery", chunksize=2, wait=False)
    pid = int(wait_for(lambda: (flag_dir / "started-5").exists() and (flag_dir / "started-5").read_text(), 30))
    owner = workers.owner_of(pid)
    assert owner is not None
    workers.kill(owner, signal.SIGKILL)  # main process and its pool: nothing acknowledges
    try:
        collection = finished("killed-worker")
        assert collection.status == "done"
        assert_one_copy("killed-worker", inline(steered, IDS))
    finally:
        if owner == "w1":
            workers.start("w1", concurrency=2)
        workers.kill("w2")


def test_replace_while_chunks_are_in_flight_stops_the_old_driver_and_discards_its_late_chunks(
    workers: Workers, flag_dir: Path
) -> None:
    ids = list(range(1, 17))
    (flag_dir / "pause").touch()  # 0.6 s a chunk: the old run is in flight when it is replaced
    with start_driver("replaced", "celery", workers.env, ids, chunksize=2) as old_driver:
        wait_for(lambda: ResultChunk.objects.filter(collection__name="replaced", state="done").exists(), 30,
                 "a first chunk of the old run")
        old = ResultCollection.objects.get(name="replaced")
        assert ResultChunk.objects.filter(collection=old).exclude(state="done").exists()
        new = start_collection(steered, ids[4:], name="replaced", runtime="celery", chunksize=3, replace=True)
        output, _ = old_driver.communicate(timeout=30)
    assert old_driver.returncode == 2, output
    assert output.strip().splitlines()[-1].startswith("error: CollectionReplaced: collection replaced:"), output
    assert new.status == "done" and new.pk != old.pk
    assert_one_copy("replaced", inline(steered, ids[4:]))
    assert not ResultChunk.objects.filter(collection_id=old.pk).exists()
    assert not ResultInterval.objects.filter(collection_id=old.pk).exists()


def test_failing_arguments_are_exactly_the_failed_args_and_resume_completes(
    workers: Workers, flag_dir: Path
) -> None:
    for vid in (2, 7):
        (flag_dir / f"fail-{vid}").touch()
    rt = Runtime.celery()
    result, failed = rt.run(steered, IDS, chunksize=3, combiner=disjoint_domain_combiner, save_as="broken",
                            print_error=False)
    assert sorted(failed) == [2, 7]
    assert sorted(result.keys()) == [1, 3, 4, 5, 6, 8]
    collection = ResultCollection.objects.get(name="broken")
    assert collection.status == "failed"
    assert sorted(f["args"][0] for f in collection.failed_args) == [2, 7]
    assert all("RuntimeError: video" in f["error"] for f in collection.failed_args)
    assert storage.load_collection("broken") == result

    for vid in (2, 7):
        (flag_dir / f"fail-{vid}").unlink()
    resumed = resume_collection("broken", runtime="celery")
    assert (resumed.status, resumed.failed_args) == ("done", [])
    assert_one_copy("broken", inline(steered, IDS))


def test_chunk_that_kills_its_worker_every_time_is_split_and_only_that_video_fails(
    workers: Workers, flag_dir: Path
) -> None:
    (flag_dir / "kill-5").touch()
    collection = start_collection(steered, IDS, name="poison", runtime="celery", chunksize=3)
    assert collection.status == "failed"
    assert [f["args"] for f in collection.failed_args] == [[5]]
    assert "claimed 2 times" in collection.failed_args[0]["error"]
    assert_one_copy("poison", inline(steered, [i for i in IDS if i != 5]))
    parent = ResultChunk.objects.get(collection=collection, index=1)  # [4, 5, 6]
    assert parent.state == "split"
    assert sorted(c.arguments[0] for c in parent.children.all()) == [4, 5, 6]


@pytest.mark.parametrize(
    ("ref", "error"),
    [
        ({"kind": "path", "path": "esper_rekall.nowhere:query"}, "is not under ESPER_REKALL_QUERY_MODULES"),
        ({"kind": "path", "path": "subprocess:run"}, "refusing query path 'subprocess:run'"),
        ({"kind": "path", "path": "esper_rekall.storage:delete_collection"}, "is not under ESPER_REKALL_QUERY_MODULES"),
        ({"kind": "path", "path": "tests.runtime.chunk_queries:missing"}, "has no attribute 'missing'"),
        ("tampered", "signature does not match"),
        ("unsigned", "it is not signed"),
    ],
)
def test_bad_query_references_are_refused_with_a_clear_error(workers: Workers, ref: Any, error: str) -> None:
    from project.celery import app

    if ref in ("tampered", "unsigned"):
        good = QueryRef.from_function(lambda ids: steered(ids)).to_json()
        payload = good["payload"]
        if ref == "tampered":
            text, sep, signature = payload.rpartition(":")
            payload = text[:-4] + ("AAAA" if text[-4:] != "AAAA" else "BBBB") + sep + signature
        else:
            payload = payload.rpartition(":")[0]
        ref = {**good, "payload": payload}
    collection = ResultCollection.objects.create_run(name="bad-ref", query_ref=ref, chunks=[[1, 2]])
    app.send_task(TASK_NAME, args=chunk_message(collection.pk, 0))
    collection = finished("bad-ref")
    chunk = ResultChunk.objects.get(collection=collection, index=0)
    assert chunk.state == "failed"
    assert "QueryRefError" in chunk.error and error in chunk.error
    assert collection.failed_args == [{"args": [1, 2], "error": chunk.error}]


@pytest.mark.parametrize("path", ["subprocess:run", "os:system", "builtins:eval", "esper_rekall.storage:delete_collection"])
def test_a_message_naming_a_non_query_runs_nothing(workers: Workers, tmp_path: Path, path: str) -> None:
    from project.celery import app

    marker = tmp_path / "marker"
    argv = ["touch", str(marker)] if path == "subprocess:run" else [f"touch {marker}"]
    ref = {"kind": "path", "path": path}
    collection = ResultCollection.objects.create_run(name="hostile", query_ref=ref, chunks=[argv])
    app.send_task(TASK_NAME, args=chunk_message(collection.pk, 0))
    collection = finished("hostile")
    chunk = ResultChunk.objects.get(collection=collection, index=0)
    assert chunk.state == "failed" and "is not under ESPER_REKALL_QUERY_MODULES" in chunk.error
    assert not marker.exists()


@pytest.mark.parametrize("path", ["tests.runtime.chunk_queries:os.system", "tests.runtime.chunk_queries:Path"])
def test_a_name_a_query_module_merely_imports_is_refused(workers: Workers, tmp_path: Path, path: str) -> None:
    from project.celery import app

    marker = tmp_path / "marker"
    argv = [f"touch {marker}"]
    collection = ResultCollection.objects.create_run(name="imported", query_ref={"kind": "path", "path": path},
                                                     chunks=[argv])
    app.send_task(TASK_NAME, args=chunk_message(collection.pk, 0))
    chunk = ResultChunk.objects.get(collection=finished("imported"), index=0)
    assert chunk.state == "failed" and "is not a function defined in 'tests.runtime.chunk_queries'" in chunk.error
    assert not marker.exists()


def _marker_run(flag_dir: Path) -> tuple[ResultCollection, Path]:
    """A collection whose query would create ``flag_dir/marked-1`` if it ran."""
    collection = ResultCollection.objects.create_run(
        name="marker", query_ref={"kind": "path", "path": "tests.runtime.chunk_queries:marking"}, chunks=[[1]]
    )
    return collection, flag_dir / "marked-1"


@pytest.mark.parametrize(
    "message",
    [
        "old-format subprocess:run",
        "old-format os:system",
        "old-format builtins:eval",
        "old-format unregistered project function",
        "forged",
        "tampered",
        "missing",
        "other key",
    ],
)
def test_messages_not_signed_for_their_chunk_are_refused_and_nothing_runs(
    workers: Workers, flag_dir: Path, tmp_path: Path, message: str
) -> None:
    from django.core import signing

    from project.celery import app

    collection, marked = _marker_run(flag_dir)
    marker = tmp_path / "marker"
    good = chunk_message(collection.pk, 0)
    args: list[Any] = {
        "old-format subprocess:run": [{"kind": "path", "path": "subprocess:run"}, ["touch", str(marker)], collection.pk, 0],
        "old-format os:system": [{"kind": "path", "path": "os:system"}, [f"touch {marker}"], collection.pk, 0],
        "old-format builtins:eval": [{"kind": "path", "path": "builtins:eval"}, [f"open({str(marker)!r}, 'w')"],
                                     collection.pk, 0],
        "old-format unregistered project function": [
            {"kind": "path", "path": "esper_rekall.storage:delete_collection"}, ["marker"], collection.pk, 0
        ],
        "forged": [collection.pk, 0, "x" * len(good[2])],
        "tampered": [collection.pk, 1, good[2]],
        "missing": [collection.pk, 0],
        "other key": [collection.pk, 0, signing.Signer(key="another key", salt="esper_rekall.chunk_message",
                                                         fallback_keys=[]).sign(f"{collection.pk}:0").rpartition(":")[2]],
    }[message]
    outcome = app.send_task(TASK_NAME, args=args).get(timeout=30)
    assert outcome["state"] == "refused" and "nothing was run" in outcome["error"]
    assert not marker.exists() and not marked.exists()
    assert ResultChunk.objects.get(collection=collection, index=0).state == "pending"
    # The same chunk, signed: the query runs (so the checks above could fail).
    assert app.send_task(TASK_NAME, args=good).get(timeout=30)["state"] == "done"
    assert marked.exists()


def test_a_worker_with_the_development_key_refuses_to_start(workers: Workers, tmp_path: Path) -> None:
    from project.celery import app

    env = {k: v for k, v in workers.env.items() if k not in ("SECRET_KEY", "ESPER_REKALL_ALLOW_DEV_KEY")}
    refusing = Workers(app, env, tmp_path)
    with pytest.raises(RuntimeError, match="exited with 1"):
        refusing.start("devkey", concurrency=1)
    assert "refused to start: this Celery worker would run with the development SECRET_KEY" in (
        tmp_path / "devkey.log"
    ).read_text()


def test_a_hanging_video_is_cut_by_the_soft_limit_and_fails_alone(workers: Workers, flag_dir: Path) -> None:
    (flag_dir / "hang-5").touch()
    started = time.monotonic()
    collection = start_collection(steered, IDS, name="hang", runtime="celery", chunksize=3)
    assert time.monotonic() - started < 4 * SOFT_LIMIT
    assert [f["args"] for f in collection.failed_args] == [[5]]
    assert "SoftTimeLimitExceeded" in collection.failed_args[0]["error"]
    assert_one_copy("hang", inline(steered, [i for i in IDS if i != 5]))


@pytest.mark.slow
def test_a_video_ignoring_the_soft_limit_is_killed_at_the_hard_limit_and_fails_alone(
    workers: Workers, flag_dir: Path
) -> None:
    (flag_dir / "stubborn-5").touch()
    started = time.monotonic()
    collection = start_collection(steered, [4, 5, 6], name="stubborn", runtime="celery", chunksize=3)
    assert time.monotonic() - started < 3 * HARD_LIMIT
    assert [f["args"] for f in collection.failed_args] == [[5]]
    assert "killed at ESPER_REKALL_CHUNK_TIME_LIMIT" in collection.failed_args[0]["error"]
    assert_one_copy("stubborn", inline(steered, [4, 6]))


def test_result_iterator_yields_the_first_chunk_before_the_last_is_dispatched(workers: Workers) -> None:
    rt = Runtime.celery()
    it = rt.get_result_iterator(steered, IDS, chunksize=2, randomize=False, dispatch_size=1, save_as="stream")
    first = next(it)
    assert sorted(first.keys()) == [1, 2]
    states = dict(ResultChunk.objects.filter(collection__name="stream").values_list("index", "state"))
    assert states[0] == "done"
    assert states[3] == "pending"
    assert ResultChunk.objects.get(collection__name="stream", index=3).attempts == 0
    rest = list(it)
    assert len(rest) == 3
    merged = first
    for r in rest:
        merged = merged.union(r)
    assert merged == storage.load_collection("stream") == inline(steered, IDS)


def test_broker_down_fails_fast_at_submission(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    down = "redis://127.0.0.1:1/15"
    monkeypatch.setenv("CELERY_BROKER_URL", down)  # Celery reads it before its own settings
    settings.CELERY_BROKER_URL = down
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match=r"cannot reach the Celery broker at redis://127.0.0.1:1/15"):
        Runtime.celery().run(steered, [1], save_as="never")
    assert time.monotonic() - started < 5
    assert not ResultCollection.objects.filter(name="never").exists()


def test_no_broker_configured_is_a_clear_error(settings: Any) -> None:
    settings.CELERY_BROKER_URL = None
    with pytest.raises(BrokerUnavailable, match="no Celery broker is configured: set CELERY_BROKER_URL"):
        Runtime.celery().run(steered, [1])
