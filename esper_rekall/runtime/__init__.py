"""Distributed execution of queries: Runtime, worker pools, combiners.

Provides the reference runtime's public names (``Runtime``,
``union_combiner``, ``disjoint_domain_combiner``, ``inline_pool_factory``,
``get_forked_process_pool_factory``, ``get_spawned_process_pool_factory``,
``get_process_pool_factory`` (forks where safe, else spawns),
``TaskException``, ``RekallRuntimeException``) plus the ``WorkerPool``
protocol and its implementations (``CeleryPool`` included),
``StoringPoolFactory`` (marks a factory whose pools store every run), ``QueryRef``,
chunking helpers, and the errors of stored runs. ``CeleryPool``,
``BrokerUnavailable`` and ``celery_pool_factory`` are imported lazily (they
need Django and Celery); ``esper_rekall.runtime.jobs`` holds the
start/resume service.
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
    get_process_pool_factory,
    get_spawned_process_pool_factory,
    inline_pool_factory,
)
from .query_ref import QueryRef, QueryRefError
from .runtime import Runtime
from .saving import ChunkError, PartialTaskFailure, StoringPoolFactory

__all__ = [
    "AsyncTaskResult",
    "BrokerUnavailable",
    "CeleryPool",
    "ChunkError",
    "PartialTaskFailure",
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
    "StoringPoolFactory",
    "TaskException",
    "WorkerPool",
    "WorkerPoolFactory",
    "celery_pool_factory",
    "chunk_count",
    "chunked",
    "disjoint_domain_combiner",
    "flatten",
    "get_forked_process_pool_factory",
    "get_process_pool_factory",
    "get_spawned_process_pool_factory",
    "inline_pool_factory",
    "union_combiner",
]


_LAZY = {"BrokerUnavailable", "CeleryPool", "celery_pool_factory"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from . import celery_pool

        return getattr(celery_pool, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
