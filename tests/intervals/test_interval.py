"""Interval3D: validation, plain-Python bounds, combinators."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.merge_ops import payload_plus


def test_defaults_are_full_frame_and_no_payload():
    i = Interval3D((0, 1))
    assert (i.t, i.x, i.y, i.payload) == ((0, 1), (0, 1), (0, 1), None)


def test_numpy_scalars_become_python_numbers():
    i = Interval3D((np.int64(1), np.float64(2.5)))
    assert type(i.t[0]) is int and type(i.t[1]) is float


@pytest.mark.parametrize("axis", ["t", "x", "y"])
def test_inverted_bound_is_a_value_error_naming_it(axis):
    kwargs = {"t": (0, 1), axis: (3, 1)}
    with pytest.raises(ValueError, match=f"{axis}1 must be <= {axis}2, got {axis}1=3, {axis}2=1"):
        Interval3D(kwargs.pop("t"), **kwargs) if axis != "t" else Interval3D((3, 1))


def test_nan_bound_is_rejected():
    with pytest.raises(ValueError, match="t1 must not be NaN"):
        Interval3D((math.nan, 1))


@pytest.mark.parametrize("bad", ["a", None, True, [1]])
def test_non_numeric_bound_is_a_type_error(bad):
    with pytest.raises(TypeError, match="t2 must be a real number"):
        Interval3D((0, bad))


def test_not_a_pair_is_a_value_error():
    with pytest.raises(ValueError, match="t must be a"):
        Interval3D((1, 2, 3))


def test_assigning_bounds_revalidates():
    i = Interval3D((0, 1))
    i.t = (2, 5)
    assert i.t == (2, 5)
    with pytest.raises(ValueError):
        i.t = (5, 2)


def test_merge_covers_both_and_merges_payloads():
    i = Interval3D((0, 1), (0, 0.5), (0, 0.5), 1).merge(Interval3D((1, 2), (0.4, 1), (0.2, 0.3), 2), payload_plus)
    assert i == Interval3D((0, 2), (0, 1), (0, 0.5), 3)


def test_merge_defaults_to_first_payload():
    assert Interval3D((0, 1), payload="a").merge(Interval3D((1, 2), payload="b")).payload == "a"


def test_combine_uses_each_combiner():
    first = lambda a, b: a  # noqa: E731
    second = lambda a, b: b  # noqa: E731
    i = Interval3D((0, 1), (0, 0.5), (0, 0.1)).combine(Interval3D((2, 3), (2, 2.5), (1, 1.1)), second, first, second)
    assert (i.t, i.x, i.y) == ((2, 3), (0, 0.5), (1, 1.1))


def test_overlap_time_merge_space():
    i = Interval3D((0, 2.5), (0, 0.5), (0, 0.1)).overlap_time_merge_space(Interval3D((2, 3), (2, 2.5), (1, 1.1)))
    assert (i.t, i.x, i.y) == ((2, 2.5), (0, 2.5), (0, 1.1))


@pytest.mark.parametrize("other", [(2, 3), (1, 2)])
def test_overlap_time_merge_space_raises_without_overlap_including_touching(other):
    with pytest.raises(ValueError, match="do not overlap in time"):
        Interval3D((0, 1)).overlap_time_merge_space(Interval3D(other))


def test_overlap_time_merge_space_accepts_equal_zero_length():
    assert Interval3D((1, 1)).overlap_time_merge_space(Interval3D((1, 1))).t == (1, 1)


def test_expand_to_frame_and_sizes():
    i = Interval3D((0, 2), (0.5, 0.75), (0.25, 1.0), "p")
    assert i.expand_to_frame() == Interval3D((0, 2), payload="p")
    assert (i.length(), i.width(), i.height()) == (2, 0.25, 0.75)


def test_repr_matches_reference_format():
    assert repr(Interval3D((0, 1), payload=3)) == "<Interval3D t: [0,1] x: [0,1] y: [0,1] payload:3>"


def test_equality_uses_bounds_and_payload():
    assert Interval3D((0, 1), payload=1) == Interval3D((0.0, 1.0), payload=1)
    assert Interval3D((0, 1), payload=1) != Interval3D((0, 1), payload=2)


def test_copy_shares_payload_and_pickles():
    p = [1]
    i = Interval3D((0, 1), payload=p)
    assert i.copy().payload is p
    assert pickle.loads(pickle.dumps(i)) == i


def test_to_json():
    assert Interval3D((1, 5), payload=5).to_json() == {"t": (1, 5), "x": (0, 1), "y": (0, 1), "payload": 5}
