"""Saving and loading DomainIntervalCollections to and from the result tables.

Provides:
    save_collection: store a ``DomainIntervalCollection`` under a name.
    load_collection: load a stored collection back, identical to what was
        saved (domain key types, ``int``/``float`` bounds, payloads).
    load_chunks: load some chunks of a stored collection.
    load_domains: load some domains of a stored collection (a viewer page).
    delete_collection: delete a stored collection without loading its rows.
    write_chunk: write one chunk's result (what a worker does).
    encode_collection: a collection as ``StoredRows`` (numeric columns,
        nested sets as rows of their own); raises before anything is written
        if a key or payload cannot be encoded.
    generate_name: a fresh collection name for runs not saved by name.
    STORED_INTERVAL_SCHEMA: the schema of ``ResultInterval`` as an interval
        source (``{"domain": "domain_int", "t1": "t1", ...}``).

The layout (``result_layout``): one ``ResultInterval`` row per interval,
top-level intervals and the intervals of their nested sets alike, bounds as
float8 columns at every depth, typed payload columns, and JSON only for
opaque leaf payloads. Writes are one binary ``COPY`` per chunk on
PostgreSQL; loads read numeric columns through binary ``COPY`` into numpy
and rebuild nested sets as columnar ``NestedSets`` views.

A stored collection is also a source for pushdown queries: its top-level
rows are ``ResultInterval.objects.filter(collection=c, parent_row=None)``,
with video ids (integer domain keys) in ``domain_int``, bounds in ``t1`` ...
``y2``, and the payload in the codec's JSON form (``StoredPayload``).

Bounds are stored as double precision, NULL where they equal their parent's
(time) or their default (space), see ``result_layout.bound_nulls``;
``ResultChunk.int_axes`` records per
chunk which top-level axes had integer bounds, so they load back as
``int`` (nested sets record theirs in ``payload_kind``). An axis loads as
``int`` when every non-empty chunk loaded had it as ``int`` (as a union of
the chunks' results in memory would).
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import connections, router, transaction
from django.utils import timezone

from .db.partitions import bulk_load
from .intervals import payload_codec
from .intervals.collection import DomainIntervalCollection
from .result_layout import StoredRows, decode_rows, encode_rows
from .result_rows import StoredPayload, nested_filter, read_rows, stored_bound

if TYPE_CHECKING:
    from .models import ResultCollection

__all__ = [
    "STORED_INTERVAL_SCHEMA",
    "delete_collection",
    "encode_collection",
    "generate_name",
    "get_collection",
    "load_chunks",
    "load_collection",
    "load_domains",
    "save_collection",
    "stored_interval_query",
    "write_chunk",
]

#: ``ResultInterval`` columns for each part of a top-level interval, for pushdown queries:
#: a spatial bound stored NULL is its default (``stored_bound``; top-level rows store every
#: time bound); the payload is rebuilt in SQL in the codec's JSON form (``StoredPayload``).
STORED_INTERVAL_SCHEMA: dict[str, Any] = {
    "domain": "domain_int",
    "t1": "t1",
    "t2": "t2",
    **{name: stored_bound(name) for name in ("x1", "x2", "y1", "y2")},
    "payload": StoredPayload(),
}

def encode_collection(coll: DomainIntervalCollection) -> StoredRows:
    """Every interval of ``coll`` (nested sets included) as stored rows.

    Everything is encoded before anything is written, so an unsupported key
    or payload fails the whole chunk with nothing stored.

    Raises:
        TypeError: If ``coll`` is not a ``DomainIntervalCollection``, or a
            key or payload cannot be encoded (the message names the path
            inside the payload).
    """
    return encode_rows(coll)


def write_chunk(collection_id: int, index: int, result: DomainIntervalCollection) -> int | None:
    """Writes one chunk's result and marks it done, in one transaction.

    A chunk written again (retried, redelivered, resumed) replaces its rows.

    Returns:
        The number of intervals written, or ``None`` if the chunk was split
        meanwhile (its children own its arguments).

    Raises:
        TypeError: If ``result`` cannot be encoded; nothing is written.
    """
    from .models import ResultChunk

    return ResultChunk.objects.replace_chunk(collection_id, index, encode_rows(result))


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

    On PostgreSQL the new partition is written as a standalone table without
    indexes, which are built once after the ``COPY``, before it is attached
    (``db.partitions.bulk_load``); readers of other collections are never
    blocked meanwhile.

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

    rows = encode_rows(coll)
    arguments = [payload_codec.encode(k) for k in coll.domain_keys]
    using = router.db_for_write(ResultCollection)
    with transaction.atomic(using=using):
        with bulk_load(connections[using]):  # the partition's indexes built once, after the COPY
            collection = ResultCollection.objects.create_run(
                name=name,
                query_ref=query_ref or {},
                query_name=query_name,
                chunks=[arguments],
                runtime="saved",
                replace=replace,
            )
            ResultChunk.objects.replace_chunk(collection.pk, 0, rows)
        collection = ResultCollection.objects.finalize(collection.pk)
    return collection


def _chunk_int_axes(collection_id: int, indices: Sequence[int] | None) -> tuple[str, list[int] | None] | None:
    """The top level's integer axes over the done chunks (and their ids when
    ``indices`` is given); None when no chunk is done."""
    from .models import ResultChunk

    chunks = ResultChunk.objects.filter(collection_id=collection_id, state=ResultChunk.State.DONE)
    if indices is not None:
        chunks = chunks.filter(index__in=list(indices))
    chunk_info = list(chunks.values_list("pk", "int_axes", "num_intervals"))
    if not chunk_info:
        return None
    nonempty = [axes for _, axes, n in chunk_info if n]
    int_axes = "".join(a for a in "txy" if nonempty and all(a in axes for axes in nonempty))
    return int_axes, None if indices is None else [pk for pk, _, _ in chunk_info]


def load_chunks(collection: ResultCollection | int, indices: Sequence[int] | None = None) -> DomainIntervalCollection:
    """Loads the intervals of some chunks (all when ``indices`` is None).

    Domains keep the order in which they first appear (chunk order, then
    row order: ids). Cost: one query for the chunks, one binary ``COPY`` of the
    numeric columns (``values_list`` off PostgreSQL), one query for the
    rows with text or JSON values; no Python object per row except those.
    """
    collection_id = collection if isinstance(collection, int) else collection.pk
    found = _chunk_int_axes(collection_id, indices)
    if found is None:
        return DomainIntervalCollection()
    int_axes, chunk_ids = found
    return decode_rows(read_rows(collection_id, chunk_ids, int_axes), int_axes)


def load_domains(collection: ResultCollection | int, keys: Sequence[Hashable]) -> DomainIntervalCollection:
    """The intervals of the domains ``keys`` of a stored collection, nested sets included.

    For paging (the viewer): reads the chosen domains' top-level rows through
    the collection's ``(domain_int, t1, t2)`` index (non-integer keys by their
    codec JSON), then each nesting level's contiguous row ranges: cost in
    proportion to the rows of those domains, not to the collection.
    """
    from django.db.models import JSONField, Q, TextField, Value
    from django.db.models.functions import Cast
    from django.db.models.lookups import Exact

    collection_id = collection if isinstance(collection, int) else collection.pk
    found = _chunk_int_axes(collection_id, None)
    if found is None or not keys:
        return DomainIntervalCollection()
    ints = [k for k in keys if type(k) is int]
    others = [payload_codec.dumps(k) for k in keys if type(k) is not int]
    top = Q(pk__in=[])
    if ints:
        top |= Q(domain_int__in=ints)
    for text in others:
        # Both sides in the database's own JSON text form (jsonb reorders and spaces its text).
        canonical = Cast(Cast(Value(text), output_field=JSONField()), TextField())
        top |= Q(Exact(Cast("domain", TextField()), canonical))
    return decode_rows(read_rows(collection_id, None, found[0], top=top), found[0])


def load_collection(name_or_obj: str | ResultCollection) -> DomainIntervalCollection:
    """Loads a stored collection back as a ``DomainIntervalCollection``.

    The result equals what was saved (or, for a run, the union of its
    chunks' results): domain keys of the same types, bounds ``int`` where
    they were ``int``, payloads decoded by the payload codec.

    Raises:
        ValueError: If there is no collection of that name.
    """
    return load_chunks(get_collection(name_or_obj))


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

    ``IntervalQuery(ResultInterval.objects.filter(collection=c,
    parent_row=None), STORED_INTERVAL_SCHEMA)``: its steps run in SQL
    against the stored top-level rows, so results compose with new queries.
    Domains are the integer keys (``domain_int``: video ids); payloads come
    back as Python values (rebuilt in SQL in the codec's JSON form, nested
    sets one level deep). Filters on nested sets — ``P(length_at_least(3))``,
    ``P(any_member(XY(height_at_least(0.3))))`` — run in SQL over the child
    rows when they come before any step that changes payloads.

    Raises:
        ValueError: If there is no collection of that name.
    """
    from .db.query import IntervalQuery
    from .models import ResultInterval

    collection = get_collection(name_or_obj)
    rows = ResultInterval.objects.filter(collection=collection, parent_row__isnull=True)
    return IntervalQuery(rows, STORED_INTERVAL_SCHEMA, nested_filter=nested_filter)
