"""Rekall's 1D API: ``Interval`` and ``IntervalList``, over IntervalSet3D.

Provides:
    Interval(start, end, payload): a temporal range with a payload.
    IntervalList(intrvls): a sorted list of Intervals with Rekall's 1D
        operations (map, join, fold, fold_list, coalesce, dilate, filter,
        filter_length, set_union, filter_against, minus, overlaps, merge).

An ``IntervalList`` keeps an ``IntervalSet3D`` of full-frame intervals with
``t = (start, end)``; most operations call the set's (so joins are exact
sweeps, and predicates written for 1D Intervals are lifted with ``T``).
User functions (``map``, ``filter``, ``fold``, merge ops, predicates) receive
``Interval`` objects, as in Rekall. Differences from Rekall, on purpose
(see DESIGN "Semantics"): joins are exact unless ``working_window`` is given
(then a pair is a candidate iff ``other.end >= self.start - w`` and
``other.start <= self.end + w``), and a negative ``dilate`` drops the
intervals it would invert.
"""

from __future__ import annotations

from functools import reduce
from typing import Any, Callable, Iterable

from .common import INFTY
from .interval1d import Interval, MergeOp
from .merge_ops import payload_first
from .predicates import T
from .predicates.logical import and_pred, true_pred
from .predicates.temporal import overlaps

__all__ = ["Interval", "IntervalList"]

def _interval_set_cls() -> Any:
    # Imported late: interval_set may import the predicates package, which
    # builds Intervals through this module.
    from .interval_set import IntervalSet3D

    return IntervalSet3D


def _interval3d_cls() -> Any:
    from .interval import Interval3D

    return Interval3D


def _is_true_pred(predicate: Any) -> bool:
    """Whether ``predicate`` is ``true_pred`` (so it can be skipped)."""
    return getattr(predicate, "kind", None) == "logical" and getattr(predicate, "relation", None) == "true"


def _to_3d(intrvl: Interval) -> Any:
    return _interval3d_cls()((intrvl.start, intrvl.end), payload=intrvl.payload)


def _to_1d(i3d: Any) -> Interval:
    return Interval(i3d.t[0], i3d.t[1], i3d.payload)


def _coerce(item: Any) -> Interval:
    if isinstance(item, Interval):
        return item
    try:
        start, end, payload = item
    except (TypeError, ValueError):
        raise TypeError(
            f"IntervalList items must be Intervals or (start, end, payload) tuples, got {item!r}"
        ) from None
    return Interval(start, end, payload)


