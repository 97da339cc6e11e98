"""explain(), repr and schema validation of IntervalQuery."""

from __future__ import annotations

import pytest

from esper_rekall.db.query import interval_query
from esper_rekall.intervals.predicates import spatial as sp
from esper_rekall.intervals.predicates import temporal as tp
from esper_rekall.intervals.predicates.axes import T, XY
from esper_rekall.models import Commercial, Face, Shot

pytestmark = pytest.mark.django_db


def test_explain_shows_sql_and_where_each_step_runs(corpus: object) -> None:
    q = Face.objects.intervals().filter(XY(sp.height_at_least(0.2)))
    q = q.filter_against(Commercial.objects.intervals(), T(tp.overlaps())).filter(lambda i: True)
    text = q.explain(print_=False)
    assert "EXISTS" in text and "esper_rekall_face" in text
    assert "1. filter(XY(height_at_least(height=0.2))): SQL" in text
    assert "2. filter_against(<IntervalQuery>, T(overlaps()), None): SQL" in text
    assert "3. filter(" in text and ": Python (predicate" in text and "Python callable" in text


def test_explain_prints(corpus: object, capsys: pytest.CaptureFixture[str]) -> None:
    Shot.objects.intervals().temporal_coalesce().explain()
    out = capsys.readouterr().out
    assert "OVER" in out and "temporal_coalesce(" in out


def test_explain_binds_parameters_on_postgresql(corpus: object) -> None:
    from django.db import connection

    text = Face.objects.intervals().filter(XY(sp.height_at_least(0.125))).explain(print_=False)
    if connection.vendor == "postgresql":
        assert "0.125" in text and "%s" not in text
    else:
        assert "params: [0.125]" in text


def test_repr_counts_sql_and_python_steps(corpus: object) -> None:
    q = Shot.objects.intervals().dilate(1).filter(lambda i: True).group_by_time()
    assert repr(q) == "<IntervalQuery Shot: 3 steps (1 SQL, 2 Python)>"
    assert repr(Shot.objects.intervals()) == "<IntervalQuery Shot: 0 steps (0 SQL, 0 Python)>"


@pytest.mark.parametrize("bad", ['id); DROP TABLE esper_rekall_face; --', "nope", "frame__nope"])
def test_schema_rejects_unknown_or_raw_sql_fields(bad: str) -> None:
    with pytest.raises(ValueError, match="not a field"):
        interval_query(Face.objects.all(), {"domain": "frame__video_id", "t1": bad, "t2": "frame__number"})


def test_model_without_default_schema_needs_one() -> None:
    from esper_rekall.models import Video

    with pytest.raises(ValueError, match="no default interval schema"):
        interval_query(Video.objects.all())


def test_default_schemas_resolve_on_every_interval_model(corpus: object) -> None:
    from esper_rekall.models import FaceIdentity, Frame, ResultInterval

    for model in (Face, FaceIdentity, Frame, Shot, Commercial, ResultInterval):
        assert model.objects.intervals().count() == model.objects.count()


def test_corpus_queries_match_memory(corpus: object) -> None:
    faces = Face.objects.intervals()
    q = faces.filter(XY(sp.height_at_least(0.2))).filter_against(Commercial.objects.intervals(), T(tp.overlaps()))
    assert q.collect() == q.collect(pushdown=False)
    g = Shot.objects.intervals().temporal_coalesce(epsilon=1)
    assert g.collect() == g.collect(pushdown=False)


def test_explain_analyze_shows_rows_in_and_out_of_each_step(corpus: object) -> None:
    faces = Face.objects.intervals()
    tall = faces.filter(XY(sp.height_at_least(0.2)))
    n_faces, n_tall = faces.count(), tall.count()
    assert n_faces > n_tall > 0
    text = tall.filter(lambda i: True).explain(print_=False, analyze=True)
    lines = text.splitlines()
    assert lines[-3] == f"  0. Face queryset -> intervals: SQL [{n_faces} rows]"
    assert lines[-2].endswith(f": SQL [{n_faces} -> {n_tall} rows]")
    assert lines[-1].endswith(f"[{n_tall} -> {n_tall} rows]") and ": Python (" in lines[-1]
    assert "rows]" not in tall.explain(print_=False)


def test_collect_of_no_intervals_logs_the_rows_after_each_step(corpus: object, caplog: pytest.LogCaptureFixture) -> None:
    faces = Face.objects.intervals()
    tall = faces.filter(XY(sp.height_at_least(0.2)))
    n_faces, n_tall = faces.count(), tall.count()
    q = tall.filter_size(min_size=10**9).filter(lambda i: True)
    with caplog.at_level("WARNING", logger="esper_rekall.db.query"):
        assert len(q.collect()) == 0
    [record] = [r for r in caplog.records if r.name == "esper_rekall.db.query"]
    assert record.getMessage() == (
        "IntervalQuery.collect() produced no intervals; rows after each step: "
        f"Face queryset {n_faces} -> filter {n_tall} -> filter_size 0 -> filter 0")


def test_collect_of_some_intervals_logs_nothing(corpus: object, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="esper_rekall.db.query"):
        assert len(Face.objects.intervals().filter(XY(sp.height_at_least(0.2))).collect()) > 0
    assert [r for r in caplog.records if r.name == "esper_rekall.db.query"] == []
