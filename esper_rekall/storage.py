"""Saving and loading DomainIntervalCollections to and from the result tables.

Provides:
    save_collection: store a ``DomainIntervalCollection`` under a name.
    load_collection: load a stored collection back, identical to what was
        saved (domain key types, ``int``/``float`` bounds, payloads).
    load_chunks: load some chunks of a stored collection.
    delete_collection: delete a stored collection without loading its rows.
    write_chunk: write one chunk's result (what a worker does).
    encode_collection: a collection as encoded rows plus its integer axes;
        raises before anything is written if a key or payload cannot be
        encoded.
    generate_name: a fresh collection name for runs not saved by name.
    STORED_INTERVAL_SCHEMA: the schema of ``ResultInterval`` as an interval
        source (``{"domain": "domain_int", "t1": "t1", ...}``).

A stored collection is also a source for pushdown queries: its rows are
``ResultInterval.objects.filter(collection=c)``, with video ids (integer
domain keys) in ``domain_int``, bounds in ``t1`` ... ``y2`` and the
codec-encoded payload in ``payload``.

Bounds are stored as double precision; ``ResultChunk.int_axes`` records per
chunk which axes had integer bounds, so they load back as ``int``. An axis
loads as ``int`` when every non-empty chunk loaded had it as ``int`` (as a
union of the chunks' results in memory would).
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Iterable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from .db.materialize import CHUNK_SIZE, column_chunks_to_collection
from .intervals import payload_codec
from .intervals.collection import DomainIntervalCollection
from .intervals.columns import BOUND_NAMES

if TYPE_CHECKING:
    from .models import ResultCollection
    from .result_managers import IntervalRow

__all__ = [
    "STORED_INTERVAL_SCHEMA",
    "delete_collection",
    "encode_collection",
    "generate_name",
    "get_collection",
    "load_chunks",
    "load_collection",
    "save_collection",
    "stored_interval_query",
    "write_chunk",
]

#: ``ResultInterval`` fields for each part of an interval, for pushdown queries.
STORED_INTERVAL_SCHEMA: dict[str, str] = {
    "domain": "domain_int",
    "t1": "t1",
    "t2": "t2",
    "x1": "x1",
    "x2": "x2",
    "y1": "y1",
    "y2": "y2",
    "payload": "payload",
}

_AXES = (("t", "t1"), ("x", "x1"), ("y", "y1"))
_INT64 = (-(2**63), 2**63 - 1)


def _domain_int(key: Hashable) -> int | None:
    if type(key) is int and _INT64[0] <= key <= _INT64[1]:
        return key
    return None


def encode_collection(coll: DomainIntervalCollection) -> tuple[list[IntervalRow], str]:
    """Encodes every interval of ``coll`` as a row for ``ResultInterval``.

    Every key and payload is encoded before anything is written, so an
    unsupported value fails the whole chunk with nothing stored.

    Returns:
        ``(rows, int_axes)``: rows ordered by (domain, t1, t2, x1, x2, y1,
        y2) as the collection keeps them, and the axes (``"t"``, ``"x"``,
        ``"y"``) whose bound columns are integers.

    Raises:
        TypeError: If ``coll`` is not a ``DomainIntervalCollection``, or a
            key or payload cannot be encoded (the message names the domain,
            the interval and the path inside the payload).
    """
    if not isinstance(coll, DomainIntervalCollection):
        raise TypeError(
            f"only a DomainIntervalCollection can be stored, got {type(coll).__name__}: {coll!r:.100}"
        )
    cols = coll.columns
    keys = coll.domain_keys
    encoded_keys = [payload_codec.encode(k, path=f"domain key {k!r:.60}") for k in keys]
    key_ints = [_domain_int(k) for k in keys]
    dom = coll.domain_codes.tolist()
    bounds = [b.astype(np.float64).tolist() for b in cols.bounds()]
    rows: list[IntervalRow] = []
    encode = payload_codec.encode
    for i, (d, payload) in enumerate(zip(dom, cols.payload)):
        rows.append(
            (
                encoded_keys[d],
                key_ints[d],
                bounds[0][i],
                bounds[1][i],
                bounds[2][i],
                bounds[3][i],
                bounds[4][i],
                bounds[5][i],
                encode(payload, path=f"payload of interval {i} of domain {keys[d]!r:.60}"),
            )
        )
    int_axes = "".join(axis for axis, name in _AXES if getattr(cols, name).dtype.kind in "iu")
    return rows, int_axes


def write_chunk(collection_id: int, index: int, result: DomainIntervalCollection) -> int | None:
    """Writes one chunk's result and marks the chunk done, in one transaction.

    A chunk written again (retried, redelivered, resumed) replaces its rows.

    Returns:
        The number of intervals written, or ``None`` if the chunk was split
        meanwhile (its children own its arguments).

    Raises:
        TypeError: If ``result`` cannot be encoded; nothing is written.
    """
    from .models import ResultChunk

    rows, int_axes = encode_collection(result)
    return ResultChunk.objects.replace_chunk(collection_id, index, rows, int_axes=int_axes)


def generate_name(prefix: str = "run") -> str:
    """A fresh collection name: ``<prefix>-<UTC timestamp>-<random>``."""
    return f"{prefix}-{timezone.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def get_collection(name_or_obj: str | ResultCollection) -> ResultCollection:
    """The ``ResultCollection`` named ``name_or_obj`` (or the object itself).

    Raises:
        ValueError: If there is no collection of that name.
    """
    from .models import ResultCollection

    if isinstance(name_or_obj, ResultCollection):
        return name_or_obj
    try:
        return ResultCollection.objects.get(name=name_or_obj)
    except ResultCollection.DoesNotExist:
        raise ValueError(f"no result collection named {name_or_obj!r}") from None


def save_collection(
    coll: DomainIntervalCollection,
    name: str,
    *,
    replace: bool = False,
    query_name: str = "",
    query_ref: dict[str, Any] | None = None,
) -> ResultCollection:
    """Stores ``coll`` as the collection ``name`` (one chunk) and marks it done.

    Args:
        coll: The collection to store.
        name: A unique name.
        replace: Overwrite an existing collection of that name.
        query_name: What produced it, for display.
        query_ref: ``QueryRef.to_json()`` of the query, if any.

    Raises:
        ValueError: If ``name`` is taken and ``replace`` is false.
        TypeError: If a key or payload cannot be encoded (nothing is written).
    """
    from .models import ResultChunk, ResultCollection

    rows, int_axes = encode_collection(coll)
    arguments = [payload_codec.encode(k) for k in coll.domain_keys]
    with transaction.atomic():
        collection = ResultCollection.objects.create_run(
            name=name,
            query_ref=query_ref or {},
            query_name=query_name,
            chunks=[arguments],
            runtime="saved",
            replace=replace,
        )
        ResultChunk.objects.replace_chunk(collection.pk, 0, rows, int_axes=int_axes)
        collection = ResultCollection.objects.finalize(collection.pk)
    return collection


def load_chunks(collection: ResultCollection | int, indices: Sequence[int] | None = None) -> DomainIntervalCollection:
    """Loads the intervals of some chunks (all when ``indices`` is None).

    Rows come back in chunk order, then insertion order; domains keep the
    order in which they first appear. Cost: one query for the chunks, one
    streaming query for the rows; O(n log n) to sort.
    """
    from .models import ResultChunk, ResultInterval

    collection_id = collection if isinstance(collection, int) else collection.pk
    chunks = ResultChunk.objects.filter(collection_id=collection_id, state="done")
    if indices is not None:
        chunks = chunks.filter(index__in=list(indices))
    chunk_info = list(chunks.values_list("pk", "int_axes", "num_intervals"))
    if not chunk_info:
        return DomainIntervalCollection()
    nonempty = [axes for _, axes, n in chunk_info if n]
    int_axes = {a for a in "txy" if nonempty and all(a in axes for axes in nonempty)}
    rows = ResultInterval.objects.filter(collection_id=collection_id)
    if indices is not None:
        rows = rows.filter(chunk_id__in=[pk for pk, _, _ in chunk_info])
    rows = (
        rows.order_by("chunk_id", "id")
        .values_list("domain", "domain_int", *BOUND_NAMES, "payload")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    return column_chunks_to_collection(_stored_chunks(rows, int_axes), ("domain", *BOUND_NAMES, "payload"))


def load_collection(name_or_obj: str | ResultCollection) -> DomainIntervalCollection:
    """Loads a stored collection back as a ``DomainIntervalCollection``.

    The result equals what was saved (or, for a run, the union of its
    chunks' results): domain keys of the same types, bounds ``int`` where
    they were ``int``, payloads decoded by the payload codec.

    Raises:
        ValueError: If there is no collection of that name.
    """
    return load_chunks(get_collection(name_or_obj))


def _stored_chunks(rows: Iterable[tuple[Any, ...]], int_axes: set[str]) -> Iterator[list[Any]]:
    """Stored rows as ``column_chunks_to_collection`` chunks: keys and payloads decoded, bounds typed."""
    decode = payload_codec.decode
    it = iter(rows)
    while chunk := list(islice(it, CHUNK_SIZE)):
        domain, domain_int, *bounds, payload = zip(*chunk)
        keys = [k if k is not None else decode(d) for d, k in zip(domain, domain_int)]
        typed = [
            np.asarray(col, dtype=np.float64).astype(np.int64 if name[0] in int_axes else np.float64)
            for name, col in zip(BOUND_NAMES, bounds)
        ]
        yield [keys, *typed, [decode(p) for p in payload]]


def delete_collection(name_or_obj: str | ResultCollection) -> bool:
    """Deletes a stored collection, its chunks and intervals.

    Three ``DELETE`` statements in one transaction; no row is loaded.

    Returns:
        True if a collection was deleted, False if there was none of that name.
    """
    from .models import ResultCollection

    pk = name_or_obj.pk if isinstance(name_or_obj, ResultCollection) else None
    qs = ResultCollection.objects.filter(pk=pk) if pk is not None else ResultCollection.objects.filter(name=name_or_obj)
    return qs.fast_delete() > 0


def stored_interval_query(name_or_obj: str | ResultCollection) -> Any:
    """A lazy pushdown ``IntervalQuery`` over a stored collection.

    ``IntervalQuery(ResultInterval.objects.filter(collection=c),
    STORED_INTERVAL_SCHEMA)``: its steps run in SQL against the stored
    rows, so results compose with new queries. Domains are the integer keys
    (``domain_int``: video ids); payloads come back as stored, i.e. in the
    payload codec's JSON form (``payload_codec.decode`` turns them back).

    Raises:
        ValueError: If there is no collection of that name.
    """
    from .db.query import IntervalQuery
    from .models import ResultInterval

    collection = get_collection(name_or_obj)
    return IntervalQuery(ResultInterval.objects.filter(collection=collection), STORED_INTERVAL_SCHEMA)
