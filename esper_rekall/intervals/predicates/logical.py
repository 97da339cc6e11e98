"""Logical combinations of predicates.

Provides:
    And, Or, Not, Constant: the predicate classes.
    and_pred(pred1, pred2, arity=1), or_pred(pred1, pred2, arity=1),
    not_pred(pred, arity=1), true_pred(arity=1), false_pred(arity=1):
        Rekall's ``logical_predicates``; ``arity`` is 1 or 2 and the result
        takes exactly that many arguments.

The variadic forms (``and_preds(*preds)``, ``or_preds(*preds)``,
``not_pred(pred)`` of Rekall's ``interval_set_3d_utils``) live in
:mod:`.axes` and build the same classes with ``arity=None``.

Evaluation: calling short-circuits left to right as in Rekall. ``mask``
evaluates the vectorised operands first, then calls each Python-callable
operand only on the rows still undecided (still true for AND, not yet true
for OR), so a callable is never called on a row a built-in already decided.
A combination of describable predicates is describable.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import numpy.typing as npt

from .base import Band, Predicate, _check_arity, _check_cols, candidate_band, mask_on_rows

if TYPE_CHECKING:
    from ..columns import Columns

__all__ = [
    "And",
    "Or",
    "Not",
    "Constant",
    "and_pred",
    "or_pred",
    "not_pred",
    "true_pred",
    "false_pred",
]


def _check_callable(pred: Any) -> Any:
    if not callable(pred):
        raise TypeError(f"predicate must be callable, got {pred!r}")
    return pred


def _is_vectorised(pred: Any) -> bool:
    return isinstance(pred, Predicate) and pred.vectorised


def _on_intervals(preds: Sequence[Any]) -> bool:
    return all(p.on_intervals for p in preds if isinstance(p, Predicate))


class _Combination(Predicate):
    kind = "logical"

    def __init__(self, preds: Sequence[Any], arity: int | None) -> None:
        self.preds = tuple(_check_callable(p) for p in preds)
        self.arity = arity
        self.params = () if arity is None else (("arity", arity),)
        self.vectorised = all(_is_vectorised(p) for p in self.preds)
        self.on_intervals = _on_intervals(self.preds)

    def children(self) -> tuple[Any, ...]:  # noqa: D102
        return self.preds

    def __repr__(self) -> str:
        return f"{self.relation}({', '.join(map(repr, self.preds))})"


class And(_Combination):
    """True when every operand is true (short-circuit, in order)."""

    relation = "and"

    def _call(self, *args: Any) -> bool:
        for pred in self.preds:
            if not pred(*args):
                return False
        return True

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:  # noqa: D102
        _check_cols(self, cols)
        if not self.on_intervals:
            return super().mask(*cols)
        result = np.ones(len(cols[0]), dtype=bool)
        for pred in self.preds:
            if _is_vectorised(pred):
                result &= pred.mask(*cols)
        for pred in self.preds:
            if not _is_vectorised(pred):
                rows = np.flatnonzero(result)
                if rows.size == 0:
                    break
                result[rows] = mask_on_rows(pred, cols, rows)
        return result

    def split_open_band(self, band: Band) -> tuple[Predicate, Any] | None:
        """The first operand whose exact open band is ``band``, and the rest.

        ``self`` holds exactly when that operand and the rest (the other
        operands, in order: one operand alone, else their AND) both hold.
        A join finds the operand's pairs by its band alone, then evaluates
        only the rest on them (``T(overlaps())`` and a bbox test: the
        self-merge of faces). The rest sees the rows on which the AND's
        vectorised operands hold, as in :meth:`mask`, so a callable operand
        is called on the same pairs. None when no operand has that band.
        """
        if not self.on_intervals:
            return None
        for k, pred in enumerate(self.preds):
            if isinstance(pred, Predicate) and pred.temporal_open_band() == band:
                rest = self.preds[:k] + self.preds[k + 1 :]
                return pred, rest[0] if len(rest) == 1 else And(rest, self.arity)
        return None

    def temporal_band(self) -> Band | None:
        """Intersection of the operands' known bands (None if none is known)."""
        bands = [b for b in map(candidate_band, self.preds) if b is not None]
        if not bands:
            return None
        return (min(b[0] for b in bands), min(b[1] for b in bands))


class Or(_Combination):
    """True when some operand is true (short-circuit, in order)."""

    relation = "or"

    def _call(self, *args: Any) -> bool:
        for pred in self.preds:
            if pred(*args):
                return True
        return False

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:  # noqa: D102
        _check_cols(self, cols)
        if not self.on_intervals:
            return super().mask(*cols)
        result = np.zeros(len(cols[0]), dtype=bool)
        for pred in self.preds:
            if _is_vectorised(pred):
                result |= pred.mask(*cols)
        for pred in self.preds:
            if not _is_vectorised(pred):
                rows = np.flatnonzero(~result)
                if rows.size == 0:
                    break
                result[rows] = mask_on_rows(pred, cols, rows)
        return result

    def temporal_band(self) -> Band | None:
        """Componentwise max of the operands' bands; None if any is unknown."""
        bands = [candidate_band(p) for p in self.preds]
        if not bands or any(b is None for b in bands):
            return None
        return (max(b[0] for b in bands), max(b[1] for b in bands))  # type: ignore[index]


class Not(_Combination):
    """Negation of one operand."""

    relation = "not"

    def __init__(self, pred: Any, arity: int | None) -> None:
        super().__init__((pred,), arity)

    def _call(self, *args: Any) -> bool:
        return not self.preds[0](*args)

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:  # noqa: D102
        _check_cols(self, cols)
        if not self.on_intervals:
            return super().mask(*cols)
        (pred,) = self.preds
        return ~mask_on_rows(pred, cols, np.arange(len(cols[0])))

    def __repr__(self) -> str:
        return f"not({self.preds[0]!r})"


class Constant(Predicate):
    """``true_pred`` / ``false_pred``: the same value for any arguments."""

    kind = "logical"

    def __init__(self, value: bool, arity: int | None) -> None:
        self.value = bool(value)
        self.relation = "true" if value else "false"
        self.arity = arity
        self.params = () if arity is None else (("arity", arity),)

    def _call(self, *args: Any) -> bool:
        return self.value

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:  # noqa: D102
        _check_cols(self, cols)
        return np.full(len(cols[0]), self.value, dtype=bool)

    def temporal_band(self) -> Band | None:
        """None for true (anything matches); an empty band for false."""
        if self.value or self.arity == 1:
            return None
        return (-math.inf, -math.inf)


def and_pred(pred1: Any, pred2: Any, arity: int = 1) -> And:
    """``pred1 and pred2`` taking ``arity`` (1 or 2) arguments."""
    return And((pred1, pred2), _check_arity(arity))


def or_pred(pred1: Any, pred2: Any, arity: int = 1) -> Or:
    """``pred1 or pred2`` taking ``arity`` (1 or 2) arguments."""
    return Or((pred1, pred2), _check_arity(arity))


def not_pred(pred: Any, arity: int = 1) -> Not:
    """``not pred`` taking ``arity`` (1 or 2) arguments."""
    return Not(pred, _check_arity(arity))


def true_pred(arity: int = 1) -> Constant:
    """Always true; takes ``arity`` (1 or 2) arguments."""
    return Constant(True, _check_arity(arity))


def false_pred(arity: int = 1) -> Constant:
    """Always false; takes ``arity`` (1 or 2) arguments."""
    return Constant(False, _check_arity(arity))
