"""Logical predicates: reference behaviour, masks, short-circuit, bands."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esper_rekall.intervals.columns import Columns
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.predicates import (
    T,
    X,
    after,
    and_pred,
    and_preds,
    before,
    candidate_band,
    during,
    evaluate_mask,
    false_pred,
    meets_before,
    not_pred,
    or_pred,
    or_preds,
    overlaps,
    true_pred,
)
from esper_rekall.intervals.predicates import logical


def cols(ts):
    t = np.array(ts, dtype=np.int64).reshape(-1, 2)
    z, o = np.zeros(len(t), dtype=np.int64), np.ones(len(t), dtype=np.int64)
    return Columns(t[:, 0], t[:, 1], z, o, z, o, payload=list(range(len(t))))


@pytest.mark.parametrize("arity", [1, 2])
def test_constants_take_exactly_arity_arguments(arity):
    args = [object()] * arity
    assert true_pred(arity)(*args) is True
    assert false_pred(arity)(*args) is False
    with pytest.raises(TypeError, match=f"takes {arity} argument"):
        true_pred(arity)(*args, object())


@pytest.mark.parametrize("arity", [0, 3, "2", None])
def test_unsupported_arity_is_a_value_error(arity):
    for make in (lambda: true_pred(arity), lambda: and_pred(bool, bool, arity),
                 lambda: logical.not_pred(bool, arity)):
        with pytest.raises(ValueError, match="arity must be 1 or 2"):
            make()


def test_logical_not_pred_defaults_to_one_argument_and_variadic_takes_any():
    assert logical.not_pred(lambda i: False)(1)
    with pytest.raises(TypeError):
        logical.not_pred(lambda a, b: False)(1, 2)
    assert logical.not_pred(lambda a, b: False, arity=2)(1, 2)
    assert not_pred(lambda a, b, c: False)(1, 2, 3)


@pytest.mark.parametrize("p1", [True, False])
@pytest.mark.parametrize("p2", [True, False])
def test_truth_tables(p1, p2):
    f1, f2 = (lambda i: p1), (lambda i: p2)
    assert and_pred(f1, f2)(0) == (p1 and p2)
    assert or_pred(f1, f2)(0) == (p1 or p2)
    assert and_preds(f1, f2)(0) == (p1 and p2)
    assert or_preds(f1, f2)(0) == (p1 or p2)
    assert not_pred(f1)(0) == (not p1)


def test_and_calls_short_circuit_in_order():
    calls = []
    pred = and_preds(lambda i: calls.append("a") or False, lambda i: calls.append("b") or True)
    assert not pred(0)
    assert calls == ["a"]


def test_and_mask_calls_callables_only_on_rows_surviving_built_ins():
    seen = []

    def spy(a, b):
        seen.append((a.t, b.t))
        return True

    left = cols([[0, 10], [0, 10], [0, 10]])
    right = cols([[5, 15], [20, 30], [10, 20]])
    mask = evaluate_mask(and_preds(spy, T(overlaps())), left, right)
    assert mask.tolist() == [True, False, False]
    assert seen == [((0, 10), (5, 15))]


def test_or_mask_calls_callables_only_on_rows_not_yet_true():
    seen = []

    def spy(a, b):
        seen.append(a.t)
        return a.t[0] == 2

    left = cols([[0, 10], [2, 3], [0, 1]])
    right = cols([[5, 15], [20, 30], [50, 60]])
    mask = evaluate_mask(or_preds(spy, T(overlaps())), left, right)
    assert mask.tolist() == [True, True, False]
    assert seen == [(2, 3), (0, 1)]


def test_combinations_of_describable_predicates_stay_describable():
    pred = not_pred(or_preds(T(overlaps()), and_preds(T(before(1, 2)), X(overlaps()))))
    spec = pred.describe()
    assert pred.vectorised
    assert (spec.kind, spec.relation) == ("logical", "not")
    (inner,) = spec.children
    assert inner.relation == "or"
    assert [c.relation for c in inner.children[1].children] == ["before", "overlaps"]
    assert [c.axis for c in inner.children[1].children] == ["t", "x"]
    assert not and_preds(T(overlaps()), lambda a, b: True).vectorised
    assert and_pred(T(overlaps()), T(during()), arity=2).describe().params == (("arity", 2),)


def test_lifting_a_logical_combination_lifts_its_operands():
    pred = T(and_pred(overlaps(), logical.not_pred(during(), arity=2), arity=2))
    assert pred.vectorised
    assert pred(Interval3D((0, 10)), Interval3D((5, 15)))
    assert not pred(Interval3D((2, 3)), Interval3D((0, 15)))
    assert candidate_band(pred) == (0, 0)


@pytest.mark.parametrize(
    ("pred", "band"),
    [
        (and_preds(T(before(0, 5)), T(after(0, 3))), (-0, -0)),
        (and_preds(T(before(0, 5)), lambda a, b: True), (0, 5)),
        (and_preds(lambda a, b: True), None),
        (or_preds(T(before(1, 5)), T(after(2, 3))), (3, 5)),
        (or_preds(T(before(1, 5)), lambda a, b: True), None),
        (not_pred(T(overlaps())), None),
        (true_pred(2), None),
        (false_pred(2), (-math.inf, -math.inf)),
        (X(overlaps()), None),
    ],
)
def test_band_combination_table(pred, band):
    assert candidate_band(pred) == band


RELATIONS = [
    lambda: T(overlaps()), lambda: T(before(0, 4)), lambda: T(after(1, 3)),
    lambda: T(meets_before(1)), lambda: T(during()), lambda: lambda a, b: a.t[0] % 2 == 0,
    lambda: X(overlaps()), lambda: false_pred(2), lambda: true_pred(2),
]


@st.composite
def combos(draw, depth=2):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(RELATIONS))()
    kind = draw(st.sampled_from(["and", "or", "not", "and2", "or2", "not2"]))
    a = draw(combos(depth - 1))
    if kind == "not":
        return not_pred(a)
    if kind == "not2":
        return logical.not_pred(a, arity=2)
    b = draw(combos(depth - 1))
    return {"and": and_preds, "or": or_preds}.get(kind, lambda *p: None)(a, b) or (
        and_pred(a, b, arity=2) if kind == "and2" else or_pred(a, b, arity=2))


t_range = st.tuples(st.integers(0, 12), st.integers(0, 6)).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=100, deadline=None)
@given(pred=combos(), pairs=st.lists(st.tuples(t_range, t_range), min_size=1, max_size=8))
def test_combination_mask_equals_calls_and_band_is_sound(pred, pairs):
    left, right = cols([p[0] for p in pairs]), cols([p[1] for p in pairs])
    expected = [bool(pred(left.interval(i), right.interval(i))) for i in range(len(pairs))]
    assert evaluate_mask(pred, left, right).tolist() == expected
    band = candidate_band(pred)
    if band is not None:
        a, b = band
        for (l1, l2), (r1, r2), ok in zip([p[0] for p in pairs], [p[1] for p in pairs], expected):
            if ok:
                assert r1 <= l2 + b and r2 >= l1 - a


def test_non_callable_operand_is_a_type_error():
    with pytest.raises(TypeError, match="predicate must be callable, got 3"):
        and_preds(T(overlaps()), 3)


def test_raw_combination_mask_asks_for_an_adapter():
    c = cols([[0, 1]])
    with pytest.raises(TypeError, match="lift it with T"):
        evaluate_mask(and_pred(overlaps(), during(), arity=2), c, c)


def test_mask_of_binary_predicate_needs_equal_lengths():
    with pytest.raises(ValueError, match="equal length"):
        evaluate_mask(and_preds(T(overlaps())), cols([[0, 1]]), cols([[0, 1], [1, 2]]))
