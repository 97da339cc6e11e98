"""Columnar nested payloads (``NestedSets`` / ``CollectedPayloads``) behave as IntervalSet3Ds.

Differential against the plain-Python oracle in ``tests/reference.py``:
equality, iteration, pickling, further operations, gathers (filter, sort,
union) and the JSON codec.
"""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals import payload_codec
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D
from esper_rekall.intervals.nested import CollectedPayloads, NestedSets
from esper_rekall.intervals.predicates.axes import T
from esper_rekall.intervals.predicates.temporal import overlaps
from tests import reference as ref
from tests.strategies import collections, interval_lists


def _expected_groups(intervals: list[Interval3D]) -> list[IntervalSet3D]:
    return [IntervalSet3D(members) for _, members in ref.group_by_time(intervals)]


@given(interval_lists())
def test_group_by_time_payload_is_nested_sets_equal_to_oracle(intervals: list[Interval3D]) -> None:
    out = IntervalSet3D(intervals).group_by_time()
    column = out.columns.payload
    assert isinstance(column, NestedSets)
    expected = _expected_groups(intervals)
    assert column == expected
    got = [i.payload for i in out.get_intervals()]
    assert all(type(g) is IntervalSet3D for g in got)
    assert got == expected
    assert [list(g) for g in got] == [e.get_intervals() for e in expected]


@given(interval_lists())
def test_nested_sets_pickle_and_slice(intervals: list[Interval3D]) -> None:
    column = IntervalSet3D(intervals).group_by_time().columns.payload
    expected = _expected_groups(intervals)
    back = pickle.loads(pickle.dumps(column))
    assert isinstance(back, NestedSets) and back == expected
    assert column[1:] == expected[1:]
    assert column.take(list(range(len(column)))[::-1]) == expected[::-1]
    if expected:
        assert pickle.loads(pickle.dumps(column[-1])) == expected[-1]


@given(interval_lists(), interval_lists())
def test_further_operations_on_nested_results(a: list[Interval3D], b: list[Interval3D]) -> None:
    ga, gb = IntervalSet3D(a).group_by_time(), IntervalSet3D(b).group_by_time()
    union = ga.union(gb)
    assert union.get_intervals() == IntervalSet3D(ga.get_intervals() + gb.get_intervals()).get_intervals()
    kept = ga.filter_size(min_size=2)
    assert kept.get_intervals() == [i for i in ga.get_intervals() if i.t[1] - i.t[0] >= 2]
    assert pickle.loads(pickle.dumps(ga)) == ga
    for i in ga.get_intervals():
        nested = i.payload
        assert nested.temporal_coalesce() == IntervalSet3D(list(nested)).temporal_coalesce()


@given(interval_lists(), interval_lists(), st.booleans())
def test_collect_by_interval_matches_oracle(a: list[Interval3D], b: list[Interval3D], filter_empty: bool) -> None:
    out = IntervalSet3D(a).collect_by_interval(IntervalSet3D(b), T(overlaps()), filter_empty)
    assert isinstance(out.columns.payload, CollectedPayloads)
    expected = ref.collect_by_interval(ref.ordered(a), ref.ordered(b), T(overlaps()), filter_empty)
    got = out.get_intervals()
    assert [(i.t, i.x, i.y) for i in got] == [(e.t, e.x, e.y) for e, _ in expected]
    assert [i.payload for i in got] == [(e.payload, IntervalSet3D(n)) for e, n in expected]
    assert pickle.loads(pickle.dumps(out)) == out


@given(interval_lists())
def test_codec_round_trips_nested_payloads(intervals: list[Interval3D]) -> None:
    grouped = IntervalSet3D(intervals).group_by_time()
    collected = IntervalSet3D(intervals).collect_by_interval(IntervalSet3D(intervals), T(overlaps()))
    for s in (grouped, collected):
        for i in s.get_intervals():
            assert payload_codec.loads(payload_codec.dumps(i.payload)) == i.payload
        assert payload_codec.loads(payload_codec.dumps(s)) == s


@given(collections())
def test_collection_group_by_time_per_domain(coll) -> None:
    out = coll.group_by_time()
    for key in out:
        assert out[key] == coll[key].group_by_time()
    assert pickle.loads(pickle.dumps(out)) == out
