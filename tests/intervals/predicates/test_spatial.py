"""Bbox predicates against a transcription of Rekall's formulas; XY masks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esper_rekall.intervals.columns import Columns
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.predicates import XY, candidate_band, evaluate_mask
from esper_rekall.intervals.predicates import spatial as sp


def area(b):
    return (b["x2"] - b["x1"]) * (b["y2"] - b["y1"])


def width(b):
    return b["x2"] - b["x1"]


def height(b):
    return b["y2"] - b["y1"]


M = {"area": area, "width": width, "height": height}

# (factory args, oracle) — oracles are the documented formulas.
UNARY = [
    (("position", 0.1, 0.1, 0.5, 0.5), lambda b: all(abs(b[k] - v) < 0.1 for k, v in
                                                     zip(("x1", "y1", "x2", "y2"), (0.1, 0.1, 0.5, 0.5)))),
    (("position", 0, 0, 1, 1, 0.3), lambda b: all(abs(b[k] - v) < 0.3 for k, v in
                                                  zip(("x1", "y1", "x2", "y2"), (0, 0, 1, 1)))),
    (("has_value", "x1", 0.25), lambda b: abs(b["x1"] - 0.25) < 0.1),
    (("has_value", "y2", 0.5, 0.25), lambda b: abs(b["y2"] - 0.5) < 0.25),
]
for m in ("area", "width", "height"):
    UNARY += [
        ((f"{m}_exactly", 0.25), lambda b, m=m: abs(M[m](b) - 0.25) < 0.1),
        ((f"{m}_exactly", 0.5, 0.25), lambda b, m=m: abs(M[m](b) - 0.5) < 0.25),
        ((f"{m}_at_least", 0.25), lambda b, m=m: M[m](b) >= 0.25),
        ((f"{m}_at_most", 0.25), lambda b, m=m: M[m](b) <= 0.25),
        ((f"{m}_between", 0.25, 0.5), lambda b, m=m: 0.25 <= M[m](b) <= 0.5),
    ]

BINARY = [
    (("left_of",), lambda a, b: a["x2"] < b["x1"]),
    (("right_of",), lambda a, b: a["x1"] > b["x2"]),
    (("above",), lambda a, b: a["y2"] < b["y1"]),
    (("below",), lambda a, b: a["y1"] > b["y2"]),
    (("same_value", "x2"), lambda a, b: abs(a["x2"] - b["x2"]) < 0.1),
    (("same_value", "y1", 0.3), lambda a, b: abs(a["y1"] - b["y1"]) < 0.3),
]
for m in ("area", "width", "height"):
    BINARY += [
        ((f"same_{m}",), lambda a, b, m=m: abs(M[m](a) - M[m](b)) < 0.1),
        ((f"same_{m}", 0.2), lambda a, b, m=m: abs(M[m](a) - M[m](b)) < 0.2),
        ((f"more_{m}",), lambda a, b, m=m: M[m](a) > M[m](b)),
        ((f"less_{m}",), lambda a, b, m=m: M[m](a) < M[m](b)),
    ]


def make(args):
    return getattr(sp, args[0])(*args[1:])


BOXES = [
    {"x1": 0.0, "x2": 0.5, "y1": 0.0, "y2": 0.5},
    {"x1": 0.5, "x2": 1.0, "y1": 0.5, "y2": 1.0},  # touches the first
    {"x1": 0.25, "x2": 0.5, "y1": 0.0, "y2": 1.0},
    {"x1": 0.25, "x2": 0.25, "y1": 0.5, "y2": 0.5},  # zero size
    {"x1": 0.1, "x2": 0.6, "y1": 0.1, "y2": 0.6},
]


@pytest.mark.parametrize(("args", "oracle"), UNARY, ids=lambda v: str(v) if isinstance(v, tuple) else "")
@pytest.mark.parametrize("box", range(len(BOXES)))
def test_unary_matches_documented_formula(args, oracle, box):
    assert make(args)(BOXES[box]) == oracle(BOXES[box])


@pytest.mark.parametrize(("args", "oracle"), BINARY, ids=lambda v: str(v) if isinstance(v, tuple) else "")
@pytest.mark.parametrize("i", range(len(BOXES)))
@pytest.mark.parametrize("j", range(len(BOXES)))
def test_binary_matches_documented_formula(args, oracle, i, j):
    assert make(args)(BOXES[i], BOXES[j]) == oracle(BOXES[i], BOXES[j])


def test_left_of_is_strict_for_touching_boxes():
    assert not sp.left_of()(BOXES[0], BOXES[1])
    assert sp.left_of()(BOXES[0], {"x1": 0.51, "x2": 1, "y1": 0, "y2": 1})


coord = st.sampled_from([0.0, 0.125, 0.25, 0.5, 0.75, 1.0])


@st.composite
def interval3d(draw):
    x = sorted((draw(coord), draw(coord)))
    y = sorted((draw(coord), draw(coord)))
    return Interval3D((0, 1), tuple(x), tuple(y), payload=draw(st.integers()))


def cols(intervals):
    def arr(f):
        return np.array([f(i) for i in intervals], dtype=float)
    return Columns(arr(lambda i: i.t[0]), arr(lambda i: i.t[1]), arr(lambda i: i.x[0]),
                   arr(lambda i: i.x[1]), arr(lambda i: i.y[0]), arr(lambda i: i.y[1]),
                   payload=[i.payload for i in intervals])


@pytest.mark.parametrize("args", [a for a, _ in UNARY], ids=str)
@settings(max_examples=25, deadline=None)
@given(st.lists(interval3d(), max_size=10))
def test_unary_xy_mask_equals_per_row_call(args, items):
    pred = XY(make(args))
    assert pred.arity == 1 and pred.axis == "xy"
    c = cols(items)
    assert evaluate_mask(pred, c).tolist() == [pred(c.interval(i)) for i in range(len(items))]


@pytest.mark.parametrize("args", [a for a, _ in BINARY], ids=str)
@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(interval3d(), interval3d()), max_size=10))
def test_binary_xy_mask_equals_per_pair_call(args, pairs):
    pred = XY(make(args))
    a, b = cols([p[0] for p in pairs]), cols([p[1] for p in pairs])
    expected = [pred(a.interval(i), b.interval(i)) for i in range(len(pairs))]
    assert evaluate_mask(pred, a, b).tolist() == expected
    assert candidate_band(pred) is None


def test_xy_passes_payload_to_user_predicates():
    pred = XY(lambda b1, b2: b1["payload"] == b2["payload"] and b1["x2"] <= b2["x1"])
    i1 = Interval3D((0, 1), (0, 0.5), payload="p")
    i2 = Interval3D((5, 6), (0.5, 1), payload="p")
    assert pred(i1, i2)
    assert evaluate_mask(pred, cols([i1]), cols([i2])).tolist() == [True]
    assert pred.describe().kind == "callable" and pred.describe().axis == "xy"


def test_describe_names_relation_and_params():
    spec = XY(sp.same_value("x1", 0.2)).describe()
    assert (spec.kind, spec.relation, spec.axis) == ("bbox", "same_value", "xy")
    assert spec.params == (("value_name", "x1"), ("epsilon", 0.2))
    assert sp.area_between(0.1, 0.2).describe().axis is None


@pytest.mark.parametrize("factory", [lambda: sp.has_value("z1", 1), lambda: sp.same_value("payload")])
def test_unknown_value_name_is_a_value_error(factory):
    with pytest.raises(ValueError, match="value_name must be one of"):
        factory()


def test_non_numeric_parameter_is_a_type_error():
    with pytest.raises(TypeError, match="area must be a number, got area='big'"):
        sp.area_at_least("big")


def test_and_or_pred_node_combine_unary_bbox_predicates():
    both = sp.and_pred_node(sp.width_at_least(0.25), sp.height_at_least(0.75))
    either = sp.or_pred_node(sp.width_at_least(0.5), sp.height_at_least(0.75))
    assert [both(b) for b in BOXES] == [False, False, True, False, False]
    assert [either(b) for b in BOXES] == [True, True, True, False, True]
    c = cols([Interval3D((0, 1), (b["x1"], b["x2"]), (b["y1"], b["y2"])) for b in BOXES])
    assert evaluate_mask(XY(both), c).tolist() == [both(b) for b in BOXES]