class IntervalList:
    """A sorted list of 1D Intervals (Rekall's deprecated 1D API).

    Sorted by ``(start, end)``; ties keep input order.
    """

    def __init__(self, intrvls: Iterable[Any] | IntervalList = ()) -> None:
        if isinstance(intrvls, IntervalList):
            self._set = intrvls._set
        elif isinstance(intrvls, _interval_set_cls()):
            self._set = intrvls
        else:
            self._set = _interval_set_cls()([_to_3d(_coerce(i)) for i in intrvls])
        self._intervals: list[Interval] | None = None

    def interval_set(self) -> Any:
        """The underlying IntervalSet3D (full-frame, ``t = (start, end)``)."""
        return self._set

    def __repr__(self) -> str:
        return str(self.get_intervals())

    def __len__(self) -> int:
        return self.size()

    # ------------------------------------------------------------ getters
    def size(self) -> int:
        """Number of intervals."""
        return self._set.size()

    def get_intervals(self) -> list[Interval]:
        """The intervals, sorted by ``(start, end)`` (a new list each call)."""
        if self._intervals is None:
            self._intervals = [_to_1d(i) for i in self._set.get_intervals()]
        return [i.copy() for i in self._intervals]

    @property
    def intrvls(self) -> list[Interval]:
        """The intervals, sorted by ``(start, end)``: Rekall's attribute, which
        Esper-era code and the original tests read.

        Same as :meth:`get_intervals` (a new list of copies each read, O(n)),
        so mutating it cannot desynchronise the list from its set; in Rekall
        it was the list itself.
        """
        return self.get_intervals()

    @property
    def working_window(self) -> Any:
        """Rekall's default join window for this list, for code that reads it.

        The span ``max(end) - min(start)``, a hundredth of it past 1000
        intervals, 0 when empty (Rekall's formula). Informational only: joins
        here are exact unless ``working_window=`` is passed explicitly.
        """
        intervals = self.get_intervals()
        if not intervals:
            return 0
        span = max(i.end for i in intervals) - intervals[0].start
        return span / 100 if len(intervals) > 1000 else span

    def get_total_time(self) -> Any:
        """Sum of ``end - start``."""
        return sum((i.end - i.start for i in self.get_intervals()), 0)

    # ------------------------------------------------------- general ops
    def map(self, map_fn: Callable[[Interval], Interval]) -> IntervalList:
        """``IntervalList([map_fn(i) for i in self])``."""
        return IntervalList([map_fn(i) for i in self.get_intervals()])

    def join(
        self,
        other: IntervalList,
        merge_op: Callable[[Interval, Interval], list[Interval]],
        predicate: Callable[[Interval, Interval], bool],
        working_window: Any = None,
    ) -> IntervalList:
        """Intervals ``merge_op(a, b)`` (a list each) for pairs passing ``predicate``."""

        def merge3d(a: Any, b: Any) -> list[Any]:
            return [_to_3d(i) for i in merge_op(_to_1d(a), _to_1d(b))]

        return IntervalList(
            self._set.join(other._set, T(predicate), merge3d, time_window=working_window)
        )

    def fold(self, fold_fn: Callable[[Any, Interval], Any], init_acc: Any) -> Any:
        """``reduce(fold_fn, intervals, init_acc)``."""
        return reduce(fold_fn, self.get_intervals(), init_acc)

    def fold_list(self, fold_fn: Callable[[Any, Interval], Any], init_acc: Any) -> IntervalList:
        """``IntervalList(self.fold(fold_fn, init_acc))``."""
        return IntervalList(self.fold(fold_fn, init_acc))

    # ---------------------------------------------------------- unary ops
    def coalesce(
        self,
        payload_merge_op: MergeOp = payload_first,
        predicate: Callable[[Interval, Interval], bool] | None = None,
    ) -> IntervalList:
        """Merge overlapping or touching intervals that satisfy ``predicate``.

        ``predicate`` must be an equivalence relation. Intervals are taken in
        order; each joins the first open group (one whose end is at or after
        its start) whose representative satisfies ``predicate`` with it.
        The default (any two) is the set's ``temporal_coalesce``.
        O(n log n) by default; O(n * open groups) with a predicate.
        """
        if predicate is None or _is_true_pred(predicate):
            return IntervalList(self._set.temporal_coalesce(payload_merge_op, epsilon=0))
        done: list[Interval] = []
        open_groups: list[Interval] = []
        for intrvl in self.get_intervals():
            done.extend(g for g in open_groups if g.end < intrvl.start)
            open_groups = [g for g in open_groups if g.end >= intrvl.start]
            group = next((g for g in open_groups if predicate(g, intrvl)), None)
            if group is None:
                open_groups.append(intrvl)
                continue
            group.payload = payload_merge_op(group.payload, intrvl.payload)
            group.end = max(group.end, intrvl.end)
        return IntervalList(done + open_groups)

    def dilate(self, window: Any) -> IntervalList:
        """``[start - window, end + window]``; negative windows erode and drop
        intervals that would invert."""
        return IntervalList(self._set.dilate(window))

    def filter(self, fn: Callable[[Interval], bool]) -> IntervalList:
        """Intervals for which ``fn(interval)`` is true."""
        return IntervalList(self._set.filter(T(fn)))

    def filter_length(self, min_length: Any = 0, max_length: Any = INFTY) -> IntervalList:
        """Intervals with ``min_length <= end - start <= max_length``."""
        return IntervalList(self._set.filter_size(min_length, max_length, axis="T"))

    # --------------------------------------------------------- binary ops
    def set_union(self, other: IntervalList) -> IntervalList:
        """All intervals of both lists."""
        return IntervalList(self._set.union(other._set))

    def filter_against(
        self,
        other: IntervalList,
        predicate: Callable[[Interval, Interval], bool] | None = None,
        working_window: Any = None,
    ) -> IntervalList:
        """Intervals of self satisfying ``predicate`` with some interval of other."""
        pred = true_pred(arity=2) if predicate is None else predicate
        return IntervalList(
            self._set.filter_against(other._set, T(pred), time_window=working_window)
        )

    def minus(
        self,
        other: IntervalList,
        recursive_diff: bool = True,
        predicate: Callable[[Interval, Interval], bool] | None = None,
        payload_merge_op: MergeOp = payload_first,
        working_window: Any = None,
    ) -> IntervalList:
        """The parts of self's intervals not covered by other's.

        Only pairs that ``overlaps()`` and satisfy ``predicate`` subtract.
        With ``recursive_diff`` every interval of self loses all its
        overlapping intervals at once; each remaining piece gets payload
        ``payload_merge_op(self.payload, p)`` where ``p`` is the payload of
        the first overlapping interval (in order) that ends at the piece's
        start or starts at its end; an interval overlapping nothing is kept
        as is, a zero-length one overlapping something is dropped. Without
        it, the result is ``join`` with :meth:`Interval.minus` per pair.
        """
        pred = true_pred(arity=2) if predicate is None else predicate
        if not recursive_diff:
            return self.join(
                other,
                lambda a, b: a.minus(b, payload_merge_op),
                and_pred(overlaps(), pred, arity=2),
                working_window,
            )
        hits = _overlapping_groups(self, other, pred, working_window)
        output: list[Interval] = []
        for intrvl, covering in zip(self.get_intervals(), hits):
            if not covering:
                output.append(intrvl)
            elif intrvl.length() != 0:
                output.extend(_uncovered_pieces(intrvl, covering, payload_merge_op))
        return IntervalList(output)

    def overlaps(
        self,
        other: IntervalList,
        predicate: Callable[[Interval, Interval], bool] | None = None,
        payload_merge_op: MergeOp = payload_first,
        working_window: Any = None,
    ) -> IntervalList:
        """The overlap of each overlapping pair satisfying ``predicate``."""
        pred = true_pred(arity=2) if predicate is None else predicate
        return self.join(
            other,
            lambda a, b: [a.overlap(b, payload_merge_op)],
            and_pred(overlaps(), pred, arity=2),
            working_window,
        )

    def merge(
        self,
        other: IntervalList,
        predicate: Callable[[Interval, Interval], bool] | None = None,
        payload_merge_op: MergeOp = payload_first,
        working_window: Any = None,
    ) -> IntervalList:
        """The span of each pair satisfying ``predicate``."""
        pred = true_pred(arity=2) if predicate is None else predicate
        return self.join(
            other, lambda a, b: [a.merge(b, payload_merge_op)], pred, working_window
        )


