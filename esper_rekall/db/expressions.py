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

Every value reaches the database as a bound parameter; identifiers are the
fixed relation and column names of :mod:`.query`, quoted by the backend.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Expression, Field, FloatField, Func
from django.db.models.functions import Cast

__all__ = ["RelCol", "num", "ExactFloat", "JSONGroupArray", "JSONRow", "FirstOf", "GENERIC"]

#: A field that prepares values as-is (no int()/float() coercion of parameters).
GENERIC = Field()


class RelCol(Expression):
    """Column ``name`` of the derived relation aliased ``alias``.

    SQL: ``"alias"."name"`` (both quoted by ``connection.ops.quote_name``).
    """

    def __init__(self, alias: str, name: str) -> None:
        super().__init__(output_field=GENERIC)
        self.alias = alias
        self.name = name

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
