"""Columnar nested payloads: many small ``IntervalSet3D``s in one set of columns.

Provides:
    NestedSets: a read-only sequence of IntervalSet3D stored as one shared
        child ``Columns`` plus ``starts``/``stops`` offsets (as Arrow list
        arrays do). The payload column of ``group_by_time``.
    CollectedPayloads: the payload column of ``collect_by_interval``; element
        ``i`` is the tuple ``(left[i], sets[i])``.

The set type is given, not imported (``set_type``: ``IntervalSet3D``,
whose module makes these columns): element ``i`` is
``set_type._view(child, starts[i], stops[i])``, so this module sits below
``interval_set`` and no import goes back up.

Why: ``group_by_time`` on a million faces makes hundreds of thousands of
groups; one Python object per group costs far more than the sweep that
finds them. Here a group is two integers until a user reads it; then it is
an ``IntervalSet3D`` view over the child rows (made on each access, never
stored). Gathering rows (``take``), slicing and concatenating only index the
offset arrays, so filters, sorts and unions of grouped results stay
columnar. Pickles carry the child columns and offsets, compacted to the
rows still referenced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Sequence, overload

import numpy as np
import numpy.typing as npt

from . import kernels
from .columns import Columns, PayloadColumn, _object_array
if TYPE_CHECKING:
    from .interval_set import IntervalSet3D

__all__ = ["CollectedPayloads", "NestedSets"]

IntArray = npt.NDArray[np.int64]


def _offsets(values: Any) -> IntArray:
    return np.asarray(values, dtype=np.int64)


class NestedSets(PayloadColumn):
    """A read-only sequence of IntervalSet3D over shared child columns.

    Attributes:
        child: the shared child columns; rows ``starts[i]:stops[i]`` are the
            ``i``-th set, already in set order (sorted by ``t1..y2``, ties in
            insertion order). Its payload is an object array or a
            :class:`PayloadColumn`.
        starts, stops: ``int64`` arrays of equal length.
        set_type: the class of the elements (``IntervalSet3D``); it makes
            each one with ``set_type._view(child, start, stop)``.

    Example:
        >>> from .interval import Interval3D
        >>> from .interval_set import IntervalSet3D
        >>> s = IntervalSet3D([Interval3D((0, 1)), Interval3D((0, 1), payload="b")])
        >>> sets = NestedSets(s.columns, [0, 1], [1, 2], IntervalSet3D)
        >>> [x.size() for x in sets], sets[1].get_intervals()[0].payload
        ([1, 1], 'b')
    """

    __slots__ = ("child", "starts", "stops", "set_type")

    def __init__(
        self,
        child: Columns,
        starts: Sequence[int] | IntArray,
        stops: Sequence[int] | IntArray,
        set_type: type[IntervalSet3D],
    ) -> None:
        """Wrap ``child`` rows ``starts[i]:stops[i]`` (no copy, no checks of order).

        Raises:
            ValueError: ``starts`` and ``stops`` differ in length.
        """
        starts, stops = _offsets(starts), _offsets(stops)
        if starts.shape != stops.shape or starts.ndim != 1:
            raise ValueError(f"starts and stops must be 1-D of equal length, got {starts.shape} and {stops.shape}")
        payload = child.payload
        if not isinstance(payload, PayloadColumn):
            # A view's payload slice must be a view, not a copy.
            child = child.replace(payload=_object_array(payload))
        self.child = child
        self.starts = starts
        self.stops = stops
        self.set_type = set_type

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, i: int) -> IntervalSet3D: ...

    @overload
    def __getitem__(self, i: slice) -> NestedSets: ...

    def __getitem__(self, i: Any) -> Any:
        """Element ``i`` as a fresh IntervalSet3D view (O(1)); a slice as a NestedSets."""
        if isinstance(i, slice):
            return NestedSets(self.child, self.starts[i], self.stops[i], self.set_type)
        return self.set_type._view(self.child, int(self.starts[i]), int(self.stops[i]))

    def __iter__(self) -> Iterator[IntervalSet3D]:
        view, child = self.set_type._view, self.child
        for s, e in zip(self.starts.tolist(), self.stops.tolist()):
            yield view(child, s, e)

    def take(self, index: npt.NDArray[np.intp] | Sequence[int]) -> NestedSets:
        """Elements at ``index`` (repeats allowed), sharing ``child``. Cost: O(len(index))."""
        index = np.asarray(index, dtype=np.intp)
        return NestedSets(self.child, self.starts[index], self.stops[index], self.set_type)

    def sizes(self) -> IntArray:
        """Number of rows of each set."""
        return self.stops - self.starts

    def compact(self) -> NestedSets:
        """The same sets over a child holding only their rows, in element order.

        Cost: O(rows referenced); returns ``self`` when already compact.
        """
        n = len(self.starts)
        if n and self.starts[0] == 0 and self.stops[-1] == len(self.child) and np.array_equal(self.starts[1:], self.stops[:-1]):
            return self
        _, rows = kernels.expand_ranges(self.starts, self.stops)
        stops = np.cumsum(self.sizes())
        return NestedSets(self.child.take(rows), stops - self.sizes(), stops, self.set_type)

    @classmethod
    def concat(cls, parts: Sequence[NestedSets]) -> NestedSets:
        """Elements of ``parts`` one after another, over one concatenated child."""
        parts = [p.compact() for p in parts]
        child = Columns.concat([p.child for p in parts])
        shift = np.cumsum([0] + [len(p.child) for p in parts[:-1]])
        starts = np.concatenate([p.starts + d for p, d in zip(parts, shift)])
        stops = np.concatenate([p.stops + d for p, d in zip(parts, shift)])
        return cls(child, starts, stops, parts[0].set_type)

    def __reduce__(self) -> tuple[Any, ...]:
        c = self.compact()
        return (_unpickle_nested, (c.child, c.sizes(), c.set_type))

    def __repr__(self) -> str:
        return f"NestedSets({list(self)!r})"


def _unpickle_nested(child: Columns, sizes: IntArray, set_type: type[IntervalSet3D]) -> NestedSets:
    """Unpickles a compact :class:`NestedSets` from its child, set sizes and set type."""
    stops = np.cumsum(sizes)
    return NestedSets(child, stops - sizes, stops, set_type)


class CollectedPayloads(PayloadColumn):
    """The payload column of ``collect_by_interval``: ``(left[i], sets[i])`` tuples.

    Attributes:
        left: object array of the left intervals' payloads.
        sets: :class:`NestedSets` of the matched intervals, one per row.
    """

    __slots__ = ("left", "sets")

    def __init__(self, left: Sequence[Any], sets: NestedSets) -> None:
        """Pair ``left`` payloads with ``sets``.

        Raises:
            ValueError: different lengths.
        """
        if len(left) != len(sets):
            raise ValueError(f"left and sets differ in length: {len(left)} != {len(sets)}")
        self.left = _object_array(left)
        self.sets = sets

    def __len__(self) -> int:
        return len(self.sets)

    def __getitem__(self, i: Any) -> Any:
        """Element ``i`` as a fresh ``(payload, IntervalSet3D)`` tuple; a slice as a CollectedPayloads."""
        if isinstance(i, slice):
            return CollectedPayloads(self.left[i], self.sets[i])
        return (self.left[i], self.sets[i])

    def __iter__(self) -> Iterator[tuple[Any, IntervalSet3D]]:
        return zip(self.left, self.sets)

    def take(self, index: npt.NDArray[np.intp] | Sequence[int]) -> CollectedPayloads:
        """Elements at ``index`` (repeats allowed); the sets share their child."""
        index = np.asarray(index, dtype=np.intp)
        return CollectedPayloads(self.left[index], self.sets.take(index))

    @classmethod
    def concat(cls, parts: Sequence[CollectedPayloads]) -> CollectedPayloads:
        """Elements of ``parts`` one after another."""
        return cls(
            np.concatenate([p.left for p in parts]),
            NestedSets.concat([p.sets for p in parts]),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (CollectedPayloads, (self.left, self.sets))

    def __repr__(self) -> str:
        return f"CollectedPayloads({list(self)!r})"
