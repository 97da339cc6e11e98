"""Splitting a list of query arguments into chunks.

Provides:
    chunked: split arguments into consecutive chunks of at most ``size``.
    chunk_count: how many chunks ``chunked`` makes, without making them.
    flatten: the arguments of a sequence of chunks, in order.

A chunk is a plain ``list`` so that it travels as JSON (Celery task
arguments) and so that a query function always receives a list, as in the
reference runtime. Chunking is deterministic: the same arguments and size
always give the same chunks, which is what lets stored per-chunk results be
keyed by chunk index and a re-run resume.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

__all__ = ["chunk_count", "chunked", "flatten"]

T = TypeVar("T")


def _check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"chunk size must be an int, got {size!r}")
    if size < 1:
        raise ValueError(f"chunk size must be >= 1, got {size!r}")
    return size


def chunked(args: Iterable[T], size: int) -> list[list[T]]:
    """Splits ``args`` into consecutive chunks of ``size`` (the last may be shorter).

    O(n) in the number of arguments. The input is never modified.

    Args:
        args: The arguments (usually video ids). Any iterable; it is read once.
        size: The maximum number of arguments per chunk, at least 1.

    Returns:
        A list of lists; empty if ``args`` is empty.

    Raises:
        TypeError: If ``size`` is not an int.
        ValueError: If ``size`` is smaller than 1.

    Example:
        >>> chunked([1, 2, 3, 4, 5], 2)
        [[1, 2], [3, 4], [5]]
    """
    size = _check_size(size)
    items = list(args)
    return [items[start : start + size] for start in range(0, len(items), size)]


def chunk_count(total: int, size: int) -> int:
    """Returns the number of chunks ``chunked`` makes of ``total`` arguments.

    Args:
        total: The number of arguments, at least 0.
        size: The maximum number of arguments per chunk, at least 1.

    Raises:
        ValueError: If ``total`` is negative or ``size`` smaller than 1.

    Example:
        >>> chunk_count(5, 2)
        3
    """
    size = _check_size(size)
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total!r}")
    return -(-total // size)


def flatten(chunks: Iterable[Sequence[T]]) -> list[T]:
    """Returns the arguments of ``chunks`` as one list, chunk by chunk.

    Example:
        >>> flatten([[1, 2], [3]])
        [1, 2, 3]
    """
    return [arg for chunk in chunks for arg in chunk]
