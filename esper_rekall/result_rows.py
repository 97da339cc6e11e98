"""``StoredRows`` into and out of the ``ResultInterval`` table.

Provides:
    write_rows: insert one chunk's rows (binary ``COPY`` on PostgreSQL,
        batched ``executemany`` elsewhere); the caller holds the transaction.
    read_rows: the rows of some chunks of a collection, in ``id`` (chunk,
        row) order, as ``StoredRows`` whose offsets index the result.
    row_ids: the ``id`` of a chunk's rows (``chunk_id << 32 | row``).
    copy_columns: every stored column of a chunk's rows, as ``write_rows`` sends them.
    chunk_rows: the ``Q`` of some chunks' rows (their ``id`` ranges).
    StoredPayload: a stored row's payload in the codec's JSON form, as a SQL
        expression (the payload of ``stored_interval_query``), read back as
        the Python value.
    nested_filter: a payload predicate on nested sets (``P(length_*)``,
        ``P(any_member(...))``) as a filter of the stored top-level rows
        over their child rows, or None when it has no such form.

Reading on PostgreSQL is two queries: every row's numeric columns through
``COPY (SELECT ...) TO STDOUT (FORMAT binary)`` into numpy (NULLs coalesced
to sentinels so the rows stay fixed-width), then only the rows that have a
text or JSON value (``str`` and opaque payloads, non-integer domain keys).
Elsewhere both are ``values_list`` streams.

Bounds follow the NULL conventions of ``result_layout.bound_nulls`` (a
nested row's time bounds equal to its parent's, and default spatial bounds,
are NULL): writes leave them out, reads restore them in numpy
(``fill_bounds``), and SQL over stored rows reads them through
``stored_bound`` (``COALESCE`` with the default or the parent's bound).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt
from django.db import connections
from django.db.models import Exists, F, FloatField, Func, JSONField, OuterRef, Q, TextField, Value
from django.db.models.functions import Cast, Coalesce

from .db.materialize import CHUNK_SIZE, _copy_binary
from .db.partitions import write_table
from .db.pgcopy import CopyColumn, copy_from_columns
from .intervals.columns import BOUND_NAMES
from .result_layout import ROW_ID_SHIFT, SPATIAL_DEFAULTS, StoredRows, bound_nulls, fill_bounds

__all__ = [
    "CodecJSONField",
    "ROW_ID_SHIFT",
    "StoredPayload",
    "chunk_rows",
    "copy_columns",
    "nested_filter",
    "read_rows",
    "row_ids",
    "stored_bound",
    "write_rows",
]

#: Rows per ``executemany`` batch on databases without COPY.
_BATCH = 5_000


def _model() -> Any:
    from django.apps import apps

    return apps.get_model("esper_rekall", "ResultInterval")


def copy_columns(collection_id: int, chunk_id: int, rows: StoredRows) -> list[CopyColumn]:
    """Every stored column of ``rows`` as chunk ``chunk_id`` of collection
    ``collection_id``, NULLs marked (``id`` first): what ``write_rows`` sends."""
    n = len(rows)
    kind = rows.kind.astype(np.int64)
    leaf = kind & 7
    no_set = rows.child_start < 0
    top = rows.parent_row < 0
    int_leaf = (leaf == 1) | (leaf == 2)
    return [
        CopyColumn("id", "int8", row_ids(chunk_id, n)),
        CopyColumn("collection_id", "int8", np.full(n, collection_id, dtype=np.int64)),
        CopyColumn("parent_row", "int4", rows.parent_row.astype(np.int32), null=top),
        CopyColumn("child_start", "int4", rows.child_start.astype(np.int32), null=no_set),
        CopyColumn("child_count", "int4", rows.child_count.astype(np.int32), null=no_set),
        CopyColumn("domain_int", "int8", rows.domain_int, null=rows.domain_int_null),
        CopyColumn("domain", "jsonb", rows.domain_json),
        *(
            CopyColumn(name, "float8", col, null=null)
            for name, col, null in zip(BOUND_NAMES, rows.bounds, bound_nulls(rows))
        ),
        CopyColumn("payload_kind", "int2", rows.kind.astype(np.int16)),
        CopyColumn("payload_int", "int8", rows.payload_int, null=~int_leaf),
        CopyColumn("payload_float", "float8", rows.payload_float, null=leaf != 3),
        CopyColumn("payload_str", "text", rows.payload_str),
        CopyColumn("payload", "jsonb", rows.payload_json),
    ]


def row_ids(chunk_id: int, n: int) -> npt.NDArray[np.int64]:
    """The ``id`` of rows ``0 .. n-1`` of chunk ``chunk_id``: ``chunk_id * 2**32 + row``.

    The id is a stored row's whole identity (its chunk and its position in
    the chunk: no ``chunk_id`` or ``row`` column), computed here and sent
    with the rows; a chunk's rows are the id range
    ``[chunk_id << 32, (chunk_id + 1) << 32)`` (``chunk_rows``).

    Raises:
        OverflowError: ``chunk_id`` or ``n`` out of range (no id would be unique).
    """
    if not 0 < chunk_id < 2 ** (63 - ROW_ID_SHIFT) or n > 2**ROW_ID_SHIFT:
        raise OverflowError(f"no row id for {n} rows of chunk {chunk_id}")
    return np.arange(n, dtype=np.int64) + (np.int64(chunk_id) << ROW_ID_SHIFT)


def chunk_rows(chunk_ids: Sequence[int]) -> Q:
    """The rows of chunks ``chunk_ids``: one ``id`` range each (matches nothing when empty)."""
    condition = Q(pk__in=[])
    for c in sorted(set(int(c) for c in chunk_ids)):
        condition |= Q(id__gte=c << ROW_ID_SHIFT, id__lt=(c + 1) << ROW_ID_SHIFT)
    return condition


def write_rows(using: str, collection_id: int, chunk_id: int, rows: StoredRows) -> None:
    """Inserts ``rows`` as chunk ``chunk_id`` of collection ``collection_id``.

    The caller holds the transaction (``ResultChunk.objects.replace_chunk``).
    Values are always bound or sent as binary COPY data, never formatted
    into SQL. Columns NULL in every row are left out of the statement: the
    result table has no column defaults, so they are stored NULL all the
    same, and the tutorial's rows (no JSON, text or float payload, integer
    domains) cost PostgreSQL 14 fields each to read instead of 18 (its
    ``COPY`` 1.38 s against 1.71 s for the 1.78M rows, medians of 4).
    """
    n = len(rows)
    if not n:
        return
    connection = connections[using]
    columns = [c for c in copy_columns(collection_id, chunk_id, rows) if not c.all_null(n)]
    table = write_table(connection, collection_id)
    if connection.vendor == "postgresql":
        copy_from_columns(connection, table, n, columns)
        return
    lists = []
    for c in columns:
        if c.fixed:
            values = c.values.tolist()
            if c.null is not None and c.null.any():
                values = [None if isnull else v for v, isnull in zip(values, c.null.tolist())]
        else:
            values = [None] * n
            for row, text in c.values.items():
                values[row] = text
        lists.append(values)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c.name) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    all_rows = list(zip(*lists))
    with connection.cursor() as cursor:
        for start in range(0, n, _BATCH):
            cursor.executemany(sql, all_rows[start : start + _BATCH])


# Numeric columns read for every row, with NULLs as sentinels (fixed width).
_NUMERIC = {
    "er_id": F("id"),
    "er_parent": Coalesce(F("parent_row"), Value(-1)),
    "er_cstart": Coalesce(F("child_start"), Value(-1)),
    "er_ccount": Coalesce(F("child_count"), Value(0)),
    "er_dnull": Coalesce(F("domain_int") * 0, Value(1)),
    "er_dint": Coalesce(F("domain_int"), Value(0)),
    # NULL bounds (result_layout.bound_nulls) read as NaN, which no stored bound is; fill_bounds restores them.
    **{f"er_{b}": Coalesce(F(b), Value(math.nan), output_field=FloatField()) for b in BOUND_NAMES},
    "er_kind": F("payload_kind"),
    "er_pint": Coalesce(F("payload_int"), Value(0)),
    "er_pfloat": Coalesce(F("payload_float"), Value(0.0)),
}


def _numeric_columns(qs: Any) -> list[npt.NDArray[Any]]:
    """The ``_NUMERIC`` columns of ``qs``: binary ``COPY`` on PostgreSQL, else ``values_list``."""
    vl = qs.annotate(**_NUMERIC).values_list(*_NUMERIC)
    if connections[vl.db].vendor == "postgresql":
        # Every column is NOT NULL or coalesced: the stream is fixed-width.
        parts: list[list[npt.NDArray[Any]]] = []
        if _copy_binary(vl, vl.db, CHUNK_SIZE, parts.append):
            return _concat(parts, len(_NUMERIC))
    rows = list(vl.iterator(chunk_size=CHUNK_SIZE))
    return _concat([[np.asarray(col) for col in zip(*rows)]] if rows else [], len(_NUMERIC))


def _concat(parts: list[list[npt.NDArray[Any]]], width: int) -> list[npt.NDArray[Any]]:
    if not parts:
        return [np.empty(0) for _ in range(width)]
    return [np.concatenate([p[k] for p in parts]) for k in range(width)]


def _read_block(qs: Any) -> tuple[dict[str, npt.NDArray[Any]], StoredRows]:
    """The rows of ``qs`` (ordered by id: chunk, then row) as raw numeric columns
    (``er_chunk``, ``er_row`` split from ``er_id``) and ``StoredRows`` whose
    offsets are still chunk-relative (rebased by the caller)."""
    cols = dict(zip(_NUMERIC, _numeric_columns(qs)))
    ids = cols["er_id"].astype(np.int64)
    cols["er_chunk"] = ids >> ROW_ID_SHIFT
    cols["er_row"] = ids & ((1 << ROW_ID_SHIFT) - 1)
    rows = StoredRows(
        n_top=0,
        parent_row=cols["er_parent"].astype(np.int64),
        child_start=cols["er_cstart"].astype(np.int64),
        child_count=cols["er_ccount"].astype(np.int64),
        domain_int=cols["er_dint"].astype(np.int64),
        domain_int_null=cols["er_dnull"].astype(np.int64) != 0,
        domain_json={},
        bounds=[cols[f"er_{b}"].astype(np.float64) for b in BOUND_NAMES],
        kind=cols["er_kind"].astype(np.int16),
        payload_int=cols["er_pint"].astype(np.int64),
        payload_float=cols["er_pfloat"].astype(np.float64),
    )
    if len(rows):
        _read_texts(qs, ids, rows)
    return cols, rows


def _concat_rows(blocks: list[StoredRows], int_axes: str) -> StoredRows:
    def cat(name: str) -> Any:
        return np.concatenate([getattr(b, name) for b in blocks])

    offsets = np.cumsum([0] + [len(b) for b in blocks])
    merged = {name: {} for name in ("domain_json", "payload_str", "payload_json")}
    for b, off in zip(blocks, offsets.tolist()):
        for name, table in merged.items():
            table.update({off + r: v for r, v in getattr(b, name).items()})
    parent = cat("parent_row")
    return StoredRows(
        n_top=int((parent < 0).sum()),
        parent_row=parent,
        child_start=cat("child_start"),
        child_count=cat("child_count"),
        domain_int=cat("domain_int"),
        domain_int_null=cat("domain_int_null"),
        bounds=[np.concatenate([b.bounds[k] for b in blocks]) for k in range(len(BOUND_NAMES))],
        kind=cat("kind"),
        payload_int=cat("payload_int"),
        payload_float=cat("payload_float"),
        int_axes=int_axes,
        **merged,
    )


def read_rows(collection_id: int, chunk_ids: Sequence[int] | None, int_axes: str, *, top: Q | None = None) -> StoredRows:
    """Stored rows of a collection, offsets rebased to index the result.

    Args:
        collection_id: the collection.
        chunk_ids: only these chunks (None: all).
        int_axes: the top level's integer axes.
        top: only the top-level rows matching this filter (e.g. some
            domains), with their nested sets; None reads every row of the
            chunks in one pass.

    Without ``top``: one scan in ``id`` (chunk, row) order. With it: one
    query per nesting level, each reading the contiguous id range of the
    selected parents' children per chunk (a set's rows are contiguous, and
    so are the children of one domain's intervals).
    """
    qs = _model().objects.filter(collection_id=collection_id)
    if chunk_ids is not None:
        qs = qs.filter(chunk_rows(chunk_ids))
    if top is None:
        cols, rows = _read_block(qs.order_by("id"))
        base = np.arange(len(rows), dtype=np.int64) - cols["er_row"].astype(np.int64)
        rows.parent_row = np.where(rows.parent_row < 0, -1, rows.parent_row + base)
        rows.child_start = np.where(rows.child_start < 0, -1, rows.child_start + base)
        return _filled(_concat_rows([rows], int_axes))
    blocks: list[StoredRows] = []
    level_qs = qs.filter(top, parent_row__isnull=True)
    offset = 0
    previous: tuple[dict[str, npt.NDArray[Any]], StoredRows] | None = None
    while True:
        cols, rows = _read_block(level_qs.order_by("id"))
        if previous is not None:
            _rebase_children(previous, cols, offset)
            rows.parent_row = np.zeros(len(rows), dtype=np.int64)  # not top-level
        if not len(rows):
            break
        blocks.append(rows)
        offset += len(rows)
        has = rows.child_count > 0
        if not has.any():
            break
        chunk = cols["er_chunk"][has]
        lo = rows.child_start[has]
        hi = lo + rows.child_count[has]
        ranges = Q()
        for c in np.unique(chunk).tolist():
            sel = chunk == c
            base = int(c) << ROW_ID_SHIFT
            ranges |= Q(id__gte=base + int(lo[sel].min()), id__lt=base + int(hi[sel].max()))
        level_qs = qs.filter(ranges)
        previous = (cols, rows)
    return _filled(_concat_rows(blocks, int_axes) if blocks else _concat_rows([_read_block(qs.none())[1]], int_axes))


def _filled(rows: StoredRows) -> StoredRows:
    fill_bounds(rows)
    return rows


def _rebase_children(parent: tuple[dict[str, npt.NDArray[Any]], StoredRows], cols: dict[str, npt.NDArray[Any]], offset: int) -> None:
    """Point the parents' ``child_start`` at the children's positions in the result.

    The children block starts at ``offset``; per chunk it is the contiguous
    range of rows from its first row on.
    """
    parent_cols, parent_rows = parent
    chunk = cols["er_chunk"]
    first = {}
    if len(chunk):
        chunks, idx = np.unique(chunk, return_index=True)
        first = {c: (offset + i, int(cols["er_row"][i])) for c, i in zip(chunks.tolist(), idx.tolist())}
    starts = parent_rows.child_start.copy()
    for c, (pos, row0) in first.items():
        sel = (parent_cols["er_chunk"] == c) & (starts >= 0)
        starts[sel] = starts[sel] - row0 + pos
    parent_rows.child_start = np.where(parent_rows.child_count > 0, starts, np.where(starts >= 0, 0, -1))


def _read_texts(qs: Any, ids: npt.NDArray[np.int64], rows: StoredRows) -> None:
    """Fills the sparse text columns (str payloads, JSON payloads and keys) of the rows of ``qs``.

    ``ids``: the ids of the rows of ``qs`` in order (sorted), which give each text row's position.
    """
    sparse = qs.filter(Q(domain__isnull=False) | Q(payload_str__isnull=False) | Q(payload__isnull=False))
    texts = sparse.annotate(
        er_domain=Cast("domain", TextField()), er_payload=Cast("payload", TextField())
    ).values_list("id", "er_domain", "payload_str", "er_payload")
    for pk, domain, pstr, pjson in texts.iterator(chunk_size=CHUNK_SIZE):
        i = int(np.searchsorted(ids, pk))
        if domain is not None:
            rows.domain_json[i] = domain
        if pstr is not None:
            rows.payload_str[i] = pstr
        if pjson is not None:
            rows.payload_json[i] = pjson


class CodecJSONField(JSONField):
    """A JSON field whose values read back through the payload codec (sets, tuples, dates...)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        from .intervals import payload_codec

        data = super().from_db_value(value, expression, connection)
        return None if data is None else payload_codec.decode(data)


