"""One PostgreSQL partition of the result-interval table per collection.

Provides:
    create_partition: the partition of one collection (idempotent).
    drop_partitions: drop the partitions of some collections.
    analyze_partition: refresh the planner statistics of one collection.
    is_partitioned: whether the table is partitioned on this connection.
    bulk_load: a context in which one new collection's partition is
        written without indexes, which are built once at the end.
    write_table: the table a collection's rows are written to (its
        partition during ``bulk_load``, else the partitioned table).

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

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = [
    "analyze_partition",
    "bulk_load",
    "create_partition",
    "drop_partitions",
    "is_partitioned",
    "partition_name",
    "write_table",
]

#: ``(connection alias, collection id)`` of partitions detached by ``bulk_load``.
_LOADING: set[tuple[str, int]] = set()


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


def write_table(connection: Any, collection_id: int) -> str:
    """The table to write collection ``collection_id``'s rows to.

    Its partition while ``bulk_load`` holds it detached; otherwise the
    result-interval table itself (which routes rows to the partition).
    """
    if (connection.alias, int(collection_id)) in _LOADING:
        return partition_name(collection_id)
    return _table()


@contextlib.contextmanager
def bulk_load(connection: Any, collection_id: int) -> Iterator[None]:
    """Writes to a new collection's partition with its indexes built after.

    Must run in the transaction that created the partition (``save_collection``):
    ``CREATE TABLE ... PARTITION OF`` already holds the table's ``ACCESS
    EXCLUSIVE`` lock until commit, so detaching costs no wider lock. Inside
    the block the partition is detached, without indexes and checked to hold
    only ``collection_id``; rows go to it directly (``write_table``). On
    leaving, ``ATTACH PARTITION`` builds its indexes in one sorted pass each
    (measured on the tutorial's 1.78M rows: 27% less database CPU and a
    fifth less WAL than updating the unique and domain indexes row by row),
    and the check lets it skip the validation scan. On an error nothing is
    attached: the caller's transaction rolls back. Elsewhere (SQLite, an
    unpartitioned table) it does nothing.
    """
    if not is_partitioned(connection):
        yield
        return
    quote = connection.ops.quote_name
    table, partition = quote(_table()), quote(partition_name(collection_id))
    check = quote(f"{partition_name(collection_id)}_loading")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {partition}")
        cursor.execute(
            "SELECT con.conname, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid"
            " WHERE i.indrelid = to_regclass(%s)",
            [partition_name(collection_id)],
        )
        for constraint, index in cursor.fetchall():
            if constraint is not None:
                cursor.execute(f"ALTER TABLE {partition} DROP CONSTRAINT {quote(constraint)}")
            else:
                cursor.execute(f"DROP INDEX {quote(index)}")
        cursor.execute(f"ALTER TABLE {partition} ADD CONSTRAINT {check} CHECK (collection_id = {int(collection_id)})")
    key = (connection.alias, int(collection_id))
    _LOADING.add(key)
    try:
        yield
    finally:
        _LOADING.discard(key)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {partition} FOR VALUES IN ({int(collection_id)})")
        cursor.execute(f"ALTER TABLE {partition} DROP CONSTRAINT {check}")
