"""Distributed execution of queries: Runtime, worker pools, combiners.

Provides the reference runtime's public names (``Runtime``,
``union_combiner``, ``disjoint_domain_combiner``, ``inline_pool_factory``,
``get_forked_process_pool_factory``, ``get_spawned_process_pool_factory``,
``TaskException``, ``RekallRuntimeException``) plus the ``WorkerPool``
protocol and its implementations, ``QueryRef`` and chunking helpers.
"""

from __future__ import annotations

from .chunking import chunk_count, chunked, flatten
from .combiners import disjoint_domain_combiner, union_combiner
from .errors import RekallRuntimeException, TaskException
from .pools import (
    AsyncTaskResult,
    DoneCallback,
    ForkedProcessPool,
    InlinePool,
    ProcessPool,
    QueryFunction,
    SpawnedProcessPool,
    WorkerPool,
    WorkerPoolFactory,
    get_forked_process_pool_factory,
    get_spawned_process_pool_factory,
    inline_pool_factory,
)
from .query_ref import QueryRef, QueryRefError
from .runtime import Runtime

__all__ = [
    "AsyncTaskResult",
    "DoneCallback",
    "ForkedProcessPool",
    "InlinePool",
    "ProcessPool",
    "QueryFunction",
    "QueryRef",
    "QueryRefError",
    "RekallRuntimeException",
    "Runtime",
    "SpawnedProcessPool",
    "TaskException",
    "WorkerPool",
    "WorkerPoolFactory",
    "chunk_count",
    "chunked",
    "disjoint_domain_combiner",
    "flatten",
    "get_forked_process_pool_factory",
    "get_spawned_process_pool_factory",
    "inline_pool_factory",
    "union_combiner",
]
