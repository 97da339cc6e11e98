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

Sets hand out Interval3D objects (``IntervalSet3D.get_intervals``) without
remaking them on every call, and a set built from objects reads them only
when it first needs its columns. Both rely on two process-wide hooks run by
every assignment to an interval's bounds or payload after construction:
sets still holding unread objects (:func:`register_pending`) read them
first, then a counter (:func:`mutation_stamp`) advances, which tells a set
that an object it handed out may have changed.
"""

from __future__ import annotations

import gc
import itertools
import weakref
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .bounds import bound_size, merge_bound, overlap_bound, sort_key_time_x_y
from .errors import check_bound
from .merge_ops import payload_first

if TYPE_CHECKING:
    from .columns import Columns

__all__ = ["Interval3D", "mutation_stamp", "non_plain_bounds_seen", "register_pending", "unregister_pending", "sort_key_time_x_y", "merge_bound", "overlap_bound", "bound_size"]

Bound = tuple[Any, Any]
BoundCombiner = Callable[[Bound, Bound], Bound]

_FULL: Bound = (0, 1)
_PLAIN = (int, float)
_PLAIN_SET = frozenset(_PLAIN)
#: The types of ``(t1, t2, x1, x2, y1, y2)`` that need no conversion: ints and floats.
_PLAIN_TYPES = frozenset(itertools.product(_PLAIN, repeat=6))
#: Whether any Interval3D was given a bound neither ``int`` nor ``float``
#: (a ``Fraction``, an ``int`` subclass...) in this process.
_NON_PLAIN_SEEN = [False]
_BOUND_NAMES = frozenset({"t", "x", "y"})
#: Number of assignments to any Interval3D's bounds or payload so far.
_MUTATIONS = [0]
#: Objects (sets) to ``_materialize()`` before any Interval3D is assigned to:
#: weak references by id (sets are unhashable); an entry goes when its
#: object is collected.
_PENDING: dict[int, Any] = {}


def mutation_stamp() -> int:
    """The number of assignments to any Interval3D's ``t``/``x``/``y``/``payload``
    since the process started (construction does not count)."""
    return _MUTATIONS[0]


def non_plain_bounds_seen() -> bool:
    """Whether some Interval3D made or assigned in this process has a bound
    that is neither an ``int`` nor a ``float`` (``check_bound`` keeps other
    real numbers, such as ``Fraction``, as given). Until one has, every
    bound of every Interval3D is an ``int`` or a ``float``."""
    return _NON_PLAIN_SEEN[0]


def _note_types(*bounds: Bound) -> None:
    """Record (see ``non_plain_bounds_seen``) if some value of ``bounds`` is neither int nor float."""
    if not _NON_PLAIN_SEEN[0] and not _PLAIN_SET.issuperset(map(type, itertools.chain.from_iterable(bounds))):
        _NON_PLAIN_SEEN[0] = True


def _checked(t: Any, x: Any, y: Any) -> tuple[Bound, Bound, Bound]:
    """``t``, ``x``, ``y`` validated and converted by ``check_bound`` (the
    first bad one, in that order, raises), their types recorded."""
    bounds = check_bound(t, "t"), check_bound(x, "x"), check_bound(y, "y")
    _note_types(*bounds)
    return bounds


def register_pending(holder: Any) -> None:
    """Have ``holder._materialize()`` called before the next assignment to any
    Interval3D (once; ``unregister_pending`` cancels it)."""
    ref = _PendingRef(holder, _forget)
    ref.key = id(holder)
    _PENDING[ref.key] = ref


class _PendingRef(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that knows its ``_PENDING`` key (one object per
    registration: sets are made by the ten thousand)."""

    __slots__ = ("key",)


def _forget(ref: _PendingRef) -> None:
    """Drop the entry of a collected holder (unless the key was reused)."""
    if _PENDING.get(ref.key) is ref:
        del _PENDING[ref.key]


def unregister_pending(holder: Any) -> None:
    """Cancel :func:`register_pending` for ``holder``."""
    _PENDING.pop(id(holder), None)


