"""Columns: the columnar form of a batch of 3D intervals.

Provides :class:`Columns`, the value that kernels, sets and vectorised
predicates pass between them: six aligned numpy bound arrays
(``t1, t2, x1, x2, y1, y2``) and a payload sequence of the same length.

A bound column is ``int64`` when every value put in it was an integer and
``float64`` otherwise, so bounds read back as the Python type the user gave
(``int`` frame numbers stay ``int``). Columns are never mutated in place:
every method returns a new :class:`Columns`.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import numpy.typing as npt

from .errors import check_bound

if TYPE_CHECKING:
    from .interval import Interval3D

BOUND_NAMES: tuple[str, ...] = ("t1", "t2", "x1", "x2", "y1", "y2")
#: Each axis's (start, end) bound columns, by the axis names the algebra takes (``axis="T"``).
AXIS_BOUNDS: dict[str, tuple[str, str]] = {"T": ("t1", "t2"), "X": ("x1", "x2"), "Y": ("y1", "y2")}
_GET_T, _GET_X, _GET_Y, _GET_P = (attrgetter(name) for name in ("t", "x", "y", "payload"))
_FAST_DTYPES = (np.dtype(np.int64), np.dtype(np.float64))


class PayloadColumn(SequenceABC):
    """A payload column kept in columnar form (see ``nested.NestedSets``).

    Columns gather, slice and concatenate it through these methods instead
    of materialising one Python object per row; anything else reads it as a
    sequence (elements are made on access).
    """

    __slots__ = ()

    def take(self, index: npt.NDArray[np.intp]) -> PayloadColumn:
        """Elements at ``index`` (repeats allowed), in that order."""
        raise NotImplementedError

    @classmethod
    def concat(cls, parts: Sequence[Any]) -> PayloadColumn:
        """Elements of ``parts`` (all of this class) one after another."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        """Element-wise equality with any sequence (a list of sets, another column)."""
        if not isinstance(other, SequenceABC) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]


def take_payload(payload: Sequence[Any], index: npt.NDArray[np.intp]) -> Sequence[Any]:
    """Payloads at ``index``: columnar for a :class:`PayloadColumn`, else an object array."""
    if isinstance(payload, PayloadColumn):
        return payload.take(index)
    return _object_array(payload)[index]


def concat_payloads(parts: Sequence[Sequence[Any]]) -> Sequence[Any]:
    """Payload columns one after another; columnar when all are the same
    :class:`PayloadColumn` class, else an object array."""
    kinds = set(map(type, parts))
    if len(kinds) == 1:
        (kind,) = kinds
        if issubclass(kind, PayloadColumn):
            return kind.concat(parts)
    return np.concatenate([_object_array(p) for p in parts])


@dataclass(frozen=True, eq=False)
class Columns:
    """Aligned bound arrays and payloads of ``n`` intervals.

    Attributes:
        t1, t2, x1, x2, y1, y2: 1-D numpy arrays of length ``n``.
        payload: a sequence (list or object ndarray) of length ``n``.
    """

    t1: npt.NDArray[Any]
    t2: npt.NDArray[Any]
    x1: npt.NDArray[Any]
    x2: npt.NDArray[Any]
    y1: npt.NDArray[Any]
    y2: npt.NDArray[Any]
    payload: Sequence[Any]

    def __len__(self) -> int:
        return len(self.t1)

    def bounds(self) -> tuple[npt.NDArray[Any], ...]:
        """The six bound arrays in ``BOUND_NAMES`` order."""
        return (self.t1, self.t2, self.x1, self.x2, self.y1, self.y2)

    def take(self, index: npt.NDArray[np.intp] | Sequence[int]) -> Columns:
        """Rows at ``index`` (an integer array; repeats allowed), in that order."""
        index = np.asarray(index, dtype=np.intp)
        payload = take_payload(self.payload, index)
        return Columns(*(b[index] for b in self.bounds()), payload=payload)

    def take_lazy(self, index: npt.NDArray[np.intp]) -> Columns:
        """Like :meth:`take`, but each column is gathered on first access.

        For evaluating a predicate on candidate pairs: a temporal predicate
        reads two of the seven columns, so the others (the payload above
        all) are never copied.
        """
        return _LazyTake(self, np.asarray(index, dtype=np.intp))

    def interval(self, i: int) -> Interval3D:
        """Row ``i`` as an :class:`Interval3D` with plain Python bounds."""
        from .interval import Interval3D

        return Interval3D(
            (self.t1[i].item(), self.t2[i].item()),
            (self.x1[i].item(), self.x2[i].item()),
            (self.y1[i].item(), self.y2[i].item()),
            self.payload[i],
        )

    @classmethod
    def empty(cls) -> Columns:
        """Zero rows."""
        z = np.empty(0, dtype=np.int64)
        return cls(z, z, z, z, z, z, payload=[])

    @classmethod
    def from_bounds(
        cls,
        t1: Sequence[Any],
        t2: Sequence[Any],
        x1: Sequence[Any],
        x2: Sequence[Any],
        y1: Sequence[Any],
        y2: Sequence[Any],
        payload: Sequence[Any],
    ) -> Columns:
        """Columns from six sequences of numbers (not validated) and payloads.

        Each bound column is ``int64`` when all its values are integers and
        ``float64`` otherwise.
        """
        cols = [as_bound_column(v) for v in (t1, t2, x1, x2, y1, y2)]
        # Both ends of an axis share a dtype, so (0, 1.5) does not read back
        # as (0, 1.5) in one row and (5, 6.0) in another.
        for k in (0, 2, 4):
            if cols[k].dtype != cols[k + 1].dtype:
                cols[k] = cols[k].astype(np.float64)
                cols[k + 1] = cols[k + 1].astype(np.float64)
        return cls(*cols, payload=_object_array(payload))

    @classmethod
    def from_intervals(cls, intervals: Sequence[Interval3D]) -> Columns:
        """Columns of already-validated :class:`Interval3D` objects, in order.

        Per axis, the bounds are flattened into one list (C-level ``map``
        over the objects' slots) and converted by one ``np.array``, which
        picks ``int64`` when every value is an ``int`` and ``float64`` when
        some is a ``float`` (both ends of an axis share the dtype). Other
        numbers (``Fraction``, ints beyond int64) take the general
        :meth:`from_bounds` path.

        An axis whose first bound is a ``float`` (spatial bounds, usually)
        is first read straight into ``float64``: if some value is not
        integral, the column is ``float64`` whatever the other values' types,
        and the list and the dtype inference are saved; otherwise it is read
        again as above.

        Cost: O(n), a few C loops over the objects.
        """
        cols: list[npt.NDArray[Any]] = []
        for get in (_GET_T, _GET_X, _GET_Y):
            flat = _float_if_fractional(intervals, get)
            if flat is None:
                flat = np.array(list(chain.from_iterable(map(get, intervals))))
            if flat.dtype not in _FAST_DTYPES:
                return cls.from_bounds(
                    *([b[k] for b in map(get, intervals)] for get in (_GET_T, _GET_X, _GET_Y) for k in (0, 1)),
                    payload=list(map(_GET_P, intervals)),
                )
            cols += [np.ascontiguousarray(flat[0::2]), np.ascontiguousarray(flat[1::2])]
        payload = np.fromiter(map(_GET_P, intervals), dtype=object, count=len(intervals))
        return cls(*cols, payload=payload)

    @classmethod
    def from_bound_pairs(
        cls,
        ts: Sequence[Any],
        xs: Sequence[Any],
        ys: Sequence[Any],
        payload: Sequence[Any],
    ) -> Columns:
        """Columns from per-row ``(start, end)`` pairs, validated as ``Interval3D`` does.

        Args:
            ts, xs, ys: one bound pair per row for each axis.
            payload: one payload per row.

        Raises:
            ValueError/TypeError: the error ``Interval3D`` raises for the
                first bad row (its ``t``, then ``x``, then ``y``): not a
                pair, not a real number, NaN, or start > end.

        Cost: O(n): a type scan per column and vectorised checks; rows are
        checked one by one only when something is off (or unusual, such as
        numpy scalars), to name the first offending value.
        """
        cols = _pair_columns((ts, xs, ys), checked=False)
        if cols is None:
            rows = [
                (check_bound(t, "t"), check_bound(x, "x"), check_bound(y, "y"))
                for t, x, y in zip(ts, xs, ys)
            ]
            cols = _pair_columns(tuple([r[k] for r in rows] for k in range(3)), checked=True)
        return cls.from_bounds(*cols, payload=payload)

    @classmethod
    def concat(cls, parts: Sequence[Columns]) -> Columns:
        """Rows of ``parts`` one after another (``int64`` only if all are)."""
        parts = [p for p in parts if len(p)] or list(parts[:1])
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        bounds = [
            np.concatenate([p.bounds()[k] for p in parts]) for k in range(len(BOUND_NAMES))
        ]
        return cls(*bounds, payload=concat_payloads([p.payload for p in parts]))

    def slice(self, start: int, stop: int) -> Columns:
        """Rows ``start:stop`` as numpy views (no copy; a columnar payload is sliced)."""
        payload = self.payload
        if not isinstance(payload, PayloadColumn):
            payload = _object_array(payload)
        return Columns(*(b[start:stop] for b in self.bounds()), payload=payload[start:stop])

    def replace(self, **changes: Any) -> Columns:
        """A copy with some fields replaced (``t1=...``, ``payload=...``)."""
        fields = dict(zip(BOUND_NAMES, self.bounds()))
        fields["payload"] = self.payload
        fields.update(changes)
        return Columns(**fields)


def _lazy_column(name: str) -> property:
    def get(self: _LazyRows) -> Any:
        cache = self.__dict__
        if name not in cache:
            cache[name] = self._rows(name)
        return cache[name]

    return property(get)


class _LazyRows(Columns):
    """Some rows of a base :class:`Columns`; each column is computed by
    ``_rows(name)`` on first access and cached."""

    def _rows(self, name: str) -> Any:
        raise NotImplementedError

    t1 = _lazy_column("t1")
    t2 = _lazy_column("t2")
    x1 = _lazy_column("x1")
    x2 = _lazy_column("x2")
    y1 = _lazy_column("y1")
    y2 = _lazy_column("y2")
    payload = _lazy_column("payload")


class _LazyTake(_LazyRows):
    """The rows ``index`` of ``base``; see :meth:`Columns.take_lazy`."""

    def __init__(self, base: Columns, index: npt.NDArray[np.intp]) -> None:  # noqa: D107
        object.__setattr__(self, "_base", base)
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self._index)

    def take(self, index: npt.NDArray[np.intp] | Sequence[int]) -> Columns:
        """Rows ``index`` of this view, gathered from ``base`` in one step."""
        return self._base.take(self._index[np.asarray(index, dtype=np.intp)])

    def _rows(self, name: str) -> Any:
        source = getattr(self._base, name)
        if name == "payload":
            return take_payload(source, self._index)
        return source[self._index]


class _LazySlice(_LazyRows):
    """The rows ``start:stop`` of ``base``, each column sliced on first access.

    Building one costs one small object whatever the number of columns (the
    many nested sets of ``group_by_time``). It pickles as the plain rows
    ``start:stop``, never the whole of ``base``. ``base.payload`` must be an
    object array or a :class:`PayloadColumn` (so a slice of it is cheap).
    """

    def __init__(self, base: Columns, start: int, stop: int) -> None:  # noqa: D107
        d = self.__dict__
        d["_base"], d["_start"], d["_stop"] = base, start, stop

    def __len__(self) -> int:
        return self._stop - self._start

    def __reduce__(self) -> tuple[Any, ...]:
        return (Columns, (*self.bounds(), self.payload))

    def _rows(self, name: str) -> Any:
        return getattr(self._base, name)[self._start : self._stop]


_PAIR_TYPES = frozenset({tuple, list})
_NUMBER_TYPES = frozenset({int, float})
_EXACT_FLOAT_INT = 2**53


def _pair_columns(axes: tuple[Sequence[Any], ...], checked: bool) -> list[npt.NDArray[Any]] | None:
    """``[lo, hi]`` arrays per axis; None if a row may be invalid (unless ``checked``).

    Unchecked, only exact ``tuple``/``list`` pairs of exact ``int``/``float``
    pass, with no NaN and ``lo <= hi``; anything else (an error, or a value
    ``check_bound`` would convert) returns None.
    """
    out: list[npt.NDArray[Any]] = []
    for pairs in axes:
        if not checked and (not set(map(type, pairs)) <= _PAIR_TYPES or set(map(len, pairs)) - {2}):
            return None
        lo = [b[0] for b in pairs]
        hi = [b[1] for b in pairs]
        if not checked and not (set(map(type, lo)) | set(map(type, hi))) <= _NUMBER_TYPES:
            return None
        lo_a, hi_a = np.asarray(lo), np.asarray(hi)
        if not checked:
            if lo_a.dtype.kind not in "if" or hi_a.dtype.kind not in "if":
                return None  # ints beyond int64
            if (lo_a.dtype.kind == "f" and np.isnan(lo_a).any()) or (
                hi_a.dtype.kind == "f" and np.isnan(hi_a).any()
            ):
                return None
            if lo_a.dtype != hi_a.dtype and len(lo_a) and max(
                float(np.abs(lo_a).max()), float(np.abs(hi_a).max())
            ) >= _EXACT_FLOAT_INT:
                return None  # int vs float comparisons would round
            if np.any(lo_a > hi_a):
                return None
        out += [lo_a, hi_a]
    return out


def _float_if_fractional(intervals: Sequence[Interval3D], get: attrgetter[Any]) -> npt.NDArray[np.float64] | None:
    """The flattened ``(start, end)`` pairs ``get`` reads, as ``float64``, if the
    first is a ``float`` and some value is not integral (the column is then
    ``float64`` in any case); else None."""
    if not intervals or type(get(intervals[0])[0]) is not float:
        return None
    flat = np.fromiter(chain.from_iterable(map(get, intervals)), dtype=np.float64, count=2 * len(intervals))
    return None if np.array_equal(flat, np.floor(flat)) else flat


def as_bound_column(values: Any) -> npt.NDArray[Any]:
    """``values`` as an ``int64`` column if all are integers, else ``float64``."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.dtype.kind in "iu":
        if arr.dtype != np.int64:
            arr = arr.astype(np.int64)
        return arr
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    if arr.dtype == np.float64:
        return arr
    return arr.astype(np.float64)


def _object_array(values: Sequence[Any]) -> npt.NDArray[np.object_]:
    """``values`` as a 1-D object array without numpy unpacking nested sequences."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    return np.fromiter(values, dtype=object, count=len(values))
