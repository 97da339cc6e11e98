"""start_collection / resume_collection on the local runtimes."""

from __future__ import annotations

import pytest

from esper_rekall import storage
from esper_rekall.models import ResultChunk, ResultCollection
from esper_rekall.runtime import Runtime, disjoint_domain_combiner
from esper_rekall.runtime.jobs import resume_collection, start_collection
from tests.runtime.queries import fails_on_zero, one_interval_per_video, two_intervals_per_video

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("runtime", ["inline", "processes"])
def test_start_collection_stores_every_chunk(runtime: str) -> None:
    collection = start_collection(
        two_intervals_per_video, range(1, 6), name="jobs", runtime=runtime, workers=2, chunksize=2
    )
    assert (collection.status, collection.chunks_done, collection.num_intervals) == ("done", 3, 10)
    expected = Runtime.inline().run(two_intervals_per_video, range(1, 6), combiner=disjoint_domain_combiner)[0]
    assert storage.load_collection("jobs") == expected


def test_registered_query_name_is_accepted(corpus: object) -> None:
    from esper_rekall.models import Video

    ids = list(Video.objects.values_list("id", flat=True)[:2])
    collection = start_collection("frames_with_faces", ids, name="faces")
    assert collection.query_name == "frames_with_faces" and collection.status == "done"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runtime": "spark"}, "runtime must be one of inline, processes, celery; got 'spark'"),
        ({"wait": False}, "wait=False needs runtime='celery'"),
        ({"workers": 0}, "workers must be an int >= 1, got 0"),
    ],
)
def test_bad_options_are_one_line_value_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        start_collection(one_interval_per_video, [1], name="x", **kwargs)
    assert not ResultCollection.objects.exists()


def test_name_taken_without_replace_is_a_value_error() -> None:
    start_collection(one_interval_per_video, [1], name="taken")
    with pytest.raises(ValueError, match="collection 'taken' already exists; pass replace=True"):
        start_collection(one_interval_per_video, [2], name="taken")
    start_collection(one_interval_per_video, [2], name="taken", replace=True)
    assert list(storage.load_collection("taken").keys()) == [2]


def test_unknown_collection_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no result collection named 'ghost'"):
        resume_collection("ghost")


def test_resume_reruns_only_chunks_not_done() -> None:
    collection = start_collection(fails_on_zero, [1, 0, 2, 3], name="resumable", chunksize=2)
    assert collection.status == "failed" and collection.failed_args[0]["args"] == [0]
    done_before = set(ResultChunk.objects.filter(collection=collection, state="done").values_list("pk", "finished"))
    # "Fix" video 0 by pointing the collection at a query that handles it.
    from esper_rekall.runtime import QueryRef

    ResultCollection.objects.filter(pk=collection.pk).update(
        query_ref=QueryRef.from_function(one_interval_per_video).to_json()
    )
    resumed = resume_collection("resumable")
    assert (resumed.status, resumed.failed_args) == ("done", [])
    assert done_before <= set(ResultChunk.objects.filter(collection=collection, state="done").values_list("pk", "finished"))
    assert sorted(storage.load_collection("resumable").keys()) == [0, 1, 2, 3]


def test_resume_of_a_finished_collection_does_nothing() -> None:
    start_collection(one_interval_per_video, [1, 2], name="finished")
    assert resume_collection("finished").status == "done"
