"""The SQL form of each interval-query step: ``Builder.<op>(rel, *args) -> Rel``.

Provides:
    Builder: one static method per step with a SQL form (``filter``,
        ``filter_size``, ``dilate``, ``filter_against``, ``join``, ``merge``,
        ``collect_by_interval``, ``group_by_time``, ``temporal_coalesce``,
        ``union``, ``minus``); each takes the relation so far and the step's
        arguments and returns the next relation, or raises ``NotPushable``
        (the step and every later one then run in Python).
    Unplanned: the planner's stand-in for another query that has no SQL
        relation, so a binary step reports why in its own order of checks.

A binary step's other side arrives as that query's ``Rel`` (the planner
resolves it). Each step's SQL reads its inputs by ``WITH`` name (see
:mod:`.relation`); its expressions are Django expressions, vendor-specific
ones from :mod:`.expressions`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Case, Expression, FloatField, Value, When, Window
from django.db.models.aggregates import Max, Min, Sum
from django.db.models.expressions import RowRange
from django.db.models.functions import Cast, FirstValue, Greatest, Lag, Least
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, IsNull, LessThan, LessThanOrEqual

from ..intervals.columns import AXIS_BOUNDS
from ..intervals.common import INFTY
from ..intervals.join_plan import JoinMerge
from ..intervals.merge_ops import merge_op_name, payload_first
from ..intervals.predicates.base import describe
from .compiler import (
    NotPushable,
    all_of,
    any_of,
    band_conditions,
    compile_binary,
    compile_unary,
    merge_payload_side,
    negated,
    plain_number,
)
from .expressions import (
    ConcatLists,
    ExactFloat,
    FirstOf,
    JSONGroupArray,
    JSONRow,
    JSONValue,
    ListsText,
    NotDistinctFrom,
    RelCol,
    WideSum,
    arith,
    num,
)
from .relation import (
    BOUNDS,
    CANONICAL,
    COL,
    Check,
    Cte,
    Nested,
    Rel,
    Shape,
    compile_expr,
    cte,
    derive,
    json_payload,
    merge_ctes,
    passthrough,
    quote,
    select_list,
    sort_keys,
    wrap,
)

__all__ = ["Builder", "Unplanned"]


@dataclass(frozen=True)
class Unplanned:
    """The other side of a binary step when it has no SQL relation; ``reason`` says why."""

    reason: str


def _other_relation(other: Any) -> Rel:
    """The other side's relation (the planner passes another query's relation, or ``Unplanned``)."""
    if isinstance(other, Rel):
        return other
    if isinstance(other, Unplanned):
        raise NotPushable(other.reason)
    raise NotPushable(f"the other side is {type(other).__name__}, not an IntervalQuery")


def _same_db(rel: Rel, other: Rel) -> None:
    if rel.using != other.using:
        raise NotPushable(f"the two sides live in different databases ({rel.using!r}, {other.using!r})")


def _same_domain(rel: Rel, other: Rel, left: Expression, right: Expression) -> Any:
    """``right = left`` on domains; ``IS NOT DISTINCT FROM`` when either may be NULL."""
    return (NotDistinctFrom if rel.domain_null or other.domain_null else Exact)(right, left)


def _binary_conditions(rel: Rel, other: Rel, predicate: Any, time_window: Any) -> list[Any]:
    left, right = rel.cols("r"), other.cols("o")
    conds = [_same_domain(rel, other, left["domain"], right["domain"]), compile_binary(predicate, left, right)]
    conds += band_conditions(predicate, left, right)
    if time_window is not None:
        w = num(plain_number("time_window", time_window))
        conds.append(GreaterThanOrEqual(right["t2"], arith(left["t1"], "-", w)))
        conds.append(LessThanOrEqual(arith(right["t1"], "-", w), left["t2"]))
    return conds


def _where(rel: Rel, conds: list[Any]) -> tuple[str, list[Any]]:
    """The conjunction of ``conds`` compiled for ``rel``'s connection."""
    return compile_expr(rel, all_of(*conds))


def _settled_types(*rels: Rel) -> None:
    """Refuse a step that combines bound types when one depends on the data (``float_if``)."""
    if any(r.float_if for r in rels):
        raise NotPushable("a bound's type depends on whether a union's float side is empty (decided in Python)")


