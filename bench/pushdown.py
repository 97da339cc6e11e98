"""Benchmark reading querysets into interval collections, and SQL pushdown.

Usage::

    .venv/bin/python bench/pushdown.py                    # 1000 videos (~1.09M faces), 3 runs
    .venv/bin/python bench/pushdown.py --runs 1 --subset-videos 100

Database: ``BENCH_PUSHDOWN_DATABASE_URL`` (default: a scratch PostgreSQL
database ``esper_rekall_bench_pushdown`` on 127.0.0.1, created and migrated
if missing). ``DATABASE_URL`` is ignored, so the benchmark never touches the
database you work in. The corpus (``generate_tvnews --videos N --seed S``)
is generated only when the database does not already hold exactly N videos;
it is left in place for the next run.

Materialisation (``materialise_*``): the tutorial's faces queryset
(``faces_rekall``'s annotations, every face, bbox schema, payload = id) read
into memory

1. ``adapter``: ``DomainIntervalCollection.from_django_qs`` (esper_rekall.db).
2. ``orm_instances``: the original's way, model instances through the ORM,
   one ``Interval3D`` each, grouped through ``from_iterable`` (Rekall
   74ea145's ``from_django_qs`` algorithm).
3. ``rekall_74ea145``: the reference itself, Rekall 74ea145's
   ``DomainIntervalCollection.from_django_qs`` (model instances, reference
   ``Interval3D``/``IntervalSet3D``), when ``--reference-git`` names a clone
   of scanner-research/rekall; and ``rekallpy``: rekallpy 0.3.2's
   ``ism_from_django_qs`` (the last released original; optional,
   ``pip install -r bench/requirements.txt``).
4. ``raw_copy``: psycopg2 ``COPY (SELECT ...) TO STDOUT (FORMAT binary)``
   decoded into numpy columns: the floor for any reader (no collection).

2 and 3 read every face by default (~13 s a run, ~1 GB); ``--subset-videos K``
restricts them (and an extra ``adapter_subset`` row) to the first K
videos' faces. Note that the subset query still scans the face table, a
fixed cost of ~0.2 s that narrows the ratio at small K. Each method: the median of
``--runs`` timed runs, then one extra run under ``tracemalloc`` for the
peak of Python + numpy allocations (tracing slows a run, so it is not
timed). Targets: adapter >= 0.5x raw_copy's rows/s and >= 10x
orm_instances'.

Pushdown (``run_query_benchmarks``): the same lazy query collected with
its steps in SQL and with every step in numpy after loading
(``collect(pushdown=False)``), results checked equal: a selective filter
(faces of height >= 0.35 overlapping a commercial; target >= 10x),
``temporal_coalesce`` of shots, ``group_by_time`` of faces.
``--only materialisation|pushdown`` runs one half.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esper_rekall_bench_pushdown"

Result = tuple[int, float]


def setup_database(url: str, videos: int, seed: int) -> None:
    """Point Django at ``url`` (created and migrated if missing) holding ``videos`` videos."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import _ensure_postgres_database

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    _ensure_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    from esper_rekall.corpus import generate_tvnews
    from esper_rekall.models import Video

    call_command("migrate", verbosity=0)
    if Video.objects.count() != videos:
        print(f"generating {videos} videos (seed {seed}) ...", flush=True)
        generate_tvnews(videos, seed, mode="replace")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def tutorial_faces(vids: list[int] | None = None) -> Any:
    """The tutorial's faces queryset (``faces_rekall``'s), optionally for some videos."""
    from django.db.models import F

    from esper_rekall.models import Face

    qs = Face.objects.all() if vids is None else Face.objects.filter(frame__video_id__in=vids)
    return qs.annotate(
        video_id=F("frame__video_id"),
        min_frame=F("frame__number"),
        max_frame=F("frame__number") + 3 * F("frame__video__fps"),
    )


# -- materialisation -----------------------------------------------------------------


def materialise_adapter(qs: Any) -> Result:
    """esper_rekall: ``from_django_qs`` (binary COPY or values_list -> numpy)."""
    from esper_rekall.intervals.collection import DomainIntervalCollection

    start = time.perf_counter()
    coll = DomainIntervalCollection.from_django_qs(qs, schema=DomainIntervalCollection.django_bbox_default_schema())
    return len(coll.columns), time.perf_counter() - start


