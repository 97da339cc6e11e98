"""A JSON codec for payloads and domain keys that round-trips exactly.

Provides:
    encode: a Python value -> a JSON-compatible value (dicts, lists, str,
        int, float, bool, None) that ``decode`` turns back into an equal
        value of the same types.
    decode: the inverse of ``encode``.
    dumps / loads: ``encode`` / ``decode`` composed with ``json``.
    PayloadEncodeError: the ``TypeError`` raised for a value the codec
        cannot encode; its message names the type and the path inside the
        payload (``payload[2]['faces'][0]``).

Supported values: ``None``, ``bool``, ``int``, ``float`` (including
``inf``, ``-inf``, ``nan`` and ``-0.0``), ``str``, ``list``, ``tuple``,
``dict`` (any encodable keys), ``datetime.date``, ``datetime.datetime``
(naive or with a fixed UTC offset), ``Interval3D`` and ``IntervalSet3D``
(bounds keep their ``int``/``float`` type; nested payloads are encoded
recursively). numpy scalars (``np.int64``, ``np.float64``, ``np.bool_``,
``np.str_``) are accepted and read back as the equivalent Python value.
Anything else (sets, ``Decimal``, arbitrary objects, subclasses such as
``IntEnum``) raises :class:`PayloadEncodeError`: the codec never guesses.

Format. Plain JSON values stand for themselves, so stored payloads stay
queryable in SQL (``payload->>'name'``). Everything JSON cannot say is a
single-key object whose key is a tag:

- ``{"__tuple__": [...]}``;
- ``{"__float__": "inf"}``: non-finite floats, ``-0.0``, and floats whose
  ``repr`` has an exponent (PostgreSQL's ``jsonb`` prints ``1e+16`` as
  ``10000000000000000``, which would read back as an ``int``);
- ``{"__dict__": [[key, value], ...]}``: dicts with a non-``str`` key, or a
  single key that looks like a tag (so user data can never be mistaken
  for one);
- ``{"__date__": "2020-01-31"}``, ``{"__datetime__": "<isoformat>"}``;
- ``{"__interval3d__": [t1, t2, x1, x2, y1, y2, payload]}``;
- ``{"__set3d__": [[t1...], [t2...], [x1...], [x2...], [y1...], [y2...],
  [payload...]]}`` (columns; the set's order is kept as it is).

Dict key order is kept by ``json`` but not by PostgreSQL's ``jsonb``,
which orders keys itself; dict equality does not depend on it.

Cost: O(size of the value); no recursion limit beyond Python's.

Example:
    >>> loads(dumps({"faces": (1, 2.0), 3: float("inf")}))
    {'faces': (1, 2.0), 3: inf}
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any

import numpy as np

from .columns import Columns, _object_array
from .interval import Interval3D
from .interval_set import IntervalSet3D

__all__ = ["PayloadEncodeError", "decode", "dumps", "encode", "loads"]

TUPLE = "__tuple__"
FLOAT = "__float__"
DICT = "__dict__"
DATE = "__date__"
DATETIME = "__datetime__"
INTERVAL = "__interval3d__"
SET = "__set3d__"
TAGS = frozenset({TUPLE, FLOAT, DICT, DATE, DATETIME, INTERVAL, SET})

_SUPPORTED = (
    "None, bool, int, float, str, list, tuple, dict, datetime.date, "
    "datetime.datetime, Interval3D, IntervalSet3D"
)


class PayloadEncodeError(TypeError):
    """A value the payload codec cannot encode (names its type and path)."""


def _looks_like_tag(key: str) -> bool:
    return key.startswith("__") and key.endswith("__") and len(key) > 4


def _encode_float(value: float) -> Any:
    if math.isfinite(value):
        text = repr(value)
        if "e" not in text and not (value == 0.0 and math.copysign(1.0, value) < 0):
            return value
        return {FLOAT: text}
    return {FLOAT: repr(value)}  # 'inf', '-inf', 'nan'


#: Columns at least this long are checked with numpy; shorter ones (the
#: nested sets of ``group_by_time``, one or two rows) per element, which is
#: cheaper than a few numpy calls.
_VECTOR_MIN = 16


def _plain_floats(column: np.ndarray) -> np.ndarray:
    """Which values of a ``float64`` column JSON can carry as plain numbers.

    Exactly those ``_encode_float`` returns untagged: finite, not ``-0.0``,
    and with no exponent in their ``repr`` (Python's shortest repr uses one
    exactly when ``|v| < 1e-4`` or ``|v| >= 1e16``, zero aside). NaN
    compares false, so it is not plain.
    """
    magnitude = np.abs(column)
    return ((magnitude >= 1e-4) & (magnitude < 1e16)) | ((column == 0.0) & ~np.signbit(column))


def _encode_bound_column(column: np.ndarray) -> list[Any]:
    values = column.tolist()
    if column.dtype.kind != "f":
        return values
    if len(values) >= _VECTOR_MIN and column.dtype == np.float64:
        plain = _plain_floats(column)
        if plain.all():
            return values
        return [v if ok else _encode_float(v) for v, ok in zip(values, plain.tolist())]
    # Values in [1e-4, 1e16) are plain (see _plain_floats); the rest
    # (zeros, tiny, huge, non-finite) take the exact path.
    return [v if 1e-4 <= abs(v) < 1e16 else _encode_float(v) for v in values]


def _encode_columns(cols: Columns, path: str) -> list[Any]:
    out = [_encode_bound_column(b) for b in cols.bounds()]
    out.append([encode(p, path=f"{path}[{i}].payload") for i, p in enumerate(cols.payload)])
    return out


def encode(value: Any, *, path: str = "payload") -> Any:
    """Encodes ``value`` as JSON-compatible data that ``decode`` reverses exactly.

    Args:
        value: A payload or domain key (see the module docstring for the
            supported types).
        path: How to name ``value`` in error messages.

    Returns:
        Data made of dicts with ``str`` keys, lists, ``str``, ``int``,
        finite ``float``, ``bool`` and ``None``.

    Raises:
        PayloadEncodeError: (a ``TypeError``) if ``value`` or anything in
            it has an unsupported type; the message names the type and its
            path, e.g. ``payload[0]['faces']``.
    """
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        return _encode_float(value)
    if kind is list:
        return [encode(v, path=f"{path}[{i}]") for i, v in enumerate(value)]
    if kind is tuple:
        return {TUPLE: [encode(v, path=f"{path}[{i}]") for i, v in enumerate(value)]}
    if kind is dict:
        if all(type(k) is str for k in value) and not (
            len(value) == 1 and _looks_like_tag(next(iter(value)))
        ):
            return {k: encode(v, path=f"{path}[{k!r}]") for k, v in value.items()}
        return {
            DICT: [
                [encode(k, path=f"{path} key {k!r}"), encode(v, path=f"{path}[{k!r}]")]
                for k, v in value.items()
            ]
        }
    if kind is _dt.datetime:
        offset = value.utcoffset()
        if value.tzinfo is not None and offset is None:
            raise PayloadEncodeError(f"cannot encode datetime {value!r} at {path}: its tzinfo gives no UTC offset")
        return {DATETIME: value.isoformat()}
    if kind is _dt.date:
        return {DATE: value.isoformat()}
    if kind is IntervalSet3D:
        return {SET: _encode_columns(value.columns, path)}
    if kind is Interval3D:
        return {
            INTERVAL: [
                *(v if type(v) is int else _encode_float(float(v)) for v in (*value.t, *value.x, *value.y)),
                encode(value.payload, path=f"{path}.payload"),
            ]
        }
    if isinstance(value, np.generic):
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return _encode_float(float(value))
        if isinstance(value, np.str_):
            return str(value)
    raise PayloadEncodeError(
        f"cannot encode a value of type {kind.__module__}.{kind.__qualname__} at {path}: "
        f"{value!r:.80}; supported: {_SUPPORTED}"
    )


def _decode_float(text: Any) -> float:
    if not isinstance(text, str):
        raise ValueError(f"malformed {FLOAT} value: {text!r}")
    return float(text)


def _decode_bound_column(values: list[Any]) -> list[Any]:
    return [_decode_float(v[FLOAT]) if type(v) is dict else v for v in values]


def decode(data: Any) -> Any:
    """Turns ``encode`` output back into the value that was encoded.

    Args:
        data: JSON-compatible data, as ``encode`` made it (or as ``json``
            / a database ``JSONField`` read it back).

    Returns:
        The original value, with the same types (``tuple`` vs ``list``,
        ``int`` vs ``float`` bounds, ``IntervalSet3D`` ...).

    Raises:
        ValueError: If a tagged object is malformed.
    """
    kind = type(data)
    if kind is list:
        return [decode(v) for v in data]
    if kind is not dict:
        return data
    if len(data) == 1:
        ((tag, body),) = data.items()
        if tag in TAGS:
            return _decode_tagged(tag, body)
    return {k: decode(v) for k, v in data.items()}


def _decode_tagged(tag: str, body: Any) -> Any:
    if tag == TUPLE:
        return tuple(decode(v) for v in body)
    if tag == FLOAT:
        return _decode_float(body)
    if tag == DICT:
        return {_hashable(decode(k)): decode(v) for k, v in body}
    if tag == DATETIME:
        return _dt.datetime.fromisoformat(body)
    if tag == DATE:
        return _dt.date.fromisoformat(body)
    if tag == INTERVAL:
        if not isinstance(body, list) or len(body) != 7:
            raise ValueError(f"malformed {INTERVAL} value: {body!r:.80}")
        b = _decode_bound_column(body[:6])
        return Interval3D((b[0], b[1]), (b[2], b[3]), (b[4], b[5]), decode(body[6]))
    if tag == SET:
        if not isinstance(body, list) or len(body) != 7:
            raise ValueError(f"malformed {SET} value: {body!r:.80}")
        bounds = [_decode_bound_column(col) for col in body[:6]]
        payload = _object_array([decode(p) for p in body[6]])
        return IntervalSet3D._from_columns(Columns.from_bounds(*bounds, payload=payload), presorted=True)
    raise ValueError(f"unknown tag {tag!r}")  # pragma: no cover - TAGS is closed


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        raise ValueError(f"malformed {DICT} value: unhashable key {key!r:.80}") from None
    return key


def dumps(value: Any, *, path: str = "payload") -> str:
    """``json.dumps(encode(value))`` (compact, ASCII, no NaN literals).

    Raises:
        PayloadEncodeError: As ``encode``.
    """
    return json.dumps(encode(value, path=path), separators=(",", ":"), allow_nan=False)


def loads(text: str | bytes) -> Any:
    """``decode(json.loads(text))``."""
    return decode(json.loads(text))
