"""Logical predicates with an arity parameter (Rekall ``rekall.logical_predicates``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.predicates.logical import (
    and_pred,
    false_pred,
    not_pred,
    or_pred,
    true_pred,
)

__all__ = [
    "and_pred",
    "or_pred",
    "true_pred",
    "false_pred",
    "not_pred",
]
