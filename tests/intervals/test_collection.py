"""DomainIntervalCollection: mapping interface and per-domain semantics."""

from __future__ import annotations

import datetime
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D
from esper_rekall.intervals.merge_ops import payload_first, payload_plus
from esper_rekall.intervals.predicates.axes import T, XY, and_preds
from esper_rekall.intervals.predicates.spatial import left_of
from esper_rekall.intervals.predicates.temporal import before, overlaps
from tests.strategies import PROPERTY, collections

I = Interval3D  # noqa: E741
D = DomainIntervalCollection


def per_domain(coll, name, *args, other=None, **kwargs):
    """The reference's definition: the IntervalSet3D method per domain, empties dropped."""
    if other is None:
        out = {k: getattr(coll[k], name)(*args, **kwargs) for k in coll}
    else:
        keys = list(coll) + [k for k in other if k not in coll]
        out = {k: getattr(coll[k], name)(other[k], *args, **kwargs) for k in keys}
    return D({k: v for k, v in out.items() if not v.empty()})


def sample():
    return D({
        vid: IntervalSet3D([I((t, t + 1), (0, 0.5), (0.5, 1), vid) for t in range(vid, vid + 15)])
        for vid in range(10)
    })


def test_missing_key_is_an_empty_set():
    assert D({})["nope"].empty()


def test_mapping_interface_with_mixed_keys():
    c = D()
    day = datetime.date(2020, 1, 1)
    c[day] = IntervalSet3D([I((0, 1))])
    c["x"] = IntervalSet3D([I((5, 6)), I((2, 3))])
    c[(1, 2)] = IntervalSet3D([])
    assert list(c) == [day, "x", (1, 2)] and len(c) == 3 and "x" in c and [] not in c
    c["x"] = IntervalSet3D([I((7, 8))])
    assert [i.t for i in c["x"].get_intervals()] == [(7, 8)] and c[day].size() == 1
    del c[day]
    assert list(c.keys()) == ["x", (1, 2)] and c["x"].size() == 1
    with pytest.raises(KeyError):
        del c[day]


def test_setitem_rejects_non_sets():
    with pytest.raises(TypeError, match="IntervalSet3D"):
        D()["k"] = [I((0, 1))]


def test_pickle_roundtrip_and_repr():
    c = sample()
    assert pickle.loads(pickle.dumps(c)) == c
    assert repr(c) == "<DomainIntervalCollection domains=10 intervals=150>"


def test_self_merge_with_window_is_identity():
    c = sample()
    assert c.merge(c, T(overlaps()), payload_first, time_window=10) == c


def test_filter_size_keeps_all_unit_intervals():
    c = sample()
    assert c.filter_size(min_size=1, max_size=2) == c


def test_fold_returns_a_dict():
    c = sample()
    assert c.fold(lambda m, i: max(m, i.payload), -1) == {v: v for v in range(10)}
    assert c.size() == {v: 15 for v in range(10)}
    assert c.empty() == {v: False for v in range(10)}


def test_fold_to_set_rebuilds():
    c = sample()
    assert c.fold_to_set(lambda acc, i: acc + [i], []) == c


def test_union_and_minus_by_parity():
    c = sample()
    even = D({v: c[v] for v in c if v % 2 == 0})
    odd = D({v: c[v] for v in c if v % 2 == 1})
    assert even.union(odd) == c
    assert c.minus(even.map(Interval3D.expand_to_frame)) == odd


def test_collect_keeps_domains_when_not_filtering_empty():
    c = sample()
    d = D({1: IntervalSet3D([I((t, t)) for t in range(1, 100)])})
    e = c.collect_by_interval(d, T(overlaps()), filter_empty=False, time_window=0)
    assert list(e.keys()) == list(c.keys())


def test_unary_drops_domains_that_become_empty():
    c = D({"a": IntervalSet3D([I((0, 1))]), "b": IntervalSet3D([I((0, 5))])})
    assert list(c.filter_size(min_size=2)) == ["b"]


