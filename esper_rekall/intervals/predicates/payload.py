"""Predicates on payloads.

Provides:
    PayloadPredicate: applies a predicate to the payloads of its arguments.
    OnName: applies a predicate to one key of dict values.
    payload_satisfies(pred, arity=1): Rekall's form, exactly ``arity``
        (1 or 2) intervals; ``pred`` gets their payloads.
    on_name(name, pred): ``pred(*[arg[name] for arg in args])``.

``P(pred)`` (in :mod:`.axes`) is ``payload_satisfies`` with any number of
arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import numpy.typing as npt

from .base import Predicate, _check_arity, _check_cols

if TYPE_CHECKING:
    from ..columns import Columns

__all__ = ["PayloadPredicate", "OnName", "payload_satisfies", "on_name"]


def _values_mask(pred: Any, value_seqs: Sequence[Sequence[Any]]) -> npt.NDArray[np.bool_]:
    """``pred`` over aligned value sequences (one per argument)."""
    if isinstance(pred, Predicate) and hasattr(pred, "value_mask") and len(value_seqs) == 1:
        return pred.value_mask(value_seqs[0])
    if isinstance(pred, OnName):
        return pred.values_mask(value_seqs)
    n = len(value_seqs[0])
    return np.fromiter(
        (bool(pred(*[vs[i] for vs in value_seqs])) for i in range(n)), dtype=bool, count=n
    )


class PayloadPredicate(Predicate):
    """``pred(*[i.payload for i in intervals])``."""

    kind = "payload"
    relation = "satisfies"

    def __init__(self, pred: Any, arity: int | None) -> None:
        if not callable(pred):
            raise TypeError(f"predicate must be callable, got {pred!r}")
        self.pred = pred
        self.arity = arity
        self.params = () if arity is None else (("arity", arity),)
        # Payload values are Python objects: evaluation is a loop over
        # payloads, but a built-in inner predicate keeps it describable.
        self.vectorised = isinstance(pred, Predicate) and pred.vectorised

    def _call(self, *intervals: Any) -> bool:
        return self.pred(*[i.payload for i in intervals])

    def children(self) -> tuple[Any, ...]:  # noqa: D102
        return (self.pred,)

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:  # noqa: D102
        _check_cols(self, cols)
        return _values_mask(self.pred, [c.payload for c in cols])

    def __repr__(self) -> str:
        return f"P({self.pred!r})"


class OnName(Predicate):
    """``pred(*[arg[name] for arg in args])``: a predicate on one dict key."""

    kind = "payload"
    relation = "on_name"
    on_intervals = False

    def __init__(self, name: Any, pred: Any) -> None:
        if not callable(pred):
            raise TypeError(f"predicate must be callable, got {pred!r}")
        self.name = name
        self.pred = pred
        self.arity = getattr(pred, "arity", None) if isinstance(pred, Predicate) else None
        self.params = (("name", name),)
        self.vectorised = isinstance(pred, Predicate) and pred.vectorised

    def _call(self, *args: Any) -> bool:
        return self.pred(*[arg[self.name] for arg in args])

    def children(self) -> tuple[Any, ...]:  # noqa: D102
        return (self.pred,)

    def values_mask(self, value_seqs: Sequence[Sequence[Any]]) -> npt.NDArray[np.bool_]:
        """Truth values over aligned sequences of dict values."""
        picked = [[v[self.name] for v in vs] for vs in value_seqs]
        return _values_mask(self.pred, picked)


def payload_satisfies(pred: Any, arity: int = 1) -> PayloadPredicate:
    """``pred`` on the payloads of exactly ``arity`` (1 or 2) intervals."""
    return PayloadPredicate(pred, _check_arity(arity))


def on_name(name: Any, pred: Any) -> OnName:
    """Wrap ``pred`` to apply to the value under ``name`` of dict arguments."""
    return OnName(name, pred)
