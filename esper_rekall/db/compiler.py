"""Predicates and merge ops → Django expressions over interval columns.

Provides:
    NotPushable: raised (with the reason kept for ``explain()``) when a
        predicate or merge op has no SQL form.
    compile_unary(pred, cols) / compile_binary(pred, left, right): a
        conditional Django expression (a lookup or a ``WhereNode``) for a
        built-in predicate, dispatched on ``describe()``.
    band_conditions(pred, left, right): redundant, exact range conditions
        (``right.t1 <= left.t2``...) from the temporal band, so the database
        can use its ``(domain, t1, t2)`` indexes.
    merge_payload_side(op): ``"left"``/``"right"`` for payload_first/second.
    all_of(*conds) / any_of(*conds) / negated(cond): ``AND`` / ``OR`` / ``NOT``.
    plain_number(name, value): ``value`` if it is a plain int/float (a SQL
        parameter), else ``NotPushable``.

The describable ``join`` merge ops (``span_merge``...) are pure algebra:
:mod:`esper_rekall.intervals.join_plan`.

``cols`` maps the canonical names ``t1, t2, x1, x2, y1, y2`` to Django
expressions. Formulas are those of :mod:`esper_rekall.intervals.predicates`
in the same algebraic form (``abs(a - b) < eps``, ``(x2 - x1) * (y2 - y1)``),
so IEEE doubles round the same way in numpy, PostgreSQL and SQLite. Example:
``T(overlaps())`` compiles to::

    (r.t1 < o.t1 AND r.t2 > o.t1) OR (r.t1 < o.t2 AND r.t2 > o.t2)
    OR (r.t1 <= o.t1 AND r.t2 >= o.t2) OR (r.t1 >= o.t1 AND r.t2 <= o.t2)

Bounds are never NULL (the schema guarantees it), so no NULL logic is needed.
Arithmetic goes through :func:`.expressions.arith`, which widens integer
columns to 64 bits as numpy's ``int64`` is.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from django.db.models import Expression, Value
from django.db.models.functions import Abs
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)
from django.db.models.sql.where import AND, OR, WhereNode

from ..intervals.merge_ops import merge_op_name
from ..intervals.predicates.base import PredicateSpec, candidate_band, describe
from .expressions import GENERIC, arith, num

__all__ = [
    "NotPushable",
    "compile_unary",
    "compile_binary",
    "band_conditions",
    "merge_payload_side",
    "plain_number",
    "all_of",
    "any_of",
    "negated",
]

Cols = Mapping[str, Expression]


class NotPushable(Exception):
    """This step has no SQL form; ``str(exc)`` says why."""


def plain_number(name: str, value: Any) -> int | float:
    """``value``, a plain ``int``/``float`` that binds as a SQL parameter.

    Raises:
        NotPushable: a bool, numpy scalar, ``None`` or any other value
            (Python then runs the step, and raises its own error if any).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NotPushable(f"{name}={value!r} is not a plain number")
    return value


# ------------------------------------------------------------------ helpers
def _sub(a: Any, b: Any) -> Expression:
    return arith(a, "-", b)


def _mul(a: Any, b: Any) -> Expression:
    return arith(a, "*", b)


def all_of(*conds: Any) -> WhereNode:
    """``c1 AND c2 ...`` of conditional expressions (lookups or ``WhereNode``s)."""
    return WhereNode(list(conds), connector=AND)


def any_of(*conds: Any) -> WhereNode:
    """``c1 OR c2 ...`` of conditional expressions (lookups or ``WhereNode``s)."""
    return WhereNode(list(conds), connector=OR)


def negated(cond: Any) -> WhereNode:
    """``NOT (cond)``."""
    return WhereNode([cond], connector=AND, negated=True)


def _const(value: bool) -> Any:
    return Exact(Value(1, output_field=GENERIC), Value(1 if value else 0, output_field=GENERIC))


def _measure(name: str, c: Cols) -> Expression:
    if name == "width":
        return _sub(c["x2"], c["x1"])
    if name == "height":
        return _sub(c["y2"], c["y1"])
    return _mul(_sub(c["x2"], c["x1"]), _sub(c["y2"], c["y1"]))


