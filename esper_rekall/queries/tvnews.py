"""Queries of the Rekall tutorial over the TV-news model.

Provides:
    faces_rekall: "frames with faces", every sampled frame that has faces,
        as one interval per frame whose payload is the set of its faces;
        registered as ``frames_with_faces``.
    three_faces_side_by_side: frames with exactly three faces side by side
        (a scene graph over the frames with faces, after Esper's
        ``three_people``); registered under its name.
    host_minus_commercials: when a host is on screen, coalesced, minus the
        video's commercial blocks; registered under its name.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F

from ..intervals.collection import DomainIntervalCollection
from ..intervals.interval_set import IntervalSet3D
from ..intervals.predicates import height_at_least, left_of, payload_satisfies, same_value, scene_graph
from ..models import Commercial, Face, FaceIdentity
from ..schedule import HOSTS
from .registry import register

__all__ = ["faces_rekall", "host_minus_commercials", "three_faces_side_by_side"]


@register("frames_with_faces")
def faces_rekall(vids: list[int]) -> DomainIntervalCollection:
    """Frames with faces: one interval per sampled frame that has faces.

    Each face lasts from its frame to three seconds later (the sampling
    period); ``group_by_time`` makes one full-frame interval per distinct
    ``(t1, t2)`` whose payload is the ``IntervalSet3D`` of its faces (face
    ids as payloads). This is the tutorial's query, written as it is there.
    """
    faces = Face.objects.filter(frame__video_id__in=vids).annotate(
        video_id=F("frame__video_id"),
        min_frame=F("frame__number"),
        max_frame=F("frame__number") + 3 * F("frame__video__fps"),
    )
    return DomainIntervalCollection.from_django_qs(
        faces, schema=DomainIntervalCollection.django_bbox_default_schema()
    ).group_by_time()


#: Minimum relative height of each face of a side-by-side panel (Esper's
#: three_people used 0.3 on real broadcasts; the synthetic corpus's panel
#: faces are about 0.17-0.20 high, its smaller four-guest faces 0.15-0.18).
MIN_FACE_HEIGHT = 0.12
#: How far apart (relative units) the tops of side-by-side faces may be.
SAME_ROW_EPSILON = 0.05

_THREE_SIDE_BY_SIDE = scene_graph(
    {
        "nodes": [
            {"name": "face1", "predicates": [height_at_least(MIN_FACE_HEIGHT)]},
            {"name": "face2", "predicates": [height_at_least(MIN_FACE_HEIGHT)]},
            {"name": "face3", "predicates": [height_at_least(MIN_FACE_HEIGHT)]},
        ],
        "edges": [
            {"start": "face1", "end": "face2", "predicates": [same_value("y1", epsilon=SAME_ROW_EPSILON), left_of()]},
            {"start": "face2", "end": "face3", "predicates": [same_value("y1", epsilon=SAME_ROW_EPSILON), left_of()]},
        ],
    },
    exact=True,
)


def _bboxes(faces: IntervalSet3D) -> list[dict[str, Any]]:
    """The bbox dicts a scene graph reads, one per face of a frame."""
    return [{"x1": f.x[0], "x2": f.x[1], "y1": f.y[0], "y2": f.y[1], "payload": f.payload} for f in faces]


def _is_three_side_by_side(faces: IntervalSet3D) -> bool:
    return _THREE_SIDE_BY_SIDE(_bboxes(faces))


@register("three_faces_side_by_side")
def three_faces_side_by_side(vids: list[int]) -> DomainIntervalCollection:
    """Frames showing exactly three faces side by side (Esper's ``three_people``).

    Starts from the frames with faces (:func:`faces_rekall`: one full-frame
    interval per sampled frame, payload the ``IntervalSet3D`` of its faces,
    face ids as their payloads) and keeps the frames whose faces satisfy a
    scene graph, exactly (the frame has no other face): three faces each at
    least ``MIN_FACE_HEIGHT`` high, ``face1`` left of ``face2`` left of
    ``face3`` (``a.x2 < b.x1``), neighbours' tops within
    ``SAME_ROW_EPSILON`` (``same_value('y1', epsilon)``). On the synthetic
    corpus these are the frames of its panel shots.
    """
    return faces_rekall(vids).filter(payload_satisfies(_is_three_side_by_side))


#: Frames a face stays on screen after its sample: the 3-second sampling
#: period, as in :func:`faces_rekall`.
SAMPLE_SECONDS = 3
#: Gaps of at most this many frames between host samples are closed when
#: coalescing (sample frames are rounded to whole frames).
HOST_GAP_FRAMES = 2


def _host_names(a: list[str], b: list[str]) -> list[str]:
    """Payload merge for coalescing: the sorted union of two lists of host names."""
    return sorted(set(a) | set(b))


@register("host_minus_commercials")
def host_minus_commercials(vids: list[int], hosts: tuple[str, ...] | None = None) -> DomainIntervalCollection:
    """When a show's host is on screen, outside commercial blocks.

    A host is one of the recurring identities of the corpus (default:
    :data:`esper_rekall.schedule.HOSTS`, the presenters of the synthetic
    schedule; ``hosts`` overrides the names). Each face identified
    (``FaceIdentity``) as a host lasts from its frame to three seconds
    later; the intervals of a video are coalesced (gaps of at most
    ``HOST_GAP_FRAMES`` frames closed), then the video's ``Commercial``
    blocks ``[min_frame, max_frame]`` are subtracted. Intervals are
    full-frame, in frames; the payload is the sorted list of the hosts'
    names seen in the interval.
    """
    names = list(HOSTS if hosts is None else hosts)
    host_faces = FaceIdentity.objects.filter(face__frame__video_id__in=vids, identity__name__in=names).annotate(
        video_id=F("face__frame__video_id"),
        min_frame=F("face__frame__number"),
        max_frame=F("face__frame__number") + SAMPLE_SECONDS * F("face__frame__video__fps"),
    )
    on_screen = DomainIntervalCollection.from_django_qs(
        host_faces,
        schema={"domain": "video_id", "t1": "min_frame", "t2": "max_frame", "payload": "identity__name"},
    ).map_payload(lambda name: [name])
    coalesced = on_screen.temporal_coalesce(payload_merge_op=_host_names, epsilon=HOST_GAP_FRAMES)
    commercials = DomainIntervalCollection.from_django_qs(
        Commercial.objects.filter(video_id__in=vids),
        schema={"domain": "video_id", "t1": "min_frame", "t2": "max_frame"},
    )
    return coalesced.minus(commercials)
