"""The object path: Interval3D objects in, sets and collections built from
them, objects handed back by ``get_intervals()``.

Sets read their objects lazily and hand them back as the reference does,
yet stay immutable: these tests pin that down against the plain-Python
reference (``tests/reference.py``) and against sets rebuilt from columns.
"""

from __future__ import annotations

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.intervals.columns import Columns, PayloadColumn
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D
from esper_rekall.intervals.predicates import XY, left_of
from tests import reference
from tests.strategies import PROPERTY, domain_keys, interval_lists


def _rebuilt(s: IntervalSet3D) -> IntervalSet3D:
    """The same set made again from its columns (fresh objects on read)."""
    return pickle.loads(pickle.dumps(s))


def _typed(intervals: list[Interval3D]) -> list[tuple[object, ...]]:
    """Bounds with their Python types, and payloads: equality that tells 1 from 1.0."""
    return [(*((type(v), v) for v in (*i.t, *i.x, *i.y)), i.payload) for i in intervals]


@PROPERTY
@given(interval_lists())
def test_set_from_objects_is_ordered_like_the_reference(intrvls):
    s = IntervalSet3D(intrvls)
    assert reference.as_tuples(s.get_intervals()) == reference.as_tuples(reference.ordered(intrvls))


@PROPERTY
@given(interval_lists())
def test_objects_handed_out_have_the_types_a_set_rebuilt_from_columns_has(intrvls):
    s = IntervalSet3D(intrvls)
    assert _typed(s.get_intervals()) == _typed(_rebuilt(s).get_intervals())


def test_get_intervals_hands_out_the_objects_the_set_was_built_from():
    a, b = Interval3D((5, 6), payload="a"), Interval3D((0, 1), payload="b")
    s = IntervalSet3D([a, b])
    out = s.get_intervals()
    assert out[0] is b and out[1] is a


def test_get_intervals_returns_a_new_list_each_call():
    s = IntervalSet3D([Interval3D((0, 1))])
    first = s.get_intervals()
    first.clear()
    assert len(s.get_intervals()) == 1


def test_a_set_keeps_its_objects_as_they_were_at_construction():
    a = Interval3D((0, 1), payload="before")
    s = IntervalSet3D([a])
    a.payload = "after"
    a.t = (7, 9)
    assert [(i.t, i.payload) for i in s.get_intervals()] == [((0, 1), "before")]
    assert s.columns.t1.tolist() == [0]


def test_assigning_to_a_handed_out_object_does_not_change_the_set():
    s = IntervalSet3D([Interval3D((0, 1), payload="p")])
    s.get_intervals()[0].payload = "changed"
    assert [i.payload for i in s.get_intervals()] == ["p"]
    assert list(s.columns.payload) == ["p"]


def test_assigning_to_an_object_of_a_collection_does_not_change_the_collection():
    coll = DomainIntervalCollection({"v": IntervalSet3D([Interval3D((0, 1), payload="p")])})
    coll.get_grouped_intervals()["v"].get_intervals()[0].t = (3, 4)
    assert [i.t for i in coll["v"].get_intervals()] == [(0, 1)]


def test_map_with_a_mutating_function_leaves_the_input_set_unchanged():
    s = IntervalSet3D([Interval3D((0, 1), payload=1)])

    def bump(i: Interval3D) -> Interval3D:
        i.payload += 1
        return i

    assert [i.payload for i in s.map(bump).get_intervals()] == [2]
    assert [i.payload for i in s.get_intervals()] == [1]


def test_assignment_still_validates_and_names_the_value():
    i = Interval3D((0, 1))
    with pytest.raises(ValueError, match="x1 must be <= x2, got x1=0.9, x2=0.1"):
        i.x = (0.9, 0.1)
    assert i.x == (0, 1)


def test_assigning_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="'start'"):
        Interval3D((0, 1)).start = 3


@pytest.mark.parametrize("bad, error, match", [
    ((1, 0), ValueError, "t1 must be <= t2, got t1=1, t2=0"),
    ((float("nan"), 1), ValueError, "t1 must not be NaN"),
    ((0, "1"), TypeError, "t2 must be a real number, got t2='1'"),
    ([0, 1, 2], ValueError, "t must be a"),
])
def test_construction_rejects_a_bad_bound_naming_it(bad, error, match):
    with pytest.raises(error, match=match):
        Interval3D(bad)


@PROPERTY
@given(st.dictionaries(domain_keys, interval_lists(6), max_size=4))
def test_collection_of_sets_of_objects_equals_one_of_sets_from_columns(grouped):
    from_objects = DomainIntervalCollection({k: IntervalSet3D(v) for k, v in grouped.items()})
    from_columns = DomainIntervalCollection({k: _rebuilt(IntervalSet3D(v)) for k, v in grouped.items()})
    assert from_objects.domain_keys == from_columns.domain_keys
    for k in grouped:
        assert _typed(from_objects[k].get_intervals()) == _typed(from_columns[k].get_intervals())
        assert reference.as_tuples(from_objects[k].get_intervals()) == reference.as_tuples(reference.ordered(grouped[k]))


