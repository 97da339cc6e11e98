"""Unary and binary predicates on bounding boxes.

Provides the Rekall bbox predicates. As in Rekall they take dicts with keys
``x1, x2, y1, y2`` (``XY`` from :mod:`.axes` builds these from
``Interval3D``\\ s, adding ``payload``). Lifted with ``XY`` they are
vectorised over ``Columns``. Comparisons, exactly:

Unary (``b`` a bbox; ``area = (x2-x1)*(y2-y1)``, ``width = x2-x1``,
``height = y2-y1``):
    position(x1, y1, x2, y2, epsilon=0.1): ``|b.k - k| < epsilon`` for all k.
    has_value(value_name, value, epsilon=0.1): ``|b[value_name] - value| < epsilon``.
    area_exactly(area, epsilon=0.1): ``|area - a| < epsilon``;
    area_at_least(a): ``area >= a``; area_at_most(a): ``area <= a``;
    area_between(a1, a2): ``a1 <= area <= a2``. Likewise ``width_*`` and
    ``height_*``.
    and_pred_node(p1, p2), or_pred_node(p1, p2): unary and / or.

Binary (``1``, ``2`` the two bboxes):
    left_of(): ``1.x2 < 2.x1``; right_of(): ``1.x1 > 2.x2``;
    above(): ``1.y2 < 2.y1``; below(): ``1.y1 > 2.y2`` (strict: touching
    boxes are neither).
    same_area(epsilon=0.1): ``|area1 - area2| < epsilon``; more_area():
    ``area1 > area2``; less_area(): ``area1 < area2``; likewise width/height.
    same_value(value_name, epsilon=0.1): ``|1[v] - 2[v]| < epsilon``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import numpy.typing as npt

from .base import Predicate, _check_number

__all__ = [
    "BBOX_VALUES",
    "BBoxPredicate",
    "position",
    "has_value",
    "area_exactly",
    "area_at_least",
    "area_at_most",
    "area_between",
    "width_exactly",
    "width_at_least",
    "width_at_most",
    "width_between",
    "height_exactly",
    "height_at_least",
    "height_at_most",
    "height_between",
    "and_pred_node",
    "or_pred_node",
    "left_of",
    "right_of",
    "above",
    "below",
    "same_area",
    "more_area",
    "less_area",
    "same_width",
    "more_width",
    "less_width",
    "same_height",
    "more_height",
    "less_height",
    "same_value",
]

BBOX_VALUES = ("x1", "x2", "y1", "y2")


def _abs(v: Any) -> Any:
    return np.abs(v) if isinstance(v, np.ndarray) else abs(v)


def _area(b: Mapping[str, Any]) -> Any:
    return (b["x2"] - b["x1"]) * (b["y2"] - b["y1"])


def _width(b: Mapping[str, Any]) -> Any:
    return b["x2"] - b["x1"]


def _height(b: Mapping[str, Any]) -> Any:
    return b["y2"] - b["y1"]


_MEASURES = {"area": _area, "width": _width, "height": _height}


def _check_value_name(value_name: Any) -> str:
    if value_name not in BBOX_VALUES:
        raise ValueError(
            f"value_name must be one of {BBOX_VALUES!r}, got value_name={value_name!r}"
        )
    return value_name


class BBoxPredicate(Predicate):
    """A predicate on one or two bbox dicts, given by one formula.

    ``_test`` works on dicts of Python numbers and on dicts of numpy arrays
    alike (it combines conditions with ``&``), so calling and
    ``bbox_mask`` share the formula.
    """

    kind = "bbox"
    on_intervals = False

    def __init__(self, relation: str, arity: int, test: Any, **params: Any) -> None:
        self.relation = relation
        self.arity = arity
        self._formula = test
        self.params = tuple(params.items())

    def _call(self, *boxes: Any) -> bool:
        return bool(self._formula(*boxes))

    def bbox_mask(self, *boxes: Mapping[str, npt.NDArray[Any]]) -> npt.NDArray[np.bool_]:
        """Vectorised truth values over dicts of bound arrays."""
        return np.asarray(self._formula(*boxes), dtype=bool)


def _num(name: str, value: Any) -> Any:
    return _check_number(name, value)


# ---------------------------------------------------------------- unary
def position(x1: Any, y1: Any, x2: Any, y2: Any, epsilon: Any = 0.1) -> BBoxPredicate:
    """Bbox at ``x1, y1, x2, y2``, each within ``epsilon`` (strict)."""
    x1, y1, x2, y2 = (_num(n, v) for n, v in zip(("x1", "y1", "x2", "y2"), (x1, y1, x2, y2)))
    eps = _num("epsilon", epsilon)
    return BBoxPredicate(
        "position",
        1,
        lambda b: (_abs(b["x1"] - x1) < eps)
        & (_abs(b["y1"] - y1) < eps)
        & (_abs(b["x2"] - x2) < eps)
        & (_abs(b["y2"] - y2) < eps),
        x1=x1, y1=y1, x2=x2, y2=y2, epsilon=epsilon,
    )


def has_value(value_name: str, value: Any, epsilon: Any = 0.1) -> BBoxPredicate:
    """``|bbox[value_name] - value| < epsilon``; value_name in x1, x2, y1, y2."""
    name = _check_value_name(value_name)
    value = _num("value", value)
    eps = _num("epsilon", epsilon)
    return BBoxPredicate(
        "has_value", 1, lambda b: _abs(b[name] - value) < eps,
        value_name=name, value=value, epsilon=epsilon,
    )


def _exactly(measure: str, target: Any, epsilon: Any) -> BBoxPredicate:
    fn = _MEASURES[measure]
    target = _num(measure, target)
    eps = _num("epsilon", epsilon)
    return BBoxPredicate(
        f"{measure}_exactly", 1, lambda b: _abs(fn(b) - target) < eps,
        **{measure: target, "epsilon": epsilon},
    )


def _at_least(measure: str, target: Any) -> BBoxPredicate:
    fn = _MEASURES[measure]
    target = _num(measure, target)
    return BBoxPredicate(f"{measure}_at_least", 1, lambda b: fn(b) >= target, **{measure: target})


def _at_most(measure: str, target: Any) -> BBoxPredicate:
    fn = _MEASURES[measure]
    target = _num(measure, target)
    return BBoxPredicate(f"{measure}_at_most", 1, lambda b: fn(b) <= target, **{measure: target})


def _between(measure: str, low: Any, high: Any) -> BBoxPredicate:
    fn = _MEASURES[measure]
    low = _num(f"{measure}1", low)
    high = _num(f"{measure}2", high)
    return BBoxPredicate(
        f"{measure}_between", 1, lambda b: (fn(b) >= low) & (fn(b) <= high),
        **{f"{measure}1": low, f"{measure}2": high},
    )


def area_exactly(area: Any, epsilon: Any = 0.1) -> BBoxPredicate:
    """``|area - area_| < epsilon``."""
    return _exactly("area", area, epsilon)


def area_at_least(area: Any) -> BBoxPredicate:
    """``area >= area_``."""
    return _at_least("area", area)


def area_at_most(area: Any) -> BBoxPredicate:
    """``area <= area_``."""
    return _at_most("area", area)


def area_between(area1: Any, area2: Any) -> BBoxPredicate:
    """``area1 <= area <= area2``."""
    return _between("area", area1, area2)


def width_exactly(width: Any, epsilon: Any = 0.1) -> BBoxPredicate:
    """``|width - width_| < epsilon``."""
    return _exactly("width", width, epsilon)


def width_at_least(width: Any) -> BBoxPredicate:
    """``width >= width_``."""
    return _at_least("width", width)


def width_at_most(width: Any) -> BBoxPredicate:
    """``width <= width_``."""
    return _at_most("width", width)


def width_between(width1: Any, width2: Any) -> BBoxPredicate:
    """``width1 <= width <= width2``."""
    return _between("width", width1, width2)


def height_exactly(height: Any, epsilon: Any = 0.1) -> BBoxPredicate:
    """``|height - height_| < epsilon``."""
    return _exactly("height", height, epsilon)


def height_at_least(height: Any) -> BBoxPredicate:
    """``height >= height_``."""
    return _at_least("height", height)


def height_at_most(height: Any) -> BBoxPredicate:
    """``height <= height_``."""
    return _at_most("height", height)


def height_between(height1: Any, height2: Any) -> BBoxPredicate:
    """``height1 <= height <= height2``."""
    return _between("height", height1, height2)


def and_pred_node(pred1: Any, pred2: Any) -> Predicate:
    """Unary AND of two bbox predicates."""
    from .logical import and_pred

    return and_pred(pred1, pred2, arity=1)


def or_pred_node(pred1: Any, pred2: Any) -> Predicate:
    """Unary OR of two bbox predicates."""
    from .logical import or_pred

    return or_pred(pred1, pred2, arity=1)


# ---------------------------------------------------------------- binary
def left_of() -> BBoxPredicate:
    """``1.x2 < 2.x1``."""
    return BBoxPredicate("left_of", 2, lambda a, b: a["x2"] < b["x1"])


def right_of() -> BBoxPredicate:
    """``1.x1 > 2.x2``."""
    return BBoxPredicate("right_of", 2, lambda a, b: a["x1"] > b["x2"])


def above() -> BBoxPredicate:
    """``1.y2 < 2.y1``."""
    return BBoxPredicate("above", 2, lambda a, b: a["y2"] < b["y1"])


def below() -> BBoxPredicate:
    """``1.y1 > 2.y2``."""
    return BBoxPredicate("below", 2, lambda a, b: a["y1"] > b["y2"])


def _same(measure: str, epsilon: Any) -> BBoxPredicate:
    fn = _MEASURES[measure]
    eps = _num("epsilon", epsilon)
    return BBoxPredicate(
        f"same_{measure}", 2, lambda a, b: _abs(fn(a) - fn(b)) < eps, epsilon=epsilon
    )


def _more(measure: str) -> BBoxPredicate:
    fn = _MEASURES[measure]
    return BBoxPredicate(f"more_{measure}", 2, lambda a, b: fn(a) > fn(b))


def _less(measure: str) -> BBoxPredicate:
    fn = _MEASURES[measure]
    return BBoxPredicate(f"less_{measure}", 2, lambda a, b: fn(a) < fn(b))


def same_area(epsilon: Any = 0.1) -> BBoxPredicate:
    """``|area1 - area2| < epsilon``."""
    return _same("area", epsilon)


def more_area() -> BBoxPredicate:
    """``area1 > area2``."""
    return _more("area")


def less_area() -> BBoxPredicate:
    """``area1 < area2``."""
    return _less("area")


def same_width(epsilon: Any = 0.1) -> BBoxPredicate:
    """``|width1 - width2| < epsilon``."""
    return _same("width", epsilon)


def more_width() -> BBoxPredicate:
    """``width1 > width2``."""
    return _more("width")


def less_width() -> BBoxPredicate:
    """``width1 < width2``."""
    return _less("width")


def same_height(epsilon: Any = 0.1) -> BBoxPredicate:
    """``|height1 - height2| < epsilon``."""
    return _same("height", epsilon)


def more_height() -> BBoxPredicate:
    """``height1 > height2``."""
    return _more("height")


def less_height() -> BBoxPredicate:
    """``height1 < height2``."""
    return _less("height")


def same_value(value_name: str, epsilon: Any = 0.1) -> BBoxPredicate:
    """``|1[value_name] - 2[value_name]| < epsilon``."""
    name = _check_value_name(value_name)
    eps = _num("epsilon", epsilon)
    return BBoxPredicate(
        "same_value", 2, lambda a, b: _abs(a[name] - b[name]) < eps,
        value_name=name, epsilon=epsilon,
    )
