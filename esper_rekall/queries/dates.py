"""Queries whose arguments are broadcast dates.

Provides ``person_on_several_channels`` (registered under that name with
``arg_kind="date"``): for each date, the wall-clock intervals in which one
person's face is on screen on two or more channels at the same time.

Exact semantics, for one date ``D`` (a ``datetime.date``, or its ISO text):

- The videos of ``D`` are those whose broadcast start ``Video.time`` falls
  on ``D`` in UTC (``D 00:00 <= time < D+1 00:00``). Time is measured in
  **seconds since midnight UTC of D** (a float; broadcasts running past
  midnight give values above 86,400).
- A face identified as person ``P`` (a ``FaceIdentity`` row, any labeler,
  any probability) on frame ``n`` of video ``v`` is on screen during the
  half-open interval ``[s, s + d)`` with ``s = seconds(v.time) + n / v.fps``
  and ``d = ceil(3 * v.fps) / v.fps``: the 3-second sampling period rounded
  up to whole frames (3.003 s at 29.97 fps). The rounding matters: sampled
  frames are ``round(3 i fps)``, 89 or 90 frames apart, so with exactly 3 s
  consecutive samples would leave 3 ms holes; rounded up, consecutive
  samples of a person touch or overlap and their intervals merge.
- ``P`` is on channel ``C`` during the union of those intervals over the
  videos of ``C``; ``P`` is on several channels at instant ``t`` when ``t``
  is in that union for at least two different channels. The result for
  ``(D, P)`` is that set of instants as maximal intervals: the union of the
  pairwise intersections across different channels (intersections of
  intervals that only touch are empty), with intervals that overlap or
  touch merged.

The result is a ``DomainIntervalCollection`` keyed by ``datetime.date``;
each interval is full-frame, its payload the person's ``Identity.name``,
sorted by time (ties in any order). Dates with nobody on several channels
are absent. Identity policy: by default every identity is considered
(payload tells them apart); ``identity="Noah Patel"`` keeps one
(``functools.partial(person_on_several_channels, identity=...)`` is a query
for one person that travels to workers like any other).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from django.db.models import Q

from ..intervals.collection import DomainIntervalCollection
from ..intervals.interval import Interval3D
from ..intervals.interval_set import IntervalSet3D
from ..intervals.predicates import T, and_pred, overlaps, payload_satisfies
from ..models import FaceIdentity, Identity, Video
from .registry import register

__all__ = ["FACE_SECONDS", "as_date", "face_duration", "person_on_several_channels"]

#: How long a sampled face is on screen: the corpus samples a frame every 3 s.
FACE_SECONDS = 3


def face_duration(fps: float) -> float:
    """Seconds a face is on screen: ``FACE_SECONDS`` rounded up to whole frames at ``fps``."""
    return math.ceil(FACE_SECONDS * fps) / fps


def as_date(value: Any) -> date:
    """A broadcast date from a ``datetime.date`` or its ISO text (``"2026-01-01"``).

    Raises:
        TypeError: a ``datetime`` (ambiguous time zone) or another type.
        ValueError: text that is not an ISO date.
    """
    if isinstance(value, datetime):
        raise TypeError(f"a broadcast date must be a datetime.date, not a datetime, got {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"a broadcast date must be an ISO date like '2026-01-01', got {value!r}") from None
    raise TypeError(f"a broadcast date must be a datetime.date or ISO text, got {value!r}")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _faces_on_screen(days: list[date], identity: str | None) -> dict[tuple[date, str, int], list[Interval3D]]:
    """``{(date, identity name, channel id): [face intervals]}`` of the videos of ``days``."""
    when = Q()
    for day in days:
        when |= Q(time__gte=_midnight(day), time__lt=_midnight(day + timedelta(days=1)))
    videos = {
        vid: (t.astimezone(timezone.utc).date(), t, channel, fps)
        for vid, t, channel, fps in Video.objects.filter(when).values_list("id", "time", "channel_id", "fps")
    }
    if not videos:
        return {}
    labels = FaceIdentity.objects.filter(face__frame__video_id__in=list(videos))
    if identity is not None:
        labels = labels.filter(identity__name=identity)
    rows = list(labels.values_list("identity_id", "face__frame__video_id", "face__frame__number"))
    names = dict(Identity.objects.filter(id__in={r[0] for r in rows}).values_list("id", "name"))
    # Per video: offset of its start from midnight of its date, and the face duration.
    offsets = {vid: ((t - _midnight(day)).total_seconds(), face_duration(fps), fps) for vid, (day, t, _, fps) in videos.items()}
    grouped: dict[tuple[date, str, int], list[Interval3D]] = {}
    for identity_id, vid, number in rows:
        day, _, channel, _ = videos[vid]
        offset, duration, fps = offsets[vid]
        start = offset + number / fps
        grouped.setdefault((day, names[identity_id], channel), []).append(
            Interval3D((start, start + duration), payload=channel)
        )
    return grouped


def _intersection(a: Interval3D, b: Interval3D) -> list[Interval3D]:
    return [Interval3D((max(a.t[0], b.t[0]), min(a.t[1], b.t[1])))]


# Pairs of different channels, each unordered pair once; overlaps() is false
# for intervals that only touch, so every intersection has a positive length.
_ON_TWO_CHANNELS = and_pred(T(overlaps()), payload_satisfies(lambda c1, c2: c1 < c2, arity=2), arity=2)


def _regroup(coll: DomainIntervalCollection, key: Any, payload: Any) -> DomainIntervalCollection:
    """Re-key every interval of ``coll``: ``key(domain)`` and payload ``payload(domain, interval)``."""
    grouped: dict[Any, list[Interval3D]] = {}
    for domain, intervals in coll.get_grouped_intervals().items():
        grouped.setdefault(key(domain), []).extend(
            Interval3D(i.t, i.x, i.y, payload(domain, i)) for i in intervals.get_intervals()
        )
    return DomainIntervalCollection({k: IntervalSet3D(v) for k, v in grouped.items()})


@register("person_on_several_channels", arg_kind="date")
def person_on_several_channels(dates: Iterable[Any], identity: str | None = None) -> DomainIntervalCollection:
    """Intervals of each date in which a person is on screen on two or more channels at once.

    Times are seconds since midnight UTC of the date; a face lasts its 3 s
    sampling period rounded up to whole frames; payload is the person's
    name (see the module docstring for the exact semantics).

    Args:
        dates: broadcast dates (``datetime.date`` or ISO text); one chunk.
        identity: an ``Identity.name`` to keep; ``None`` considers everybody.

    Returns:
        ``DomainIntervalCollection`` keyed by ``datetime.date``.

    Raises:
        TypeError, ValueError: a date that is not a date (names the value).
    """
    days = sorted({as_date(d) for d in dates})
    if not days:
        return DomainIntervalCollection()
    faces = _faces_on_screen(days, identity)
    # One domain per (date, person, channel): the channel's on-screen runs.
    per_channel = DomainIntervalCollection({k: IntervalSet3D(v) for k, v in faces.items()}).temporal_coalesce()
    # One domain per (date, person), payload the channel: pairwise overlaps, merged.
    per_person = _regroup(per_channel, key=lambda k: k[:2], payload=lambda k, _i: k[2])
    several = per_person.join(per_person, _ON_TWO_CHANNELS, _intersection).temporal_coalesce()
    return _regroup(several, key=lambda k: k[0], payload=lambda k, _i: k[1])
