"""Leaner stored rows: ``id`` is the identity (no ``chunk_id``, ``row``), and bounds may be NULL.

``id = chunk_id << 32 | row`` already carried both, so the two columns and
the unique ``(collection, chunk, row)`` index repeated it. Afterwards a
chunk's rows are the id range ``[chunk << 32, (chunk + 1) << 32)``. Bounds
become nullable: a nested row's ``t1``/``t2`` bit-equal to its parent's,
``x1``/``y1`` of ``+0.0`` and ``x2``/``y2`` of ``1.0`` are stored NULL
(``result_layout.bound_nulls``); readers accept stored values too.

PostgreSQL: the partitioned table is made anew without indexes, and each
collection's partition is rebuilt from the old one with ``INSERT ...
SELECT`` computing ``id = (chunk_id << 32) + row`` and the NULL bounds
(a join with the parent row), given its own unique
``(id)`` and partial ``(domain_int, t1, t2)`` indexes and attached
(``db.partitions``); the old table and partitions are dropped. A rebuild
rather than ``DROP COLUMN``, which would leave the dropped columns' bytes in
every row. SQLite: ``id`` is recomputed in place and Django drops the
constraint and the columns and makes the bounds nullable (the stored
bounds stay: SQLite files are the demo's, not worth a rewrite). Reversible:
backwards, NULL bounds are filled from the parent or the default, and
``chunk_id`` and ``row`` computed from ``id`` (PostgreSQL: into the tables
of migration 0004).
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

from django.db import migrations, models

TABLE = "esper_rekall_resultinterval"
_V6 = f"{TABLE}_v6"  # the old partitioned table, while the new one is filled
_V7 = f"{TABLE}_v7"  # the same, backwards
_MASK = (1 << 32) - 1
_BOUNDS = ("t1", "t2", "x1", "x2", "y1", "y2")
_SPATIAL_DEFAULTS = {"x1": "0.0", "x2": "1.0", "y1": "0.0", "y2": "1.0"}
#: Every column both layouts have, in the new table's order.
_COMMON = (
    "collection_id", "domain_int", "t1", "t2", "x1", "x2", "y1", "y2", "payload_int", "payload_float",
    "parent_row", "child_start", "child_count", "payload_kind", "domain", "payload_str", "payload",
)

_PG_TABLE = f"""
CREATE TABLE {TABLE} (
    id bigint NOT NULL,
    collection_id bigint NOT NULL,
    domain_int bigint NULL,
    t1 double precision NULL,
    t2 double precision NULL,
    x1 double precision NULL,
    x2 double precision NULL,
    y1 double precision NULL,
    y2 double precision NULL,
    payload_int bigint NULL,
    payload_float double precision NULL,
    parent_row integer NULL,
    child_start integer NULL,
    child_count integer NULL,
    payload_kind smallint NOT NULL,
    domain jsonb NULL,
    payload_str text NULL,
    payload jsonb NULL,
    CONSTRAINT {TABLE}_bounds_ordered CHECK (t1 <= t2 AND x1 <= x2 AND y1 <= y2)
) PARTITION BY LIST (collection_id)
"""


def _postgres(schema_editor: Any) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def _partitioned_collections(schema_editor: Any, table: str) -> list[int]:
    """The collections that have a partition of ``table``."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        prefix = f"{TABLE}_c"
        return sorted(int(name[len(prefix) :].split("_")[0]) for (name,) in cursor.fetchall())


def _rename_partitions(schema_editor: Any, collections: list[int], suffix: str) -> None:
    quote = schema_editor.connection.ops.quote_name
    for pk in collections:
        schema_editor.execute(f"ALTER TABLE {quote(f'{TABLE}_c{pk}')} RENAME TO {quote(f'{TABLE}_c{pk}{suffix}')}")