def _islands_and_gaps(rel: Rel, o: Rel) -> tuple[Rel, Cte, Cte]:
    """``minus``'s view of the other side ``o``: its islands and the gaps between them.

    Returns the relation numbering ``o``'s positive-length ranges ``(d, t1,
    t2, k)`` by island (gaps-and-islands: a range starts a new island when it
    starts after every earlier range of its domain ended), the islands
    ``(d, b1, b2)`` and the closed gaps ``(d, g1, g2)`` between them (``g1``
    NULL before the first island, ``g2`` NULL after the last). Islands and
    gaps are materialised ``WITH`` entries (``minus`` reads the islands twice).
    """
    c = RelCol
    ends = Window(Max(c("o", "er_t2")), partition_by=[c("o", "er_d")], order_by=[c("o", "er_t1"), c("o", "er_t2")],
                  frame=RowRange(start=None, end=-1))
    select, p_select = select_list(rel, [(c("o", "er_d"), "d"), (c("o", "er_t1"), "t1"), (c("o", "er_t2"), "t2"),
                                         (ends, "pm")])
    where, p_where = _where(rel, [GreaterThan(c("o", "er_t2"), c("o", "er_t1"))])
    ranges = derive(o, f"SELECT {select} FROM {wrap(o, 'o')} WHERE {where}", (*p_select, *p_where))
    starts = Case(When(IsNull(c("s", "pm"), True), then=Value(1)), When(GreaterThan(c("s", "t1"), c("s", "pm")),
                  then=Value(1)), default=Value(0))
    number = Window(Sum(starts), partition_by=[c("s", "d")], order_by=[c("s", "t1"), c("s", "t2")],
                    frame=RowRange(start=None, end=0))
    select, params = select_list(rel, [(c("s", "d"), "d"), (c("s", "t1"), "t1"), (c("s", "t2"), "t2"), (number, "k")])
    numbered = derive(ranges, f"SELECT {select} FROM {wrap(ranges, 's')}", params)
    select, params = select_list(rel, [(c("s", "d"), "d"), (Min(c("s", "t1")), "b1"), (Max(c("s", "t2")), "b2")])
    group = ", ".join(f"{quote(rel, 's')}.{quote(rel, n)}" for n in ("d", "k"))
    islands = cte(f"SELECT {select} FROM {wrap(numbered, 's')} GROUP BY {group}", params, "er_isl", inline=False)
    read = f"{quote(rel, islands.name)} {quote(rel, 'i')}"
    before = Window(Lag(c("i", "b2")), partition_by=[c("i", "d")], order_by=[c("i", "b1")])
    select, p_gaps = select_list(rel, [(c("i", "d"), "d"), (before, "g1"), (c("i", "b1"), "g2")])
    last, p_last = select_list(rel, [(c("i", "d"), "d"), (Max(c("i", "b2")), "g1"), (Value(None), "g2")])
    gaps = cte(f"SELECT {select} FROM {read} UNION ALL SELECT {last} FROM {read} GROUP BY {quote(rel, 'i')}."
               f"{quote(rel, 'd')}", (*p_gaps, *p_last), "er_gap", inline=False)
    return numbered, islands, gaps


def _full_frame_check(o: Rel) -> Check:
    """``minus``'s check that the other side is full-frame: its first row with
    ``x != (0, 1)`` or ``y != (0, 1)``, in the in-memory order."""
    c = lambda n: RelCol("o", n)  # noqa: E731
    full_frame = all_of(*(Exact(c(COL[b]), num(v)) for b, v in (("x1", 0), ("x2", 1), ("y1", 0), ("y2", 1))))
    where, params = compile_expr(o, negated(full_frame))
    o_col = lambda n: f"{quote(o, 'o')}.{quote(o, n)}"  # noqa: E731
    cols = ", ".join(o_col(COL[k]) for k in CANONICAL[1:])
    first = ", ".join(o_col(n) for n in ["er_d", *(COL[b] for b in BOUNDS), *o.order])
    sql, params = o.statement(
        lambda name: f"SELECT {cols} FROM {name} {quote(o, 'o')} WHERE {where} ORDER BY {first} LIMIT 1", params)
    return Check(sql, tuple(params), o)


