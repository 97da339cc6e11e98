"""Adapters lifting predicates onto Interval3Ds, and variadic logic.

Provides (Rekall's ``interval_set_3d_utils`` adapters):
    T(pred), X(pred), Y(pred): ``pred`` on 1D ranges, applied to the
        ``t``/``x``/``y`` bounds of Interval3Ds (as ``Interval(lo, hi,
        payload)`` objects with ``start``/``end``/``payload``).
    XY(pred): ``pred`` on bbox dicts ``{x1, x2, y1, y2, payload}`` built
        from Interval3Ds.
    P(pred): ``pred`` on the payloads of Interval3Ds.
    and_preds(*preds), or_preds(*preds), not_pred(pred): logic for any
        number of arguments.

Lifting a built-in gives a describable predicate with ``axis`` set
(``T(overlaps())`` is the temporal overlap, vectorised, with a candidate
band; ``X(overlaps())`` has axis ``x`` and no band). Lifting a logical
combination lifts its operands. Lifting a plain callable gives an adapter
that converts per call, exactly as Rekall's does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .base import Band, Predicate, PredicateSpec, _check_cols, _loop_mask
from .logical import And, Constant, Not, Or
from .payload import PayloadPredicate
from .spatial import BBoxPredicate
from .temporal import RangePredicate

if TYPE_CHECKING:
    from ..columns import Columns

__all__ = [
    "AxisRange",
    "AxisBBox",
    "CallableAdapter",
    "T",
    "X",
    "Y",
    "XY",
    "P",
    "and_preds",
    "or_preds",
    "not_pred",
]

def _range(bounds: tuple[Any, Any], payload: Any) -> Any:
    # Imported here: interval1d imports the temporal predicates, whose package imports this module.
    from ..interval1d import Interval

    return Interval(bounds[0], bounds[1], payload)


def _bbox(intrvl: Any) -> dict[str, Any]:
    return {
        "x1": intrvl.x[0],
        "x2": intrvl.x[1],
        "y1": intrvl.y[0],
        "y2": intrvl.y[1],
        "payload": intrvl.payload,
    }


class AxisRange(Predicate):
    """A 1D-range predicate applied to one axis (t, x or y) of Interval3Ds."""

    kind = "temporal"

    def __init__(self, pred: RangePredicate, axis: str) -> None:
        self.pred = pred
        self.axis = axis
        self.relation = pred.relation
        self.arity = pred.arity
        self.params = pred.params

    def _call(self, *intervals: Any) -> bool:
        axis = self.axis
        return self.pred(*[_range(getattr(i, axis), i.payload) for i in intervals])

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:  # noqa: D102
        _check_cols(self, cols)
        a, b = cols
        lo, hi = f"{self.axis}1", f"{self.axis}2"
        return self.pred.range_mask(
            getattr(a, lo), getattr(a, hi), getattr(b, lo), getattr(b, hi)
        )

    def temporal_band(self) -> Band | None:
        """The relation's band on the time axis; None on x or y."""
        return self.pred.range_band() if self.axis == "t" else None

    def temporal_open_band(self) -> Band | None:
        """The relation's exact open band on the time axis; None on x or y."""
        return self.pred.range_open_band() if self.axis == "t" else None


class AxisBBox(Predicate):
    """A bbox predicate applied to the xy-projection of Interval3Ds."""

    kind = "bbox"
    axis = "xy"

    def __init__(self, pred: BBoxPredicate) -> None:
        self.pred = pred
        self.relation = pred.relation
        self.arity = pred.arity
        self.params = pred.params

    def _call(self, *intervals: Any) -> bool:
        return self.pred(*[_bbox(i) for i in intervals])

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:  # noqa: D102
        _check_cols(self, cols)
        return self.pred.bbox_mask(*(_ColumnBox(c) for c in cols))


class _ColumnBox(Mapping):
    """The box of some columns as the mapping bbox formulas read
    (``x1, x2, y1, y2, payload``), each column read only when looked up:
    candidate pairs gather their columns lazily, and most formulas never
    read the payload."""

    __slots__ = ("_cols",)
    _KEYS = ("x1", "x2", "y1", "y2", "payload")

    def __init__(self, cols: Columns) -> None:  # noqa: D107
        self._cols = cols

    def __getitem__(self, key: str) -> Any:
        if key not in self._KEYS:
            raise KeyError(key)
        return getattr(self._cols, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)


class CallableAdapter(Predicate):
    """Any predicate lifted per call, as Rekall's adapters do."""

    kind = "callable"
    vectorised = False

    def __init__(self, fn: Any, axis: str) -> None:
        if not callable(fn):
            raise TypeError(f"predicate must be callable, got {fn!r}")
        self.fn = fn
        self.axis = axis
        self.relation = getattr(fn, "__qualname__", type(fn).__name__)
        self.params = (("fn", fn),)

    def _call(self, *intervals: Any) -> bool:
        if self.axis == "xy":
            args = [_bbox(i) for i in intervals]
        else:
            args = [_range(getattr(i, self.axis), i.payload) for i in intervals]
        return self.fn(*args)

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:  # noqa: D102
        _check_cols(self, cols)
        return _loop_mask(self, cols)

    def describe(self) -> PredicateSpec:  # noqa: D102
        return PredicateSpec("callable", self.relation, self.axis, self.params, ())


def _lift(pred: Any, axis: str) -> Predicate:
    if isinstance(pred, Constant):
        return pred
    if isinstance(pred, Not):
        return Not(_lift(pred.preds[0], axis), pred.arity)
    if isinstance(pred, (And, Or)):
        return type(pred)([_lift(p, axis) for p in pred.preds], pred.arity)
    if axis == "xy":
        if isinstance(pred, BBoxPredicate):
            return AxisBBox(pred)
    elif isinstance(pred, RangePredicate):
        return AxisRange(pred, axis)
    return CallableAdapter(pred, axis)


def T(pred: Any) -> Predicate:
    """Lift a predicate on 1D ranges to the time bounds of Interval3Ds."""
    return _lift(pred, "t")


def X(pred: Any) -> Predicate:
    """Lift a predicate on 1D ranges to the x bounds of Interval3Ds."""
    return _lift(pred, "x")


def Y(pred: Any) -> Predicate:
    """Lift a predicate on 1D ranges to the y bounds of Interval3Ds."""
    return _lift(pred, "y")


def XY(pred: Any) -> Predicate:
    """Lift a bbox predicate to the xy-projection of Interval3Ds."""
    return _lift(pred, "xy")


def P(pred: Any) -> PayloadPredicate:
    """Lift a predicate on values to the payloads of Interval3Ds."""
    return PayloadPredicate(pred, None)


def and_preds(*preds: Any) -> And:
    """True when every predicate is true; any number of arguments."""
    return And(preds, None)


def or_preds(*preds: Any) -> Or:
    """True when some predicate is true; any number of arguments."""
    return Or(preds, None)


def not_pred(pred: Any) -> Not:
    """Negation; any number of arguments."""
    return Not(pred, None)
