"""A single spatiotemporal volume.

Provides:
    Interval3D: temporal bounds ``t``, spatial bounds ``x`` and ``y`` (relative
        frame coordinates, default ``(0, 1)``) and a payload.
    (re-exported from :mod:`.bounds`) sort_key_time_x_y, merge_bound,
        overlap_bound, bound_size.

Bounds are validated on construction and on assignment: each must be a pair
of real numbers with ``start <= end`` and no NaN. They are stored as plain
Python numbers (numpy scalars are converted with ``.item()``), so user code
can json-dump them.
"""

from __future__ import annotations

from typing import Any, Callable

from .bounds import bound_size, merge_bound, overlap_bound, sort_key_time_x_y
from .errors import check_bound
from .merge_ops import payload_first

__all__ = ["Interval3D", "sort_key_time_x_y", "merge_bound", "overlap_bound", "bound_size"]

Bound = tuple[Any, Any]
BoundCombiner = Callable[[Bound, Bound], Bound]


class Interval3D:
    """A 3D spatiotemporal volume with a payload.

    Attributes:
        t: temporal bounds ``(t1, t2)``.
        x: spatial bounds along x, ``(x1, x2)``.
        y: spatial bounds along y, ``(y1, y2)``.
        payload: metadata of any type.

    Assigning ``t``/``x``/``y`` re-validates the new bounds.

    Example:
        >>> Interval3D((0, 10), (0.1, 0.5), payload="face")
        <Interval3D t: [0,10] x: [0.1,0.5] y: [0,1] payload:face>
    """

    __slots__ = ("_t", "_x", "_y", "payload")

    def __init__(self, t: Bound, x: Bound = (0, 1), y: Bound = (0, 1), payload: Any = None) -> None:
        """Build an interval.

        Raises:
            ValueError: a bound with start > end, a NaN bound or not a pair.
            TypeError: a bound that is not a real number.
        """
        self._t = check_bound(t, "t")
        self._x = check_bound(x, "x")
        self._y = check_bound(y, "y")
        self.payload = payload

    @property
    def t(self) -> Bound:
        """Temporal bounds ``(t1, t2)``."""
        return self._t

    @t.setter
    def t(self, value: Bound) -> None:
        self._t = check_bound(value, "t")

    @property
    def x(self) -> Bound:
        """Spatial bounds ``(x1, x2)``."""
        return self._x

    @x.setter
    def x(self, value: Bound) -> None:
        self._x = check_bound(value, "x")

    @property
    def y(self) -> Bound:
        """Spatial bounds ``(y1, y2)``."""
        return self._y

    @y.setter
    def y(self, value: Bound) -> None:
        self._y = check_bound(value, "y")

    @classmethod
    def _trusted(cls, t: Bound, x: Bound, y: Bound, payload: Any) -> Interval3D:
        """Build without validation (bounds already valid plain-Python pairs)."""
        obj = cls.__new__(cls)
        obj._t = t
        obj._x = x
        obj._y = y
        obj.payload = payload
        return obj

    def __repr__(self) -> str:
        return (
            f"<Interval3D t: [{self._t[0]},{self._t[1]}] x: [{self._x[0]},{self._x[1]}] "
            f"y: [{self._y[0]},{self._y[1]}] payload:{self.payload}>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interval3D):
            return NotImplemented
        return (
            self._t == other._t
            and self._x == other._x
            and self._y == other._y
            and bool(self.payload == other.payload)
        )

    def __hash__(self) -> int:
        # Bounds only: payloads may be unhashable; equal intervals have equal bounds.
        return hash((self._t, self._x, self._y))

    def __getstate__(self) -> tuple[Any, ...]:
        return (self._t, self._x, self._y, self.payload)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._t, self._x, self._y, self.payload = state

    def copy(self) -> Interval3D:
        """A copy with the same bounds; the payload is shared, not copied."""
        return Interval3D._trusted(self._t, self._x, self._y, self.payload)

    def combine(
        self,
        other: Interval3D,
        t_combiner: BoundCombiner,
        x_combiner: BoundCombiner,
        y_combiner: BoundCombiner,
        payload_merge_op: Callable[[Any, Any], Any] | None = payload_first,
    ) -> Interval3D:
        """Combine two intervals bound by bound.

        Args:
            other: the other interval.
            t_combiner, x_combiner, y_combiner: functions of two bounds
                returning one bound.
            payload_merge_op: function of (self.payload, other.payload);
                defaults to ``payload_first``.

        Returns:
            A new interval; its bounds are validated.
        """
        if payload_merge_op is None:
            payload_merge_op = payload_first
        payload = payload_merge_op(self.payload, other.payload)
        return Interval3D(
            t_combiner(self._t, other._t),
            x_combiner(self._x, other._x),
            y_combiner(self._y, other._y),
            payload,
        )

    def merge(
        self, other: Interval3D, payload_merge_op: Callable[[Any, Any], Any] | None = payload_first
    ) -> Interval3D:
        """The smallest volume covering both: ``(min(start), max(end))`` per axis."""
        return self.combine(other, merge_bound, merge_bound, merge_bound, payload_merge_op)

    def overlap_time_merge_space(
        self, other: Interval3D, payload_merge_op: Callable[[Any, Any], Any] | None = payload_first
    ) -> Interval3D:
        """Intersect in time, merge in space.

        Example: ``t:(0,2), x:(0,1), y:(1,2)`` and ``t:(1,3), x:(1,2), y:(0,1)``
        give ``t:(1,2), x:(0,2), y:(0,2)``.

        Raises:
            ValueError: if the two do not overlap in time by the reference's
                ``overlaps`` (containment, including equal bounds, counts;
                intervals that only touch do not).
        """
        if not _time_overlaps(self._t, other._t):
            raise ValueError(f"{self!r} and {other!r} do not overlap in time")
        return self.combine(other, overlap_bound, merge_bound, merge_bound, payload_merge_op)

    def expand_to_frame(self) -> Interval3D:
        """The same interval with full-frame spatial bounds ``(0, 1)``."""
        return Interval3D._trusted(self._t, (0, 1), (0, 1), self.payload)

    def length(self) -> Any:
        """Duration ``t2 - t1``."""
        return self._t[1] - self._t[0]

    def width(self) -> Any:
        """Extent along x, ``x2 - x1``."""
        return self._x[1] - self._x[0]

    def height(self) -> Any:
        """Extent along y, ``y2 - y1``."""
        return self._y[1] - self._y[0]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; a payload with ``to_json`` is converted by it."""
        payload = self.payload.to_json() if hasattr(self.payload, "to_json") else self.payload
        return {"t": self._t, "x": self._x, "y": self._y, "payload": payload}


def _time_overlaps(a: Bound, b: Bound) -> bool:
    """The reference ``overlaps`` on two (start, end) pairs."""
    s1, e1 = a
    s2, e2 = b
    return (
        (s1 < s2 and e1 > s2)
        or (s1 < e2 and e1 > e2)
        or (s1 <= s2 and e1 >= e2)
        or (s1 >= s2 and e1 <= e2)
    )
