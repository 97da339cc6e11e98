"""Hypothesis strategies building only valid intervals, sets and collections.

Bounds come from a small integer grid (so ties, touching and zero-length
intervals are frequent) or from halves of it (float columns).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D

#: Settings for property tests of the pure layer: fast, no deadline.
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ints = st.integers(min_value=-5, max_value=20)
halves = st.integers(min_value=-10, max_value=40).map(lambda v: v / 2)


def ordered_pair(values: st.SearchStrategy) -> st.SearchStrategy:
    """A (lo, hi) pair with lo <= hi."""
    return st.tuples(values, values).map(lambda p: (min(p), max(p)))


unit = st.sampled_from([0, 0.25, 0.5, 0.75, 1])
spatial = st.one_of(st.just((0, 1)), ordered_pair(unit))


def intervals(values: st.SearchStrategy = ints, full_frame: bool = False) -> st.SearchStrategy:
    """Valid Interval3Ds with small integer payloads."""
    space = st.just((0, 1)) if full_frame else spatial
    return st.builds(Interval3D, ordered_pair(values), space, space, st.integers(0, 9))


def interval_lists(max_size: int = 12, full_frame: bool = False) -> st.SearchStrategy:
    """Lists of intervals, all-int or all-half-valued bounds."""
    return st.one_of(
        st.lists(intervals(ints, full_frame), max_size=max_size),
        st.lists(intervals(halves, full_frame), max_size=max_size),
    )


def interval_sets(max_size: int = 12, full_frame: bool = False) -> st.SearchStrategy:
    return interval_lists(max_size, full_frame).map(IntervalSet3D)


domain_keys = st.one_of(st.integers(0, 4), st.sampled_from(["a", "b", ("v", 1)]))


def collections(max_domains: int = 4, full_frame: bool = False) -> st.SearchStrategy:
    """Collections over a few keys of mixed types."""
    return st.dictionaries(
        domain_keys, interval_sets(6, full_frame), max_size=max_domains
    ).map(DomainIntervalCollection)
