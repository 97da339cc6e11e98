"""The result store against the query it stores and against raw binary COPY.

One command (a scratch PostgreSQL database; the corpus is generated only
when it does not already hold exactly ``--videos`` videos)::

    .venv/bin/python bench/store.py [--videos 1000] [--runs 3]

On the tutorial's ``frames_with_faces`` over every video, prints medians of
``--runs`` runs and these ratios, measured in the same run:

- store vs query: ``save_collection`` seconds / the query's seconds;
- write rate vs raw COPY: the numeric columns of the same rows written with
  one psycopg2 binary ``COPY`` into an unindexed temporary table (no WAL),
  divided by ``save_collection``'s time (1.0 = as fast as the raw COPY);
  and, to tell PostgreSQL's own cost from ours, every stored column of the
  same rows ``COPY``-ed into a logged table like the result table without
  indexes, divided by ``save_collection``'s time;
- load rate vs the adapter: ``from_django_qs`` on all faces (rows/s)
  against ``load_collection`` (stored rows/s, frames and faces);
- bytes per stored interval (with its nested faces) against the face rows
  it nests: partition size / (faces x bytes per face row), and bytes per
  stored row (table and indexes);
- deleting the collection (one ``DROP`` of its partition), and deleting a
  collection of ``--delete-rows`` rows (default 10M, written server-side
  with ``generate_series``; 0 skips it).

Database: ``BENCH_STORE_DATABASE_URL`` (default: a scratch database
``esper_rekall_bench_store``, created if missing). ``DATABASE_URL`` is
ignored, so the benchmark never touches the database you work in.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esper_rekall_bench_store"


def raw_copy_seconds(coll: Any) -> float:
    """One binary COPY of the stored rows' numeric columns into an unindexed temp table."""
    from django.db import connection, transaction

    from esper_rekall.db.pgcopy import CopyColumn, binary_copy_data
    from esper_rekall.result_layout import encode_rows

    rows = encode_rows(coll)
    n = len(rows)
    names = ("t1", "t2", "x1", "x2", "y1", "y2")
    columns = [CopyColumn(b, "float8", c) for b, c in zip(names, rows.bounds)]
    columns.append(CopyColumn("p", "int8", rows.payload_int))
    data = binary_copy_data(n, columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_raw (t1 float8, t2 float8, x1 float8, x2 float8, y1 float8, y2 float8, p int8)"
        )
        start = time.perf_counter()
        cursor.copy_expert(f"COPY bench_raw ({', '.join(names)}, p) FROM STDIN WITH (FORMAT binary)", io.BytesIO(data))
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_raw")
    return elapsed


