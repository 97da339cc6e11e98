"""Deprecated 1D API (Rekall ``rekall.interval_list``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.interval_list import Interval, IntervalList

__all__ = [
    "Interval",
    "IntervalList",
]