def postgres_forward(apps: Any, schema_editor: Any) -> None:
    """Rebuilds every partition without ``chunk_id`` and ``row`` (see the module docstring)."""
    from esper_rekall.db.partitions import analyze_partition, bulk_load, create_partition, partition_name

    if not _postgres(schema_editor):
        return
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    collections = _partitioned_collections(schema_editor, TABLE)
    _rename_partitions(schema_editor, collections, "_v6")
    schema_editor.execute(f"ALTER TABLE {quote(TABLE)} RENAME TO {quote(_V6)}")
    schema_editor.execute(_PG_TABLE)
    columns = ", ".join(quote(c) for c in _COMMON)
    with bulk_load(connection):
        for pk in collections:
            create_partition(connection, pk)
            schema_editor.execute(
                f"INSERT INTO {quote(partition_name(pk))} (id, {columns})"
                f" SELECT (o.chunk_id << 32) + o.{quote('row')}, {_lean_select(quote)}"
                f" FROM {quote(f'{TABLE}_c{pk}_v6')} o LEFT JOIN {quote(f'{TABLE}_c{pk}_v6')} p"
                f" ON p.chunk_id = o.chunk_id AND p.{quote('row')} = o.parent_row"
            )
    schema_editor.execute(f"DROP TABLE {quote(_V6)} CASCADE")  # with its partitions and id sequence
    for pk in collections:
        analyze_partition(connection, pk)


def _lean_select(quote: Any) -> str:
    """The common columns of old row ``o`` (parent ``p``) with the bounds that are NULL in the new layout as NULL.

    Compared bit for bit (``float8send``): ``-0.0`` stays, as in ``result_layout.bound_nulls``.
    """
    out = []
    for c in _COMMON:
        if c in _SPATIAL_DEFAULTS:
            default = f"float8send({_SPATIAL_DEFAULTS[c]}::float8)"
            out.append(f"CASE WHEN float8send(o.{c}) = {default} THEN NULL ELSE o.{c} END")
        elif c in ("t1", "t2"):
            out.append(f"CASE WHEN float8send(o.{c}) = float8send(p.{c}) THEN NULL ELSE o.{c} END")
        else:
            out.append(f"o.{quote(c)}")
    return ", ".join(out)


def fill_bounds(schema_editor: Any, table: str) -> None:
    """Writes into ``table`` the bounds stored NULL: the default, or the parent row's time bound.

    Time bounds level by level (a grandchild's parent is filled first): one
    ``UPDATE`` per nesting level until none is NULL.
    """
    quote = schema_editor.connection.ops.quote_name
    t = quote(table)
    spatial = ", ".join(f"{b} = COALESCE({b}, {v})" for b, v in _SPATIAL_DEFAULTS.items())
    schema_editor.execute(f"UPDATE {t} SET {spatial} WHERE {' OR '.join(f'{b} IS NULL' for b in _SPATIAL_DEFAULTS)}")
    parent = f"FROM {t} p WHERE p.id = (({t}.id >> 32) << 32) + {t}.parent_row"
    missing = f"{t}.t1 IS NULL OR {t}.t2 IS NULL"
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT count(*) FROM {t} WHERE {missing}")
            (before,) = cursor.fetchone()
            if not before:
                return
            cursor.execute(
                f"UPDATE {t} SET t1 = COALESCE(t1, (SELECT p.t1 {parent})), t2 = COALESCE(t2, (SELECT p.t2 {parent}))"
                f" WHERE {missing}"
            )
            cursor.execute(f"SELECT count(*) FROM {t} WHERE {missing}")
            if cursor.fetchone()[0] == before:
                raise ValueError(f"{table}: a NULL time bound whose parent has none")