def test_collection_hands_out_the_objects_its_sets_were_built_from():
    a, b = Interval3D((3, 4), payload="a"), Interval3D((1, 2), payload="b")
    coll = DomainIntervalCollection({"v": IntervalSet3D([a]), "w": IntervalSet3D([b])})
    grouped = coll.get_grouped_intervals()
    assert grouped["v"].get_intervals()[0] is a and grouped["w"].get_intervals()[0] is b


def test_a_set_mutated_before_the_collection_is_built_keeps_its_construction_values():
    a = Interval3D((0, 1), payload="before")
    s = IntervalSet3D([a])
    a.payload = "after"
    coll = DomainIntervalCollection({"v": s, "w": IntervalSet3D([Interval3D((0, 1))])})
    assert [i.payload for i in coll["v"].get_intervals()] == ["before"]


def test_collection_views_are_cached_per_domain():
    coll = DomainIntervalCollection({"v": IntervalSet3D([Interval3D((0, 1))])})
    assert coll["v"] is coll["v"]


def test_columns_from_intervals_are_int64_only_when_every_value_is_an_int():
    cols = Columns.from_intervals([Interval3D((0, 1), (0, 1)), Interval3D((2, 3), (0.5, 1))])
    assert cols.t1.dtype == np.int64 and cols.t2.dtype == np.int64
    assert cols.x1.dtype == np.float64 and cols.x2.dtype == np.float64


def test_columns_from_intervals_take_other_real_numbers_as_floats():
    cols = Columns.from_intervals([Interval3D((Fraction(1, 2), 1))])
    assert cols.t1.dtype == np.float64 and cols.t1.tolist() == [0.5]


def test_bbox_mask_does_not_read_payloads():
    class Untouchable(PayloadColumn):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i):
            raise AssertionError("payload read")

        def take(self, index):
            raise AssertionError("payload read")

    base = IntervalSet3D([Interval3D((0, 1), (0, 0.2)), Interval3D((0, 1), (0.5, 0.9))]).columns
    cols = Columns(*base.bounds(), payload=Untouchable())
    mask = XY(left_of()).mask(cols.take_lazy(np.array([0, 1])), cols.take_lazy(np.array([1, 0])))
    assert mask.tolist() == [True, False]


def test_making_many_objects_leaves_the_garbage_collector_enabled():
    import gc

    s = IntervalSet3D._from_columns(Columns.from_bounds(*[list(range(5000))] * 6, payload=[None] * 5000))
    assert len(s.get_intervals()) == 5000
    assert gc.isenabled()


@pytest.mark.parametrize("xs", [
    [(0.25, 0.5), (0, 1), (0.5, 0.75)],  # fractional floats, then ints: one float64 column
    [(0.0, 1.0), (2.0, 3.0)],  # integral floats stay floats
    [(0.5, 2**60), (Fraction(1, 3), 1)],  # big ints and Fractions read as the general path reads them
])
def test_a_float_axis_reads_back_with_the_values_and_types_of_a_set_rebuilt_from_columns(xs):
    intrvls = [Interval3D((k, k + 1), x, payload=k) for k, x in enumerate(xs)]
    s = IntervalSet3D(intrvls)
    rebuilt = IntervalSet3D._from_columns(Columns.from_bounds(
        [k for k, _ in enumerate(xs)], [k + 1 for k, _ in enumerate(xs)],
        [x[0] for x in xs], [x[1] for x in xs], [0] * len(xs), [1] * len(xs), list(range(len(xs))),
    ))
    assert s.columns.x1.dtype == np.float64
    assert _typed(s.get_intervals()) == _typed(_rebuilt(s).get_intervals()) == _typed(rebuilt.get_intervals())


def test_non_whole_fraction_bounds_read_back_as_after_pickling():
    s = IntervalSet3D([Interval3D((Fraction(1, 3), 2.5), (Fraction(1, 4), Fraction(1, 2)), payload="f")])
    assert _typed(s.get_intervals()) == _typed(_rebuilt(s).get_intervals())


def test_a_set_of_fraction_bounds_hands_out_the_floats_its_columns_hold():
    s = IntervalSet3D([Interval3D((0.5, Fraction(5, 2)))])
    assert [[(type(v), v) for v in i.t] for i in s.get_intervals()] == [[(float, 0.5), (float, 2.5)]]


@pytest.mark.parametrize("axis", ["x", "y"])
def test_a_bool_spatial_bound_is_a_type_error_naming_it(axis):
    with pytest.raises(TypeError, match=f"{axis}2 must be a real number, got {axis}2=True"):
        Interval3D((0, 1), **{axis: (0, True)})


@pytest.mark.parametrize("axis", ["x", "y"])
def test_numpy_spatial_bounds_become_python_floats(axis):
    i = Interval3D((0, 1), **{axis: (np.float64(0.25), np.float32(0.5))})
    assert [type(v) for v in getattr(i, axis)] == [float, float]


def test_a_spatial_bound_of_three_numbers_is_a_value_error_naming_the_axis():
    with pytest.raises(ValueError, match="y must be a"):
        Interval3D((0, 1), (0, 1), (0, 0.5, 1))
