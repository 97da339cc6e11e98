"""The binary COPY writer of the result store: stream contents and row ids."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from esper_rekall import storage
from esper_rekall.db.pgcopy import CopyColumn, _PartsReader, binary_copy_data, binary_copy_parts
from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.result_rows import ROW_ID_SHIFT, row_ids

_FORMATS = {"int2": ">h", "int4": ">i", "int8": ">q", "float8": ">d"}


def _parse(stream: bytes) -> list[tuple[bytes | None, ...]]:
    """The rows of a binary COPY stream, each field's raw bytes (None: NULL)."""
    assert stream[:11] == b"PGCOPY\n\xff\r\n\x00" and stream[-2:] == b"\xff\xff"
    pos, rows = 19, []
    while pos < len(stream) - 2:
        (count,) = struct.unpack_from(">h", stream, pos)
        pos += 2
        fields = []
        for _ in range(count):
            (length,) = struct.unpack_from(">i", stream, pos)
            pos += 4
            fields.append(None if length < 0 else stream[pos : pos + length])
            pos += max(length, 0)
        rows.append(tuple(fields))
    return rows


def _expected(n: int, columns: list[CopyColumn]) -> list[tuple[bytes | None, ...]]:
    """Each row packed on its own, value by value."""
    rows = []
    for r in range(n):
        fields: list[bytes | None] = []
        for c in columns:
            if c.fixed:
                null = c.null is not None and bool(c.null[r])
                fields.append(None if null else struct.pack(_FORMATS[c.pg_type], c.values[r].item()))
            else:
                text = c.values.get(r)
                prefix = b"\x01" if c.pg_type == "jsonb" else b""
                fields.append(None if text is None else prefix + text.encode())
        rows.append(tuple(fields))
    return rows


def test_copy_stream_holds_every_row_whatever_its_null_pattern() -> None:
    n = 500
    rng = np.random.default_rng(0)
    columns = [
        CopyColumn("row", "int4", np.arange(n, dtype=np.int32)),
        CopyColumn("big", "int8", rng.integers(-(2**62), 2**62, n), null=rng.random(n) < 0.3),
        CopyColumn("small", "int2", rng.integers(-300, 300, n).astype(np.int16), null=rng.random(n) < 0.5),
        CopyColumn("bound", "float8", rng.normal(size=n) * 1e300, null=rng.random(n) < 0.2),
        CopyColumn("text", "text", {int(r): f"s{r}é" for r in rng.choice(n, 40, replace=False)}),
        CopyColumn("json", "jsonb", {int(r): f'{{"k": {r}}}' for r in rng.choice(n, 30, replace=False)}),
    ]
    got = _parse(binary_copy_data(n, columns))
    assert sorted(got, key=lambda row: row[0]) == _expected(n, columns)


def test_copy_stream_keeps_columns_constant_over_a_block_bit_exact() -> None:
    n = 6
    zeros = np.zeros(n)
    zeros[4] = -0.0  # equal to 0.0, other bits: must not be written as 0.0
    columns = [
        CopyColumn("row", "int4", np.arange(n, dtype=np.int32)),
        CopyColumn("chunk", "int8", np.full(n, 7, dtype=np.int64)),
        CopyColumn("nan", "float8", np.full(n, np.nan)),
        CopyColumn("zero", "float8", zeros),
        CopyColumn("kind", "int2", np.array([1, 1, 1, 2, 2, 2], dtype=np.int16), null=np.arange(n) == 5),
    ]
    got = _parse(binary_copy_data(n, columns))
    assert sorted(got, key=lambda row: row[0]) == _expected(n, columns)


def test_copy_stream_reads_back_the_same_in_any_read_size() -> None:
    n = 300
    columns = [
        CopyColumn("a", "int8", np.arange(n), null=np.arange(n) % 3 == 0),
        CopyColumn("b", "text", {5: "x", 17: "yy"}),
    ]
    parts = binary_copy_parts(n, columns)
    reader = _PartsReader(parts)
    chunks = iter(lambda: reader.read(7), b"")
    assert b"".join(chunks) == b"".join(parts)


def test_row_ids_are_the_chunk_shifted_plus_the_row() -> None:
    assert row_ids(3, 4).tolist() == [(3 << 32) + r for r in range(4)]
    with pytest.raises(OverflowError):
        row_ids(2 ** (63 - ROW_ID_SHIFT), 1)
    with pytest.raises(OverflowError):
        row_ids(1, 2**ROW_ID_SHIFT + 1)


@pytest.mark.parametrize(
    ("column", "all_null"),
    [
        (CopyColumn("a", "int8", np.arange(3)), False),
        (CopyColumn("a", "int8", np.arange(3), null=np.array([True, False, True])), False),
        (CopyColumn("a", "float8", np.zeros(3), null=np.ones(3, dtype=bool)), True),
        (CopyColumn("a", "text", {1: "x"}), False),
        (CopyColumn("a", "jsonb", {}), True),
    ],
)
def test_a_column_is_all_null_only_when_no_row_has_a_value(column: CopyColumn, all_null: bool) -> None:
    assert column.all_null(3) is all_null


