"""Property: any collection the codec supports saves and loads back identical.

Random collections of mixed-type keys whose payloads are leaves of every kind
(typed columns and codec JSON), nested sets up to depth 3 (sets of sets),
``collect_by_interval`` pairs, and columnar ``group_by_time`` payloads; run on
the database of the session (PostgreSQL and SQLite in CI). Bounds that the
store keeps as NULL (``result_layout.bound_nulls``: a nested interval's time
equal to its parent's, spatial defaults) come back bit for bit, next to the
values they must not be confused with (-0.0, infinities, int axes).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from django.db import connection

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

#: Bounds next to the NULL conventions: the spatial defaults, infinities, and -0.0 (not +0.0;
#: SQLite itself stores -0.0 as +0.0, so it is drawn on PostgreSQL only).
EDGES = [-math.inf, 0.0, 0.5, 1.0, 2.0, math.inf] + ([-0.0] if connection.vendor == "postgresql" else [])
edge = st.sampled_from(EDGES)
# All-int draws keep int axes (0 and 1 as ints), the others mix edges and halves.
edge_spatial = st.one_of(spatial, ordered_pair(st.sampled_from([0, 1])), ordered_pair(st.one_of(edge, halves)))
edge_time = st.one_of(ordered_pair(ints), ordered_pair(st.one_of(edge, halves)))


@st.composite
def framed_sets(draw: Any, payloads: st.SearchStrategy, max_size: int = 3) -> IntervalSet3D:
    """Intervals whose payload is a set of intervals that share their time bounds
    exactly (as ``group_by_time`` makes them) or not, with edge bounds."""
    tops = []
    for _ in range(draw(st.integers(1, max_size))):
        t = draw(edge_time)
        members = st.builds(Interval3D, st.one_of(st.just(t), edge_time), edge_spatial, edge_spatial, payloads)
        tops.append(Interval3D(t, draw(edge_spatial), draw(edge_spatial), IntervalSet3D(draw(st.lists(members, max_size=3)))))
    return IntervalSet3D(tops)


# Depth 3: framed sets of framed sets, so a grandchild's time comes from a parent whose own time is stored NULL.
edge_collections = st.dictionaries(
    domain_keys, st.one_of(framed_sets(leaves), framed_sets(st.one_of(leaves, framed_sets(leaves)))), min_size=1, max_size=3
).map(DomainIntervalCollection)


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


def bits(value: Any) -> Any:
    """The bounds of a collection or set as bit patterns (``-0.0`` is not ``0.0``), recursively."""
    if isinstance(value, (DomainIntervalCollection, IntervalSet3D)):
        cols = value.columns
        bounds = [np.asarray(b).view(np.int64).tolist() if b.dtype.kind == "f" else b.tolist() for b in cols.bounds()]
        return bounds, [bits(p) for p in cols.payload]
    if isinstance(value, tuple):
        return [bits(v) for v in value]
    return None


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


@ROUND_TRIP
@given(edge_collections)
def test_bounds_stored_null_load_back_bit_exact(coll: DomainIntervalCollection) -> None:
    storage.save_collection(coll, "edges", replace=True)
    loaded = storage.load_collection("edges")
    assert loaded == coll
    assert shape(loaded) == shape(coll) and bits(loaded) == bits(coll)


@ROUND_TRIP
@given(edge_collections, st.data())
def test_bounds_stored_null_load_back_bit_exact_with_some_domains(coll: DomainIntervalCollection, data: st.DataObject) -> None:
    storage.save_collection(coll, "edge-domains", replace=True)
    keys = data.draw(st.lists(st.sampled_from(list(coll)), unique_by=lambda k: (type(k), k), min_size=1, max_size=3))
    part = storage.load_domains(storage.get_collection("edge-domains"), keys)
    assert {k: bits(part[k]) for k in part} == {k: bits(coll[k]) for k in keys}


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
