"""The columnar result store: nested sets as rows, typed payload columns, partitions.

Moves every stored collection from the old layout (one row per top-level
interval, nested sets and every payload as codec JSON in ``payload``) to
the new one (see ``ResultInterval`` and ``esper_rekall.result_layout``),
chunk by chunk, decoding with the payload codec and re-encoding with the
new layout, so what loads afterwards equals what loaded before. On
PostgreSQL the new table is partitioned by collection (one partition per
existing collection). Reversible: backwards, each chunk is loaded from the
new layout and written in the old one.

The rows are written and read here in this migration's own layout (with
``chunk_id`` and ``row`` columns; migration 0007 replaces them by ``id``),
not through ``result_rows``, which knows only the current layout.
"""

from __future__ import annotations

import json
from typing import Any

import django.db.models.deletion
from django.db import migrations, models

OLD_TABLE = "esper_rekall_resultinterval_v1"
TABLE = "esper_rekall_resultinterval"
_BOUNDS = ("t1", "t2", "x1", "x2", "y1", "y2")

_PG_TABLE = f"""
CREATE SEQUENCE {TABLE}_pk_seq;
CREATE TABLE {TABLE} (
    id bigint NOT NULL DEFAULT nextval('{TABLE}_pk_seq'),
    collection_id bigint NOT NULL,
    chunk_id bigint NOT NULL,
    domain_int bigint NULL,
    t1 double precision NOT NULL,
    t2 double precision NOT NULL,
    x1 double precision NOT NULL,
    x2 double precision NOT NULL,
    y1 double precision NOT NULL,
    y2 double precision NOT NULL,
    payload_int bigint NULL,
    payload_float double precision NULL,
    "row" integer NOT NULL,
    parent_row integer NULL,
    child_start integer NULL,
    child_count integer NULL,
    payload_kind smallint NOT NULL,
    domain jsonb NULL,
    payload_str text NULL,
    payload jsonb NULL,
    CONSTRAINT {TABLE}_bounds_ordered CHECK (t1 <= t2 AND x1 <= x2 AND y1 <= y2),
    CONSTRAINT {TABLE}_row UNIQUE (collection_id, chunk_id, "row")
) PARTITION BY LIST (collection_id);
ALTER SEQUENCE {TABLE}_pk_seq OWNED BY {TABLE}.id;
CREATE INDEX {TABLE}_dt ON {TABLE} (collection_id, domain_int, t1, t2) WHERE parent_row IS NULL;
"""


def _old_chunk_collection(cursor: Any, chunk_id: int, int_axes: str) -> Any:
    """One chunk of the old layout as the collection it stored."""
    from esper_rekall.db.materialize import column_chunks_to_collection
    from esper_rekall.intervals import payload_codec
    from esper_rekall.intervals.collection import DomainIntervalCollection

    cursor.execute(
        f"SELECT domain, domain_int, t1, t2, x1, x2, y1, y2, payload FROM {OLD_TABLE} "
        "WHERE chunk_id = %s ORDER BY id",
        [chunk_id],
    )
    rows = cursor.fetchall()
    if not rows:
        return DomainIntervalCollection()

    def data(value: Any) -> Any:
        return json.loads(value) if isinstance(value, (str, bytes)) else value

    keys = [k if k is not None else payload_codec.decode(data(d)) for d, k, *_ in rows]
    bounds = [
        [int(r[2 + i]) if name[0] in int_axes else float(r[2 + i]) for r in rows] for i, name in enumerate(_BOUNDS)
    ]
    payloads = [None if r[8] is None else payload_codec.decode(data(r[8])) for r in rows]
    return column_chunks_to_collection([[keys, *bounds, payloads]], ("domain", *_BOUNDS, "payload"))


#: This migration's columns (``id = chunk_id << 32 | row``) of a ``StoredRows`` row.
_COLUMNS = (
    "id", "collection_id", "chunk_id", "row", "parent_row", "child_start", "child_count", "domain_int", "domain",
    *_BOUNDS, "payload_kind", "payload_int", "payload_float", "payload_str", "payload",
)


