"""Querysets and row streams into ``DomainIntervalCollection`` columns.

Provides:
    materialize(qs, schema, with_payload=None, progress=False): run ``qs``
        once and build a collection from the schema's columns, without
        creating model instances.
    rows_to_collection(rows, columns, progress=False, total=None): a
        collection from tuples whose positions are named by canonical
        names (``domain, t1, t2, x1, x2, y1, y2, payload``).
    CHUNK_SIZE: rows per chunk (memory per chunk, progress granularity).

How rows are read (fastest first; measured on 1.09M faces, see
``bench/pushdown.py``):

- PostgreSQL with psycopg2, every selected column of a fixed-width type
  (``int2/int4/int8``, ``float8``, ``bool``) whose Django output field
  agrees (an integer field, ``FloatField``, ``BooleanField``): the
  queryset's SQL, compiled by Django and bound by ``cursor.mogrify``, runs
  as ``COPY (SELECT ...) TO STDOUT (FORMAT binary)``; the stream is cut
  into chunks of fixed-size rows and decoded with ``np.frombuffer``: no
  Python object per value. On the tutorial's 1.09M faces: ~1.0 s for the
  COPY itself, 1.3-1.8 s for the whole collection, against 2.8 s just to
  read the same rows through a server-side cursor (6.3 s with the garbage
  collector running).
- Otherwise (other types, NULLs in the stream, SQLite, psycopg 3): a
  ``values_list`` of exactly the needed columns, read with
  ``.iterator(chunk_size=CHUNK_SIZE)`` (a server-side cursor on
  PostgreSQL), transposed chunk by chunk into numpy.

Either way memory is proportional to the result (the columns being built
plus one chunk), and the cyclic garbage collector is paused while rows are
read: it would otherwise rescan the growing row tuples again and again
(2.3x slower on 1M rows).

Values keep their Python types: integer bounds make ``int64`` columns
(``float64`` as soon as one end of an axis is a float, as in
``Columns.from_bounds``); domain keys and field payloads are what
``values_list`` returns (``int`` ids, strings, dates...). A NULL or
non-numeric bound, a NaN, or ``t1 > t2`` (``x1 > x2``, ``y1 > y2``) raises
``InvalidBoundError``/``BoundTypeError`` naming the value and its domain.
"""

from __future__ import annotations

import contextlib
import io
import numbers
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Iterator, Sequence

import numpy as np
import numpy.typing as npt
from django.core.exceptions import EmptyResultSet
from django.db import connections

from ..intervals.collection import DomainIntervalCollection
from ..intervals.columns import BOUND_NAMES, Columns
from ..intervals.errors import BoundTypeError, InvalidBoundError
from ..intervals.interval import bulk_objects
from ..intervals.interval_set import sort_columns
from .accessors import payload_fetch_paths, probe_fields, row_class
from .key_filters import propagate_key_filters
from .schema import CANONICAL_NAMES, IntervalSchema

if TYPE_CHECKING:
    from django.db.models import QuerySet

__all__ = ["CHUNK_SIZE", "load_queryset", "materialize", "rows_to_collection", "column_chunks_to_collection"]

CHUNK_SIZE = 20_000

# PostgreSQL type OID -> big-endian binary COPY dtype, for fixed-width types.
_PG_FIXED: dict[int, str] = {16: "?", 20: ">i8", 21: ">i2", 23: ">i4", 701: ">f8"}
_PG_INT_OIDS = {20, 21, 23}
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


@contextlib.contextmanager
def _progress_bar(progress: bool, total: int | None) -> Iterator[Any]:
    if not progress:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, unit="rows")
    try:
        yield bar
    finally:
        bar.close()


def _object_column(values: Any) -> npt.NDArray[np.object_]:
    """``values`` as a 1-D object array; nested lists/sets are kept as elements."""
    if isinstance(values, np.ndarray):
        return values.astype(object)  # numpy scalars become Python int/float/bool
    return np.fromiter(values, dtype=object, count=len(values))


def _bound_chunk(values: Any, name: str) -> npt.NDArray[Any]:
    """One chunk of a bound column as ``int64`` or ``float64``.

    Raises:
        BoundTypeError: a value that is not a real number (NULL included).
    """
    arr = values if isinstance(values, np.ndarray) else np.asarray(values)
    kind = arr.dtype.kind
    if kind in "iu":
        return arr.astype(np.int64, copy=False)
    if kind == "f":
        return arr.astype(np.float64, copy=False)
    for v in arr.tolist() if kind != "O" else arr:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            shown = "NULL" if v is None else repr(v)
            raise BoundTypeError(
                f"{name} must be a real number, got {name}={shown} of type {type(v).__name__}"
            )
    return arr.astype(np.float64)


