"""Predicates on lists (by length).

Provides:
    length_exactly(n): ``len(l) == n``.
    length_at_least(n): ``len(l) >= n``.
    length_at_most(n): ``len(l) <= n``.
    length_between(n1, n2): ``n1 <= len(l) <= n2``.

They take a sized value (a list, an ``IntervalSet3D`` payload, ...), not an
``Interval3D``: use them on payloads with ``P(length_at_least(2))``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import numpy.typing as npt

from .base import Predicate, _check_number

__all__ = [
    "LengthPredicate",
    "length_exactly",
    "length_at_least",
    "length_at_most",
    "length_between",
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
