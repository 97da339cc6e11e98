"""The results admin (collections, chunks, intervals) and the big-table paginator."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models.signals import post_delete, pre_delete
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from esper_rekall import admin as esper_admin
from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.models import Face, ResultChunk, ResultCollection, ResultInterval

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:esper_rekall_resultcollection_changelist"


def _save(name: str, n_domains: int = 3, per_domain: int = 4) -> ResultCollection:
    from esper_rekall.storage import save_collection

    coll = DomainIntervalCollection(
        {d: IntervalSet3D([Interval3D((10 * i, 10 * i + 5), payload=i) for i in range(per_domain)]) for d in range(1, n_domains + 1)}
    )
    return save_collection(coll, name, query_name="test")


def _failed_run(name: str) -> ResultCollection:
    collection = ResultCollection.objects.create_run(name=name, query_ref={}, chunks=[[1, 2], [3, 4]], query_name="q", runtime="inline")
    ResultChunk.objects.filter(collection=collection, index=1).update(state="failed", error="boom")
    ResultChunk.objects.filter(collection=collection, index=0).update(state="done")
    return ResultCollection.objects.finalize(collection.pk)


def test_anonymous_user_is_redirected_to_login(client: Any) -> None:
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_changelist_shows_status_progress_counts_failures_and_viewer_link(admin_client: Any) -> None:
    done = _save("done-one")
    failed = _failed_run("failed-one")
    html = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "1/1 chunks" in html and "12" in html
    assert "1/2 chunks, 1 failed" in html
    assert "3, 4" in html  # the failed chunk's videos
    for c in (done, failed):
        assert reverse("esper_rekall_viewer:collection", args=[c.pk]) in html


def _changelist_queries(admin_client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(reverse(CHANGELIST)).status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_collections(admin_client: Any) -> None:
    _save("c0")
    _failed_run("f0")
    few = _changelist_queries(admin_client)
    for i in range(1, 12):
        _save(f"c{i}")
        _failed_run(f"f{i}")
    assert _changelist_queries(admin_client) == few


def test_changelist_never_reads_the_interval_table(admin_client: Any) -> None:
    _save("c")
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(reverse(CHANGELIST))
    assert not any(ResultInterval._meta.db_table in q["sql"] for q in queries)


def test_detail_shows_chunks_read_only(admin_client: Any) -> None:
    failed = _failed_run("detail")
    response = admin_client.get(reverse("admin:esper_rekall_resultcollection_change", args=[failed.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "boom" in html and "[3, 4]" in html
    assert 'name="_save"' not in html  # nothing to edit
    inline = response.context["inline_admin_formsets"][0]
    assert inline.formset.total_form_count() == 2
    assert not inline.has_change_permission and not inline.has_add_permission and not inline.has_delete_permission


def test_add_is_not_offered(admin_client: Any) -> None:
    assert admin_client.get(reverse("admin:esper_rekall_resultcollection_add")).status_code == 403


class _Signals:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.seen.append(sender.__name__)


@pytest.fixture
def signals() -> Any:
    spy = _Signals()
    for signal in (pre_delete, post_delete):
        signal.connect(spy, sender=ResultInterval, weak=False)
        signal.connect(spy, sender=ResultChunk, weak=False)
    yield spy
    for signal in (pre_delete, post_delete):
        signal.disconnect(spy, sender=ResultInterval)
        signal.disconnect(spy, sender=ResultChunk)


def test_delete_selected_is_fast_and_sends_no_row_signals(admin_client: Any, signals: _Signals) -> None:
    keep, gone1, gone2 = _save("keep"), _save("gone1"), _save("gone2", n_domains=5)
    data = {"action": "delete_selected", "_selected_action": [gone1.pk, gone2.pk]}
    with CaptureQueriesContext(connection) as queries:
        confirm = admin_client.post(reverse(CHANGELIST), data)
    assert confirm.status_code == 200
    assert not any(ResultInterval._meta.db_table in q["sql"] for q in queries)  # totals come from the collection rows
    assert dict(confirm.context["model_count"]) == {"result collections": 2, "result chunks": 2, "result intervals": 32}
    response = admin_client.post(reverse(CHANGELIST), {**data, "post": "yes"})
    assert response.status_code == 302
    assert list(ResultCollection.objects.values_list("name", flat=True)) == ["keep"]
    assert ResultInterval.objects.filter(parent_row=None).count() == keep.num_intervals
    assert signals.seen == []


def test_delete_one_from_its_page_uses_storage(admin_client: Any, signals: _Signals, monkeypatch: pytest.MonkeyPatch) -> None:
    from esper_rekall import storage

    calls: list[Any] = []
    real = storage.delete_collection
    monkeypatch.setattr(storage, "delete_collection", lambda c: calls.append(c) or real(c))
    gone = _save("gone")
    url = reverse("admin:esper_rekall_resultcollection_delete", args=[gone.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert [c.pk for c in calls] == [gone.pk]
    assert not ResultCollection.objects.exists() and not ResultInterval.objects.exists()
    assert signals.seen == []


def test_resume_action_resumes_unfinished_collections(admin_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from esper_rekall.runtime import jobs

    calls: list[tuple[str, dict[str, Any]]] = []

    def fake_resume(name: str, **kwargs: Any) -> ResultCollection:
        calls.append((name, kwargs))
        return ResultCollection.objects.get(name=name)

    monkeypatch.setattr(jobs, "resume_collection", fake_resume)
    failed, done = _failed_run("to-resume"), _save("finished")
    response = admin_client.post(
        reverse(CHANGELIST), {"action": "resume_collections", "_selected_action": [failed.pk, done.pk]}, follow=True
    )
    assert response.status_code == 200
    assert [name for name, _ in calls] == ["to-resume"]
    assert calls[0][1]["runtime"] in ("inline", "celery")
    text = " ".join(str(m) for m in response.context["messages"])
    assert "finished: already done" in text and "to-resume:" in text


def test_result_interval_changelist_filters_by_collection(admin_client: Any) -> None:
    a, _b = _save("a"), _save("b", n_domains=2)
    url = reverse("admin:esper_rekall_resultinterval_changelist")
    response = admin_client.get(url, {"collection": a.pk})
    assert response.status_code == 200
    assert response.context["cl"].result_count == a.num_intervals
    assert admin_client.get(url, {"q": "not-a-number"}).status_code == 200
    assert admin_client.get(url, {"q": "2"}).context["cl"].result_count == 8


def test_result_interval_admin_shows_the_bounds_stored_null_as_loads_read_them(admin_client: Any) -> None:
    from esper_rekall.storage import save_collection

    faces = IntervalSet3D([Interval3D((0, 3), (0.1, 0.2), payload=11)])
    saved = save_collection(DomainIntervalCollection({4: IntervalSet3D([Interval3D((0, 3), payload=faces)])}), "f")
    face = ResultInterval.objects.get(collection=saved, parent_row=0)
    assert (face.t1, face.y1, face.y2) == (None, None, None)  # stored NULL: its frame's time, the default height
    url = reverse("admin:esper_rekall_resultinterval_change", args=[face.pk])
    fields = {f.field["name"]: f.contents() for fieldset in admin_client.get(url).context["adminform"] for line in fieldset
              for f in line}
    assert [fields[f"{b}_"] for b in ("t1", "t2", "x1", "x2", "y1", "y2")] == ["0.0", "3.0", "0.1", "0.2", "0.0", "1.0"]


def test_big_tables_are_ordered_by_an_index() -> None:
    assert admin.site._registry[Face].ordering == ("-pk",)
    # Stored intervals: the id (chunk << 32 | row), each partition's unique index.
    assert admin.site._registry[ResultInterval].ordering == ("-pk",)
    assert not admin.site._registry[ResultInterval].list_filter


@pytest.mark.postgres
def test_filtered_count_on_a_big_table_comes_from_the_plan(admin_client: Any, corpus: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Face._meta.db_table}")
    monkeypatch.setattr(esper_admin, "_EXACT_COUNT_BELOW", 0)
    labeler = Face.objects.values_list("labeler_id", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:esper_rekall_face_changelist"), {"labeler__id__exact": labeler})
    assert response.status_code == 200
    sql = [q["sql"] for q in queries]
    assert any(s.startswith("EXPLAIN (FORMAT JSON)") for s in sql)
    assert not any("COUNT(*)" in s and Face._meta.db_table in s for s in sql)
    assert response.context["cl"].result_count > 0


@pytest.mark.postgres
def test_small_filtered_results_are_counted_exactly(admin_client: Any, corpus: Any) -> None:
    response = admin_client.get(reverse("admin:esper_rekall_face_changelist"), {"q": "1"})
    assert response.context["cl"].result_count == Face.objects.filter(frame__video__id=1).count()


def test_an_interrupted_run_reads_interrupted_with_its_resume_command_and_counts_from_its_chunks(admin_client: Any) -> None:
    run = ResultCollection.objects.create_run(name="killed", query_ref={}, chunks=[[1], [2], [3]], query_name="q", runtime="inline")
    ResultChunk.objects.filter(collection=run, index=0).update(state="done", num_intervals=804)
    ResultChunk.objects.filter(collection=run, index=1).update(state="interrupted")
    html = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "interrupted: 2 of 3 chunks did not finish; run `rekall_resume killed`" in html
    assert "1/3 chunks" in html and "804" in html  # the collection row itself still says 0/3 and 0
    page = admin_client.get(reverse("admin:esper_rekall_resultcollection_change", args=[run.pk])).content.decode()
    assert "run `rekall_resume killed`" in page


def test_view_site_opens_the_viewer(admin_client: Any) -> None:
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert f'<a href="{reverse("esper_rekall_viewer:collections")}">View site</a>' in html
