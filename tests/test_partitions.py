"""Result-table partitions: creating one does not lock out readers of the others.

Each test holds a transaction open on the Django connection while a second,
independent connection reads an existing collection's rows with a short
``lock_timeout``: a reader queued behind the writer's lock fails within
that timeout instead of hanging the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from esper_rekall import storage
from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

_COLL = DomainIntervalCollection(
    {7: IntervalSet3D([Interval3D((0, 3), (0.1, 0.2), payload=IntervalSet3D([Interval3D((0, 3), payload=1)]))])}
)


@pytest.fixture
def reader() -> Iterator[Any]:
    """A second PostgreSQL connection to the test database, giving up on locks after 0.5 s."""
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    other = psycopg2.connect(**params)
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SET lock_timeout = '500ms'")
    yield other
    other.close()


def _count_rows(reader: Any, collection_id: int) -> int:
    """The stored rows of a collection, read on ``reader``."""
    from esper_rekall.models import ResultInterval

    with reader.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{ResultInterval._meta.db_table}" WHERE collection_id = %s', [collection_id])
        return cursor.fetchone()[0]


def test_creating_a_run_leaves_other_collections_readable(reader: Any) -> None:
    from django.db import transaction

    from esper_rekall.models import ResultCollection

    existing = storage.save_collection(_COLL, "existing")
    with transaction.atomic():
        ResultCollection.objects.create_run(name="new", query_ref={}, chunks=[[7]])  # its partition, uncommitted
        assert _count_rows(reader, existing.pk) == 2
    assert storage.load_collection("new") == DomainIntervalCollection()


def test_saving_a_collection_leaves_other_collections_readable(reader: Any) -> None:
    from django.db import transaction

    from esper_rekall.db.partitions import bulk_load
    from esper_rekall.models import ResultChunk, ResultCollection

    existing = storage.save_collection(_COLL, "existing")
    with transaction.atomic(), bulk_load(transaction.get_connection()):
        # What save_collection does, stopped before its commit.
        new = ResultCollection.objects.create_run(name="new", query_ref={}, chunks=[[7]])
        ResultChunk.objects.replace_chunk(new.pk, 0, storage.encode_collection(_COLL))
        assert _count_rows(reader, existing.pk) == 2
    assert _count_rows(reader, new.pk) == 2


def test_bulk_load_refuses_to_run_outside_a_transaction_or_nested() -> None:
    from django.db import connection, transaction

    from esper_rekall.db.partitions import bulk_load

    with pytest.raises(RuntimeError, match="inside a transaction"), bulk_load(connection):
        pass
    with pytest.raises(RuntimeError, match="already active"), transaction.atomic(), bulk_load(connection):
        with bulk_load(connection):
            pass
