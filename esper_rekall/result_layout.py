"""The stored layout of a collection: flat numeric row columns, nested sets as rows.

Provides:
    StoredRows: every row of one stored chunk as numpy columns — top-level
        intervals first, then the intervals of their nested sets, level by
        level; a row with a nested set points at its children with
        ``child_start``/``child_count`` (offsets, as Arrow list arrays do) and
        each child names its parent in ``parent_row``.
    encode_rows: a ``DomainIntervalCollection`` as ``StoredRows``; raises
        before anything is written if a key or payload cannot be encoded.
    decode_rows: ``StoredRows`` (of one or several chunks) back into the
        collection, nested sets rebuilt as columnar ``NestedSets`` views.
    PayloadKind: how a row's payload is stored (the ``payload_kind`` column).
    bound_nulls: which stored bounds are left NULL (the NULL conventions).
    fill_bounds: the bounds left NULL restored, in place, after reading.

Why: bounds as JSON text cost ~15x the query that produced them and ~3x the
space of the label rows. Here bounds stay float64 columns at every depth, a
plain ``int``/``float``/``str``/``bool`` payload has a typed column, and JSON
(the payload codec's form) is left only for opaque leaves (dicts, lists,
tuples, dates...). Encoding and decoding work on whole columns; Python
touches one object per row only for JSON leaves and for payload columns that
are plain object arrays of mixed values.

Pure: no Django import (the database side is ``storage`` and ``db.pgcopy``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from functools import partial
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from .intervals import payload_codec
from .intervals.collection import DomainIntervalCollection
from .intervals.columns import BOUND_NAMES, Columns, _object_array
from .intervals.interval_set import IntervalSet3D, sort_columns
from .intervals.kernels import expand_ranges
from .intervals.nested import CollectedPayloads, NestedSets

__all__ = [
    "ROW_ID_SHIFT",
    "SPATIAL_DEFAULTS",
    "PayloadKind",
    "StoredRows",
    "bound_nulls",
    "decode_rows",
    "encode_rows",
    "fill_bounds",
    "int_axes_of",
]

IntArray = npt.NDArray[np.int64]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_AXES = ("t", "x", "y")

#: A stored row's ``id`` is ``chunk_id << ROW_ID_SHIFT | row``: a chunk holds fewer than 2**32 rows.
ROW_ID_SHIFT = 32

#: The spatial bounds a row stores as NULL when it holds exactly (bit for bit) this value.
SPATIAL_DEFAULTS = {"x1": 0.0, "x2": 1.0, "y1": 0.0, "y2": 1.0}


class PayloadKind(IntEnum):
    """The ``payload_kind`` column: leaf kind | shape | int axes of the nested set.

    Bits 0-2, the leaf: which payload column holds the value. Bits 3-4, the
    shape: a plain leaf, a nested set (children rows), or the pair
    ``(leaf, nested set)`` of ``collect_by_interval``. Bits 5-7: which axes
    of the nested set have integer bounds (``t``, ``x``, ``y``).
    """

    NONE = 0
    BOOL = 1  # payload_int 0/1
    INT = 2  # payload_int
    FLOAT = 3  # payload_float
    STR = 4  # payload_str
    JSON = 5  # payload (the payload codec's JSON form)
    SET = 8
    PAIR = 16


_LEAF_MASK = 7
_SHAPE_MASK = 24
_AXIS_BITS = {"t": 32, "x": 64, "y": 128}


def int_axes_of(cols: Columns) -> str:
    """The axes (``"t"``, ``"x"``, ``"y"``) whose bound columns are integers."""
    return "".join(a for a in _AXES if cols.bounds()[2 * _AXES.index(a)].dtype.kind in "iu")


def _axis_bits(int_axes: str) -> int:
    return sum(_AXIS_BITS[a] for a in int_axes)


def _axes_from_bits(kind: int) -> str:
    return "".join(a for a in _AXES if kind & _AXIS_BITS[a])


@dataclass
class StoredRows:
    """Every row of one stored chunk (or, loaded, of several) as columns.

    Attributes:
        n_top: rows ``0:n_top`` are the collection's intervals (in collection
            order); the rest are nested-set rows, level after level, each
            set's rows contiguous and in set order.
        parent_row: the row whose nested set holds this row; -1 at the top.
        child_start, child_count: this row's nested set is rows
            ``child_start:child_start + child_count`` (-1 and 0 without one).
        domain_int: the domain key when it is an ``int`` in int64 (top rows).
        domain_json: ``{row: codec JSON text}`` for the other top-row keys.
        bounds: six float64 columns (``t1 .. y2``).
        kind: ``PayloadKind`` bits per row (int16).
        payload_int: ``int``/``bool`` leaves (0 elsewhere).
        payload_float: ``float`` leaves (0.0 elsewhere).
        payload_str: ``{row: str}`` for ``str`` leaves.
        payload_json: ``{row: codec JSON text}`` for the other leaves.
        int_axes: the top level's integer axes.
    """

    n_top: int
    parent_row: IntArray
    child_start: IntArray
    child_count: IntArray
    domain_int: IntArray
    domain_int_null: npt.NDArray[np.bool_]
    domain_json: dict[int, str]
    bounds: list[npt.NDArray[np.float64]]
    kind: npt.NDArray[np.int16]
    payload_int: IntArray
    payload_float: npt.NDArray[np.float64]
    payload_str: dict[int, str] = field(default_factory=dict)
    payload_json: dict[int, str] = field(default_factory=dict)
    int_axes: str = ""

    def __len__(self) -> int:
        return len(self.kind)


# ----------------------------------------------------------------- encoding
@dataclass
class _Leaves:
    """Leaf payloads of one level, encoded column-wise."""

    kind: npt.NDArray[np.int16]
    ints: IntArray
    floats: npt.NDArray[np.float64]
    strs: dict[int, str]
    json: dict[int, str]


def _leaf(value: Any, path: str) -> tuple[int, Any]:
    """``(leaf kind, stored value)`` of one payload that is not a nested set."""
    if value is None:
        return PayloadKind.NONE, None
    t = type(value)
    if t is bool:
        return PayloadKind.BOOL, int(value)
    if t is int and _INT64_MIN <= value <= _INT64_MAX:
        return PayloadKind.INT, value
    if t is float and math.isfinite(value) and type(payload_codec.encode(value)) is float:
        return PayloadKind.FLOAT, value
    if t is str and "\x00" not in value:
        return PayloadKind.STR, value
    return PayloadKind.JSON, payload_codec.dumps(value, path=path)


def _encode_leaves(values: Sequence[Any], path: Callable[[int], str], types: set[type] | None = None) -> _Leaves:
    """Leaf payloads as typed columns; whole-column fast paths for ints and None.

    ``types``: the set of the values' types, when the caller has it already.
    """
    n = len(values)
    kind = np.zeros(n, dtype=np.int16)
    ints = np.zeros(n, dtype=np.int64)
    floats = np.zeros(n, dtype=np.float64)
    strs: dict[int, str] = {}
    json: dict[int, str] = {}
    arr = _object_array(values)
    if types is None:
        types = set(map(type, arr))
    if types <= {type(None)}:
        return _Leaves(kind, ints, floats, strs, json)
    if types == {int}:
        try:
            ints = np.asarray(arr.tolist(), dtype=np.int64)
        except OverflowError:
            pass
        else:
            kind[:] = PayloadKind.INT
            return _Leaves(kind, ints, floats, strs, json)
    for i, v in enumerate(arr.tolist()):
        k, stored = _leaf(v, path(i))
        kind[i] = k
        if k in (PayloadKind.BOOL, PayloadKind.INT):
            ints[i] = stored
        elif k == PayloadKind.FLOAT:
            floats[i] = stored
        elif k == PayloadKind.STR:
            strs[i] = stored
        elif k == PayloadKind.JSON:
            json[i] = stored
    return _Leaves(kind, ints, floats, strs, json)


def _is_set(value: Any) -> bool:
    return isinstance(value, IntervalSet3D)


def _is_pair(value: Any) -> bool:
    return type(value) is tuple and len(value) == 2 and _is_set(value[1]) and not _is_set(value[0])


@dataclass
class _Level:
    """One level's rows: bounds, payload kinds/leaves, and its nested sets."""

    cols: Columns
    leaves: _Leaves
    shape: npt.NDArray[np.int16]  # SET / PAIR bits and the nested sets' axis bits
    child_counts: IntArray
    children: Columns | None  # the next level's rows, in parent order


