"""Django expressions the built-ins lack, used by the pushdown compiler.

Provides:
    RelCol: a column of a derived relation (``"r"."er_t1"``), so predicates
        over derived tables compile through Django's own compiler.
    num: a bound parameter for a number, typed so that arithmetic stays in
        the same domain as numpy (``%s::double precision`` for floats on
        PostgreSQL, where an untyped ``0.5`` would be ``numeric``).
    ExactFloat: a float bound as JSON-safe exact text on SQLite
        (``printf('%!.17g', x)``; SQLite's ``json_array`` keeps only 15
        significant digits) and as itself on PostgreSQL (``float8out`` prints
        the shortest round-tripping digits).
    JSONGroupArray: ``JSON_AGG(expr)`` on PostgreSQL, ``json_group_array(expr)``
        on SQLite; NULL (PostgreSQL) or ``[]`` (SQLite) over no rows.
    JSONRow: ``JSON_BUILD_ARRAY(...)`` / ``json_array(...)``.
    FirstOf: ``(ARRAY_AGG(expr))[1]`` on PostgreSQL, ``MIN(expr)`` on SQLite;
        used only over groups whose values are all equal.
    NotDistinctFrom: ``a IS NOT DISTINCT FROM b`` (``a IS b`` on SQLite), the
        equality under which two NULL domain keys are the same domain.
    Wide / arith: arithmetic on interval columns in 64 bits: an integer
        column is ``CAST(x AS BIGINT)`` on PostgreSQL before ``+ - *`` (an
        ``integer`` column would overflow at 2**31 where numpy's ``int64``
        does not); SQLite integers are 64-bit already.
    JSONValue: a JSON payload as JSON inside ``json_array``: ``json(x)`` on
        SQLite (whose JSON columns are TEXT, embedded as a string otherwise),
        unchanged on PostgreSQL (``jsonb`` embeds as JSON).
    WideSum: ``SUM(x)``, cast to ``BIGINT`` on PostgreSQL (whose ``SUM`` of
        integers is ``numeric``).
    ListsText / ConcatLists: a group's JSON lists concatenated in row order.
        PostgreSQL does it in the aggregate (``JSONB_AGG(... ORDER BY ...)``
        flattened by the jsonpath ``strict $[*][*]``); SQLite, which has no
        ordered aggregate before 3.44, joins the arrays' inner texts with an
        ordered ``GROUP_CONCAT`` window (``ListsText``) one stage earlier.
    with_body(connection, sql, inline): a ``WITH`` entry's body, ``NOT
        MATERIALIZED (sql)`` on PostgreSQL for an entry to inline.

Every value reaches the database as a bound parameter; identifiers are the
fixed relation and column names of :mod:`.query`, quoted by the backend.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Expression, Field, FloatField, Func, Lookup, Window
from django.db.models.expressions import CombinedExpression, RowRange
from django.db.models.functions import Cast

__all__ = [
    "RelCol", "num", "ExactFloat", "JSONGroupArray", "JSONRow", "FirstOf", "GENERIC", "NotDistinctFrom", "Wide",
    "arith", "JSONValue", "WideSum", "ListsText", "ConcatLists", "with_body",
]

#: A field that prepares values as-is (no int()/float() coercion of parameters).
GENERIC = Field()


class RelCol(Expression):
    """Column ``name`` of the derived relation aliased ``alias``.

    SQL: ``"alias"."name"`` (both quoted by ``connection.ops.quote_name``).
    ``kind`` is what the column holds as far as the compiler knows:
    ``"int"``, ``"float"`` or ``"any"`` (see :func:`arith`).
    """

    def __init__(self, alias: str, name: str, kind: str = "any") -> None:
        super().__init__(output_field=GENERIC)
        self.alias = alias
        self.name = name
        self.kind = kind

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:  # noqa: D102
        q = connection.ops.quote_name
        return f"{q(self.alias)}.{q(self.name)}", []

    def __repr__(self) -> str:
        return f"{self.alias}.{self.name}"


def num(value: Any) -> Expression:
    """A numeric parameter: ints as-is, floats cast to double precision."""
    from django.db.models import Value

    if isinstance(value, float):
        return Cast(Value(value, output_field=FloatField()), FloatField())
    return Value(int(value), output_field=GENERIC)


class ExactFloat(Func):
    """``expr`` as exact text on SQLite when it is a REAL; unchanged elsewhere.

    SQL (SQLite): ``CASE WHEN typeof(x) = 'real' THEN printf('%!.17g', x) ELSE x END``.
    """

    template = "%(expressions)s"
    output_field = GENERIC

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CASE WHEN typeof({sql}) = 'real' THEN printf('%%!.17g', {sql}) ELSE {sql} END",
            [*params, *params, *params],
        )


class JSONRow(Func):
    """A JSON array of the arguments: ``JSON_BUILD_ARRAY(a, b, ...)``."""

    function = "JSON_BUILD_ARRAY"
    output_field = GENERIC

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        return super().as_sql(compiler, connection, function="json_array", **extra)


class JSONGroupArray(Func):
    """Aggregate rows into a JSON array: ``JSON_AGG(x)`` / ``json_group_array(x)``."""

    function = "JSON_AGG"
    contains_aggregate = True
    output_field = GENERIC

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        return super().as_sql(compiler, connection, function="json_group_array", **extra)


class FirstOf(Func):
    """Some value of a group whose values are equal.

    SQL: ``(ARRAY_AGG(x))[1]`` on PostgreSQL (any type, jsonb included),
    ``MIN(x)`` on SQLite.
    """

    template = "(ARRAY_AGG(%(expressions)s))[1]"
    contains_aggregate = True
    output_field = GENERIC

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        return super().as_sql(compiler, connection, template="MIN(%(expressions)s)", **extra)


class NotDistinctFrom(Lookup):
    """``lhs IS NOT DISTINCT FROM rhs``: equality under which NULL equals NULL.

    SQL ``=`` is never true for NULL, so a domain compared with ``=`` drops
    the rows whose key is NULL (a collection keyed by dates, stored with a
    NULL ``domain_int``) from every binary operation; in memory ``None`` is
    a key like any other. SQLite spells it ``lhs IS rhs``.
    """

    lookup_name = "not_distinct_from"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:  # noqa: D102
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IS NOT DISTINCT FROM {rhs}", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:  # noqa: D102
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IS {rhs}", [*lhs_params, *rhs_params]


class Wide(Func):
    """An integer column widened to 64 bits for arithmetic.

    SQL: ``CAST(x AS BIGINT)`` on PostgreSQL; ``x`` elsewhere (SQLite's
    integers are 64-bit). Applied to columns only (``RelCol`` of kind
    ``"int"``), never in comparisons, which keep using the indexes.
    """

    template = "%(expressions)s"
    output_field = GENERIC

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS BIGINT)", **extra)


def _wide(expr: Any) -> Any:
    return Wide(expr) if getattr(expr, "kind", None) == "int" else expr


def arith(lhs: Any, op: str, rhs: Any) -> Expression:
    """``lhs op rhs`` with integer columns widened to 64 bits (:class:`Wide`).

    Numpy computes interval bounds in ``int64``/``float64``; an ``integer``
    column in PostgreSQL would raise ``integer out of range`` at 2**31.
    """
    return CombinedExpression(_wide(lhs), op, _wide(rhs), output_field=GENERIC)


class JSONValue(Func):
    """A JSON column's value as JSON (not as a string) inside a JSON constructor.

    SQL: ``json(x)`` on SQLite, whose JSON columns are TEXT that
    ``json_array``/``json_group_array`` would embed as a JSON string
    (``2`` as ``"2"``, ``{"a": 1}`` as ``"{\\"a\\": 1}"``); ``x`` on PostgreSQL.
    """

    template = "%(expressions)s"
    output_field = GENERIC

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        return super().as_sql(compiler, connection, template="json(%(expressions)s)", **extra)


class WideSum(Func):
    """``SUM(x)`` of integers as a 64-bit integer.

    SQL: ``CAST(SUM(x) AS BIGINT)`` on PostgreSQL (``SUM`` of ``bigint`` is
    ``numeric`` there), ``SUM(x)`` on SQLite. NULL over no non-null value.
    """

    function = "SUM"
    contains_aggregate = True
    output_field = GENERIC

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        return super().as_sql(compiler, connection, template="CAST(SUM(%(expressions)s) AS BIGINT)", **extra)


class _JoinedInnerText(Func):
    """SQLite aggregate: the JSON arrays' texts without their brackets, joined by ``,``.

    SQL: ``GROUP_CONCAT(NULLIF(SUBSTR(json(x), 2, LENGTH(json(x)) - 2), ''), ',')``;
    an empty array (``''``) or NULL adds nothing, so the result is the inner
    text of the arrays' concatenation (NULL if it is empty).
    """

    window_compatible = True
    output_field = GENERIC

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        sql, params = compiler.compile(self.source_expressions[0])
        body = f"json({sql})"
        return f"GROUP_CONCAT(NULLIF(SUBSTR({body}, 2, LENGTH({body}) - 2), ''), ',')", [*params, *params]


class ListsText(Func):
    """Stage one of :class:`ConcatLists`: on SQLite, every row of a group gets
    the inner text of the group's JSON lists joined in ``order_by`` order.

    SQL (SQLite): ``GROUP_CONCAT(<inner text of x>, ',') OVER (PARTITION BY
    ... ORDER BY ... ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED
    FOLLOWING)``. On PostgreSQL ``NULL``: :class:`ConcatLists` orders inside
    its aggregate there, in one pass.
    """

    output_field = GENERIC

    def __init__(self, expression: Any, partition_by: list[Any], order_by: list[Any]) -> None:
        super().__init__(expression)
        self.partition_by = partition_by
        self.order_by = order_by

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        return "NULL", []

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        window = Window(_JoinedInnerText(self.source_expressions[0]), partition_by=self.partition_by,
                        order_by=self.order_by, frame=RowRange(start=None, end=None))
        return compiler.compile(window)


class ConcatLists(Func):
    """A group's JSON lists concatenated in ``order_by`` order; NULL if every one is NULL.

    ``expression`` is the lists' column, ``text`` the :class:`ListsText`
    column of the stage before (read on SQLite only). SQL (PostgreSQL):
    ``JSONB_PATH_QUERY_ARRAY(JSONB_AGG(CAST(x AS jsonb) ORDER BY ...) FILTER
    (WHERE x IS NOT NULL), 'strict $[*][*]')`` (a non-list raises, as
    ``payload_plus`` on a non-list does); SQLite: ``CASE WHEN COUNT(x) = 0
    THEN NULL ELSE '[' || COALESCE(MIN(text), '') || ']' END``.
    """

    contains_aggregate = True
    output_field = GENERIC

    def __init__(self, expression: Any, text: Any, order_by: list[Any]) -> None:
        super().__init__(expression, text)
        self.order_by = order_by

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        lists, p_lists = compiler.compile(self.source_expressions[0])
        order = [compiler.compile(e) for e in self.order_by]
        keys = ", ".join(sql for sql, _ in order)
        return (
            f"JSONB_PATH_QUERY_ARRAY(JSONB_AGG(CAST({lists} AS jsonb) ORDER BY {keys}) "
            f"FILTER (WHERE {lists} IS NOT NULL), 'strict $[*][*]')",
            [*p_lists, *(p for _, params in order for p in params), *p_lists],
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # noqa: D102
        (lists, p_lists), (text, p_text) = (compiler.compile(e) for e in self.source_expressions)
        return (f"CASE WHEN COUNT({lists}) = 0 THEN NULL ELSE '[' || COALESCE(MIN({text}), '') || ']' END",
                [*p_lists, *p_text])


def with_body(connection: Any, sql: str, inline: bool) -> str:
    """The body of a ``WITH`` entry: ``(sql)``, or ``NOT MATERIALIZED (sql)`` to inline it.

    PostgreSQL (12+) materialises an entry read more than once unless told
    ``NOT MATERIALIZED``; inlined, a relation read twice plans as nested
    subqueries do. Elsewhere the plain form (SQLite decides by itself).
    """
    hint = "NOT MATERIALIZED " if inline and connection.vendor == "postgresql" else ""
    return f"{hint}({sql})"

