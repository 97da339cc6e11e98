"""Benchmark the stored runtimes: inline vs processes(2) vs Celery (2 worker processes).

Usage::

    .venv/bin/python bench/runtime.py                 # 1000 videos, chunk sizes 1 and 15
    .venv/bin/python bench/runtime.py --videos 200

Runs the tutorial's faces query (``frames_with_faces``) over every video of
a scratch PostgreSQL database (``BENCH_DATABASE_URL``, default
``esper_rekall_bench``, generated with ``generate_tvnews`` if its video
count differs) through ``start_collection`` on each runtime, storing the
result. Celery uses the broker in ``BENCH_BROKER_URL`` (default
``redis://127.0.0.1:6379/13``) and one ``celery -A project worker -c 2``
subprocess started here (with ``ESPER_REKALL_ALLOW_DEV_KEY=1`` unless a
``SECRET_KEY`` is set: task messages are signed with it, and workers refuse
the development key otherwise). ``bench.runtime`` is added to
``ESPER_REKALL_QUERY_MODULES`` so workers accept the empty query by
path. Prints wall time, the ratio to inline, intervals written per
second, and the per-chunk overhead measured with an empty query
(``bench.runtime:empty_query``) at chunk sizes 1 and 15, and the load
average before and after (the figures are only comparable at similar load).
Targets (issue 11, 1,000 videos): inline <= 5 s, processes(2) >= 1.8x
inline; per-chunk overhead < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esper_rekall_bench"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"


def empty_query(video_ids: list[Any]) -> Any:
    """A query that does nothing: measures the runtime's own cost per chunk."""
    from esper_rekall.intervals import DomainIntervalCollection

    return DomainIntervalCollection()


def start_worker(env: dict[str, str], name: str = "bench") -> subprocess.Popen[bytes]:
    """``celery -A project worker -c 2`` in its own session, once it answers a ping."""
    from project.celery import app

    node = f"{name}@{socket.gethostname()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "project", "worker", "-l", "warning", "-c", "2", "-n", node,
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[node], timeout=0.5):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("the benchmark's Celery worker did not start")
    return proc


def _timed_run(query: Any, ids: list[int], runtime: str, chunksize: int) -> tuple[float, Any]:
    from esper_rekall.runtime.jobs import start_collection

    started = time.perf_counter()
    collection = start_collection(
        query, ids, name=f"bench-{runtime}-{chunksize}", runtime=runtime, workers=2, chunksize=chunksize,
        replace=True,
    )
    return time.perf_counter() - started, collection


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--overhead-args", type=int, default=300, help="arguments of the empty-query runs")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL") or DEFAULT_BROKER
    os.environ.pop("CELERY_RESULT_BACKEND", None)
    modules = os.environ.get("ESPER_REKALL_QUERY_MODULES") or "esper_rekall.queries"
    if "bench.runtime" not in modules.split(","):
        os.environ["ESPER_REKALL_QUERY_MODULES"] = modules + ",bench.runtime"
    if not os.environ.get("SECRET_KEY"):
        os.environ["ESPER_REKALL_ALLOW_DEV_KEY"] = "1"  # a development machine: workers accept the dev key
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(ROOT))
    from bench.generate import _ensure_postgres_database

    _ensure_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from esper_rekall.corpus import generate_tvnews
    from esper_rekall.models import ResultCollection, Video
    from project.celery import app

    call_command("migrate", verbosity=0)
    if Video.objects.count() != args.videos:
        print(f"generating {args.videos} videos ...", flush=True)
        generate_tvnews(args.videos, 0, mode="replace")
    ids = list(Video.objects.order_by("id").values_list("id", flat=True))
    app.control.purge()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = start_worker(env)
    try:
        print(f"{len(ids)} videos; faces query (frames_with_faces), stored; chunk size 15; "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"{'runtime':<12} {'seconds':>8} {'x inline':>9} {'intervals':>10} {'intervals/s':>12}")
        base = None
        for runtime in ("inline", "processes", "celery"):
            seconds, c = _timed_run("frames_with_faces", ids, runtime, 15)
            base = base or seconds
            print(f"{runtime:<12} {seconds:>8.2f} {base / seconds:>9.2f} {c.num_intervals:>10} "
                  f"{c.num_intervals / seconds:>12.0f}", flush=True)
        print(f"\nper-chunk overhead (empty query over {args.overhead_args} arguments)")
        print(f"{'runtime':<12} {'chunksize':>9} {'chunks':>7} {'seconds':>8} {'ms/chunk':>9}")
        small = list(range(1, args.overhead_args + 1))
        for runtime in ("inline", "processes", "celery"):
            for chunksize in (1, 15):
                seconds, c = _timed_run("bench.runtime:empty_query", small, runtime, chunksize)
                print(f"{runtime:<12} {chunksize:>9} {c.num_chunks:>7} {seconds:>8.2f} "
                      f"{1000 * seconds / c.num_chunks:>9.1f}", flush=True)
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
        ResultCollection.objects.filter(name__startswith="bench-").fast_delete()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        app.control.purge()
    return 0


if __name__ == "__main__":
    sys.exit(main())