def _number(spec: PredicateSpec, name: str) -> Expression:
    return num(plain_number(f"parameter {name}", spec.param(name)))


# ------------------------------------------------------------------ unary
def _bbox_unary(spec: PredicateSpec, c: Cols) -> Any:
    rel = spec.relation
    if rel == "position":
        eps = _number(spec, "epsilon")
        return all_of(*(LessThan(Abs(_sub(c[k], _number(spec, k))), eps) for k in ("x1", "y1", "x2", "y2")))
    if rel == "has_value":
        return LessThan(Abs(_sub(c[spec.param("value_name")], _number(spec, "value"))), _number(spec, "epsilon"))
    measure, _, how = rel.partition("_")
    if measure not in ("area", "width", "height"):
        raise NotPushable(f"bbox predicate {rel!r} has no SQL form")
    m = _measure(measure, c)
    if how == "exactly":
        return LessThan(Abs(_sub(m, _number(spec, measure))), _number(spec, "epsilon"))
    if how == "at_least":
        return GreaterThanOrEqual(m, _number(spec, measure))
    if how == "at_most":
        return LessThanOrEqual(m, _number(spec, measure))
    if how == "between":
        return all_of(GreaterThanOrEqual(m, _number(spec, f"{measure}1")), LessThanOrEqual(m, _number(spec, f"{measure}2")))
    raise NotPushable(f"bbox predicate {rel!r} has no SQL form")


def _compile(spec: PredicateSpec, arity: int, sides: tuple[Cols, ...]) -> Any:
    if spec.kind == "logical":
        if spec.relation in ("true", "false"):
            return _const(spec.relation == "true")
        parts = [_compile(child, arity, sides) for child in spec.children]
        if spec.relation == "and":
            return all_of(*parts)
        if spec.relation == "or":
            return any_of(*parts)
        if spec.relation == "not":
            return negated(parts[0])
    if spec.kind == "callable":
        raise NotPushable(f"predicate {spec.relation!r} is a Python callable")
    if spec.kind == "payload":
        raise NotPushable(f"payload predicate {spec.relation!r} needs the payload values in Python")
    if spec.kind == "bbox" and spec.axis == "xy":
        return _bbox_unary(spec, sides[0]) if arity == 1 else _bbox_binary(spec, *sides)
    if spec.kind == "temporal" and spec.axis in ("t", "x", "y") and arity == 2:
        return _range_binary(spec, *sides)
    raise NotPushable(f"{spec.kind} predicate {spec.relation!r} (axis {spec.axis!r}) has no {arity}-ary SQL form")


def compile_unary(pred: Any, cols: Cols) -> Any:
    """Conditional expression true exactly where the unary ``pred`` is.

    Raises:
        NotPushable: a callable, payload predicate or an unknown relation.
    """
    return _compile(describe(pred), 1, (cols,))