def _encode_level(cols: Columns, path: Callable[[int], str]) -> _Level:
    """Split a level's payloads into leaves and nested sets (the next level)."""
    payload = cols.payload
    n = len(cols)
    shape = np.zeros(n, dtype=np.int16)
    counts = np.zeros(n, dtype=np.int64)
    if isinstance(payload, NestedSets):
        c = payload.compact()
        shape[:] = PayloadKind.SET | _axis_bits(int_axes_of(c.child))
        return _Level(cols, _encode_leaves([None] * n, path), shape, c.sizes(), c.child)
    if isinstance(payload, CollectedPayloads):
        c = payload.sets.compact()
        shape[:] = PayloadKind.PAIR | _axis_bits(int_axes_of(c.child))
        return _Level(cols, _encode_leaves(payload.left, path), shape, c.sizes(), c.child)
    values = _object_array(payload)
    types = set(map(type, values))
    if not any(t is tuple or issubclass(t, IntervalSet3D) for t in types):
        # One pass in C over the types: no payload can be a set or a pair.
        return _Level(cols, _encode_leaves(values, path, types), shape, counts, None)
    has_set = [i for i, v in enumerate(values.tolist()) if _is_set(v) or _is_pair(v)]
    if not has_set:
        return _Level(cols, _encode_leaves(values, path, types), shape, counts, None)
    leaves_in: list[Any] = list(values)
    sets: list[Columns] = []
    for i in has_set:
        v = values[i]
        if _is_set(v):
            s, shape[i], leaves_in[i] = v, PayloadKind.SET, None
        else:
            leaves_in[i], s = v
            shape[i] = PayloadKind.PAIR
        shape[i] |= _axis_bits(int_axes_of(s.columns))
        counts[i] = len(s)
        sets.append(s.columns)
    return _Level(cols, _encode_leaves(leaves_in, path), shape, counts, Columns.concat(sets))


