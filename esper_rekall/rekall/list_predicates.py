"""Predicates on lists (Rekall ``rekall.list_predicates``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.predicates.list import (
    length_at_least,
    length_at_most,
    length_between,
    length_exactly,
)

__all__ = [
    "length_exactly",
    "length_at_least",
    "length_at_most",
    "length_between",
]
