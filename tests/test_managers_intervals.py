"""``qs.intervals()`` reads the annotations named like schema parts instead of silently ignoring them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.models import FaceIdentity, Identity

pytestmark = pytest.mark.django_db


def _annotated(**extra: Any) -> Any:
    name = Identity.objects.filter(face_identities__isnull=False).values_list("name", flat=True).first()
    return FaceIdentity.objects.filter(identity__name=name).annotate(
        video_id=F("face__frame__video_id"), min_frame=F("face__frame__number"), **extra
    )


def test_tutorial_annotations_are_the_schema(corpus: Any) -> None:
    qs = _annotated(max_frame=F("face__frame__number") + 3 * F("face__frame__video__fps"))
    got = qs.intervals().collect()
    schema = {**DomainIntervalCollection.django_bbox_default_schema(), "x1": "face__bbox_x1", "x2": "face__bbox_x2",
              "y1": "face__bbox_y1", "y2": "face__bbox_y2", "payload": "identity_id"}
    assert len(got.columns) > 0
    assert got == DomainIntervalCollection.from_django_qs(qs, schema=schema)
    assert all(i.t[1] - i.t[0] > 80 for key in got for i in got[key].get_intervals())  # not zero-length


def test_one_bound_annotated_alone_is_refused_with_the_schema_to_pass(corpus: Any) -> None:
    with pytest.raises(ValueError, match=r"annotates 'min_frame' as t1 but nothing as t2 \(candidates: t2, max_frame\)"):
        _annotated().intervals()


def test_querysets_without_such_annotations_keep_the_default_schema(corpus: Any) -> None:
    qs = FaceIdentity.objects.annotate(score=F("probability"))
    assert qs.intervals().collect() == FaceIdentity.objects.intervals().collect()
