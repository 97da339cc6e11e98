"""Spatiotemporal 3D interval sets (Rekall ``rekall.interval_set_3d``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.interval import Interval3D
from ..intervals.interval_set import IntervalSet3D

__all__ = [
    "Interval3D",
    "IntervalSet3D",
]
