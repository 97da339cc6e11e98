"""Binary predicates on temporal ranges (Rekall ``rekall.temporal_predicates``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.common import INFTY
from ..intervals.predicates.temporal import (
    after,
    before,
    during,
    during_inv,
    equal,
    finishes,
    finishes_inv,
    meets_after,
    meets_before,
    overlaps,
    overlaps_after,
    overlaps_before,
    starts,
    starts_inv,
)

__all__ = [
    "INFTY",
    "before",
    "after",
    "overlaps",
    "overlaps_before",
    "overlaps_after",
    "starts",
    "starts_inv",
    "finishes",
    "finishes_inv",
    "during",
    "during_inv",
    "meets_before",
    "meets_after",
    "equal",
]
