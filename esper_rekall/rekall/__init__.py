"""Compatibility namespace: Rekall's module names over esper_rekall.intervals.

A query written for Rekall runs with only its imports changed, e.g.
``from esper_rekall.rekall.interval_set_3d import Interval3D, IntervalSet3D``
or ``from esper_rekall.rekall.temporal_predicates import overlaps``.
Each submodule re-exports the original public names; none holds logic.
Submodules are imported on demand (``runtime`` pulls in more machinery).
"""

from __future__ import annotations

__all__ = [
    "bbox_predicates",
    "common",
    "domain_interval_collection",
    "interval_list",
    "interval_set_3d",
    "interval_set_3d_utils",
    "list_predicates",
    "logical_predicates",
    "merge_ops",
    "parsers",
    "payload_predicates",
    "runtime",
    "spatial_predicates",
    "temporal_predicates",
    "video_interval_collection",
]
