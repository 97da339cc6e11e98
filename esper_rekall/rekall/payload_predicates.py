"""Predicates on payloads (Rekall ``rekall.payload_predicates``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.predicates.payload import payload_satisfies, on_name

__all__ = [
    "payload_satisfies",
    "on_name",
]