class StoredPayload(Func):
    """The payload of a stored top-level row in the payload codec's JSON form, in SQL.

    What ``stored_interval_query`` selects as its payload, so a stored
    collection is a pushdown source whatever its payload column holds: a
    typed leaf (``payload_int``, ``payload_float``, ``payload_str``) becomes
    its JSON value, an opaque leaf is ``payload`` itself, and a nested set
    (one level deep; deeper sets inside it come back as JSON ``null``) is
    built from its child rows as the codec's ``{"__set3d__": [...]}`` (a
    ``collect_by_interval`` pair as ``{"__tuple__": [leaf, set]}``), bounds
    typed by the set's integer axes. It reads back decoded (``CodecJSONField``):
    an ``IntervalSet3D``, a tuple, a date..., in SQL and in memory alike.
    """

    output_field = CodecJSONField()

    def __init__(self) -> None:
        super().__init__(*(F(name) for name in _PAYLOAD_SOURCES))

    def _parts(self, compiler: Any, connection: Any) -> tuple[dict[str, str], list[Any]]:
        parts, params = {}, []
        for name, expr in zip(_PAYLOAD_SOURCES, self.source_expressions):
            sql, p = compiler.compile(expr)
            parts[name] = sql
            params += p
        return parts, params

    def _render(self, compiler: Any, connection: Any, dialect: dict[str, str]) -> tuple[str, list[Any]]:
        outer, outer_params = self._parts(compiler, connection)
        quote = connection.ops.quote_name
        table = quote(_model()._meta.db_table)
        inner = {name: f"c.{quote(name)}" for name in _PAYLOAD_SOURCES}

        def leaf(cols: dict[str, str]) -> str:
            return dialect["leaf"].format(**cols)

        def bound(name: str, bit: int) -> str:
            # A child's NULL bound: its parent's (the outer row's) time bound, or the spatial default.
            stored = outer[name] if name[0] == "t" else repr(SPATIAL_DEFAULTS[name])
            col = f"COALESCE({inner[name]}, {stored})"
            return dialect["bound"].format(col=col, kind=outer["payload_kind"], bit=bit)

        bits = {"t": 32, "x": 64, "y": 128}
        columns = [bound(b, bits[b[0]]) for b in BOUND_NAMES] + [leaf(inner)]
        # The children are ids first .. first + child_count - 1 of the parent's chunk.
        first = f"(({outer['id']} >> {ROW_ID_SHIFT}) << {ROW_ID_SHIFT}) + {outer['child_start']}"
        children = dialect["set"].format(
            arrays=", ".join(dialect["agg"].format(value=c, row=inner["id"]) for c in columns),
            table=table,
            where=(
                f"{inner['collection_id']} = {outer['collection_id']}"
                f" AND {inner['id']} >= {first} AND {inner['id']} < {first} + {outer['child_count']}"
            ),
            row=inner["id"],
        )
        sql = dialect["case"].format(kind=outer["payload_kind"], leaf=leaf(outer), set=children)
        return sql, outer_params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._render(compiler, connection, _PG)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._render(compiler, connection, _SQLITE)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        raise NotImplementedError(f"StoredPayload has no SQL for {connection.vendor}")


