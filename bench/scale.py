"""The scale run: a 10,000-video corpus on PostgreSQL, per-chunk cost, stored runs, sizes, pages, projection.

One command (scratch PostgreSQL databases; a corpus is generated only when
its database does not already hold exactly that many videos)::

    .venv/bin/python bench/scale.py [--videos 10000] [--compare 1000]
    CELERY_BROKER_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/scale.py ...   # + the Celery run

Measures, on PostgreSQL:

1. generation: ``generate_tvnews --videos N`` seconds and rows (recorded in
   the scratch database when it was generated, so a reused corpus still
   reports it), and whether the tables have planner statistics;
2. the tutorial query (``esper_rekall.queries.tvnews.faces_rekall``) over
   ``--sample`` (1,000) videos picked evenly across the corpus, in chunks of
   ``--chunksize`` (15): seconds per video (median of ``--runs``), at N and,
   with ``--compare K``, at K videos in a second scratch database (measured
   by a subprocess of this script); the ratio, target <= 1.2. The
   ``EXPLAIN (ANALYZE, BUFFERS)`` of the per-chunk SQL is printed (it must
   use indexes: a sequential scan makes per-chunk cost grow with N);
3. the same sample stored inline (``start_collection``), with the time
   spent in the binary ``COPY`` of the result rows measured on its own: the
   database's write cost per video;
4. a full stored run over all N videos with ``processes(2)`` and, when
   ``CELERY_BROKER_URL`` is set, with Celery (one ``celery -A project worker
   -c 2`` started here, ``ESPER_REKALL_ALLOW_DEV_KEY=1``);
5. sizes (``pg_total_relation_size``) of the label tables and of the stored
   collection's partition, bytes per row;
6. time to first byte (server side, Django test ``Client`` logged in as a
   superuser; medians of ``--page-runs``) of the admin Face changelist, a
   Face changelist filtered by labeler and one searched by video id, the
   admin Result collections list, the viewer's collections list and a
   viewer page (first and middle) of the stored collection;
7. a projection of the 200,000-video run on M Celery machines of
   ``--procs`` (8) processes each, against one PostgreSQL server of
   ``--db-cores`` (8) cores, naming the first bottleneck.

Databases: ``esper_rekall_bench_scale`` and ``esper_rekall_bench_scale_<K>``
on ``BENCH_SCALE_SERVER`` (default ``postgres://postgres@127.0.0.1:5432``).
``DATABASE_URL`` is ignored, so the benchmark never touches the database you
work in. Collections stored here (``bench-scale-*``) stay in the scratch
database for the next run to replace.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "esper_rekall_bench_scale"
ARCHIVE_VIDEOS = 200_000  # the archive the projection is for


# -- set-up ------------------------------------------------------------------------


def setup(db: str, videos: int, seed: int) -> dict[str, Any]:
    """Point Django at scratch database ``db`` holding ``videos`` videos; generate them if needed."""
    sys.path.insert(0, str(ROOT))
    from bench.generate import _ensure_postgres_database

    url = f"{os.environ.get('BENCH_SCALE_SERVER', DEFAULT_SERVER).rstrip('/')}/{db}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    _ensure_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from esper_rekall.corpus import generate_tvnews
    from esper_rekall.models import Video

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_scale_meta (videos int, seed int, seconds float8, rows bigint,"
            " at timestamptz DEFAULT now())"
        )
    info: dict[str, Any] = {"database": db, "videos": videos}
    if Video.objects.count() != videos:
        print(f"[{db}] generating {videos:,} videos (seed {seed}) ...", flush=True)
        start = time.perf_counter()
        written = generate_tvnews(videos, seed, mode="replace")
        seconds = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM bench_scale_meta")
            cursor.execute(
                "INSERT INTO bench_scale_meta (videos, seed, seconds, rows) VALUES (%s, %s, %s, %s)",
                [videos, seed, seconds, sum(written.values())],
            )
        info.update(generated=True, generate_seconds=seconds, rows=sum(written.values()))
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT seconds, rows, at FROM bench_scale_meta WHERE videos = %s", [videos])
            row = cursor.fetchone()
        info.update(generated=False, generate_seconds=row[0] if row else None, rows=row[1] if row else None,
                    generated_at=str(row[2]) if row else None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples, s.last_analyze, s.last_autoanalyze FROM pg_class c"
            " JOIN pg_stat_user_tables s ON s.relid = c.oid"
            " WHERE c.relname IN ('esper_rekall_face', 'esper_rekall_frame', 'esper_rekall_video')"
        )
        stats = cursor.fetchall()
        info["statistics"] = {r[0]: {"reltuples": r[1], "analyzed": str(r[2] or r[3])} for r in stats}
        if any(r[1] < 0 for r in stats):  # a corpus generated before generate_tvnews analyzed its tables
            print(f"[{db}] tables never analyzed: running ANALYZE", flush=True)
            cursor.execute("ANALYZE")
            info["analyzed_here"] = True
    return info


def pick_evenly(ids: list[int], k: int) -> list[int]:
    """``k`` ids spread evenly over ``ids`` (all of them when there are fewer)."""
    if k >= len(ids):
        return list(ids)
    step = (len(ids) - 1) / (k - 1) if k > 1 else 0
    return sorted({ids[round(i * step)] for i in range(k)})


def chunked(xs: list[int], n: int) -> list[list[int]]:
    return [xs[i : i + n] for i in range(0, len(xs), n)]


# -- 2. the query per video -----------------------------------------------------------


def _faces_qs(vids: list[int]) -> Any:
    """The per-chunk SQL of ``faces_rekall``: its queryset with the bbox schema's columns,
    as ``materialize`` runs it (``db.key_filters``: the chunk's ids also restrict ``video``)."""
    from django.db.models import F

    from esper_rekall.db.key_filters import propagate_key_filters
    from esper_rekall.models import Face

    faces = Face.objects.filter(frame__video_id__in=vids).annotate(
        video_id=F("frame__video_id"),
        min_frame=F("frame__number"),
        max_frame=F("frame__number") + 3 * F("frame__video__fps"),
    )
    return propagate_key_filters(faces).values_list(
        "video_id", "min_frame", "max_frame", "bbox_x1", "bbox_x2", "bbox_y1", "bbox_y2", "id"
    )


def measure_query(sample: int, chunksize: int, runs: int) -> dict[str, Any]:
    """The tutorial query over ``sample`` videos picked evenly, in chunks: seconds per video."""
    from esper_rekall.models import Video
    from esper_rekall.queries.tvnews import faces_rekall

    ids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
    pick = pick_evenly(ids, sample)
    chunks = chunked(pick, chunksize)
    totals, per_chunk, intervals = [], [], 0
    first = None
    for run in range(runs + 1):  # run 0: first touch (cold-ish caches), not in the median
        total, n = 0.0, 0
        for chunk in chunks:
            start = time.perf_counter()
            coll = faces_rekall(chunk)
            elapsed = time.perf_counter() - start
            total += elapsed
            n += len(coll.columns)
            if run:
                per_chunk.append(elapsed)
        if run:
            totals.append(total)
        else:
            first = total
        intervals = n
    # Server-side time of the per-chunk SQL (EXPLAIN ANALYZE without per-node timing), every chunk.
    sql_ms = []
    for chunk in chunks:
        plan = _faces_qs(chunk).explain(analyze=True, timing=False, summary=True)
        sql_ms.append(float(plan.rsplit("Execution Time:", 1)[1].split("ms")[0]))
    out = {
        "videos": len(ids),
        "sample": len(pick),
        "chunks": len(chunks),
        "intervals": intervals,
        "first_seconds": first,
        "seconds": statistics.median(totals),
        "per_video_ms": 1000 * statistics.median(totals) / len(pick),
        "per_chunk_ms_median": 1000 * statistics.median(per_chunk),
        "sql_ms_per_video": sum(sql_ms) / len(pick),
    }
    mid = chunks[len(chunks) // 2]
    plan = _faces_qs(mid).explain(analyze=True, buffers=True)
    out["plan"] = plan
    out["seq_scans"] = [line.strip() for line in plan.splitlines() if "Seq Scan" in line]
    return out


def measure_compare(args: argparse.Namespace) -> dict[str, Any]:
    """Run this script on the small corpus in a subprocess (its own scratch database); its JSON."""
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--videos", str(args.compare), "--seed", str(args.seed),
        "--sample", str(args.sample), "--chunksize", str(args.chunksize), "--runs", str(args.runs),
        "--only-query", "--db", f"{DB_NAME}_{args.compare}",
    ]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    sys.stderr.write(proc.stderr[-3000:] if proc.returncode else "")
    if proc.returncode:
        raise SystemExit(f"the --compare run failed ({proc.returncode})")
    for line in proc.stdout.splitlines():
        if not line.startswith("JSON "):
            print(line)
    return json.loads(next(line[5:] for line in proc.stdout.splitlines() if line.startswith("JSON ")))


# -- 3./4. stored runs ------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``; the database runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_inline_store(pick: list[int], chunksize: int) -> dict[str, Any]:
    """The sample stored inline, accounted in CPU seconds: this process, its database backend, the COPY.

    CPU time, unlike wall time, does not depend much on what else the
    machine runs. Parallel query is off in this session (on a database
    whose cores are all busy serving workers it buys nothing), so the
    backend's CPU is all the database does for the run (reads, COPY, index
    upkeep, bookkeeping); the lease heartbeat's own connection is left
    out. The COPY of result rows is timed apart (the binary packing in
    this process, the ``COPY`` itself) and so is the backend's CPU during
    it; WAL written is read from ``pg_current_wal_lsn()``.
    """
    from django.db import connection

    import esper_rekall.db.pgcopy as pgcopy
    import esper_rekall.result_rows as result_rows
    from esper_rekall.runtime.jobs import start_collection

    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        cursor.execute("SELECT pg_backend_pid(), pg_current_wal_lsn()")
        backend, wal_before = cursor.fetchone()
    acc = {"copy": 0.0, "pack": 0.0, "copy_backend_cpu": 0.0, "rows": 0}
    original_copy, original_pack = result_rows.copy_from_columns, pgcopy.binary_copy_data

    def timed_pack(n: int, columns: Any) -> bytes:
        start = time.perf_counter()
        try:
            return original_pack(n, columns)
        finally:
            acc["pack"] += time.perf_counter() - start

    def timed_copy(conn: Any, table: str, n: int, columns: Any) -> None:
        cpu, start = _cpu_seconds(backend), time.perf_counter()
        original_copy(conn, table, n, columns)
        acc["copy"] += time.perf_counter() - start
        acc["copy_backend_cpu"] += _cpu_seconds(backend) - cpu
        acc["rows"] += n

    result_rows.copy_from_columns, pgcopy.binary_copy_data = timed_copy, timed_pack
    try:
        cpu, backend_cpu, start = time.process_time(), _cpu_seconds(backend), time.perf_counter()
        c = start_collection("frames_with_faces", pick, name="bench-scale-inline-sample", runtime="inline",
                             chunksize=chunksize, replace=True)
        seconds = time.perf_counter() - start
        cpu, backend_cpu = time.process_time() - cpu, _cpu_seconds(backend) - backend_cpu
    finally:
        result_rows.copy_from_columns, pgcopy.binary_copy_data = original_copy, original_pack
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [wal_before])
        backend_after, wal = cursor.fetchone()
        cursor.execute("RESET max_parallel_workers_per_gather")
    if backend_after != backend:
        print(f"  warning: the database connection changed during the run ({backend} -> {backend_after})")
    return {"seconds": seconds, "intervals": c.num_intervals, "rows": acc["rows"], "copy_seconds": acc["copy"],
            "pack_seconds": acc["pack"], "copy_backend_cpu": acc["copy_backend_cpu"], "client_cpu": cpu,
            "backend_cpu": backend_cpu, "wal_bytes": float(wal), "videos": len(pick), "chunks": c.num_chunks}