def _write_rows(cursor: Any, quote: Any, collection_id: int, chunk_id: int, rows: Any) -> None:
    """Inserts one chunk's ``StoredRows`` in this migration's layout (bound parameters)."""
    n = len(rows)
    leaf = rows.kind & 7
    has_set = rows.child_start >= 0

    def where(values: Any, present: Any) -> list[Any]:
        return [v if p else None for v, p in zip(values.tolist(), present.tolist())]

    def sparse(table: dict[int, str]) -> list[Any]:
        return [table.get(r) for r in range(n)]

    columns = [
        [(chunk_id << 32) + r for r in range(n)], [collection_id] * n, [chunk_id] * n, list(range(n)),
        where(rows.parent_row, rows.parent_row >= 0), where(rows.child_start, has_set),
        where(rows.child_count, has_set), where(rows.domain_int, ~rows.domain_int_null), sparse(rows.domain_json),
        *(b.tolist() for b in rows.bounds), rows.kind.tolist(), where(rows.payload_int, (leaf == 1) | (leaf == 2)),
        where(rows.payload_float, leaf == 3), sparse(rows.payload_str), sparse(rows.payload_json),
    ]
    cursor.executemany(
        f"INSERT INTO {quote(TABLE)} ({', '.join(quote(c) for c in _COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})",
        list(zip(*columns)),
    )


def _read_rows(cursor: Any, quote: Any, chunk_id: int, int_axes: str) -> Any:
    """One chunk's rows in this migration's layout as ``StoredRows`` (offsets are rows of the chunk)."""
    import numpy as np

    from esper_rekall.result_layout import StoredRows

    cursor.execute(
        f"SELECT parent_row, child_start, child_count, domain_int, CAST(domain AS text), {', '.join(_BOUNDS)},"
        f" payload_kind, payload_int, payload_float, payload_str, CAST(payload AS text) FROM {quote(TABLE)}"
        f" WHERE chunk_id = %s ORDER BY {quote('row')}",
        [chunk_id],
    )
    data = list(zip(*cursor.fetchall())) or [()] * 16

    def ints(values: Any, null: int) -> Any:
        return np.array([null if v is None else v for v in values], dtype=np.int64)

    def texts(values: Any) -> dict[int, str]:
        return {r: v for r, v in enumerate(values) if v is not None}

    parent = ints(data[0], -1)
    return StoredRows(
        n_top=int((parent < 0).sum()), parent_row=parent, child_start=ints(data[1], -1),
        child_count=ints(data[2], 0), domain_int=ints(data[3], 0),
        domain_int_null=np.array([v is None for v in data[3]], dtype=bool), domain_json=texts(data[4]),
        bounds=[np.array(data[5 + k], dtype=np.float64) for k in range(len(_BOUNDS))],
        kind=np.array(data[11], dtype=np.int16), payload_int=ints(data[12], 0),
        payload_float=np.array([0.0 if v is None else v for v in data[13]], dtype=np.float64),
        payload_str=texts(data[14]), payload_json=texts(data[15]), int_axes=int_axes,
    )


def _chunks(schema_editor: Any) -> list[tuple[int, int, str]]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, collection_id, int_axes FROM esper_rekall_resultchunk WHERE state = 'done'")
        return list(cursor.fetchall())


def forward(apps: Any, schema_editor: Any) -> None:
    from esper_rekall.result_layout import encode_rows

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(TABLE + '_dt')}")
    schema_editor.execute(f"ALTER TABLE {quote(TABLE)} RENAME TO {quote(OLD_TABLE)}")
    if connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {quote(TABLE + '_pkey')} RENAME TO {quote(OLD_TABLE + '_pkey')}")
        for statement in _PG_TABLE.strip().split(";\n"):
            schema_editor.execute(statement)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM esper_rekall_resultcollection")
            for (pk,) in cursor.fetchall():
                cursor.execute(f"CREATE TABLE {quote(f'{TABLE}_c{int(pk)}')} PARTITION OF {quote(TABLE)} "
                               f"FOR VALUES IN ({int(pk)})")
    else:
        schema_editor.create_model(apps.get_model("esper_rekall", "ResultInterval"))
    with connection.cursor() as cursor:
        for chunk_id, collection_id, int_axes in _chunks(schema_editor):
            coll = _old_chunk_collection(cursor, chunk_id, int_axes)
            _write_rows(cursor, quote, collection_id, chunk_id, encode_rows(coll))
    schema_editor.execute(f"DROP TABLE {quote(OLD_TABLE)}")