def test_from_iterable_reference_signature_and_aliases():
    rows = [("v1", 0, 1, "p"), ("v2", 3, 4, "q"), ("v1", 2, 3, "r")]
    c = D.from_iterable(rows, lambda r: r[0], lambda r: (r[1], r[2]), p_accessor=lambda r: r[3])
    assert [i.payload for i in c["v1"].get_intervals()] == ["p", "r"]
    c2 = D.from_iterable(rows, key_parser=lambda r: r[0], bounds_parser=lambda r: {"t1": r[1], "t2": r[2]}, payload_parser=lambda r: r[3])
    assert c2 == c


def test_from_iterable_reports_bad_bounds():
    with pytest.raises(ValueError, match="t1 must be <= t2"):
        D.from_iterable([(1,)], lambda r: 0, lambda r: (5, 1))


def test_from_intervalset_flatten_and_add_domain():
    s = IntervalSet3D([I((0, 1), payload=1), I((0, 1), payload=2), I((2, 3), payload=3)])
    c = D.from_intervalset(s, lambda i: i.payload % 2)
    assert list(c) == [1, 0]
    assert c.get_flattened_intervalset() == IntervalSet3D([I((0, 1), payload=1), I((2, 3), payload=3), I((0, 1), payload=2)])
    assert [i.payload for i in c.add_domain_to_payload()[0].get_intervals()] == [(2, 0)]
    assert set(c.get_grouped_intervals()) == {0, 1}


def test_profile_keyword_is_accepted(capsys):
    sample().filter_size(min_size=0, profile=True)
    assert "filter_size ends after" in capsys.readouterr().out


# -- one sweep == per-domain reference definition ---------------------------------

windows = st.sampled_from([None, 0, 2])
preds = st.sampled_from([
    T(overlaps()),
    T(before(max_dist=2)),
    lambda a, b: a.t[0] <= b.t[0],
    and_preds(T(overlaps()), XY(left_of())),
])


@given(a=collections(), b=collections(), pred=preds, window=windows)
@PROPERTY
def test_binary_ops_equal_per_domain_definition(a, b, pred, window):
    op = lambda i, j: [i.merge(j, payload_plus)]  # noqa: E731
    assert a.join(b, pred, op, time_window=window) == per_domain(a, "join", pred, op, other=b, time_window=window)
    assert a.merge(b, pred, payload_plus, window) == per_domain(a, "merge", pred, payload_plus, window, other=b)
    assert a.filter_against(b, pred, window) == per_domain(a, "filter_against", pred, window, other=b)
    assert a.collect_by_interval(b, pred, False, window) == per_domain(a, "collect_by_interval", pred, False, window, other=b)
    assert a.union(b) == per_domain(a, "union", other=b)


def _domains_of(length: st.SearchStrategy, n_domains: int, min_size: int) -> st.SearchStrategy:
    """Collections over keys ``0 .. n_domains - 1`` of intervals ``length`` frames long."""
    interval = st.builds(lambda t, d, p: I((t, t + d), payload=p), st.integers(-5, 20), length, st.integers(0, 9))
    rows = st.lists(st.tuples(st.integers(0, n_domains - 1), interval), min_size=min_size, max_size=2 * min_size)
    return rows.map(lambda r: D({k: IntervalSet3D([i for d, i in r if d == k]) for k in sorted({d for d, _ in r})}))


@given(
    many=_domains_of(st.integers(1, 6), 12, 40),
    few=_domains_of(st.just(0), 12, 1),
    many_left=st.booleans(),
    window=st.sampled_from([None, 0, 1]),
)
@PROPERTY
def test_overlap_ops_of_many_positive_length_against_few_zero_length_equal_per_domain_definition(many, few, many_left, window):
    """Many domains of positive-length rows against a few zero-length rows in some of them, either side."""
    a, b = (many, few) if many_left else (few, many)
    assert a.merge(b, T(overlaps()), payload_plus, window) == per_domain(a, "merge", T(overlaps()), payload_plus, window, other=b)
    assert a.filter_against(b, T(overlaps()), window) == per_domain(a, "filter_against", T(overlaps()), window, other=b)