_PAYLOAD_SOURCES = (
    "collection_id", "id", "child_start", "child_count", *BOUND_NAMES,
    "payload_kind", "payload_int", "payload_float", "payload_str", "payload",
)

_PG = {
    "leaf": (
        "CASE ({payload_kind} & 7) WHEN 1 THEN to_jsonb({payload_int} <> 0) WHEN 2 THEN to_jsonb({payload_int})"
        " WHEN 3 THEN jsonb_build_object('__float__', {payload_float}::text)"  # exact: float8 text is shortest-exact
        " WHEN 4 THEN to_jsonb({payload_str}) WHEN 5 THEN {payload}"
        " ELSE 'null'::jsonb END"
    ),
    "bound": (
        "CASE WHEN ({kind} & {bit}) <> 0 THEN to_jsonb({col}::bigint)"
        " ELSE jsonb_build_object('__float__', {col}::text) END"
    ),
    "agg": "COALESCE(jsonb_agg({value} ORDER BY {row}), '[]'::jsonb)",
    "set": "(SELECT jsonb_build_object('__set3d__', jsonb_build_array({arrays})) FROM {table} c WHERE {where})",
    "case": (
        "CASE ({kind} & 24) WHEN 8 THEN {set}"
        " WHEN 16 THEN jsonb_build_object('__tuple__', jsonb_build_array({leaf}, {set}))"
        " ELSE NULLIF({leaf}, 'null'::jsonb) END"
    ),
}

