"""The object path's cheap build: Interval3D construction, sets that wait
for their objects, collections sharing them, and the grouped dict.

Building an Interval3D skips its own ``__setattr__``; a set registers
itself (weakly) to read its objects before any assignment; a collection
makes its sets views of its rows and hands out one grouped dict. These
tests pin down that none of it shows: types, validation, pickling, and the
values every set reads back after assignments at any point, against the
plain-Python reference (``tests/reference.py``).
"""

from __future__ import annotations

import copy
import gc
import pickle
import weakref
from fractions import Fraction
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D
from tests import reference
from tests.strategies import PROPERTY, domain_keys, interval_lists, ints, ordered_pair


def _typed(i: Interval3D) -> tuple[Any, ...]:
    """Bounds with their Python types, and the payload."""
    return (*((type(v), v) for v in (*i.t, *i.x, *i.y)), i.payload)


def test_a_constructed_interval_is_exactly_an_interval3d_and_still_validates_assignments():
    i = Interval3D((0, 1), (0.25, 0.5), payload="p")
    assert type(i) is Interval3D
    with pytest.raises(ValueError, match="t1 must be <= t2, got t1=3, t2=1"):
        i.t = (3, 1)
    assert i.t == (0, 1)


@pytest.mark.parametrize("bounds", [
    ((0, 0.5), (0, 1), (0, 1)),  # an int and a float in one pair
    ((Fraction(1, 2), 2), (0.25, 1), (0, 1)),
    ([1, 2], [0.5, 0.75], (0, 1)),  # lists become tuples
])
def test_pairs_off_the_fast_path_keep_the_values_and_types_check_bound_gives(bounds):
    t, x, y = bounds
    i = Interval3D(t, x, y)
    assert (i.t, i.x, i.y) == (tuple(t), tuple(x), tuple(y))
    assert [type(v) for v in (*i.t, *i.x, *i.y)] == [type(v) for v in (*t, *x, *y)]


@pytest.mark.parametrize("clone", [
    copy.copy,
    copy.deepcopy,
    *(lambda i, p=p: pickle.loads(pickle.dumps(i, protocol=p)) for p in range(pickle.HIGHEST_PROTOCOL + 1)),
])
def test_copies_and_pickles_keep_bounds_types_and_payload(clone: Callable[[Interval3D], Interval3D]):
    i = Interval3D((1, 2), (0.25, 0.5), (Fraction(1, 4), 1), payload={"id": 7})
    out = clone(i)
    assert type(out) is Interval3D and out is not i
    assert _typed(out) == _typed(i)
    with pytest.raises(ValueError, match="x1 must be <= x2"):
        out.x = (0.9, 0.1)


def test_a_subclass_builds_instances_of_itself_with_the_same_checks():
    class Face(Interval3D):
        __slots__ = ()

    f = Face((0, 1), payload="face")
    assert type(f) is Face and (f.t, f.payload) == ((0, 1), "face")
    with pytest.raises(ValueError, match="t1 must be <= t2"):
        Face((2, 1))
    with pytest.raises(ValueError, match="t1 must be <= t2"):
        f.t = (2, 1)


class NamedInterval(Interval3D):
    """A subclass whose constructor takes other arguments (module level: picklable)."""

    __slots__ = ()

    def __init__(self, t: tuple[int, int], name: str) -> None:
        super().__init__(t, payload=name)


def test_a_subclass_with_its_own_constructor_is_filled_in_by_it():
    n = NamedInterval((0, 5), "host")
    assert type(n) is NamedInterval and (n.t, n.x, n.payload) == ((0, 5), (0, 1), "host")
    with pytest.raises(ValueError, match="t1 must be <= t2"):
        NamedInterval((5, 0), "host")


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_subclass_instance_pickles_as_itself(protocol: int):
    n = pickle.loads(pickle.dumps(NamedInterval((0, 5), "host"), protocol=protocol))
    assert type(n) is NamedInterval and (n.t, n.payload) == ((0, 5), "host")


def test_arguments_an_interval_does_not_take_are_refused():
    with pytest.raises(TypeError):
        Interval3D((0, 1), (0, 1), (0, 1), None, "extra")
    with pytest.raises(TypeError):
        Interval3D((0, 1), colour="red")
    with pytest.raises(TypeError):
        Interval3D()


def _reassign(i: Interval3D, what: int) -> None:
    """One valid assignment to ``i`` (which one: ``what``)."""
    if what == 0:
        i.payload = ("changed", i.payload)
    elif what == 1:
        i.t = (i.t[0] - 100, i.t[1] + 100)
    else:
        i.x = (0, 1)


