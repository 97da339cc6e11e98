"""The 1D API (Interval, IntervalList) over IntervalSet3D."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esper_rekall.intervals.interval_list import Interval, IntervalList
from esper_rekall.intervals.merge_ops import payload_plus, payload_second
from esper_rekall.intervals.predicates import before, overlaps, true_pred


def rows(lst):
    return [(i.start, i.end, i.payload) for i in lst.get_intervals()]


def test_interval_minus_overlap_merge():
    a, b = Interval(1.0, 2.0, 1), Interval(1.5, 2.5, 2)
    assert a.minus(b) == [Interval(1.0, 1.5, 1)]
    assert b.minus(a, payload_second) == [Interval(2.0, 2.5, 1)]
    assert Interval(0, 5, 1).minus(Interval(1, 2, 2)) == [Interval(0, 1, 1), Interval(2, 5, 1)]
    assert Interval(1, 2, 1).minus(Interval(0, 5, 2)) == []
    assert Interval(0, 1, 1).minus(Interval(1, 2, 2)) == [Interval(0, 1, 1)]  # touching
    assert a.overlap(b, payload_plus) == Interval(1.5, 2.0, 3)
    assert a.overlap(Interval(5, 6, 0)) is None
    assert a.merge(Interval(5.0, 7.0, 3), payload_plus) == Interval(1.0, 7.0, 4)
    assert a.length() == 1.0


def test_construction_sorts_and_accepts_tuples():
    lst = IntervalList([(3, 4, "c"), Interval(1, 5, "b"), (1, 2, "a")])
    assert rows(lst) == [(1, 2, "a"), (1, 5, "b"), (3, 4, "c")]
    assert lst.size() == 3 and lst.get_total_time() == 6
    with pytest.raises(TypeError, match="got 7"):
        IntervalList([7])


def test_rekall_attributes_intrvls_and_working_window():
    """Esper-era code reads ``intrvls`` and ``working_window`` as in Rekall."""
    lst = IntervalList([(5, 7, "b"), Interval(1, 3, "a"), (1, 2, "c")])
    assert [(i.start, i.end, i.payload) for i in lst.intrvls] == [
        (1, 2, "c"), (1, 3, "a"), (5, 7, "b")]
    assert lst.intrvls == lst.get_intervals()
    assert len(lst.intrvls) == lst.size() == 3
    lst.intrvls[0].end = 100  # a copy: the list itself is unchanged
    assert lst.intrvls[0].end == 2
    assert IntervalList(lst).intrvls == lst.intrvls
    assert lst.set_union(IntervalList([(0, 1, "z")])).intrvls[0].payload == "z"
    # Rekall's default window: the span, a hundredth of it past 1000 intervals.
    assert lst.working_window == 6
    assert IntervalList([]).working_window == 0
    assert IntervalList([(t, t + 1, None) for t in range(1001)]).working_window == 10.01


def test_map_fold_filter_filter_length_dilate():
    lst = IntervalList([(0, 10, 1), (20, 22, 2)])
    assert rows(lst.map(lambda i: Interval(i.start + 1, i.end + 1, i.payload))) == [
        (1, 11, 1), (21, 23, 2)]
    assert lst.fold(lambda acc, i: acc + i.payload, 0) == 3
    assert rows(lst.filter(lambda i: i.payload == 2)) == [(20, 22, 2)]
    assert rows(lst.filter_length(min_length=5)) == [(0, 10, 1)]
    assert rows(lst.filter_length(max_length=2)) == [(20, 22, 2)]
    assert rows(lst.dilate(1)) == [(-1, 11, 1), (19, 23, 2)]
    assert rows(lst.dilate(-2)) == [(2, 8, 1)]  # inverted interval dropped


def test_set_union_keeps_both():
    u = IntervalList([(1, 2, "a")]).set_union(IntervalList([(0, 3, "b"), (1, 2, "c")]))
    assert rows(u) == [(0, 3, "b"), (1, 2, "a"), (1, 2, "c")]


def test_coalesce_default_merges_overlapping_and_touching():
    lst = IntervalList([(0, 2, [1]), (2, 3, [2]), (1, 1.5, [3]), (5, 6, [4])])
    assert rows(lst.coalesce(payload_plus)) == [(0, 3, [1, 3, 2]), (5, 6, [4])]


def test_coalesce_with_predicate_groups_by_equivalence():
    lst = IntervalList([(0, 2, "a"), (1, 3, "b"), (2, 4, "a"), (10, 11, "b")])
    out = lst.coalesce(lambda p, q: p, predicate=lambda x, y: x.payload == y.payload)
    assert rows(out) == [(0, 4, "a"), (1, 3, "b"), (10, 11, "b")]


def test_join_is_exact_and_predicates_get_1d_intervals():
    a = IntervalList([(0, 1, "a")] + [(i, i + 1, "x") for i in range(100, 2000, 7)])
    b = IntervalList([(1500, 1501, "b")])
    got = a.join(b, lambda x, y: [Interval(x.start, y.end, (x.payload, y.payload))],
                 lambda x, y: isinstance(x, Interval) and x.payload == "a")
    assert rows(got) == [(0, 1501, ("a", "b"))]
    assert rows(a.join(b, lambda x, y: [x], before(), working_window=10)) == [(1493, 1494, "x")]


def test_filter_against_overlaps_merge():
    longs = IntervalList([(1.0, 10.0, 1), (3.0, 15.0, 2)])
    shorts = IntervalList([(2.0, 2.5, 3), (2.9, 3.5, 5)])
    assert rows(longs.filter_against(shorts, predicate=overlaps())) == [(1.0, 10.0, 1), (3.0, 15.0, 2)]
    assert rows(shorts.filter_against(longs, lambda x, y: x.end < y.start)) == [(2.0, 2.5, 3)]
    assert rows(longs.overlaps(shorts, payload_merge_op=payload_plus)) == [
        (2.0, 2.5, 4), (2.9, 3.5, 6), (3.0, 3.5, 7)]
    assert rows(IntervalList([(0, 1, 1)]).merge(IntervalList([(5, 6, 2)]), before(), payload_plus)) == [
        (0, 6, 3)]


def test_minus_recursive_example_from_docstring():
    self_ = IntervalList([(0, 100, "s")])
    other = IntervalList([(10, 30, "o1"), (40, 60, "o2")])
    assert rows(self_.minus(other)) == [(0, 10, "s"), (30, 40, "s"), (60, 100, "s")]
    assert rows(self_.minus(other, payload_merge_op=payload_second)) == [
        (0, 10, "o1"), (30, 40, "o1"), (60, 100, "o2")]


def test_minus_non_recursive_example_from_docstring():
    self_ = IntervalList([(0, 100, "s")])
    other = IntervalList([(10, 30, "o1"), (40, 60, "o2")])
    assert rows(self_.minus(other, recursive_diff=False)) == [
        (0, 10, "s"), (0, 40, "s"), (30, 100, "s"), (60, 100, "s")]


def test_minus_keeps_unmatched_and_honours_predicate():
    self_ = IntervalList([(0, 10, 1), (20, 30, 2), (5, 5, 3)])
    other = IntervalList([(2, 4, 1), (25, 40, 9)])
    assert rows(self_.minus(other)) == [(0, 2, 1), (4, 10, 1), (5, 5, 3), (20, 25, 2)]
    same = self_.minus(other, predicate=lambda a, b: a.payload == b.payload)
    assert rows(same) == [(0, 2, 1), (4, 10, 1), (5, 5, 3), (20, 30, 2)]
    assert rows(self_.minus(IntervalList([]))) == rows(self_)


def test_minus_drops_zero_length_intervals_that_overlap():
    assert rows(IntervalList([(5, 5, 1)]).minus(IntervalList([(0, 10, 2)]))) == []


r = st.tuples(st.integers(0, 30), st.integers(0, 8)).map(lambda p: (p[0], p[0] + p[1]))


def _uncovered(s, e, others):
    """Oracle for disjoint-interior covers: points of [s, e] outside every other."""
    pieces, cur = [], s
    for os_, oe in sorted(others):
        if os_ > cur:
            pieces.append((cur, min(os_, e)))
        cur = max(cur, oe)
    if cur < e:
        pieces.append((cur, e))
    return [p for p in pieces if p[0] < p[1]]


@settings(max_examples=100, deadline=None)
@given(left=st.lists(r, max_size=6), right=st.lists(r, max_size=6))
def test_minus_matches_a_gap_oracle_for_positive_lengths(left, right):
    left = [p for p in left if p[0] < p[1]]
    right = [p for p in right if p[0] < p[1]]
    got = IntervalList([(s, e, 0) for s, e in left]).minus(
        IntervalList([(s, e, 1) for s, e in right]))
    expected = []
    for s, e in left:
        hit = [o for o in right if overlaps()(Interval(s, e, 0), Interval(*o, 1))]
        expected += [(s, e)] if not hit else _uncovered(s, e, hit)
    assert sorted((i.start, i.end) for i in got.get_intervals()) == sorted(expected)


def test_default_predicates_accept_true_pred_objects():
    lst = IntervalList([(0, 2, 1), (1, 3, 2)])
    assert rows(lst.coalesce(payload_plus, predicate=true_pred(arity=2))) == [(0, 3, 3)]
