"""Queries of the Rekall tutorial over the TV-news model.

Provides ``faces_rekall`` ("frames with faces": every sampled frame that
has faces, as one interval per frame whose payload is the set of its
faces), registered as ``frames_with_faces``.
"""

from __future__ import annotations

from django.db.models import F

from ..intervals.collection import DomainIntervalCollection
from ..models import Face
from .registry import register

__all__ = ["faces_rekall"]


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