@given(a=collections(), b=collections(full_frame=True))
@PROPERTY
def test_minus_equals_per_domain_definition(a, b):
    assert a.minus(b) == per_domain(a, "minus", other=b)


@given(a=collections(), eps=st.sampled_from([0, 1]), w=st.sampled_from([-1, 0.5]))
@PROPERTY
def test_unary_ops_equal_per_domain_definition(a, eps, w):
    assert a.temporal_coalesce(payload_plus, eps) == per_domain(a, "temporal_coalesce", payload_plus, eps)
    assert a.dilate(w) == per_domain(a, "dilate", w)
    assert a.filter_size(1, 3) == per_domain(a, "filter_size", 1, 3)
    assert a.group_by_time() == per_domain(a, "group_by_time")
    assert a.filter(lambda i: i.payload % 2 == 0) == per_domain(a, "filter", lambda i: i.payload % 2 == 0)
    assert a.map_payload(str) == per_domain(a, "map_payload", str)
    assert a.map(Interval3D.expand_to_frame) == per_domain(a, "map", Interval3D.expand_to_frame)


@pytest.mark.parametrize(
    ("rows", "error", "message"),
    [
        ([(0, 1), (0, 1, 2, 3)], ValueError, r"t must be a \(start, end\) pair, got t=\(0, 1, 2, 3\)"),
        ([(0, 1), ("a", 2)], TypeError, "t1 must be a real number, got t1='a' of type str"),
        ([(0, 1), (True, 2)], TypeError, "t1 must be a real number, got t1=True of type bool"),
        ([(0, 1), (1, float("nan"))], ValueError, "t2 must not be NaN, got t2=nan"),
        ([(3, 1), (5, 2)], ValueError, "t1 must be <= t2, got t1=3, t2=1"),
    ],
)
def test_from_iterable_names_the_first_bad_bound(rows, error, message):
    with pytest.raises(error, match=message):
        D.from_iterable(rows, lambda r: 0, lambda r: r)


def test_from_iterable_checks_t_before_x_before_y():
    with pytest.raises(ValueError, match="x1 must be <= x2, got x1=0.5, x2=0.2"):
        D.from_iterable([0], lambda r: 0, lambda r: ((0, 1), (0.5, 0.2), (2, 1)))


def test_from_iterable_converts_numpy_scalars_to_python_bounds():
    import numpy as np

    c = D.from_iterable([0], lambda r: "v", lambda r: (np.int64(2), np.int64(5)))
    (i,) = c["v"].get_intervals()
    assert i.t == (2, 5) and type(i.t[0]) is int


def test_group_by_time_nested_sets_pickle_as_their_own_rows():
    c = D({"v": IntervalSet3D([I((0, 1), payload=k) for k in range(3)] + [I((5, 6), payload=9)])})
    nested = c.group_by_time()["v"].get_intervals()[1].payload
    again = pickle.loads(pickle.dumps(nested))
    assert again == nested and len(again.columns.t1) == 1


@given(a=collections(), b=collections(full_frame=True))
@PROPERTY
def test_results_of_binary_ops_but_union_keep_the_left_key_order(a, b):
    results = [
        a.merge(b, T(overlaps())),
        a.filter_against(b, T(before(max_dist=2))),
        a.collect_by_interval(b, T(overlaps()), False),
        a.join(b, T(overlaps()), lambda i, j: [i]),
        a.minus(b),
    ]
    for got in results:
        assert got.domain_keys == [k for k in a.domain_keys if k in got]
        assert all(got[k] == got.get_grouped_intervals()[k] for k in got)


@given(a=collections(), b=collections())
@PROPERTY
def test_binary_result_keys_are_own_keys_then_the_others_new_ones_in_order(a, b):
    got = a.union(b).domain_keys
    want = a.domain_keys + [k for k in b.domain_keys if k not in a.domain_keys]
    assert got == [k for k in want if k in got]
    assert set(got) == {k for k in want if not (a[k].empty() and b[k].empty())}
