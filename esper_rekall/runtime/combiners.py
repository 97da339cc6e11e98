"""Combiners: how ``Runtime.run`` reduces the per-chunk results.

Provides:
    union_combiner: the default; ``result1.union(result2)``, for
        ``IntervalSet3D`` and ``DomainIntervalCollection`` results.
    disjoint_domain_combiner: for ``DomainIntervalCollection`` results whose
        chunks produce disjoint domain keys (one video per domain, chunks of
        video ids); refuses overlapping domains instead of merging them.

A combiner takes two partial results and returns their combination; it must
not modify its inputs.
"""

from __future__ import annotations

from typing import Any

from .errors import RekallRuntimeException

__all__ = ["disjoint_domain_combiner", "union_combiner"]

_SHOWN_KEYS = 10


def union_combiner(result1: Any, result2: Any) -> Any:
    """Returns ``result1.union(result2)``."""
    return result1.union(result2)


def _domain_keys(result: Any) -> set[Any]:
    if hasattr(result, "keys"):
        return set(result.keys())
    if hasattr(result, "get_grouped_intervals"):
        return set(result.get_grouped_intervals().keys())
    raise TypeError(
        "disjoint_domain_combiner combines DomainIntervalCollections, "
        f"got {type(result).__name__}: {result!r:.200}"
    )


def disjoint_domain_combiner(result1: Any, result2: Any) -> Any:
    """Combines two ``DomainIntervalCollection``s with disjoint domains.

    Each domain's intervals are taken as they are from the side that has it,
    so no per-domain merge happens.

    Args:
        result1: Partial result of some chunks.
        result2: Partial result of other chunks.

    Returns:
        A ``DomainIntervalCollection`` with the domains of both.

    Raises:
        RekallRuntimeException: If a domain key is in both, naming the keys.
        TypeError: If a result is not a domain collection.
    """
    shared = _domain_keys(result1) & _domain_keys(result2)
    if shared:
        try:
            shown = sorted(shared)
        except TypeError:
            shown = sorted(shared, key=repr)
        more = len(shown) - _SHOWN_KEYS
        listed = ", ".join(repr(key) for key in shown[:_SHOWN_KEYS])
        suffix = f" and {more} more" if more > 0 else ""
        raise RekallRuntimeException(
            "disjoint_domain_combiner used on results with overlapping "
            f"domains: {listed}{suffix}"
        )
    return result1.union(result2)
