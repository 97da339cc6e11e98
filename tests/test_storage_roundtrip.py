"""Property: any collection the codec supports saves and loads back identical.

Random collections of mixed-type keys whose payloads are leaves of every kind
(typed columns and codec JSON), nested sets up to depth 3 (sets of sets),
``collect_by_interval`` pairs, and columnar ``group_by_time`` payloads; run on
the database of the session (PostgreSQL and SQLite in CI).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esper_rekall import storage
from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from tests.strategies import domain_keys, halves, ints, ordered_pair, spatial

pytestmark = pytest.mark.django_db

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8).filter(lambda s: "\x00" not in s),
    st.dates(),
    st.lists(st.integers(0, 3), max_size=3),
    st.tuples(st.integers(0, 3), st.text(max_size=3).filter(lambda s: "\x00" not in s)),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2),
)


def sets_of(payloads: st.SearchStrategy, max_size: int = 4, min_size: int = 0) -> st.SearchStrategy:
    """Sets whose bounds are all-int or all-half on each draw (mixed axes across sets)."""

    def build(values: st.SearchStrategy) -> st.SearchStrategy:
        interval = st.builds(Interval3D, ordered_pair(values), spatial, spatial, payloads)
        return st.lists(interval, min_size=min_size, max_size=max_size).map(IntervalSet3D)

    return st.one_of(build(ints), build(halves))


# Payloads nest sets up to three levels deep, and pairs as collect_by_interval makes them.
depth2 = st.one_of(leaves, sets_of(leaves, 3))
depth3 = st.one_of(leaves, sets_of(depth2, 3), st.tuples(leaves, sets_of(leaves, 3)))
# A stored collection has no empty domains (a collection drops the domains its operations empty).
collections = st.dictionaries(domain_keys, sets_of(depth3, 5, min_size=1), max_size=4).map(DomainIntervalCollection)


def shape(value: Any) -> Any:
    """Every type that must survive, recursively (bound dtypes, payload types)."""
    if isinstance(value, DomainIntervalCollection):
        cols = value.columns
        return (
            [(type(k), k) for k in value.domain_keys],
            [b.dtype.kind for b in cols.bounds()],
            [shape(p) for p in cols.payload],
        )
    if isinstance(value, IntervalSet3D):
        cols = value.columns
        return ("set", [b.dtype.kind for b in cols.bounds()] if len(cols) else [], [shape(p) for p in cols.payload])
    if isinstance(value, (list, tuple)):
        return (type(value), [shape(v) for v in value])
    if isinstance(value, dict):
        return (dict, sorted((k, shape(v)) for k, v in value.items()))
    if isinstance(value, float):
        return (float, repr(value))
    return (type(value), value)


ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@ROUND_TRIP
@given(collections)
def test_any_collection_loads_back_identical(coll: DomainIntervalCollection) -> None:
    storage.save_collection(coll, "roundtrip", replace=True)
    loaded = storage.load_collection("roundtrip")
    assert loaded == coll
    assert shape(loaded) == shape(coll)


@ROUND_TRIP
@given(collections, st.data())
def test_some_domains_load_back_with_their_nested_sets(coll: DomainIntervalCollection, data: st.DataObject) -> None:
    storage.save_collection(coll, "domains", replace=True)
    keys = data.draw(st.lists(st.sampled_from(list(coll) or [0]), unique_by=lambda k: (type(k), k), max_size=3))
    part = storage.load_domains(storage.get_collection("domains"), keys)
    assert {k: part[k] for k in part} == {k: coll[k] for k in keys if k in coll}


def test_group_by_time_payloads_load_back_as_columnar_nested_sets() -> None:
    faces = IntervalSet3D(
        [Interval3D((t, t + 3), (x, x + 0.1), payload=i) for i, (t, x) in enumerate([(0, 0.1), (0, 0.5), (9, 0.2)])]
    )
    grouped = DomainIntervalCollection({1: faces, 2: faces}).group_by_time()
    storage.save_collection(grouped, "frames")
    loaded = storage.load_collection("frames")
    assert loaded == grouped and shape(loaded) == shape(grouped)
    assert type(loaded.columns.payload).__name__ == "NestedSets"
    assert np.array_equal(loaded.columns.payload.sizes(), [2, 1, 2, 1])


def test_dates_as_keys_and_payloads_keep_their_types() -> None:
    coll = DomainIntervalCollection({dt.date(2026, 1, 1): IntervalSet3D([Interval3D((0, 1), payload=dt.date(2020, 2, 2))])})
    storage.save_collection(coll, "dated")
    assert shape(storage.load_collection("dated")) == shape(coll)
