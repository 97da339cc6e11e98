"""Payload, list and scene-graph predicates; the P adapter."""

from __future__ import annotations

import numpy as np
import pytest

from esper_rekall.intervals.columns import Columns
from esper_rekall.intervals.interval import Interval3D
from esper_rekall.intervals.predicates import (
    P,
    XY,
    evaluate_mask,
    length_at_least,
    length_at_most,
    length_between,
    length_exactly,
    on_name,
    payload_satisfies,
    scene_graph,
)
from esper_rekall.intervals.predicates import scene as sg
from esper_rekall.intervals.predicates import spatial as sp


def cols(payloads):
    n = len(payloads)
    z, o = np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)
    return Columns(np.arange(n), np.arange(n) + 1, z, o, z, o, payload=list(payloads))


@pytest.mark.parametrize(
    ("pred", "oracle"),
    [
        (length_exactly(2), lambda n: n == 2),
        (length_at_least(2), lambda n: n >= 2),
        (length_at_most(2), lambda n: n <= 2),
        (length_between(1, 3), lambda n: 1 <= n <= 3),
    ],
)
@pytest.mark.parametrize("n", range(5))
def test_length_predicates(pred, oracle, n):
    assert pred([0] * n) == oracle(n)
    assert evaluate_mask(P(pred), cols([[0] * n])).tolist() == [oracle(n)]


def test_payload_satisfies_applies_pred_to_payloads():
    i1, i2 = Interval3D((0, 1), payload=3), Interval3D((0, 1), payload=5)
    assert payload_satisfies(lambda p: p == 3)(i1)
    assert payload_satisfies(lambda p, q: p < q, arity=2)(i1, i2)
    with pytest.raises(TypeError, match="takes 1 argument"):
        payload_satisfies(lambda p: True)(i1, i2)
    with pytest.raises(ValueError, match="arity must be 1 or 2, got arity=3"):
        payload_satisfies(bool, 3)


def test_on_name_applies_pred_to_one_key():
    assert on_name("n", lambda a, b: a < b)({"n": 1}, {"n": 2})
    pred = P(on_name("faces", length_at_least(2)))
    payloads = [{"faces": [1, 2]}, {"faces": [1]}, {"faces": []}]
    assert evaluate_mask(pred, cols(payloads)).tolist() == [True, False, False]
    spec = pred.describe()
    assert (spec.kind, spec.relation) == ("payload", "satisfies")
    assert spec.children[0].relation == "on_name" and spec.children[0].params == (("name", "faces"),)
    assert spec.children[0].children[0].relation == "length_at_least"


def test_binary_p_mask_over_pairs():
    pred = P(lambda a, b: a == b)
    assert evaluate_mask(pred, cols([1, 2, 3]), cols([1, 0, 3])).tolist() == [True, False, True]


def box(x1, y1, x2, y2, **kw):
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2, **kw}


LEFT, RIGHT, BIG = box(0, 0, 0.3, 0.3), box(0.6, 0, 0.9, 0.3), box(0, 0, 1, 1)

GRAPH = {
    "nodes": [{"name": "a", "predicates": [sp.width_at_most(0.4)]},
              {"name": "b", "predicates": [sp.width_at_most(0.4)]}],
    "edges": [{"start": "a", "end": "b", "predicates": [sp.left_of()]}],
}


@pytest.mark.parametrize(
    ("boxes", "kwargs", "expected"),
    [
        ([LEFT, RIGHT], {}, True),
        ([RIGHT, LEFT], {}, True),  # assignment is searched, not positional
        ([LEFT], {}, False),  # nodes need distinct boxes
        ([LEFT, LEFT], {}, False),
        ([LEFT, RIGHT, BIG], {}, True),
        ([LEFT, RIGHT, BIG], {"exact": True}, False),  # exact counts all boxes
        ([LEFT, RIGHT], {"exact": True}, True),
        ([LEFT, RIGHT], {"region": sg.left_half()}, False),  # RIGHT not in region
        ([LEFT, box(1.1, 0, 1.2, 0.1)], {}, False),  # outside the frame
    ],
)
def test_scene_graph_table(boxes, kwargs, expected):
    assert scene_graph(GRAPH, **kwargs)(boxes) is expected


def test_empty_graph_is_satisfied_subject_to_exact():
    empty = {"nodes": [], "edges": []}
    assert scene_graph(empty)([LEFT])
    assert scene_graph(empty, exact=True)([])
    assert not scene_graph(empty, exact=True)([LEFT])


def test_scene_graph_needs_backtracking():
    # a must be left of b and b left of c: a greedy first choice fails.
    boxes = [box(0.4, 0, 0.5, 0.1), box(0, 0, 0.1, 0.1), box(0.8, 0, 0.9, 0.1)]
    graph = {"nodes": [{"name": n, "predicates": []} for n in "abc"],
             "edges": [{"start": "a", "end": "b", "predicates": [sp.left_of()]},
                       {"start": "b", "end": "c", "predicates": [sp.left_of()]}]}
    assert scene_graph(graph)(boxes)
    assert not scene_graph(graph)([box(0.4, 0, 0.5, 0.1), box(0, 0, 0.1, 0.1)])


def test_scene_graph_on_payloads_with_p():
    pred = P(scene_graph(GRAPH))
    assert evaluate_mask(pred, cols([[LEFT, RIGHT], [LEFT]])).tolist() == [True, False]
    assert pred.describe().children[0].kind == "spatial"


def test_scene_graph_rejects_unknown_edge_node():
    bad = {"nodes": [{"name": "a", "predicates": []}],
           "edges": [{"start": "a", "end": "z", "predicates": []}]}
    with pytest.raises(ValueError, match="'z' is not a node"):
        scene_graph(bad)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (sg.left_half, (0, 0, 0.5, 1)), (sg.right_half, (0.5, 0, 1, 1)),
        (sg.top_half, (0, 0, 1, 0.5)), (sg.bottom_half, (0, 0.5, 1, 1)),
        (sg.top_left, (0, 0, 0.5, 0.5)), (sg.bottom_right, (0.5, 0.5, 1, 1)),
        (sg.center, (0.25, 0.25, 0.75, 0.75)),
    ],
)
def test_regions(fn, expected):
    r = fn()
    assert (r["x1"], r["y1"], r["x2"], r["y2"]) == expected


def test_xy_scene_of_interval_payload_bboxes():
    assert XY(sp.left_of())(Interval3D((0, 1), (0, 0.2)), Interval3D((0, 1), (0.5, 1)))