@pytest.mark.parametrize(
    ("payload", "domain", "sent"),
    [
        (11, 4, set()),
        ("a name", 4, {"payload_str"}),
        ({"k": [1]}, "a key", {"payload", "domain"}),
        (0.5, 4, {"payload_float"}),
    ],
)
@pytest.mark.django_db
def test_a_chunk_write_leaves_out_only_the_columns_null_in_every_row(
    monkeypatch: pytest.MonkeyPatch, payload: object, domain: object, sent: set[str]
) -> None:
    from esper_rekall import result_rows

    sparse = {"domain", "payload_float", "payload_str", "payload"}
    written: list[list[str]] = []
    real_copy = result_rows.copy_from_columns

    def spy(connection: object, table: str, n: int, columns: list[CopyColumn]) -> None:
        written.append([c.name for c in columns])
        real_copy(connection, table, n, columns)

    monkeypatch.setattr(result_rows, "copy_from_columns", spy)
    coll = DomainIntervalCollection({domain: IntervalSet3D([Interval3D((0, 3), payload=payload)])})
    storage.save_collection(coll, "sparse")
    assert storage.load_collection("sparse") == coll
    from django.db import connection

    if connection.vendor == "postgresql":
        assert [set(names) & sparse for names in written] == [sent]


@pytest.mark.postgres
@pytest.mark.django_db
def test_copied_rows_carry_their_computed_ids() -> None:
    from esper_rekall.models import ResultInterval

    faces = IntervalSet3D([Interval3D((0, 3), (0.1, 0.2), payload=11), Interval3D((0, 3), payload=12)])
    coll = DomainIntervalCollection({4: IntervalSet3D([Interval3D((0, 3), payload=faces)])})
    storage.save_collection(coll, "ids")
    chunk = storage.get_collection("ids").chunks.get().pk
    ids = list(ResultInterval.objects.order_by("id").values_list("id", flat=True))
    assert ids == [(chunk << ROW_ID_SHIFT) + row for row in range(3)]
    assert storage.load_collection("ids") == coll


@pytest.mark.django_db
def test_a_stored_rows_chunk_and_row_are_read_from_its_id() -> None:
    from esper_rekall.models import ResultInterval

    storage.save_collection(DomainIntervalCollection({4: IntervalSet3D([Interval3D((0, 3)), Interval3D((5, 6))])}), "ids")
    chunk = storage.get_collection("ids").chunks.get().pk
    rows = ResultInterval.objects.order_by("id")
    assert [(r.chunk_id, r.row) for r in rows] == [(chunk, 0), (chunk, 1)]



def _partition_shape(collection_id: int) -> tuple[bool, list[tuple[bool, bool, str]], list[str]]:
    """Whether the partition is attached, its indexes (unique, partial, columns) and CHECK constraints."""
    from django.db import connection

    from esper_rekall.db.partitions import partition_name

    name = partition_name(collection_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(%s))", [name])
        (attached,) = cursor.fetchone()
        cursor.execute(
            "SELECT indisunique, indpred IS NOT NULL, indkey::text FROM pg_index WHERE indrelid = to_regclass(%s)"
            " ORDER BY 3",
            [name],
        )
        indexes = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'c'",
            [name],
        )
        checks = sorted(row[0] for row in cursor.fetchall())
    return attached, indexes, checks


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_saved_collection_partition_ends_like_any_other() -> None:
    from esper_rekall.models import ResultCollection

    faces = IntervalSet3D([Interval3D((0, 3), (0.1, 0.2), payload=11)])
    coll = DomainIntervalCollection({4: IntervalSet3D([Interval3D((0, 3), payload=faces)])})
    saved = storage.save_collection(coll, "bulk")  # indexes built after the COPY
    run = ResultCollection.objects.create_run(name="run", query_ref={}, chunks=[[4]])  # indexes from the start
    attached, indexes, checks = _partition_shape(saved.pk)
    assert attached and len(indexes) == 2
    assert (attached, indexes, checks) == _partition_shape(run.pk)
    assert storage.load_collection("bulk") == coll
    assert storage.load_domains(saved, [4])[4] == coll[4]


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_error_during_a_bulk_load_leaves_nothing_behind() -> None:
    from django.db import connection, transaction

    from esper_rekall.db.partitions import bulk_load, write_table
    from esper_rekall.models import ResultCollection, ResultInterval

    with pytest.raises(RuntimeError, match="the COPY failed"), transaction.atomic(), bulk_load(connection):
        collection = ResultCollection.objects.create_run(name="failing", query_ref={}, chunks=[[4]])
        assert write_table(connection, collection.pk).endswith(f"_c{collection.pk}")
        raise RuntimeError("the COPY failed")
    assert write_table(connection, collection.pk) == ResultInterval._meta.db_table
    assert not ResultCollection.objects.filter(name="failing").exists()
    assert _partition_shape(collection.pk) == (False, [], [])
