"""IntervalSchema: Rekall's schema dicts, validation against a queryset, expressions."""

from __future__ import annotations

import pytest
from django.db.models import F, Value

from esper_rekall.db.schema import IntervalSchema, resolve_field_path
from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.models import Face, Shot


def faces_qs():
    return Face.objects.annotate(
        video_id=F("frame__video_id"),
        min_frame=F("frame__number"),
        max_frame=F("frame__number") + 3 * F("frame__video__fps"),
    )


def test_from_mapping_updates_the_reference_default_key_by_key() -> None:
    s = IntervalSchema.from_mapping({"t2": "max_frame_2", "payload": "id"})
    assert s.as_mapping() == {"domain": "video_id", "t1": "min_frame", "t2": "max_frame_2", "payload": "id"}


def test_from_mapping_of_none_is_the_reference_default() -> None:
    assert IntervalSchema.from_mapping(None).as_mapping() == {"domain": "video_id", "t1": "min_frame", "t2": "max_frame"}


def test_bbox_default_is_the_reference_bbox_schema() -> None:
    expected = {"domain": "video_id", "t1": "min_frame", "t2": "max_frame", "x1": "bbox_x1", "x2": "bbox_x2",
                "y1": "bbox_y1", "y2": "bbox_y2", "payload": "id"}
    assert DomainIntervalCollection.django_bbox_default_schema() == expected
    assert IntervalSchema.bbox_default().as_mapping() == expected
    assert IntervalSchema.from_mapping(DomainIntervalCollection.django_bbox_default_schema()) == IntervalSchema.bbox_default()


def test_dotted_paths_mean_django_lookup_paths() -> None:
    assert IntervalSchema.from_mapping({"domain": "frame.video_id"}).domain == "frame__video_id"


def test_unknown_schema_key_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown schema key 'start'"):
        IntervalSchema.from_mapping({"start": "min_frame"})


def test_one_spatial_end_without_the_other_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="both 'x1' and 'x2'"):
        IntervalSchema.from_mapping({"x1": "bbox_x1"})


def test_non_string_non_expression_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="schema value for 't1'.*got t1=3"):
        IntervalSchema.from_mapping({"t1": 3})


def test_required_part_mapped_to_none_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="must map 'domain'"):
        IntervalSchema.from_mapping({"domain": None})


def test_schema_is_frozen() -> None:
    with pytest.raises(AttributeError):
        IntervalSchema.bbox_default().t1 = "x"  # type: ignore[misc]


@pytest.mark.parametrize("path", ["video_id", "min_frame", "id", "pk", "bbox_x1", "frame", "frame_id",
                                  "frame__video_id", "frame.video_id", "frame__video__fps"])
def test_validate_accepts_fields_attnames_annotations_and_paths(path: str) -> None:
    IntervalSchema.from_mapping({"payload": path}).validate(faces_qs())


def test_validate_names_the_unknown_field() -> None:
    with pytest.raises(ValueError, match="schema field 'domain' 'video_id' is not a field of Face"):
        IntervalSchema.from_mapping({}).validate(Face.objects.all())


@pytest.mark.parametrize("value", ["id); DROP TABLE esper_rekall_face; --", "id FROM x", "id--", "__id", "", "frame__"])
def test_validate_rejects_injection_looking_strings_as_unknown_fields(value: str) -> None:
    with pytest.raises(ValueError, match="is not a field of Face"):
        IntervalSchema.from_mapping({"payload": value}).validate(faces_qs())


def test_validate_rejects_paths_across_many_valued_relations() -> None:
    with pytest.raises(ValueError, match="schema field 'payload' 'identities__probability' crosses a many-valued"):
        IntervalSchema.from_mapping({"payload": "identities__probability"}).validate(faces_qs())


def test_validate_accepts_expressions() -> None:
    schema = IntervalSchema.from_mapping({"t2": F("frame__number") + 1, "payload": Value("face")})
    schema.validate(faces_qs())


def test_validate_rejects_expressions_over_unknown_fields() -> None:
    with pytest.raises(ValueError, match="schema field 't2' expression .* does not resolve on Face.*nope"):
        IntervalSchema.from_mapping({"t2": F("nope") + 1}).validate(faces_qs())


def test_validate_runs_no_query(db: None, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        IntervalSchema.bbox_default().validate(faces_qs())


def test_expressions_are_f_objects_or_the_given_expressions() -> None:
    t2 = F("max_frame") + 1
    exprs = IntervalSchema.from_mapping({"t2": t2, "payload": "frame.video_id"}).expressions()
    assert list(exprs) == ["domain", "t1", "t2", "payload"]
    assert exprs["domain"] == F("video_id") and exprs["t1"] == F("min_frame")
    assert exprs["t2"] is t2 and exprs["payload"] == F("frame__video_id")


def test_resolve_field_path_returns_the_django_spelling() -> None:
    assert resolve_field_path(Shot.objects.all(), "video.fps") == "video__fps"
