"""VideoIntervalCollection: per-video IntervalList operations."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from esper_rekall.intervals.interval_list import IntervalList
from esper_rekall.intervals.merge_ops import payload_plus
from esper_rekall.intervals.predicates import overlaps
from esper_rekall.intervals.video_collection import VideoIntervalCollection


def flat(vic):
    return {vid: [(i.start, i.end, i.payload) for i in lst.get_intervals()]
            for vid, lst in vic.get_allintervals().items()}


A = VideoIntervalCollection({1: [(0, 10, "a"), (20, 30, "b")], 2: [(5, 6, "c")]})
B = VideoIntervalCollection({1: [(5, 25, "x")], 3: [(0, 1, "y")]})


def test_constructor_and_getters():
    assert isinstance(A.get_intervallist(1), IntervalList)
    assert flat(A) == {1: [(0, 10, "a"), (20, 30, "b")], 2: [(5, 6, "c")]}


def test_unary_ops_drop_empty_videos():
    assert flat(A.filter(lambda i: i.payload == "c")) == {2: [(5, 6, "c")]}
    assert flat(A.filter_length(min_length=5)) == {1: [(0, 10, "a"), (20, 30, "b")]}
    assert flat(A.dilate(1))[2] == [(4, 7, "c")]
    assert flat(A.coalesce(payload_plus)) == flat(A)
    assert A.fold(lambda acc, i: acc + 1, 0) == {1: 2, 2: 1}


def test_binary_ops_align_by_video():
    assert flat(A.filter_against(B, overlaps())) == {1: [(0, 10, "a"), (20, 30, "b")]}
    assert flat(A.minus(B)) == {1: [(0, 5, "a"), (25, 30, "b")], 2: [(5, 6, "c")]}
    assert flat(A.overlaps(B, payload_merge_op=payload_plus)) == {1: [(5, 10, "ax"), (20, 25, "bx")]}
    assert sorted(flat(A.set_union(B))) == [1, 2, 3]
    assert flat(A.merge(B, predicate=overlaps())) == {1: [(0, 25, "a"), (5, 30, "b")]}


def test_from_iterable_and_django_accessor():
    rows = [SimpleNamespace(video_id=1, min_frame=0, max_frame=5, id=10),
            SimpleNamespace(video_id=2, min_frame=3, max_frame=4, id=11)]
    vic = VideoIntervalCollection.from_django_qs(rows)
    assert flat(vic) == {1: [(0, 5, 10)], 2: [(3, 4, 11)]}
    vic = VideoIntervalCollection.from_iterable(
        [{"v": 1, "s": 0, "e": 1}], VideoIntervalCollection.spark_accessor, "v",
        {"start": "s", "end": "e"}, with_payload=lambda r: "p")
    assert flat(vic) == {1: [(0, 1, "p")]}
    with pytest.raises(ValueError, match="schema must map 'payload'"):
        VideoIntervalCollection.from_iterable([], dict.get, "v", {"start": "s", "end": "e"})


def test_importing_the_1d_api_does_not_import_django():
    code = ("import sys, esper_rekall.intervals.video_collection, esper_rekall.rekall.video_interval_collection;"
            "assert 'django' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
