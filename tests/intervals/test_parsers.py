"""Payload parsers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from esper_rekall.intervals.parsers import (
    bbox_payload_parser,
    dict_payload_parser,
    in_array,
    label_payload_parser,
    merge_dict_parsers,
    named_payload,
)

ROW = SimpleNamespace(bbox_x1=0.1, bbox_y1=0.2, bbox_x2=0.3, bbox_y2=0.4, name="anna", id=7)


def get(obj, field):
    return getattr(obj, field)


def test_dict_and_label_parsers():
    assert dict_payload_parser(get, {"who": "name", "pk": "id"})(ROW) == {"who": "anna", "pk": 7}
    assert label_payload_parser(get, "name")(ROW) == {"label": "anna"}


def test_bbox_payload_parser_defaults_and_overrides():
    assert bbox_payload_parser(get)(ROW) == {"x1": 0.1, "y1": 0.2, "x2": 0.3, "y2": 0.4}
    assert bbox_payload_parser(get, x1="id")(ROW)["x1"] == 7


def test_in_array_named_payload_merge():
    bbox = bbox_payload_parser(get)
    assert in_array(bbox)(ROW) == [bbox(ROW)]
    assert named_payload("face", bbox)(ROW) == {"face": bbox(ROW)}
    merged = merge_dict_parsers([bbox, label_payload_parser(get, "name")])
    assert merged(ROW) == {**bbox(ROW), "label": "anna"}


def test_bad_parsers_are_rejected():
    with pytest.raises(TypeError, match="parser_fn must be callable, got parser_fn=3"):
        in_array(3)
    with pytest.raises(ValueError, match="at least one parser"):
        merge_dict_parsers([])
