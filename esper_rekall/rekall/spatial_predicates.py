"""Scene-graph predicates and regions (Rekall ``rekall.spatial_predicates``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.predicates.scene import (
    bottom_half,
    bottom_left,
    bottom_right,
    center,
    full_frame,
    left_half,
    make_region,
    right_half,
    scene_graph,
    top_half,
    top_left,
    top_right,
)

__all__ = [
    "scene_graph",
    "make_region",
    "full_frame",
    "left_half",
    "right_half",
    "top_half",
    "bottom_half",
    "top_left",
    "top_right",
    "bottom_left",
    "bottom_right",
    "center",
]
