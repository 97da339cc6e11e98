"""The one split policy every runtime applies to a failed stored chunk."""

from __future__ import annotations

import pytest

from esper_rekall.models import ResultChunk, ResultCollection
from esper_rekall.runtime.split_policy import fail_or_split

pytestmark = pytest.mark.django_db


@pytest.fixture
def run() -> ResultCollection:
    return ResultCollection.objects.create_run(name="policy", query_ref={}, chunks=[[1, 2, 3], [4]], chunksize=3)


def test_a_failed_multi_argument_chunk_is_split_into_one_child_per_argument(run: ResultCollection) -> None:
    outcome = fail_or_split(run.pk, 0, [1, 2, 3], "boom")
    assert outcome.state == ResultChunk.State.SPLIT
    assert [c.arguments for c in outcome.children] == [[1], [2], [3]]
    assert ResultChunk.objects.get(collection=run, index=0).error == "boom"


def test_a_failed_one_argument_chunk_is_marked_failed_with_its_error(run: ResultCollection) -> None:
    outcome = fail_or_split(run.pk, 1, [4], "bad")
    assert (outcome.state, outcome.children) == (ResultChunk.State.FAILED, [])
    chunk = ResultChunk.objects.get(collection=run, index=1)
    assert (chunk.state, chunk.error) == (ResultChunk.State.FAILED, "bad")


def test_a_chunk_settled_by_another_worker_is_not_split_again(run: ResultCollection) -> None:
    fail_or_split(run.pk, 0, [1, 2, 3], "first")
    again = fail_or_split(run.pk, 0, [1, 2, 3], "second")
    assert (again.state, again.children) == (ResultChunk.State.SPLIT, [])
    assert ResultChunk.objects.filter(collection=run).count() == 5