class _Builder:
    """Accumulates chunks of canonical columns; ``finish()`` makes the collection."""

    def __init__(self, names: Sequence[str], payload_fn: Callable[[Sequence[Any]], list[Any]] | None) -> None:
        self.names = list(names)
        self.keys: list[Hashable] = []
        self.index: dict[Hashable, int] = {}
        self.codes: list[npt.NDArray[np.int64]] = []
        self.bounds: dict[str, list[npt.NDArray[Any]]] = {b: [] for b in BOUND_NAMES if b in names}
        self.payload: list[npt.NDArray[np.object_]] = []
        self.payload_fn = payload_fn
        self.n = 0

    def _encode_domain(self, values: Any) -> npt.NDArray[np.int64]:
        index, keys = self.index, self.keys
        arr = values if isinstance(values, np.ndarray) else None
        if arr is None and len(values) and type(values[0]) is int:
            arr = np.asarray(values)
            if arr.dtype.kind not in "iu":
                arr = None
        if arr is not None and arr.dtype.kind in "iub":
            uniq, first, inverse = np.unique(arr, return_index=True, return_inverse=True)
            remap = np.empty(len(uniq), dtype=np.int64)
            ukeys = uniq.tolist()
            for u in np.argsort(first, kind="stable").tolist():
                key = ukeys[u]
                code = index.get(key)
                if code is None:
                    code = index[key] = len(keys)
                    keys.append(key)
                remap[u] = code
            return remap[inverse.reshape(-1)]
        try:
            codes = [index.setdefault(k, len(index)) for k in values]
        except TypeError:
            bad = next(k for k in values if not isinstance(k, Hashable))
            raise TypeError(f"a domain key must be hashable, got domain={bad!r}") from None
        if len(index) > len(keys):
            keys.extend(list(index)[len(keys):])
        return np.asarray(codes, dtype=np.int64)

    def add(self, chunk: Sequence[Any]) -> int:
        """Add one chunk: ``chunk[i]`` is the column named ``names[i]``."""
        cols = dict(zip(self.names, chunk))
        n = len(cols["domain"])
        if n == 0:
            return 0
        self.codes.append(self._encode_domain(cols["domain"]))
        for b, parts in self.bounds.items():
            parts.append(_bound_chunk(cols[b], b))
        if self.payload_fn is not None:
            self.payload.append(_object_column(self.payload_fn(chunk)))
        elif "payload" in cols:
            self.payload.append(_object_column(cols["payload"]))
        self.n += n
        return n

    def finish(self) -> DomainIntervalCollection:
        n = self.n
        if n == 0:
            return DomainIntervalCollection._build([], Columns.empty(), np.empty(0, dtype=np.int64))
        dom = np.concatenate(self.codes)
        bounds: dict[str, npt.NDArray[Any]] = {}
        for b in BOUND_NAMES:
            parts = self.bounds.get(b)
            if parts is None:
                bounds[b] = np.full(n, 0 if b.endswith("1") else 1, dtype=np.int64)
            else:
                bounds[b] = np.concatenate(parts) if len(parts) > 1 else parts[0]
        for a, b in (("t1", "t2"), ("x1", "x2"), ("y1", "y2")):
            # Both ends of an axis share a dtype, as in Columns.from_bounds.
            if bounds[a].dtype != bounds[b].dtype:
                bounds[a] = bounds[a].astype(np.float64)
                bounds[b] = bounds[b].astype(np.float64)
            self._check_axis(a, b, bounds[a], bounds[b], dom)
        if self.payload:
            payload = np.concatenate(self.payload) if len(self.payload) > 1 else self.payload[0]
        else:
            payload = np.full(n, None, dtype=object)
        cols = Columns(**bounds, payload=payload)
        cols, dom = sort_columns(cols, dom)
        return DomainIntervalCollection._build(self.keys, cols, dom, drop_empty=False)

    def _check_axis(self, a: str, b: str, lo: npt.NDArray[Any], hi: npt.NDArray[Any], dom: npt.NDArray[np.int64]) -> None:
        if lo.dtype.kind == "f":
            for name, col in ((a, lo), (b, hi)):
                nan = np.isnan(col)
                if nan.any():
                    i = int(np.flatnonzero(nan)[0])
                    raise InvalidBoundError(
                        f"{name} must not be NaN, got {name}=nan (domain {self.keys[dom[i]]!r}, row {i})"
                    )
        bad = lo > hi
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidBoundError(
                f"{a} must be <= {b}, got {a}={lo[i].item()!r}, {b}={hi[i].item()!r} "
                f"(domain {self.keys[dom[i]]!r}, row {i})"
            )


