"""Benchmark IntervalQuery pushdown: SQL steps vs load-then-compute in numpy.

Usage::

    .venv/bin/python bench/pushdown_ops.py            # assumes the bench corpus exists
    .venv/bin/python bench/pushdown_ops.py --generate 1000

Runs on ``BENCH_DATABASE_URL`` (default: the scratch PostgreSQL database
``esper_rekall_bench``); ``DATABASE_URL`` is ignored so a benchmark never
touches the database you work in. Each case is timed as the median of
``--runs`` runs, both paths ending in an identical ``DomainIntervalCollection``
(checked):

- selective filter: faces with height >= 0.35 that overlap a commercial,
  ``filter(...).filter_against(commercials, T(overlaps()))`` in SQL vs
  loading every face and commercial then filtering in numpy;
- ``temporal_coalesce(epsilon=...)`` of shots in SQL (window functions) vs
  load + numpy;
- ``group_by_time()`` of faces: members fetched flat in group order and sliced
  into nested sets in numpy, vs load + numpy.

Target: the selective pushed-down filter >= 10x faster than load-then-filter.
``bench/pushdown.py`` (materialisation benchmarks) can call
:func:`run_query_benchmarks` from its ``main``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esper_rekall_bench"


def _median_seconds(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def run_query_benchmarks(runs: int = 3) -> list[tuple[str, float, float, int]]:
    """Time each case in SQL and in Python; print and return the rows.

    Returns:
        ``(case, sql_seconds, python_seconds, result_intervals)`` per case.
    """
    from esper_rekall.intervals.predicates import spatial as sp
    from esper_rekall.intervals.predicates import temporal as tp
    from esper_rekall.intervals.predicates.axes import T, XY
    from esper_rekall.models import Commercial, Face, Shot

    faces = Face.objects.intervals()
    commercials = Commercial.objects.intervals()
    shots = Shot.objects.intervals()
    cases = [
        ("faces height>=0.35 overlapping a commercial",
         faces.filter(XY(sp.height_at_least(0.35))).filter_against(commercials, T(tp.overlaps()))),
        ("shots temporal_coalesce(epsilon=30)", shots.temporal_coalesce(epsilon=30)),
        ("faces group_by_time()", faces.group_by_time()),
    ]
    rows = []
    print(f"{'case':<46} {'SQL s':>8} {'load+numpy s':>13} {'ratio':>7} {'intervals':>10}")
    for name, query in cases:
        sql_s, sql_out = _median_seconds(lambda: query.collect(), runs)
        py_s, py_out = _median_seconds(lambda: query.collect(pushdown=False), runs)
        if sql_out != py_out:
            raise AssertionError(f"{name}: SQL and Python results differ")
        n = sum(sql_out.size().values())
        print(f"{name:<46} {sql_s:>8.3f} {py_s:>13.3f} {py_s / sql_s:>6.1f}x {n:>10,}")
        rows.append((name, sql_s, py_s, n))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generate", type=int, default=0, help="(re)generate a corpus of N videos first")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import _ensure_postgres_database

    _ensure_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if args.generate:
        from esper_rekall.corpus import generate_tvnews

        generate_tvnews(args.generate, 0, mode="replace")
    from esper_rekall.corpus import corpus_counts

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; {corpus_counts()}")
    run_query_benchmarks(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
