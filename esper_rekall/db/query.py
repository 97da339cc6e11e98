"""Lazy interval queries over Django querysets, compiled to SQL where possible.

Provides:
    IntervalQuery: an immutable list of steps over a queryset and an
        interval schema; every operation returns a clone. It offers the
        ``DomainIntervalCollection`` method names; ``collect()`` runs it.
    interval_query(qs, schema=None): the IntervalQuery of any queryset.

How it runs. The queryset becomes a relation with the canonical columns
``er_d, er_t1 ... er_y2, er_p`` plus order columns that reproduce the
in-memory tie order: ``er_o0`` is the row's rank in the queryset's
``order_by`` (then pk), or the pk when it has none. Each step that has a
SQL form reads the previous relation by name, ``SELECT ... FROM <name> r``,
from one flat ``WITH`` list (so the statement's nesting depth does not grow
with the number of steps: SQLite's parser overflows at ~16 nested
subqueries); its expressions are Django expressions compiled by Django's
compiler (every value a bound parameter). Domains compare with ``IS NOT
DISTINCT FROM`` when they may be NULL; arithmetic widens integer columns to
``BIGINT`` as numpy's ``int64`` is. The steps:

- ``filter`` (built-in bbox/logical predicates), ``filter_size``,
  ``dilate`` (a negative window erodes and drops inverted rows): ``WHERE``;
- ``filter_against``: ``WHERE EXISTS (SELECT 1 FROM other o WHERE
  o.er_d = r.er_d AND <predicate> AND <exact band conditions>)``;
- ``join`` (``span_merge``/``overlap_time_merge``) and ``merge``
  (``payload_first``/``payload_second``): an inner join on the domain;
- ``collect_by_interval``: a correlated JSON-aggregating subquery;
- ``temporal_coalesce`` (``payload_first``): gaps-and-islands with window
  functions (``MAX(t2) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND 1
  PRECEDING)``, a running ``SUM`` of new-island flags, ``GROUP BY`` island);
  ``payload_plus`` too when the payload kind is known (``payload_kind``):
  ``"int"`` (a non-null integer field: ``SUM``, cast to ``BIGINT`` on
  PostgreSQL) or ``"list"`` (a JSON field the caller asserts holds lists:
  the island's lists concatenated in row order, ``JSONB_AGG`` over
  ``JSONB_ARRAY_ELEMENTS ... WITH ORDINALITY`` on PostgreSQL, an ordered
  ``GROUP_CONCAT`` window over the arrays' inner text on SQLite);
- ``group_by_time``: ``GROUP BY (er_d, er_t1, er_t2)`` with ``JSON_AGG`` /
  ``json_group_array`` of the members when a later SQL step or another
  query reads it; as the last SQL step of ``collect()``, the members are
  fetched flat in ``(er_d, er_t1, er_t2, ...)`` order and grouped in numpy
  (no JSON), and ``explain()`` reports it as Python;
- ``minus``: the other side's positive-length ranges coalesced into islands
  per domain (window functions), the gaps between islands (``LAG``), each
  row intersected with the gaps it overlaps (``UNION ALL`` the rows no
  island touches); a check query run before collecting raises the
  in-memory ``NotFullFrameError`` if the other side is not full-frame;
- ``union``: ``UNION ALL`` (an int axis against a float one is float only if
  the float side has rows, as in memory: decided by a probe query);
  ``size``/``count``: ``GROUP BY er_d`` / ``COUNT``.

Anything else (a Python callable, a payload predicate, an unknown merge op,
``temporal_coalesce`` with another merge op than ``payload_first`` or a
``payload_plus`` over payloads of unknown kind, ``map`` ...) runs in Python on the materialised collection, and so
does every later step; ``explain()`` says which and why. Results equal the
in-memory ones exactly: same intervals, order, payloads and bound types.
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterator, Sequence

import numpy as np
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Hashable, Mapping

from django.db import connections
from django.db.models import Case, Expression, F, FloatField, Value, When, Window
from django.db.models.aggregates import Max, Min, Sum
from django.db.models.expressions import RowRange
from django.db.models.expressions import Col, OrderBy
from django.db.models.functions import Cast, FirstValue, Greatest, Least, RowNumber
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, IsNull, LessThanOrEqual
from django.db.models.sql.constants import INNER
from django.db.models.sql.query import Query

from ..intervals.collection import DomainIntervalCollection
from ..intervals.columns import Columns
from ..intervals.common import INFTY
from ..intervals.interval_set import IntervalSet3D
from ..intervals.merge_ops import merge_op_name, payload_first
from ..intervals.predicates.base import describe
from .schema import schema_for_queryset
from .compiler import (
    JoinMerge,
    NotPushable,
    band_conditions,
    compile_binary,
    compile_unary,
    merge_payload_side,
)
from .expressions import (
    GENERIC,
    ExactFloat,
    FirstOf,
    JSONGroupArray,
    JSONRow,
    JSONValue,
    NotDistinctFrom,
    RelCol,
    arith,
    num,
)

__all__ = ["IntervalQuery", "interval_query"]

CANONICAL = ("domain", "t1", "t2", "x1", "x2", "y1", "y2", "payload")
BOUNDS = ("t1", "t2", "x1", "x2", "y1", "y2")
_COL = {"domain": "er_d", "payload": "er_p", **{b: f"er_{b}" for b in BOUNDS}}
_AXES = {"T": ("t1", "t2"), "X": ("x1", "x2"), "Y": ("y1", "y2")}
_INT_TYPES = {
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveBigIntegerField", "PositiveSmallIntegerField", "AutoField", "BigAutoField",
    "SmallAutoField",
}


# ---------------------------------------------------------------- relations
@dataclass(frozen=True)
class _Nested:
    """How to decode a JSON array of member rows into an IntervalSet3D.

    ``converters`` are the members' own payload converters (the relation
    the members come from, not the one that nests them), applied on SQLite
    where a member payload arrives as the column's raw value; JSON payloads
    are embedded as JSON (``JSONValue``) and need none.
    """

    types: Mapping[str, str]
    n_order: int
    converters: tuple[Any, ...] = ()
    expr: Any = None


@dataclass(frozen=True)
class _Cte:
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


def _cte(sql: str, params: Sequence[Any], prefix: str = "er_q", inline: bool = True) -> _Cte:
    """A ``_Cte`` named by its content, so a relation shared by two sides is defined once."""
    digest = hashlib.sha1(repr((sql, tuple(params))).encode()).hexdigest()[:16]
    return _Cte(f"{prefix}{digest}", sql, tuple(params), inline)


def _merge_ctes(*lists: Sequence[_Cte]) -> tuple[_Cte, ...]:
    """The ``WITH`` lists one after another without repeats (each keeps its dependency order)."""
    merged: dict[str, _Cte] = {}
    for ctes in lists:
        for cte in ctes:
            merged.setdefault(cte.name, cte)
    return tuple(merged.values())


@dataclass(frozen=True)
class _Check:
    """A query run before the main one: any row it returns is an error.

    ``other`` decodes the row (its converters); today the only check is
    ``minus``'s "the other side is full-frame".
    """

    sql: str
    params: tuple[Any, ...]
    other: _Rel


@dataclass(frozen=True)
class _Rel:
    """A SQL relation with the canonical interval columns.

    ``types`` maps each bound to ``"int"``/``"float"`` (as the in-memory
    column dtype would be); ``order`` names the tie-break columns;
    ``payload`` is ``"plain"``, ``"group"`` (er_p is a JSON member array)
    or ``"collect"`` (er_p plain, er_n a JSON member array);
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
    types: Mapping[str, str]
    order: tuple[str, ...]
    payload: str = "plain"
    nested: _Nested | None = None
    extra: tuple[str, ...] = ()
    converters: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    checks: tuple[_Check, ...] = ()
    flat: _Rel | None = None
    payload_kind: str = "any"
    ctes: tuple[_Cte, ...] = ()
    domain_null: bool = True
    float_if: Mapping[str, tuple[str, tuple[Any, ...]]] = field(default_factory=dict)

    @property
    def connection(self) -> Any:
        return connections[self.using]

    def columns(self) -> tuple[str, ...]:
        return (*(_COL[c] for c in CANONICAL), *self.extra, *self.order)

    def cols(self, alias: str) -> dict[str, Expression]:
        return {c: RelCol(alias, _COL[c], self.types.get(c, "any")) for c in CANONICAL}

    def ref(self) -> _Cte:
        """This relation as a named ``WITH`` entry."""
        return _cte(self.sql, self.params)

    def deps(self) -> tuple[_Cte, ...]:
        """The ``WITH`` list a step reading this relation by name needs."""
        return _merge_ctes(self.ctes, (self.ref(),))

    def statement(self, body: Callable[[str], str] | None = None, params: Sequence[Any] = ()) -> tuple[str, list[Any]]:
        """A complete statement: the ``WITH`` list, then ``body(name)`` reading this
        relation by its quoted name with ``params`` (or this relation's own body)."""
        if body is None:
            ctes, sql, tail = self.ctes, self.sql, list(self.params)
        else:
            ctes, sql, tail = self.deps(), body(_q(self, self.ref().name)), list(params)
        if not ctes:
            return sql, tail
        pg = self.connection.vendor == "postgresql"
        defs = ", ".join(f"{_q(self, c.name)} AS {'NOT MATERIALIZED ' if pg and c.inline else ''}({c.sql})"
                         for c in ctes)
        return f"WITH {defs} {sql}", [*(p for c in ctes for p in c.params), *tail]


