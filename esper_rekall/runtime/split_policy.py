"""The one policy for a stored chunk that failed: split it, or record the failure.

Provides:
    FailureOutcome: what ``fail_or_split`` did (the chunk's new state and
        its child chunks).
    fail_or_split: splits a failed multi-argument chunk into one child
        chunk per argument, or marks a one-argument chunk failed.

Every runtime settles a failed chunk here: the inline and process runs
(``saving.LocalChunkDispatcher``, which reruns the children on the same
pool) and Celery workers (``jobs.run_chunk`` and the task's
``on_failure``, which send one task per child). So whatever ran it, a
failing chunk ends with only the arguments that fail on their own marked
failed, each with its error. The row changes go through
``ResultChunk.objects`` (``split``, ``mark_failed``); dispatching the
children is the caller's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import ResultChunk

__all__ = ["FailureOutcome", "fail_or_split"]


@dataclass(frozen=True)
class FailureOutcome:
    """What ``fail_or_split`` did to a chunk.

    Attributes:
        state: ``ResultChunk.State.SPLIT`` or ``ResultChunk.State.FAILED``.
        children: The new pending child chunks to run (empty when the chunk
            was failed, or when another worker had settled it first).
    """

    state: str
    children: list[ResultChunk] = field(default_factory=list)


def fail_or_split(collection_id: int, index: int, arguments: Sequence[Any], reason: str) -> FailureOutcome:
    """Settles a failed chunk: one child per argument if it has several, else ``failed``.

    Args:
        collection_id, index: The chunk.
        arguments: Its arguments (decoded); only their number matters.
        reason: Why it failed, kept in the chunk's ``error``.

    Returns:
        The outcome; a split's children still have to be dispatched.
    """
    from ..models import ResultChunk

    if len(arguments) > 1:
        children = ResultChunk.objects.split(collection_id, index, reason)
        return FailureOutcome(ResultChunk.State.SPLIT, children)
    ResultChunk.objects.mark_failed(collection_id, index, reason)
    return FailureOutcome(ResultChunk.State.FAILED)
