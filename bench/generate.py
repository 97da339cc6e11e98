"""Benchmark ``generate_tvnews``: seconds, rows and rows/s, median of several runs.

Usage::

    .venv/bin/python bench/generate.py                     # 200 and 1000 videos, 3 runs each
    .venv/bin/python bench/generate.py --videos 50 --runs 1

Writes into ``BENCH_DATABASE_URL`` (default: a scratch PostgreSQL database
``esper_rekall_bench`` on 127.0.0.1, created and migrated if missing; the
corpus tables there are replaced, then emptied at the end). ``DATABASE_URL``
is ignored so a benchmark never touches the database you work in. Every
run is ``generate_tvnews --videos N --seed S --replace``, timed in process
(interpreter start-up excluded). Target: 1000 videos (~1M faces) in under
120 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esper_rekall_bench"


def _ensure_postgres_database(url: str) -> None:
    """Create the database named in ``url`` if it does not exist (PostgreSQL URLs only)."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    cfg = dj_database_url.parse(url)
    if "postgresql" not in cfg["ENGINE"]:
        return
    conn = psycopg2.connect(
        dbname="postgres", user=cfg["USER"] or None, password=cfg["PASSWORD"] or None,
        host=cfg["HOST"] or None, port=cfg["PORT"] or None,
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(ROOT))
    _ensure_postgres_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; runs per size: {args.runs}")
    print(f"{'videos':>7} {'seconds':>8} {'rows':>11} {'faces':>10} {'rows/s':>10}")
    from esper_rekall.corpus import generate_tvnews

    for videos in args.videos:
        seconds, written = [], {}
        for _ in range(args.runs):
            started = time.perf_counter()
            written = generate_tvnews(videos, args.seed, mode="replace")
            seconds.append(time.perf_counter() - started)
        median = statistics.median(seconds)
        rows = sum(written.values())
        print(f"{videos:>7} {median:>8.2f} {rows:>11,} {written['face']:>10,} {rows / median:>10,.0f}")
    from django.db import transaction

    from esper_rekall.corpus import clear_corpus

    with transaction.atomic():
        clear_corpus("default")
    return 0


if __name__ == "__main__":
    sys.exit(main())
