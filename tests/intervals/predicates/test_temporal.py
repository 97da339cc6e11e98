"""Temporal (1D-range) predicates against a transcription of Rekall's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esper_rekall.intervals.columns import Columns
from esper_rekall.intervals.common import INFTY
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_list import Interval
from esper_rekall.intervals.predicates import (
    T,
    X,
    Y,
    after,
    before,
    candidate_band,
    during,
    during_inv,
    equal,
    evaluate_mask,
    finishes,
    finishes_inv,
    meets_after,
    meets_before,
    overlaps,
    overlaps_after,
    overlaps_before,
    starts,
    starts_inv,
)

# ---- the documented formulas, in plain Python (s = start, e = end) --------


def o_before(m=0, M=INFTY):
    return lambda s1, e1, s2, e2: (s2 - e1) >= m and (M == INFTY or (s2 - e1) <= M)


def o_after(m=0, M=INFTY):
    return lambda s1, e1, s2, e2: (s1 - e2) >= m and (M == INFTY or (s1 - e2) <= M)


ORACLES = {
    "overlaps": lambda: lambda s1, e1, s2, e2: (
        (s1 < s2 < e1) or (s1 < e2 < e1) or (s1 <= s2 and e1 >= e2) or (s1 >= s2 and e1 <= e2)
    ),
    "overlaps_before": lambda: lambda s1, e1, s2, e2: s2 < e1 < e2 and s1 < s2,
    "overlaps_after": lambda: lambda s1, e1, s2, e2: s2 < s1 < e2 and e1 > e2,
    "starts": lambda eps=0: lambda s1, e1, s2, e2: abs(s1 - s2) <= eps and e1 < e2,
    "starts_inv": lambda eps=0: lambda s1, e1, s2, e2: abs(s1 - s2) <= eps and e2 < e1,
    "finishes": lambda eps=0: lambda s1, e1, s2, e2: abs(e1 - e2) <= eps and s1 > s2,
    "finishes_inv": lambda eps=0: lambda s1, e1, s2, e2: abs(e1 - e2) <= eps and s2 > s1,
    "during": lambda: lambda s1, e1, s2, e2: s1 > s2 and e1 < e2,
    "during_inv": lambda: lambda s1, e1, s2, e2: s2 > s1 and e2 < e1,
    "meets_before": lambda eps=0: lambda s1, e1, s2, e2: abs(e1 - s2) <= eps,
    "meets_after": lambda eps=0: lambda s1, e1, s2, e2: abs(e2 - s1) <= eps,
    "equal": lambda: lambda s1, e1, s2, e2: s1 == s2 and e1 == e2,
    "before": o_before,
    "after": o_after,
}

FACTORIES = {
    "overlaps": overlaps, "overlaps_before": overlaps_before, "overlaps_after": overlaps_after,
    "starts": starts, "starts_inv": starts_inv, "finishes": finishes,
    "finishes_inv": finishes_inv, "during": during, "during_inv": during_inv,
    "meets_before": meets_before, "meets_after": meets_after, "equal": equal,
    "before": before, "after": after,
}

# (name, args) for every predicate, incl. negative and float parameters.
CONFIGS = [
    ("overlaps", ()), ("overlaps_before", ()), ("overlaps_after", ()),
    ("starts", ()), ("starts", (1,)), ("starts", (0.5,)), ("starts_inv", ()), ("starts_inv", (2,)),
    ("finishes", ()), ("finishes", (1.5,)), ("finishes_inv", ()), ("finishes_inv", (1,)),
    ("during", ()), ("during_inv", ()), ("meets_before", ()), ("meets_before", (1,)),
    ("meets_after", ()), ("meets_after", (2.5,)), ("equal", ()),
    ("before", ()), ("before", (0, 5)), ("before", (2, 3)), ("before", (-3, 2)),
    ("before", (1.5, INFTY)), ("before", (0, math.inf)), ("before", (-2, -1)),
    ("after", ()), ("after", (0, 5)), ("after", (-3, 2)), ("after", (1, 1)), ("after", (0.5, INFTY)),
]

# 1D pair tables: touching, zero-length, equal, containment, disjoint.
PAIRS = [
    (0, 10, 10, 20),  # touching, first earlier
    (10, 20, 0, 10),  # touching, first later
    (0, 10, 0, 10),  # equal
    (5, 5, 5, 5),  # equal, zero length
    (5, 5, 0, 10),  # zero-length inside
    (0, 10, 5, 5),  # contains zero-length
    (0, 10, 0, 0),  # zero-length at start
    (0, 10, 10, 10),  # zero-length at end
    (10, 10, 0, 10),
    (0, 10, 5, 15),  # overlaps before
    (5, 15, 0, 10),  # overlaps after
    (0, 10, 0, 5),  # same start
    (0, 5, 0, 10),
    (0, 10, 5, 10),  # same end
    (5, 10, 0, 10),
    (2, 8, 0, 10),  # during
    (0, 10, 2, 8),
    (0, 4, 7, 9),  # disjoint
    (7, 9, 0, 4),
    (0.5, 1.5, 1.5, 2.0),
    (-3, -1, -1, 4),
]


def _cases():
    return [(name, args, pair) for name, args in CONFIGS for pair in PAIRS]


@pytest.mark.parametrize(("name", "args", "pair"), _cases())
def test_predicate_matches_documented_formula(name, args, pair):
    s1, e1, s2, e2 = pair
    got = FACTORIES[name](*args)(Interval(s1, e1, None), Interval(s2, e2, None))
    assert got == ORACLES[name](*args)(s1, e1, s2, e2)
    assert isinstance(got, bool)


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ((0, 10, 10, 20), False),
        ((10, 20, 0, 10), False),
        ((0, 10, 0, 10), True),
        ((5, 5, 5, 5), True),
        ((5, 5, 0, 10), True),
        ((0, 10, 0, 0), True),
        ((0, 10, 10, 10), True),
        ((0, 10, 5, 15), True),
        ((0, 4, 7, 9), False),
    ],
)
def test_overlaps_table(pair, expected):
    s1, e1, s2, e2 = pair
    assert overlaps()(Interval(s1, e1, 0), Interval(s2, e2, 0)) is expected


def test_overlaps_is_false_for_intervals_that_only_touch():
    assert not overlaps()(Interval(0, 10, None), Interval(10, 20, None))


def test_before_measures_other_start_minus_self_end():
    a, b = Interval(0, 10, None), Interval(13, 20, None)
    assert before(3, 3)(a, b)
    assert not before(4)(a, b)
    assert not before(0, 2)(a, b)
    assert before()(Interval(0, 10, None), Interval(10, 11, None))  # touching counts


def test_raw_predicates_accept_any_object_with_start_and_end():
    class R:
        def __init__(self, start, end):
            self.start, self.end = start, end

    assert overlaps()(R(0, 2), R(1, 3))


bound = st.integers(-6, 6) | st.sampled_from([0.5, -1.5, 2.5])


@st.composite
def ranges(draw):
    a, b = draw(bound), draw(bound)
    return (min(a, b), max(a, b))


def param_strategy(name):
    if name in ("before", "after"):
        return st.tuples(bound, bound | st.just(INFTY) | st.just(math.inf))
    if name in ("starts", "starts_inv", "finishes", "finishes_inv", "meets_before", "meets_after"):
        return st.tuples(st.integers(-1, 3) | st.just(0.5))
    return st.just(())


def columns(rows, axis="t"):
    idx = {"t": 0, "x": 1, "y": 2}[axis]
    full = [[(0, 1), (0, 1), (0, 1)] for _ in rows]
    for f, r in zip(full, rows):
        f[idx] = r
    arr = lambda k, j: np.array([f[k][j] for f in full])  # noqa: E731
    return Columns(arr(0, 0), arr(0, 1), arr(1, 0), arr(1, 1), arr(2, 0), arr(2, 1),
                   payload=list(range(len(rows))))


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("axis", ["t", "x", "y"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_mask_equals_per_pair_call(name, axis, data):
    args = data.draw(param_strategy(name))
    pairs = data.draw(st.lists(st.tuples(ranges(), ranges()), max_size=12))
    raw = FACTORIES[name](*args)
    pred = {"t": T, "x": X, "y": Y}[axis](raw)
    left = columns([p[0] for p in pairs], axis)
    right = columns([p[1] for p in pairs], axis)
    expected = [pred(left.interval(i), right.interval(i)) for i in range(len(pairs))]
    assert evaluate_mask(pred, left, right).tolist() == expected
    assert expected == [raw(Interval(*a, None), Interval(*b, None)) for a, b in pairs]
    assert pred.axis == axis and pred.describe().axis == axis


@pytest.mark.parametrize("name", sorted(FACTORIES))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_band_is_sound(name, data):
    args = data.draw(param_strategy(name))
    pred = T(FACTORIES[name](*args))
    a, b = candidate_band(pred)
    left = Interval3D(data.draw(ranges()))
    right = Interval3D(data.draw(ranges()))
    if pred(left, right):
        assert right.t[0] <= left.t[1] + b
        assert right.t[1] >= left.t[0] - a


@pytest.mark.parametrize(
    ("pred", "band"),
    [
        (T(overlaps()), (0, 0)),
        (T(before(2, 7)), (-2, 7)),
        (T(before()), (0, math.inf)),
        (T(after(2, 7)), (7, -2)),
        (T(after()), (math.inf, 0)),
        (T(meets_before(1)), (1, 1)),
        (T(equal()), (0, 0)),
        (T(during()), (0, 0)),
        (X(overlaps()), None),
        (Y(before(0, 1)), None),
    ],
)
def test_candidate_band_table(pred, band):
    assert candidate_band(pred) == band


def test_zero_length_containment_is_inside_overlaps_band():
    left, right = Interval3D((0, 10)), Interval3D((10, 10))
    assert T(overlaps())(left, right)
    a, b = candidate_band(T(overlaps()))
    assert right.t[0] <= left.t[1] + b and right.t[1] >= left.t[0] - a


def test_describe_reports_relation_params_and_axis():
    spec = T(before(1, INFTY)).describe()
    assert (spec.kind, spec.relation, spec.axis) == ("temporal", "before", "t")
    assert spec.params == (("min_dist", 1), ("max_dist", math.inf))
    raw = meets_before(0.5).describe()
    assert raw.axis is None and raw.param("epsilon") == 0.5


def test_raw_predicate_mask_asks_for_an_adapter():
    cols = columns([(0, 1)])
    with pytest.raises(TypeError, match="lift it with T"):
        evaluate_mask(overlaps(), cols, cols)


@pytest.mark.parametrize(
    ("factory", "kwargs", "exc", "match"),
    [
        (before, {"max_dist": None}, TypeError, "max_dist must be a number or INFTY"),
        (after, {"min_dist": "3"}, TypeError, "min_dist must be a number"),
        (meets_before, {"epsilon": float("nan")}, ValueError, "epsilon must not be NaN"),
        (starts, {"epsilon": [1]}, TypeError, "epsilon"),
    ],
)
def test_bad_parameters_are_rejected_with_the_value(factory, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        factory(**kwargs)


def test_wrong_number_of_arguments_is_a_type_error():
    with pytest.raises(TypeError, match="takes 2 argument"):
        overlaps()(Interval(0, 1, None))
    with pytest.raises(TypeError, match="takes 2 interval"):
        evaluate_mask(T(overlaps()), columns([(0, 1)]))
