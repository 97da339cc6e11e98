"""IntervalSet3D.match against brute force."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D
from esper_rekall.intervals.predicates.axes import T, XY
from esper_rekall.intervals.predicates.spatial import above, height_at_least, left_of
from esper_rekall.intervals.predicates.temporal import equal, meets_before, overlaps
from tests import reference as ref
from tests.strategies import PROPERTY, interval_lists

I = Interval3D  # noqa: E741

LEFT = I((1, 1), (0.1, 0.4), (0.4, 0.8))
RIGHT = I((1, 1), (0.6, 0.9), (0.3, 0.7))
BOTTOM = I((2, 2), (0.1, 0.3), (0.8, 0.9))
TOP = I((2, 2), (0.5, 0.7), (0.2, 0.7))


def test_exact_match_reference_example():
    s = IntervalSet3D([LEFT, RIGHT, BOTTOM, TOP])
    pattern = [
        (["left", "right"], [T(equal()), XY(left_of())]),
        (["top", "bottom"], [T(equal()), XY(above())]),
        (["left", "top"], [T(meets_before(epsilon=1))]),
    ]
    assert s.match(pattern, exact=True) == [{"left": LEFT, "right": RIGHT, "top": TOP, "bottom": BOTTOM}]


def test_multiple_solutions_and_unary_constraints():
    s = IntervalSet3D([LEFT, RIGHT, BOTTOM, TOP, I((3, 3))])
    pattern = [(["left", "right"], [T(equal()), XY(left_of())])]
    assert len(s.match(pattern)) == 2
    pattern += [(["left"], [XY(height_at_least(0.3))]), (["right"], [XY(height_at_least(0.3))])]
    assert s.match(pattern) == [{"left": LEFT, "right": RIGHT}]


def test_exact_requires_every_interval_assigned():
    s = IntervalSet3D([LEFT, RIGHT, I((3, 3))])
    assert s.match([(["left", "right"], [T(equal()), XY(left_of())])], exact=True) == []


def test_empty_pattern_has_no_solutions():
    assert IntervalSet3D([LEFT]).match([]) == []


PATTERNS = [
    [(["a", "b"], [T(overlaps())])],
    [(["a", "b"], [lambda i, j: i.t[0] < j.t[0]]), (["b", "c"], [T(overlaps())])],
    [(["a"], [lambda i: i.payload % 2 == 0]), (["a", "b"], [XY(left_of())])],
    [(["a", "b", "c"], [lambda i, j, k: i.t[0] <= j.t[0] <= k.t[0]])],
]


@given(a=interval_lists(max_size=5), pattern=st.sampled_from(PATTERNS), exact=st.booleans())
@PROPERTY
def test_match_equals_brute_force(a, pattern, exact):
    s = IntervalSet3D(a)
    items = s.get_intervals()
    got = s.match(pattern, exact)
    want = [{n: items[k] for n, k in sol.items()} for sol in ref.match(items, pattern, exact)]
    key = lambda sol: sorted((n, repr(i)) for n, i in sol.items())  # noqa: E731
    assert sorted(map(key, got)) == sorted(map(key, want))
