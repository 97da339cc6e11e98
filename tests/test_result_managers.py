"""The chunk state machine of ResultChunk.objects / ResultCollection.objects."""

from __future__ import annotations

import pytest

from esper_rekall.intervals import DomainIntervalCollection
from esper_rekall.models import ResultChunk, ResultCollection
from esper_rekall.result_layout import encode_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def run() -> ResultCollection:
    return ResultCollection.objects.create_run(name="run", query_ref={}, chunks=[[1, 2], [3]], chunksize=2)


def test_create_run_makes_one_pending_chunk_per_chunk(run: ResultCollection) -> None:
    assert list(ResultChunk.objects.filter(collection=run).values_list("index", "arguments", "state")) == [
        (0, [1, 2], "pending"),
        (1, [3], "pending"),
    ]
    assert ResultChunk.objects.filter(collection=run).pending().count() == 2


def test_claim_counts_attempts_and_stops_at_the_limit(run: ResultCollection) -> None:
    # A zero lease lapses at once: each claim finds the chunk's worker gone.
    outcomes = [ResultChunk.objects.claim(run.pk, 0, worker="w", max_attempts=2, lease=0) for _ in range(3)]
    assert [c.outcome for c in outcomes] == ["claimed", "claimed", "exhausted"]
    assert outcomes[-1].chunk.attempts == 2
    assert ResultCollection.objects.get(pk=run.pk).status == "running"


def test_claim_of_a_finished_chunk_does_nothing(run: ResultCollection) -> None:
    ResultChunk.objects.replace_chunk(run.pk, 1, encode_rows(DomainIntervalCollection()))
    claim = ResultChunk.objects.claim(run.pk, 1, worker="w", max_attempts=3, lease=60)
    assert (claim.outcome, claim.chunk.attempts) == ("finished", 0)


def test_split_makes_one_child_per_argument_once(run: ResultCollection) -> None:
    children = ResultChunk.objects.split(run.pk, 0, "boom")
    assert [(c.index, c.arguments) for c in children] == [(2, [1]), (3, [2])]
    assert ResultChunk.objects.split(run.pk, 0, "again") == []
    assert ResultChunk.objects.replace_chunk(run.pk, 0, encode_rows(DomainIntervalCollection())) is None
    assert ResultCollection.objects.get(pk=run.pk).num_chunks == 4


def test_finalize_finishes_only_when_nothing_is_pending_or_running(run: ResultCollection) -> None:
    ResultChunk.objects.mark_failed(run.pk, 0, "bad")
    assert ResultCollection.objects.finalize(run.pk).finished is None
    ResultChunk.objects.replace_chunk(run.pk, 1, encode_rows(DomainIntervalCollection()))
    done = ResultCollection.objects.finalize(run.pk)
    assert (done.status, done.chunks_done, done.chunks_failed) == ("failed", 1, 1)
    assert done.failed_args == [{"args": [1, 2], "error": "bad"}]
    assert ResultCollection.objects.unfinished().count() == 0


def test_mark_running_counts_an_attempt_and_sets_a_lease(run: ResultCollection) -> None:
    assert ResultChunk.objects.mark_running(run.pk, [0, 1], worker="driver", lease=60) == 2
    chunks = ResultChunk.objects.filter(collection=run)
    assert set(chunks.values_list("state", "attempts", "worker")) == {(ResultChunk.State.RUNNING, 1, "driver")}
    assert not chunks.filter(lease_expires__isnull=True).exists()


def test_finished_selects_done_failed_and_split_chunks(run: ResultCollection) -> None:
    ResultChunk.objects.split(run.pk, 0, "boom")
    ResultChunk.objects.mark_failed(run.pk, 1, "bad")
    ResultChunk.objects.replace_chunk(run.pk, 2, encode_rows(DomainIntervalCollection()))
    finished = ResultChunk.objects.filter(collection=run).finished()
    assert sorted(finished.values_list("index", "state")) == [
        (0, ResultChunk.State.SPLIT),
        (1, ResultChunk.State.FAILED),
        (2, ResultChunk.State.DONE),
    ]