def _nested_path(depth: int, i: int) -> str:
    return f"payload of nested interval {i} at depth {depth}"


def _domain_columns(coll: DomainIntervalCollection) -> tuple[IntArray, npt.NDArray[np.bool_], dict[int, str]]:
    keys = coll.domain_keys
    key_int = np.zeros(len(keys), dtype=np.int64)
    key_null = np.ones(len(keys), dtype=bool)
    key_json: dict[int, str] = {}
    for code, k in enumerate(keys):
        if type(k) is int and _INT64_MIN <= k <= _INT64_MAX:
            key_int[code], key_null[code] = k, False
        else:
            key_json[code] = payload_codec.dumps(k, path=f"domain key {k!r:.60}")
    dom = coll.domain_codes
    domain_json = {}
    if key_json:
        for row in np.flatnonzero(key_null[dom]).tolist():
            domain_json[row] = key_json[int(dom[row])]
    return key_int[dom], key_null[dom], domain_json


def encode_rows(coll: DomainIntervalCollection) -> StoredRows:
    """Every interval of ``coll`` and of its nested sets, as stored rows.

    Everything is encoded before anything is written, so an unsupported key
    or payload fails the whole chunk with nothing stored.

    Raises:
        TypeError: ``coll`` is not a ``DomainIntervalCollection``, or a key
            or payload cannot be encoded (the message names its path).
    """
    if not isinstance(coll, DomainIntervalCollection):
        raise TypeError(f"only a DomainIntervalCollection can be stored, got {type(coll).__name__}: {coll!r:.100}")
    top = coll.columns
    domain_int, domain_null, domain_json = _domain_columns(coll)
    levels: list[_Level] = []
    cols: Columns | None = top
    depth = 0
    keys, dom = coll.domain_keys, coll.domain_codes

    def top_path(i: int) -> str:
        return f"payload of interval {i} of domain {keys[dom[i]]!r:.60}"

    while cols is not None and len(cols):
        level = _encode_level(cols, top_path if depth == 0 else partial(_nested_path, depth))
        levels.append(level)
        cols = level.children
        depth += 1
    n_total = sum(len(lv.cols) for lv in levels)
    parent = np.full(n_total, -1, dtype=np.int64)
    child_start = np.full(n_total, -1, dtype=np.int64)
    child_count = np.zeros(n_total, dtype=np.int64)
    base = 0
    for lv in levels:
        n = len(lv.cols)
        next_base = base + n
        has = lv.child_counts > 0
        offsets = next_base + np.cumsum(lv.child_counts) - lv.child_counts
        child_start[base:next_base] = np.where(has | (lv.shape != 0), offsets, -1)
        child_count[base:next_base] = lv.child_counts
        if lv.children is not None:
            parent[next_base : next_base + len(lv.children)] = np.repeat(
                np.arange(base, next_base, dtype=np.int64), lv.child_counts
            )
        base = next_base
    shift = np.cumsum([0] + [len(lv.cols) for lv in levels])
    pad = n_total - len(top)
    return StoredRows(
        n_top=len(top),
        parent_row=parent,
        child_start=child_start,
        child_count=child_count,
        domain_int=np.concatenate([domain_int, np.zeros(pad, dtype=np.int64)]),
        domain_int_null=np.concatenate([domain_null, np.ones(pad, dtype=bool)]),
        domain_json=domain_json,
        bounds=[
            np.concatenate([np.asarray(lv.cols.bounds()[k], dtype=np.float64) for lv in levels])
            if levels else np.empty(0)
            for k in range(len(BOUND_NAMES))
        ],
        kind=(np.concatenate([lv.leaves.kind | lv.shape for lv in levels]) if levels else np.empty(0, np.int16)).astype(np.int16),
        payload_int=np.concatenate([lv.leaves.ints for lv in levels]) if levels else np.empty(0, np.int64),
        payload_float=np.concatenate([lv.leaves.floats for lv in levels]) if levels else np.empty(0),
        payload_str={int(s) + i: v for lv, s in zip(levels, shift) for i, v in lv.leaves.strs.items()},
        payload_json={int(s) + i: v for lv, s in zip(levels, shift) for i, v in lv.leaves.json.items()},
        int_axes=int_axes_of(top),
    )


