"""Bounds, sort key, predicate adapters and logic (Rekall ``rekall.interval_set_3d_utils``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.bounds import (
    bound_size,
    merge_bound,
    overlap_bound,
    sort_key_time_x_y,
)
from ..intervals.predicates.axes import (
    P,
    T,
    X,
    XY,
    Y,
    and_preds,
    not_pred,
    or_preds,
)
from ..intervals.common import perf_count

__all__ = [
    "merge_bound",
    "overlap_bound",
    "bound_size",
    "sort_key_time_x_y",
    "T",
    "X",
    "Y",
    "XY",
    "P",
    "not_pred",
    "and_preds",
    "or_preds",
    "perf_count",
]
