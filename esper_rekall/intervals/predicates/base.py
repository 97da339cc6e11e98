"""Predicate objects: callable like Rekall's closures, and describable.

Provides:
    PredicateSpec: frozen description of a predicate, read by the SQL compiler.
    Predicate: base class of every built-in predicate.
    CallablePredicate: wraps a plain Python callable (the per-row fallback).
    evaluate_mask: vectorised truth values of any predicate over ``Columns``.
    candidate_band: the temporal candidate band of a binary predicate.
    describe: ``PredicateSpec`` of any predicate, callables included.

A predicate over ``Interval3D``\\ s has ``mask(*cols)``: ``cols`` is one
``Columns`` for a unary predicate, or two equal-length ``Columns`` for a
binary one, row ``i`` of each forming pair ``i``. "Raw" predicates (temporal
predicates on objects with ``start``/``end``, bbox predicates on dicts, list
and payload-level predicates) do not take ``Interval3D``\\ s; they become
maskable once lifted with ``T``/``X``/``Y``/``XY``/``P``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import numpy.typing as npt

from ..common import INFTY

if TYPE_CHECKING:
    from ..columns import Columns

__all__ = [
    "KINDS",
    "AXES",
    "PredicateSpec",
    "Predicate",
    "CallablePredicate",
    "evaluate_mask",
    "mask_on_rows",
    "candidate_band",
    "describe",
    "as_predicate",
]

KINDS = frozenset(
    {"temporal", "bbox", "size", "logical", "payload", "list", "spatial", "callable"}
)
AXES = frozenset({"t", "x", "y", "xy", None})

Band = tuple[float, float]


@dataclass(frozen=True)
class PredicateSpec:
    """What a predicate is, as data.

    Attributes:
        kind: one of ``KINDS``.
        relation: the relation name (``"before"``, ``"left_of"``, ``"and"``,
            or a callable's qualified name for ``kind == "callable"``).
        axis: ``"t"``, ``"x"``, ``"y"``, ``"xy"`` once adapted, else ``None``.
        params: ``(name, value)`` pairs. ``INFTY`` is given as ``math.inf``.
            A callable's spec holds it as ``("fn", fn)``.
        children: specs of the operands of logical/adapter predicates.
    """

    kind: str
    relation: str
    axis: str | None
    params: tuple[tuple[str, Any], ...] = ()
    children: tuple[PredicateSpec, ...] = ()

    def param(self, name: str, default: Any = None) -> Any:
        """The value of parameter ``name`` (``default`` if absent)."""
        for key, value in self.params:
            if key == name:
                return value
        return default


def _check_arity(arity: Any) -> int:
    if arity not in (1, 2) or isinstance(arity, bool):
        raise ValueError(f"arity must be 1 or 2, got arity={arity!r}")
    return arity


def _check_number(name: str, value: Any, allow_infty: bool = False) -> Any:
    if allow_infty and value == INFTY:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        expected = "a number or INFTY" if allow_infty else "a number"
        raise TypeError(f"{name} must be {expected}, got {name}={value!r}")
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN, got {name}={value!r}")
    return value


def _spec_value(value: Any) -> Any:
    return math.inf if isinstance(value, str) and value == INFTY else value


class Predicate:
    """Base class of predicates: callable, describable, maskable.

    Subclasses set ``kind``, ``relation``, ``arity`` (``None`` = any number
    of arguments) and ``axis``, store their parameters in ``params`` and
    implement ``_call``. ``vectorised`` says whether ``mask`` is a numpy
    computation (True) or a per-row Python loop (False).
    """

    kind: str = "callable"
    relation: str = ""
    axis: str | None = None
    arity: int | None = None
    vectorised: bool = True
    #: True for predicates that take Interval3D arguments (so mask() applies).
    on_intervals: bool = True

    params: tuple[tuple[str, Any], ...] = ()

    def __call__(self, *args: Any) -> bool:
        if self.arity is not None and len(args) != self.arity:
            raise TypeError(
                f"{self.relation or type(self).__name__} takes {self.arity} "
                f"argument(s), got {len(args)}"
            )
        return self._call(*args)

    def _call(self, *args: Any) -> bool:
        raise NotImplementedError

    def children(self) -> tuple[Any, ...]:
        """Operand predicates (for logical and adapter predicates)."""
        return ()

    def describe(self) -> PredicateSpec:
        """This predicate as a :class:`PredicateSpec`."""
        return PredicateSpec(
            kind=self.kind,
            relation=self.relation,
            axis=self.axis,
            params=tuple((k, _spec_value(v)) for k, v in self.params),
            children=tuple(describe(c) for c in self.children()),
        )

    def mask(self, *cols: Columns) -> npt.NDArray[np.bool_]:
        """Truth value per row (pair) of ``cols``; see module docstring.

        The base implementation loops in Python; built-ins override it.
        """
        _check_cols(self, cols)
        if not self.on_intervals:
            raise TypeError(
                f"{self.relation!r} is a {self.kind} predicate on "
                f"{'ranges' if self.kind == 'temporal' else 'values'}, not on "
                "Interval3D; lift it with T, X, Y, XY or P first"
            )
        return _loop_mask(self, cols)

    def temporal_band(self) -> Band | None:
        """Candidate band ``(a, b)`` over Interval3D pairs, or None if unknown.

        Every pair ``(left, right)`` satisfying the predicate has
        ``right.t1 <= left.t2 + b`` and ``right.t2 >= left.t1 - a``
        (exact in real arithmetic, for intervals with ``t1 <= t2``).
        """
        return None

    def temporal_open_band(self) -> Band | None:
        """Open band ``(a, b)`` that *is* the predicate on positive lengths, or None.

        When both intervals of a pair have ``t1 < t2``, the predicate holds
        exactly when ``right.t1 < left.t2 + b`` and ``right.t2 > left.t1 -
        a``, so a join may skip evaluating it on such pairs. Zero-length
        intervals are not covered (use :meth:`temporal_band`).
        """
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params)
        name = f"{self.relation}({args})"
        if self.axis is not None:
            return f"{self.axis.upper()}({name})"
        return name


class CallablePredicate(Predicate):
    """A plain Python callable seen as a predicate on Interval3Ds.

    ``mask`` calls it once per row; it describes itself as
    ``kind="callable"`` with the function in ``params``.
    """

    kind = "callable"
    vectorised = False

    def __init__(self, fn: Callable[..., Any], arity: int | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"predicate must be callable, got {fn!r}")
        self.fn = fn
        self.arity = arity
        self.relation = getattr(fn, "__qualname__", type(fn).__name__)
        self.params = (("fn", fn),)

    def _call(self, *args: Any) -> bool:
        return self.fn(*args)

    def describe(self) -> PredicateSpec:  # noqa: D102
        return PredicateSpec("callable", self.relation, None, self.params, ())


def _check_cols(pred: Any, cols: tuple[Columns, ...]) -> None:
    arity = getattr(pred, "arity", None)
    if arity is not None and len(cols) != arity:
        raise TypeError(
            f"{pred!r} takes {arity} interval(s), got {len(cols)} Columns"
        )
    if not cols:
        raise TypeError("mask() needs at least one Columns")
    n = len(cols[0])
    for c in cols[1:]:
        if len(c) != n:
            raise ValueError(
                f"Columns of a pair mask must have equal length, got "
                f"{[len(c) for c in cols]!r}"
            )


def _loop_mask(
    fn: Callable[..., Any],
    cols: tuple[Columns, ...],
    rows: npt.NDArray[np.intp] | None = None,
) -> npt.NDArray[np.bool_]:
    """``fn`` called per row (or only on ``rows``) with Interval3D arguments."""
    if rows is None:
        n = len(cols[0])
        return np.fromiter(
            (bool(fn(*[c.interval(i) for c in cols])) for i in range(n)),
            dtype=bool,
            count=n,
        )
    return np.fromiter(
        (bool(fn(*[c.interval(i) for c in cols])) for i in rows),
        dtype=bool,
        count=len(rows),
    )


def evaluate_mask(pred: Any, *cols: Columns) -> npt.NDArray[np.bool_]:
    """Truth values of ``pred`` over ``cols``.

    Args:
        pred: a :class:`Predicate` or any Python callable on Interval3Ds.
        *cols: one ``Columns`` (unary) or two of equal length (binary).

    Returns:
        Boolean array, one entry per row. Built-ins are vectorised; plain
        callables are called once per row with ``cols[k].interval(i)``.
    """
    if isinstance(pred, Predicate):
        return pred.mask(*cols)
    if not callable(pred):
        raise TypeError(f"predicate must be callable, got {pred!r}")
    _check_cols(pred, cols)
    return _loop_mask(pred, cols)


def mask_on_rows(
    pred: Any, cols: tuple[Columns, ...], rows: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """``evaluate_mask`` restricted to ``rows`` (callables called only there)."""
    if isinstance(pred, Predicate) and pred.vectorised:
        return pred.mask(*cols)[rows]
    if isinstance(pred, Predicate):
        if not pred.on_intervals:
            return pred.mask(*cols)[rows]  # raises the adapter hint
        return pred.mask(*[c.take(rows) for c in cols])
    return _loop_mask(pred, cols, rows)


def candidate_band(pred: Any) -> Band | None:
    """``pred.temporal_band()`` for predicates; None for plain callables."""
    if isinstance(pred, Predicate):
        return pred.temporal_band()
    return None


def describe(pred: Any) -> PredicateSpec:
    """:class:`PredicateSpec` of ``pred``; plain callables get kind ``callable``."""
    if isinstance(pred, Predicate):
        return pred.describe()
    return CallablePredicate(pred).describe()


def as_predicate(pred: Any, arity: int | None = None) -> Predicate:
    """``pred`` itself if it is a :class:`Predicate`, else a wrapper."""
    if isinstance(pred, Predicate):
        return pred
    return CallablePredicate(pred, arity)
