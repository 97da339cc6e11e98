"""Binary operations of collections: key tables that change between calls, many domains.

The domain codes of one collection's keys in another's are kept for the
last pair of key lists seen; a collection changed in between must be seen
as it is now. ``minus`` re-sorts only the domains it cuts.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D
from esper_rekall.intervals.predicates import T, overlaps
from tests.strategies import PROPERTY, interval_sets


def _one(t1: int, t2: int) -> IntervalSet3D:
    return IntervalSet3D([Interval3D((t1, t2))])


def test_filter_against_sees_a_domain_added_to_the_other_side_after_a_first_call():
    faces = DomainIntervalCollection({"x": _one(0, 10), "y": _one(20, 30), "w": _one(0, 1)})
    blocks = DomainIntervalCollection({"x": _one(5, 6)})
    assert list(faces.filter_against(blocks, T(overlaps()))) == ["x"]
    blocks["y"] = _one(25, 26)
    assert list(faces.filter_against(blocks, T(overlaps()))) == ["x", "y"]


def test_filter_against_sees_a_domain_removed_from_this_side_after_a_first_call():
    faces = DomainIntervalCollection({"x": _one(0, 10), "y": _one(20, 30)})
    blocks = DomainIntervalCollection({"y": _one(25, 26), "x": _one(5, 6)})
    assert list(faces.filter_against(blocks, T(overlaps()))) == ["x", "y"]
    del faces["x"]
    assert list(faces.filter_against(blocks, T(overlaps()))) == ["y"]


def test_union_twice_with_a_collection_of_new_keys_gives_the_same_collection():
    """``union`` recodes the other side's new keys into the codes it is given: the kept codes stay intact."""
    a = DomainIntervalCollection({"x": _one(0, 1)})
    b = DomainIntervalCollection({"z": _one(2, 3), "x": _one(4, 5)})
    first = a.union(b)
    assert a.union(b) == first
    assert sorted(first) == ["x", "z"] and first["x"].size() == 2


many_domains = st.dictionaries(st.integers(0, 11), interval_sets(6), min_size=6, max_size=12).map(DomainIntervalCollection)
few_blocks = st.dictionaries(st.integers(0, 11), interval_sets(2, full_frame=True), max_size=2).map(DomainIntervalCollection)


@given(a=many_domains, b=few_blocks)
@PROPERTY
def test_minus_of_many_domains_against_blocks_in_a_few_equals_the_per_domain_sets(a, b):
    """Only the few domains with blocks are re-sorted: every domain equals its set's ``minus``."""
    got = a.minus(b)
    want = {k: a[k].minus(b[k]) for k in a}
    assert got == DomainIntervalCollection({k: v for k, v in want.items() if not v.empty()})