# ------------------------------------------------------- NULL conventions
def _bits(col: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """A float column's bit patterns: ``-0.0`` is not ``+0.0``."""
    return np.ascontiguousarray(col, dtype=np.float64).view(np.int64)


def bound_nulls(rows: StoredRows) -> list[npt.NDArray[np.bool_]]:
    """Which bounds of ``rows`` are stored as NULL, one mask per column of ``rows.bounds``.

    A nested row's ``t1``/``t2`` when bit-equal to its parent's (always so
    under ``group_by_time``); ``x1``/``y1`` when ``+0.0`` and ``x2``/``y2``
    when ``1.0``, at any level (a full-frame interval stores no spatial
    bound). Bit-equal, so ``-0.0`` and every other value (infinities
    included) are stored as they are. Why: a NULL costs one bit of the
    row's NULL bitmap instead of 8 bytes; these are most bounds of a stored
    ``group_by_time`` (frames are full-frame, faces share their frame's time).
    """
    nested = np.flatnonzero(rows.parent_row >= 0)
    parents = rows.parent_row[nested]
    masks = []
    for name, col in zip(BOUND_NAMES, rows.bounds):
        bits = _bits(col)
        if name[0] == "t":
            mask = np.zeros(len(col), dtype=bool)
            mask[nested] = bits[nested] == bits[parents]
        else:
            mask = bits == _bits(np.array([SPATIAL_DEFAULTS[name]]))[0]
        masks.append(mask)
    return masks


def fill_bounds(rows: StoredRows) -> None:
    """Restores, in place, the bounds ``bound_nulls`` left out, read back as NaN.

    A spatial bound gets its default; a nested row's ``t1``/``t2`` its
    parent's (level after level, so a grandchild gets its parent's restored
    value). Children are found through ``child_start``/``child_count``,
    which every read rebases to positions in ``rows``. NaN stands for NULL
    because no stored bound is NaN (bounds are validated).

    Rows that no parent in ``rows`` points at (read along with a range of
    children) are left as they are: nothing decodes them.

    Raises:
        ValueError: a NULL ``t1``/``t2`` has no parent value to take.
    """
    for name, col in zip(BOUND_NAMES, rows.bounds):
        if name[0] != "t":
            col[np.isnan(col)] = SPATIAL_DEFAULTS[name]
    parents = np.flatnonzero(rows.child_count > 0)
    starts = rows.child_start[parents]
    owner, children = expand_ranges(starts, starts + rows.child_count[parents])
    owner = parents[owner]
    for col in rows.bounds[:2]:
        missing = np.isnan(col[children])
        while missing.any():
            col[children[missing]] = col[owner[missing]]
            still = np.isnan(col[children])
            if np.array_equal(still, missing):
                raise ValueError("a stored nested interval's time bound is NULL and so is its parent's")
            missing = still
    top = rows.parent_row < 0
    if np.isnan(rows.bounds[0][top]).any() or np.isnan(rows.bounds[1][top]).any():
        raise ValueError("a stored top-level interval's time bound is NULL")


# ----------------------------------------------------------------- decoding
def _typed_bounds(rows: StoredRows, index: npt.NDArray[np.intp], int_axes: str) -> list[npt.NDArray[Any]]:
    out = []
    for k, name in enumerate(BOUND_NAMES):
        col = rows.bounds[k][index]
        out.append(col.astype(np.int64) if name[0] in int_axes else col)
    return out


def _decode_leaves(rows: StoredRows, index: npt.NDArray[np.intp]) -> npt.NDArray[np.object_]:
    leaf = rows.kind[index] & _LEAF_MASK
    out = np.full(len(index), None, dtype=object)
    if not len(index):
        return out
    if (leaf == PayloadKind.INT).all():
        out[:] = rows.payload_int[index].tolist()
        return out
    for k, conv in ((PayloadKind.INT, None), (PayloadKind.BOOL, bool), (PayloadKind.FLOAT, None)):
        sel = np.flatnonzero(leaf == k)
        if len(sel):
            source = rows.payload_float if k == PayloadKind.FLOAT else rows.payload_int
            values = source[index[sel]].tolist()
            out[sel] = [conv(v) for v in values] if conv else values
    for k, table, conv in (
        (PayloadKind.STR, rows.payload_str, None),
        (PayloadKind.JSON, rows.payload_json, payload_codec.loads),
    ):
        sel = np.flatnonzero(leaf == k)
        if len(sel):
            rows_sel = index[sel].tolist()
            out[sel] = [conv(table[r]) if conv else table[r] for r in rows_sel]
    return out


def _decode_level(rows: StoredRows, index: npt.NDArray[np.intp], int_axes: str) -> Columns:
    """The rows ``index`` (one level, in order) as Columns with decoded payloads."""
    payload = _payloads(rows, index)
    return Columns(*_typed_bounds(rows, index, int_axes), payload=payload)


def _payloads(rows: StoredRows, index: npt.NDArray[np.intp]) -> Sequence[Any]:
    kind = rows.kind[index].astype(np.int64)
    shape = kind & _SHAPE_MASK
    if not len(index) or not shape.any():
        return _decode_leaves(rows, index)
    axis_bits = kind & sum(_AXIS_BITS.values())
    uniform = bool((shape == shape[0]).all() and (axis_bits == axis_bits[0]).all())
    starts = rows.child_start[index]
    counts = rows.child_count[index]
    if uniform:
        _, child_index = expand_ranges(starts, starts + counts)
        child = _decode_level(rows, child_index, _axes_from_bits(int(axis_bits[0])))
        stops = np.cumsum(counts)
        sets = NestedSets(child, stops - counts, stops, IntervalSet3D)
        if shape[0] == PayloadKind.SET:
            return sets
        return CollectedPayloads(_decode_leaves(rows, index), sets)
    leaves = _decode_leaves(rows, index)
    out = np.full(len(index), None, dtype=object)
    for i, (s, c, sh, bits) in enumerate(zip(starts.tolist(), counts.tolist(), shape.tolist(), axis_bits.tolist())):
        if not sh:
            out[i] = leaves[i]
            continue
        child = _decode_level(rows, np.arange(s, s + c, dtype=np.intp), _axes_from_bits(bits))
        nested = IntervalSet3D._from_columns(child, presorted=True)
        out[i] = nested if sh == PayloadKind.SET else (leaves[i], nested)
    return out


def decode_rows(rows: StoredRows, int_axes: str) -> DomainIntervalCollection:
    """The collection stored in ``rows`` (top rows: ``parent_row == -1``).

    Args:
        rows: rows of one or more chunks, one chunk after another; offsets
            (``child_start``, ``parent_row``) index into ``rows`` itself.
        int_axes: the top level's integer axes.
    """
    top = np.flatnonzero(rows.parent_row < 0)
    if not len(top):
        return DomainIntervalCollection()
    cols = _decode_level(rows, top, int_axes)
    keys, dom = _domain_keys(rows, top)
    cols, dom = sort_columns(cols, dom)
    return DomainIntervalCollection._build(keys, cols, dom, drop_empty=False)


def _domain_keys(rows: StoredRows, top: npt.NDArray[np.intp]) -> tuple[list[Hashable], IntArray]:
    """Key table (in order of first appearance) and per-row codes of the top rows."""
    null = rows.domain_int_null[top]
    values = rows.domain_int[top]
    keys: list[Hashable] = []
    index: dict[Hashable, int] = {}
    codes = np.empty(len(top), dtype=np.int64)
    ints = np.flatnonzero(~null)
    if len(ints):
        uniq, first, inverse = np.unique(values[ints], return_index=True, return_inverse=True)
        remap = np.empty(len(uniq), dtype=np.int64)
        for u in np.argsort(first, kind="stable").tolist():
            remap[u] = index.setdefault(int(uniq[u]), len(index))
        codes[ints] = remap[inverse.reshape(-1)]
    others = np.flatnonzero(null)
    if len(others):
        texts = [rows.domain_json[r] for r in top[others].tolist()]
        decoded = {t: payload_codec.loads(t) for t in set(texts)}
        codes[others] = [index.setdefault(decoded[t], len(index)) for t in texts]
    keys = list(index)
    # Codes in order of first appearance over all rows, as a union of chunks would.
    order = np.full(len(keys), len(top), dtype=np.int64)
    np.minimum.at(order, codes, np.arange(len(top)))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.argsort(order, kind="stable")] = np.arange(len(keys))
    return [keys[i] for i in np.argsort(order, kind="stable").tolist()], rank[codes]
