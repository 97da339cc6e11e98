"""Binary predicates on 1D ranges (Allen-style relations).

Provides the factories ``before``, ``after``, ``overlaps``,
``overlaps_before``, ``overlaps_after``, ``starts``, ``starts_inv``,
``finishes``, ``finishes_inv``, ``during``, ``during_inv``,
``meets_before``, ``meets_after`` and ``equal``, each returning a
:class:`RangePredicate`.

As in Rekall, these take two objects with ``start`` and ``end`` attributes
(1D ``Interval``\\ s): ``overlaps()(a, b)``. Lift them onto ``Interval3D``
pairs with ``T`` (time), ``X`` or ``Y`` from :mod:`.axes`; lifted with
``T`` they give a temporal candidate band. Below, ``1`` is the first
argument and ``2`` the second. Comparisons are exactly these:

- ``before(min_dist=0, max_dist=INFTY)``: ``d = 2.start - 1.end``;
  ``d >= min_dist and (max_dist is INFTY or d <= max_dist)``. Touching
  intervals (``d == 0``) are before each other by default.
- ``after(min_dist=0, max_dist=INFTY)``: same with ``d = 1.start - 2.end``.
- ``overlaps()``: ``(1.s < 2.s and 1.e > 2.s) or (1.s < 2.e and 1.e > 2.e)
  or (1.s <= 2.s and 1.e >= 2.e) or (1.s >= 2.s and 1.e <= 2.e)``: true for
  containment (equal intervals, zero-length ones inside or at an end of
  the other), false for intervals that only touch.
- ``overlaps_before()``: ``1.e > 2.s and 1.e < 2.e and 1.s < 2.s``.
- ``overlaps_after()``: ``1.s > 2.s and 1.s < 2.e and 1.e > 2.e``.
- ``starts(epsilon=0)``: ``|1.s - 2.s| <= epsilon and 1.e < 2.e``;
  ``starts_inv``: ``... and 2.e < 1.e``.
- ``finishes(epsilon=0)``: ``|1.e - 2.e| <= epsilon and 1.s > 2.s``;
  ``finishes_inv``: ``... and 2.s > 1.s``.
- ``during()``: ``1.s > 2.s and 1.e < 2.e``; ``during_inv`` flips.
- ``meets_before(epsilon=0)``: ``|1.e - 2.s| <= epsilon``;
  ``meets_after(epsilon=0)``: ``|2.e - 1.s| <= epsilon``.
- ``equal()``: ``1.s == 2.s and 1.e == 2.e``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from ..common import INFTY
from .base import Band, Predicate, _check_number

__all__ = [
    "RangePredicate",
    "Before",
    "After",
    "Overlaps",
    "OverlapsBefore",
    "OverlapsAfter",
    "Starts",
    "StartsInv",
    "Finishes",
    "FinishesInv",
    "During",
    "DuringInv",
    "MeetsBefore",
    "MeetsAfter",
    "Equal",
    "before",
    "after",
    "overlaps",
    "overlaps_before",
    "overlaps_after",
    "starts",
    "starts_inv",
    "finishes",
    "finishes_inv",
    "during",
    "during_inv",
    "meets_before",
    "meets_after",
    "equal",
]

Arr = npt.NDArray[Any]


def _inf(value: Any) -> float:
    return math.inf if value == INFTY else value


class RangePredicate(Predicate):
    """A binary predicate on two 1D ranges (``start``/``end``).

    ``range_mask(s1, e1, s2, e2)`` is the vectorised form over numpy arrays;
    ``range_band()`` the candidate band when the ranges are the time axis.
    """

    kind = "temporal"
    arity = 2
    on_intervals = False

    def _call(self, i1: Any, i2: Any) -> bool:
        return self._test(i1.start, i1.end, i2.start, i2.end)

    def _test(self, s1: Any, e1: Any, s2: Any, e2: Any) -> bool:
        raise NotImplementedError

    def range_mask(self, s1: Arr, e1: Arr, s2: Arr, e2: Arr) -> npt.NDArray[np.bool_]:
        """Vectorised truth values; the same formula as calling."""
        return np.asarray(self._test(s1, e1, s2, e2), dtype=bool)

    def range_band(self) -> Band:
        """Band ``(a, b)``: ``2.start <= 1.end + b`` and ``2.end >= 1.start - a``."""
        raise NotImplementedError

    def range_open_band(self) -> Band | None:
        """Open band ``(a, b)`` equal to the relation on positive lengths, or None.

        When both ranges have ``start < end``, the relation holds exactly
        when ``2.start < 1.end + b and 2.end > 1.start - a``.
        """
        return None


class _Distance(RangePredicate):
    def __init__(self, min_dist: Any = 0, max_dist: Any = INFTY) -> None:
        self.min_dist = _check_number("min_dist", min_dist)
        self.max_dist = _check_number("max_dist", max_dist, allow_infty=True)
        self.params = (("min_dist", min_dist), ("max_dist", max_dist))

    def _in_range(self, d: Any) -> Any:
        if self.max_dist == INFTY:
            return d >= self.min_dist
        return (d >= self.min_dist) & (d <= self.max_dist)


class Before(_Distance):
    """``2.start - 1.end`` in ``[min_dist, max_dist]``."""

    relation = "before"

    def _call(self, i1: Any, i2: Any) -> bool:
        time_diff = i2.start - i1.end
        return time_diff >= self.min_dist and (
            self.max_dist == INFTY or time_diff <= self.max_dist
        )

    def range_mask(self, s1: Arr, e1: Arr, s2: Arr, e2: Arr) -> npt.NDArray[np.bool_]:  # noqa: D102
        return self._in_range(s2 - e1)

    def range_band(self) -> Band:  # noqa: D102
        return (-self.min_dist, _inf(self.max_dist))


class After(_Distance):
    """``1.start - 2.end`` in ``[min_dist, max_dist]``."""

    relation = "after"

    def _call(self, i1: Any, i2: Any) -> bool:
        time_diff = i1.start - i2.end
        return time_diff >= self.min_dist and (
            self.max_dist == INFTY or time_diff <= self.max_dist
        )

    def range_mask(self, s1: Arr, e1: Arr, s2: Arr, e2: Arr) -> npt.NDArray[np.bool_]:  # noqa: D102
        return self._in_range(s1 - e2)

    def range_band(self) -> Band:  # noqa: D102
        return (_inf(self.max_dist), -self.min_dist)


class Overlaps(RangePredicate):
    """Any overlap of positive length, or containment (incl. equal)."""

    relation = "overlaps"

    def _call(self, i1: Any, i2: Any) -> bool:
        s1, e1, s2, e2 = i1.start, i1.end, i2.start, i2.end
        return (
            (s1 < s2 and e1 > s2)
            or (s1 < e2 and e1 > e2)
            or (s1 <= s2 and e1 >= e2)
            or (s1 >= s2 and e1 <= e2)
        )

    def range_mask(self, s1: Arr, e1: Arr, s2: Arr, e2: Arr) -> npt.NDArray[np.bool_]:  # noqa: D102
        return (
            ((s1 < s2) & (e1 > s2))
            | ((s1 < e2) & (e1 > e2))
            | ((s1 <= s2) & (e1 >= e2))
            | ((s1 >= s2) & (e1 <= e2))
        )

    def range_band(self) -> Band:  # noqa: D102
        return (0, 0)

    def range_open_band(self) -> Band:
        """``(0, 0)``: on positive lengths, ``2.s < 1.e and 2.e > 1.s``.

        Each clause of the formula implies both inequalities when both
        ranges have positive length, and they imply one of the clauses.
        """
        return (0, 0)


class _Simple(RangePredicate):
    """A relation with no parameters, or just ``epsilon``."""

    band: Band = (0, 0)

    def __init__(self) -> None:
        self.params = ()

    def _call(self, i1: Any, i2: Any) -> bool:
        return bool(self._test(i1.start, i1.end, i2.start, i2.end))

    def range_band(self) -> Band:  # noqa: D102
        return self.band


class _Eps(_Simple):
    def __init__(self, epsilon: Any = 0) -> None:
        self.epsilon = _check_number("epsilon", epsilon)
        self.params = (("epsilon", epsilon),)


# The scalar and array forms share one formula: `&` on Python bools is `and`
# without short-circuit, and every operand here is side-effect free.
def _abs(v: Any) -> Any:
    return np.abs(v) if isinstance(v, np.ndarray) else abs(v)


class OverlapsBefore(_Simple):
    """``1.e > 2.s and 1.e < 2.e and 1.s < 2.s``."""

    relation = "overlaps_before"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (e1 > s2) & (e1 < e2) & (s1 < s2)


class OverlapsAfter(_Simple):
    """``1.s > 2.s and 1.s < 2.e and 1.e > 2.e``."""

    relation = "overlaps_after"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (s1 > s2) & (s1 < e2) & (e1 > e2)


class Starts(_Eps):
    """``|1.s - 2.s| <= epsilon and 1.e < 2.e``."""

    relation = "starts"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (_abs(s1 - s2) <= self.epsilon) & (e1 < e2)

    def range_band(self) -> Band:  # noqa: D102
        return (0, self.epsilon)


class StartsInv(_Eps):
    """``|1.s - 2.s| <= epsilon and 2.e < 1.e``."""

    relation = "starts_inv"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (_abs(s1 - s2) <= self.epsilon) & (e2 < e1)

    def range_band(self) -> Band:  # noqa: D102
        return (self.epsilon, self.epsilon)


class Finishes(_Eps):
    """``|1.e - 2.e| <= epsilon and 1.s > 2.s``."""

    relation = "finishes"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (_abs(e1 - e2) <= self.epsilon) & (s1 > s2)

    def range_band(self) -> Band:  # noqa: D102
        return (self.epsilon, 0)


class FinishesInv(_Eps):
    """``|1.e - 2.e| <= epsilon and 2.s > 1.s``."""

    relation = "finishes_inv"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (_abs(e1 - e2) <= self.epsilon) & (s2 > s1)

    def range_band(self) -> Band:  # noqa: D102
        return (0, self.epsilon)


class During(_Simple):
    """``1.s > 2.s and 1.e < 2.e`` (strictly inside)."""

    relation = "during"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (s1 > s2) & (e1 < e2)


class DuringInv(_Simple):
    """``2.s > 1.s and 2.e < 1.e``."""

    relation = "during_inv"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (s2 > s1) & (e2 < e1)


class MeetsBefore(_Eps):
    """``|1.e - 2.s| <= epsilon``."""

    relation = "meets_before"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return _abs(e1 - s2) <= self.epsilon

    def range_band(self) -> Band:  # noqa: D102
        return (self.epsilon, self.epsilon)


class MeetsAfter(_Eps):
    """``|2.e - 1.s| <= epsilon``."""

    relation = "meets_after"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return _abs(e2 - s1) <= self.epsilon

    def range_band(self) -> Band:  # noqa: D102
        return (self.epsilon, self.epsilon)


class Equal(_Simple):
    """``1.s == 2.s and 1.e == 2.e``."""

    relation = "equal"

    def _test(self, s1, e1, s2, e2):  # type: ignore[no-untyped-def]
        return (s1 == s2) & (e1 == e2)


def before(min_dist: Any = 0, max_dist: Any = INFTY) -> Before:
    """``2.start - 1.end`` in ``[min_dist, max_dist]`` (see module docstring)."""
    return Before(min_dist, max_dist)


def after(min_dist: Any = 0, max_dist: Any = INFTY) -> After:
    """``1.start - 2.end`` in ``[min_dist, max_dist]`` (see module docstring)."""
    return After(min_dist, max_dist)


def overlaps() -> Overlaps:
    """Overlap or containment; false for touching (see module docstring)."""
    return Overlaps()


def overlaps_before() -> OverlapsBefore:
    """Strict Allen overlap, first argument earlier."""
    return OverlapsBefore()


def overlaps_after() -> OverlapsAfter:
    """Strict Allen overlap, first argument later."""
    return OverlapsAfter()


def starts(epsilon: Any = 0) -> Starts:
    """Same start (within epsilon), first ends strictly earlier."""
    return Starts(epsilon)


def starts_inv(epsilon: Any = 0) -> StartsInv:
    """Same start (within epsilon), second ends strictly earlier."""
    return StartsInv(epsilon)


def finishes(epsilon: Any = 0) -> Finishes:
    """Same end (within epsilon), first starts strictly later."""
    return Finishes(epsilon)


def finishes_inv(epsilon: Any = 0) -> FinishesInv:
    """Same end (within epsilon), second starts strictly later."""
    return FinishesInv(epsilon)


def during() -> During:
    """First strictly inside second."""
    return During()


def during_inv() -> DuringInv:
    """Second strictly inside first."""
    return DuringInv()


def meets_before(epsilon: Any = 0) -> MeetsBefore:
    """First ends where second starts, within epsilon."""
    return MeetsBefore(epsilon)


def meets_after(epsilon: Any = 0) -> MeetsAfter:
    """First starts where second ends, within epsilon."""
    return MeetsAfter(epsilon)


def equal() -> Equal:
    """Same start and same end."""
    return Equal()
