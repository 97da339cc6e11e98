"""Running a relation and decoding its rows into interval collections.

Provides:
    fetch_collection(rel, progress=False): run ``rel`` (its checks first) and
        build its ``DomainIntervalCollection``, ordered as in memory; rows are
        decoded per column in chunks (bounds straight into numpy).
    domain_sizes(rel) / count_rows(rel): ``GROUP BY er_d`` / ``COUNT(*)``.
    run_checks(rel): raise the in-memory error a check query finds.
    convert(rel, key, value), typed(value, kind): one value as Python sees it.

Nested payloads (``group_by_time``, ``collect_by_interval``) arrive as JSON
arrays of member rows and become sorted ``IntervalSet3D``s.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Hashable, Iterator, Sequence

import numpy as np

from ..intervals.collection import DomainIntervalCollection
from ..intervals.columns import Columns
from ..intervals.interval import Interval3D
from ..intervals.interval_set import IntervalSet3D, NotFullFrameError
from .materialize import CHUNK_SIZE, column_chunks_to_collection
from .relation import BOUNDS, CANONICAL, COL, BoundType, Rel, Shape, quote

__all__ = ["convert", "count_rows", "domain_sizes", "fetch_collection", "run_checks", "typed"]


def convert(rel: Rel, key: str, value: Any) -> Any:
    """``value`` of column ``key`` (``"domain"``/``"payload"``) through the field's DB converters."""
    entry = rel.converters.get(key)
    if entry is None:
        return value
    convs, expr = entry
    for conv in convs:
        value = conv(value, expr, rel.connection)
    return value


def typed(value: Any, kind: BoundType) -> Any:
    """A bound value as the in-memory type (JSON and SQLite may give text or the other number type)."""
    if kind == "int":
        return int(value)
    if kind == "float" or isinstance(value, str):
        return float(value)
    return value


def _decode_members(rel: Rel, raw: Any) -> IntervalSet3D:
    """A JSON array of member rows (bounds, payload, order columns) as a sorted IntervalSet3D.

    On SQLite a member payload is the raw column value inside the JSON, so
    the members' own converters (dates, booleans...) apply; PostgreSQL's
    JSON constructors already produce the JSON values.
    """
    nested = rel.nested
    if nested is None:
        raise TypeError(f"the relation's payload is {rel.shape.value!r}, not nested member rows")
    rows = json.loads(raw) if isinstance(raw, str) else (raw or [])
    if not rows:
        return IntervalSet3D()
    types = nested.types
    rows = [[*(typed(v, types[b]) for v, b in zip(row[:6], BOUNDS)), *row[6:]] for row in rows]
    rows.sort(key=lambda row: (row[:6], row[7:]))
    payloads = [row[6] for row in rows]
    if nested.converters and rel.connection.vendor == "sqlite":
        for conv in nested.converters:
            payloads = [conv(p, nested.expr, rel.connection) for p in payloads]
    cols = Columns.from_bounds(*zip(*[row[:6] for row in rows]), payload=payloads)
    return IntervalSet3D._from_columns(cols, presorted=True)


def _bound_column(values: Sequence[Any], kind: BoundType) -> Any:
    """One fetched bound column as ``int64``/``float64`` (or a list when its type is per value)."""
    if kind == "int":
        return np.asarray(values, dtype=np.int64) if values and type(values[0]) is int else np.asarray([int(v) for v in values], dtype=np.int64)
    if kind == "float":
        return np.asarray([typed(v, "float") for v in values], dtype=np.float64) if values and isinstance(values[0], str) else np.asarray(values, dtype=np.float64)
    return list(values)


def _decode_chunk(rel: Rel, raw: list[tuple[Any, ...]]) -> list[Any]:
    """One fetched chunk as typed columns (``CANONICAL`` order), decoded per column."""
    cols = list(zip(*raw))
    dom = cols[0]
    if "domain" in rel.converters:
        dom = [convert(rel, "domain", v) for v in dom]
    bounds = [_bound_column(col, rel.types[b]) for col, b in zip(cols[1:7], BOUNDS)]
    if rel.shape is Shape.GROUP:
        payload = [_decode_members(rel, v) for v in cols[7]]
    elif rel.shape is Shape.COLLECT:
        payload = [(convert(rel, "payload", p), _decode_members(rel, n)) for p, n in zip(cols[7], cols[8])]
    elif "payload" in rel.converters:
        payload = [convert(rel, "payload", v) for v in cols[7]]
    else:
        payload = list(cols[7])
    return [dom, *bounds, payload]


def _settle_types(rel: Rel) -> Rel:
    """``rel`` with each ``float_if`` bound decided by running its probe (int if no row)."""
    if not rel.float_if:
        return rel
    types, seen = dict(rel.types), {}
    for b, (sql, params) in rel.float_if.items():
        if sql not in seen:
            with rel.connection.cursor() as cursor:
                cursor.execute(sql, params)
                seen[sql] = cursor.fetchone() is not None
        types[b] = "float" if seen[sql] else "int"
    return replace(rel, types=types, float_if={})


def fetch_collection(rel: Rel, progress: bool = False) -> DomainIntervalCollection:
    """Run the relation and build its collection (ordered by domain, bounds, order columns)."""
    run_checks(rel)
    rel = _settle_types(rel)
    names = [COL[c] for c in CANONICAL] + list(rel.extra)
    select = ", ".join(f"{quote(rel, 'r')}.{quote(rel, n)}" for n in names)
    order = ", ".join(f"{quote(rel, 'r')}.{quote(rel, n)}" for n in ["er_d", *(COL[b] for b in BOUNDS), *rel.order])
    sql, params = rel.statement(lambda name: f"SELECT {select} FROM {name} {quote(rel, 'r')} ORDER BY {order}")
    with rel.connection.cursor() as cursor:
        cursor.execute(sql, params)
        total = cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else None

        def chunks() -> Iterator[list[Any]]:
            while True:
                raw = cursor.fetchmany(CHUNK_SIZE)
                if not raw:
                    return
                yield _decode_chunk(rel, raw)

        return column_chunks_to_collection(chunks(), CANONICAL, progress=progress, total=total)


def run_checks(rel: Rel) -> None:
    """Raise the in-memory error if a check query returns a row."""
    for check in rel.checks:
        with rel.connection.cursor() as cursor:
            cursor.execute(check.sql, check.params)
            row = cursor.fetchone()
        if row is not None:
            o = check.other
            b = [typed(v, o.types[k]) if o.types[k] != "any" else v for v, k in zip(row[:6], BOUNDS)]
            bad = Interval3D((b[0], b[1]), (b[2], b[3]), (b[4], b[5]), convert(o, "payload", row[6]))
            raise NotFullFrameError(
                f"minus subtracts only full-frame intervals (x=(0, 1), y=(0, 1)), got {bad!r}")


def domain_sizes(rel: Rel) -> dict[Hashable, int]:
    """``{domain: number of rows}`` of the relation (``GROUP BY er_d``), after its checks."""
    run_checks(rel)
    d = f"{quote(rel, 'r')}.{quote(rel, 'er_d')}"
    sql, params = rel.statement(lambda name: f"SELECT {d}, COUNT(*) FROM {name} {quote(rel, 'r')} GROUP BY {d}")
    with rel.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {convert(rel, "domain", k): n for k, n in cursor.fetchall()}


def count_rows(rel: Rel) -> int:
    """The relation's number of rows (``COUNT(*)``), after its checks."""
    run_checks(rel)
    sql, params = rel.statement(lambda name: f"SELECT COUNT(*) FROM {name} {quote(rel, 'r')}")
    with rel.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])