def _check_columns(columns: Sequence[str]) -> list[str]:
    columns = list(columns)
    for c in columns:
        if c not in CANONICAL_NAMES:
            raise ValueError(f"unknown column {c!r}; expected some of {CANONICAL_NAMES!r}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"columns must not repeat a name, got {columns!r}")
    for c in ("domain", "t1", "t2"):
        if c not in columns:
            raise ValueError(f"columns must include {c!r}, got {columns!r}")
    for a, b in (("x1", "x2"), ("y1", "y2")):
        if (a in columns) != (b in columns):
            raise ValueError(f"columns must include both {a!r} and {b!r} or neither, got {columns!r}")
    return columns


def rows_to_collection(
    rows: Iterable[Sequence[Any]],
    columns: Sequence[str],
    *,
    progress: bool = False,
    total: int | None = None,
) -> DomainIntervalCollection:
    """A collection from row tuples named by canonical column names.

    Args:
        rows: tuples in ``columns`` order (any iterable; read in chunks of
            ``CHUNK_SIZE``, never all held as tuples at once).
        columns: canonical names among ``domain, t1, t2, x1, x2, y1, y2,
            payload``: ``domain``, ``t1``, ``t2`` required; ``x1``/``x2``
            and ``y1``/``y2`` in pairs (absent: ``(0, 1)``); ``payload``
            optional (absent: ``None``). Payload values may be any Python
            objects (nested lists, ``IntervalSet3D``...).
        progress: show a tqdm bar.
        total: number of rows, for the bar.

    Returns:
        The collection: domains in first-appearance order, each sorted by
        ``(t1, t2, x1, x2, y1, y2)`` with ties in row order.

    Raises:
        ValueError: bad ``columns``; InvalidBoundError/BoundTypeError for a
            bad bound (names it and its domain); TypeError for an
            unhashable domain key.

    Cost: O(n log n) for n rows (the sort); one Python step per row for
    domain keys that are not integers and for payloads.
    """
    columns = list(columns)  # checked by column_chunks_to_collection before any row is read
    width = len(columns)

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        it = iter(rows)
        while chunk := list(islice(it, CHUNK_SIZE)):
            cols = list(zip(*chunk))
            if len(cols) != width:
                bad = next(r for r in chunk if len(r) != width)
                raise ValueError(f"each row must have {width} values ({columns!r}), got {bad!r}")
            yield cols

    return column_chunks_to_collection(chunks(), columns, progress=progress, total=total)


def column_chunks_to_collection(
    chunks: Iterable[Sequence[Any]],
    columns: Sequence[str],
    *,
    progress: bool = False,
    total: int | None = None,
) -> DomainIntervalCollection:
    """Like :func:`rows_to_collection`, from chunks already split in columns.

    ``chunk[i]`` holds the values (a sequence or numpy array) of
    ``columns[i]`` for the chunk's rows; int/float arrays are taken as they
    are, so a caller that types its bound columns skips every per-row step.
    """
    columns = _check_columns(columns)
    builder = _Builder(columns, None)
    with bulk_objects(), _progress_bar(progress, total) as bar:
        for chunk in chunks:
            if len(chunk) != len(columns):
                raise ValueError(f"each chunk must have {len(columns)} columns ({columns!r})")
            n = builder.add(chunk)
            if bar is not None:
                bar.update(n)
    return builder.finish()


# -- querysets -------------------------------------------------------------------


class _Plan:
    """What to select and how the selected columns become canonical ones."""

    def __init__(self, qs: QuerySet, schema: IntervalSchema, with_payload: Callable[[Any], Any] | None) -> None:
        fetch: list[Any] = []
        by_path: dict[str, int] = {}

        def slot(item: Any) -> int:
            if isinstance(item, str):
                if item not in by_path:
                    by_path[item] = len(fetch)
                    fetch.append(item)
                return by_path[item]
            fetch.append(item)
            return len(fetch) - 1

        parts = schema.as_mapping()
        if with_payload is not None:
            parts.pop("payload", None)
        self.names = list(parts)
        self.positions = [slot(v) for v in parts.values()]
        self.payload_fn: Callable[[Sequence[Any]], list[Any]] | None = None
        if with_payload is not None:
            if not callable(with_payload):
                raise TypeError(f"with_payload must be callable, got with_payload={with_payload!r}")
            fetch_paths = list(dict.fromkeys(payload_fetch_paths(qs, probe_fields(with_payload)).values()))
            row_positions = [slot(p) for p in fetch_paths]
            row_type = row_class([tuple(p.split("__")) for p in fetch_paths])
            n_canonical = len(self.positions)

            def payload_fn(chunk: Sequence[Any]) -> list[Any]:
                selected = [chunk[n_canonical + k] for k in range(len(row_positions))]
                lists = [c.tolist() if isinstance(c, np.ndarray) else c for c in selected]
                if not lists:
                    return [with_payload(row_type(())) for _ in range(len(chunk[0]))]
                return [with_payload(row_type(r)) for r in zip(*lists)]

            self.payload_fn = payload_fn
            self.positions += row_positions
        self.fetch = fetch

    def select(self, columns: Sequence[Any]) -> list[Any]:
        """The builder's chunk (canonical parts, then row fields) from selected columns."""
        return [columns[p] for p in self.positions]


def _copy_binary(vl: QuerySet, using: str, chunk_size: int, on_chunk: Callable[[list[npt.NDArray[Any]]], None]) -> bool:
    """Stream ``vl`` through ``COPY ... TO STDOUT (FORMAT binary)`` into ``on_chunk``.

    Returns:
        False (nothing read) when the columns are not all fixed-width types
        Django would not convert, or the driver has no ``copy_expert``;
        raises ``_NotFixedWidth`` when the stream had NULLs.
    """
    connection = connections[using]
    compiler = vl.query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return True
    internal = [col.output_field.get_internal_type() for col, _, _ in compiler.select]
    with connection.cursor() as cursor:
        if not hasattr(cursor.cursor, "copy_expert") or not hasattr(cursor.cursor, "mogrify"):
            return False
        # Parameters are bound by the driver (mogrify), never formatted in.
        query = cursor.mogrify(sql, params).decode(_python_encoding(cursor.cursor.connection.encoding))
        cursor.execute(f"SELECT * FROM ({query}) AS esper_rekall_q LIMIT 0")
        oids = [d.type_code for d in cursor.description]
        if len(oids) != len(vl._fields) or len(internal) != len(oids):
            return False
        for oid, kind in zip(oids, internal):
            if oid not in _PG_FIXED:
                return False
            agrees = (
                kind.endswith(("IntegerField", "AutoField")) or kind in ("ForeignKey", "OneToOneField")
                if oid in _PG_INT_OIDS
                else kind == ("FloatField" if oid == 701 else "BooleanField")
            )
            if not agrees:
                return False
        rows = _BinaryRows([_PG_FIXED[o] for o in oids], chunk_size, on_chunk)
        sink = rows.sink()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT (FORMAT binary)", sink)
        sink.flush()
    rows.finish()
    return True


def _python_encoding(pg_encoding: str) -> str:
    from psycopg2.extensions import encodings

    return encodings.get(pg_encoding, "utf-8")


class _NotFixedWidth(Exception):
    """The binary COPY stream did not have the fixed row layout (NULLs)."""


class _BinaryRows(io.RawIOBase):
    """The raw end of the file object binary COPY output is written to.

    psycopg2 calls ``write`` once per row; wrapped in an
    ``io.BufferedWriter`` of ``chunk_size`` rows (see :meth:`sink`), those
    calls stay in C and this object sees one buffer per chunk, decoded with
    one ``np.frombuffer`` into fixed-width columns for ``on_chunk``.
    """

    def __init__(self, codes: Sequence[str], chunk_size: int, on_chunk: Callable[[list[npt.NDArray[Any]]], None]) -> None:
        super().__init__()
        fields = [("n", ">i2")]
        for k, code in enumerate(codes):
            fields += [(f"l{k}", ">i4"), (f"v{k}", code)]
        self.dtype = np.dtype(fields)
        self.sizes = [np.dtype(c).itemsize for c in codes]
        self.width = len(codes)
        self.chunk_bytes = self.dtype.itemsize * chunk_size
        self.on_chunk = on_chunk
        self.pending = b""
        self.header = False
        self.failed = False
        self.error: BaseException | None = None

    def sink(self) -> io.BufferedWriter:
        """The buffered file object to hand to ``copy_expert``."""
        return io.BufferedWriter(self, buffer_size=self.chunk_bytes)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = len(data)
        if not self.failed:
            self._decode(self.pending + bytes(data))
        return size

    def _decode(self, buf: bytes) -> None:
        offset = 0
        if not self.header:
            if len(buf) < 19:
                self.pending = buf
                return
            if buf[:11] != _COPY_SIGNATURE:
                self.failed = True
                return
            offset = 19 + int.from_bytes(buf[15:19], "big")
            self.header = True
        n = (len(buf) - offset) // self.dtype.itemsize
        rows = np.frombuffer(buf, dtype=self.dtype, count=n, offset=offset)
        ok = bool(np.all(rows["n"] == self.width)) and all(
            bool(np.all(rows[f"l{k}"] == size)) for k, size in enumerate(self.sizes)
        )
        if not ok:
            # A NULL (length -1) breaks the fixed layout (or the trailer was
            # reached early): the caller re-reads through values_list.
            self.failed = True
            self.pending = b""
            return
        self.pending = buf[offset + n * self.dtype.itemsize :]
        if n:
            columns = [rows[f"v{k}"].astype(rows[f"v{k}"].dtype.newbyteorder("=")) for k in range(self.width)]
            try:
                self.on_chunk(columns)
            except BaseException as exc:  # re-raised after the COPY: the connection must finish it first
                self.error = exc
                self.failed = True

    def finish(self) -> None:
        """Check the trailer; re-raise an error from ``on_chunk``."""
        if self.error is not None:
            raise self.error
        if self.failed or self.pending != b"\xff\xff":
            raise _NotFixedWidth()


def _values_list_chunks(vl: QuerySet, chunk_size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Column tuples of ``vl``, ``chunk_size`` rows at a time."""
    it = vl.iterator(chunk_size=chunk_size)
    while True:
        chunk = list(islice(it, chunk_size))
        if not chunk:
            return
        yield list(zip(*chunk))


def materialize(
    qs: QuerySet,
    schema: IntervalSchema,
    with_payload: Callable[[Any], Any] | None = None,
    progress: bool = False,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> DomainIntervalCollection:
    """Run ``qs`` once and build a ``DomainIntervalCollection``; no model instances.

    Args:
        qs: any queryset (its filters, annotations, ordering and slicing are
            kept; ordering decides the order of ties, as in the reference).
        schema: where domain, bounds and payload come from (validated
            against ``qs`` first).
        with_payload: ``fn(row) -> payload``, replacing the schema's
            payload. ``row`` gives attribute and item access (``row.id``,
            ``row["frame.video_id"]``, ``django_accessor(row, "a.b")``) to
            the fields ``fn`` reads, found by calling ``fn`` once on a
            recording row before any query (see ``db.accessors``); relation
            fields read as ids.
        progress: show a tqdm bar; its total is ``qs.count()`` (one more
            query).
        chunk_size: rows decoded per chunk.

    Returns:
        The collection (see ``rows_to_collection`` for order and types).

    Raises:
        ValueError: a schema part or a field ``with_payload`` reads that
            ``qs`` lacks — before any query runs; InvalidBoundError /
            BoundTypeError for bad bounds (NULL, NaN, ``t1 > t2``).
        TypeError: ``with_payload`` is not callable.
    """
    if not isinstance(schema, IntervalSchema):
        raise TypeError(f"schema must be an IntervalSchema, got schema={schema!r}")
    schema.validate(qs)
    qs = propagate_key_filters(qs)  # a chunk's joins restricted to its keys on both sides
    plan = _Plan(qs, schema, with_payload)
    vl = qs.values_list(*plan.fetch)
    total = qs.count() if progress else None
    using = vl.db
    with bulk_objects(), _progress_bar(progress, total) as bar:
        if connections[using].vendor == "postgresql":
            builder = _Builder(plan.names, plan.payload_fn)

            def on_chunk(columns: list[npt.NDArray[Any]]) -> None:
                n = builder.add(plan.select(columns))
                if bar is not None:
                    bar.update(n)

            try:
                if _copy_binary(vl, using, chunk_size, on_chunk):
                    return builder.finish()
            except _NotFixedWidth:
                if bar is not None:
                    bar.reset(total=total)
        builder = _Builder(plan.names, plan.payload_fn)
        for columns in _values_list_chunks(vl, chunk_size):
            n = builder.add(plan.select(columns))
            if bar is not None:
                bar.update(n)
    return builder.finish()



def load_queryset(
    qs: QuerySet, schema: Any, with_payload: Callable[[Any], Any] | None, progress: bool
) -> DomainIntervalCollection:
    """:func:`materialize` under a Rekall schema mapping: the loader the app
    registers for ``DomainIntervalCollection.from_django_qs`` (``intervals.hooks``)."""
    from .schema import IntervalSchema

    return materialize(qs, IntervalSchema.from_mapping(schema), with_payload, progress)