def _compile(rel: _Rel, expr: Any) -> tuple[str, list[Any]]:
    compiler = Query(None).get_compiler(connection=rel.connection)
    sql, params = compiler.compile(expr)
    return sql, list(params)


def _q(rel: _Rel, name: str) -> str:
    return rel.connection.ops.quote_name(name)


def _select_list(rel: _Rel, items: list[tuple[Any, str]]) -> tuple[str, list[Any]]:
    """``expr AS "name", ...`` for (expression or column-of-alias, name) items."""
    parts, params = [], []
    for expr, name in items:
        s, p = _compile(rel, expr)
        parts.append(f"{s} AS {_q(rel, name)}")
        params.extend(p)
    return ", ".join(parts), params


def _wrap(rel: _Rel, alias: str) -> str:
    """``name alias``: ``rel`` read by its ``WITH`` name (its params are in ``rel.deps()``)."""
    return f"{_q(rel, rel.ref().name)} {_q(rel, alias)}"


def _step(rel: _Rel, sql: str, params: Sequence[Any], *others: _Rel, **changes: Any) -> _Rel:
    """The relation of one more step: ``sql`` reads ``rel`` (and ``others``) by name."""
    ctes = _merge_ctes(rel.deps(), *(o.deps() for o in others))
    return replace(rel, sql=sql, params=tuple(params), ctes=ctes, **changes)


def _passthrough(rel: _Rel, alias: str, skip: tuple[str, ...] = ()) -> list[tuple[Any, str]]:
    return [(RelCol(alias, c), c) for c in rel.columns() if c not in skip]


def _sort_keys(rel: _Rel, alias: str) -> list[Expression]:
    return [RelCol(alias, _COL[b]) for b in BOUNDS] + [RelCol(alias, o) for o in rel.order]


def _json_payload(rel: _Rel) -> bool:
    """Whether ``er_p`` is a JSON column (its converter is a ``JSONField``'s)."""
    entry = rel.converters.get("payload")
    if entry is None:
        return False
    try:
        return entry[1].output_field.get_internal_type() == "JSONField"
    except Exception:  # noqa: BLE001 - unresolvable output field
        return False


def _field_type(expr: Any) -> str:
    try:
        internal = expr.output_field.get_internal_type()
    except Exception:  # noqa: BLE001 - unresolvable output field: decide per value
        return "any"
    if internal in _INT_TYPES:
        return "int"
    if internal in ("FloatField", "DecimalField"):
        return "float"
    return "any"


def _schema_expressions(qs: Any, schema: Any) -> dict[str, Any]:
    """Canonical name -> expression of an IntervalSchema or a mapping, validated on ``qs``."""
    from .schema import IntervalSchema

    if isinstance(schema, Mapping):
        schema = IntervalSchema.from_mapping(schema)
    if not isinstance(schema, IntervalSchema):
        raise TypeError(f"schema must be an IntervalSchema or a mapping, got {schema!r}")
    schema.validate(qs)
    return schema.expressions()


PAYLOAD_KINDS = ("list",)


def _payload_kind(expr: Any, asserted: str | None) -> str:
    """``"int"`` for a non-null integer payload; ``"list"`` if asserted on a JSON field; else ``"any"``."""
    try:
        field = expr.output_field
        internal = field.get_internal_type()
    except Exception:  # noqa: BLE001 - unresolvable output field
        field, internal = None, ""
    if asserted is not None:
        if asserted not in PAYLOAD_KINDS:
            raise ValueError(f"payload_kind must be one of {PAYLOAD_KINDS!r} or None, got {asserted!r}")
        if internal != "JSONField":
            raise ValueError(f"payload_kind={asserted!r} needs a payload whose output_field is a JSONField, "
                             f"got {internal or 'an unknown field'}")
        return asserted
    if internal in _INT_TYPES and not getattr(field, "null", True):
        return "int"
    return "any"


def _ordering(qs: Any) -> list[OrderBy]:
    """The queryset's ``order_by`` (or its model's ``Meta.ordering``) as ``OrderBy`` expressions.

    ``"?"`` (random) has no reproducible order and is left out.
    """
    query = qs.query
    if query.order_by:
        items = query.order_by
    elif query.default_ordering and qs.model._meta.ordering:
        items = qs.model._meta.ordering
    else:
        return []
    out = []
    for item in items:
        if isinstance(item, str):
            if item == "?":
                continue
            out.append(F(item[1:]).desc() if item.startswith("-") else F(item).asc())
        else:
            out.append(item if isinstance(item, OrderBy) else item.asc())
    return out


def _never_null(qs: Any, expr: Any) -> bool:
    """True if ``expr`` (resolved on ``qs``) is a non-null column read through inner joins only."""
    if not isinstance(expr, Col) or getattr(expr.target, "null", True):
        return False
    join = qs.query.alias_map.get(expr.alias)
    return join is None or getattr(join, "join_type", INNER) == INNER


