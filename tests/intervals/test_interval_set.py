"""IntervalSet3D: unit tests per operation and properties against tests/reference.py."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D
from esper_rekall.intervals.merge_ops import payload_first, payload_plus, payload_second
from esper_rekall.intervals.predicates.axes import T, XY, and_preds
from esper_rekall.intervals.predicates.spatial import left_of  # noqa: F401 - used by name below
from esper_rekall.intervals.predicates.temporal import after, before, during_inv, meets_before, overlaps
from tests import reference as ref
from tests.strategies import PROPERTY, interval_lists, interval_sets

I = Interval3D  # noqa: E741


def tuples(s):
    return ref.as_tuples(s.get_intervals())


def assert_sorted(s):
    keys = [ref.key(i) for i in s.get_intervals()]
    assert keys == sorted(keys)


# -- construction and basics ----------------------------------------------


def test_construction_sorts_without_mutating_the_callers_list():
    lst = [I((5, 6)), I((0, 1))]
    s = IntervalSet3D(lst)
    assert [i.t for i in lst] == [(5, 6), (0, 1)]
    assert [i.t for i in s.get_intervals()] == [(0, 1), (5, 6)]


def test_ties_keep_insertion_order():
    s = IntervalSet3D([I((0, 1), payload="a"), I((0, 1), payload="b")])
    assert [i.payload for i in s.get_intervals()] == ["a", "b"]


def test_bounds_read_back_as_python_numbers():
    i = IntervalSet3D([I((1, 2), (0.5, 1))]).get_intervals()[0]
    assert type(i.t[0]) is int and type(i.x[0]) is float


def test_rejects_non_intervals():
    with pytest.raises(TypeError, match="Interval3D"):
        IntervalSet3D([(0, 1)])


def test_len_size_empty():
    s = IntervalSet3D([I((1, 5)), I((10, 22))])
    assert (len(s), s.size(), s.empty(), IntervalSet3D([]).empty()) == (2, 2, False, True)


def test_mutating_returned_intervals_does_not_change_the_set():
    s = IntervalSet3D([I((1, 5))])
    s.get_intervals()[0].t = (0, 100)
    assert s.get_intervals()[0].t == (1, 5)


def test_pickle_and_equality():
    s = IntervalSet3D([I((1, 5), payload={"a": 1})])
    assert pickle.loads(pickle.dumps(s)) == s


# -- unary -------------------------------------------------------------------


def test_map_resorts():
    s = IntervalSet3D([I((0, 1), (0.25, 0.5)), I((0, 0.5), (0, 0.25))]).map(Interval3D.expand_to_frame)
    assert [i.t for i in s.get_intervals()] == [(0, 0.5), (0, 1)]


def test_split():
    def split_fn(i):
        out, (a, b) = [], i.t
        while b - a > 5:
            out.append(I((a, a + 5)))
            a += 5
        if b > a:
            out.append(I((a, b)))
        return IntervalSet3D(out)

    s = IntervalSet3D([I((1, 5)), I((10, 22))]).split(split_fn)
    assert [i.t for i in s.get_intervals()] == [(1, 5), (10, 15), (15, 20), (20, 22)]


def test_fold_and_custom_sort_key():
    s = IntervalSet3D([I((0, 1), (0, 0.25), payload=1), I((0, 0.5), (0.5, 1), payload=2), I((0.25, 0.5), (0, 1), payload=3)])
    assert s.fold(lambda acc, i: acc + [i.payload], [], lambda i: i.x) == [1, 3, 2]
    assert s.fold(lambda acc, i: acc + i.payload, 0) == 6


def test_fold_does_not_mutate_init():
    init: list = []
    IntervalSet3D([I((0, 1))]).fold(lambda acc, i: acc.append(i) or acc, init)
    assert init == []


def test_fold_to_set_default_builds_a_set():
    s = IntervalSet3D([I((2, 3)), I((0, 1))])
    assert s.fold_to_set(lambda acc, i: acc + [i], []) == s


def test_filter_with_plain_callable():
    s = IntervalSet3D([I((0, 1), payload=1), I((0, 0.5), payload=3)]).filter(lambda i: i.payload > 2)
    assert [i.payload for i in s.get_intervals()] == [3]


def test_map_payload():
    s = IntervalSet3D([I((0, 1), payload=1), I((2, 3), payload=2)]).map_payload(lambda p: p + 10)
    assert [i.payload for i in s.get_intervals()] == [11, 12]


def test_group_by():
    s = IntervalSet3D([I((0, 1)), I((1, 2)), I((0, 2)), I((1, 3))])

    def merge(k, group):
        m = group.fold(Interval3D.merge)
        m.payload = group
        return m

    out = s.group_by(lambda i: i.t[1] % 2, merge).get_intervals()
    assert [i.t for i in out] == [(0, 2), (0, 3)]
    assert [j.t for j in out[1].payload.get_intervals()] == [(0, 1), (1, 3)]


def test_dilate_and_erode_back():
    s = IntervalSet3D([I((2, 5)), I((6, 7))])
    assert [i.t for i in s.dilate(1).get_intervals()] == [(1, 6), (5, 8)]
    assert s.dilate(1).dilate(-1) == s


def test_dilate_x_axis():
    s = IntervalSet3D([I((2, 5))]).dilate(-0.25, axis="X")
    assert s.get_intervals()[0].x == (0.25, 0.75)


def test_negative_dilate_drops_inverted_and_keeps_zero_length():
    s = IntervalSet3D([I((0, 2)), I((0, 1))]).dilate(-1)
    assert [i.t for i in s.get_intervals()] == [(1, 1)]


@pytest.mark.parametrize("op", ["dilate", "filter_size"])
def test_unknown_axis_is_rejected(op):
    s = IntervalSet3D([I((0, 1))])
    with pytest.raises(ValueError, match="axis must be one of"):
        s.dilate(1, axis="Z") if op == "dilate" else s.filter_size(axis="Z")


def test_filter_size_per_axis():
    s = IntervalSet3D([I((1, 2), (0.5, 0.75), (0.25, 0.5)), I((20, 30), (0.25, 1.0)), I((50, 55), (0.25, 0.5), (0.5, 1))])
    assert [i.t for i in s.filter_size(min_size=10).get_intervals()] == [(20, 30)]
    assert [i.t for i in s.filter_size(max_size=0.25, axis="Y").get_intervals()] == [(1, 2)]
    assert [i.t for i in s.filter_size(0.25, 0.5, axis="X").get_intervals()] == [(1, 2), (50, 55)]


def test_group_by_time_makes_full_frame_groups():
    g1 = [I((1, 1), (0.5, 0.75), payload=1), I((1, 1), (0, 0.25), payload=2)]
    g2 = [I((2, 2), (0.25, 0.5), payload=11)]
    out = IntervalSet3D(g1 + g2).group_by_time().get_intervals()
    assert [(i.t, i.x, i.y) for i in out] == [((1, 1), (0, 1), (0, 1)), ((2, 2), (0, 1), (0, 1))]
    assert out[0].payload == IntervalSet3D(g1) and out[1].payload == IntervalSet3D(g2)


def test_temporal_coalesce_reference_example():
    s = IntervalSet3D([
        I((1, 10), (0.25, 0.5), (0.5, 0.75), 1), I((2, 5), (0, 0.75), (0, 0.25), 1),
        I((10, 11), (0.25, 0.75), (0.25, 0.5), 1), I((13, 15), (0.5, 1), (0, 0.5), 1),
        I((15, 19), (0.5, 1), (0, 0.5), 1), I((20, 20), payload=1), I((22, 22), payload=1), I((22, 23), payload=1),
    ])
    got = [(i.t, i.x, i.y, i.payload) for i in s.temporal_coalesce(payload_plus).get_intervals()]
    assert got == [((1, 11), (0, 0.75), (0, 0.75), 3), ((13, 19), (0.5, 1), (0, 0.5), 2), ((20, 20), (0, 1), (0, 1), 1), ((22, 23), (0, 1), (0, 1), 2)]
    assert [(i.t, i.payload) for i in s.temporal_coalesce(payload_plus, epsilon=2).get_intervals()] == [((1, 23), 8)]


def test_temporal_coalesce_rejects_negative_epsilon():
    with pytest.raises(ValueError, match="epsilon must be >= 0"):
        IntervalSet3D([I((0, 1))]).temporal_coalesce(epsilon=-1)


# -- binary ------------------------------------------------------------------


def test_union_puts_self_first_on_ties():
    a = IntervalSet3D([I((0, 1), payload=1)])
    b = IntervalSet3D([I((0, 1), payload=2)])
    assert [i.payload for i in a.union(b).get_intervals()] == [1, 2]


def test_join_reference_example():
    a = IntervalSet3D([I((0, 1), payload=1), I((0, 0.5), (0.5, 1), (0, 0.5), 2)])
    b = IntervalSet3D([I((0.5, 1), payload=4), I((0, 1), payload=8)])
    out = a.join(b, T(overlaps()), lambda i, j: [i.overlap_time_merge_space(j, payload_plus)])
    assert [(i.t, i.payload) for i in out.get_intervals()] == [((0, 0.5), 10), ((0, 1), 9), ((0.5, 1), 5)]


def test_join_with_time_window():
    a = IntervalSet3D([I((t, t + 1), payload=t) for t in range(100)])
    b = IntervalSet3D([I((t, t), payload=t) for t in range(100)])
    out = a.join(b, T(before(max_dist=1)), lambda i, j: [i.merge(j, payload_second)], time_window=1)
    want = IntervalSet3D([I((t, t + 2), payload=t + 2) for t in range(98)] + [I((t, t + 1), payload=t + 1) for t in range(99)])
    assert out == want


def test_join_is_exact_far_apart_without_window():
    a = IntervalSet3D([I((0, 1))] + [I((t, t + 1)) for t in range(2, 2000, 2)])
    b = IntervalSet3D([I((10**6, 10**6 + 1), payload="far")])
    out = a.join(b, T(before()), lambda i, j: [i])
    assert len(out) == len(a)


def test_merge_reference_example():
    a = IntervalSet3D([I((1, 10), (0.75, 1), (0, 0.25)), I((20, 30), (0, 0.25), (0.75, 1))])
    b = IntervalSet3D([I((11, 15), (0.25, 0.5), (0.75, 1)), I((35, 36))])
    out = a.merge(b, T(meets_before(epsilon=1))).get_intervals()
    assert [(i.t, i.x, i.y) for i in out] == [((1, 15), (0.25, 1), (0, 1))]


def test_filter_against_with_zero_window():
    a = IntervalSet3D([I((0, 1)), I((2, 5)), I((6, 7))])
    b = IntervalSet3D([I((1, 1)), I((7, 7))])
    assert [i.t for i in a.filter_against(b, T(overlaps()), time_window=0).get_intervals()] == [(0, 1), (6, 7)]


def test_collect_by_interval():
    a = IntervalSet3D([I((1, 5)), I((10, 50)), I((51, 52))])
    nested = [I((2, 2), (0.25, 0.5), payload=1), I((3, 3), payload=2), I((11, 23), payload=3)]
    b = IntervalSet3D(nested)
    out = a.collect_by_interval(b, T(during_inv())).get_intervals()
    assert [(i.t, i.payload[1]) for i in out] == [((1, 5), IntervalSet3D(nested[:2])), ((10, 50), IntervalSet3D(nested[2:]))]
    out = a.collect_by_interval(b, T(overlaps()), filter_empty=False, time_window=0).get_intervals()
    assert out[2].payload == (None, IntervalSet3D([]))


MINUS_CASES = [
    ([(1, 10)], [(2, 2.5), (2, 2.75), (3, 3.5), (3.5, 3.75), (5, 7), (9, 12)], [(1, 2), (2.75, 3), (3.75, 5), (7, 9)]),
    ([(1, 10)], [(10, 20), (-5, 1)], [(1, 10)]),
    ([(0, 10)], [(0, 5), (5, 10)], []),
    ([(1, 1), (3, 3), (4, 4), (7, 7), (10, 10)], [(1, 3), (5, 8), (9, 9)], [(4, 4), (10, 10)]),
    ([(1, 3), (5, 8), (9, 9)], [(1, 1), (3, 3), (4, 4)], [(1, 3), (5, 8), (9, 9)]),
    ([(5, 5)], [(0, 5)], []),
    ([(5, 5)], [(5, 10)], []),
    ([(0, 10)], [(2, 3)], [(0, 2), (3, 10)]),
    ([(-3.5, -1)], [(-2, -1.5)], [(-3.5, -2), (-1.5, -1)]),
]


@pytest.mark.parametrize("left, right, want", MINUS_CASES)
def test_minus_cases(left, right, want):
    a = IntervalSet3D([I(t, (0, 0.5), (0.25, 0.75), "p") for t in left])
    out = a.minus(IntervalSet3D([I(t) for t in right])).get_intervals()
    assert [i.t for i in out] == want
    assert all(i.x == (0, 0.5) and i.y == (0.25, 0.75) and i.payload == "p" for i in out)


def test_minus_requires_full_frame_other():
    with pytest.raises(ValueError, match="full-frame"):
        IntervalSet3D([I((0, 1))]).minus(IntervalSet3D([I((0, 1), (0, 0.5))]))
    with pytest.raises(NotImplementedError):
        IntervalSet3D([I((0, 1))]).minus(IntervalSet3D([I((0, 1), (0, 0.5))]))


def test_minus_self_is_empty():
    s = IntervalSet3D([I((2, 2.5)), I((2, 2.75)), I((3, 3.5)), I((5, 7))])
    assert s.minus(s).empty()


# -- properties against the reference ------------------------------------------


def _plain(pred):
    return lambda a, b: pred(a, b)


BINARY_PREDICATES = [
    T(overlaps()),
    T(before(max_dist=2)),
    T(before(min_dist=1, max_dist=3)),
    T(after(max_dist=1.5)),
    T(meets_before(epsilon=1)),
    XY(left_of()),
    and_preds(T(overlaps()), XY(left_of())),
    and_preds(XY(left_of()), T(overlaps()), _plain(T(before(max_dist=3)))),
    _plain(T(overlaps())),
]
predicates = st.sampled_from(BINARY_PREDICATES)
windows = st.sampled_from([None, None, 0, 1, 2.5])


@given(a=interval_lists(), b=interval_lists(), pred=predicates, window=windows)
@PROPERTY
def test_join_matches_reference(a, b, pred, window):
    a_copy, b_copy = copy.deepcopy(a), copy.deepcopy(b)
    sa, sb = IntervalSet3D(a), IntervalSet3D(b)
    op = lambda i, j: [i.merge(j, lambda p, q: (p, q))]  # noqa: E731
    got = sa.join(sb, pred, op, time_window=window)
    want = ref.join(ref.ordered(a), ref.ordered(b), pred, op, window)
    assert tuples(got) == ref.as_tuples(want)
    assert_sorted(got)
    assert a == a_copy and b == b_copy
    assert tuples(sa) == ref.as_tuples(ref.ordered(a))


@given(a=interval_lists(), b=interval_lists(), pred=predicates, window=windows, first=st.booleans())
@PROPERTY
def test_merge_matches_reference(a, b, pred, window, first):
    op = payload_first if first else payload_plus
    got = IntervalSet3D(a).merge(IntervalSet3D(b), pred, op, time_window=window)
    assert tuples(got) == ref.as_tuples(ref.merge(ref.ordered(a), ref.ordered(b), pred, op, window))


@given(a=interval_lists(), b=interval_lists(), pred=predicates, window=windows)
@PROPERTY
def test_filter_against_matches_reference(a, b, pred, window):
    got = IntervalSet3D(a).filter_against(IntervalSet3D(b), pred, time_window=window)
    assert tuples(got) == ref.as_tuples(ref.filter_against(ref.ordered(a), ref.ordered(b), pred, window))


@given(a=interval_lists(), b=interval_lists(), pred=predicates, window=windows, filter_empty=st.booleans())
@PROPERTY
def test_collect_by_interval_matches_reference(a, b, pred, window, filter_empty):
    got = IntervalSet3D(a).collect_by_interval(IntervalSet3D(b), pred, filter_empty, window).get_intervals()
    want = ref.collect_by_interval(ref.ordered(a), ref.ordered(b), pred, filter_empty, window)
    assert [ref.key(i) for i in got] == [ref.key(i) for i, _ in want]
    assert [i.payload[0] for i in got] == [i.payload for i, _ in want]
    assert [tuples(i.payload[1]) for i in got] == [ref.as_tuples(n) for _, n in want]


@given(a=interval_lists(), b=interval_lists(full_frame=True))
@PROPERTY
def test_minus_matches_reference(a, b):
    got = IntervalSet3D(a).minus(IntervalSet3D(b))
    assert tuples(got) == ref.as_tuples(ref.minus(ref.ordered(a), b))
    assert_sorted(got)


@given(a=interval_lists(max_size=40), b=interval_lists(max_size=1, full_frame=True))
@PROPERTY
def test_minus_of_many_rows_against_one_range_matches_reference(a, b):
    """Few cut rows among many: pieces of cut rows placed among the uncut rows."""
    got = IntervalSet3D(a).minus(IntervalSet3D(b))
    assert tuples(got) == ref.as_tuples(ref.minus(ref.ordered(a), b))
    assert_sorted(got)


@given(a=interval_lists(), eps=st.sampled_from([0, 0.5, 1, 3]), first=st.booleans())
@PROPERTY
def test_temporal_coalesce_matches_reference(a, eps, first):
    op = payload_first if first else payload_plus
    got = IntervalSet3D(a).temporal_coalesce(op, eps)
    assert tuples(got) == ref.as_tuples(ref.temporal_coalesce(a, op, eps))


@given(a=interval_lists(), w=st.sampled_from([-2, -0.5, 0, 1, 0.25]), axis=st.sampled_from("TXY"))
@PROPERTY
def test_dilate_matches_reference(a, w, axis):
    got = IntervalSet3D(a).dilate(w, axis)
    assert tuples(got) == ref.as_tuples(ref.dilate(ref.ordered(a), w, axis))


@given(a=interval_lists(), lo=st.sampled_from([0, 0.5, 2]), hi=st.sampled_from([None, 0.5, 3]), axis=st.sampled_from("TXY"))
@PROPERTY
def test_filter_size_matches_reference(a, lo, hi, axis):
    got = IntervalSet3D(a).filter_size(lo, hi if hi is not None else "infty", axis)
    assert tuples(got) == ref.as_tuples(ref.filter_size(ref.ordered(a), lo, hi, axis))


@given(a=interval_lists())
@PROPERTY
def test_group_by_time_matches_reference(a):
    got = IntervalSet3D(a).group_by_time().get_intervals()
    want = ref.group_by_time(a)
    assert [i.t for i in got] == [t for t, _ in want]
    assert [tuples(i.payload) for i in got] == [ref.as_tuples(g) for _, g in want]
    assert all(i.x == (0, 1) and i.y == (0, 1) for i in got)


@given(a=interval_sets(), b=interval_sets())
@PROPERTY
def test_union_is_commutative_up_to_tie_order(a, b):
    assert sorted(tuples(a.union(b)), key=repr) == sorted(tuples(b.union(a)), key=repr)
    assert_sorted(a.union(b))


@given(a=interval_lists())
@PROPERTY
def test_filter_with_builtin_and_callable_agree(a):
    from esper_rekall.intervals.predicates.spatial import width_at_least

    s = IntervalSet3D(a)
    pred = XY(width_at_least(0.5))
    assert s.filter(pred) == s.filter(lambda i: pred(i))


@pytest.mark.parametrize("window", [None, 0, 1])
def test_and_with_overlaps_join_calls_its_callable_only_on_overlapping_pairs(window):
    seen = []

    def spy(i, j):
        seen.append((i.payload, j.payload))
        return i.payload != j.payload

    a = [I((0, 2), payload=0), I((2, 2), payload=1), I((3, 4), payload=2)]
    b = [I((2, 3), payload=3), I((1, 3), payload=4), I((0, 2), payload=0), I((9, 9), payload=5)]
    pred = and_preds(T(overlaps()), spy)
    expected = ref.merge(ref.ordered(a), ref.ordered(b), pred, payload_first, window)
    seen.clear()
    got = IntervalSet3D(a).merge(IntervalSet3D(b), pred, time_window=window)
    assert ref.as_tuples(got.get_intervals()) == ref.as_tuples(expected)
    assert sorted(seen) == sorted((i.payload, j.payload) for i in a for j in b if T(overlaps())(i, j))


@pytest.mark.parametrize("window", [None, 0, 1, -1])
def test_overlap_merge_with_zero_length_intervals_matches_reference(window):
    a = [I((0, 2), payload=0), I((2, 2), payload=1), I((1, 1), payload=2), I((3, 4), payload=3)]
    b = [I((2, 3), payload=4), I((2, 2), payload=5), I((0, 0), payload=6), I((1, 3), payload=7)]
    got = IntervalSet3D(a).merge(IntervalSet3D(b), T(overlaps()), time_window=window)
    expected = ref.merge(ref.ordered(a), ref.ordered(b), T(overlaps()), payload_first, window)
    assert ref.as_tuples(got.get_intervals()) == ref.as_tuples(expected)


def _bounded(length: st.SearchStrategy) -> st.SearchStrategy:
    """Intervals of ``length`` frames (or half frames) with random boxes."""
    start = st.one_of(st.integers(-5, 20), st.integers(-10, 40).map(lambda v: v / 2))
    box = st.tuples(st.sampled_from([0, 0.25, 0.5]), st.sampled_from([0.5, 0.75, 1]))
    return st.builds(lambda t, d, x, p: I((t, t + d), x, payload=p), start, length, box, st.integers(0, 9))


@given(
    many=st.lists(_bounded(st.integers(1, 6)), min_size=20, max_size=40),
    few=st.lists(_bounded(st.just(0)), min_size=1, max_size=2),
    many_left=st.booleans(),
    pred=st.sampled_from([T(overlaps()), and_preds(T(overlaps()), XY(left_of()))]),
    window=st.sampled_from([None, 0, 1]),
)
@PROPERTY
def test_overlap_merge_of_many_positive_length_against_few_zero_length_matches_reference(many, few, many_left, pred, window):
    """The zero-length sub-join of the open band, with either side the big one."""
    a, b = (many, few) if many_left else (few, many)
    got = IntervalSet3D(a).merge(IntervalSet3D(b), pred, time_window=window)
    expected = ref.merge(ref.ordered(a), ref.ordered(b), pred, payload_first, window)
    assert ref.as_tuples(got.get_intervals()) == ref.as_tuples(expected)


def _same_columns(a: IntervalSet3D, b: IntervalSet3D) -> None:
    import numpy as np

    for x, y in zip(a.columns.bounds(), b.columns.bounds()):
        assert x.dtype == y.dtype
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
        assert np.array_equal(np.signbit(x), np.signbit(y))
    assert type(a.columns.payload) is type(b.columns.payload)
    assert list(a.columns.payload) == list(b.columns.payload)


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.one_of(st.integers(-(2**62), 2**62), st.floats(allow_nan=False, allow_infinity=False)),
            st.integers(0, 3),
            st.sampled_from([0, 0.25, -0.0, 1e-300]),
            st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2)),
        ),
        max_size=150,
    ),
)
def test_pickle_round_trips_exactly_small_and_large_sets(rows) -> None:
    s = IntervalSet3D([Interval3D((t, t + d) if isinstance(t, int) else (t, t), (x, 1), (0, 1), p) for t, d, x, p in rows])
    back = pickle.loads(pickle.dumps(s))
    assert back == s
    _same_columns(back, s)
    assert [i.payload for i in back.get_intervals()] == [i.payload for i in s.get_intervals()]


def test_pickle_keeps_ties_in_their_order_and_each_column_dtype() -> None:
    import numpy as np

    from esper_rekall.intervals.columns import Columns

    payloads = ["b", "a", "c"]
    cols = Columns(
        np.array([1, 1, 1]), np.array([2, 2, 2]), np.array([0.0, -0.0, float("nan")]), np.array([1.0, 1.0, 1.0]),
        np.array([0, 0, 0]), np.array([1, 1, 1]), payload=list(payloads),
    )
    s = IntervalSet3D._from_columns(cols, presorted=True)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(s, protocol=protocol))
        _same_columns(back, s)
    empty = pickle.loads(pickle.dumps(IntervalSet3D()))
    assert len(empty) == 0 and empty == IntervalSet3D()
    _same_columns(empty, IntervalSet3D())
    nested = IntervalSet3D([Interval3D((0, 1), payload=IntervalSet3D([Interval3D((0.5, 1.5), payload=s)]))])
    back = pickle.loads(pickle.dumps(nested))
    _same_columns(back.get_intervals()[0].payload.get_intervals()[0].payload, s)
    _same_columns(copy.deepcopy(nested).get_intervals()[0].payload.get_intervals()[0].payload, s)
