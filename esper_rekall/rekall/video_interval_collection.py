"""Deprecated per-video 1D collections (Rekall ``rekall.video_interval_collection``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.video_collection import VideoIntervalCollection

__all__ = [
    "VideoIntervalCollection",
]
