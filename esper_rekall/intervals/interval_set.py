"""A columnar set of spatiotemporal volumes.

Provides:
    IntervalSet3D: intervals kept as numpy columns ``t1, t2, x1, x2, y1, y2``
        plus a payload column, ordered by ``(t1, t2, x1, x2, y1, y2)`` with
        ties in insertion order. Every operation returns a new set.

Binary operations (``join``, ``merge``, ``filter_against``,
``collect_by_interval``) are exact: no pair satisfying the predicate is
missed. Candidate pairs come from a sorted sweep over the predicate's
temporal band (see ``predicates.base.candidate_band``) intersected with an
explicit ``time_window``; only when neither is known is the cross product
examined. An explicit ``time_window=w`` keeps, as in the reference, only the
pairs with ``other.t2 >= self.t1 - w`` and ``other.t1 - w <= self.t2``.
Predicates are evaluated on the candidates with ``evaluate_mask``
(vectorised for built-ins, one call per pair for plain callables).
"""

from __future__ import annotations

import copy
import math
from functools import reduce
from itertools import chain
from operator import attrgetter
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import numpy.typing as npt

from . import kernels
from .columns import AXIS_BOUNDS, Columns, PayloadColumn, _LazySlice, _object_array, as_bound_column
from .common import INFTY
from .errors import InvalidBoundError, check_axis, check_number
from .interval import _MUTATIONS as _STAMP  # read once per get_intervals(): no call
from .interval import (
    Interval3D,
    intervals_of,
    mutation_stamp,
    non_plain_bounds_seen,
    register_pending,
    sort_key_time_x_y,
)
from .merge_ops import payload_first
from .nested import CollectedPayloads, NestedSets
from .predicates.base import Predicate, candidate_band, evaluate_mask
from .predicates.logical import And

__all__ = ["IntervalSet3D", "NotFullFrameError"]


class NotFullFrameError(InvalidBoundError, NotImplementedError):
    """``minus`` got an interval in ``other`` that is not full-frame.

    A ``ValueError``; also a ``NotImplementedError``, which is what the
    reference raised.
    """


class RowObjects:
    """The Interval3D objects of every row of some columns, made on first use.

    Shared by the sets that are views of these columns (the domains of a
    collection), so iterating them all makes every object once, in one pass.
    Remade when any Interval3D was assigned to since (``mutation_stamp``):
    a user changing an object handed out must not change what the set
    holds, as the set's operations read its columns.
    """

    __slots__ = ("_cols", "_objs", "_stamp", "_given", "_given_stamp")

    def __init__(self, cols: Columns, given: list[Interval3D] | None = None, check_now: bool = False) -> None:
        """Objects of ``cols``. ``given``: the objects the columns were just
        made from, in row order; handed out (as the reference hands out its
        own) if none is assigned to before the first ``get`` and the columns
        hold their bounds with the same Python types. ``check_now``: compare
        the types here rather than at the first ``get`` (a collection does,
        while building, so that its first iteration costs only the loop)."""
        self._cols = cols
        self._objs: list[Interval3D] | None = None
        self._stamp = -1
        self._given = given
        self._given_stamp = mutation_stamp()
        if check_now and given is not None and _same_types(cols, given):
            self._objs, self._stamp, self._given = given, self._given_stamp, None

    def get(self, start: int, stop: int) -> list[Interval3D]:
        """A new list of the objects of rows ``start:stop``."""
        if self._stamp != mutation_stamp():  # not made yet, or some Interval3D assigned to since
            given, self._given = self._given, None
            if given is not None and self._given_stamp == mutation_stamp() and _same_types(self._cols, given):
                self._objs = given
            else:
                self._objs = intervals_of(self._cols)
            self._stamp = mutation_stamp()
        return self._objs[start:stop]  # type: ignore[index]


def _same_types(cols: Columns, objs: list[Interval3D]) -> bool:
    """Whether objects made from ``cols`` would have the bounds of ``objs``,
    Python types included.

    An ``int64`` column holds ints exactly. A ``float64`` one matches only if
    every value of that axis was a float. Until some Interval3D has had a
    bound neither int nor float (``non_plain_bounds_seen``), only the
    integral values can have been ints, so only those are looked up in the
    objects (few, for frame coordinates); after, every value is.
    """
    for lo, hi, get in ((cols.t1, cols.t2, _GET_T), (cols.x1, cols.x2, _GET_X), (cols.y1, cols.y2, _GET_Y)):
        if lo.dtype.kind != "f":
            continue
        if non_plain_bounds_seen():
            if not _FLOAT_ONLY.issuperset(map(type, chain.from_iterable(map(get, objs)))):
                return False
            continue
        for k, col in enumerate((lo, hi)):
            for i in np.flatnonzero(col == np.floor(col)).tolist():
                if type(get(objs[i])[k]) is not float:
                    return False
    return True


_GET_T, _GET_X, _GET_Y = attrgetter("t"), attrgetter("x"), attrgetter("y")
_FLOAT_ONLY = frozenset({float})
_ONLY_INTERVAL3D = frozenset({Interval3D})


