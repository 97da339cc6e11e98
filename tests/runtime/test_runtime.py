"""Runtime.run and Runtime.get_result_iterator on the inline and spawned pools."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from esper_rekall.runtime import (
    InlinePool,
    RekallRuntimeException,
    Runtime,
    disjoint_domain_combiner,
    get_forked_process_pool_factory,
    get_spawned_process_pool_factory,
)
from tests.fresh_interpreter import packages_loaded_by
from tests.runtime import queries
from tests.runtime.queries import as_dict

VIDEOS = list(range(10))


def test_run_returns_the_union_of_all_chunk_results(runtime: Runtime) -> None:
    result, failed = runtime.run(queries.one_interval_per_video, VIDEOS, chunksize=3)
    assert failed == []
    assert as_dict(result) == as_dict(queries.one_interval_per_video(VIDEOS))


def test_run_gives_equal_results_on_inline_and_spawned_pools(spawned_pool) -> None:
    inline, _ = Runtime.inline().run(queries.two_intervals_per_video, VIDEOS, chunksize=4)
    spawned, _ = Runtime(spawned_pool.bind).run(
        queries.two_intervals_per_video, VIDEOS, chunksize=4
    )
    assert as_dict(inline) == as_dict(spawned)


@pytest.mark.parametrize("randomize", [True, False])
def test_run_result_does_not_depend_on_chunk_order(runtime: Runtime, randomize: bool) -> None:
    result, _ = runtime.run(
        queries.two_intervals_per_video, VIDEOS, chunksize=2, randomize=randomize
    )
    assert as_dict(result) == as_dict(queries.two_intervals_per_video(VIDEOS))


def test_run_returns_the_args_of_failing_chunks(runtime: Runtime) -> None:
    result, failed = runtime.run(queries.fails_on_zero, list(range(6)), chunksize=2, print_error=False)
    assert failed == [0, 1]
    assert as_dict(result) == as_dict(queries.one_interval_per_video([2, 3, 4, 5]))


def test_run_raises_when_every_chunk_fails(runtime: Runtime) -> None:
    with pytest.raises(RekallRuntimeException, match="All tasks failed") as info:
        runtime.run(queries.always_fails, VIDEOS, chunksize=3, print_error=False)
    assert sorted(info.value.failed_args) == VIDEOS
    assert isinstance(info.value.__cause__.__cause__, ValueError)


def test_run_prints_each_error_with_its_args(runtime: Runtime, capsys) -> None:
    runtime.run(queries.fails_on_zero, [0, 1], chunksize=1)
    out = capsys.readouterr().out
    assert "Error when processing [0]: RuntimeError('video 0 is broken" in out
    assert "[1]" not in out


def test_run_prints_nothing_without_print_error(runtime: Runtime, capsys) -> None:
    runtime.run(queries.fails_on_zero, [0, 1], print_error=False)
    assert capsys.readouterr().out == ""


def test_run_does_not_modify_the_callers_args(runtime: Runtime) -> None:
    videos = list(range(20))
    runtime.run(queries.one_interval_per_video, videos, chunksize=3, randomize=True)
    assert videos == list(range(20))


def test_run_accepts_any_iterable_of_args(runtime: Runtime) -> None:
    result, _ = runtime.run(queries.one_interval_per_video, range(5), chunksize=2)
    assert sorted(result.keys()) == [0, 1, 2, 3, 4]


def test_run_on_no_args_returns_none_and_no_failures(runtime: Runtime) -> None:
    assert runtime.run(queries.one_interval_per_video, []) == (None, [])


def test_run_with_disjoint_domain_combiner_equals_union(runtime: Runtime) -> None:
    result, _ = runtime.run(
        queries.two_intervals_per_video, VIDEOS, combiner=disjoint_domain_combiner, chunksize=3
    )
    assert as_dict(result) == as_dict(queries.two_intervals_per_video(VIDEOS))


def test_run_with_disjoint_domain_combiner_names_the_overlapping_domain(runtime: Runtime) -> None:
    with pytest.raises(RekallRuntimeException, match="overlapping domains: 'shared'"):
        runtime.run(queries.one_shared_domain, VIDEOS, combiner=disjoint_domain_combiner)


def test_run_runs_lambdas_and_closures(runtime: Runtime) -> None:
    offset = 100
    result, _ = runtime.run(
        lambda vids: queries.one_interval_per_video([vid + offset for vid in vids]), VIDEOS
    )
    assert sorted(result.keys()) == [vid + 100 for vid in VIDEOS]


def test_run_combines_in_dispatch_order_with_an_associative_combiner(runtime: Runtime) -> None:
    calls = []

    def concatenate(left, right):
        calls.append(1)
        return left + right

    result, _ = runtime.run(list, range(23), combiner=concatenate, chunksize=2, randomize=False)
    assert result == list(range(23))
    assert len(calls) == 11  # one call fewer than there are chunks


def test_run_with_progress_shows_a_bar_over_the_args(capsys) -> None:
    Runtime.inline().run(queries.one_interval_per_video, VIDEOS, chunksize=3, progress=True)
    assert "10/10" in capsys.readouterr().err


def test_run_with_profile_prints_wall_times(capsys) -> None:
    Runtime.inline().run(queries.one_interval_per_video, VIDEOS, profile=True)
    out = capsys.readouterr().out
    assert re.search(r"Executing query in Runtime: \d+\.\d+ s", out)
    assert "Dispatching tasks" in out


def test_run_rejects_a_chunksize_below_one() -> None:
    with pytest.raises(ValueError, match="chunk size must be >= 1, got 0"):
        Runtime.inline().run(queries.one_interval_per_video, VIDEOS, chunksize=0)


def test_reference_spawned_factory_runs_a_closure(tmp_path: Path) -> None:
    runtime = Runtime(get_spawned_process_pool_factory(2))
    result, failed = runtime.run(queries.make_recording_query(tmp_path), VIDEOS, chunksize=5)
    assert failed == []
    assert sorted(result.keys()) == VIDEOS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0-1-2-3-4", "5-6-7-8-9"]


def test_reference_forked_factory_runs_and_reports_failures() -> None:
    runtime = Runtime(get_forked_process_pool_factory(2))
    result, failed = runtime.run(queries.fails_on_zero, VIDEOS, chunksize=3, print_error=False)
    assert failed == [0, 1, 2]
    assert as_dict(result) == as_dict(queries.one_interval_per_video(VIDEOS[3:]))


# get_result_iterator


def test_iterator_without_randomize_yields_chunk_results_in_order(runtime: Runtime) -> None:
    results = list(
        runtime.get_result_iterator(
            queries.one_interval_per_video, VIDEOS, randomize=False, chunksize=3, dispatch_size=2
        )
    )
    assert [sorted(r.keys()) for r in results] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_iterator_with_randomize_yields_every_chunk_once(runtime: Runtime) -> None:
    results = list(runtime.get_result_iterator(queries.one_interval_per_video, VIDEOS, chunksize=2))
    assert sorted(tuple(sorted(r.keys())) for r in results) == [
        (0, 1), (2, 3), (4, 5), (6, 7), (8, 9)
    ]


def test_iterator_raises_after_the_last_result_listing_failed_args(runtime: Runtime) -> None:
    iterator = runtime.get_result_iterator(
        queries.fails_on_zero, list(range(4)), randomize=False, print_error=False
    )
    yielded = [sorted(next(iterator).keys()) for _ in range(3)]
    assert yielded == [[1], [2], [3]]
    with pytest.raises(RekallRuntimeException, match=r"failed args: \[0\]") as info:
        next(iterator)
    assert info.value.failed_args == [0]


def test_iterator_raises_when_every_chunk_fails(runtime: Runtime) -> None:
    with pytest.raises(RekallRuntimeException) as info:
        list(runtime.get_result_iterator(queries.always_fails, VIDEOS, chunksize=5, print_error=False))
    assert sorted(info.value.failed_args) == VIDEOS


def test_iterator_on_no_args_yields_nothing(runtime: Runtime) -> None:
    assert list(runtime.get_result_iterator(queries.one_interval_per_video, [])) == []


def test_iterator_dispatches_lazily_on_the_inline_pool() -> None:
    pools: list[InlinePool] = []

    def factory(fn):
        pools.append(InlinePool(fn))
        return pools[-1]

    iterator = Runtime(factory).get_result_iterator(
        queries.one_interval_per_video, VIDEOS, dispatch_size=3
    )
    assert pools == []  # nothing happens before the first next()
    next(iterator)
    assert (pools[0].dispatched, pools[0].executed) == (3, 1)
    next(iterator)
    assert (pools[0].dispatched, pools[0].executed) == (4, 2)
    assert len(list(iterator)) == 8
    assert (pools[0].dispatched, pools[0].executed) == (10, 10)


def test_iterator_yields_before_the_last_chunk_is_dispatched(spawned_pool, tmp_path: Path) -> None:
    runtime = Runtime(spawned_pool.bind)
    iterator = runtime.get_result_iterator(
        queries.make_recording_query(tmp_path), VIDEOS, chunksize=2, dispatch_size=2
    )
    next(iterator)
    started = len(list(tmp_path.iterdir()))
    assert 1 <= started <= 2  # at most dispatch_size chunks were ever sent
    assert len(list(iterator)) == 4
    assert len(list(tmp_path.iterdir())) == 5


def test_iterator_yields_results_as_they_complete(spawned_pool) -> None:
    runtime = Runtime(spawned_pool.bind)
    iterator = runtime.get_result_iterator(queries.slow_on_zero, [0, 1, 2, 3], dispatch_size=4)
    first = next(iterator)
    assert sorted(first.keys()) != [0]  # the slow chunk does not hold the others back
    rest = list(iterator)
    assert sorted(k for r in [first, *rest] for k in r.keys()) == [0, 1, 2, 3]


def test_importing_the_runtime_does_not_import_django_or_celery() -> None:
    assert packages_loaded_by("import esper_rekall.runtime", ("django", "celery")) == []
