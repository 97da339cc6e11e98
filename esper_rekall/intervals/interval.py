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

__all__ = ["Interval3D", "mutation_stamp", "non_plain_bounds_seen", "register_pending", "sort_key_time_x_y", "merge_bound", "overlap_bound", "bound_size"]

Bound = tuple[Any, Any]
BoundCombiner = Callable[[Bound, Bound], Bound]

_FULL: Bound = (0, 1)
_PLAIN_SET = frozenset({int, float})
#: Whether any Interval3D was given a bound neither ``int`` nor ``float``
#: (a ``Fraction``, an ``int`` subclass...) in this process.
_NON_PLAIN_SEEN = [False]
_BOUND_NAMES = frozenset({"t", "x", "y"})
#: Number of assignments to any Interval3D's bounds or payload so far.
_MUTATIONS = [0]
#: Objects (sets) to ``_materialize()`` before any Interval3D is assigned to,
#: as weak references. Entries are never removed one by one (sets are made
#: by the ten thousand, and a per-set callback or removal costs as much as
#: the rest of making one): the list is emptied by the next assignment, and
#: pruned of collected or no longer pending holders when it has doubled
#: (see ``register_pending``).
_PENDING: list[weakref.ref[Any]] = []
#: ``len(_PENDING)`` above which ``register_pending`` prunes it.
_PRUNE_AT = [1024]


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
    Interval3D, unless ``holder.pending_objects()`` is None by then.

    Cost: O(1) amortized (a weak reference; a pass over the list when its
    length has doubled since the last pass).
    """
    _PENDING.append(weakref.ref(holder))
    if len(_PENDING) > _PRUNE_AT[0]:
        # Keep the holders alive and still pending.
        _PENDING[:] = [ref for ref in _PENDING if (h := ref()) is not None and h.pending_objects() is not None]
        _PRUNE_AT[0] = max(1024, 2 * len(_PENDING))



def _before_mutation() -> None:
    """Let pending holders read their objects, then advance the stamp."""
    while _PENDING:
        holder = _PENDING.pop()()
        if holder is not None and holder.pending_objects() is not None:
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

    def __new__(
        cls, t: Bound = _FULL, x: Bound = _FULL, y: Bound = _FULL, payload: Any = None, *args: Any, **kwargs: Any
    ) -> Interval3D:
        """Build an interval (``Interval3D(t, x=(0, 1), y=(0, 1), payload=None)``).

        Built here rather than in ``__init__``: an Interval3D is filled in as
        an ``_Unhooked`` (plain slot stores, no ``__setattr__`` hook) and then
        switched to its class. A subclass is only allocated here (its
        constructor may take other arguments) and filled in by ``__init__``.

        Raises:
            ValueError: a bound with start > end, a NaN bound or not a pair.
            TypeError: a bound that is not a real number.
        """
        if cls is not Interval3D:
            return _new(cls)
        # The common case in one test (three tuples of two ints or two
        # floats, in order; NaN fails ``<=``, bools and numpy scalars fail
        # the type test), the full checks of ``check_bound`` otherwise
        # (mixed int/float pairs included): users build millions of these,
        # and this test is most of their cost.
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
                    (int is type(t1) is type(t2) or float is type(t1) is type(t2))
                    and (float is type(x1) is type(x2) or int is type(x1) is type(x2))
                    and (float is type(y1) is type(y2) or int is type(y1) is type(y2))
                    and t1 <= t2
                    and x1 <= x2
                    and y1 <= y2
                )
        if not plain:
            t, x, y = _checked(t, x, y)
        return _filled(t, x, y, payload)

    def __init__(self, t: Bound, x: Bound = _FULL, y: Bound = _FULL, payload: Any = None) -> None:
        """Fill in a subclass's interval (an Interval3D is built by ``__new__``);
        for both, the signature check of the arguments."""
        if type(self) is Interval3D:
            return
        _fill_slots(self, *_checked(t, x, y), payload)

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
        if cls is Interval3D:
            return _filled(t, x, y, payload)
        obj = _new(cls)
        _fill_slots(obj, t, x, y, payload)
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

    def __reduce__(self) -> tuple[Any, ...]:
        state = (self.t, self.x, self.y, self.payload)
        return (_restored, state if type(self) is Interval3D else (*state, type(self)))

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


class _Unhooked(Interval3D):
    """Interval3D without the assignment hook: a new interval is filled in as
    one of these, at plain slot-store speed, then becomes an Interval3D."""

    __slots__ = ()
    __setattr__ = object.__setattr__


_new = object.__new__


def _filled(t: Bound, x: Bound, y: Bound, payload: Any) -> Interval3D:
    """A new Interval3D holding these (already valid) values.

    Why: on an Interval3D, ``obj.t = t`` runs its ``__setattr__``, and the
    ways around it (a slot's ``__set__``, ``object.__setattr__``) cost a
    call per store, four calls as costly as the validation; on an
    ``_Unhooked`` object the four are plain slot stores, and switching
    ``__class__`` (same layout) is one more store.
    """
    obj = _new(_Unhooked)
    obj.t = t
    obj.x = x
    obj.y = y
    obj.payload = payload
    obj.__class__ = Interval3D
    return obj


def _fill_slots(obj: Interval3D, t: Bound, x: Bound, y: Bound, payload: Any) -> None:
    """Store valid values in the slots of ``obj`` (a subclass's instance), past the assignment hook."""
    for name, value in zip(Interval3D.__slots__, (t, x, y, payload)):
        object.__setattr__(obj, name, value)


def _restored(t: Bound, x: Bound, y: Bound, payload: Any, cls: type[Interval3D] = Interval3D) -> Interval3D:
    """Unpickles an Interval3D or a subclass's (its bounds were valid when pickled)."""
    _note_types(t, x, y)
    return cls._trusted(t, x, y, payload)


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
        return list(map(_filled, zip(t1, t2), zip(x1, x2), zip(y1, y2), cols.payload))


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
