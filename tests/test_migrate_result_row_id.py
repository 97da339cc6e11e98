"""Migration 0007 moves stored rows from (chunk_id, row) columns to ``id = chunk << 32 | row`` with
bounds stored NULL where a load restores them (on PostgreSQL), and back."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from esper_rekall import storage
from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.intervals.predicates import P, XY, any_member, height_at_least
from esper_rekall.result_layout import encode_rows
from tests.old_layouts import insert_done_collection

OLD = [("esper_rekall", "0006_corpus_fingerprint")]
TABLE = "esper_rekall_resultinterval"
V4 = importlib.import_module("esper_rekall.migrations.0004_result_store_columnar")

FACES = IntervalSet3D([Interval3D((0, 3), (0.1, 0.2), (0.0, 0.5), payload=11), Interval3D((0, 3), (0.5, 0.6), payload="s")])
EXPECTED = DomainIntervalCollection(
    {
        4: IntervalSet3D([Interval3D((0, 3), payload=FACES), Interval3D((5, 6), payload=IntervalSet3D([]))]),
        7: IntervalSet3D([Interval3D((1, 2), payload=IntervalSet3D([Interval3D((1, 2), (0.2, 0.3), (0.0, 0.3), payload={"name": "x"})]))]),
    }
)


def _write_0006_layout() -> tuple[int, int]:
    """A done collection of one chunk in the 0006 layout (chunk_id and row columns); its (collection, chunk) ids."""
    with connection.cursor() as cursor:
        cid, chunk = insert_done_collection(cursor, "t")
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {TABLE}_c{int(cid)} PARTITION OF {TABLE} FOR VALUES IN ({int(cid)})")
        V4._write_rows(cursor, connection.ops.quote_name, cid, chunk, encode_rows(EXPECTED))
    return cid, chunk


def _rows_0006(chunk: int) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT chunk_id, "row", parent_row, child_start, t1, x1, payload_int FROM {TABLE} WHERE chunk_id = %s'
            ' ORDER BY "row"',
            [chunk],
        )
        return cursor.fetchall()


def _null_times(collection_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE collection_id = %s AND t1 IS NULL AND t2 IS NULL", [collection_id])
        return cursor.fetchone()[0]


def _ids(collection_id: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {TABLE} WHERE collection_id = %s ORDER BY id", [collection_id])
        return [pk for (pk,) in cursor.fetchall()]


@pytest.fixture
def migrated_from_0006() -> Any:
    """The 0006-layout collection, migrated to the latest state; leaves the database at the latest state."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("esper_rekall")
    executor.migrate(OLD)
    try:
        cid, chunk = _write_0006_layout()
        before = _rows_0006(chunk)
        MigrationExecutor(connection).migrate(latest)
        yield cid, chunk, before, latest
    finally:
        MigrationExecutor(connection).migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_rows_of_the_0006_layout_load_identically_after_0007(migrated_from_0006: Any) -> None:
    cid, chunk, before, _ = migrated_from_0006
    assert _ids(cid) == [(chunk << 32) + r for r in range(len(before))]
    # The three nested rows have their parent's time: NULL on PostgreSQL (rebuilt); SQLite keeps the values.
    assert _null_times(cid) == (3 if connection.vendor == "postgresql" else 0)
    assert storage.load_collection("old") == EXPECTED
    assert storage.load_domains(storage.get_collection("old"), [4])[4] == EXPECTED[4]
    tall = storage.stored_interval_query("old").filter(P(any_member(XY(height_at_least(0.4))))).collect()
    assert list(tall.keys()) == [4] and tall[4].get_intervals()[0].payload == FACES


@pytest.mark.django_db(transaction=True)
def test_reversing_0007_gives_back_the_0006_rows(migrated_from_0006: Any) -> None:
    cid, chunk, before, latest = migrated_from_0006
    MigrationExecutor(connection).migrate(OLD)
    assert _rows_0006(chunk) == before
    MigrationExecutor(connection).migrate(latest)
    assert storage.load_collection("old") == EXPECTED


@pytest.mark.django_db(transaction=True)
def test_reversing_0007_writes_out_the_bounds_stored_null(migrated_from_0006: Any) -> None:
    _, _, before, latest = migrated_from_0006
    new = storage.save_collection(EXPECTED, "new")
    assert _null_times(new.pk) == 3
    chunk = new.chunks.get().pk
    MigrationExecutor(connection).migrate(OLD)
    assert [row[2:] for row in _rows_0006(chunk)] == [row[2:] for row in before]  # the same rows, every bound written
    MigrationExecutor(connection).migrate(latest)
    assert storage.load_collection("new") == EXPECTED