def stored_run(ids: list[int], runtime: str, chunksize: int) -> dict[str, Any]:
    """A full stored run of ``frames_with_faces`` over ``ids``: wall time, counts, partition size."""
    from django.db import connection

    from esper_rekall.db.partitions import partition_name
    from esper_rekall.runtime.jobs import start_collection

    start = time.perf_counter()
    c = start_collection("frames_with_faces", ids, name=f"bench-scale-{runtime}", runtime=runtime, workers=2,
                         chunksize=chunksize, replace=True)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        table = partition_name(c.pk)
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        (rows,) = cursor.fetchone()
        cursor.execute("SELECT pg_total_relation_size(%s)", [table])
        (size,) = cursor.fetchone()
    return {"runtime": runtime, "seconds": seconds, "intervals": c.num_intervals, "rows": rows, "bytes": size,
            "chunks": c.num_chunks, "status": c.status, "failed": len(c.failed_args or []), "pk": c.pk,
            "videos": len(ids)}


def celery_run(ids: list[int], chunksize: int) -> dict[str, Any] | None:
    """The full stored run on Celery (one worker, ``-c 2``, started here), if a broker is configured."""
    if not os.environ.get("CELERY_BROKER_URL"):
        return None
    from project.celery import app

    env = {**os.environ, "PYTHONPATH": str(ROOT), "ESPER_REKALL_ALLOW_DEV_KEY": "1"}
    app.control.purge()
    from bench.runtime import start_worker

    worker = start_worker(env, "bench-scale")
    try:
        return stored_run(ids, "celery", chunksize)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        app.control.purge()


