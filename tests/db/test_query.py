"""Differential tests: every IntervalQuery step in SQL equals the in-memory result.

The ``backend`` fixture runs the same query with ``pushdown=True`` ("sql")
and with every step in Python on the loaded collection ("memory"); both
must give the same intervals, in the same order, with the same payloads and
the same bound types. The data are seeded random rows inserted into the
label tables inside each test's transaction: small integer frame ranges
(ties, zero-length intervals, touching ones) and bounding boxes mixing a
coarse grid (equal values) with arbitrary doubles.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

import pytest

from esper_rekall.db.query import IntervalQuery, interval_query
from esper_rekall.intervals import IntervalSet3D
from esper_rekall.intervals.common import INFTY
from esper_rekall.intervals.join_plan import overlap_time_merge, span_merge
from esper_rekall.intervals.merge_ops import payload_first, payload_plus, payload_second
from esper_rekall.intervals.predicates.axes import P, T, X, XY, Y, and_preds, not_pred, or_preds
from esper_rekall.intervals.predicates.logical import and_pred, false_pred, not_pred as not_pred2, or_pred, true_pred
from esper_rekall.intervals.predicates import spatial as sp
from esper_rekall.intervals.predicates import temporal as tp
from esper_rekall.models import Channel, Commercial, Face, Frame, Labeler, Shot, Show, Video

pytestmark = pytest.mark.django_db

FACE = {"domain": "frame__video_id", "t1": "frame__number", "t2": "frame__number",
        "x1": "bbox_x1", "x2": "bbox_x2", "y1": "bbox_y1", "y2": "bbox_y2", "payload": "id"}
SEGMENT = {"domain": "video_id", "t1": "min_frame", "t2": "max_frame", "payload": "id"}


def _unit(rng: random.Random) -> float:
    return rng.choice([0.0, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0]) if rng.random() < 0.5 else rng.random()


@pytest.fixture
def data(db: None) -> dict[str, Any]:
    """Three videos with random faces, shots and commercials (seeded)."""
    rng = random.Random(1234)
    channel = Channel.objects.create(name="TESTCH")
    show = Show.objects.create(name="test show", channel=channel)
    labeler = Labeler.objects.create(name="test-labeler")
    videos = [
        Video.objects.create(path=f"test/{i}.mp4", num_frames=100, fps=30.0, width=640, height=360,
                             channel=channel, show=show, time=datetime(2020, 1, 1, tzinfo=timezone.utc))
        for i in range(3)
    ]
    faces, shots, commercials = [], [], []
    for video in videos:
        frames = Frame.objects.bulk_create([Frame(video=video, number=n) for n in range(0, 40, 2)])
        for _ in range(40):
            frame = rng.choice(frames)
            xa, xb = sorted((_unit(rng), _unit(rng)))
            ya, yb = sorted((_unit(rng), _unit(rng)))
            faces.append(Face(frame=frame, labeler=labeler, bbox_x1=xa, bbox_x2=xb, bbox_y1=ya, bbox_y2=yb))
        for model, out in ((Shot, shots), (Commercial, commercials)):
            for _ in range(12):
                a = rng.randrange(0, 40)
                out.append(model(video=video, labeler=labeler, min_frame=a, max_frame=a + rng.choice([0, 0, 1, 2, 3, 5, 8])))
    Face.objects.bulk_create(faces)
    Shot.objects.bulk_create(shots)
    Commercial.objects.bulk_create(commercials)
    ids = [v.id for v in videos]
    return {
        "faces": Face.objects.filter(frame__video_id__in=ids),
        "shots": Shot.objects.filter(video_id__in=ids),
        "commercials": Commercial.objects.filter(video_id__in=ids[:2]),
    }


@pytest.fixture
def faces(data: dict[str, Any]) -> IntervalQuery:
    return interval_query(data["faces"], FACE)


@pytest.fixture
def shots(data: dict[str, Any]) -> IntervalQuery:
    return interval_query(data["shots"], SEGMENT)


@pytest.fixture
def commercials(data: dict[str, Any]) -> IntervalQuery:
    return data["commercials"].intervals(SEGMENT)


@pytest.fixture(params=["memory", "sql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _canon_payload(p: Any) -> Any:
    if isinstance(p, IntervalSet3D):
        return ("set", _canon_set(p))
    if isinstance(p, tuple):
        return ("tuple", tuple(_canon_payload(v) for v in p))
    return (type(p).__name__, p)


def _canon_set(s: IntervalSet3D) -> list[Any]:
    out = []
    for i in s.get_intervals():
        bounds = (*i.t, *i.x, *i.y)
        out.append((bounds, tuple(type(b).__name__ for b in bounds), _canon_payload(i.payload)))
    return out


def canon(coll: Any) -> dict[Any, Any]:
    """Intervals per domain with bound types and payloads, in order."""
    return {k: _canon_set(coll[k]) for k in coll}


def run(q: IntervalQuery, backend: str) -> dict[Any, Any]:
    return canon(q.collect(pushdown=(backend == "sql")))


def check(q: IntervalQuery, expect_sql: bool = True) -> dict[Any, Any]:
    """The SQL and memory results of ``q`` are identical; returns it."""
    memory, sql = run(q, "memory"), run(q, "sql")
    assert sql == memory
    plan = q._plan()
    if expect_sql:
        assert plan.sql_steps == len(q.steps), q.explain(print_=False)
    return sql


UNARY = [
    XY(sp.height_at_least(0.3)), XY(sp.height_at_most(0.25)), XY(sp.height_between(0.1, 0.5)),
    XY(sp.height_exactly(0.25, epsilon=0.05)), XY(sp.width_at_least(0.5)), XY(sp.width_between(0.2, 0.6)),
    XY(sp.width_exactly(0.5)), XY(sp.area_at_least(0.1)), XY(sp.area_at_most(0.05)),
    XY(sp.area_between(0.01, 0.2)), XY(sp.area_exactly(0.0625, epsilon=0.01)),
    XY(sp.position(0.1, 0.2, 0.5, 0.75, epsilon=0.3)), XY(sp.has_value("x1", 0.25, 0.1)),
    XY(sp.has_value("y2", 1.0, epsilon=0.2)),
    and_preds(XY(sp.height_at_least(0.1)), XY(sp.width_at_most(0.5))),
    or_preds(XY(sp.area_at_least(0.3)), not_pred(XY(sp.width_at_least(0.1)))),
    and_pred(XY(sp.height_at_least(0.2)), or_pred(XY(sp.width_at_least(0.4)), XY(sp.area_at_most(0.01)))),
    not_pred2(XY(sp.height_at_least(0.5))), XY(sp.and_pred_node(sp.height_at_least(0.2), sp.width_at_least(0.2))),
    true_pred(), false_pred(),
]


@pytest.mark.parametrize("pred", UNARY, ids=repr)
def test_filter_with_builtin_bbox_predicate_matches_memory(faces: IntervalQuery, pred: Any) -> None:
    check(faces.filter(pred))


@pytest.mark.parametrize("args", [(0, 2), (2, None), (1, 3), (0.5, 2.5), (0, 0)], ids=repr)
def test_filter_size_time_matches_memory(shots: IntervalQuery, args: Any) -> None:
    lo, hi = args
    check(shots.filter_size(lo, hi if hi is not None else INFTY))


@pytest.mark.parametrize("axis", ["X", "Y"])
def test_filter_size_space_matches_memory(faces: IntervalQuery, axis: str) -> None:
    check(faces.filter_size(0.1, 0.4, axis=axis))


@pytest.mark.parametrize("window,axis", [(2, "T"), (-1, "T"), (-2, "T"), (0.5, "T"), (-1.5, "T"),
                                         (0.05, "X"), (-0.1, "Y")])
def test_dilate_matches_memory_including_erosion(shots: IntervalQuery, faces: IntervalQuery, window: Any, axis: str) -> None:
    q = shots if axis == "T" else faces
    check(q.dilate(window, axis))


def test_dilate_keeps_int_bounds_int(shots: IntervalQuery) -> None:
    out = shots.dilate(2).collect()
    assert all(isinstance(i.t[0], int) for k in out for i in out[k].get_intervals())


BINARY = [
    T(tp.overlaps()), T(tp.before()), T(tp.before(min_dist=1, max_dist=5)), T(tp.after(max_dist=3)),
    T(tp.after(min_dist=2)), T(tp.during()), T(tp.during_inv()), T(tp.starts()), T(tp.starts(epsilon=1)),
    T(tp.starts_inv()), T(tp.finishes(1)), T(tp.finishes_inv()), T(tp.meets_before()),
    T(tp.meets_before(epsilon=1)), T(tp.meets_after(0.5)), T(tp.equal()), T(tp.overlaps_before()),
    T(tp.overlaps_after()), X(tp.overlaps()), Y(tp.before(max_dist=0.3)),
    and_preds(T(tp.overlaps()), XY(sp.left_of())), or_preds(T(tp.equal()), T(tp.meets_after())),
    and_pred(T(tp.overlaps()), not_pred2(T(tp.equal()), arity=2), arity=2), true_pred(2),
]
BBOX_BINARY = [XY(sp.left_of()), XY(sp.right_of()), XY(sp.above()), XY(sp.below()), XY(sp.same_area(0.05)),
               XY(sp.more_area()), XY(sp.less_width()), XY(sp.same_height()), XY(sp.same_value("x1", 0.05))]


@pytest.mark.parametrize("pred", BINARY, ids=repr)
def test_filter_against_temporal_predicate_matches_memory(shots: IntervalQuery, commercials: IntervalQuery, pred: Any) -> None:
    check(shots.filter_against(commercials, pred))


@pytest.mark.parametrize("pred", BBOX_BINARY + [and_preds(T(tp.overlaps()), XY(sp.below()))], ids=repr)
def test_filter_against_bbox_predicate_matches_memory(faces: IntervalQuery, pred: Any) -> None:
    check(faces.filter_against(faces.filter(XY(sp.height_at_least(0.2))), pred))


@pytest.mark.parametrize("window", [0, 2, 1.5])
def test_filter_against_time_window_matches_memory(shots: IntervalQuery, commercials: IntervalQuery, window: Any) -> None:
    check(shots.filter_against(commercials, T(tp.before()), time_window=window))


def test_faces_overlapping_commercials_after_bbox_filter(faces: IntervalQuery, commercials: IntervalQuery) -> None:
    check(faces.filter(XY(sp.height_at_least(0.2))).filter_against(commercials, T(tp.overlaps())))


@pytest.mark.parametrize("op", [payload_first, payload_second], ids=lambda o: o.__name__)
@pytest.mark.parametrize("pred", [T(tp.overlaps()), T(tp.before(max_dist=3)), T(tp.meets_before(1))], ids=repr)
def test_merge_matches_memory(shots: IntervalQuery, commercials: IntervalQuery, op: Any, pred: Any) -> None:
    check(shots.merge(commercials, pred, op))


def test_merge_of_faces_and_shots_mixes_int_and_float(faces: IntervalQuery, shots: IntervalQuery) -> None:
    check(faces.merge(shots, T(tp.during()), payload_second))


@pytest.mark.parametrize("merge_op", [span_merge(), span_merge(payload_second), overlap_time_merge()], ids=repr)
def test_join_with_describable_merge_op_matches_memory(shots: IntervalQuery, commercials: IntervalQuery, merge_op: Any) -> None:
    check(shots.join(commercials, T(tp.overlaps()), merge_op))


def test_join_with_lambda_runs_in_python(shots: IntervalQuery, commercials: IntervalQuery) -> None:
    q = shots.join(commercials, T(tp.overlaps()), lambda a, b: [a.merge(b)])
    check(q, expect_sql=False)
    assert "Python" in q.explain(print_=False)


@pytest.mark.parametrize("filter_empty", [True, False])
@pytest.mark.parametrize("pred", [T(tp.overlaps()), T(tp.before(max_dist=4))], ids=repr)
def test_collect_by_interval_matches_memory(shots: IntervalQuery, commercials: IntervalQuery, faces: IntervalQuery, filter_empty: bool, pred: Any) -> None:
    check(commercials.collect_by_interval(shots, pred, filter_empty))
    check(shots.collect_by_interval(faces, pred, filter_empty))


@pytest.mark.parametrize("epsilon", [0, 1, 2.5])
def test_temporal_coalesce_matches_memory(shots: IntervalQuery, faces: IntervalQuery, epsilon: Any) -> None:
    check(shots.temporal_coalesce(epsilon=epsilon))
    check(faces.temporal_coalesce(payload_first, epsilon))


def test_temporal_coalesce_with_payload_plus_runs_in_python(shots: IntervalQuery) -> None:
    q = shots.temporal_coalesce(payload_plus)
    check(q.filter(P(lambda p: True)), expect_sql=False)


def test_group_by_time_matches_memory(faces: IntervalQuery, shots: IntervalQuery) -> None:
    check(faces.group_by_time())
    check(shots.dilate(0.5).group_by_time())
    assert faces.group_by_time()._plan().rel.flat is not None  # fetched flat, sliced in numpy


def test_group_by_time_followed_by_sql_steps_uses_the_json_form(faces: IntervalQuery, shots: IntervalQuery, commercials: IntervalQuery) -> None:
    q = faces.group_by_time().dilate(1)
    assert q._plan().rel.flat is None
    check(q)
    check(faces.filter(XY(sp.height_at_least(0.2))).group_by_time().filter_against(commercials, T(tp.overlaps())))
    check(shots.dilate(0.5).group_by_time().filter_size(1))


def test_union_matches_memory(shots: IntervalQuery, commercials: IntervalQuery, faces: IntervalQuery) -> None:
    check(shots.union(commercials))
    check(commercials.union(faces.filter(XY(sp.width_at_least(0.5)))))


def test_minus_matches_memory(shots: IntervalQuery, commercials: IntervalQuery, faces: IntervalQuery) -> None:
    check(shots.minus(commercials))
    check(commercials.minus(shots))
    check(shots.minus(shots))
    check(faces.minus(commercials))  # zero-length intervals; spatial bounds and payloads kept
    check(faces.minus(shots.filter_size(1)))


@pytest.mark.parametrize("left_window,right_window", [(0, 0.5), (0.5, 0), (1.5, -0.5), (-1, 2)])
def test_minus_mixes_int_and_float_bounds(shots: IntervalQuery, commercials: IntervalQuery, left_window: Any, right_window: Any) -> None:
    check(shots.dilate(left_window).minus(commercials.dilate(right_window)))


def test_minus_chained_and_nested(shots: IntervalQuery, commercials: IntervalQuery) -> None:
    check(shots.minus(commercials).minus(shots.filter_size(3)).dilate(1))
    check(shots.filter_against(commercials.minus(shots.filter_size(2)), T(tp.overlaps())))
    check(shots.group_by_time().minus(commercials))  # equal pieces of two groups: source order
    check(shots.temporal_coalesce().minus(commercials).union(commercials))


def test_minus_of_empty_sides(shots: IntervalQuery, commercials: IntervalQuery) -> None:
    check(shots.minus(commercials.filter_size(1000)))
    check(shots.filter_size(1000).minus(commercials))
    check(shots.minus(commercials.dilate(0.5).filter_size(1000)))  # an empty float side still makes floats


@pytest.mark.parametrize("seed", range(6))
def test_minus_on_dense_random_segments(db: None, seed: int) -> None:
    """Many ties, touching, contained and zero-length ranges; some domains without the other side."""
    rng = random.Random(seed)
    channel = Channel.objects.create(name=f"CH{seed}")
    show = Show.objects.create(name="s", channel=channel)
    labeler = Labeler.objects.create(name=f"l{seed}")
    videos = [Video.objects.create(path=f"d/{seed}/{i}.mp4", num_frames=50, fps=25.0, width=1, height=1,
                                   channel=channel, show=show, time=datetime(2020, 1, 1, tzinfo=timezone.utc))
              for i in range(4)]
    rows = {Shot: [], Commercial: []}
    for k, video in enumerate(videos):
        for model in (Shot, Commercial):
            if model is Commercial and k == 3:
                continue
            for _ in range(rng.randrange(0, 15)):
                a = rng.randrange(0, 20)
                rows[model].append(model(video=video, labeler=labeler, min_frame=a,
                                         max_frame=a + rng.choice([0, 0, 1, 1, 2, 3, 4, 7, 12])))
    for model, objs in rows.items():
        model.objects.bulk_create(objs)
    ids = [v.id for v in videos]
    left = interval_query(Shot.objects.filter(video_id__in=ids), SEGMENT)
    right = interval_query(Commercial.objects.filter(video_id__in=ids), SEGMENT)
    check(left.minus(right))
    check(right.minus(left))
    check(left.minus(right.dilate(0.5)))
    check(left.dilate(-0.5).minus(right))


def test_minus_other_side_not_full_frame_raises(shots: IntervalQuery, faces: IntervalQuery) -> None:
    from esper_rekall.intervals.interval_set import NotFullFrameError

    q = shots.minus(faces)
    for pushdown in (True, False):
        with pytest.raises(ValueError, match="full-frame") as info:
            q.collect(pushdown=pushdown)
        assert isinstance(info.value, NotFullFrameError)
    with pytest.raises(ValueError, match="full-frame"):
        q.count()
    with pytest.raises(ValueError, match="full-frame"):
        shots.filter_against(shots.minus(faces), T(tp.overlaps())).collect()


def test_minus_runs_in_sql(shots: IntervalQuery, commercials: IntervalQuery) -> None:
    q = shots.minus(commercials)
    assert q._plan().sql_steps == 1
    assert "minus(<IntervalQuery>): SQL" in q.explain(print_=False)


def test_chained_steps_after_sql_only_steps(shots: IntervalQuery, commercials: IntervalQuery, faces: IntervalQuery) -> None:
    q = (faces.filter(XY(sp.height_at_least(0.1))).dilate(1).temporal_coalesce(epsilon=1)
         .filter_against(commercials.dilate(2), T(tp.overlaps())).filter_size(1).union(shots))
    check(q)


def test_python_step_makes_later_steps_python(faces: IntervalQuery) -> None:
    q = faces.filter(XY(sp.height_at_least(0.1))).filter(lambda i: i.payload % 2 == 0).dilate(1)
    check(q, expect_sql=False)
    notes = [note.where for note in q._plan().notes]
    assert notes == ["SQL", "Python", "Python"]
    assert repr(q) == "<IntervalQuery Face: 3 steps (1 SQL, 2 Python)>"


def test_size_and_count_run_without_materialising(faces: IntervalQuery) -> None:
    q = faces.filter(XY(sp.height_at_least(0.2)))
    coll = q.collect(pushdown=False)
    assert q.size() == coll.size()
    assert q.count() == sum(coll.size().values())


def test_query_is_immutable(faces: IntervalQuery) -> None:
    q = faces.filter(XY(sp.height_at_least(0.2)))
    q2 = q.dilate(1)
    assert len(q.steps) == 1 and len(q2.steps) == 2


def test_payload_predicate_runs_in_python(faces: IntervalQuery) -> None:
    q = faces.filter(P(lambda p: p % 3 == 0))
    check(q, expect_sql=False)
    assert "payload predicate" in q.explain(print_=False)


def test_sql_result_equals_materialize_then_memory(data: dict[str, Any], commercials: IntervalQuery) -> None:
    from esper_rekall.db.materialize import materialize
    from esper_rekall.db.schema import IntervalSchema

    q = interval_query(data["faces"], FACE).filter(XY(sp.height_at_least(0.2))).temporal_coalesce(epsilon=1)
    loaded = materialize(data["faces"].order_by("pk"), IntervalSchema.from_mapping(FACE))
    expected = loaded.filter(XY(sp.height_at_least(0.2))).temporal_coalesce(epsilon=1)
    assert canon(q.collect()) == canon(expected)


# ------------------------------------------------- temporal_coalesce(payload_plus)
def _random_list(rng: random.Random, depth: int = 0) -> list[Any]:
    """A JSON list: ints, exact doubles, awkward strings, bools, nulls, nested lists and dicts."""
    out: list[Any] = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        kind = rng.randrange(8)
        if kind == 0:
            out.append(rng.randrange(-10**12, 10**12))
        elif kind == 1:
            out.append(rng.random() * rng.choice([1, 1e-9, 1e9]))
        elif kind == 2:
            out.append(rng.choice(["", "a,b", "]", "[", "x\"y", "é", " , "]))
        elif kind == 3:
            out.append(rng.choice([True, False, None]))
        elif kind == 4 and depth < 2:
            out.append(_random_list(rng, depth + 1))
        elif kind == 5:
            out.append({"k": rng.randrange(5), "v": [rng.random()]})
        else:
            out.append(rng.randrange(100))
    return out


STORED = {"domain": "domain_int", "t1": "t1", "t2": "t2", "x1": "x1", "x2": "x2", "y1": "y1", "y2": "y2",
          "payload": "payload"}


def _list_rows(seed: int) -> Any:
    """ResultInterval rows with JSON list payloads: many ties, touching and zero-length ranges."""
    from esper_rekall.models import ResultChunk, ResultCollection, ResultInterval
    from esper_rekall.result_rows import row_ids

    rng = random.Random(seed)
    coll = ResultCollection.objects.create(name=f"lists-{seed}", query_ref={})
    chunk = ResultChunk.objects.create(collection=coll, index=0, arguments=[])
    first_id = row_ids(chunk.pk, 1)[0].item()
    rows = []
    for d in range(3):
        for _ in range(rng.randrange(5, 40)):
            a = rng.randrange(0, 30) * rng.choice([1, 1, 0.5])
            b = a + rng.choice([0, 0, 1, 1, 2, 0.5, 3])
            x = rng.choice([0.0, 0.0, 0.25])
            rows.append(ResultInterval(id=first_id + len(rows), collection=coll, domain_int=d, t1=a, t2=b,
                                       x1=x, x2=1.0, y1=0.0, y2=1.0, payload=_random_list(rng)))
    rows.append(ResultInterval(id=first_id + len(rows), collection=coll, domain_int=3, t1=0, t2=1, payload=None))
    ResultInterval.objects.bulk_create(rows)
    return ResultInterval.objects.filter(collection=coll)


@pytest.mark.parametrize("epsilon", [0, 1, 2.5])
def test_temporal_coalesce_payload_plus_of_ints_sums_in_sql(shots: IntervalQuery, faces: IntervalQuery, epsilon: Any) -> None:
    out = check(shots.temporal_coalesce(payload_plus, epsilon))
    assert all(p == ("int", p[1]) for k in out for *_, p in out[k])
    check(faces.temporal_coalesce(payload_plus, epsilon))
    check(shots.dilate(0.5).union(faces).temporal_coalesce(payload_plus, epsilon))
    assert "temporal_coalesce(<function payload_plus" in shots.temporal_coalesce(payload_plus).explain(print_=False)
    assert ": SQL" in shots.temporal_coalesce(payload_plus).explain(print_=False).splitlines()[-1]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("epsilon", [0, 1, 0.5, 3])
def test_temporal_coalesce_payload_plus_concatenates_json_lists_in_sql(db: None, seed: int, epsilon: Any) -> None:
    rows = _list_rows(seed)
    out = check(interval_query(rows, STORED, payload_kind="list").temporal_coalesce(payload_plus, epsilon))
    assert all(p[0] == "list" for k in out if k != 3 for *_, p in out[k])
    assert out[3][0][2] == ("NoneType", None)  # a lone NULL payload stays NULL, as in Python
    q = interval_query(rows.filter(domain_int__lt=3), STORED, payload_kind="list")  # no NULL payloads
    assert sum(map(len, out.values())) - 1 < q.count()  # some islands merged rows
    check(q.filter_size(0.5).temporal_coalesce(payload_plus, epsilon).dilate(1))
    check(q.temporal_coalesce(payload_plus, epsilon).temporal_coalesce(payload_plus, epsilon + 1))
    check(q.union(q.dilate(1)).temporal_coalesce(payload_plus, epsilon))
    assert q.temporal_coalesce(payload_plus, epsilon).explain(print_=False).splitlines()[-1].endswith(": SQL")


def test_temporal_coalesce_payload_plus_of_a_json_array_annotation(data: dict[str, Any]) -> None:
    from django.db.models.functions import JSONArray

    qs = data["shots"].annotate(pl=JSONArray("id", "min_frame", "max_frame"))
    q = interval_query(qs, {**SEGMENT, "payload": "pl"}, payload_kind="list")
    for epsilon in (0, 2):
        check(q.temporal_coalesce(payload_plus, epsilon))


def test_temporal_coalesce_payload_plus_of_unknown_payloads_runs_in_python(db: None, data: dict[str, Any]) -> None:
    q = interval_query(_list_rows(0), STORED)  # a JSONField without payload_kind: unknown
    check(q.temporal_coalesce(payload_plus), expect_sql=False)
    assert "payload_kind='list'" in q.temporal_coalesce(payload_plus).explain(print_=False)
    nullable = interval_query(_list_rows(1), {**STORED, "payload": "domain_int"})  # nullable int field
    check(nullable.temporal_coalesce(payload_plus), expect_sql=False)
    with pytest.raises(ValueError, match="JSONField"):
        interval_query(data["shots"], SEGMENT, payload_kind="list")
    with pytest.raises(ValueError, match="payload_kind"):
        interval_query(_list_rows(2), STORED, payload_kind="dict")
