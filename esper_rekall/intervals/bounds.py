"""Helpers on 1D bounds ``(lo, hi)`` and the default sort key.

Provides:
    merge_bound(b1, b2): ``(min(lo1, lo2), max(hi1, hi2))``.
    overlap_bound(b1, b2): ``(max(lo1, lo2), min(hi1, hi2))``; a valid bound
        only when the two overlap (the caller checks).
    bound_size(b): ``hi - lo``.
    sort_key_time_x_y(interval): ``(t1, t2, x1, x2, y1, y2)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["merge_bound", "overlap_bound", "bound_size", "sort_key_time_x_y"]


def merge_bound(bound1: tuple[Any, Any], bound2: tuple[Any, Any]) -> tuple[Any, Any]:
    """Smallest bound containing both."""
    return (min(bound1[0], bound2[0]), max(bound1[1], bound2[1]))


def overlap_bound(bound1: tuple[Any, Any], bound2: tuple[Any, Any]) -> tuple[Any, Any]:
    """Intersection of two overlapping bounds (not checked)."""
    return (max(bound1[0], bound2[0]), min(bound1[1], bound2[1]))


def bound_size(b: tuple[Any, Any]) -> Any:
    """Length ``hi - lo`` of a bound."""
    return b[1] - b[0]


def sort_key_time_x_y(interval: Any) -> tuple[Any, ...]:
    """Sort key ``(t1, t2, x1, x2, y1, y2)`` of an Interval3D."""
    return (*interval.t, *interval.x, *interval.y)
