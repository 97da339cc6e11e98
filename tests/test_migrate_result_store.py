"""Migration 0004 moves collections stored in the old JSON layout to the columnar one."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from esper_rekall import storage
from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D, payload_codec
from tests.old_layouts import insert_done_collection

OLD = [("esper_rekall", "0003_result_chunk_parent")]

FACES = IntervalSet3D([Interval3D((0, 3), (0.1, 0.2), payload=11), Interval3D((0, 3), (0.5, 0.6), payload=12)])
EXPECTED = DomainIntervalCollection(
    {
        4: IntervalSet3D([Interval3D((0, 3), payload=FACES), Interval3D((5, 6), payload={"name": "x"})]),
        7: IntervalSet3D([Interval3D((1, 2), payload=3)]),
    }
)


def _write_old_layout() -> None:
    """Rows exactly as the JSON-layout code path wrote them (codec JSON per interval)."""
    with connection.cursor() as cursor:
        cid, chunk = insert_done_collection(cursor, "txy")
        for key in EXPECTED:
            for i in EXPECTED[key].get_intervals():
                cursor.execute(
                    "INSERT INTO esper_rekall_resultinterval (collection_id, chunk_id, domain, domain_int,"
                    " t1, t2, x1, x2, y1, y2, payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [cid, chunk, json.dumps(key), key, *map(float, (*i.t, *i.x, *i.y)),
                     json.dumps(payload_codec.encode(i.payload))],
                )


@pytest.mark.django_db(transaction=True)
def test_collections_in_the_old_layout_load_identically_after_the_migration() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("esper_rekall")
    executor.migrate(OLD)
    try:
        _write_old_layout()
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)
    loaded = storage.load_collection("old")
    assert loaded == EXPECTED
    assert storage.load_domains(storage.get_collection("old"), [4])[4] == EXPECTED[4]
