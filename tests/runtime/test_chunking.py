"""chunked, chunk_count, flatten."""

from __future__ import annotations

import pytest

from esper_rekall.runtime import chunk_count, chunked, flatten


@pytest.mark.parametrize(
    ("args", "size", "chunks"),
    [
        ([], 3, []),
        ([1], 3, [[1]]),
        ([1, 2, 3], 3, [[1, 2, 3]]),
        ([1, 2, 3, 4, 5], 2, [[1, 2], [3, 4], [5]]),
        (range(4), 1, [[0], [1], [2], [3]]),
    ],
)
def test_chunked_splits_in_order_with_a_short_last_chunk(args, size, chunks) -> None:
    assert chunked(args, size) == chunks
    assert chunk_count(len(list(args)), size) == len(chunks)
    assert flatten(chunked(args, size)) == list(args)


def test_chunked_does_not_modify_or_alias_its_input() -> None:
    args = [1, 2, 3]
    chunks = chunked(args, 2)
    chunks[0].append(99)
    assert args == [1, 2, 3]


@pytest.mark.parametrize(("size", "error", "message"), [
    (0, ValueError, "chunk size must be >= 1, got 0"),
    (-2, ValueError, "chunk size must be >= 1, got -2"),
    (1.5, TypeError, "chunk size must be an int, got 1.5"),
    (True, TypeError, "chunk size must be an int, got True"),
])
def test_chunked_rejects_bad_sizes(size, error, message) -> None:
    with pytest.raises(error, match=message):
        chunked([1], size)


def test_chunk_count_rejects_a_negative_total() -> None:
    with pytest.raises(ValueError, match="total must be >= 0, got -1"):
        chunk_count(-1, 2)
