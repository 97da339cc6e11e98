"""A queryset as the first relation of an interval query.

Provides:
    schema_expressions(qs, schema): canonical name -> Django expression of an
        ``IntervalSchema`` or mapping, validated on ``qs``.
    base_relation(qs, exprs, payload_kind=None): the queryset as a ``Rel``
        of the canonical columns plus its tie-order column ``er_o0``, with
        the bounds' types and the domain/payload decoders read from the
        resolved fields.
    PAYLOAD_KINDS: the payload kinds a caller may assert (``"list"``).
"""

from __future__ import annotations

from typing import Any, Mapping

from django.core.exceptions import FieldError
from django.db import connections
from django.db.models import F, Value, Window
from django.db.models.expressions import Col, OrderBy
from django.db.models.functions import RowNumber
from django.db.models.sql.constants import INNER

from .expressions import GENERIC
from .relation import CANONICAL, COL, BoundType, PayloadKind, Rel
from .schema import IntervalSchema

__all__ = ["PAYLOAD_KINDS", "base_relation", "schema_expressions"]

PAYLOAD_KINDS = ("list",)
_INT_TYPES = {
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveBigIntegerField", "PositiveSmallIntegerField", "AutoField", "BigAutoField",
    "SmallAutoField",
}


def _field_type(expr: Any) -> BoundType:
    try:
        internal = expr.output_field.get_internal_type()
    except Exception:  # noqa: BLE001 - unresolvable output field: decide per value
        return "any"
    if internal in _INT_TYPES:
        return "int"
    if internal in ("FloatField", "DecimalField"):
        return "float"
    return "any"


def schema_expressions(qs: Any, schema: Any) -> dict[str, Any]:
    """Canonical name -> expression of an IntervalSchema or a mapping, validated on ``qs``."""
    if isinstance(schema, Mapping):
        schema = IntervalSchema.from_mapping(schema)
    if not isinstance(schema, IntervalSchema):
        raise TypeError(f"schema must be an IntervalSchema or a mapping, got {schema!r}")
    schema.validate(qs)
    return schema.expressions()


def _payload_kind(expr: Any, asserted: str | None) -> PayloadKind:
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


def base_relation(qs: Any, exprs: Mapping[str, Any], payload_kind: str | None = None) -> Rel:
    """The queryset as a relation of canonical columns.

    Tie order: ``er_o0`` is the row's position in the queryset's own order
    (``ROW_NUMBER() OVER (ORDER BY <order_by>, pk)``), as the reference
    reads a queryset in its order and sorts stably; without an ``order_by``
    it is the primary key (a documented, deterministic order). An empty
    queryset (``filter(id__in=[])``, ``none()``) compiles to ``WHERE 0 = 1``
    instead of raising ``EmptyResultSet``.
    """
    annotations: dict[str, Any] = {}
    for key in CANONICAL:
        if key in exprs:
            annotations[COL[key]] = exprs[key]
        elif key == "payload":
            annotations[COL[key]] = Value(None, output_field=GENERIC)
        else:
            annotations[COL[key]] = Value(0 if key in ("x1", "y1") else 1)
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
    types: dict[str, BoundType] = {}
    for axis in ("t", "x", "y"):
        lo, hi = _field_type(resolved[f"er_{axis}1"]), _field_type(resolved[f"er_{axis}2"])
        kind = "int" if lo == hi == "int" else ("float" if "any" not in (lo, hi) else "any")
        types[f"{axis}1"] = types[f"{axis}2"] = kind
    converters = {}
    for key in ("domain", "payload"):
        expr = resolved[COL[key]]
        convs = connection.ops.get_db_converters(expr) + expr.get_db_converters(connection)
        if convs:
            converters[key] = (tuple(convs), expr)
    kind = _payload_kind(resolved[COL["payload"]], payload_kind)
    return Rel(sql, tuple(params), vqs.db, types, ("er_o0",), converters=converters, payload_kind=kind,
               domain_null=not _never_null(vqs, resolved["er_d"]))
