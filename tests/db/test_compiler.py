"""Unit tests of the predicate compiler: dispatch on describe(), SQL shape, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models.sql.query import Query

from esper_rekall.db.compiler import (
    NotPushable,
    band_conditions,
    compile_binary,
    compile_unary,
    merge_payload_side,
)
from esper_rekall.db.expressions import RelCol
from esper_rekall.intervals.merge_ops import payload_first, payload_plus, payload_second
from esper_rekall.intervals.predicates import spatial as sp
from esper_rekall.intervals.predicates import temporal as tp
from esper_rekall.intervals.predicates.axes import P, T, XY, and_preds

NAMES = ("domain", "t1", "t2", "x1", "x2", "y1", "y2", "payload")


def cols(alias: str) -> dict[str, Any]:
    return {n: RelCol(alias, f"er_{n}") for n in NAMES}


def sql_of(expr: Any) -> tuple[str, list[Any]]:
    sql, params = Query(None).get_compiler(connection=connection).compile(expr)
    return sql, list(params)


def test_overlaps_compiles_to_the_reference_formula() -> None:
    sql, params = sql_of(compile_binary(T(tp.overlaps()), cols("r"), cols("o")))
    assert params == []
    assert sql.count(" OR ") == 3
    assert '"r"."er_t1" < ("o"."er_t1")' in sql and '"r"."er_t2" >= ("o"."er_t2")' in sql


def test_before_binds_its_distances_as_parameters() -> None:
    sql, params = sql_of(compile_binary(T(tp.before(min_dist=1, max_dist=5)), cols("r"), cols("o")))
    assert '"o"."er_t1" - "r"."er_t2"' in sql
    assert params == [1, 5]


def test_before_without_max_dist_has_no_upper_bound() -> None:
    _, params = sql_of(compile_binary(T(tp.before()), cols("r"), cols("o")))
    assert params == [0]


def test_float_parameters_are_typed_as_doubles() -> None:
    sql, params = sql_of(compile_unary(XY(sp.height_at_least(0.25)), cols("r")))
    assert params == [0.25]
    assert ("double precision" in sql) if connection.vendor == "postgresql" else ("CAST" in sql.upper())


def test_unary_and_of_bbox_predicates_compiles() -> None:
    sql, params = sql_of(compile_unary(and_preds(XY(sp.width_at_least(0.1)), XY(sp.area_at_most(0.5))), cols("r")))
    assert " AND " in sql and params == [0.1, 0.5]


@pytest.mark.parametrize("pred,reason", [
    (lambda i: True, "Python callable"),
    (P(lambda p: True), "payload predicate"),
    (T(lambda a, b: True), "Python callable"),
])
def test_opaque_predicates_are_not_pushable(pred: Any, reason: str) -> None:
    with pytest.raises(NotPushable, match=reason):
        compile_unary(pred, cols("r"))


def test_unlifted_range_predicate_is_not_pushable() -> None:
    with pytest.raises(NotPushable):
        compile_binary(tp.overlaps(), cols("r"), cols("o"))


def test_band_conditions_only_for_zero_gaps() -> None:
    assert len(band_conditions(T(tp.overlaps()), cols("r"), cols("o"))) == 2
    assert len(band_conditions(T(tp.before(max_dist=3)), cols("r"), cols("o"))) == 1  # o.t2 >= r.t1
    assert len(band_conditions(T(tp.before(min_dist=1, max_dist=3)), cols("r"), cols("o"))) == 0
    assert band_conditions(lambda a, b: True, cols("r"), cols("o")) == []


def test_merge_payload_side() -> None:
    assert merge_payload_side(payload_first) == "left"
    assert merge_payload_side(None) == "left"
    assert merge_payload_side(payload_second) == "right"
    with pytest.raises(NotPushable):
        merge_payload_side(payload_plus)