def materialise_orm_instances(qs: Any) -> Result:
    """Rekall 74ea145's way: model instances, one Interval3D each, from_iterable."""
    from esper_rekall.intervals.collection import DomainIntervalCollection

    acc = DomainIntervalCollection.django_accessor
    start = time.perf_counter()
    coll = DomainIntervalCollection.from_iterable(
        qs,
        lambda r: acc(r, "video_id"),
        lambda r: (acc(r, "min_frame"), acc(r, "max_frame")),
        x_accessor=lambda r: (acc(r, "bbox_x1"), acc(r, "bbox_x2")),
        y_accessor=lambda r: (acc(r, "bbox_y1"), acc(r, "bbox_y2")),
        p_accessor=lambda r: acc(r, "id"),
    )
    return len(coll.columns), time.perf_counter() - start


def materialise_rekallpy(qs: Any) -> Result:
    """rekallpy 0.3.2: ``ism_from_django_qs`` with its bbox default schema."""
    from rekall.stdlib.ingest import django_bbox_default_schema, ism_from_django_qs

    start = time.perf_counter()
    ism = ism_from_django_qs(qs, bounds_schema=django_bbox_default_schema())
    rows = sum(s.size() for s in ism.get_grouped_intervals().values())
    return rows, time.perf_counter() - start


def materialise_reference(qs: Any) -> Result:
    """Rekall 74ea145 itself: its ``DomainIntervalCollection.from_django_qs``.

    Runs in a child process whose ``sys.path`` starts with the extracted
    reference package (see ``--reference-git``); ``constraint`` (used only
    by its ``match``) is stubbed.
    """
    import types

    sys.modules.setdefault("constraint", types.ModuleType("constraint"))
    from rekall.domain_interval_collection import DomainIntervalCollection as RefDIC

    start = time.perf_counter()
    coll = RefDIC.from_django_qs(qs, schema=RefDIC.django_bbox_default_schema())
    rows = sum(s.size() for s in coll.values())
    return rows, time.perf_counter() - start


def materialise_raw_copy(qs: Any) -> Result:
    """The floor: binary COPY of the same SELECT, decoded into numpy columns."""
    import numpy as np
    from django.db import connection

    vl = qs.values_list("video_id", "min_frame", "max_frame", "bbox_x1", "bbox_x2", "bbox_y1", "bbox_y2", "id")
    start = time.perf_counter()
    sql, params = vl.query.get_compiler(using=vl.db).as_sql()
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        cursor.execute(f"SELECT * FROM ({query}) AS q LIMIT 0")
        codes = {20: ">i8", 23: ">i4", 701: ">f8"}
        types = [codes[d.type_code] for d in cursor.description]
        buf = io.BytesIO()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT (FORMAT binary)", buf)
    data = buf.getbuffer()
    fields = [("n", ">i2")] + [f for k, t in enumerate(types) for f in ((f"l{k}", ">i4"), (f"v{k}", t))]
    dtype = np.dtype(fields)
    n = (len(data) - 19 - 2) // dtype.itemsize
    rows = np.frombuffer(data, dtype=dtype, count=n, offset=19)
    columns = [rows[f"v{k}"].astype(rows[f"v{k}"].dtype.newbyteorder("=")) for k in range(len(types))]
    del rows, data
    return len(columns[0]), time.perf_counter() - start


# -- harness ---------------------------------------------------------------------------


def measure(fn: Callable[[Any], Result], qs: Any, runs: int) -> dict[str, float]:
    """Median seconds of ``runs`` runs, rows/s, and the traced peak (MB) of one more run."""
    seconds = []
    rows = 0
    for _ in range(runs):
        gc.collect()
        # A fresh clone each run: iterating a queryset caches its model
        # instances, which would hide the ORM's cost from later runs.
        rows, s = fn(qs.all())
        seconds.append(s)
    gc.collect()
    tracemalloc.start()
    fn(qs.all())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    median = statistics.median(seconds)
    return {"rows": rows, "seconds": median, "rows_per_s": rows / median, "peak_mb": peak / 2**20}


def print_table(results: dict[str, dict[str, float]]) -> None:
    print(f"{'method':<15} {'rows':>10} {'median s':>9} {'rows/s':>11} {'peak MB':>8}")
    for name, r in results.items():
        print(f"{name:<15} {r['rows']:>10,} {r['seconds']:>9.3f} {r['rows_per_s']:>11,.0f} {r['peak_mb']:>8.1f}")