def broker_publish_rate(n: int = 2000) -> float | None:
    """Messages/s one client publishes to the broker (a scratch queue, deleted afterwards)."""
    url = os.environ.get("CELERY_BROKER_URL")
    if not url:
        return None
    import redis
    from kombu import Connection

    queue = "bench-scale-probe"
    with Connection(url) as conn:
        producer = conn.Producer(serializer="json")
        start = time.perf_counter()
        for i in range(n):
            producer.publish({"i": i, "pad": "x" * 400}, routing_key=queue, exchange="")
        seconds = time.perf_counter() - start
    redis.Redis.from_url(url).delete(queue)
    return n / seconds


# -- 5. sizes ---------------------------------------------------------------------------


def table_sizes() -> list[tuple[str, int, int]]:
    """(table, rows, total bytes) of the label tables and the result tables."""
    from django.db import connection

    names = ["video", "frame", "face", "faceidentity", "shot", "commercial", "resultchunk", "resultcollection"]
    out = []
    with connection.cursor() as cursor:
        for name in names:
            table = f"esper_rekall_{name}"
            cursor.execute("SELECT reltuples::bigint, pg_total_relation_size(oid) FROM pg_class WHERE relname = %s",
                           [table])
            rows, size = cursor.fetchone()
            if name.startswith("result"):  # small, unpartitioned: count them
                cursor.execute(f"SELECT count(*) FROM {table}")
                (rows,) = cursor.fetchone()
            out.append((table, max(rows, 0), size))
    return out


