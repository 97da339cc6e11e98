"""``esper_rekall.rekall_parallel`` on a real ``ipcluster start -n 2`` (see conftest).

The tutorial's ``run_in_parallel`` and ``get_generator`` are copied as they
are (only their imports differ from Esper's) and must answer exactly as
``Runtime.inline()``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import pytest

from .conftest import REPO, require_notebook_packages

require_notebook_packages()

from esper_rekall import rekall_parallel  # noqa: E402
from esper_rekall.queries.dates import person_on_several_channels  # noqa: E402
from esper_rekall.queries.tvnews import faces_rekall  # noqa: E402
from esper_rekall.rekall_parallel import get_runtime_for_ipython_cluster  # noqa: E402
from esper_rekall.runtime import RekallRuntimeException, Runtime, disjoint_domain_combiner  # noqa: E402

# The tutorial's client; the ``client`` fixture sets it.
c: Any = None


def run_in_parallel(vids):  # noqa: ANN001, ANN201 - the tutorial's code, as it is
    rt = get_runtime_for_ipython_cluster(c)
    return rt.run(faces_rekall, vids, progress=True, combiner=disjoint_domain_combiner, chunksize=10)


def get_generator(vids):  # noqa: ANN001, ANN201
    rt = get_runtime_for_ipython_cluster(c)
    return rt.get_result_iterator(faces_rekall, vids, chunksize=10)


def run_in_chunks(vids):  # noqa: ANN001, ANN201
    rt = Runtime.inline()
    return rt.run(faces_rekall, vids, chunksize=10)


@pytest.fixture
def client(cluster_client: Any) -> Any:
    global c
    c = cluster_client
    try:
        yield cluster_client
    finally:
        c = None


def video_ids() -> list[int]:
    from esper_rekall.models import Video

    return list(Video.objects.order_by("id").values_list("id", flat=True))


def test_import_without_ipyparallel_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['ipyparallel'] = None\n"
        "try:\n    import esper_rekall.rekall_parallel\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "pip install -r requirements-notebook.txt" in out


def test_get_runtime_refuses_what_is_not_a_client() -> None:
    with pytest.raises(TypeError, match="ipyparallel.Client"):
        get_runtime_for_ipython_cluster("tcp://127.0.0.1:1")


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_tutorial_run_in_parallel_and_get_generator_equal_inline(rebuild_corpus: Any, client: Any) -> None:
    rebuild_corpus(videos=25)  # three chunks of 10
    vids = video_ids()
    expected, failed = run_in_chunks(vids)
    assert failed == [] and len(expected) == 25

    result, failed = run_in_parallel(vids)
    assert failed == []
    assert result == expected

    parts = list(get_generator(vids))
    assert len(parts) == 3
    combined = parts[0]
    for part in parts[1:]:
        combined = disjoint_domain_combiner(combined, part)
    assert combined == expected


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_engines_set_django_up_once_on_the_test_database(corpus: Any, client: Any) -> None:
    from django.db import connection

    from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D

    def engine_state(vids: list[int]) -> DomainIntervalCollection:  # a notebook function: travels by cloudpickle
        from django.apps import apps
        from django.db import connection as engine_connection

        state = (os.getpid(), apps.ready, engine_connection.settings_dict["NAME"], os.environ["DJANGO_SETTINGS_MODULE"])
        return DomainIntervalCollection({v: IntervalSet3D([Interval3D((0, 1), payload=state)]) for v in vids})

    rt = get_runtime_for_ipython_cluster(client)
    result, failed = rt.run(engine_state, video_ids(), chunksize=1)
    assert failed == []
    states = {i.payload for i in result.get_flattened_intervalset()}
    assert {s[1:] for s in states} == {(True, connection.settings_dict["NAME"], "project.settings")}
    assert {s[0] for s in states} <= set(client[:].apply_sync(os.getpid))


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_failing_chunk_comes_back_in_failed_args_with_its_error(
    corpus: Any, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    vids = video_ids()
    bad = vids[2]

    def fails_on_one_video(chunk: list[int]) -> Any:
        if bad in chunk:
            raise ValueError(f"video {bad} is broken")
        return faces_rekall(chunk)

    rt = get_runtime_for_ipython_cluster(client)
    result, failed = rt.run(fails_on_one_video, vids, chunksize=2, combiner=disjoint_domain_combiner)
    bad_chunk = [v for v in vids if (vids.index(v) // 2) == (vids.index(bad) // 2)]
    assert sorted(failed) == bad_chunk
    assert sorted(result.keys()) == [v for v in vids if v not in bad_chunk]
    assert f"video {bad} is broken" in capsys.readouterr().out

    with pytest.raises(RekallRuntimeException) as raised:
        for _ in rt.get_result_iterator(fails_on_one_video, vids, chunksize=2):
            pass
    assert sorted(raised.value.failed_args) == bad_chunk


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_dates_query_on_the_cluster_equals_inline(rebuild_corpus: Any, client: Any) -> None:
    rebuild_corpus(videos=60)
    days = [dt.date(2026, 1, 1), dt.date(2026, 1, 2)]
    expected, _ = Runtime.inline().run(person_on_several_channels, days, combiner=disjoint_domain_combiner)
    result, failed = get_runtime_for_ipython_cluster(client).run(
        person_on_several_channels, days, combiner=disjoint_domain_combiner
    )
    assert failed == [] and result == expected and set(result.keys()) == set(days)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_engines_on_another_database_are_refused(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = rekall_parallel._database_identity()
    monkeypatch.setattr(rekall_parallel, "_database_identity", lambda: {**real, "name": "some_other_database"})
    with pytest.raises(RuntimeError, match="uses database postgresql:.* but this process uses postgresql:'some_other_database'"):
        get_runtime_for_ipython_cluster(client)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_save_as_stores_the_run_as_on_celery(corpus: Any, client: Any) -> None:
    from esper_rekall.models import ResultChunk, ResultCollection
    from esper_rekall.storage import load_collection

    vids = video_ids()
    rt = get_runtime_for_ipython_cluster(client)
    result, failed = rt.run(faces_rekall, vids, chunksize=2, combiner=disjoint_domain_combiner, save_as="on-the-cluster")
    assert failed == []
    expected, _ = Runtime.inline().run(faces_rekall, vids, chunksize=2, combiner=disjoint_domain_combiner)
    assert result == expected
    stored = ResultCollection.objects.get(name="on-the-cluster")
    assert rt.last_collection.pk == stored.pk
    assert stored.status == ResultCollection.Status.DONE
    assert stored.num_intervals == len(expected.columns)
    assert set(ResultChunk.objects.filter(collection=stored).values_list("state", flat=True)) == {"done"}
    assert load_collection("on-the-cluster") == expected
