"""SQL relations with the canonical interval columns, and the plumbing to compose them.

Provides:
    Rel: one step's relation: its SQL body, the ``WITH`` list it reads,
        the bounds' types, tie-order columns, payload shape and decoders.
    Shape, BoundType, PayloadKind: the relation's modes.
    Cte, cte, merge_ctes: named ``WITH`` entries (named by content, so a
        relation shared by two sides of a statement is defined once).
    Check, Nested: a query run before the main one; how to decode members.
    compile_expr, quote, select_list, wrap, derive, passthrough, sort_keys,
        json_payload: the small pieces every step compiler composes.

Column names are fixed (``COL``): ``er_d``, ``er_t1`` ... ``er_y2``, ``er_p``,
plus ``er_o<k>`` order columns and ``er_n`` (collected members). Every value
reaches the database as a bound parameter; names are quoted by the backend.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Callable, Literal, Mapping, Sequence

from django.db import connections
from django.db.models import Expression
from django.db.models.sql.query import Query

from ..intervals.columns import BOUND_NAMES as BOUNDS
from .expressions import RelCol, with_body
from .schema import CANONICAL_NAMES as CANONICAL

__all__ = [
    "BOUNDS", "CANONICAL", "COL", "BoundType", "Check", "Cte", "Nested", "PayloadKind", "Rel", "Shape",
    "compile_expr", "cte", "derive", "json_payload", "merge_ctes", "passthrough", "quote", "select_list",
    "sort_keys", "wrap",
]

#: Canonical name -> the relation's column name.
COL = {"domain": "er_d", "payload": "er_p", **{b: f"er_{b}" for b in BOUNDS}}

#: What a bound column holds, as the in-memory dtype would be (``"any"``: per value).
BoundType = Literal["int", "float", "any"]
#: What a plain ``er_p`` is known to hold: non-null integers, JSON lists (asserted), or anything.
PayloadKind = Literal["int", "list", "any"]


class Shape(Enum):
    """What a relation's payload columns hold."""

    PLAIN = "plain"  #: er_p is the payload
    GROUP = "group"  #: er_p is a JSON array of member rows (group_by_time)
    COLLECT = "collect"  #: er_p is the payload, er_n a JSON array of member rows (collect_by_interval)


@dataclass(frozen=True)
class Nested:
    """How to decode a JSON array of member rows into an IntervalSet3D.

    ``converters`` are the members' own payload converters (the relation
    the members come from, not the one that nests them), applied on SQLite
    where a member payload arrives as the column's raw value; JSON payloads
    are embedded as JSON (``JSONValue``) and need none.
    """

    types: Mapping[str, BoundType]
    n_order: int
    converters: tuple[Any, ...] = ()
    expr: Any = None


@dataclass(frozen=True)
class Cte:
    """One named relation of a statement's ``WITH`` list: ``name AS (sql)``.

    Every step's input is referenced by name instead of being nested as a
    ``FROM (subquery)``, so the statement's nesting depth does not grow with
    the number of steps (SQLite's parser overflows its stack at about 16
    nested subqueries). ``inline`` asks PostgreSQL not to materialise it
    (``NOT MATERIALIZED``), so a relation read twice plans as the nested
    subqueries did.
    """

    name: str
    sql: str
    params: tuple[Any, ...]
    inline: bool = True


def cte(sql: str, params: Sequence[Any], prefix: str = "er_q", inline: bool = True) -> Cte:
    """A ``Cte`` named by its content, so a relation shared by two sides is defined once."""
    digest = hashlib.sha1(repr((sql, tuple(params))).encode()).hexdigest()[:16]
    return Cte(f"{prefix}{digest}", sql, tuple(params), inline)


def merge_ctes(*lists: Sequence[Cte]) -> tuple[Cte, ...]:
    """The ``WITH`` lists one after another without repeats (each keeps its dependency order)."""
    merged: dict[str, Cte] = {}
    for ctes in lists:
        for entry in ctes:
            merged.setdefault(entry.name, entry)
    return tuple(merged.values())


@dataclass(frozen=True)
class Check:
    """A query run before the main one: any row it returns is an error.

    ``other`` decodes the row (its converters); today the only check is
    ``minus``'s "the other side is full-frame".
    """

    sql: str
    params: tuple[Any, ...]
    other: Rel