def _row_factory(cols: Columns) -> Callable[[int], Interval3D]:
    """A function ``i -> Interval3D`` (a fresh object per call) for ``cols``."""
    t1, t2, x1, x2, y1, y2 = (b.tolist() for b in cols.bounds())
    payload = cols.payload
    make = Interval3D._trusted

    def row(i: int) -> Interval3D:
        return make((t1[i], t2[i]), (x1[i], x2[i]), (y1[i], y2[i]), payload[i])

    return row


def sort_columns(cols: Columns, dom: npt.NDArray[Any] | None = None) -> tuple[Columns, Any]:
    """``cols`` (and ``dom``) ordered by ``(dom, t1, t2, x1, x2, y1, y2)``, stable."""
    keys = cols.bounds() if dom is None else (dom, *cols.bounds())
    order = kernels.sort_order(*keys)
    if len(order) and np.any(order[1:] < order[:-1]):
        cols = cols.take(order)
        dom = None if dom is None else dom[order]
    return cols, dom


def is_payload_first(op: Any) -> bool:
    """Whether ``op`` is the ``payload_first`` merge op (enables vectorised paths)."""
    return op is payload_first


def window_pairs(
    left: Columns,
    right: Columns,
    predicate: Any,
    time_window: Any = None,
    l_dom: npt.NDArray[Any] | None = None,
    r_dom: npt.NDArray[Any] | None = None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Every (left, right) row pair satisfying ``predicate`` (within the window).

    Pairs are ordered by left row, then right row. With domain codes, only
    pairs of the same domain are considered.

    A predicate with an exact open band (``T(overlaps())``) is not evaluated
    on pairs of positive-length intervals: the open band is the predicate
    there. Pairs with a zero-length interval go through the closed band and
    the predicate. An AND with such an operand finds that operand's pairs
    the same way and evaluates only its other operands on them.

    Cost: candidate search O((n + m) log(n + m) + c) (see
    ``kernels.candidate_pairs``), plus the predicate on the c candidates.
    """
    band = candidate_band(predicate)
    before_gap, after_gap = (math.inf, math.inf) if band is None else band
    w = None
    if time_window is not None:
        w = check_number(time_window, "time_window")
        before_gap, after_gap = min(before_gap, w), min(after_gap, w)
    if (w is not None and w < 0) or not isinstance(predicate, Predicate):
        return _band_pairs(left, right, predicate, before_gap, after_gap, w, l_dom, r_dom)
    # With w >= 0 the window keeps every overlapping positive-length pair.
    if predicate.temporal_open_band() == (0, 0):
        return _open_band_pairs(left, right, predicate, before_gap, after_gap, w, l_dom, r_dom)
    split = predicate.split_open_band((0, 0)) if isinstance(predicate, And) else None
    if split is None:
        return _band_pairs(left, right, predicate, before_gap, after_gap, w, l_dom, r_dom)
    # An AND with T(overlaps()): its pairs by the open band, the rest on them only.
    band_pred, rest = split
    li, ri = _open_band_pairs(left, right, band_pred, before_gap, after_gap, w, l_dom, r_dom)
    if len(li):
        mask = np.asarray(evaluate_mask(rest, left.take_lazy(li), right.take_lazy(ri)), dtype=bool)
        li, ri = kernels.select(mask, li, ri)
    return li, ri


def _band_pairs(
    left: Columns,
    right: Columns,
    predicate: Any,
    before_gap: float,
    after_gap: float,
    w: Any,
    l_dom: npt.NDArray[Any] | None,
    r_dom: npt.NDArray[Any] | None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Candidates of the closed band, then the window and the predicate."""
    li, ri = kernels.candidate_pairs(
        left.t1, left.t2, right.t1, right.t2, before_gap, after_gap, l_dom, r_dom
    )
    # The gaps are at most w, so the band holds the window exactly unless
    # candidate_pairs widened it for float rounding.
    widened = kernels.is_float(left.t1, left.t2, right.t1, right.t2, before_gap, after_gap)
    if w is not None and len(li) and widened:
        keep = (right.t2[ri] >= left.t1[li] - w) & (right.t1[ri] - w <= left.t2[li])
        li, ri = kernels.select(keep, li, ri)
    if len(li):
        mask = np.asarray(evaluate_mask(predicate, left.take_lazy(li), right.take_lazy(ri)), dtype=bool)
        li, ri = kernels.select(mask, li, ri)
    return li, ri


def _open_band_pairs(
    left: Columns,
    right: Columns,
    predicate: Any,
    before_gap: float,
    after_gap: float,
    w: Any,
    l_dom: npt.NDArray[Any] | None,
    r_dom: npt.NDArray[Any] | None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """``window_pairs`` for a predicate whose open band ``(0, 0)`` is exact."""
    l_pos, r_pos = left.t1 < left.t2, right.t1 < right.t2
    l_all, r_all = bool(l_pos.all()), bool(r_pos.all())
    if l_all and r_all:
        return kernels.candidate_pairs(
            left.t1, left.t2, right.t1, right.t2, 0, 0, l_dom, r_dom, strict=True
        )
    # Positive-length pairs by the open band; pairs with a zero-length side
    # (left zero x all right, left positive x right zero) by the closed one.
    # A side whose rows are all positive-length is used as it is (no copy).
    lp, rp = (None if l_all else np.flatnonzero(l_pos)), (None if r_all else np.flatnonzero(r_pos))
    lz, rz = np.flatnonzero(~l_pos), np.flatnonzero(~r_pos)
    parts_l, parts_r = [], []
    for lrows, rrows, strict in ((lp, rp, True), (lz, None, False), (lp, rz, False)):
        if (lrows is not None and len(lrows) == 0) or (rrows is not None and len(rrows) == 0):
            continue
        sub_l, sl_dom = _rows_of(left, l_dom, lrows)
        sub_r, sr_dom = _rows_of(right, r_dom, rrows)
        if strict:
            li, ri = kernels.candidate_pairs(
                sub_l.t1, sub_l.t2, sub_r.t1, sub_r.t2, 0, 0, sl_dom, sr_dom, strict=True
            )
        else:
            li, ri = _band_pairs(sub_l, sub_r, predicate, before_gap, after_gap, w, sl_dom, sr_dom)
        parts_l.append(li if lrows is None else lrows[li])
        parts_r.append(ri if rrows is None else rrows[ri])
    if not parts_l:
        e = np.empty(0, dtype=np.intp)
        return e, e
    li, ri = np.concatenate(parts_l), np.concatenate(parts_r)
    o = np.lexsort((ri, li))
    return li[o], ri[o]


def _rows_of(
    cols: Columns, dom: npt.NDArray[Any] | None, rows: npt.NDArray[np.intp] | None
) -> tuple[Columns, npt.NDArray[Any] | None]:
    """``cols`` and ``dom`` restricted to ``rows`` (lazily), or as they are for ``None`` (every row)."""
    if rows is None:
        return cols, dom
    return cols.take_lazy(rows), None if dom is None else dom[rows]


def max_size_or_none(max_size: Any) -> Any:
    """``None`` for the "no limit" spellings (``INFTY``, ``None``, ``inf``)."""
    if max_size is None or (isinstance(max_size, str) and max_size == INFTY):
        return None
    max_size = check_number(max_size, "max_size")
    return None if max_size == math.inf else max_size


def check_full_frame(cols: Columns) -> None:
    """Raise :class:`NotFullFrameError` unless every row has x=(0,1), y=(0,1)."""
    bad = (cols.x1 != 0) | (cols.x2 != 1) | (cols.y1 != 0) | (cols.y2 != 1)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise NotFullFrameError(
            "minus subtracts only full-frame intervals (x=(0, 1), y=(0, 1)), "
            f"got {cols.interval(i)!r}"
        )


def coalesce_columns(
    cols: Columns, payload_merge_op: Any, epsilon: Any, dom: npt.NDArray[Any] | None = None
) -> tuple[Columns, Any]:
    """Temporal coalesce of sorted ``cols`` (per domain if ``dom``)."""
    epsilon = check_number(epsilon, "epsilon")
    if epsilon < 0:
        raise InvalidBoundError(f"epsilon must be >= 0, got epsilon={epsilon!r}")
    if len(cols) == 0:
        return cols, dom
    starts = kernels.coalesce_starts(cols.t1, cols.t2, epsilon, dom)
    payload = _object_array(cols.payload)
    if payload_merge_op is None or is_payload_first(payload_merge_op):
        new_payload = payload[starts]
    else:
        ends = np.append(starts[1:], len(cols)).tolist()
        new_payload = np.empty(len(starts), dtype=object)
        for g, (s, e) in enumerate(zip(starts.tolist(), ends)):
            new_payload[g] = reduce(payload_merge_op, payload[s + 1 : e], payload[s]) if e - s > 1 else payload[s]
    out = Columns(
        cols.t1[starts],
        np.maximum.reduceat(cols.t2, starts),
        np.minimum.reduceat(cols.x1, starts),
        np.maximum.reduceat(cols.x2, starts),
        np.minimum.reduceat(cols.y1, starts),
        np.maximum.reduceat(cols.y2, starts),
        payload=new_payload,
    )
    return sort_columns(out, None if dom is None else dom[starts])


def merge_columns(
    left: Columns,
    right: Columns,
    li: npt.NDArray[np.intp],
    ri: npt.NDArray[np.intp],
    payload_merge_op: Any,
    l_dom: npt.NDArray[Any] | None = None,
) -> tuple[Columns, Any]:
    """Bounding volumes of the pairs ``(li[k], ri[k])`` with merged payloads,
    sorted by ``(dom, t1, t2, x1, x2, y1, y2)``, ties in pair order.

    The pairs must come ordered by (left row, right row), as
    ``window_pairs`` gives them, so a stable sort keeps the reference's
    tie order. Payloads are gathered (or merged) once, in output order.

    Returns:
        ``(columns, domain codes of the rows or None)``.

    Cost: O(k) gathers plus ``kernels.sort_order`` on the k merged rows.
    """
    bounds = [
        np.minimum(left.t1[li], right.t1[ri]),
        np.maximum(left.t2[li], right.t2[ri]),
        np.minimum(left.x1[li], right.x1[ri]),
        np.maximum(left.x2[li], right.x2[ri]),
        np.minimum(left.y1[li], right.y1[ri]),
        np.maximum(left.y2[li], right.y2[ri]),
    ]
    dom = None if l_dom is None else l_dom[li]
    order = kernels.sort_order(*bounds) if dom is None else kernels.sort_order(dom, *bounds)
    if len(order) and np.any(order[1:] < order[:-1]):
        bounds = [b[order] for b in bounds]
        li, ri = li[order], ri[order]
        dom = None if dom is None else dom[order]
    lp = _object_array(left.payload)
    if payload_merge_op is None or is_payload_first(payload_merge_op):
        payload = lp[li]
    else:
        rp = _object_array(right.payload)
        payload = _object_array([payload_merge_op(lp[i], rp[j]) for i, j in zip(li.tolist(), ri.tolist())])
    return Columns(*bounds, payload=payload), dom


def minus_columns(
    cols: Columns,
    other: Columns,
    dom: npt.NDArray[Any] | None = None,
    o_dom: npt.NDArray[Any] | None = None,
) -> tuple[Columns, Any]:
    """Temporal set difference ``cols - other`` (see ``kernels.minus_pieces``)."""
    check_full_frame(other)
    rows, p1, p2, cut = kernels.minus_pieces(cols.t1, cols.t2, other.t1, other.t2, dom, o_dom)
    # Order the pieces first, then gather the other columns once, in output
    # order (the spatial keys the order gathered are kept when it is the
    # pieces' own).
    d = None if dom is None else dom[rows]
    kept = cols.take_lazy(rows)
    order = _pieces_order(cols, rows, kept, d, p1, p2, None if dom is None else dom[cut])
    if order is not None:
        rows, p1, p2 = rows[order], p1[order], p2[order]
        d = None if d is None else d[order]
        kept = cols.take_lazy(rows)
    return Columns(p1, p2, kept.x1, kept.x2, kept.y1, kept.y2, payload=kept.payload), d


def _pieces_order(
    cols: Columns,
    rows: npt.NDArray[np.intp],
    kept: Columns,
    d: npt.NDArray[Any] | None,
    p1: npt.NDArray[Any],
    p2: npt.NDArray[Any],
    cut_domains: npt.NDArray[Any] | None,
) -> npt.NDArray[np.intp] | None:
    """Stable order of ``minus``'s pieces by ``(d, p1, p2, x1, x2, y1, y2)``; None if they are in order.

    The rows of ``cols`` are sorted, so only pieces of cut rows can be out
    of place, and with domains only inside the domains of the cut rows
    (``cut_domains``): when those hold under half the pieces (many small
    domains), only their pieces are sorted. Spatial keys are gathered only
    if time leaves ties.
    """
    names = ("x1", "x2", "y1", "y2")
    sel = None
    if d is not None and cut_domains is not None and len(d):
        dirty = np.zeros(max(int(d[-1]), int(cut_domains.max(initial=0))) + 1, dtype=bool)
        dirty[cut_domains] = True
        sel = np.flatnonzero(dirty[d])
        if 2 * len(sel) > len(d):
            sel = None
    if sel is None:
        spatial = [lambda name=name: getattr(kept, name) for name in names]
        keys = (p1, p2, *spatial) if d is None else (d, p1, p2, *spatial)
        order = kernels.sort_order(*keys)
    else:
        sub_rows = rows[sel]
        spatial = [lambda name=name: getattr(cols, name)[sub_rows] for name in names]
        sub = kernels.sort_order(d[sel], p1[sel], p2[sel], *spatial)
        order = np.arange(len(d), dtype=np.intp)
        order[sel] = sel[sub]
    return order if len(order) and np.any(order[1:] < order[:-1]) else None


def dilate_columns(
    cols: Columns, window: Any, axis: str, dom: npt.NDArray[Any] | None = None
) -> tuple[Columns, Any]:
    """Dilate along ``axis``; eroded-away (inverted) rows are dropped."""
    check_axis(axis)
    window = check_number(window, "window")
    lo_name, hi_name = AXIS_BOUNDS[axis]
    lo, hi, keep = kernels.dilate(getattr(cols, lo_name), getattr(cols, hi_name), window)
    out = cols.replace(**{lo_name: as_bound_column(lo), hi_name: as_bound_column(hi)})
    if not np.all(keep):
        idx = np.flatnonzero(keep)
        out = out.take(idx)
        dom = None if dom is None else dom[idx]
    return sort_columns(out, dom)


def size_filter_index(cols: Columns, min_size: Any, max_size: Any, axis: str) -> npt.NDArray[np.intp]:
    """Rows whose extent along ``axis`` is within ``[min_size, max_size]``."""
    check_axis(axis)
    min_size = check_number(min_size, "min_size")
    lo_name, hi_name = AXIS_BOUNDS[axis]
    mask = kernels.size_mask(
        getattr(cols, lo_name), getattr(cols, hi_name), min_size, max_size_or_none(max_size)
    )
    return np.flatnonzero(mask)


def group_by_time_columns(
    cols: Columns, dom: npt.NDArray[Any] | None = None
) -> tuple[Columns, Any]:
    """One full-frame row per distinct ``(dom, t1, t2)``; payload = the group's set.

    ``cols`` is sorted, so each group is a run of rows, already in its own
    set's order: the payload column is a ``NestedSets`` over ``cols`` (no
    copy, no sort, no per-group object). Cost: O(n), all in numpy.
    """
    keys = (cols.t1, cols.t2) if dom is None else (dom, cols.t1, cols.t2)
    starts = kernels.run_starts(*keys)
    n = len(starts)
    groups = NestedSets(cols, starts, np.append(starts[1:], len(cols))[:n], IntervalSet3D)
    zeros, ones = np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)
    out = Columns(cols.t1[starts], cols.t2[starts], zeros, ones, zeros, ones, payload=groups)
    return out, None if dom is None else dom[starts]


#: Sets of at most this many rows pickle as plain lists (see ``IntervalSet3D.__reduce__``).
_COMPACT_PICKLE_MAX = 64
_INT64 = np.dtype(np.int64)
_FLOAT64 = np.dtype(np.float64)
_ALL_FLOAT = (1 << 6) - 1
_EMPTY = Columns.empty()


def _unpickle_set(cols: Columns) -> IntervalSet3D:
    """Unpickles a large ``IntervalSet3D`` (its sorted columns)."""
    return IntervalSet3D._from_columns(cols, presorted=True)


def _unpickle_small_set(
    float_mask: int, flat: list[Any], payload: list[Any], payload_is_list: bool = False
) -> IntervalSet3D:
    """Unpickles a small ``IntervalSet3D``: the six bound columns one after
    another in ``flat`` (column ``k`` is ``float64`` if bit ``k`` of
    ``float_mask`` is set, else ``int64``) and the payloads."""
    n = len(payload)
    if float_mask == 0 or float_mask == _ALL_FLOAT:
        bounds = list(np.array(flat, dtype=np.float64 if float_mask else np.int64).reshape(6, n))
    else:
        bounds = [
            np.array(flat[k * n : (k + 1) * n], dtype=np.float64 if float_mask >> k & 1 else np.int64)
            for k in range(6)
        ]
    return IntervalSet3D._from_columns(
        Columns(*bounds, payload=payload if payload_is_list else _object_array(payload)), presorted=True
    )


class IntervalSet3D:
    """An ordered set of :class:`Interval3D`, stored as numpy columns.

    The set is ordered by ``(t1, t2, x1, x2, y1, y2)``; ties keep insertion
    order. It is immutable: every operation returns a new set and never
    modifies its inputs (the caller's list included).

    Example:
        >>> s = IntervalSet3D([Interval3D((5, 6)), Interval3D((0, 1), payload="a")])
        >>> [i.t for i in s.get_intervals()]
        [(0, 1), (5, 6)]
    """

    __slots__ = ("_c", "_src", "_rows", "_lo", "_hi", "__weakref__")

    def __init__(self, intrvls: Iterable[Interval3D] = ()) -> None:
        """Build a set from Interval3Ds (the iterable is not modified).

        The objects are read when the set first needs its columns, or
        before any Interval3D is next assigned to, whichever comes first:
        the set holds them as they were at construction. A collection built
        from many such sets reads them all in one pass.

        Raises:
            TypeError: if an element is not an :class:`Interval3D`.
        """
        intrvls = list(intrvls)
        if not _ONLY_INTERVAL3D.issuperset(map(type, intrvls)):
            for i in intrvls:
                if not isinstance(i, Interval3D):
                    raise TypeError(f"IntervalSet3D takes Interval3D objects, got {i!r}")
        self._rows = None
        if intrvls:
            self._c = None
            self._src = intrvls
            register_pending(self)
        else:
            self._c = _EMPTY
            self._src = None

    @property
    def _cols(self) -> Columns:
        """The sorted columns, made on first use: from the construction
        objects, or as a slice of the columns of the rows shared with a
        collection (see :meth:`_share`)."""
        cols = self._c
        if cols is None:
            if self._src is not None:
                self._materialize()
            else:
                self._c = _LazySlice(self._rows._cols, self._lo, self._hi)  # type: ignore[union-attr]
            cols = self._c
        return cols

    @_cols.setter
    def _cols(self, cols: Columns) -> None:
        self._c = cols
        self._src = None
        self._rows = None

    def _materialize(self) -> None:
        """Columns from the objects the set was built from (validated by
        Interval3D: no checks), sorted; the objects are handed out by
        ``get_intervals`` while no Interval3D is assigned to."""
        objs = self._src
        if objs is None:
            return
        cols = Columns.from_intervals(objs)
        order = kernels.sort_order(*cols.bounds())
        if np.any(order[1:] < order[:-1]):
            cols = cols.take(order)
            objs = _object_array(objs)[order].tolist()
        self._adopt(cols, RowObjects(cols, objs), 0, len(cols))

    def _adopt(self, cols: Columns, rows: RowObjects, start: int, stop: int) -> None:
        """Take ``cols`` as the set's columns, its objects being rows ``start:stop`` of ``rows``."""
        self._cols = cols
        self._rows, self._lo, self._hi = rows, start, stop

    def _share(self, rows: RowObjects, start: int, stop: int) -> None:
        """Become rows ``start:stop`` of ``rows`` (a collection's objects and
        sorted columns), dropping the construction objects.

        The columns are sliced on first use: a collection of tens of
        thousands of sets that are only iterated never slices them.
        """
        self._c = self._src = None
        self._rows, self._lo, self._hi = rows, start, stop

    def pending_objects(self) -> list[Interval3D] | None:
        """The objects of a set whose columns are not made yet (unchanged since
        construction, in construction order), else None.

        For building many sets' columns in one pass (``DomainIntervalCollection``),
        which then gives each set its rows with :meth:`_share`.
        """
        return self._src

    @classmethod
    def _from_columns(cls, cols: Columns, presorted: bool = False) -> IntervalSet3D:
        """A set over ``cols`` (sorted here unless ``presorted``)."""
        obj = cls.__new__(cls)
        obj._cols = cols if presorted else sort_columns(cols)[0]
        return obj

    @classmethod
    def _view(
        cls, cols: Columns, start: int, stop: int, rows: RowObjects | None = None
    ) -> IntervalSet3D:
        """The rows ``start:stop`` of sorted ``cols``, sliced lazily (no checks).

        With ``rows`` (the :class:`RowObjects` of ``cols``), ``get_intervals``
        takes its objects from there, and the slice is made on first use.
        """
        obj = cls.__new__(cls)
        if rows is None:
            obj._cols = _LazySlice(cols, start, stop)
        else:
            obj._share(rows, start, stop)
        return obj

    @property
    def columns(self) -> Columns:
        """The sorted columns (read-only by convention)."""
        return self._cols

    def __reduce__(self) -> tuple[Any, ...]:
        # Small sets (the nested sets of group_by_time: tens of thousands of
        # one- or two-row sets in a result) pickle as plain lists: seven
        # numpy arrays each would cost ~10x the time and bytes. Large sets
        # keep their arrays. Both round-trip exactly: dtypes, order, payloads.
        cols = self._cols
        bounds = cols.bounds()
        if len(cols) <= _COMPACT_PICKLE_MAX and not isinstance(cols.payload, PayloadColumn):
            float_mask = 0
            flat: list[Any] = []
            for k, b in enumerate(bounds):
                dtype = b.dtype
                if dtype == _FLOAT64:
                    float_mask |= 1 << k
                elif dtype != _INT64:
                    break
                flat += b.tolist()
            else:
                payload = cols.payload
                if type(payload) is list:
                    return (_unpickle_small_set, (float_mask, flat, list(payload), True))
                return (_unpickle_small_set, (float_mask, flat, list(payload)))
        return (_unpickle_set, (Columns(*bounds, payload=cols.payload),))

    def __setstate__(self, state: Columns) -> None:
        # Pickles made before __reduce__ existed carry the Columns as state.
        self._cols = state

    def __repr__(self) -> str:
        return str(self.get_intervals())

    def __len__(self) -> int:
        # Without making columns: sets are counted by the ten thousand.
        if self._c is not None:
            return len(self._c)
        if self._src is not None:
            return len(self._src)
        return self._hi - self._lo

    def __iter__(self) -> Iterator[Interval3D]:
        return iter(self.get_intervals())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IntervalSet3D):
            return NotImplemented
        return len(self) == len(other) and self.get_intervals() == other.get_intervals()

    __hash__ = None  # type: ignore[assignment]

    def get_intervals(self) -> list[Interval3D]:
        """Interval3Ds ordered by ``(t1, t2, x1, x2, y1, y2)``, in a new list.

        Bounds are plain Python numbers; payloads are the stored objects.
        The objects are made on the first call and handed out again by
        later ones, as the reference hands out its own; once any Interval3D
        has been assigned to, the next call makes fresh ones (the set is
        immutable: assigning to an object never changes it).
        Cost: O(n) on the first call, a list copy after.
        """
        rows = self._rows
        if rows is None:
            cols = self._cols  # making them gives ``_rows`` the construction objects
            rows = self._rows
            if rows is None:
                rows = self._rows = RowObjects(cols)
                self._lo, self._hi = 0, len(cols)
        elif rows._stamp == _STAMP[0]:  # ``RowObjects.get``'s first test, inline (no call)
            return rows._objs[self._lo : self._hi]  # type: ignore[index]
        return rows.get(self._lo, self._hi)

    def size(self) -> int:
        """Number of intervals."""
        return len(self)

    def empty(self) -> bool:
        """Whether the set has no intervals."""
        return len(self) == 0

    def map(self, map_fn: Callable[[Interval3D], Interval3D]) -> IntervalSet3D:
        """Apply ``map_fn`` (Interval3D -> Interval3D) to every interval."""
        return IntervalSet3D([map_fn(i) for i in self.get_intervals()])

    def split(self, split_fn: Callable[[Interval3D], IntervalSet3D]) -> IntervalSet3D:
        """Replace each interval by the set ``split_fn`` returns for it.

        Raises:
            TypeError: if ``split_fn`` does not return an IntervalSet3D.
        """
        parts = []
        for i in self.get_intervals():
            out = split_fn(i)
            if not isinstance(out, IntervalSet3D):
                raise TypeError(f"split_fn must return an IntervalSet3D, got {out!r}")
            parts.append(out._cols)
        return IntervalSet3D._from_columns(Columns.concat(parts))

    def union(self, other: IntervalSet3D) -> IntervalSet3D:
        """All intervals of both sets; ties put ``self``'s first. Cost: O(n log n)."""
        return IntervalSet3D._from_columns(Columns.concat([self._cols, other._cols]))

    def fold(self, reducer: Callable[[Any, Interval3D], Any], init: Any = None, sort_key: Any = None) -> Any:
        """Fold ``reducer(state, interval)`` over the intervals.

        Args:
            reducer: function of (state, interval) returning the new state.
            init: initial state (deep-copied so the argument is not mutated);
                None folds from the first interval.
            sort_key: order to fold in; defaults to ``(t1, t2, x1, x2, y1, y2)``.

        Raises:
            TypeError: empty set with no ``init`` (as ``functools.reduce``).
        """
        lst = self.get_intervals()
        if sort_key is not None and sort_key is not sort_key_time_x_y:
            lst = sorted(lst, key=sort_key)
        if init is None:
            return reduce(reducer, lst)
        return reduce(reducer, lst, copy.deepcopy(init))

    def fold_to_set(
        self,
        reducer: Callable[[Any, Interval3D], Any],
        init: Any = None,
        acc_to_set: Callable[[Any], IntervalSet3D] | None = None,
        sort_key: Any = None,
    ) -> IntervalSet3D:
        """``fold``, then ``acc_to_set`` on the final state (default: a list of intervals)."""
        acc = self.fold(reducer, init, sort_key)
        return IntervalSet3D(acc) if acc_to_set is None else acc_to_set(acc)

    def join(
        self,
        other: IntervalSet3D,
        predicate: Any,
        merge_op: Callable[[Interval3D, Interval3D], Sequence[Interval3D]],
        time_window: Any = None,
    ) -> IntervalSet3D:
        """Combine every pair (self, other) satisfying ``predicate`` with ``merge_op``.

        Args:
            other: the set to join with.
            predicate: binary predicate on (interval in self, interval in other).
            merge_op: function of the pair returning a list of Interval3Ds.
            time_window: if given, only pairs with ``other.t2 >= self.t1 - w``
                and ``other.t1 - w <= self.t2`` are considered.

        Returns:
            The produced intervals, sorted; ties by left, then right position.
        """
        li, ri = window_pairs(self._cols, other._cols, predicate, time_window)
        left, right = _row_factory(self._cols), _row_factory(other._cols)
        out: list[Interval3D] = []
        for i, j in zip(li.tolist(), ri.tolist()):
            out.extend(merge_op(left(i), right(j)))
        return IntervalSet3D(out)

    def filter(self, predicate: Any) -> IntervalSet3D:
        """Intervals satisfying the unary ``predicate``."""
        if len(self) == 0:
            return self
        mask = np.asarray(evaluate_mask(predicate, self._cols), dtype=bool)
        return IntervalSet3D._from_columns(self._cols.take(np.flatnonzero(mask)), presorted=True)

    def group_by(self, key: Callable[[Interval3D], Any], merge: Callable[[Any, IntervalSet3D], Interval3D]) -> IntervalSet3D:
        """Group by ``key(interval)``; ``merge(key, group_set)`` makes one interval per group."""
        groups: dict[Any, list[Interval3D]] = {}
        for i in self.get_intervals():
            groups.setdefault(key(i), []).append(i)
        return IntervalSet3D([merge(k, IntervalSet3D(v)) for k, v in groups.items()])

    def minus(self, other: IntervalSet3D) -> IntervalSet3D:
        """Subtract the temporal ranges of ``other`` (full-frame) from each interval.

        Spatial bounds and payloads are kept; an interval may split in several.
        Only ranges of positive length subtract; ranges that merely touch an
        interval do not cut it; leftover pieces of zero length are dropped; a
        zero-length interval is dropped when it lies in (or on the boundary
        of) a positive-length range.

        Raises:
            ValueError: (``NotFullFrameError``) if ``other`` has an interval
                that is not full-frame.
        """
        return IntervalSet3D._from_columns(minus_columns(self._cols, other._cols)[0], presorted=True)

    def match(self, pattern: Sequence[tuple[Sequence[str], Sequence[Any]]], exact: bool = False) -> list[dict[str, Interval3D]]:
        """Assignments of distinct intervals to pattern variables; see :mod:`.match`."""
        from .match import match_pattern

        return match_pattern(self._cols, pattern, exact)

    def filter_against(self, other: IntervalSet3D, predicate: Any, time_window: Any = None) -> IntervalSet3D:
        """Intervals of self satisfying ``predicate`` with at least one of ``other``."""
        li, _ = window_pairs(self._cols, other._cols, predicate, time_window)
        keep = kernels.distinct_sorted(li)
        return IntervalSet3D._from_columns(self._cols.take(keep), presorted=True)

    def map_payload(self, fn: Callable[[Any], Any]) -> IntervalSet3D:
        """Same bounds, payloads replaced by ``fn(payload)``."""
        payload = _object_array([fn(p) for p in self._cols.payload])
        return IntervalSet3D._from_columns(self._cols.replace(payload=payload), presorted=True)

    def dilate(self, window: Any, axis: str = "T") -> IntervalSet3D:
        """Grow each interval by ``window`` at both ends along ``axis``.

        A negative window erodes; intervals it would invert are dropped
        (eroding to zero length keeps them).

        Raises:
            ValueError: unknown axis, NaN window.
        """
        return IntervalSet3D._from_columns(dilate_columns(self._cols, window, axis)[0], presorted=True)

    def filter_size(self, min_size: Any = 0, max_size: Any = INFTY, axis: str = "T") -> IntervalSet3D:
        """Intervals with ``min_size <= extent <= max_size`` along ``axis``.

        ``max_size`` may be ``INFTY`` (the default), ``None`` or ``inf``.
        """
        idx = size_filter_index(self._cols, min_size, max_size, axis)
        return IntervalSet3D._from_columns(self._cols.take(idx), presorted=True)

    def merge(self, other: IntervalSet3D, predicate: Any, payload_merge_op: Any = payload_first, time_window: Any = None) -> IntervalSet3D:
        """Bounding volume of each pair satisfying ``predicate`` (payload by the merge op)."""
        li, ri = window_pairs(self._cols, other._cols, predicate, time_window)
        return IntervalSet3D._from_columns(merge_columns(self._cols, other._cols, li, ri, payload_merge_op)[0], presorted=True)

    def group_by_time(self) -> IntervalSet3D:
        """One full-frame interval per distinct ``(t1, t2)``; payload = that group's set."""
        return IntervalSet3D._from_columns(group_by_time_columns(self._cols)[0], presorted=True)

    def collect_by_interval(
        self, other: IntervalSet3D, predicate: Any, filter_empty: bool = True, time_window: Any = None
    ) -> IntervalSet3D:
        """Nest under each interval the intervals of ``other`` satisfying ``predicate``.

        Payloads become ``(original payload, IntervalSet3D of matches)``.
        With ``filter_empty`` (default), intervals without matches are dropped.
        """
        li, ri = window_pairs(self._cols, other._cols, predicate, time_window)
        return IntervalSet3D._from_columns(collect_columns(self._cols, other._cols, li, ri, filter_empty), presorted=True)

    def temporal_coalesce(self, payload_merge_op: Any = payload_first, epsilon: Any = 0) -> IntervalSet3D:
        """Merge intervals that overlap, touch or are at most ``epsilon`` apart in time.

        Intervals are visited in order; each joins the running group when its
        ``t1`` minus the group's max ``t2`` is ``<= epsilon``. A group becomes
        its bounding volume in all dimensions; payloads are folded left to
        right with ``payload_merge_op`` (default ``payload_first``).

        Raises:
            ValueError: negative or NaN epsilon.
        """
        return IntervalSet3D._from_columns(coalesce_columns(self._cols, payload_merge_op, epsilon)[0], presorted=True)

    def to_json(self) -> list[dict[str, Any]]:
        """A JSON-ready list (see ``Interval3D.to_json``)."""
        return [i.to_json() for i in self.get_intervals()]


def collect_columns(left: Columns, right: Columns, li: Any, ri: Any, filter_empty: bool) -> Columns:
    """Left rows with payload ``(payload, IntervalSet3D of matched right rows)``.

    The pairs come ordered by (left row, right row), so the matches of each
    left row are a run of ``ri`` already in set order: the nested sets are
    a ``NestedSets`` over ``right.take(ri)`` (see ``CollectedPayloads``).
    Cost: O(n log k + k) in numpy, no per-row Python work.
    """
    n = len(left)
    lo = np.searchsorted(li, np.arange(n), side="left")
    hi = np.searchsorted(li, np.arange(n), side="right")
    rows = np.arange(n) if not filter_empty else np.flatnonzero(hi > lo)
    kept = left.take(rows)
    sets = NestedSets(right.take(ri), lo[rows], hi[rows], IntervalSet3D)
    return kept.replace(payload=CollectedPayloads(kept.payload, sets))