def stored_columns_copy_seconds(coll: Any) -> float:
    """One binary COPY of every stored column of the rows (as ``save_collection`` sends
    them) into a logged table like the result table, without indexes: what PostgreSQL
    itself charges for ingesting these rows durably."""
    from django.db import connection, transaction

    from esper_rekall.db.pgcopy import copy_from_columns
    from esper_rekall.result_layout import encode_rows
    from esper_rekall.result_rows import copy_columns

    rows = encode_rows(coll)
    columns = copy_columns(1, 1, rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_stored_columns (LIKE esper_rekall_resultinterval)")
        start = time.perf_counter()
        copy_from_columns(connection, "bench_stored_columns", len(rows), columns)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_stored_columns")
    return elapsed


def delete_seconds(rows: int) -> float:
    """Seconds to delete a stored collection of ``rows`` intervals (made in SQL, then ANALYZEd)."""
    from django.db import connection

    from esper_rekall.db.partitions import partition_name
    from esper_rekall.models import ResultChunk, ResultCollection
    from esper_rekall.storage import delete_collection

    collection = ResultCollection.objects.create_run(name="bench-delete", query_ref={}, chunks=[[0]], replace=True)
    chunk = ResultChunk.objects.get(collection=collection)
    with connection.cursor() as cursor:
        cursor.execute(
            # Full-frame rows: x1 .. y2 stored NULL (their defaults), as save_collection writes them.
            "INSERT INTO esper_rekall_resultinterval (id, collection_id, domain_int, t1, t2, payload_kind, payload_int)"
            " SELECT (%s::bigint << 32) + g, %s, g / 1000, g, g + 3, 2, g FROM generate_series(0, %s - 1) AS g",
            [chunk.pk, collection.pk, rows],
        )
        cursor.execute(f"ANALYZE {connection.ops.quote_name(partition_name(collection.pk))}")
    start = time.perf_counter()
    delete_collection("bench-delete")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delete-rows", type=int, default=10_000_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from pushdown import median_seconds, setup_database

    setup_database(os.environ.get("BENCH_STORE_DATABASE_URL", DEFAULT_URL), args.videos, args.seed)
    from django.db import connection

    from esper_rekall.db.partitions import partition_name
    from esper_rekall.intervals.collection import DomainIntervalCollection
    from esper_rekall.models import Face, Video
    from esper_rekall.queries.tvnews import faces_rekall
    from esper_rekall.storage import delete_collection, encode_collection, load_collection, save_collection
    from pushdown import tutorial_faces

    vids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
    query_s, coll = median_seconds(lambda: faces_rekall(vids), args.runs)
    n_frames = len(coll.columns)
    n_faces = int(coll.columns.payload.sizes().sum())
    print(f"{len(vids):,} videos: {n_frames:,} frames with {n_faces:,} faces ({Face.objects.count():,} faces in all)")
    encode_s, _ = median_seconds(lambda: encode_collection(coll), args.runs)
    save_s, saved = median_seconds(lambda: save_collection(coll, "bench-store", replace=True), args.runs)
    raw_s = statistics.median(raw_copy_seconds(coll) for _ in range(args.runs))  # the COPY alone, not its setup
    stored_columns_s = statistics.median(stored_columns_copy_seconds(coll) for _ in range(args.runs))
    load_s, loaded = median_seconds(lambda: load_collection("bench-store"), args.runs)
    if loaded != coll:
        raise SystemExit("load_collection did not give back what was saved")
    faces_qs = tutorial_faces()
    adapter_s, faces = median_seconds(
        lambda: DomainIntervalCollection.from_django_qs(
            faces_qs, schema=DomainIntervalCollection.django_bbox_default_schema()
        ),
        args.runs,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE esper_rekall_face")
        cursor.execute("SELECT pg_total_relation_size('esper_rekall_face'), reltuples FROM pg_class WHERE relname = 'esper_rekall_face'")
        face_bytes, face_rows = cursor.fetchone()
        cursor.execute(
            "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s)",
            [partition_name(saved.pk)] * 3,
        )
        stored_bytes, heap_bytes, index_bytes = cursor.fetchone()
    per_face = face_bytes / max(face_rows, 1)
    start = time.perf_counter()
    delete_collection("bench-store")
    delete_s = time.perf_counter() - start

    stored_rows = n_frames + n_faces
    print(f"{'step':<44}{'seconds':>10}{'rows/s':>14}")
    for label, seconds, rows in (
        ("the query (adapter + group_by_time)", query_s, n_frames),
        ("encode_collection", encode_s, stored_rows),
        ("save_collection (encode + binary COPY)", save_s, stored_rows),
        ("raw binary COPY of the numeric columns", raw_s, stored_rows),
        ("binary COPY of every stored column, logged", stored_columns_s, stored_rows),
        ("load_collection", load_s, stored_rows),
        ("from_django_qs on all faces", adapter_s, len(faces.columns)),
        ("delete_collection (DROP partition)", delete_s, stored_rows),
    ):
        print(f"{label:<44}{seconds:>10.3f}{rows / seconds:>14,.0f}")
    print()
    print(f"store vs query (save / query seconds):          {save_s / query_s:.2f}   (target <= 1.0)")
    print(f"write rate vs raw binary COPY (raw / save):     {raw_s / save_s:.2f}   (target >= 0.5)")
    print(f"  the same rows' every column into a logged table without indexes / save: {stored_columns_s / save_s:.2f}")
    load_rate = stored_rows / load_s
    adapter_rate = len(faces.columns) / adapter_s
    print(f"load rate vs from_django_qs on faces:           {load_rate / adapter_rate:.2f}   (target >= 0.5)")
    if args.delete_rows:
        print(f"deleting a collection of {args.delete_rows:,} rows:            {delete_seconds(args.delete_rows):.3f} s")
    print(
        f"stored bytes per frame with its faces:          {stored_bytes / n_frames:,.0f} "
        f"= {stored_bytes / (n_faces * per_face):.2f}x its {n_faces / n_frames:.2f} face rows "
        f"({per_face:,.0f} bytes each; target <= 1.5x)"
    )
    print(
        f"stored bytes per row:                           {stored_bytes / stored_rows:,.1f} "
        f"(table {heap_bytes / stored_rows:,.1f} + indexes {index_bytes / stored_rows:,.1f})"
    )


if __name__ == "__main__":
    main()
