"""Intervals from many domains (Rekall ``rekall.domain_interval_collection``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.collection import DomainIntervalCollection

__all__ = [
    "DomainIntervalCollection",
]
