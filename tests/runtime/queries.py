"""Importable query functions for the runtime tests.

Spawned workers import this module by its dotted path
(``tests.runtime.queries``), so these functions travel as paths, not pickles.
Every query takes a chunk (a list of video ids) and returns a
``DomainIntervalCollection`` keyed by video id.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.interval_set import IntervalSet3D

SLOW_SECONDS = 0.5


def collection(grouped: dict[Any, list[Interval3D]]) -> DomainIntervalCollection:
    """A ``DomainIntervalCollection`` from ``{key: [Interval3D, ...]}``."""
    return DomainIntervalCollection(
        {key: IntervalSet3D(intervals) for key, intervals in grouped.items()}
    )


def as_dict(result: DomainIntervalCollection) -> dict[Any, list[tuple[Any, ...]]]:
    """``{key: [(t, x, y, payload), ...]}`` of a collection, for comparisons."""
    return {
        key: [(i.t, i.x, i.y, i.payload) for i in intervals.get_intervals()]
        for key, intervals in result.get_grouped_intervals().items()
    }


def one_interval_per_video(video_ids: list[Any]) -> DomainIntervalCollection:
    """One interval ``t=(1, 10)`` per video, its payload the video id."""
    return collection({vid: [Interval3D((1, 10), payload=vid)] for vid in video_ids})


def two_intervals_per_video(video_ids: list[Any]) -> DomainIntervalCollection:
    """Two intervals per video, so a chunk's result has several rows a domain."""
    return collection(
        {
            vid: [Interval3D((vid, vid + 5), payload="a"), Interval3D((0, 1), (0.5, 1), payload="b")]
            for vid in video_ids
        }
    )


def fails_on_zero(video_ids: list[Any]) -> DomainIntervalCollection:
    """Like ``one_interval_per_video``, but raises if video 0 is in the chunk."""
    if 0 in video_ids:
        raise RuntimeError(f"video 0 is broken (chunk {video_ids!r})")
    return one_interval_per_video(video_ids)


def always_fails(video_ids: list[Any]) -> DomainIntervalCollection:
    """Raises for every chunk."""
    raise ValueError(f"cannot process {video_ids!r}")


def one_shared_domain(video_ids: list[Any]) -> DomainIntervalCollection:
    """Every chunk puts its intervals under the same domain key ``"shared"``."""
    return collection({"shared": [Interval3D((vid, vid + 1), payload=vid) for vid in video_ids]})


def slow_on_zero(video_ids: list[Any]) -> DomainIntervalCollection:
    """Like ``one_interval_per_video``, but sleeps first if video 0 is in the chunk."""
    if 0 in video_ids:
        time.sleep(SLOW_SECONDS)
    return one_interval_per_video(video_ids)


def django_state(video_ids: list[Any]) -> DomainIntervalCollection:
    """Reports the worker's Django state as payloads."""
    from django.apps import apps
    from django.db import connection

    state = (
        os.environ.get("DJANGO_SETTINGS_MODULE"),
        apps.ready,
        os.getpid(),
        connection.settings_dict["NAME"],
    )
    return collection({vid: [Interval3D((0, 1), payload=state)] for vid in video_ids})


def make_recording_query(directory: Path) -> Callable[[list[Any]], Any]:
    """A closure that records each chunk it starts as a file in ``directory``.

    Closures are not importable, so this query travels as a signed pickle.
    """

    def recording_query(video_ids: list[Any]) -> DomainIntervalCollection:
        (directory / "-".join(str(vid) for vid in video_ids)).touch()
        return one_interval_per_video(video_ids)

    return recording_query