def _overlapping_groups(
    left: IntervalList, right: IntervalList, predicate: Any, working_window: Any
) -> list[list[Interval]]:
    """For each interval of left (in order), the right ones passing predicate, in order.

    Both sides are re-tagged with their positions (payload ``(k, payload)``);
    the set's ordering keeps ties in input order, so positions survive.
    """
    interval3d = _interval3d_cls()
    set_cls = _interval_set_cls()

    def tagged(lst: IntervalList) -> Any:
        return set_cls([interval3d((i.start, i.end), payload=(k, i.payload))
                        for k, i in enumerate(lst.get_intervals())])

    def untag(i: Any) -> Interval:
        return Interval(i.t[0], i.t[1], i.payload[1])

    def user_pred(a: Any, b: Any) -> bool:
        return predicate(untag(a), untag(b))

    pred: Any = T(overlaps())
    if not _is_true_pred(predicate):
        pred = and_pred(pred, user_pred, arity=2)
    pairs = tagged(left).join(
        tagged(right),
        pred,
        lambda a, b: [interval3d(a.t, payload=(a.payload[0], b.payload[0], untag(b)))],
        time_window=working_window,
    )
    groups: list[list[tuple[int, Interval]]] = [[] for _ in range(left.size())]
    for produced in pairs.get_intervals():
        k, j, b = produced.payload
        groups[k].append((j, b))
    return [[b for _, b in sorted(g, key=lambda p: p[0])] for g in groups]


def _uncovered_pieces(
    intrvl: Interval, covering: list[Interval], payload_merge_op: MergeOp
) -> list[Interval]:
    """Maximal pieces of ``intrvl`` between cut points that no covering interval overlaps."""
    cuts = {intrvl.start, intrvl.end}
    for c in covering:
        if c.start > intrvl.start:
            cuts.add(c.start)
        if c.end < intrvl.end:
            cuts.add(c.end)
    points = sorted(cuts)
    ov = overlaps()
    pieces: list[Interval] = []
    last_end = -1
    for i, start in enumerate(points):
        if i <= last_end:
            continue
        # A piece cannot start inside a covering interval.
        if any(c.start < start < c.end for c in covering):
            continue
        for j in range(len(points) - 1, i, -1):
            candidate = Interval(start, points[j], None)
            if not any(ov(c, candidate) for c in covering):
                pieces.append(candidate)
                last_end = j
                break
    out = []
    for piece in pieces:
        touching = next(
            (c for c in covering if c.end == piece.start or c.start == piece.end), None
        )
        if touching is not None:
            out.append(Interval(piece.start, piece.end,
                                payload_merge_op(intrvl.payload, touching.payload)))
    return out
