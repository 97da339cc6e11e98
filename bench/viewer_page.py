"""Benchmark the viewer's server-side paging on a big stored collection.

Usage::

    .venv/bin/python bench/viewer_page.py                        # 1,000,000 intervals: 5,000 videos x 200
    .venv/bin/python bench/viewer_page.py --videos 1000 --per-video 200

Writes a scratch collection into ``BENCH_DATABASE_URL`` (default: the
PostgreSQL database ``esper_rekall_bench`` on 127.0.0.1, created and
migrated if missing) with ``COPY``, times ``page_data_from_stored`` and
``render_page`` for a first, middle and last page of 25 videos (median of
``--runs``), prints the queries per page, then deletes the collection.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import DEFAULT_URL, _ensure_postgres_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=5_000)
    parser.add_argument("--per-video", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    _ensure_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from esper_rekall.models import ResultChunk, ResultCollection, ResultInterval
    from esper_rekall.viewer import page_data_from_stored, render_page

    call_command("migrate", verbosity=0)
    total = args.videos * args.per_video
    ResultCollection.objects.filter(name="bench-viewer").fast_delete()
    collection = ResultCollection.objects.create(
        name="bench-viewer", query_ref={}, status="done", num_chunks=1, chunks_done=1, num_intervals=total
    )
    chunk = ResultChunk.objects.create(collection=collection, index=0, arguments=[], state="done")
    started = time.perf_counter()
    buf = io.StringIO()
    for v in range(1, args.videos + 1):
        for i in range(args.per_video):
            buf.write(f"{collection.pk}\t{chunk.pk}\t{v}\t{v}\t{30 * i}\t{30 * i + 90}\t0.1\t0.3\t0.2\t0.5\t{i}\n")
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {ResultInterval._meta.db_table} (collection_id, chunk_id, domain, domain_int, t1, t2, x1, x2, y1, y2, payload) FROM STDIN",
            buf,
        )
        cursor.execute(f"ANALYZE {ResultInterval._meta.db_table}")
    print(f"database: {connection.settings_dict['NAME']}; {total:,} intervals over {args.videos:,} videos loaded in {time.perf_counter() - started:.1f}s")
    last = -(-args.videos // 25)
    try:
        print(f"{'page':>6} {'queries':>8} {'page data ms':>13} {'render ms':>10} {'intervals':>10} {'html KB':>8}")
        for page in (1, last // 2, last):
            data_t, render_t = [], []
            for _ in range(args.runs):
                with CaptureQueriesContext(connection) as queries:
                    t0 = time.perf_counter()
                    data = page_data_from_stored(collection, page, 25)
                    t1 = time.perf_counter()
                html = render_page(data, include_assets=False)
                data_t.append(t1 - t0)
                render_t.append(time.perf_counter() - t1)
            shown = sum(len(v["intervals"]) for v in data["videos"])
            print(
                f"{page:>6} {len(queries):>8} {statistics.median(data_t) * 1000:>13.0f} "
                f"{statistics.median(render_t) * 1000:>10.0f} {shown:>10,} {len(html) / 1024:>8.0f}"
            )
    finally:
        ResultCollection.objects.filter(pk=collection.pk).fast_delete()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
