"""notebooks/tutorial.ipynb runs top to bottom and computes the right numbers.

nbclient executes it in a kernel of this virtualenv (a ``python3``
kernelspec written for ``sys.executable``), against the pytest test database
on PostgreSQL, with a real Celery worker and a real IPython cluster. The
notebook's last cell prints a JSON summary of what it computed; the test
checks it against plain SQL.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from .conftest import REPO, Cluster, require_notebook_packages, subprocess_env

require_notebook_packages()

import nbclient  # noqa: E402
import nbformat  # noqa: E402
from .test_dates_query import oracle  # noqa: E402

NOTEBOOK = REPO / "notebooks" / "tutorial.ipynb"
CELL_TIMEOUT = 300
VIDEOS = 12  # 2026-01-01 06:00-09:00 on three channels: Noah Patel at 07:00, Liam Chen at 08:00


def sql_frames_with_faces() -> dict[int, tuple[int, int]]:
    """``{video id: (distinct frames with faces, faces)}`` in plain SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT fr.video_id, COUNT(DISTINCT fr.number), COUNT(*) "
            "FROM esper_rekall_face fa JOIN esper_rekall_frame fr ON fr.id = fa.frame_id "
            "GROUP BY fr.video_id"
        )
        return {vid: (frames, faces) for vid, frames, faces in cursor.fetchall()}


@pytest.fixture
def venv_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``python3`` kernelspec for this interpreter, first on ``JUPYTER_PATH``."""
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager

    write_kernel_spec(tmp_path / "kernels" / "python3")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] == sys.executable
    return "python3"


def test_the_committed_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.postgres
@pytest.mark.celery
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_tutorial_notebook_runs_and_computes_what_plain_sql_says(
    rebuild_corpus: Any,
    ipcluster: Cluster,
    celery_worker_process: Any,
    venv_kernel: str,
    tmp_path: Path,
) -> None:
    from django.conf import settings

    from esper_rekall.models import ResultCollection

    rebuild_corpus(videos=VIDEOS)
    env = subprocess_env(
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        ESPER_REKALL_IPCLUSTER_PROFILE_DIR=ipcluster.profile_dir,
        ESPER_REKALL_IPCLUSTER_ID=ipcluster.cluster_id,
        JUPYTER_PATH=os.environ["JUPYTER_PATH"],
        JUPYTER_PLATFORM_DIRS="1",
    )
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name=venv_kernel, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    try:
        client.execute(env=env)
    finally:
        nbformat.write(nb, tmp_path / "tutorial.executed.ipynb")  # for a look after a failure

    last = [cell for cell in nb.cells if cell.cell_type == "code"][-1]
    summary = json.loads("".join(o.text for o in last.outputs if o.output_type == "stream" and o.name == "stdout"))

    expected = sql_frames_with_faces()
    all_vids = sorted(expected)
    assert len(all_vids) == VIDEOS
    per_video = {str(vid): frames for vid, (frames, _) in expected.items()}

    # 3. frames with faces on a few videos: one interval per distinct (video, frame) with faces
    vids = summary["vids"]
    assert vids == all_vids[:3]
    assert summary["frames_with_faces"] == {str(v): expected[v][0] for v in vids}
    assert summary["faces"] == {str(v): expected[v][1] for v in vids}
    # 4. one page, one timeline segment per interval
    assert summary["display"]["num_pages"] == 1
    assert summary["display"]["segments"] == sum(expected[v][0] for v in vids)
    assert summary["display"]["page_url"].startswith("http://127.0.0.1:")
    # 5. in chunks
    assert summary["in_chunks"] == per_video
    # 6. Celery, stored
    assert summary["celery"] == per_video and summary["celery_equals_inline"] is True
    stored = ResultCollection.objects.get(name="tutorial-frames-with-faces")
    assert stored.status == ResultCollection.Status.DONE
    assert stored.num_intervals == sum(per_video.values())
    # 6. the IPython cluster
    assert summary["cluster"] == per_video and summary["cluster_equals_inline"] is True
    # 7. streamed chunk by chunk
    assert summary["stream"] == {"chunks": math.ceil(VIDEOS / 10), "equals_inline": True}
    # 8. pushed down
    assert summary["pushdown"] == {
        "frames_with_faces": {str(v): expected[v][0] for v in vids},
        "equals_memory": True,
        "grouped_from_sql_rows": True,
    }
    # 9. dates
    want = {
        day.isoformat(): {name: [[t1, t2] for t1, t2 in spans] for name, spans in people.items()}
        for day, people in oracle().items()
    }
    assert set(summary["dates"]) == set(want) == {"2026-01-01"}
    assert set(summary["dates"]["2026-01-01"]) == {"Noah Patel", "Liam Chen"}
    for day, people in want.items():
        for name, spans in people.items():
            got = summary["dates"][day][name]
            assert len(got) == len(spans)
            assert all(math.isclose(a, b, abs_tol=1e-6) for g, s in zip(got, spans) for a, b in zip(g, s))