def _subset(args: argparse.Namespace) -> Any:
    from esper_rekall.models import Video

    if not args.subset_videos:
        return tutorial_faces()
    return tutorial_faces(list(Video.objects.order_by("id").values_list("id", flat=True)[: args.subset_videos]))


def measure_reference(args: argparse.Namespace) -> dict[str, float] | None:
    """``materialise_reference`` in a child process over the 74ea145 sources."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", args.reference_git, "archive", args.reference_commit, "rekallpy/rekall"],
            capture_output=True, check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        child = subprocess.run(
            [sys.executable, __file__, "--child-reference", str(Path(tmp) / "rekallpy"),
             "--videos", str(args.videos), "--runs", str(args.runs), "--subset-videos", str(args.subset_videos)],
            capture_output=True, text=True, check=True,
        )
    return json.loads(child.stdout.strip().splitlines()[-1])


def run_materialisation(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    everything = tutorial_faces()
    results: dict[str, dict[str, float]] = {}
    results["adapter"] = measure(materialise_adapter, everything, args.runs)
    results["raw_copy"] = measure(materialise_raw_copy, everything, args.runs)
    subset = _subset(args)
    if args.subset_videos:
        results["adapter_subset"] = measure(materialise_adapter, subset, args.runs)
    results["orm_instances"] = measure(materialise_orm_instances, subset, args.runs)
    if args.reference_git:
        results["rekall_74ea145"] = measure_reference(args)
    try:
        import rekall.stdlib.ingest  # noqa: F401
    except ImportError:
        print("rekallpy not installed: skipping the rekallpy row")
    else:
        results["rekallpy"] = measure(materialise_rekallpy, subset, args.runs)
    scope = f"first {args.subset_videos} videos" if args.subset_videos else "every video"
    print(f"\n== materialisation: tutorial faces, bbox schema (orm_instances/rekallpy: {scope}) ==")
    print_table(results)
    copy_ratio = results["adapter"]["rows_per_s"] / results["raw_copy"]["rows_per_s"]
    orm_ratio = results["adapter"]["rows_per_s"] / results["orm_instances"]["rows_per_s"]
    print(f"adapter / raw_copy rows/s: {copy_ratio:.2f} (target >= 0.5)")
    print(f"adapter / orm_instances rows/s: {orm_ratio:.1f}x (target >= 10x)")
    if "rekall_74ea145" in results:
        print(f"adapter / rekall_74ea145 rows/s: {results['adapter']['rows_per_s'] / results['rekall_74ea145']['rows_per_s']:.1f}x")
    if "rekallpy" in results:
        print(f"adapter / rekallpy rows/s: {results['adapter']['rows_per_s'] / results['rekallpy']['rows_per_s']:.1f}x")
    return results


def median_seconds(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall time of ``runs`` calls of ``fn``, and its last result."""
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
        sql_s, sql_out = median_seconds(lambda: query.collect(), runs)
        py_s, py_out = median_seconds(lambda: query.collect(pushdown=False), runs)
        if sql_out != py_out:
            raise AssertionError(f"{name}: SQL and Python results differ")
        n = sum(sql_out.size().values())
        print(f"{name:<46} {sql_s:>8.3f} {py_s:>13.3f} {py_s / sql_s:>6.1f}x {n:>10,}")
        rows.append((name, sql_s, py_s, n))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--subset-videos", type=int, default=0,
                        help="read only this many videos' faces on the slow (model instance) paths; 0: all")
    parser.add_argument("--reference-git", default="",
                        help="git dir of scanner-research/rekall: also time Rekall 74ea145's own from_django_qs")
    parser.add_argument("--reference-commit", default="74ea145")
    parser.add_argument("--only", choices=("materialisation", "pushdown"), default="")
    parser.add_argument("--child-reference", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_reference:
        sys.path.insert(0, args.child_reference)
    setup_database(os.environ.get("BENCH_PUSHDOWN_DATABASE_URL") or DEFAULT_URL, args.videos, args.seed)
    if args.child_reference:
        import json

        print(json.dumps(measure(materialise_reference, _subset(args), args.runs)))
        return 0
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"needs PostgreSQL (COPY), got {connection.vendor}")
        return 2
    print(f"database: {connection.settings_dict['NAME']}; runs: {args.runs} (median)")
    if args.only != "pushdown":
        run_materialisation(args)
    if args.only != "materialisation":
        run_query_benchmarks(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