# ------------------------------------------------------------------ binary
def _range_binary(spec: PredicateSpec, a: Cols, b: Cols) -> Any:
    lo, hi = f"{spec.axis}1", f"{spec.axis}2"
    s1, e1, s2, e2 = a[lo], a[hi], b[lo], b[hi]
    rel = spec.relation
    if rel in ("before", "after"):
        d = _sub(s2, e1) if rel == "before" else _sub(s1, e2)
        conds = [GreaterThanOrEqual(d, _number(spec, "min_dist"))]
        if spec.param("max_dist") != math.inf:
            conds.append(LessThanOrEqual(d, _number(spec, "max_dist")))
        return all_of(*conds)
    if rel == "overlaps":
        return any_of(
            all_of(LessThan(s1, s2), GreaterThan(e1, s2)),
            all_of(LessThan(s1, e2), GreaterThan(e1, e2)),
            all_of(LessThanOrEqual(s1, s2), GreaterThanOrEqual(e1, e2)),
            all_of(GreaterThanOrEqual(s1, s2), LessThanOrEqual(e1, e2)),
        )
    if rel == "overlaps_before":
        return all_of(GreaterThan(e1, s2), LessThan(e1, e2), LessThan(s1, s2))
    if rel == "overlaps_after":
        return all_of(GreaterThan(s1, s2), LessThan(s1, e2), GreaterThan(e1, e2))
    if rel in ("starts", "starts_inv", "finishes", "finishes_inv", "meets_before", "meets_after"):
        eps = _number(spec, "epsilon")
        if rel == "starts":
            return all_of(LessThanOrEqual(Abs(_sub(s1, s2)), eps), LessThan(e1, e2))
        if rel == "starts_inv":
            return all_of(LessThanOrEqual(Abs(_sub(s1, s2)), eps), LessThan(e2, e1))
        if rel == "finishes":
            return all_of(LessThanOrEqual(Abs(_sub(e1, e2)), eps), GreaterThan(s1, s2))
        if rel == "finishes_inv":
            return all_of(LessThanOrEqual(Abs(_sub(e1, e2)), eps), GreaterThan(s2, s1))
        if rel == "meets_before":
            return LessThanOrEqual(Abs(_sub(e1, s2)), eps)
        return LessThanOrEqual(Abs(_sub(e2, s1)), eps)
    if rel == "during":
        return all_of(GreaterThan(s1, s2), LessThan(e1, e2))
    if rel == "during_inv":
        return all_of(GreaterThan(s2, s1), LessThan(e2, e1))
    if rel == "equal":
        return all_of(Exact(s1, s2), Exact(e1, e2))
    raise NotPushable(f"range predicate {rel!r} has no SQL form")


def _bbox_binary(spec: PredicateSpec, a: Cols, b: Cols) -> Any:
    rel = spec.relation
    if rel == "left_of":
        return LessThan(a["x2"], b["x1"])
    if rel == "right_of":
        return GreaterThan(a["x1"], b["x2"])
    if rel == "above":
        return LessThan(a["y2"], b["y1"])
    if rel == "below":
        return GreaterThan(a["y1"], b["y2"])
    if rel == "same_value":
        name = spec.param("value_name")
        return LessThan(Abs(_sub(a[name], b[name])), _number(spec, "epsilon"))
    how, _, measure = rel.partition("_")
    if measure in ("area", "width", "height"):
        ma, mb = _measure(measure, a), _measure(measure, b)
        if how == "same":
            return LessThan(Abs(_sub(ma, mb)), _number(spec, "epsilon"))
        if how == "more":
            return GreaterThan(ma, mb)
        if how == "less":
            return LessThan(ma, mb)
    raise NotPushable(f"bbox predicate {rel!r} has no binary SQL form")


def compile_binary(pred: Any, left: Cols, right: Cols) -> Any:
    """Conditional expression true exactly where ``pred(left, right)`` is.

    Raises:
        NotPushable: a callable, payload predicate or an unknown relation.
    """
    return _compile(describe(pred), 2, (left, right))


def band_conditions(pred: Any, left: Cols, right: Cols) -> list[Any]:
    """Index-friendly conditions implied by ``pred``'s temporal band.

    Only the sides of the band that need no arithmetic are emitted
    (``right.t1 <= left.t2`` when the upper gap is 0, ``right.t2 >= left.t1``
    when the lower gap is 0), so they are exact in floating point too and
    never drop a pair the predicate accepts.
    """
    band = candidate_band(pred)
    if band is None:
        return []
    before_gap, after_gap = band
    conds = []
    if after_gap == 0:
        conds.append(LessThanOrEqual(right["t1"], left["t2"]))
    if before_gap == 0:
        conds.append(GreaterThanOrEqual(right["t2"], left["t1"]))
    return conds


# ------------------------------------------------------------------ merge ops
def merge_payload_side(op: Any) -> str:
    """``"left"`` for ``payload_first`` (or None), ``"right"`` for ``payload_second``.

    Raises:
        NotPushable: any other merge op.
    """
    name = "payload_first" if op is None else merge_op_name(op)
    if name == "payload_first":
        return "left"
    if name == "payload_second":
        return "right"
    raise NotPushable(f"payload merge op {op!r} has no SQL form")