def _with_column(rel: Rel, expr: Expression, name: str) -> Rel:
    """An intermediate relation: every column of ``rel`` (read as ``r``) plus ``expr AS name``."""
    sql, params = compile_expr(rel, expr)
    return derive(rel, f"SELECT {quote(rel, 'r')}.*, {sql} AS {quote(rel, name)} FROM {wrap(rel, 'r')}", params)


class Builder:
    """SQL forms of each step: ``op(rel, *args, **kwargs) -> Rel``."""

    @staticmethod
    def filter(rel: Rel, predicate: Any) -> Rel:
        cond = compile_unary(predicate, rel.cols("r"))
        where, params = _where(rel, [cond])
        return derive(rel, f"SELECT * FROM {wrap(rel, 'r')} WHERE {where}", params)

    @staticmethod
    def filter_size(rel: Rel, min_size: Any = 0, max_size: Any = INFTY, axis: str = "T") -> Rel:
        if axis not in AXIS_BOUNDS:
            raise NotPushable(f"axis={axis!r} is not T, X or Y (Python raises the error)")
        plain_number("min_size", min_size)
        lo, hi = AXIS_BOUNDS[axis]
        c = rel.cols("r")
        size = arith(c[hi], "-", c[lo])
        conds = [GreaterThanOrEqual(size, num(min_size))]
        if not (max_size is None or max_size == INFTY or max_size == float("inf")):
            conds.append(LessThanOrEqual(size, num(plain_number("max_size", max_size))))
        where, params = _where(rel, conds)
        return derive(rel, f"SELECT * FROM {wrap(rel, 'r')} WHERE {where}", params)

    @staticmethod
    def dilate(rel: Rel, window: Any, axis: str = "T") -> Rel:
        if axis not in AXIS_BOUNDS:
            raise NotPushable(f"axis={axis!r} is not T, X or Y (Python raises the error)")
        plain_number("window", window)
        lo, hi = AXIS_BOUNDS[axis]
        c = rel.cols("r")
        new_lo = arith(c[lo], "-", num(window))
        new_hi = arith(c[hi], "+", num(window))
        items = [(new_lo, COL[lo]) if col == COL[lo] else (new_hi, COL[hi]) if col == COL[hi] else (RelCol("r", col), col)
                 for col in rel.columns()]
        select, p1 = select_list(rel, items)
        where, p2 = _where(rel, [LessThanOrEqual(new_lo, new_hi)])
        types, float_if = dict(rel.types), dict(rel.float_if)
        if isinstance(window, float):
            types[lo] = types[hi] = "float"
            float_if.pop(lo, None)
            float_if.pop(hi, None)
        return derive(rel, f"SELECT {select} FROM {wrap(rel, 'r')} WHERE {where}", (*p1, *p2),
                      types=types, float_if=float_if)

    @staticmethod
    def filter_against(rel: Rel, other: Any, predicate: Any, time_window: Any = None) -> Rel:
        o = _other_relation(other)
        _same_db(rel, o)
        where, params = _where(rel, _binary_conditions(rel, o, predicate, time_window))
        sql = f"SELECT * FROM {wrap(rel, 'r')} WHERE EXISTS (SELECT 1 FROM {wrap(o, 'o')} WHERE {where})"
        return derive(rel, sql, params, o)

    @staticmethod
    def _pairs(rel: Rel, other: Any, predicate: Any, time_window: Any, kind: str, side: str) -> Rel:
        o = _other_relation(other)
        _same_db(rel, o)
        if rel.shape is not Shape.PLAIN or o.shape is not Shape.PLAIN:
            raise NotPushable("nested payloads are merged in Python")
        _settled_types(rel, o)
        left, right = rel.cols("r"), o.cols("o")
        items: list[tuple[Any, str]] = [(left["domain"], "er_d")]
        for axis in ("t", "x", "y"):
            lo, hi = f"{axis}1", f"{axis}2"
            if kind == "overlap_time" and axis == "t":
                items += [(Greatest(left[lo], right[lo]), COL[lo]), (Least(left[hi], right[hi]), COL[hi])]
            else:
                items += [(Least(left[lo], right[lo]), COL[lo]), (Greatest(left[hi], right[hi]), COL[hi])]
        items.append(((left if side == "left" else right)["payload"], "er_p"))
        order = []
        for alias, r in (("r", rel), ("o", o)):
            for key in sort_keys(r, alias):
                name = f"er_o{len(order)}"
                items.append((key, name))
                order.append(name)
        select, p1 = select_list(rel, items)
        where, p2 = _where(rel, _binary_conditions(rel, o, predicate, time_window))
        types = {b: ("int" if rel.types[b] == o.types[b] == "int" else "float") for b in BOUNDS}
        converters = dict(rel.converters)
        if side == "right":
            converters.pop("payload", None)
            if "payload" in o.converters:
                converters["payload"] = o.converters["payload"]
        sql = f"SELECT {select} FROM {wrap(rel, 'r')} INNER JOIN {wrap(o, 'o')} ON {where}"
        return derive(rel, sql, (*p1, *p2), o, types=types, order=tuple(order), converters=converters,
                      payload_kind=(rel if side == "left" else o).payload_kind)

    @classmethod
    def merge(cls, rel: Rel, other: Any, predicate: Any, payload_merge_op: Any = payload_first, time_window: Any = None) -> Rel:
        return cls._pairs(rel, other, predicate, time_window, "span", merge_payload_side(payload_merge_op))

    @classmethod
    def join(cls, rel: Rel, other: Any, predicate: Any, merge_op: Any, time_window: Any = None) -> Rel:
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
    def _members(rel: Rel, alias: str) -> Expression:
        c = rel.cols(alias)
        payload = JSONValue(c["payload"]) if json_payload(rel) else c["payload"]
        values = [ExactFloat(c[b]) for b in BOUNDS] + [payload] + [RelCol(alias, o) for o in rel.order]
        return JSONGroupArray(JSONRow(*values))

    @staticmethod
    def _nested(rel: Rel) -> Nested:
        """How to decode members of ``rel``: its types, order width and own payload converters."""
        _settled_types(rel)
        entry = rel.converters.get("payload")
        convs, expr = entry if entry is not None and not json_payload(rel) else ((), None)
        return Nested(dict(rel.types), len(rel.order), tuple(convs), expr)

    @classmethod
    def collect_by_interval(cls, rel: Rel, other: Any, predicate: Any, filter_empty: bool = True, time_window: Any = None) -> Rel:
        o = _other_relation(other)
        _same_db(rel, o)
        if rel.shape is not Shape.PLAIN or o.shape is not Shape.PLAIN:
            raise NotPushable("nested payloads are collected in Python")
        where, p_where = _where(rel, _binary_conditions(rel, o, predicate, time_window))
        agg, p_agg = compile_expr(rel, cls._members(o, "o"))
        select, p_sel = select_list(rel, passthrough(rel, "r"))
        sql = (f"SELECT {select}, (SELECT {agg} FROM {wrap(o, 'o')} WHERE {where}) AS {quote(rel, 'er_n')} "
               f"FROM {wrap(rel, 'r')}")
        params = [*p_sel, *p_agg, *p_where]
        if filter_empty:
            sql += f" WHERE EXISTS (SELECT 1 FROM {wrap(o, 'o')} WHERE {where})"
            params += p_where
        return derive(rel, sql, params, o, shape=Shape.COLLECT, nested=cls._nested(o), extra=("er_n",),
                      payload_kind="any")

    @classmethod
    def group_by_time(cls, rel: Rel) -> Rel:
        if rel.shape is not Shape.PLAIN:
            raise NotPushable("grouping nested payloads runs in Python")
        c = rel.cols("r")
        items = [(c["domain"], "er_d"), (c["t1"], "er_t1"), (c["t2"], "er_t2"),
                 (Value(0), "er_x1"), (Value(1), "er_x2"), (Value(0), "er_y1"), (Value(1), "er_y2"),
                 (cls._members(rel, "r"), "er_p")]
        nested = cls._nested(rel)
        select, params = select_list(rel, items)
        q = lambda n: f"{quote(rel, 'r')}.{quote(rel, n)}"  # noqa: E731
        sql = f"SELECT {select} FROM {wrap(rel, 'r')} GROUP BY {q('er_d')}, {q('er_t1')}, {q('er_t2')}"
        types = {**rel.types, "x1": "int", "x2": "int", "y1": "int", "y2": "int"}
        converters = {k: v for k, v in rel.converters.items() if k == "domain"}
        return derive(rel, sql, params, types=types, order=(), shape=Shape.GROUP, nested=nested, extra=(),
                      converters=converters, checks=rel.checks, flat=rel, payload_kind="any")

    @classmethod
    def temporal_coalesce(cls, rel: Rel, payload_merge_op: Any = payload_first, epsilon: Any = 0) -> Rel:
        plus = payload_merge_op is not None and merge_op_name(payload_merge_op) == "payload_plus"
        if plus:
            if rel.shape is not Shape.PLAIN or rel.extra or rel.payload_kind not in ("int", "list"):
                raise NotPushable("temporal_coalesce with payload_plus compiles only for non-null integer "
                                  "payloads or JSON list payloads (payload_kind='list')")
        elif payload_merge_op is not None and merge_payload_side(payload_merge_op) != "left":
            raise NotPushable("temporal_coalesce compiles only with payload_first (or payload_plus over "
                              "integer or JSON list payloads)")
        plain_number("epsilon", epsilon)
        if epsilon < 0:
            raise NotPushable("negative epsilon (Python raises the error)")
        if rel.extra:
            raise NotPushable("coalescing collected payloads runs in Python")
        r = lambda n, kind="any": RelCol("r", n, kind)  # noqa: E731
        list_kind = plus and rel.payload_kind == "list"
        # 1. running max of t2 over the earlier rows of the domain
        prev_max = Window(Max(r("er_t2")), partition_by=[r("er_d")], order_by=sort_keys(rel, "r"),
                          frame=RowRange(start=None, end=-1))
        stage = _with_column(rel, prev_max, "er_pm")
        # 2. island number: running count of rows starting a new island
        gap = arith(r("er_t1", rel.types["t1"]), "-", r("er_pm", rel.types["t2"]))
        flag = Case(When(IsNull(r("er_pm"), True), then=Value(1)),
                    When(GreaterThan(gap, num(epsilon)), then=Value(1)), default=Value(0))
        island = Window(Sum(flag), partition_by=[r("er_d")], order_by=sort_keys(rel, "r"),
                        frame=RowRange(start=None, end=0))
        stage = _with_column(stage, island, "er_isl")
        # 3. per row, what its island's payload is made of
        islands = [r("er_d"), r("er_isl")]
        if not plus:  # the island's first payload
            stage = _with_column(stage, Window(FirstValue(r("er_p")), partition_by=islands,
                                               order_by=sort_keys(rel, "r")), "er_fp")
        elif list_kind:
            stage = _with_column(stage, ListsText(r("er_p"), islands, sort_keys(rel, "r")), "er_fp")
        # 4. one row per island: its bounding volume and merged payload (an island of NULL
        #    payloads stays NULL, as a lone NULL row does in Python)
        if not plus:
            payload = FirstOf(r("er_fp"))
        elif list_kind:
            payload = ConcatLists(r("er_p"), r("er_fp"), sort_keys(rel, "r"))
        else:
            payload = WideSum(r("er_p"))
        items = [(r("er_d"), "er_d"), (Min(r("er_t1")), "er_t1"), (Max(r("er_t2")), "er_t2"),
                 (Min(r("er_x1")), "er_x1"), (Max(r("er_x2")), "er_x2"),
                 (Min(r("er_y1")), "er_y1"), (Max(r("er_y2")), "er_y2"), (payload, "er_p")]
        select, params = select_list(rel, items)
        group = ", ".join(f"{quote(rel, 'r')}.{quote(rel, n)}" for n in ("er_d", "er_isl"))
        return derive(stage, f"SELECT {select} FROM {wrap(stage, 'r')} GROUP BY {group}", params, order=())

    @staticmethod
    def union(rel: Rel, other: Any) -> Rel:
        o = _other_relation(other)
        _same_db(rel, o)
        if rel.shape is not Shape.PLAIN or o.shape is not Shape.PLAIN or rel.extra or o.extra:
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
                items.append((expr, COL[b]))
            items.append((c["payload"], "er_p"))
            items.append((Value(side), "er_o0"))
            for k in range(n):
                items.append((RelCol(alias, r.order[k]) if k < len(r.order) else Value(0), f"er_o{k + 1}"))
            select, p = select_list(r, items)
            parts.append(f"SELECT {select} FROM {wrap(r, alias)}")
            params += p
        kind = rel.payload_kind if rel.payload_kind == o.payload_kind else "any"
        return derive(rel, " UNION ALL ".join(parts), params, o, types=types, float_if=float_if,
                      order=tuple(f"er_o{k}" for k in range(n + 1)), payload_kind=kind,
                      domain_null=rel.domain_null or o.domain_null)


    @staticmethod
    def minus(rel: Rel, other: Any) -> Rel:
        """Temporal difference, as ``kernels.minus_pieces`` computes it.

        The other side's positive-length ranges become disjoint islands per
        domain (gaps-and-islands; touching ranges merge), the islands the
        closed gaps between them (``g1`` NULL before the first island,
        ``g2`` NULL after the last). A positive-length row yields its
        intersection with each gap it overlaps with positive length; a row
        in a domain without islands is kept whole, as is a zero-length row
        that no island covers (bounds included). The pieces' tie order is
        their source row's order: its original ``(t1, t2)``, then its order
        columns. The full-frame rule on the other side is a ``Check``.
        """
        o = _other_relation(other)
        _same_db(rel, o)
        if "any" in (rel.types["t1"], rel.types["t2"], o.types["t1"], o.types["t2"]):
            raise NotPushable("minus of time bounds of undeclared type keeps per-value types in Python")
        if rel.converters.get("domain") != o.converters.get("domain"):
            raise NotPushable("the two sides' domains have different types")
        _settled_types(rel, o)
        islands, isl, gaps = _islands_and_gaps(rel, o)
        r, g = (lambda n: RelCol("r", n)), (lambda n: RelCol("g", n))  # noqa: E731
        t1, t2 = r("er_t1"), r("er_t2")
        # every column of the row; its tie order: its own (t1, t2), then its order columns
        rest = [(r(n), n) for n in (*(COL[k] for k in CANONICAL[3:]), *rel.extra)]
        order = [(t1, "er_o0"), (t2, "er_o1"), *((r(n), f"er_o{k + 2}") for k, n in enumerate(rel.order))]
        # a positive-length row cut to each gap it overlaps with positive length
        cut = [(r("er_d"), "er_d"),
               (Case(When(GreaterThan(g("g1"), t1), then=g("g1")), default=t1), "er_t1"),
               (Case(When(LessThan(g("g2"), t2), then=g("g2")), default=t2), "er_t2")]
        select, p_select = select_list(rel, [*cut, *rest, *order])
        on, p_on = _where(rel, [_same_domain(rel, o, r("er_d"), g("d")), LessThan(t1, t2),
                                any_of(IsNull(g("g1"), True), LessThan(g("g1"), t2)),
                                any_of(IsNull(g("g2"), True), GreaterThan(g("g2"), t1))])
        pieces = f"SELECT {select} FROM {wrap(rel, 'r')} INNER JOIN {quote(rel, gaps.name)} {quote(rel, 'g')} ON {on}"
        # a row no island touches (a positive-length row in a domain without islands,
        # a zero-length row outside every island, bounds included), whole
        i = lambda n: RelCol("i", n)  # noqa: E731
        whole, p_whole = select_list(rel, [(r(n), n) for n in ("er_d", "er_t1", "er_t2")] + [*rest, *order])
        touches, p_touches = _where(rel, [_same_domain(rel, o, r("er_d"), i("d")),
                                          any_of(LessThan(t1, t2), all_of(LessThanOrEqual(i("b1"), t1),
                                                                     LessThanOrEqual(t1, i("b2"))))])
        kept = (f"SELECT {whole} FROM {wrap(rel, 'r')} WHERE NOT EXISTS "
                f"(SELECT 1 FROM {quote(rel, isl.name)} {quote(rel, 'i')} WHERE {touches})")
        kind = "int" if rel.types["t1"] == o.types["t1"] == "int" else "float"
        types = {**rel.types, "t1": kind, "t2": kind}
        out = derive(rel, f"{pieces} UNION ALL {kept}", (*p_select, *p_on, *p_whole, *p_touches), o, types=types,
                     order=tuple(name for _, name in order), checks=(*rel.checks, *o.checks, _full_frame_check(o)))
        return replace(out, ctes=merge_ctes(out.ctes, islands.deps(), (isl, gaps)))
