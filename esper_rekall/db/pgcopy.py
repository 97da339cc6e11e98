"""PostgreSQL binary ``COPY`` input built from numpy columns.

Provides:
    CopyColumn: one column to write: its PostgreSQL binary type, its values
        (a numpy array, or ``{row: text}`` for sparse text/jsonb columns) and
        which rows are NULL.
    binary_copy_data: the whole ``COPY ... FROM STDIN (FORMAT binary)``
        stream for ``n`` rows, as bytes.
    copy_from_columns: run that ``COPY`` into a table on a Django connection.

Why: the text format needs one ``repr`` per float and escaping per value;
the binary format is fixed-width big-endian values with a length prefix.
Rows that share which columns are NULL share one layout, so each such group
is one numpy structured array filled column by column and written with
``tobytes()`` — no Python loop over rows. Rows with a text or jsonb value
(opaque payloads, non-integer domain keys) are packed one by one: they
already cost a JSON encoding each.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["CopyColumn", "binary_copy_data", "copy_from_columns"]

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_FIXED = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8"}
_VARIABLE = ("text", "jsonb")


@dataclass(frozen=True)
class CopyColumn:
    """One column of a binary COPY.

    Attributes:
        name: the table column.
        pg_type: ``int2``, ``int4``, ``int8``, ``float8``, ``text`` or ``jsonb``.
        values: for fixed-width types a numpy array of length ``n``; for
            ``text``/``jsonb`` a ``{row: str}`` mapping (other rows NULL).
        null: rows that are NULL (fixed-width types only; None: none).
    """

    name: str
    pg_type: str
    values: Any
    null: npt.NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        if self.pg_type not in _FIXED and self.pg_type not in _VARIABLE:
            raise ValueError(f"unsupported binary COPY type {self.pg_type!r}")

    @property
    def fixed(self) -> bool:
        return self.pg_type in _FIXED

    def present(self, n: int) -> npt.NDArray[np.bool_]:
        """Rows with a value (not NULL)."""
        if self.fixed:
            return np.ones(n, dtype=bool) if self.null is None else ~self.null
        mask = np.zeros(n, dtype=bool)
        if self.values:
            mask[np.fromiter(self.values.keys(), dtype=np.int64, count=len(self.values))] = True
        return mask


def _pack_value(column: CopyColumn, row: int) -> bytes:
    if column.fixed:
        raw = np.asarray(column.values[row], dtype=_FIXED[column.pg_type]).tobytes()
    else:
        raw = column.values[row].encode("utf-8")
        if column.pg_type == "jsonb":
            raw = b"\x01" + raw  # jsonb binary format version 1
    return struct.pack(">i", len(raw)) + raw


def binary_copy_data(n: int, columns: Sequence[CopyColumn]) -> bytes:
    """The binary COPY stream (header, ``n`` rows, trailer) of ``columns``.

    Row order in the stream follows NULL patterns, not row numbers: callers
    that need an order store it in a column.
    """
    present = [c.present(n) for c in columns]
    pattern = np.zeros(n, dtype=np.int64)
    for k, mask in enumerate(present):
        pattern |= mask.astype(np.int64) << k
    variable = np.zeros(n, dtype=bool)
    for c, mask in zip(columns, present):
        if not c.fixed:
            variable |= mask
    parts = [_SIGNATURE]
    fixed_rows = np.flatnonzero(~variable)
    for pat in np.unique(pattern[fixed_rows]).tolist():
        rows = fixed_rows[pattern[fixed_rows] == pat]
        fields: list[tuple[str, str]] = [("n", ">i2")]
        for k, c in enumerate(columns):
            fields.append((f"l{k}", ">i4"))
            if pat >> k & 1:
                fields.append((f"v{k}", _FIXED[c.pg_type]))
        block = np.empty(len(rows), dtype=np.dtype(fields))
        block["n"] = len(columns)
        for k, c in enumerate(columns):
            if pat >> k & 1:
                block[f"l{k}"] = np.dtype(_FIXED[c.pg_type]).itemsize
                block[f"v{k}"] = c.values[rows]
            else:
                block[f"l{k}"] = -1
        parts.append(block.tobytes())
    count = struct.pack(">h", len(columns))
    null = struct.pack(">i", -1)
    for row in np.flatnonzero(variable).tolist():
        parts.append(count)
        for c, mask in zip(columns, present):
            parts.append(_pack_value(c, row) if mask[row] else null)
    parts.append(_TRAILER)
    return b"".join(parts)


def copy_from_columns(connection: Any, table: str, n: int, columns: Sequence[CopyColumn]) -> None:
    """``COPY table (columns) FROM STDIN (FORMAT binary)`` of ``n`` rows.

    ``table`` and the column names come from model metadata, quoted by the
    connection; no value is ever formatted into the SQL.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(c.name) for c in columns)
    data = io.BytesIO(binary_copy_data(n, columns))
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {quote(table)} ({names}) FROM STDIN WITH (FORMAT binary)", data)
