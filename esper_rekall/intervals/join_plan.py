"""Describable ``join`` merge ops: the pairs' merge a query planner can read.

Provides:
    JoinMerge: a ``join`` merge op ``(i1, i2) -> [Interval3D]`` that says what
        it computes (``kind`` and ``payload_merge_op``), so a planner can
        compile it instead of calling it per pair.
    span_merge(payload_merge_op=payload_first): the bounding volume of the
        pair (``Interval3D.merge``).
    overlap_time_merge(payload_merge_op=payload_first): time intersection,
        space union (``Interval3D.overlap_time_merge_space``).

They are callable like Rekall's ``lambda i1, i2: [i1.merge(i2)]``, so the
in-memory ``join`` takes them as any merge op. Pure: no Django.

Example:
    >>> from esper_rekall.intervals import Interval3D
    >>> span_merge()(Interval3D((0, 2)), Interval3D((1, 5)))[0].t
    (0, 5)
"""

from __future__ import annotations

from typing import Any, Callable, Literal

from .interval import Interval3D
from .merge_ops import merge_op_name, payload_first

__all__ = ["JoinMerge", "overlap_time_merge", "span_merge"]

JoinKind = Literal["span", "overlap_time"]


class JoinMerge:
    """A describable ``join`` merge op: ``(i1, i2) -> [one Interval3D]``.

    ``kind="span"`` is ``[i1.merge(i2, payload_merge_op)]`` (the bounding
    volume); ``kind="overlap_time"`` is
    ``[i1.overlap_time_merge_space(i2, payload_merge_op)]`` (time
    intersection, space union; raises ``ValueError`` for pairs that do not
    overlap in time).
    """

    def __init__(self, kind: JoinKind, payload_merge_op: Callable[[Any, Any], Any] = payload_first) -> None:
        if kind not in ("span", "overlap_time"):
            raise ValueError(f"kind must be 'span' or 'overlap_time', got kind={kind!r}")
        if not callable(payload_merge_op):
            raise TypeError(f"payload_merge_op must be callable, got {payload_merge_op!r}")
        self.kind = kind
        self.payload_merge_op = payload_merge_op

    def __call__(self, i1: Interval3D, i2: Interval3D) -> list[Interval3D]:
        if self.kind == "span":
            return [i1.merge(i2, self.payload_merge_op)]
        return [i1.overlap_time_merge_space(i2, self.payload_merge_op)]

    def __repr__(self) -> str:
        name = merge_op_name(self.payload_merge_op) or repr(self.payload_merge_op)
        fn = "span_merge" if self.kind == "span" else "overlap_time_merge"
        return f"{fn}({name})"


def span_merge(payload_merge_op: Callable[[Any, Any], Any] = payload_first) -> JoinMerge:
    """Join merge op: the bounding volume of the pair (``Interval3D.merge``)."""
    return JoinMerge("span", payload_merge_op)


def overlap_time_merge(payload_merge_op: Callable[[Any, Any], Any] = payload_first) -> JoinMerge:
    """Join merge op: ``Interval3D.overlap_time_merge_space`` of the pair."""
    return JoinMerge("overlap_time", payload_merge_op)