_SQLITE = {
    "leaf": (
        "CASE ({payload_kind} & 7) WHEN 1 THEN json(CASE WHEN {payload_int} <> 0 THEN 'true' ELSE 'false' END)"
        " WHEN 2 THEN json_quote({payload_int}) WHEN 3 THEN json_object('__float__', printf('%%!.17g', {payload_float}))"
        " WHEN 4 THEN json_quote({payload_str}) WHEN 5 THEN json({payload}) ELSE json('null') END"
    ),
    "bound": (
        "CASE WHEN ({kind} & {bit}) <> 0 THEN json_quote(CAST({col} AS INTEGER))"
        " ELSE json_object('__float__', printf('%%!.17g', {col})) END"  # 17 digits: the exact double
    ),
    "agg": "json_group_array(json({value}))",
    "set": "(SELECT json_object('__set3d__', json_array({arrays})) FROM (SELECT * FROM {table} c WHERE {where} ORDER BY {row}) c)",
    "case": (
        "CASE ({kind} & 24) WHEN 8 THEN json({set})"
        " WHEN 16 THEN json_object('__tuple__', json_array(json({leaf}), json({set})))"
        " ELSE NULLIF({leaf}, 'null') END"
    ),
}


def nested_filter(qs: Any, predicate: Any) -> Any:
    """``qs`` (stored top-level rows) narrowed to rows whose nested set satisfies
    ``predicate``, in SQL over the child rows; None if it cannot be.

    ``P(length_exactly/at_least/at_most/between(...))`` compares
    ``child_count``; ``P(any_member(pred))`` is an ``EXISTS`` over the child
    rows ``child_start .. child_start + child_count - 1`` of the row's chunk
    (an ``id`` range) with ``pred``
    compiled on their columns. Only when every row of ``qs`` holds a nested
    set (one ``EXISTS`` query to check): on other payloads the predicate
    means something else (``len`` of a string, an error on None), which
    Python decides.
    """
    from .db.compiler import NotPushable, compile_unary
    from .intervals.predicates.list import AnyMember, LengthPredicate
    from .intervals.predicates.payload import PayloadPredicate

    if not isinstance(predicate, PayloadPredicate) or predicate.arity not in (1, None):
        return None
    inner = predicate.pred
    if isinstance(inner, LengthPredicate):
        condition = Q()
        if inner.low is not None:
            condition &= Q(child_count__gte=inner.low)
        if inner.high is not None:
            condition &= Q(child_count__lte=inner.high)
    elif isinstance(inner, AnyMember):
        first = OuterRef("id").bitrightshift(ROW_ID_SHIFT).bitleftshift(ROW_ID_SHIFT) + OuterRef("child_start")
        children = _model().objects.filter(
            collection_id=OuterRef("collection_id"), id__gte=first, id__lt=first + OuterRef("child_count")
        )
        cols = {name: stored_bound(name, parent=OuterRef) for name in BOUND_NAMES}
        cols.update(domain=F("domain_int"), payload=F("payload"))
        try:
            children = children.filter(compile_unary(inner.pred, cols))
        except NotPushable:
            return None
        condition = Q(Exists(children))
    else:
        return None
    shape = qs.annotate(er_shape=F("payload_kind").bitand(_SHAPE_BITS))
    if shape.exclude(er_shape=_SET).exists():
        return None
    return qs.filter(condition)


def stored_bound(name: str, parent: type[F] | None = None) -> Any:
    """The effective bound ``name`` (``t1`` .. ``y2``) of stored rows, as a SQL expression.

    A spatial bound stored NULL is its default (``Coalesce(x1, 0.0)``); a
    time bound stored NULL is the parent row's, which SQL reads only where
    the parent is the row ``parent(name)`` refers to (``OuterRef``: the
    top-level row of a nested-set filter); with ``parent`` None, a time
    bound is the column itself (top-level rows store every time bound).
    """
    if name[0] != "t":
        return Coalesce(F(name), Value(SPATIAL_DEFAULTS[name]), output_field=FloatField())
    if parent is None:
        return F(name)
    return Coalesce(F(name), parent(name), output_field=FloatField())


#: ``payload_kind`` shape bits, and the shape of a payload that is a nested set.
_SHAPE_BITS, _SET = 24, 8