def test_requeue_resets_failed_and_running_chunks_and_leaves_done_and_split_ones(run: ResultCollection) -> None:
    children = ResultChunk.objects.split(run.pk, 0, "boom")  # chunk 0 split into 2 and 3
    ResultChunk.objects.replace_chunk(run.pk, children[0].index, encode_rows(DomainIntervalCollection()))
    ResultChunk.objects.claim(run.pk, 1, worker="w", max_attempts=3, lease=60)
    ResultChunk.objects.mark_failed(run.pk, 1, "bad")
    ResultChunk.objects.mark_running(run.pk, [children[1].index], worker="gone", lease=60)

    assert ResultChunk.objects.requeue(run.pk) == [(1, [3]), (3, [2])]
    rows = ResultChunk.objects.filter(collection=run).order_by("index").values_list(
        "state", "attempts", "error", "lease_expires"
    )
    assert [row[0] for row in rows] == ["split", "pending", "done", "pending"]
    assert rows[1][1:3] == (0, "") and rows[3][3] is None


def _chunk_rows() -> object:
    from esper_rekall.intervals import Interval3D, IntervalSet3D

    return encode_rows(DomainIntervalCollection({1: IntervalSet3D([Interval3D((0, 1))])}))


def _synchronous_commit_statements(write: object) -> list[str]:
    """The ``synchronous_commit`` statements run by ``write()``, and the setting after it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        write()
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        after = cursor.fetchone()[0]
    return [q["sql"] for q in queries.captured_queries if "synchronous_commit" in q["sql"]] + [after]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_chunk_written_on_its_own_commits_asynchronously_for_that_transaction_only() -> None:
    run = ResultCollection.objects.create_run(name="async", query_ref={}, chunks=[[1]])
    rows = _chunk_rows()
    statements = _synchronous_commit_statements(lambda: ResultChunk.objects.replace_chunk(run.pk, 0, rows))
    assert statements == ["SET LOCAL synchronous_commit = off", "on"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_chunk_written_inside_a_callers_transaction_keeps_its_durability() -> None:
    from django.db import transaction

    run = ResultCollection.objects.create_run(name="inside", query_ref={}, chunks=[[1]])
    rows = _chunk_rows()

    def write() -> None:
        with transaction.atomic():
            ResultChunk.objects.replace_chunk(run.pk, 0, rows)

    assert _synchronous_commit_statements(write) == ["on"]


def test_finalize_when_finished_waits_for_the_last_chunk(run: ResultCollection) -> None:
    rows = _chunk_rows()
    ResultChunk.objects.replace_chunk(run.pk, 0, rows)
    assert ResultCollection.objects.finalize_when_finished(run.pk) is None
    assert ResultCollection.objects.get(pk=run.pk).finished is None
    ResultChunk.objects.replace_chunk(run.pk, 1, rows)
    finished = ResultCollection.objects.finalize_when_finished(run.pk)
    assert finished is not None and finished.status == ResultCollection.Status.DONE
    assert (finished.chunks_done, finished.num_intervals) == (2, 2)


def test_finalize_when_finished_counts_a_lapsed_chunk_as_left_to_run(run: ResultCollection) -> None:
    ResultChunk.objects.replace_chunk(run.pk, 0, _chunk_rows())
    ResultChunk.objects.mark_running(run.pk, [1], worker="lost", lease=-1)
    assert ResultCollection.objects.finalize_when_finished(run.pk) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stamping_a_chunk_started_commits_asynchronously() -> None:
    run = ResultCollection.objects.create_run(name="stamp", query_ref={}, chunks=[[1]])
    statements = _synchronous_commit_statements(lambda: ResultChunk.objects.mark_started(run.pk, 0))
    assert statements == ["SET LOCAL synchronous_commit = off", "on"]
    assert ResultChunk.objects.get(collection=run).started is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_commits_asynchronously() -> None:
    run = ResultCollection.objects.create_run(name="claim", query_ref={}, chunks=[[1]])
    outcome: list[str] = []

    def claim() -> None:
        outcome.append(ResultChunk.objects.claim(run.pk, 0, worker="w", max_attempts=3, lease=60).outcome)

    assert _synchronous_commit_statements(claim) == ["SET LOCAL synchronous_commit = off", "on"]
    assert outcome == ["claimed"]
    assert ResultCollection.objects.get(pk=run.pk).status == ResultCollection.Status.RUNNING
