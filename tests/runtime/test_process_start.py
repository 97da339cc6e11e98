"""The ``processes`` runtime forks its workers where that is safe, and spawns them elsewhere.

Forked workers inherit the parent's modules (fast to start); forking is
refused by the pool inside a database transaction and unsafe beside other
threads, so there the workers are spawned interpreters.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction

from esper_rekall import storage
from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.runtime import Runtime, disjoint_domain_combiner, get_process_pool_factory
from tests.runtime.celery_workers import ROOT, database_url

#: Set by the test in the parent: a forked worker sees the parent's value, a spawned one the import-time value.
PARENT_MARK = "as imported"


def parent_mark_per_video(video_ids: list[Any]) -> DomainIntervalCollection:
    """One interval per video whose payload is ``PARENT_MARK`` as this process sees it."""
    return DomainIntervalCollection({v: IntervalSet3D([Interval3D((v, v + 1), payload=PARENT_MARK)]) for v in video_ids})


def _in_a_fresh_driver(code: str) -> str:
    """What ``code`` prints, run in a new interpreter set up on this test database.

    A fresh process, because this one may run threads left by other tests
    (and then rightly spawns).
    """
    script = (
        "import django; django.setup()\n"
        "import tests.runtime.test_process_start as m\n"
        "m.PARENT_MARK = 'set in the parent'\n" + code
    )
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "project.settings",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stored_processes_run_from_a_single_threaded_driver_runs_in_forked_workers() -> None:
    printed = _in_a_fresh_driver(
        "from esper_rekall.runtime.jobs import start_collection\n"
        "c = start_collection(m.parent_mark_per_video, [1, 2, 3], name='forked', runtime='processes', workers=2,"
        " chunksize=1)\n"
        "print(c.status, c.chunks_done)\n"
    )
    assert printed == "done 3"
    stored = storage.load_collection("forked")
    assert {iv.payload for iv in stored.get_flattened_intervalset().get_intervals()} == {"set in the parent"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_process_factory_forks_in_a_single_threaded_process_outside_transactions() -> None:
    printed = _in_a_fresh_driver(
        "from esper_rekall.runtime import get_process_pool_factory\n"
        "pool = get_process_pool_factory(1)(m.parent_mark_per_video)\n"
        "print(pool.context); pool.shut_down()\n"
    )
    assert printed == "fork"


@contextlib.contextmanager
def _another_thread() -> Iterator[None]:
    """Another thread runs in this process while the block runs."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        yield
    finally:
        stop.set()
        other.join()


@pytest.mark.parametrize("situation", [transaction.atomic, _another_thread], ids=["in a transaction", "beside a thread"])
@pytest.mark.django_db(transaction=True)
def test_the_process_factory_spawns_where_forking_is_unsafe(situation: Callable[[], Any]) -> None:
    with situation():
        pool = get_process_pool_factory(1)(parent_mark_per_video)
        try:
            assert pool.context == "spawn"
        finally:
            pool.shut_down()


@pytest.mark.django_db(transaction=True)
def test_a_processes_run_inside_a_transaction_still_equals_inline() -> None:
    ids = [1, 2, 3, 4]
    with transaction.atomic():
        result, failed = Runtime(get_process_pool_factory(2)).run(
            parent_mark_per_video, ids, chunksize=2, combiner=disjoint_domain_combiner
        )
    assert failed == []
    assert result == Runtime.inline().run(parent_mark_per_video, ids, combiner=disjoint_domain_combiner)[0]
