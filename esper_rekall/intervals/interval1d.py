"""Rekall's 1D ``Interval``: a temporal range ``[start, end]`` with a payload.

Its own module so the predicate adapters (``T``, ``X``, ``Y``), which hand
1D predicates an ``Interval`` per axis, and ``IntervalList`` both depend
on it without depending on each other.
"""

from __future__ import annotations

from typing import Any, Callable

from .merge_ops import payload_first
from .predicates.temporal import (
    during,
    equal,
    finishes,
    overlaps,
    overlaps_after,
    overlaps_before,
    starts,
)

__all__ = ["Interval", "MergeOp"]

MergeOp = Callable[[Any, Any], Any]


class Interval:
    """A temporal range ``[start, end]`` with a payload (Rekall's 1D Interval).

    Attributes:
        start, end: the bounds (plain numbers).
        payload: anything.
    """

    __slots__ = ("start", "end", "payload")

    def __init__(self, start: Any, end: Any, payload: Any) -> None:
        self.start = start
        self.end = end
        self.payload = payload

    def sort_key(self) -> tuple[Any, Any]:
        """``(start, end)``."""
        return (self.start, self.end)

    def __repr__(self) -> str:
        return f"<Interval start:{self.start} end:{self.end} payload:{self.payload}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interval):
            return NotImplemented
        return (self.start, self.end, self.payload) == (other.start, other.end, other.payload)

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> Interval:
        """A shallow copy."""
        return Interval(self.start, self.end, self.payload)

    def minus(self, other: Interval, payload_merge_op: MergeOp = payload_first) -> list[Interval]:
        """The parts of self not covered by other.

        ``[self.copy()]`` when they do not ``overlaps()``; ``[]`` when self is
        strictly inside or equal to other; otherwise one or two pieces with
        payload ``payload_merge_op(self.payload, other.payload)``.
        """
        if not overlaps()(self, other):
            return [self.copy()]
        payload = payload_merge_op(self.payload, other.payload)
        if during()(self, other) or equal()(self, other):
            return []
        if overlaps_before()(self, other):
            return [Interval(self.start, other.start, payload)]
        if overlaps_after()(self, other):
            return [Interval(other.end, self.end, payload)]
        if during()(other, self):
            return [Interval(self.start, other.start, payload),
                    Interval(other.end, self.end, payload)]
        # Same start or same end (starts/finishes): Rekall has no piece rule
        # for these and fails; we refuse clearly rather than guess.
        raise ValueError(f"Interval.minus is undefined for {self!r} and {other!r}")

    def overlap(self, other: Interval, payload_merge_op: MergeOp = payload_first) -> Interval | None:
        """The common part of self and other (None if they do not overlap)."""
        if not overlaps()(self, other):
            return None
        payload = payload_merge_op(self.payload, other.payload)
        if (during()(self, other) or equal()(self, other)
                or starts()(self, other) or finishes()(self, other)):
            return Interval(self.start, self.end, payload)
        if overlaps_before()(self, other):
            return Interval(other.start, self.end, payload)
        if overlaps_after()(self, other):
            return Interval(self.start, other.end, payload)
        return Interval(other.start, other.end, payload)

    def merge(self, other: Interval, payload_merge_op: MergeOp = payload_first) -> Interval:
        """The smallest interval containing both."""
        return Interval(min(self.start, other.start), max(self.end, other.end),
                        payload_merge_op(self.payload, other.payload))

    def get_start(self) -> Any:
        """``start``."""
        return self.start

    def get_end(self) -> Any:
        """``end``."""
        return self.end

    def get_payload(self) -> Any:
        """``payload``."""
        return self.payload

    def length(self) -> Any:
        """``end - start``."""
        return self.end - self.start