@PROPERTY
@given(
    st.dictionaries(domain_keys, interval_lists(6).filter(bool), min_size=1, max_size=4),
    st.lists(st.tuples(st.sampled_from(["before", "after", "iterated"]), st.integers(0, 99), st.integers(0, 2)), max_size=4),
)
def test_every_set_reads_back_its_construction_values_whenever_objects_are_assigned_to(grouped, assignments):
    expected = {k: reference.as_tuples(reference.ordered([i.copy() for i in v])) for k, v in grouped.items()}
    objects = [i for v in grouped.values() for i in v]
    sets = {k: IntervalSet3D(v) for k, v in grouped.items()}

    def assign(stage: str, among: list[Interval3D]) -> None:
        for when, index, what in assignments:
            if when == stage:
                _reassign(among[index % len(among)], what)

    assign("before", objects)
    coll = DomainIntervalCollection(sets)
    assign("after", objects)
    handed_out = [i for s in coll.get_grouped_intervals().values() for i in s.get_intervals()]
    assign("iterated", handed_out)
    for k in grouped:
        assert reference.as_tuples(coll[k].get_intervals()) == expected[k]
        assert reference.as_tuples(coll.get_grouped_intervals()[k].get_intervals()) == expected[k]
        assert reference.as_tuples(sets[k].get_intervals()) == expected[k]
        assert len(coll[k]) == len(expected[k])


def test_a_set_kept_among_thousands_dropped_still_reads_its_construction_values():
    kept = []
    for n in range(5000):  # several times over the pending list's pruning threshold
        s = IntervalSet3D([Interval3D((n, n + 1), payload=n)])
        if n % 997 == 0:
            kept.append(s)
    for s in kept:
        s.get_intervals()[0].payload = "changed"
    assert [[i.payload for i in s.get_intervals()] for s in kept] == [[n] for n in range(0, 5000, 997)]


def test_a_dropped_set_is_freed_even_if_no_interval_is_ever_assigned_to():
    was_enabled = gc.isenabled()
    gc.disable()  # freed by reference counting alone: nothing keeps it alive
    try:
        ref = weakref.ref(IntervalSet3D([Interval3D((0, 1))]))
        assert ref() is None
    finally:
        if was_enabled:
            gc.enable()


def _collection() -> DomainIntervalCollection:
    return DomainIntervalCollection({
        "a": IntervalSet3D([Interval3D((0, 1), payload="a")]),
        "b": IntervalSet3D([Interval3D((2, 3), payload="b")]),
    })


@pytest.mark.parametrize("change", [
    lambda d: d.__setitem__("c", IntervalSet3D()),
    lambda d: d.__delitem__("a"),
    lambda d: d.pop("a"),
    lambda d: d.popitem(),
    lambda d: d.clear(),
    lambda d: d.update(c=IntervalSet3D()),
    lambda d: d.setdefault("c", IntervalSet3D()),
    lambda d: d.__ior__({"c": IntervalSet3D()}),
])
def test_changing_the_grouped_dict_changes_neither_the_collection_nor_the_next_dict(change):
    coll = _collection()
    grouped = coll.get_grouped_intervals()
    change(grouped)
    again = coll.get_grouped_intervals()
    assert again is not grouped
    assert list(again) == ["a", "b"] == list(coll)
    assert [[i.payload for i in s.get_intervals()] for s in again.values()] == [["a"], ["b"]]


def test_the_grouped_dict_is_handed_out_again_while_unchanged_and_is_a_dict():
    coll = _collection()
    grouped = coll.get_grouped_intervals()
    assert coll.get_grouped_intervals() is grouped
    assert isinstance(grouped, dict) and grouped == {"a": coll["a"], "b": coll["b"]}


def test_the_grouped_dict_follows_a_change_of_the_collection():
    coll = _collection()
    coll.get_grouped_intervals()
    coll["c"] = IntervalSet3D([Interval3D((4, 5), payload="c")])
    del coll["a"]
    assert {k: [i.payload for i in s.get_intervals()] for k, s in coll.get_grouped_intervals().items()} == {"b": ["b"], "c": ["c"]}


def test_one_set_under_two_keys_reads_back_the_same_intervals_under_both():
    s = IntervalSet3D([Interval3D((3, 4), payload="late"), Interval3D((0, 1), payload="early")])
    coll = DomainIntervalCollection({"a": s, "b": s})
    assert [[i.payload for i in coll[k].get_intervals()] for k in "ab"] == [["early", "late"]] * 2
    assert coll.size() == {"a": 2, "b": 2}


@PROPERTY
@given(st.lists(st.tuples(ordered_pair(ints), st.integers(0, 9)), max_size=20))
def test_collection_views_count_their_intervals_like_their_columns(rows):
    coll = DomainIntervalCollection({
        k: IntervalSet3D([Interval3D(t, payload=p) for t, p in rows if p % 3 == k]) for k in range(3)
    })
    for s in coll.get_grouped_intervals().values():
        assert len(s) == s.size() == len(s.columns) == len(s.get_intervals())
