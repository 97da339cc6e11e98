"""Predicates on lists (by length).

Provides:
    length_exactly(n): ``len(l) == n``.
    length_at_least(n): ``len(l) >= n``.
    length_at_most(n): ``len(l) <= n``.
    length_between(n1, n2): ``n1 <= len(l) <= n2``.
    any_member(pred): some interval of an ``IntervalSet3D`` satisfies ``pred``.

They take a sized value (a list, an ``IntervalSet3D`` payload, ...), not an
``Interval3D``: use them on payloads with ``P(length_at_least(2))`` or
``P(any_member(XY(height_at_least(0.3))))`` ("frames where some face is at
least 0.3 high"). On a stored collection's nested sets both compile to SQL
over the child rows (``storage.stored_interval_query``).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import numpy.typing as npt

from .base import Predicate, _check_number, evaluate_mask

__all__ = [
    "LengthPredicate",
    "length_exactly",
    "length_at_least",
    "length_at_most",
    "length_between",
    "AnyMember",
    "any_member",
]


class LengthPredicate(Predicate):
    """A bound on ``len(value)``: ``low <= len`` and/or ``len <= high``."""

    kind = "list"
    arity = 1
    on_intervals = False

    def __init__(self, relation: str, low: Any, high: Any, **params: Any) -> None:
        self.relation = relation
        self.low = low
        self.high = high
        self.params = tuple(params.items())

    def _call(self, value: Any) -> bool:
        n = len(value)
        return (self.low is None or n >= self.low) and (self.high is None or n <= self.high)

    def value_mask(self, values: Sequence[Any]) -> npt.NDArray[np.bool_]:
        """Truth values over a sequence of values (lengths taken in Python)."""
        lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
        out = np.ones(len(values), dtype=bool)
        if self.low is not None:
            out &= lengths >= self.low
        if self.high is not None:
            out &= lengths <= self.high
        return out


def length_exactly(n: Any) -> LengthPredicate:
    """``len(l) == n``."""
    _check_number("n", n)
    return LengthPredicate("length_exactly", n, n, n=n)


def length_at_least(n: Any) -> LengthPredicate:
    """``len(l) >= n``."""
    _check_number("n", n)
    return LengthPredicate("length_at_least", n, None, n=n)


def length_at_most(n: Any) -> LengthPredicate:
    """``len(l) <= n``."""
    _check_number("n", n)
    return LengthPredicate("length_at_most", None, n, n=n)


def length_between(n1: Any, n2: Any) -> LengthPredicate:
    """``n1 <= len(l) <= n2``."""
    _check_number("n1", n1)
    _check_number("n2", n2)
    return LengthPredicate("length_between", n1, n2, n1=n1, n2=n2)


class AnyMember(Predicate):
    """Some interval of a set satisfies ``pred`` (an interval predicate)."""

    kind = "list"
    relation = "any_member"
    arity = 1
    on_intervals = False

    def __init__(self, pred: Any) -> None:
        if not callable(pred):
            raise TypeError(f"any_member needs a predicate on intervals, got {pred!r}")
        self.pred = pred
        self.params = (("pred", pred),)
        self.vectorised = isinstance(pred, Predicate) and pred.vectorised

    def _call(self, value: Any) -> bool:
        return any(self.pred(i) for i in value)

    def children(self) -> tuple[Any, ...]:  # noqa: D102
        return (self.pred,)

    def value_mask(self, values: Sequence[Any]) -> npt.NDArray[np.bool_]:
        """Truth values over a sequence of sets: one vectorised pass over a
        columnar ``NestedSets`` (``child``, ``starts``, ``stops``), else per set."""
        child = getattr(values, "child", None)
        if child is not None:
            hits = np.concatenate([[0], np.cumsum(evaluate_mask(self.pred, child), dtype=np.int64)])
            return hits[values.stops] > hits[values.starts]
        return np.fromiter((self._call(v) for v in values), dtype=bool, count=len(values))

    def __repr__(self) -> str:
        return f"any_member({self.pred!r})"


def any_member(pred: Any) -> AnyMember:
    """True for a set in which some interval satisfies ``pred``."""
    return AnyMember(pred)