def _before_mutation() -> None:
    """Let pending holders read their objects, then advance the stamp."""
    while _PENDING:
        holder = _PENDING.popitem()[1]()
        if holder is not None:
            holder._materialize()
    _MUTATIONS[0] += 1


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

    __slots__ = ("t", "x", "y", "payload")

    def __init__(self, t: Bound, x: Bound = _FULL, y: Bound = _FULL, payload: Any = None) -> None:
        """Build an interval.

        Raises:
            ValueError: a bound with start > end, a NaN bound or not a pair.
            TypeError: a bound that is not a real number.
        """
        # The common case in one test (three tuples of two plain ints/floats,
        # in order; NaN fails ``<=``, bools and numpy scalars fail the type
        # test), the full checks of ``check_bound`` otherwise: users build
        # millions of these, and this test is most of their cost.
        plain = False
        if type(t) is tuple and type(x) is tuple and type(y) is tuple:
            try:
                t1, t2 = t
                x1, x2 = x
                y1, y2 = y
            except ValueError:
                pass
            else:
                plain = (
                    (type(t1), type(t2), type(x1), type(x2), type(y1), type(y2)) in _PLAIN_TYPES
                    and t1 <= t2
                    and x1 <= x2
                    and y1 <= y2
                )
        if not plain:
            t, x, y = _checked(t, x, y)
        # The slots' own setters: ``__setattr__`` is for assignments by users.
        _SET_T(self, t)
        _SET_X(self, x)
        _SET_Y(self, y)
        _SET_P(self, payload)

    def __setattr__(self, name: str, value: Any) -> None:
        """Assign ``t``/``x``/``y`` (validated, see ``check_bound``) or ``payload``.

        Bounds and payload are plain slots, read at attribute speed; writes
        come here so they are validated and the pending-set hooks run.
        """
        if name in _BOUND_NAMES:
            value = check_bound(value, name)
            _note_types(value)
        elif name != "payload":
            raise AttributeError(f"'Interval3D' object has no attribute {name!r}")
        _before_mutation()
        object.__setattr__(self, name, value)

    @classmethod
    def _trusted(cls, t: Bound, x: Bound, y: Bound, payload: Any) -> Interval3D:
        """Build without validation (bounds already valid plain-Python pairs)."""
        obj = _new(cls)
        _SET_T(obj, t)
        _SET_X(obj, x)
        _SET_Y(obj, y)
        _SET_P(obj, payload)
        return obj

    def __repr__(self) -> str:
        return (
            f"<Interval3D t: [{self.t[0]},{self.t[1]}] x: [{self.x[0]},{self.x[1]}] "
            f"y: [{self.y[0]},{self.y[1]}] payload:{self.payload}>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interval3D):
            return NotImplemented
        return (
            self.t == other.t
            and self.x == other.x
            and self.y == other.y
            and bool(self.payload == other.payload)
        )

    def __hash__(self) -> int:
        # Bounds only: payloads may be unhashable; equal intervals have equal bounds.
        return hash((self.t, self.x, self.y))

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.t, self.x, self.y, self.payload)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        t, x, y, payload = state
        _note_types(t, x, y)
        _SET_T(self, t)
        _SET_X(self, x)
        _SET_Y(self, y)
        _SET_P(self, payload)

    def copy(self) -> Interval3D:
        """A copy with the same bounds; the payload is shared, not copied."""
        return Interval3D._trusted(self.t, self.x, self.y, self.payload)

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
            t_combiner(self.t, other.t),
            x_combiner(self.x, other.x),
            y_combiner(self.y, other.y),
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
        if not _time_overlaps(self.t, other.t):
            raise ValueError(f"{self!r} and {other!r} do not overlap in time")
        return self.combine(other, overlap_bound, merge_bound, merge_bound, payload_merge_op)

    def expand_to_frame(self) -> Interval3D:
        """The same interval with full-frame spatial bounds ``(0, 1)``."""
        return Interval3D._trusted(self.t, _FULL, _FULL, self.payload)

    def length(self) -> Any:
        """Duration ``t2 - t1``."""
        return self.t[1] - self.t[0]

    def width(self) -> Any:
        """Extent along x, ``x2 - x1``."""
        return self.x[1] - self.x[0]

    def height(self) -> Any:
        """Extent along y, ``y2 - y1``."""
        return self.y[1] - self.y[0]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; a payload with ``to_json`` is converted by it."""
        payload = self.payload.to_json() if hasattr(self.payload, "to_json") else self.payload
        return {"t": self.t, "x": self.x, "y": self.y, "payload": payload}


_new = object.__new__
_SET_T, _SET_X, _SET_Y, _SET_P = (Interval3D.__dict__[name].__set__ for name in Interval3D.__slots__)


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


def intervals_of(cols: Columns) -> list[Interval3D]:
    """Fresh :class:`Interval3D` objects (plain Python bounds) for every row.

    Cost: O(n), one C-level ``map`` over the rows; the cyclic garbage
    collector is paused meanwhile (see ``bulk_objects``).
    """
    t1, t2, x1, x2, y1, y2 = (b.tolist() for b in cols.bounds())
    with bulk_objects(len(t1)):
        return list(map(Interval3D._trusted, zip(t1, t2), zip(x1, x2), zip(y1, y2), cols.payload))


#: Below this many new objects, pausing the garbage collector is not worth it.
_BULK_MIN = 4096


@contextmanager
def bulk_objects(n: int | None = None) -> Iterator[None]:
    """Pause the cyclic garbage collector while ``n`` objects (``None``: an unknown, large number) are made at once.

    Making a million Interval3Ds (or row tuples fetched from a database)
    triggers hundreds of young-generation collections, each traversing the
    objects made so far: half the cost of building them. None of them can be
    garbage, so pausing is safe; the collector is re-enabled (if it was on)
    even on error.
    """
    if (n is not None and n < _BULK_MIN) or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
