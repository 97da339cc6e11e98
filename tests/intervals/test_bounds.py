"""Bound helpers and the default sort key."""

from __future__ import annotations

import pytest

from esper_rekall.intervals.bounds import bound_size, merge_bound, overlap_bound, sort_key_time_x_y
from esper_rekall.intervals.interval import Interval3D


@pytest.mark.parametrize(
    ("b1", "b2", "merged", "overlap"),
    [((0, 5), (3, 8), (0, 8), (3, 5)), ((0, 1), (0, 1), (0, 1), (0, 1)),
     ((0.5, 1.5), (1.5, 2), (0.5, 2), (1.5, 1.5)), ((-3, -1), (0, 2), (-3, 2), (0, -1))],
)
def test_merge_and_overlap_bound(b1, b2, merged, overlap):
    assert merge_bound(b1, b2) == merged
    assert overlap_bound(b1, b2) == overlap


def test_bound_size_and_sort_key():
    assert bound_size((2, 7.5)) == 5.5
    assert sort_key_time_x_y(Interval3D((1, 2), (0.1, 0.2), (0.3, 0.4))) == (1, 2, 0.1, 0.2, 0.3, 0.4)