def _base_relation(qs: Any, exprs: Mapping[str, Any], payload_kind: str | None = None) -> _Rel:
    """The queryset as a relation of canonical columns.

    Tie order: ``er_o0`` is the row's position in the queryset's own order
    (``ROW_NUMBER() OVER (ORDER BY <order_by>, pk)``), as the reference
    reads a queryset in its order and sorts stably; without an ``order_by``
    it is the primary key (a documented, deterministic order). An empty
    queryset (``filter(id__in=[])``, ``none()``) compiles to ``WHERE 0 = 1``
    instead of raising ``EmptyResultSet``.
    """
    from django.core.exceptions import FieldError

    annotations: dict[str, Any] = {}
    for key in CANONICAL:
        if key in exprs:
            annotations[_COL[key]] = exprs[key]
        elif key == "payload":
            annotations[_COL[key]] = Value(None, output_field=GENERIC)
        else:
            annotations[_COL[key]] = Value(0 if key in ("x1", "y1") else 1)
    ordering = _ordering(qs)
    annotations["er_o0"] = Window(RowNumber(), order_by=[*ordering, F("pk").asc()]) if ordering else F("pk")
    try:
        vqs = qs.order_by().annotate(**annotations).values_list(*annotations)
        query = vqs.query
        sql, params = query.get_compiler(using=vqs.db, elide_empty=False).as_sql()
    except FieldError as exc:
        raise ValueError(f"schema does not match {qs.model.__name__}: {exc}") from exc
    connection = connections[vqs.db]
    resolved = query.annotations
    types = {}
    for axis in ("t", "x", "y"):
        lo, hi = _field_type(resolved[f"er_{axis}1"]), _field_type(resolved[f"er_{axis}2"])
        kind = "int" if lo == hi == "int" else ("float" if "any" not in (lo, hi) else "any")
        types[f"{axis}1"] = types[f"{axis}2"] = kind
    converters = {}
    for key in ("domain", "payload"):
        expr = resolved[_COL[key]]
        convs = connection.ops.get_db_converters(expr) + expr.get_db_converters(connection)
        if convs:
            converters[key] = (tuple(convs), expr)
    kind = _payload_kind(resolved[_COL["payload"]], payload_kind)
    return _Rel(sql, tuple(params), vqs.db, types, ("er_o0",), converters=converters, payload_kind=kind,
                domain_null=not _never_null(vqs, resolved["er_d"]))


# ---------------------------------------------------------------- steps
@dataclass(frozen=True)
class Step:
    """One operation: its name, arguments, and where it runs."""

    op: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()

    def call_repr(self) -> str:
        args = [repr(a) if not isinstance(a, IntervalQuery) else "<IntervalQuery>" for a in self.args]
        args += [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.op}({', '.join(args)})"


@dataclass
class _Plan:
    rel: _Rel
    sql_steps: int
    notes: list[tuple[Step, str, str]]  # (step, "SQL"/"Python", why)


def _other_relation(other: Any) -> _Rel:
    if isinstance(other, IntervalQuery):
        plan = other._plan()
        if plan.sql_steps < len(other._steps):
            raise NotPushable("the other query has steps that run in Python")
        return plan.rel
    raise NotPushable(f"the other side is {type(other).__name__}, not an IntervalQuery")


def _same_db(rel: _Rel, other: _Rel) -> None:
    if rel.using != other.using:
        raise NotPushable(f"the two sides live in different databases ({rel.using!r}, {other.using!r})")


def _same_domain(rel: _Rel, other: _Rel, left: Expression, right: Expression) -> Any:
    """``right = left`` on domains; ``IS NOT DISTINCT FROM`` when either may be NULL."""
    return (NotDistinctFrom if rel.domain_null or other.domain_null else Exact)(right, left)


def _binary_conditions(rel: _Rel, other: _Rel, predicate: Any, time_window: Any) -> list[Any]:
    left, right = rel.cols("r"), other.cols("o")
    conds = [_same_domain(rel, other, left["domain"], right["domain"]), compile_binary(predicate, left, right)]
    conds += band_conditions(predicate, left, right)
    if time_window is not None:
        if isinstance(time_window, bool) or not isinstance(time_window, (int, float)):
            raise NotPushable(f"time_window={time_window!r} is not a plain number")
        w = num(time_window)
        conds.append(GreaterThanOrEqual(right["t2"], arith(left["t1"], "-", w)))
        conds.append(LessThanOrEqual(arith(right["t1"], "-", w), left["t2"]))
    return conds


def _where(rel: _Rel, conds: list[Any]) -> tuple[str, list[Any]]:
    from django.db.models.sql.where import AND, WhereNode

    return _compile(rel, WhereNode(conds, connector=AND))


def _settled_types(*rels: _Rel) -> None:
    """Refuse a step that combines bound types when one depends on the data (``float_if``)."""
    if any(r.float_if for r in rels):
        raise NotPushable("a bound's type depends on whether a union's float side is empty (decided in Python)")