def postgres_backward(apps: Any, schema_editor: Any) -> None:
    """Rebuilds every partition in the layout of migration 0004 (``chunk_id``, ``row`` from ``id``)."""
    if not _postgres(schema_editor):
        return
    quote = schema_editor.connection.ops.quote_name
    v4 = importlib.import_module("esper_rekall.migrations.0004_result_store_columnar")
    collections = _partitioned_collections(schema_editor, TABLE)
    _rename_partitions(schema_editor, collections, "_v7")
    schema_editor.execute(f"ALTER TABLE {quote(TABLE)} RENAME TO {quote(_V7)}")
    for statement in v4._PG_TABLE.strip().split(";\n"):
        schema_editor.execute(statement)
    columns = ", ".join(quote(c) for c in _COMMON)
    for pk in collections:
        fill_bounds(schema_editor, f"{TABLE}_c{pk}_v7")
        partition = quote(f"{TABLE}_c{pk}")
        schema_editor.execute(f"CREATE TABLE {partition} PARTITION OF {quote(TABLE)} FOR VALUES IN ({int(pk)})")
        schema_editor.execute(
            f"INSERT INTO {partition} (id, chunk_id, {quote('row')}, {columns})"
            f" SELECT id, id >> 32, (id & {_MASK})::integer, {columns} FROM {quote(f'{TABLE}_c{pk}_v7')}"
        )
    schema_editor.execute(f"DROP TABLE {quote(_V7)} CASCADE")


def sqlite_ids_forward(apps: Any, schema_editor: Any) -> None:
    """Off PostgreSQL: each row's ``id`` becomes ``chunk_id << 32 | row`` (in place)."""
    if _postgres(schema_editor):
        return
    quote = schema_editor.connection.ops.quote_name
    # New ids are >= 2**32 (chunk ids start at 1), old ones below: no collision mid-update.
    schema_editor.execute(f"UPDATE {quote(TABLE)} SET id = (chunk_id << 32) + {quote('row')}")


def sqlite_fill_backward(apps: Any, schema_editor: Any) -> None:
    """Off PostgreSQL: the bounds stored NULL written out, before they become NOT NULL again."""
    if not _postgres(schema_editor):
        fill_bounds(schema_editor, TABLE)


def sqlite_ids_backward(apps: Any, schema_editor: Any) -> None:
    """Off PostgreSQL: ``chunk_id`` and ``row`` computed back from ``id``."""
    if _postgres(schema_editor):
        return
    quote = schema_editor.connection.ops.quote_name
    schema_editor.execute(f"UPDATE {quote(TABLE)} SET chunk_id = id >> 32, {quote('row')} = id & {_MASK}")


class _OffPostgres:
    """A schema operation run on every database but PostgreSQL (whose tables are rebuilt instead)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if not _postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if not _postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemoveConstraintOffPostgres(_OffPostgres, migrations.RemoveConstraint):
    pass


class AlterFieldOffPostgres(_OffPostgres, migrations.AlterField):
    pass


def _nullable_bound(name: str) -> AlterFieldOffPostgres:
    help_text = f"NULL in a nested row: its parent's {name}" if name[0] == "t" else f"NULL: {_SPATIAL_DEFAULTS[name]}"
    kwargs = {} if name[0] == "t" else {"default": float(_SPATIAL_DEFAULTS[name])}
    return AlterFieldOffPostgres(
        model_name="resultinterval",
        name=name,
        field=models.FloatField(blank=True, null=True, help_text=help_text, **kwargs),
    )


class RemoveRowFieldOffPostgres(_OffPostgres, migrations.RemoveField):
    """Drops a column computed from ``id``; backwards it comes back as 0, then ``sqlite_ids_backward`` fills it."""

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if _postgres(schema_editor):
            return
        field = copy.copy(to_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name))
        field.default = 0  # existing rows need a value before the real one is computed
        schema_editor.add_field(from_state.apps.get_model(app_label, self.model_name), field)


class Migration(migrations.Migration):
    dependencies = [
        ("esper_rekall", "0006_corpus_fingerprint"),
    ]

    operations = [
        RemoveConstraintOffPostgres(model_name="resultinterval", name="esper_rekall_resultinterval_row"),
        migrations.RunPython(sqlite_ids_forward, sqlite_ids_backward),
        RemoveRowFieldOffPostgres(model_name="resultinterval", name="row"),
        RemoveRowFieldOffPostgres(model_name="resultinterval", name="chunk"),
        *(_nullable_bound(name) for name in _BOUNDS),
        migrations.RunPython(migrations.RunPython.noop, sqlite_fill_backward),
        migrations.RunPython(postgres_forward, postgres_backward),
    ]