@dataclass(frozen=True)
class Rel:
    """A SQL relation with the canonical interval columns.

    ``types`` maps each bound to ``"int"``/``"float"`` (as the in-memory
    column dtype would be; ``"any"``: decided per value); ``order`` names the
    tie-break columns; ``shape`` says what er_p holds (:class:`Shape`);
    ``payload_kind`` is what a plain er_p is known to hold: ``"int"``
    (non-null integers), ``"list"`` (JSON arrays, as the caller asserted)
    or ``"any"``. ``sql`` is the body: it reads its inputs by name from
    ``ctes`` (the ``WITH`` list, dependencies first). ``domain_null``: the
    domain may be NULL, so domains compare with ``IS NOT DISTINCT FROM``
    (a non-null domain keeps ``=``, which the planner can hash and merge).
    ``float_if`` maps a bound typed ``"float"`` to a statement that returns
    a row iff it really is float: a ``union`` of an int side and a float
    side is int in memory when the float side is empty.
    """

    sql: str
    params: tuple[Any, ...]
    using: str
    types: Mapping[str, BoundType]
    order: tuple[str, ...]
    shape: Shape = Shape.PLAIN
    nested: Nested | None = None
    extra: tuple[str, ...] = ()
    converters: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    flat: Rel | None = None
    payload_kind: PayloadKind = "any"
    ctes: tuple[Cte, ...] = ()
    domain_null: bool = True
    float_if: Mapping[str, tuple[str, tuple[Any, ...]]] = field(default_factory=dict)

    @property
    def connection(self) -> Any:
        return connections[self.using]

    def columns(self) -> tuple[str, ...]:
        return (*(COL[c] for c in CANONICAL), *self.extra, *self.order)

    def cols(self, alias: str) -> dict[str, Expression]:
        return {c: RelCol(alias, COL[c], self.types.get(c, "any")) for c in CANONICAL}

    def ref(self) -> Cte:
        """This relation as a named ``WITH`` entry."""
        return cte(self.sql, self.params)

    def deps(self) -> tuple[Cte, ...]:
        """The ``WITH`` list a step reading this relation by name needs."""
        return merge_ctes(self.ctes, (self.ref(),))

    def statement(self, body: Callable[[str], str] | None = None, params: Sequence[Any] = ()) -> tuple[str, list[Any]]:
        """A complete statement: the ``WITH`` list, then ``body(name)`` reading this
        relation by its quoted name with ``params`` (or this relation's own body)."""
        if body is None:
            ctes, sql, tail = self.ctes, self.sql, list(self.params)
        else:
            ctes, sql, tail = self.deps(), body(quote(self, self.ref().name)), list(params)
        if not ctes:
            return sql, tail
        defs = ", ".join(f"{quote(self, c.name)} AS {with_body(self.connection, c.sql, c.inline)}" for c in ctes)
        return f"WITH {defs} {sql}", [*(p for c in ctes for p in c.params), *tail]


def compile_expr(rel: Rel, expr: Any) -> tuple[str, list[Any]]:
    """``expr`` (a Django expression) compiled for ``rel``'s connection: SQL and params."""
    compiler = Query(None).get_compiler(connection=rel.connection)
    sql, params = compiler.compile(expr)
    return sql, list(params)


def quote(rel: Rel, name: str) -> str:
    """``name`` quoted as an identifier by ``rel``'s backend."""
    return rel.connection.ops.quote_name(name)


def select_list(rel: Rel, items: list[tuple[Any, str]]) -> tuple[str, list[Any]]:
    """``expr AS "name", ...`` for (expression or column-of-alias, name) items."""
    parts, params = [], []
    for expr, name in items:
        s, p = compile_expr(rel, expr)
        parts.append(f"{s} AS {quote(rel, name)}")
        params.extend(p)
    return ", ".join(parts), params


def wrap(rel: Rel, alias: str) -> str:
    """``name alias``: ``rel`` read by its ``WITH`` name (its params are in ``rel.deps()``)."""
    return f"{quote(rel, rel.ref().name)} {quote(rel, alias)}"


def derive(rel: Rel, sql: str, params: Sequence[Any], *others: Rel, **changes: Any) -> Rel:
    """The relation of one more step: ``sql`` reads ``rel`` (and ``others``) by name."""
    ctes = merge_ctes(rel.deps(), *(o.deps() for o in others))
    return replace(rel, sql=sql, params=tuple(params), ctes=ctes, **changes)


def passthrough(rel: Rel, alias: str, skip: tuple[str, ...] = ()) -> list[tuple[Any, str]]:
    """Select-list items copying every column of ``rel`` (read as ``alias``) but ``skip``."""
    return [(RelCol(alias, c), c) for c in rel.columns() if c not in skip]


def sort_keys(rel: Rel, alias: str) -> list[Expression]:
    """The in-memory sort order within a domain: the bounds, then the tie-order columns."""
    return [RelCol(alias, COL[b]) for b in BOUNDS] + [RelCol(alias, o) for o in rel.order]


def json_payload(rel: Rel) -> bool:
    """Whether ``er_p`` is a JSON column (its converter is a ``JSONField``'s)."""
    entry = rel.converters.get("payload")
    if entry is None:
        return False
    try:
        return entry[1].output_field.get_internal_type() == "JSONField"
    except Exception:  # noqa: BLE001 - unresolvable output field
        return False
