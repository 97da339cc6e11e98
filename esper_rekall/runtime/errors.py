"""Exceptions of the runtime.

Provides:
    TaskException: a worker failed while running a task (the real error is
        its ``__cause__``).
    RekallRuntimeException: the runtime could not produce a result (every
        task failed, some tasks of an iterator failed, a combiner refused).

The names are the reference runtime's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["RekallRuntimeException", "TaskException"]


class TaskException(Exception):
    """A task raised in its worker.

    Raised by ``AsyncTaskResult.get()``; the worker's exception is chained as
    ``__cause__`` (``raise TaskException(task_args) from error``).

    Attributes:
        task_args: The arguments of the failed task (one chunk), or ``None``
            when the pool does not know them.
    """

    def __init__(self, task_args: Sequence[Any] | None = None) -> None:
        super().__init__(task_args)
        self.task_args = None if task_args is None else list(task_args)

    def __str__(self) -> str:
        return f"task {self.task_args!r} failed: {self.__cause__!r}"

    def __repr__(self) -> str:
        return f"TaskException from {self.__cause__!r}"


class RekallRuntimeException(Exception):
    """The runtime could not produce its result.

    Attributes:
        failed_args: The arguments whose tasks failed (empty when the error is
            not about failed tasks, e.g. a combiner refusing its inputs).
    """

    def __init__(self, message: str, failed_args: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.failed_args = list(failed_args)