def backward(apps: Any, schema_editor: Any) -> None:
    from esper_rekall.intervals import payload_codec
    from esper_rekall.result_layout import decode_rows

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    columns = ("collection_id", "chunk_id", "domain", "domain_int", *_BOUNDS, "payload")
    insert = (
        f"INSERT INTO {quote(OLD_TABLE)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    schema_editor.execute(
        f"CREATE TABLE {quote(OLD_TABLE)} (id {'bigserial' if connection.vendor == 'postgresql' else 'integer'} "
        "PRIMARY KEY, collection_id bigint NOT NULL, chunk_id bigint NOT NULL, domain "
        f"{'jsonb' if connection.vendor == 'postgresql' else 'text'} NOT NULL, domain_int bigint NULL, "
        + ", ".join(f"{b} double precision NOT NULL" for b in _BOUNDS)
        + f", payload {'jsonb' if connection.vendor == 'postgresql' else 'text'} NULL)"
    )
    with connection.cursor() as cursor:
        for chunk_id, collection_id, int_axes in _chunks(schema_editor):
            coll = decode_rows(_read_rows(cursor, quote, chunk_id, int_axes), int_axes)
            keys = coll.domain_keys
            cols = coll.columns
            bounds = [b.astype(float).tolist() for b in cols.bounds()]
            rows = []
            for i, (code, payload) in enumerate(zip(coll.domain_codes.tolist(), cols.payload)):
                key = keys[code]
                key_int = key if type(key) is int else None
                rows.append((collection_id, chunk_id, payload_codec.dumps(key), key_int,
                             *(b[i] for b in bounds), None if payload is None else payload_codec.dumps(payload)))
            cursor.executemany(insert, rows)
    schema_editor.execute(f"DROP TABLE {quote(TABLE)}")
    if connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {quote(TABLE + '_pk_seq')}")
    schema_editor.execute(f"ALTER TABLE {quote(OLD_TABLE)} RENAME TO {quote(TABLE)}")
    if connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {quote(OLD_TABLE + '_pkey')} RENAME TO {quote(TABLE + '_pkey')}")
    schema_editor.execute(
        f"CREATE INDEX {quote(TABLE + '_dt')} ON {quote(TABLE)} (collection_id, domain_int, t1, t2)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("esper_rekall", "0003_result_chunk_parent"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="resultinterval", name="esper_rekall_resultinterval_dt"),
                migrations.AddField(
                    model_name="resultinterval",
                    name="child_count",
                    field=models.IntegerField(blank=True, help_text="rows in this row's nested set", null=True),
                ),
                migrations.AddField(
                    model_name="resultinterval",
                    name="child_start",
                    field=models.IntegerField(blank=True, help_text="first row of this row's nested set", null=True),
                ),
                migrations.AddField(
                    model_name="resultinterval",
                    name="parent_row",
                    field=models.IntegerField(
                        blank=True, help_text="the row whose nested set holds this one", null=True
                    ),
                ),
                migrations.AddField(
                    model_name="resultinterval", name="payload_float", field=models.FloatField(blank=True, null=True)
                ),
                migrations.AddField(
                    model_name="resultinterval", name="payload_int", field=models.BigIntegerField(blank=True, null=True)
                ),
                migrations.AddField(
                    model_name="resultinterval", name="payload_kind", field=models.SmallIntegerField(default=0)
                ),
                migrations.AddField(
                    model_name="resultinterval", name="payload_str", field=models.TextField(blank=True, null=True)
                ),
                migrations.AddField(
                    model_name="resultinterval",
                    name="row",
                    field=models.IntegerField(
                        default=0, help_text="position in the chunk: top-level rows first, then nested levels"
                    ),
                    preserve_default=False,
                ),
                migrations.AlterField(
                    model_name="resultinterval",
                    name="chunk",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="intervals",
                        to="esper_rekall.resultchunk",
                    ),
                ),
                migrations.AlterField(
                    model_name="resultinterval",
                    name="collection",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="intervals",
                        to="esper_rekall.resultcollection",
                    ),
                ),
                migrations.AlterField(
                    model_name="resultinterval",
                    name="domain",
                    field=models.JSONField(blank=True, help_text="a non-integer domain key (codec JSON)", null=True),
                ),
                migrations.AlterField(
                    model_name="resultinterval",
                    name="payload",
                    field=models.JSONField(blank=True, help_text="an opaque payload (codec JSON)", null=True),
                ),
                migrations.AddIndex(
                    model_name="resultinterval",
                    index=models.Index(
                        condition=models.Q(("parent_row__isnull", True)),
                        fields=["collection", "domain_int", "t1", "t2"],
                        name="esper_rekall_resultinterval_dt",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="resultinterval",
                    constraint=models.UniqueConstraint(
                        fields=("collection", "chunk", "row"), name="esper_rekall_resultinterval_row"
                    ),
                ),
            ],
        ),
        # After the state change, so ``apps`` holds the new model (SQLite creates its table from it).
        migrations.RunPython(forward, backward),
    ]
