"""Compatibility module ``rekall.runtime``: the reference runtime's names.

Re-exports ``esper_rekall.runtime``. The reference's pool class names are
aliases: ``InlineSingleProcessPool`` is ``InlinePool``,
``AbstractWorkerPool`` / ``AbstractAsyncTaskResult`` are the ``WorkerPool``
/ ``AsyncTaskResult`` protocols (subclass them as before).
"""

from __future__ import annotations

from esper_rekall.runtime import (
    AsyncTaskResult,
    ForkedProcessPool,
    InlinePool,
    RekallRuntimeException,
    Runtime,
    SpawnedProcessPool,
    TaskException,
    WorkerPool,
    disjoint_domain_combiner,
    get_forked_process_pool_factory,
    get_spawned_process_pool_factory,
    inline_pool_factory,
    union_combiner,
)

InlineSingleProcessPool = InlinePool
AbstractWorkerPool = WorkerPool
AbstractAsyncTaskResult = AsyncTaskResult

__all__ = [
    "AbstractAsyncTaskResult",
    "AbstractWorkerPool",
    "ForkedProcessPool",
    "InlineSingleProcessPool",
    "RekallRuntimeException",
    "Runtime",
    "SpawnedProcessPool",
    "TaskException",
    "disjoint_domain_combiner",
    "get_forked_process_pool_factory",
    "get_spawned_process_pool_factory",
    "inline_pool_factory",
    "union_combiner",
]