# -- 6. pages ---------------------------------------------------------------------------


def page_times(collection_pk: int | None, mid_video: int, runs: int) -> list[dict[str, Any]]:
    """Server-side time to first byte of admin and viewer pages (test Client, superuser)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from esper_rekall.models import Labeler, ResultCollection

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench-scale-admin").first()
    if user is None:
        user = user_model.objects.create_superuser("bench-scale-admin", "bench@example.invalid", None)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    labeler = Labeler.objects.get(name="mtcnn")
    urls = [
        ("admin Face changelist", "/admin/esper_rekall/face/"),
        ("admin Face, filtered by labeler", f"/admin/esper_rekall/face/?labeler__id__exact={labeler.pk}"),
        ("admin Face, searched by video id", f"/admin/esper_rekall/face/?q={mid_video}"),
        ("admin Result collections list", "/admin/esper_rekall/resultcollection/"),
        ("viewer collections list", "/viewer/"),
    ]
    if collection_pk is not None:
        videos = len(ResultCollection.objects.get(pk=collection_pk).arguments)  # pages of 25 videos
        urls.append(("viewer page 1 of the stored collection", f"/viewer/{collection_pk}/"))
        urls.append(("viewer middle page", f"/viewer/{collection_pk}/?page={max(1, videos // 50)}"))
    out = []
    for label, url in urls:
        times = []
        for _ in range(runs + 1):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            times.append(elapsed)
        out.append({"page": label, "url": url, "ms": 1000 * statistics.median(times[1:]), "first_ms": 1000 * times[0],
                    "queries": len(queries), "bytes": len(response.content)})
    return out


# -- 7. projection -----------------------------------------------------------------------


def projection(args: argparse.Namespace, inline: dict[str, Any], runs: list[dict[str, Any]],
               publish_rate: float | None) -> None:
    """Project the 200,000-video run on M machines of ``--procs`` processes; name the first bottleneck.

    From the CPU accounting of the inline sample: a worker process spends
    ``w`` CPU seconds per video itself and waits ``d`` for the database
    (the backend's CPU seconds), so it stores 1 / (w + d) videos/s and keeps
    d / (w + d) of a database core busy. The database saturates at
    ``db_cores * (w + d) / d`` worker processes.
    """
    v = inline["videos"]
    w, d = inline["client_cpu"] / v, inline["backend_cpu"] / v
    d_copy = inline["copy_backend_cpu"] / v
    rows_v, wal_v = inline["rows"] / v, inline["wal_bytes"] / v
    per_proc = 1 / (w + d)  # videos/s of one worker process
    sat = args.db_cores * (w + d) / d  # worker processes that saturate the database
    tasks = ARCHIVE_VIDEOS / args.chunksize
    print(f"\nProjection: {ARCHIVE_VIDEOS:,} videos in chunks of {args.chunksize} ({tasks:,.0f} tasks), M machines of"
          f" {args.procs} worker processes, one PostgreSQL server of {args.db_cores} cores")
    print(f"  per video (CPU seconds of the inline sample, independent of the machine's load):"
          f" worker {1000 * w:.1f} ms,"
          f" database {1000 * d:.1f} ms (of which the COPY of {rows_v:,.0f} result rows {1000 * d_copy:.1f} ms);"
          f" WAL {wal_v / 1e6:.2f} MB")
    for r in runs:
        machine_ms = 1000 * 2 * r["seconds"] / r["videos"]
        print(f"  check: the {r['runtime']} run took {machine_ms:.1f} ms of this 2-core machine"
              f" per video, {2 * r['seconds'] / r['videos'] / (w + d):.2f}x the CPU sum (the machine is shared)")
    print(f"  one worker process: {per_proc:.1f} videos/s; the database saturates at {sat:,.0f} processes"
          f" = {sat / args.procs:,.1f} machines, writing {sat * per_proc * rows_v:,.0f} rows/s and"
          f" {sat * per_proc * wal_v / 1e6:,.0f} MB/s of WAL")
    if publish_rate:
        need = sat * per_proc / args.chunksize
        print(f"  the broker: one Python client publishes {publish_rate:,.0f} messages/s to Redis (measured here);"
              f" at the database's limit the run sends {need:,.1f} tasks/s ({need / publish_rate:.1%} of that)")
    print(f"  {'machines':>8} {'processes':>9} {'hours':>7} {'db cores busy':>14} {'rows/s':>10} {'WAL MB/s':>9}"
          f" {'tasks/s':>8} {'bound by':>9}")
    for m in (1, 2, 4, 8, 16, 32):
        procs = m * args.procs
        eff = min(procs, sat)
        rate = eff * per_proc
        print(f"  {m:>8} {procs:>9} {ARCHIVE_VIDEOS / rate / 3600:>7.2f} {eff * d / (w + d):>14.1f}"
              f" {rate * rows_v:>10,.0f} {rate * wal_v / 1e6:>9.0f} {rate / args.chunksize:>8.1f}"
              f" {'workers' if procs < sat else 'database':>9}")
    floor_h = ARCHIVE_VIDEOS / (sat * per_proc) / 3600
    print(f"  whole run stores {ARCHIVE_VIDEOS * rows_v / 1e6:,.0f}M rows,"
          f" {ARCHIVE_VIDEOS * wal_v / 1e9:,.0f} GB of WAL;"
          f" no number of machines makes it faster than {floor_h:.2f} h on one {args.db_cores}-core server")
    # Each shared resource saturates at some number of worker processes; the smallest is the first bottleneck.
    limits = {"the database (CPU of reads + COPY)": sat}
    if publish_rate:
        limits["the broker (one client's publish rate)"] = publish_rate * args.chunksize / per_proc
    name, procs = min(limits.items(), key=lambda kv: kv[1])
    others = "; ".join(f"{k} at {v:,.0f}" for k, v in limits.items() if k != name)
    print(f"  first bottleneck: {name}, at ~{procs:,.0f} worker processes (~{procs / args.procs:,.1f} machines):"
          f" {1000 * d:.1f} ms of database CPU per video, {100 * d_copy / d:.0f}% of it the COPY of the results,"
          f" {procs * per_proc * rows_v:,.0f} rows/s; then {others or 'nothing else measured'}. Below it the run is"
          f" worker-bound, linear in machines.")


# -- main --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--compare", type=int, default=None, help="also measure the query on a K-video corpus")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=1000, help="videos of the per-video query measurement")
    parser.add_argument("--chunksize", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page-runs", type=int, default=5)
    parser.add_argument("--procs", type=int, default=8, help="worker processes per machine in the projection")
    parser.add_argument("--db-cores", type=int, default=8, help="cores of the database server in the projection")
    parser.add_argument("--reuse-steps", action="store_true",
                        help="skip the steps an earlier run measured"
                        " (kept in $TMPDIR/<db>-<N>-<chunksize>-<sample>.json)")
    parser.add_argument("--db", default=DB_NAME, help=argparse.SUPPRESS)
    parser.add_argument("--only-query", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    started = time.perf_counter()
    info = setup(args.db, args.videos, args.seed)
    gen = info["generate_seconds"]
    how = "generated now" if info["generated"] else f"reused, recorded {info.get('generated_at')}"
    gen_text = f"{gen:.1f} s, {info['rows']:,} rows" if gen else "not recorded"
    print(f"[{args.db}] {args.videos:,} videos ({how}): generation {gen_text};"
          f" statistics {json.dumps(info['statistics'])}", flush=True)
    if args.only_query:
        query = measure_query(args.sample, args.chunksize, args.runs)
        print("JSON " + json.dumps({"setup": info, "query": query}))
        return 0

    from django.db import connection

    from esper_rekall.models import Video

    # Each step's figures go to a state file as they are measured; --reuse-steps skips steps found there.
    state_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"{args.db}-{args.videos}-{args.chunksize}-{args.sample}.json"
    state: dict[str, Any] = json.loads(state_path.read_text()) if args.reuse_steps and state_path.exists() else {}

    def step(name: str, fn: Callable[[], Any]) -> Any:
        if name not in state:
            state[name] = fn()
            state_path.write_text(json.dumps(state))
        return state[name]

    query = step("query", lambda: measure_query(args.sample, args.chunksize, args.runs))
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the per-chunk SQL ({args.chunksize} videos from the middle of the"
          f" sample, N={args.videos:,}):")
    print("\n".join("    " + line for line in query["plan"].splitlines()))
    ids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
    pick = pick_evenly(ids, args.sample)
    compare = step("compare", lambda: measure_compare(args)) if args.compare else None
    if compare:
        print(f"\nthe same at N={args.compare:,}:")
        print("\n".join("    " + line for line in compare["query"]["plan"].splitlines()))
    print("\nstored runs ...", flush=True)
    inline = step("inline", lambda: measure_inline_store(pick, args.chunksize))
    full = step("processes", lambda: stored_run(ids, "processes", args.chunksize))
    print(f"  processes(2): {full['seconds']:.1f} s", flush=True)
    celery = step("celery", lambda: celery_run(ids, args.chunksize))
    publish = step("publish", broker_publish_rate)
    sizes = table_sizes()
    pages = page_times(full["pk"], ids[len(ids) // 2], args.page_runs)

    # -- report --
    print(f"\n== Scale run: N = {args.videos:,} videos (seed {args.seed}), PostgreSQL "
          f"{connection.pg_version // 10000}, chunks of {args.chunksize} ==")
    if gen:
        print(f"generation: {gen:.1f} s for {info['rows']:,} rows ({info['rows'] / gen:,.0f} rows/s)")
    print(f"\nthe tutorial query over {query['sample']:,} videos picked evenly ({query['chunks']} chunks; median of"
          f" {args.runs} runs after a first one):")
    print(f"  {'corpus':>8} {'seconds':>8} {'ms/video':>9} {'ms/chunk':>9} {'SQL ms/video':>13} {'first run s':>12}"
          f" {'intervals':>10}")
    rows = ([compare["query"]] if compare else []) + [query]
    for q in rows:
        print(f"  {q['videos']:>8,} {q['seconds']:>8.2f} {q['per_video_ms']:>9.2f} {q['per_chunk_ms_median']:>9.1f}"
              f" {q['sql_ms_per_video']:>13.2f} {q['first_seconds']:>12.2f} {q['intervals']:>10,}")
    if compare:
        ratio = query["per_video_ms"] / compare["query"]["per_video_ms"]
        sql_ratio = query["sql_ms_per_video"] / compare["query"]["sql_ms_per_video"]
        print(f"  per-video cost at {args.videos:,} / at {args.compare:,}: {ratio:.2f}x (target <= 1.2);"
              f" its SQL alone {sql_ratio:.2f}x")
    print(f"  sequential scans in the per-chunk plan: {query['seq_scans'] or 'none'}")

    print(f"\nstored runs of frames_with_faces (chunks of {args.chunksize}):")
    print(f"  {'run':<34} {'videos':>7} {'seconds':>8} {'ms/video':>9} {'intervals':>11} {'rows':>11} {'rows/s':>9}")
    for label, r in (
        ("inline, the sample", inline),
        ("processes(2), all videos", full),
        *((("Celery 1 worker -c 2, all videos", celery),) if celery else ()),
    ):
        print(f"  {label:<34} {r['videos']:>7,} {r['seconds']:>8.1f} {1000 * r['seconds'] / r['videos']:>9.2f}"
              f" {r['intervals']:>11,} {r['rows']:>11,} {r['rows'] / r['seconds']:>9,.0f}")
    print(f"  inline sample: the query alone {query['seconds']:.1f} s (above) of {inline['seconds']:.1f} s; binary COPY"
          f" of {inline['rows']:,} rows {inline['copy_seconds']:.1f} s ({inline['rows'] / inline['copy_seconds']:,.0f}"
          f" rows/s; packing them {inline['pack_seconds']:.1f} s of it)")
    print(f"  CPU seconds of the inline sample: this process {inline['client_cpu']:.1f}, its database backend"
          f" {inline['backend_cpu']:.1f} (the COPY {inline['copy_backend_cpu']:.1f}); WAL"
          f" {inline['wal_bytes'] / 1e6:,.0f} MB")
    if celery is None:
        print("  Celery: not run (CELERY_BROKER_URL not set)")
    else:
        print(f"  Celery vs processes(2): {full['seconds'] / celery['seconds']:.2f}x; status {celery['status']},"
              f" failed {celery['failed']}")

    print("\nsizes (pg_total_relation_size; label rows from pg_class.reltuples):")
    print(f"  {'table':<34} {'rows':>12} {'MB':>9} {'bytes/row':>10}")
    for table, nrows, size in sizes:
        print(f"  {table:<34} {nrows:>12,} {size / 1e6:>9.1f} {size / max(nrows, 1):>10.0f}")
    label_bytes = sum(s for t, _, s in sizes if not t.startswith("esper_rekall_result"))
    print(f"  {'labels, all six tables':<34} {'':>12} {label_bytes / 1e6:>9.1f}")
    print(f"  {'stored collection (its partition)':<34} {full['rows']:>12,} {full['bytes'] / 1e6:>9.1f}"
          f" {full['bytes'] / full['rows']:>10.0f}")
    face = next(s for s in sizes if s[0] == "esper_rekall_face")
    print(f"  stored collection / face table: {full['bytes'] / face[2]:.2f}x")

    print(f"\ntime to first byte (server side, test Client, superuser; median of {args.page_runs} after a first):")
    print(f"  {'page':<40} {'ms':>8} {'first ms':>9} {'queries':>8} {'KB':>7}")
    for p in pages:
        print(f"  {p['page']:<40} {p['ms']:>8.1f} {p['first_ms']:>9.1f} {p['queries']:>8} {p['bytes'] / 1e3:>7.0f}")

    projection(args, inline, [r for r in (full, celery) if r], publish)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