def _check_number(name: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NotPushable(f"{name}={value!r} is not a plain number")
    return value


class _Builder:
    """SQL forms of each step: ``op(rel, *args, **kwargs) -> _Rel``."""

    @staticmethod
    def filter(rel: _Rel, predicate: Any) -> _Rel:
        cond = compile_unary(predicate, rel.cols("r"))
        where, params = _where(rel, [cond])
        return _step(rel, f"SELECT * FROM {_wrap(rel, 'r')} WHERE {where}", params)

    @staticmethod
    def filter_size(rel: _Rel, min_size: Any = 0, max_size: Any = INFTY, axis: str = "T") -> _Rel:
        if axis not in _AXES:
            raise NotPushable(f"axis={axis!r} is not T, X or Y (Python raises the error)")
        _check_number("min_size", min_size)
        lo, hi = _AXES[axis]
        c = rel.cols("r")
        size = arith(c[hi], "-", c[lo])
        conds = [GreaterThanOrEqual(size, num(min_size))]
        if not (max_size is None or max_size == INFTY or max_size == float("inf")):
            conds.append(LessThanOrEqual(size, num(_check_number("max_size", max_size))))
        where, params = _where(rel, conds)
        return _step(rel, f"SELECT * FROM {_wrap(rel, 'r')} WHERE {where}", params)

    @staticmethod
    def dilate(rel: _Rel, window: Any, axis: str = "T") -> _Rel:
        if axis not in _AXES:
            raise NotPushable(f"axis={axis!r} is not T, X or Y (Python raises the error)")
        _check_number("window", window)
        lo, hi = _AXES[axis]
        c = rel.cols("r")
        new_lo = arith(c[lo], "-", num(window))
        new_hi = arith(c[hi], "+", num(window))
        items = [(new_lo, _COL[lo]) if col == _COL[lo] else (new_hi, _COL[hi]) if col == _COL[hi] else (RelCol("r", col), col)
                 for col in rel.columns()]
        select, p1 = _select_list(rel, items)
        where, p2 = _where(rel, [LessThanOrEqual(new_lo, new_hi)])
        types, float_if = dict(rel.types), dict(rel.float_if)
        if isinstance(window, float):
            types[lo] = types[hi] = "float"
            float_if.pop(lo, None)
            float_if.pop(hi, None)
        return _step(rel, f"SELECT {select} FROM {_wrap(rel, 'r')} WHERE {where}", (*p1, *p2),
                     types=types, float_if=float_if)

    @staticmethod
    def filter_against(rel: _Rel, other: Any, predicate: Any, time_window: Any = None) -> _Rel:
        o = _other_relation(other)
        _same_db(rel, o)
        where, params = _where(rel, _binary_conditions(rel, o, predicate, time_window))
        sql = f"SELECT * FROM {_wrap(rel, 'r')} WHERE EXISTS (SELECT 1 FROM {_wrap(o, 'o')} WHERE {where})"
        return _step(rel, sql, params, o)

    @staticmethod
    def _pairs(rel: _Rel, other: Any, predicate: Any, time_window: Any, kind: str, side: str) -> _Rel:
        o = _other_relation(other)
        _same_db(rel, o)
        if rel.payload != "plain" or o.payload != "plain":
            raise NotPushable("nested payloads are merged in Python")
        _settled_types(rel, o)
        left, right = rel.cols("r"), o.cols("o")
        items: list[tuple[Any, str]] = [(left["domain"], "er_d")]
        for axis in ("t", "x", "y"):
            lo, hi = f"{axis}1", f"{axis}2"
            if kind == "overlap_time" and axis == "t":
                items += [(Greatest(left[lo], right[lo]), _COL[lo]), (Least(left[hi], right[hi]), _COL[hi])]
            else:
                items += [(Least(left[lo], right[lo]), _COL[lo]), (Greatest(left[hi], right[hi]), _COL[hi])]
        items.append(((left if side == "left" else right)["payload"], "er_p"))
        order = []
        for alias, r in (("r", rel), ("o", o)):
            for key in _sort_keys(r, alias):
                name = f"er_o{len(order)}"
                items.append((key, name))
                order.append(name)
        select, p1 = _select_list(rel, items)
        where, p2 = _where(rel, _binary_conditions(rel, o, predicate, time_window))
        types = {b: ("int" if rel.types[b] == o.types[b] == "int" else "float") for b in BOUNDS}
        converters = dict(rel.converters)
        if side == "right":
            converters.pop("payload", None)
            if "payload" in o.converters:
                converters["payload"] = o.converters["payload"]
        sql = f"SELECT {select} FROM {_wrap(rel, 'r')} INNER JOIN {_wrap(o, 'o')} ON {where}"
        return _step(rel, sql, (*p1, *p2), o, types=types, order=tuple(order), converters=converters,
                     payload_kind=(rel if side == "left" else o).payload_kind)

    @classmethod
    def merge(cls, rel: _Rel, other: Any, predicate: Any, payload_merge_op: Any = payload_first, time_window: Any = None) -> _Rel:
        return cls._pairs(rel, other, predicate, time_window, "span", merge_payload_side(payload_merge_op))

    @classmethod
    def join(cls, rel: _Rel, other: Any, predicate: Any, merge_op: Any, time_window: Any = None) -> _Rel:
        if not isinstance(merge_op, JoinMerge):
            raise NotPushable(f"merge_op {merge_op!r} is a Python callable (use span_merge/overlap_time_merge)")
        spec = describe(predicate)
        if merge_op.kind == "overlap_time" and not (spec.kind == "temporal" and spec.axis == "t" and spec.relation == "overlaps"):
            raise NotPushable("overlap_time_merge compiles only with predicate T(overlaps())")
        o = _other_relation(other)
        if any((rel.types[b] == "int") != (o.types[b] == "int") for b in BOUNDS):
            raise NotPushable("join of int and float bounds keeps per-value types in Python")
        return cls._pairs(rel, other, predicate, time_window, merge_op.kind, merge_payload_side(merge_op.payload_merge_op))

    @staticmethod
    def _members(rel: _Rel, alias: str) -> Expression:
        c = rel.cols(alias)
        payload = JSONValue(c["payload"]) if _json_payload(rel) else c["payload"]
        values = [ExactFloat(c[b]) for b in BOUNDS] + [payload] + [RelCol(alias, o) for o in rel.order]
        return JSONGroupArray(JSONRow(*values))

    @staticmethod
    def _nested(rel: _Rel) -> _Nested:
        """How to decode members of ``rel``: its types, order width and own payload converters."""
        _settled_types(rel)
        entry = rel.converters.get("payload")
        convs, expr = entry if entry is not None and not _json_payload(rel) else ((), None)
        return _Nested(dict(rel.types), len(rel.order), tuple(convs), expr)

    @classmethod
    def collect_by_interval(cls, rel: _Rel, other: Any, predicate: Any, filter_empty: bool = True, time_window: Any = None) -> _Rel:
        o = _other_relation(other)
        _same_db(rel, o)
        if rel.payload != "plain" or o.payload != "plain":
            raise NotPushable("nested payloads are collected in Python")
        where, p_where = _where(rel, _binary_conditions(rel, o, predicate, time_window))
        agg, p_agg = _compile(rel, cls._members(o, "o"))
        select, p_sel = _select_list(rel, _passthrough(rel, "r"))
        sql = (f"SELECT {select}, (SELECT {agg} FROM {_wrap(o, 'o')} WHERE {where}) AS {_q(rel, 'er_n')} "
               f"FROM {_wrap(rel, 'r')}")
        params = [*p_sel, *p_agg, *p_where]
        if filter_empty:
            sql += f" WHERE EXISTS (SELECT 1 FROM {_wrap(o, 'o')} WHERE {where})"
            params += p_where
        return _step(rel, sql, params, o, payload="collect", nested=cls._nested(o), extra=("er_n",),
                     payload_kind="any")

    @classmethod
    def group_by_time(cls, rel: _Rel) -> _Rel:
        if rel.payload != "plain":
            raise NotPushable("grouping nested payloads runs in Python")
        c = rel.cols("r")
        items = [(c["domain"], "er_d"), (c["t1"], "er_t1"), (c["t2"], "er_t2"),
                 (Value(0), "er_x1"), (Value(1), "er_x2"), (Value(0), "er_y1"), (Value(1), "er_y2"),
                 (cls._members(rel, "r"), "er_p")]
        nested = cls._nested(rel)
        select, params = _select_list(rel, items)
        q = lambda n: f"{_q(rel, 'r')}.{_q(rel, n)}"  # noqa: E731
        sql = f"SELECT {select} FROM {_wrap(rel, 'r')} GROUP BY {q('er_d')}, {q('er_t1')}, {q('er_t2')}"
        types = {**rel.types, "x1": "int", "x2": "int", "y1": "int", "y2": "int"}
        converters = {k: v for k, v in rel.converters.items() if k == "domain"}
        return _step(rel, sql, params, types=types, order=(), payload="group", nested=nested, extra=(),
                     converters=converters, checks=rel.checks, flat=rel, payload_kind="any")

    @classmethod
    def temporal_coalesce(cls, rel: _Rel, payload_merge_op: Any = payload_first, epsilon: Any = 0) -> _Rel:
        plus = payload_merge_op is not None and merge_op_name(payload_merge_op) == "payload_plus"
        if plus:
            if rel.payload != "plain" or rel.extra or rel.payload_kind not in ("int", "list"):
                raise NotPushable("temporal_coalesce with payload_plus compiles only for non-null integer "
                                  "payloads or JSON list payloads (payload_kind='list')")
        elif payload_merge_op is not None and merge_payload_side(payload_merge_op) != "left":
            raise NotPushable("temporal_coalesce compiles only with payload_first (or payload_plus over "
                              "integer or JSON list payloads)")
        _check_number("epsilon", epsilon)
        if epsilon < 0:
            raise NotPushable("negative epsilon (Python raises the error)")
        if rel.extra:
            raise NotPushable("coalescing collected payloads runs in Python")
        q = lambda a, n: f"{_q(rel, a)}.{_q(rel, n)}"  # noqa: E731
        keys = lambda a: ", ".join(q(a, n) for n in [*(_COL[b] for b in BOUNDS), *rel.order])  # noqa: E731
        vendor = rel.connection.vendor
        list_kind = plus and rel.payload_kind == "list"
        # 1. running max of t2 over the earlier rows of the domain
        prev_max = Window(Max(RelCol("r", "er_t2")), partition_by=[RelCol("r", "er_d")],
                          order_by=_sort_keys(rel, "r"), frame=RowRange(start=None, end=-1))
        s1, p1 = _compile(rel, prev_max)
        sql1 = f"SELECT {_q(rel, 'r')}.*, {s1} AS {_q(rel, 'er_pm')} FROM {_wrap(rel, 'r')}"
        # 2. island number: running count of rows starting a new island
        gap = arith(RelCol("s", "er_t1", rel.types["t1"]), "-", RelCol("s", "er_pm", rel.types["t2"]))
        flag = Case(When(IsNull(RelCol("s", "er_pm"), True), then=Value(1)),
                    When(GreaterThan(gap, num(epsilon)), then=Value(1)), default=Value(0))
        island = Window(Sum(flag), partition_by=[RelCol("s", "er_d")], order_by=_sort_keys(rel, "s"),
                        frame=RowRange(start=None, end=0))
        s2, p2 = _compile(rel, island)
        sql2 = f"SELECT {_q(rel, 's')}.*, {s2} AS {_q(rel, 'er_isl')} FROM ({sql1}) {_q(rel, 's')}"
        # 3. the first row's payload, repeated over its island (SQLite list concatenation: the
        #    island's arrays' inner texts joined in row order, repeated over the island)
        if list_kind and vendor != "postgresql":
            body = f"json({q('g', 'er_p')})"
            inner = f"NULLIF(SUBSTR({body}, 2, LENGTH({body}) - 2), '')"
            s3, p3 = (f"GROUP_CONCAT({inner}, ',') OVER (PARTITION BY {q('g', 'er_d')}, {q('g', 'er_isl')} "
                      f"ORDER BY {keys('g')} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"), []
        elif not plus:
            first = Window(FirstValue(RelCol("g", "er_p")), partition_by=[RelCol("g", "er_d"), RelCol("g", "er_isl")],
                           order_by=_sort_keys(rel, "g"))
            s3, p3 = _compile(rel, first)
        else:
            s3, p3 = "", []
        sql3 = f"SELECT {_q(rel, 'g')}.*, {s3} AS {_q(rel, 'er_fp')} FROM ({sql2}) {_q(rel, 'g')}" if s3 else sql2
        # 4. one row per island: its bounding volume and merged payload
        h = lambda n: RelCol("h", n)  # noqa: E731
        items = [(h("er_d"), "er_d"), (Min(h("er_t1")), "er_t1"), (Max(h("er_t2")), "er_t2"),
                 (Min(h("er_x1")), "er_x1"), (Max(h("er_x2")), "er_x2"),
                 (Min(h("er_y1")), "er_y1"), (Max(h("er_y2")), "er_y2")]
        if not plus:
            items.append((FirstOf(h("er_fp")), "er_p"))
        select, p4 = _select_list(rel, items)
        source = f"({sql3}) {_q(rel, 'h')}"
        # an island of NULL payloads stays NULL (as a lone NULL row does in Python)
        if plus and not list_kind:
            total = f"SUM({q('h', 'er_p')})"
            select += f", {f'CAST({total} AS BIGINT)' if vendor == 'postgresql' else total} AS {_q(rel, 'er_p')}"
        elif list_kind and vendor == "postgresql":
            e = lambda n: q("e", n)  # noqa: E731
            select += (f", CASE WHEN COUNT({q('h', 'er_p')}) = 0 THEN NULL ELSE COALESCE(JSONB_AGG({e('v')} "
                       f"ORDER BY {keys('h')}, {e('n')}) FILTER (WHERE {e('n')} IS NOT NULL), '[]'::jsonb) END "
                       f"AS {_q(rel, 'er_p')}")
            source += (f" LEFT JOIN LATERAL JSONB_ARRAY_ELEMENTS(({q('h', 'er_p')})::jsonb) WITH ORDINALITY "
                       f"AS {_q(rel, 'e')}({_q(rel, 'v')}, {_q(rel, 'n')}) ON TRUE")
        elif list_kind:
            select += (f", CASE WHEN COUNT({q('h', 'er_p')}) = 0 THEN NULL "
                       f"ELSE '[' || COALESCE(MIN({q('h', 'er_fp')}), '') || ']' END AS {_q(rel, 'er_p')}")
        sql = f"SELECT {select} FROM {source} GROUP BY {q('h', 'er_d')}, {q('h', 'er_isl')}"
        return _step(rel, sql, (*p4, *p3, *p2, *p1), order=())

    @staticmethod
    def union(rel: _Rel, other: Any) -> _Rel:
        o = _other_relation(other)
        _same_db(rel, o)
        if rel.payload != "plain" or o.payload != "plain" or rel.extra or o.extra:
            raise NotPushable("union of nested payloads runs in Python")
        if rel.converters != o.converters:
            raise NotPushable("the two sides' domains or payloads have different types")
        _settled_types(rel, o)
        n = max(len(rel.order), len(o.order))
        types = {b: ("int" if rel.types[b] == o.types[b] == "int" else "float") for b in BOUNDS}
        # In memory an empty side does not take part in the result's dtype.
        float_if = {b: (rel if rel.types[b] == "float" else o).statement(lambda name: f"SELECT 1 FROM {name} LIMIT 1")
                    for b in BOUNDS if {rel.types[b], o.types[b]} == {"int", "float"}}
        parts, params = [], []
        for side, (alias, r) in enumerate((("r", rel), ("o", o))):
            c = r.cols(alias)
            items: list[tuple[Any, str]] = [(c["domain"], "er_d")]
            for b in BOUNDS:
                expr = c[b] if types[b] == "int" or r.types[b] == "float" else Cast(c[b], FloatField())
                items.append((expr, _COL[b]))
            items.append((c["payload"], "er_p"))
            items.append((Value(side), "er_o0"))
            for k in range(n):
                items.append((RelCol(alias, r.order[k]) if k < len(r.order) else Value(0), f"er_o{k + 1}"))
            select, p = _select_list(r, items)
            parts.append(f"SELECT {select} FROM {_wrap(r, alias)}")
            params += p
        kind = rel.payload_kind if rel.payload_kind == o.payload_kind else "any"
        return _step(rel, " UNION ALL ".join(parts), params, o, types=types, float_if=float_if,
                     order=tuple(f"er_o{k}" for k in range(n + 1)), payload_kind=kind,
                     domain_null=rel.domain_null or o.domain_null)


    @staticmethod
    def minus(rel: _Rel, other: Any) -> _Rel:
        """Temporal difference, as ``kernels.minus_pieces`` computes it.

        The other side's positive-length ranges become disjoint islands per
        domain (gaps-and-islands; touching ranges merge), the islands the
        closed gaps between them (``g1`` NULL before the first island,
        ``g2`` NULL after the last). A positive-length row yields its
        intersection with each gap it overlaps with positive length; a row
        in a domain without islands is kept whole, as is a zero-length row
        that no island covers (bounds included). The pieces' tie order is
        their source row's order: its original ``(t1, t2)``, then its order
        columns. The full-frame rule on the other side is a ``_Check``.
        """
        o = _other_relation(other)
        _same_db(rel, o)
        if "any" in (rel.types["t1"], rel.types["t2"], o.types["t1"], o.types["t2"]):
            raise NotPushable("minus of time bounds of undeclared type keeps per-value types in Python")
        if rel.converters.get("domain") != o.converters.get("domain"):
            raise NotPushable("the two sides' domains have different types")
        _settled_types(rel, o)
        qn = lambda n: _q(rel, n)  # noqa: E731
        c = lambda a, n: f"{qn(a)}.{qn(n)}"  # noqa: E731
        frame_prev = "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
        frame_cur = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
        s1 = (f"SELECT {c('o', 'er_d')} AS {qn('d')}, {c('o', 'er_t1')} AS {qn('t1')}, {c('o', 'er_t2')} AS {qn('t2')}, "
              f"MAX({c('o', 'er_t2')}) OVER (PARTITION BY {c('o', 'er_d')} ORDER BY {c('o', 'er_t1')}, {c('o', 'er_t2')} "
              f"{frame_prev}) AS {qn('pm')} FROM {_wrap(o, 'o')} WHERE {c('o', 'er_t2')} > {c('o', 'er_t1')}")
        s2 = (f"SELECT {c('s', 'd')} AS {qn('d')}, {c('s', 't1')} AS {qn('t1')}, {c('s', 't2')} AS {qn('t2')}, "
              f"SUM(CASE WHEN {c('s', 'pm')} IS NULL OR {c('s', 't1')} > {c('s', 'pm')} THEN 1 ELSE 0 END) "
              f"OVER (PARTITION BY {c('s', 'd')} ORDER BY {c('s', 't1')}, {c('s', 't2')} {frame_cur}) AS {qn('k')} "
              f"FROM ({s1}) {qn('s')}")
        islands = (f"SELECT {c('s', 'd')} AS {qn('d')}, MIN({c('s', 't1')}) AS {qn('b1')}, MAX({c('s', 't2')}) AS {qn('b2')} "
                   f"FROM ({s2}) {qn('s')} GROUP BY {c('s', 'd')}, {c('s', 'k')}")
        isl_cte = _cte(islands, (), "er_isl", inline=False)
        isl = qn(isl_cte.name)
        gap_sql = (f"SELECT {c('i', 'd')} AS {qn('d')}, LAG({c('i', 'b2')}) OVER (PARTITION BY {c('i', 'd')} "
                   f"ORDER BY {c('i', 'b1')}) AS {qn('g1')}, {c('i', 'b1')} AS {qn('g2')} FROM {isl} {qn('i')} "
                   f"UNION ALL SELECT {c('i', 'd')}, MAX({c('i', 'b2')}), NULL FROM {isl} {qn('i')} GROUP BY {c('i', 'd')}")
        gap_cte = _cte(gap_sql, (), "er_gap", inline=False)
        gaps = qn(gap_cte.name)
        same = lambda a, n: _compile(rel, _same_domain(rel, o, RelCol("r", "er_d"), RelCol(a, n)))[0]  # noqa: E731
        taken = set(rel.columns())
        fresh = [f"er_o{k}" for k in range(len(taken) + 2) if f"er_o{k}" not in taken][:2]
        g1, g2, t1, t2 = c("g", "g1"), c("g", "g2"), c("r", "er_t1"), c("r", "er_t2")
        piece = {"er_t1": f"CASE WHEN {g1} IS NOT NULL AND {g1} > {t1} THEN {g1} ELSE {t1} END",
                 "er_t2": f"CASE WHEN {g2} IS NOT NULL AND {g2} < {t2} THEN {g2} ELSE {t2} END"}
        cut = ", ".join(f"{piece.get(n, c('r', n))} AS {qn(n)}" for n in rel.columns())
        whole = ", ".join(f"{c('r', n)} AS {qn(n)}" for n in rel.columns())
        src = f"{t1} AS {qn(fresh[0])}, {t2} AS {qn(fresh[1])}"
        pieces = (f"SELECT {cut}, {src} FROM {_wrap(rel, 'r')} INNER JOIN {gaps} {qn('g')} "
                  f"ON {same('g', 'd')} AND {t1} < {t2} "
                  f"AND ({g1} IS NULL OR {g1} < {t2}) AND ({g2} IS NULL OR {g2} > {t1})")
        kept = (f"SELECT {whole}, {src} FROM {_wrap(rel, 'r')} WHERE NOT EXISTS (SELECT 1 FROM {isl} {qn('i')} "
                f"WHERE {same('i', 'd')} AND ({t1} < {t2} OR ({c('i', 'b1')} <= {t1} AND {t1} <= {c('i', 'b2')})))")
        sql = f"{pieces} UNION ALL {kept}"
        kind = "int" if rel.types["t1"] == o.types["t1"] == "int" else "float"
        types = {**rel.types, "t1": kind, "t2": kind}
        bad = " OR ".join(f"{c('o', f'er_{b}')} <> {v}" for b, v in (("x1", 0), ("x2", 1), ("y1", 0), ("y2", 1)))
        first = ", ".join(c("o", n) for n in ["er_d", *(_COL[b] for b in BOUNDS), *o.order])
        cols = ", ".join(c("o", _COL[k]) for k in CANONICAL[1:])
        check_sql, check_params = o.statement(
            lambda name: f"SELECT {cols} FROM {name} {qn('o')} WHERE {bad} ORDER BY {first} LIMIT 1")
        check = _Check(check_sql, tuple(check_params), o)
        rel = _step(rel, sql, (), o, types=types, order=(*fresh, *rel.order), checks=(*rel.checks, *o.checks, check))
        return replace(rel, ctes=_merge_ctes(rel.ctes, (isl_cte, gap_cte)))


# ---------------------------------------------------------------- decoding
def _convert(rel: _Rel, key: str, value: Any) -> Any:
    entry = rel.converters.get(key)
    if entry is None:
        return value
    convs, expr = entry
    for conv in convs:
        value = conv(value, expr, rel.connection)
    return value


def _typed(value: Any, kind: str) -> Any:
    if kind == "int":
        return int(value)
    if kind == "float" or isinstance(value, str):
        return float(value)
    return value


def _decode_members(rel: _Rel, raw: Any) -> IntervalSet3D:
    """A JSON array of member rows (bounds, payload, order columns) as a sorted IntervalSet3D.

    On SQLite a member payload is the raw column value inside the JSON, so
    the members' own converters (dates, booleans...) apply; PostgreSQL's
    JSON constructors already produce the JSON values.
    """
    nested = rel.nested
    if nested is None:
        raise TypeError(f"the relation's payload is {rel.payload!r}, not nested member rows")
    rows = json.loads(raw) if isinstance(raw, str) else (raw or [])
    if not rows:
        return IntervalSet3D()
    types = nested.types
    rows = [[*(_typed(v, types[b]) for v, b in zip(row[:6], BOUNDS)), *row[6:]] for row in rows]
    rows.sort(key=lambda row: (row[:6], row[7:]))
    payloads = [row[6] for row in rows]
    if nested.converters and rel.connection.vendor == "sqlite":
        for conv in nested.converters:
            payloads = [conv(p, nested.expr, rel.connection) for p in payloads]
    cols = Columns.from_bounds(*zip(*[row[:6] for row in rows]), payload=payloads)
    return IntervalSet3D._from_columns(cols, presorted=True)


def _bound_column(values: Sequence[Any], kind: str) -> Any:
    if kind == "int":
        return np.asarray(values, dtype=np.int64) if values and type(values[0]) is int else np.asarray([int(v) for v in values], dtype=np.int64)
    if kind == "float":
        return np.asarray([_typed(v, "float") for v in values], dtype=np.float64) if values and isinstance(values[0], str) else np.asarray(values, dtype=np.float64)
    return list(values)


def _decode_chunk(rel: _Rel, raw: list[tuple[Any, ...]]) -> list[Any]:
    """One fetched chunk as typed columns (``CANONICAL`` order), decoded per column."""
    cols = list(zip(*raw))
    dom = cols[0]
    if "domain" in rel.converters:
        dom = [_convert(rel, "domain", v) for v in dom]
    bounds = [_bound_column(col, rel.types[b]) for col, b in zip(cols[1:7], BOUNDS)]
    if rel.payload == "group":
        payload = [_decode_members(rel, v) for v in cols[7]]
    elif rel.payload == "collect":
        payload = [(_convert(rel, "payload", p), _decode_members(rel, n)) for p, n in zip(cols[7], cols[8])]
    elif "payload" in rel.converters:
        payload = [_convert(rel, "payload", v) for v in cols[7]]
    else:
        payload = list(cols[7])
    return [dom, *bounds, payload]


def _settle_types(rel: _Rel) -> _Rel:
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


def _fetch(rel: _Rel, progress: bool = False) -> DomainIntervalCollection:
    """Run the relation and build its collection (ordered by domain, bounds, order columns)."""
    from .materialize import CHUNK_SIZE, column_chunks_to_collection

    _run_checks(rel)
    rel = _settle_types(rel)
    names = [_COL[c] for c in CANONICAL] + list(rel.extra)
    select = ", ".join(f"{_q(rel, 'r')}.{_q(rel, n)}" for n in names)
    order = ", ".join(f"{_q(rel, 'r')}.{_q(rel, n)}" for n in ["er_d", *(_COL[b] for b in BOUNDS), *rel.order])
    sql, params = rel.statement(lambda name: f"SELECT {select} FROM {name} {_q(rel, 'r')} ORDER BY {order}")
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


def _after_step(rel: _Rel, step: Step) -> _Rel:
    """Carry the other sides' checks; keep ``flat`` only on group_by_time's own relation."""
    checks = list(rel.checks)
    for arg in step.args:
        if isinstance(arg, IntervalQuery):
            checks += [ch for ch in arg._plan().rel.checks if ch not in checks]
    flat = rel.flat if step.op == "group_by_time" else None
    return replace(rel, checks=tuple(checks), flat=flat)


def _run_checks(rel: _Rel) -> None:
    """Raise the in-memory error if a check query returns a row."""
    from ..intervals.interval import Interval3D
    from ..intervals.interval_set import NotFullFrameError

    for check in rel.checks:
        with rel.connection.cursor() as cursor:
            cursor.execute(check.sql, check.params)
            row = cursor.fetchone()
        if row is not None:
            o = check.other
            b = [_typed(v, o.types[k]) if o.types[k] != "any" else v for v, k in zip(row[:6], BOUNDS)]
            bad = Interval3D((b[0], b[1]), (b[2], b[3]), (b[4], b[5]), _convert(o, "payload", row[6]))
            raise NotFullFrameError(
                f"minus subtracts only full-frame intervals (x=(0, 1), y=(0, 1)), got {bad!r}")


# ---------------------------------------------------------------- the query
#: Steps that keep each surviving row's payload: a filter on nested payloads commutes with them.
_ROW_WISE = ("filter", "filter_size", "dilate", "filter_against")
_PYTHON_ONLY = ("map", "map_payload", "split", "group_by", "fold_to_set", "add_domain_to_payload")


class IntervalQuery:
    """A lazy, immutable interval query over a queryset.

    Every operation returns a new query with one more step. ``collect()``
    runs it: steps with a SQL form run in the database; from the first step
    without one, the rest run in Python on the materialised collection.

    Example:
        >>> q = interval_query(Face.objects.all(), schema).filter(XY(height_at_least(0.2)))
        >>> q.filter_against(commercials, T(overlaps())).collect()  # doctest: +SKIP
    """

    def __init__(self, qs: Any, schema: Any = None, steps: tuple[Step, ...] = (), payload_kind: str | None = None,
                 nested_filter: Callable[[Any, Any], Any] | None = None) -> None:
        """Build the query of ``qs`` under ``schema`` (validated here).

        ``payload_kind="list"`` asserts that the payload (whose output field
        must be a JSONField) holds JSON lists, so ``temporal_coalesce(
        payload_plus)`` concatenates them in SQL; None infers ``"int"`` for a
        non-null integer payload and otherwise knows nothing.

        ``nested_filter(qs, predicate) -> qs | None`` lets a source whose
        payloads are nested sets kept as rows (a stored collection) run a
        ``filter`` on them as a filter of ``qs``: it applies to the
        ``filter`` steps before any step that changes rows' payloads.

        Raises:
            ValueError: a schema field that does not exist on the model, or
                ``payload_kind="list"`` on a payload that is not a JSONField.
            TypeError: a schema that is not an IntervalSchema or mapping.
        """
        if schema is None:
            schema = schema_for_queryset(qs)
        self._qs = qs
        self._schema = schema
        self._exprs = _schema_expressions(qs, schema)
        self._payload_kind = payload_kind
        self._nested_filter = nested_filter
        self._base = _base_relation(qs, self._exprs, payload_kind)
        self._steps = tuple(steps)

    def _clone(self, step: Step) -> IntervalQuery:
        obj = IntervalQuery.__new__(IntervalQuery)
        obj.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_planned"})
        obj._steps = (*self._steps, step)
        return obj

    def _add(self, op: str, *args: Any, **kwargs: Any) -> IntervalQuery:
        return self._clone(Step(op, args, tuple(kwargs.items())))

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps so far."""
        return self._steps

    # -- the collection's operations ---------------------------------------
    def filter(self, predicate: Any) -> IntervalQuery:
        """Lazy ``DomainIntervalCollection.filter``."""
        return self._add("filter", predicate)

    def filter_size(self, min_size: Any = 0, max_size: Any = INFTY, axis: str = "T") -> IntervalQuery:
        """Lazy ``filter_size``."""
        return self._add("filter_size", min_size, max_size, axis)

    def dilate(self, window: Any, axis: str = "T") -> IntervalQuery:
        """Lazy ``dilate`` (negative erodes, dropping inverted intervals)."""
        return self._add("dilate", window, axis)

    def filter_against(self, other: Any, predicate: Any, time_window: Any = None) -> IntervalQuery:
        """Lazy ``filter_against`` (correlated ``EXISTS`` on the same domain)."""
        return self._add("filter_against", other, predicate, time_window)

    def join(self, other: Any, predicate: Any, merge_op: Callable[..., Any], time_window: Any = None) -> IntervalQuery:
        """Lazy ``join``; SQL for ``span_merge``/``overlap_time_merge`` merge ops."""
        return self._add("join", other, predicate, merge_op, time_window)

    def merge(self, other: Any, predicate: Any, payload_merge_op: Any = payload_first, time_window: Any = None) -> IntervalQuery:
        """Lazy ``merge``; SQL for ``payload_first``/``payload_second``."""
        return self._add("merge", other, predicate, payload_merge_op, time_window)

    def collect_by_interval(self, other: Any, predicate: Any, filter_empty: bool = True, time_window: Any = None) -> IntervalQuery:
        """Lazy ``collect_by_interval`` (a JSON-aggregating correlated subquery)."""
        return self._add("collect_by_interval", other, predicate, filter_empty, time_window)

    def temporal_coalesce(self, payload_merge_op: Any = payload_first, epsilon: Any = 0) -> IntervalQuery:
        """Lazy ``temporal_coalesce``; SQL (gaps-and-islands) for ``payload_first``, and for
        ``payload_plus`` over ``"int"``/``"list"`` payloads (see ``payload_kind``)."""
        return self._add("temporal_coalesce", payload_merge_op, epsilon)

    def group_by_time(self) -> IntervalQuery:
        """Lazy ``group_by_time`` (``GROUP BY`` with JSON-aggregated members)."""
        return self._add("group_by_time")

    def union(self, other: Any) -> IntervalQuery:
        """Lazy ``union`` (``UNION ALL``)."""
        return self._add("union", other)

    def minus(self, other: Any) -> IntervalQuery:
        """Lazy ``minus`` (SQL: islands of the other side, gaps, intersections)."""
        return self._add("minus", other)

    def map(self, map_fn: Callable[..., Any]) -> IntervalQuery:
        """Lazy ``map`` (Python)."""
        return self._add("map", map_fn)

    def map_payload(self, fn: Callable[[Any], Any]) -> IntervalQuery:
        """Lazy ``map_payload`` (Python)."""
        return self._add("map_payload", fn)

    def split(self, split_fn: Callable[..., Any]) -> IntervalQuery:
        """Lazy ``split`` (Python)."""
        return self._add("split", split_fn)

    def group_by(self, key: Callable[..., Any], merge: Callable[..., Any]) -> IntervalQuery:
        """Lazy ``group_by`` (Python)."""
        return self._add("group_by", key, merge)

    def fold_to_set(self, reducer: Callable[..., Any], init: Any = None, acc_to_set: Any = None, sort_key: Any = None) -> IntervalQuery:
        """Lazy ``fold_to_set`` (Python)."""
        return self._add("fold_to_set", reducer, init, acc_to_set, sort_key)

    def add_domain_to_payload(self) -> IntervalQuery:
        """Lazy ``add_domain_to_payload`` (Python)."""
        return self._add("add_domain_to_payload")

    # -- planning and running ----------------------------------------------
    def _plan(self) -> _Plan:
        """Where each step runs; computed once (the query is immutable, and a
        nested query is planned by each step that reads it)."""
        plan = self.__dict__.get("_planned")
        if plan is None:
            plan = self._planned = self._make_plan()
        return plan

    def _nested_filters(self) -> tuple[_Rel, set[int]]:
        """The base relation with the leading nested-set filters folded into its
        queryset, and the indices of the steps folded (see ``nested_filter``)."""
        if self._nested_filter is None:
            return self._base, set()
        qs, folded = self._qs, set()
        for i, step in enumerate(self._steps):
            if step.op not in _ROW_WISE:
                break
            if step.op == "filter":
                narrowed = self._nested_filter(qs, step.args[0])
                if narrowed is not None:
                    qs = narrowed
                    folded.add(i)
        if not folded:
            return self._base, folded
        return _base_relation(qs, self._exprs, self._payload_kind), folded

    def _make_plan(self) -> _Plan:
        rel, folded = self._nested_filters()
        notes: list[tuple[Step, str, str]] = []
        sql_steps = 0
        python_from: str | None = None
        for i, step in enumerate(self._steps):
            if i in folded:
                sql_steps += 1
                notes.append((step, "SQL", "over the nested sets' child rows"))
                continue
            if python_from is None:
                if step.op in _PYTHON_ONLY:
                    python_from = f"{step.op} has no SQL form"
                else:
                    try:
                        new = getattr(_Builder, step.op)(rel, *step.args, **dict(step.kwargs))
                    except NotPushable as exc:
                        python_from = str(exc)
                    else:
                        rel = _after_step(new, step)
                if python_from is None:
                    sql_steps += 1
                    notes.append((step, "SQL", ""))
                    continue
                notes.append((step, "Python", python_from))
            else:
                notes.append((step, "Python", "after a step that runs in Python"))
        return _Plan(rel, sql_steps, notes)

    def _run_plan(self) -> _Plan:
        """The plan ``collect()`` runs, as ``explain()``, ``repr`` and ``sql()`` report it.

        It is :meth:`_plan` except when ``group_by_time`` is the last step in
        SQL: then the members are fetched by the SQL of the steps before it,
        ordered by ``(domain, t1, t2, ...)``, and ``group_by_time`` runs in
        numpy on them (slicing one sorted ``Columns``: no JSON, no per-group
        decoding), so that step is reported as Python. The ``GROUP BY`` form
        serves when a later SQL step or another query reads this one.
        """
        plan = self._plan()
        if plan.rel.flat is None:
            return plan
        notes = list(plan.notes)
        k = plan.sql_steps - 1
        notes[k] = (notes[k][0], "Python", "grouped in numpy from the members the SQL fetches in time order")
        return _Plan(plan.rel.flat, k, notes)

    def collect(self, progress: bool = False, pushdown: bool = True) -> DomainIntervalCollection:
        """Run the query and return its ``DomainIntervalCollection``.

        Args:
            progress: show a progress bar while materialising.
            pushdown: False loads the queryset's intervals and runs every
                step in Python (the reference the SQL path must equal).
        """
        plan = self._run_plan()
        if not pushdown:
            plan = _Plan(self._base, 0, [(s, "Python", "pushdown=False") for s in self._steps])
        coll = _fetch(plan.rel, progress=progress)
        for step, where, _ in plan.notes:
            if where == "SQL":
                continue
            args = [a.collect(pushdown=pushdown) if isinstance(a, IntervalQuery) else a for a in step.args]
            coll = getattr(coll, step.op)(*args, **dict(step.kwargs))
        return coll

    def size(self) -> dict[Hashable, int]:
        """``{domain: number of intervals}`` (a ``GROUP BY`` when all steps are SQL)."""
        plan = self._plan()
        if plan.sql_steps < len(self._steps):
            return self.collect().size()
        rel = plan.rel
        _run_checks(rel)
        d = f"{_q(rel, 'r')}.{_q(rel, 'er_d')}"
        sql, params = rel.statement(lambda name: f"SELECT {d}, COUNT(*) FROM {name} {_q(rel, 'r')} GROUP BY {d}")
        with rel.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {_convert(rel, "domain", k): n for k, n in cursor.fetchall()}

    def count(self) -> int:
        """Total number of intervals (``COUNT(*)`` when all steps are SQL)."""
        plan = self._plan()
        if plan.sql_steps < len(self._steps):
            return sum(self.collect().size().values())
        rel = plan.rel
        _run_checks(rel)
        sql, params = rel.statement(lambda name: f"SELECT COUNT(*) FROM {name} {_q(rel, 'r')}")
        with rel.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])

    def sql(self) -> tuple[str, tuple[Any, ...]]:
        """The SQL (with placeholders) and parameters of the SQL part, as ``collect()`` runs it."""
        sql, params = self._run_plan().rel.statement()
        return sql, tuple(params)

    def explain(self, print_: bool = True) -> str:
        """The SQL of the SQL part and, per step, where it runs and why.

        On PostgreSQL the SQL is shown with its parameters bound by the
        driver (``cursor.mogrify``); elsewhere with the parameter list.
        """
        plan = self._run_plan()
        conn = plan.rel.connection
        sql, params = plan.rel.statement()
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                sql = cursor.mogrify(sql, params)
                sql = sql.decode() if isinstance(sql, bytes) else sql
            params_line = ""
        else:
            params_line = f"params: {list(params)!r}\n"
        lines = [repr(self), f"SQL ({conn.vendor}):", sql, params_line.rstrip("\n")]
        lines = [line for line in lines if line]
        lines.append("steps:")
        lines.append(f"  0. {self._qs.model.__name__} queryset -> intervals: SQL")
        for k, (step, where, why) in enumerate(plan.notes, 1):
            lines.append(f"  {k}. {step.call_repr()}: {where}" + (f" ({why})" if why else ""))
        text = "\n".join(lines)
        if print_:
            print(text)
        return text

    def __repr__(self) -> str:
        plan = self._run_plan()
        n = len(self._steps)
        return (f"<IntervalQuery {self._qs.model.__name__}: {n} step{'s' if n != 1 else ''} "
                f"({plan.sql_steps} SQL, {n - plan.sql_steps} Python)>")


def interval_query(qs: Any, schema: Any = None, payload_kind: str | None = None) -> IntervalQuery:
    """The lazy :class:`IntervalQuery` of any queryset under ``schema``.

    ``schema`` is an ``IntervalSchema`` or a mapping of canonical names
    (``domain, t1, t2, x1, x2, y1, y2, payload``) to field paths or
    expressions; None uses the model's default schema. ``payload_kind="list"``
    asserts JSON list payloads (see :class:`IntervalQuery`).
    """
    return IntervalQuery(qs, schema, payload_kind=payload_kind)
