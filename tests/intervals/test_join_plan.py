"""The describable join merge ops are plain merge ops, with no Django."""

from __future__ import annotations

import pytest

from esper_rekall.intervals import Interval3D
from esper_rekall.intervals.join_plan import JoinMerge, overlap_time_merge, span_merge
from esper_rekall.intervals.merge_ops import payload_second


def test_join_merge_ops_behave_like_the_interval_methods() -> None:
    a = Interval3D((0, 4), (0.1, 0.5), payload="a")
    b = Interval3D((2, 6), (0.3, 0.9), payload="b")
    assert span_merge()(a, b) == [a.merge(b)]
    assert span_merge(payload_second)(a, b)[0].payload == "b"
    assert overlap_time_merge()(a, b) == [a.overlap_time_merge_space(b)]
    assert repr(span_merge()) == "span_merge(payload_first)"


def test_join_merge_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind must be"):
        JoinMerge("bogus")
