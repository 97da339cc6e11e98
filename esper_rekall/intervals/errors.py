"""Error types and validation helpers shared by the pure interval layer.

Provides:
    IntervalError: base class of the errors raised for bad interval input.
    InvalidBoundError: a bound pair that is not a valid range (``ValueError``).
    BoundTypeError: a bound that is not a real number (``TypeError``).
    InvalidAxisError: an axis name other than ``'T'``, ``'X'``, ``'Y'``.
    check_bound: validate and normalise one ``(start, end)`` pair.
    check_axis: validate an axis name.
    check_number: validate a scalar parameter (window, epsilon, size).

Every message names the offending value with ``!r`` and says what was
expected, e.g. ``"t1 must be <= t2, got t1=3, t2=1"``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "IntervalError",
    "InvalidBoundError",
    "BoundTypeError",
    "InvalidAxisError",
    "check_bound",
    "check_axis",
    "check_number",
    "to_python_number",
]

AXES: tuple[str, ...] = ("T", "X", "Y")


class IntervalError(Exception):
    """Base class of the errors raised for bad interval input."""


class InvalidBoundError(IntervalError, ValueError):
    """A bound pair that is not a valid range (start > end, NaN, wrong shape)."""


class BoundTypeError(IntervalError, TypeError):
    """A bound or parameter that is not a real number."""


class InvalidAxisError(IntervalError, ValueError):
    """An axis name other than ``'T'``, ``'X'`` or ``'Y'``."""


_PLAIN_NUMBERS = (int, float)


def to_python_number(value: Any, name: str) -> int | float:
    """``value`` as a plain Python ``int``/``float`` (numpy scalars via ``.item()``).

    Other real numbers (``fractions.Fraction``...) are kept as given.

    Raises:
        BoundTypeError: if ``value`` is not a real number (``bool`` included).
        InvalidBoundError: if ``value`` is NaN.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BoundTypeError(
            f"{name} must be a real number, got {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if isinstance(value, float) and math.isnan(value):
        raise InvalidBoundError(f"{name} must not be NaN, got {name}={value!r}")
    return value


def check_bound(bound: Any, axis: str) -> tuple[int | float, int | float]:
    """Validate a ``(start, end)`` pair on ``axis`` (``'t'``, ``'x'`` or ``'y'``).

    Returns:
        The pair as a tuple of plain Python numbers.

    Raises:
        InvalidBoundError: not a pair, NaN, or start > end.
        BoundTypeError: a bound that is not a real number.
    """
    # Fast path for the common case, a tuple of two plain ints/floats in
    # order (NaN fails ``<=``, bools fail the type test: both take the full
    # checks below). Constructing Interval3Ds is on users' hot path.
    if (
        type(bound) is tuple
        and len(bound) == 2
        and type(bound[0]) in _PLAIN_NUMBERS
        and type(bound[1]) in _PLAIN_NUMBERS
        and bound[0] <= bound[1]
    ):
        return bound
    try:
        start, end = bound
    except (TypeError, ValueError):
        raise InvalidBoundError(
            f"{axis} must be a (start, end) pair, got {axis}={bound!r}"
        ) from None
    start = to_python_number(start, f"{axis}1")
    end = to_python_number(end, f"{axis}2")
    if start > end:
        raise InvalidBoundError(
            f"{axis}1 must be <= {axis}2, got {axis}1={start!r}, {axis}2={end!r}"
        )
    return (start, end)


def check_axis(axis: Any) -> str:
    """Validate an axis name; returns it.

    Raises:
        InvalidAxisError: if ``axis`` is not one of ``'T'``, ``'X'``, ``'Y'``.
    """
    if not isinstance(axis, str) or axis not in AXES:
        raise InvalidAxisError(f"axis must be one of 'T', 'X', 'Y', got axis={axis!r}")
    return axis


def check_number(value: Any, name: str, allow_inf: bool = True) -> int | float:
    """Validate a scalar parameter such as a window or an epsilon.

    Raises:
        BoundTypeError: not a real number.
        InvalidBoundError: NaN, or infinite when ``allow_inf`` is False.
    """
    value = to_python_number(value, name)
    if not allow_inf and isinstance(value, float) and math.isinf(value):
        raise InvalidBoundError(f"{name} must be finite, got {name}={value!r}")
    return value
