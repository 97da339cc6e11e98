"""Faults under real services: dead pool processes, killed drivers, racing runs.

Every stored run ends equal to an inline run of the same query (no
interval lost, none duplicated). Drivers run as subprocesses
(``tests.runtime.drive``) on the test database, so these tests are
transactional.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from esper_rekall.models import ResultChunk, ResultCollection
from esper_rekall.runtime import ProcessPool, TaskException
from esper_rekall.runtime.jobs import resume_collection, start_collection
from esper_rekall.runtime.pools import WorkerLost
from esper_rekall.runtime.supervision import ChunkTimeLimitExceeded
from tests.runtime.celery_workers import ROOT, database_url
from tests.runtime.chunk_queries import steered
from tests.runtime.drive import assert_stored_equals_inline, start_driver
from tests.waiting import wait_for

IDS = list(range(1, 9))


# -- the process pool ------------------------------------------------------------


def exits(video_ids: list[Any]) -> Any:
    """Ends its worker process (``os._exit``) for video 0, else answers like ``steered``."""
    if 0 in video_ids:
        os._exit(1)
    return steered(video_ids)


def test_a_pool_process_that_dies_fails_its_task_at_once_and_is_replaced(flag_dir: Path) -> None:
    with ProcessPool(num_workers=1) as pool:
        bound = pool.bind(exits)
        started = time.monotonic()
        [dead] = bound.map([[0]], lambda *a: None)
        with pytest.raises(TaskException) as raised:
            dead.get()
        detected = time.monotonic() - started
        assert isinstance(raised.value.__cause__, WorkerLost)
        assert "died with exit code 1" in str(raised.value.__cause__)
        assert detected < 5, detected
        [alive] = bound.map([[1]], lambda *a: None)
        assert alive.get() == steered([1])


def test_a_pool_process_past_the_hard_limit_is_killed(flag_dir: Path, settings: Any) -> None:
    settings.ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT = 0.5
    settings.ESPER_REKALL_CHUNK_TIME_LIMIT = 1.5
    (flag_dir / "stubborn-2").touch()
    (flag_dir / "hang-3").touch()
    with ProcessPool(steered, num_workers=2) as pool:
        started = time.monotonic()
        stubborn, hanging, fine = pool.map([[2], [3], [4]], lambda *a: None)
        with pytest.raises(TaskException) as killed:
            stubborn.get()
        assert isinstance(killed.value.__cause__, ChunkTimeLimitExceeded)
        assert "killed at ESPER_REKALL_CHUNK_TIME_LIMIT=1.5 s" in str(killed.value.__cause__)
        with pytest.raises(TaskException) as cut:
            hanging.get()
        assert "ran past ESPER_REKALL_CHUNK_SOFT_TIME_LIMIT" in str(cut.value.__cause__)
        assert fine.get() == steered([4])
        assert time.monotonic() - started < 30  # bounded (start-up of the replacement workers included), not a hang


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("flag", ["exit-5", "kill-5", "fail-5"])
def test_a_video_that_ends_its_process_fails_alone_on_the_process_runtime(flag_dir: Path, flag: str) -> None:
    (flag_dir / flag).touch()
    collection = start_collection(steered, IDS, name="dies", runtime="processes", workers=2, chunksize=3)
    assert [f["args"] for f in collection.failed_args] == [[5]]
    assert_stored_equals_inline("dies", [i for i in IDS if i != 5])


# -- drivers killed, then resumed -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("runtime", "sig"), [("inline", signal.SIGKILL), ("processes", signal.SIGTERM)])
def test_a_killed_driver_leaves_interrupted_chunks_that_resume_finishes(
    flag_dir: Path, settings: Any, runtime: str, sig: int
) -> None:
    settings.ESPER_REKALL_CHUNK_LEASE = 1
    (flag_dir / "pause").touch()
    env = {**os.environ, "DATABASE_URL": database_url(), "ESPER_REKALL_CHUNK_LEASE": "1", "PYTHONPATH": str(ROOT)}
    with start_driver("killed-driver", runtime, env, IDS) as driver:
        wait_for(lambda: ResultChunk.objects.filter(collection__name="killed-driver", state="done").exists(), 30,
                 "a first chunk")
        driver.send_signal(sig)
        driver.communicate(timeout=10)
    collection = ResultCollection.objects.get(name="killed-driver")
    assert ResultChunk.objects.filter(collection=collection, state="running").exists()
    started = time.monotonic()
    wait_for(lambda: ResultCollection.objects.finalize(collection.pk)
             and ResultChunk.objects.filter(collection=collection, state="interrupted").exists()
             and not ResultChunk.objects.filter(collection=collection, state="running").exists(), 10,
             "the driver's leases to lapse")
    assert time.monotonic() - started < 3
    assert ResultCollection.objects.get(pk=collection.pk).finished is None
    (flag_dir / "pause").unlink()
    resumed = resume_collection("killed-driver")
    assert resumed.status == "done"
    assert_stored_equals_inline("killed-driver", IDS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_creating_one_name_at_once_give_one_line_errors() -> None:
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def create() -> None:
        from django.db import connection

        barrier.wait()
        try:
            ResultCollection.objects.create_run(name="race", query_ref={}, chunks=[[1]])
            outcomes.append("created")
        except ValueError as error:
            outcomes.append(f"refused: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("created") == 1, outcomes
    assert all("'race'" in o for o in outcomes if o != "created"), outcomes
    assert ResultChunk.objects.filter(collection__name="race").count() == 1
