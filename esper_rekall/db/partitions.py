"""One PostgreSQL partition of the result-interval table per collection.

Provides:
    create_partition: the partition of one collection (idempotent).
    drop_partitions: drop the partitions of some collections.
    analyze_partition: refresh the planner statistics of one collection.
    is_partitioned: whether the table is partitioned on this connection.

Why: at 10^8 stored rows, deleting a collection row by row and scanning
one shared index cost time proportional to every collection. With
``PARTITION BY LIST (collection_id)``, a collection's rows, indexes and
statistics are its own: deleting it is one ``DROP TABLE`` (no row read),
and its scans never touch other collections. On SQLite (tests, the demo)
the table is a plain table and these functions do nothing.

Partition names are ``<table>_c<collection id>``: built from the integer
primary key, quoted by the connection, never from user text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["analyze_partition", "create_partition", "drop_partitions", "is_partitioned", "partition_name"]


def _table() -> str:
    from django.apps import apps

    return apps.get_model("esper_rekall", "ResultInterval")._meta.db_table


def partition_name(collection_id: int) -> str:
    """The partition table of collection ``collection_id``."""
    return f"{_table()}_c{int(collection_id)}"


def is_partitioned(connection: Any) -> bool:
    """True on PostgreSQL when the result-interval table is partitioned."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [_table()])
        return cursor.fetchone() is not None


def create_partition(connection: Any, collection_id: int) -> None:
    """Creates the partition holding collection ``collection_id``'s rows."""
    if not is_partitioned(connection):
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {quote(partition_name(collection_id))} "
            f"PARTITION OF {quote(_table())} FOR VALUES IN ({int(collection_id)})"
        )


def drop_partitions(connection: Any, collection_ids: Iterable[int]) -> bool:
    """Drops the partitions of ``collection_ids`` (no row is read).

    Returns:
        False, doing nothing, when the table is not partitioned (the caller
        deletes the rows instead).
    """
    if not is_partitioned(connection):
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for pk in collection_ids:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(partition_name(pk))}")
    return True


def analyze_partition(connection: Any, collection_id: int) -> None:
    """``ANALYZE`` one collection's rows (after a bulk write)."""
    quote = connection.ops.quote_name
    table = partition_name(collection_id) if is_partitioned(connection) else _table()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {quote(table)}")
