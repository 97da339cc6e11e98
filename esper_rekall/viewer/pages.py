"""Page data: one page of a collection's domains, as a JSON-safe dict.

Provides:
    page_data_from_collection(coll, page, per_page, videos_meta=None): a page
        of an in-memory ``DomainIntervalCollection`` (pure: no Django).
    page_data_from_stored(collection, page, per_page, media_url=None): a page
        of a stored ``ResultCollection`` read on the server: only the page's
        domains and their intervals are read (Django, imported lazily).
    to_jsonable(value), payload_boxes(value), interval_entry(...): the
        conversions both use.
    PageOutOfRange: the page number is beyond the last page.

This module imports no Django at import time, so a notebook can render a
collection with it (``DomainIntervalCollection._repr_html_``); only
:func:`page_data_from_stored` touches the database.

Page data (``PAGE_DATA_VERSION`` 1)::

    {"version": 1, "title": str, "collection_id": int | None,
     "page": int (1-based), "per_page": int,
     "num_pages": int | None, "num_domains": int | None (None: not counted),
     "num_intervals": int | None, "has_previous": bool, "has_next": bool,
     "page_url": str | None,          # JSON endpoint of other pages (?page=N)
     "videos": [{"domain": <JSON key>, "label": str, "video_id": int | None,
                 "length": number,    # timeline extent (num_frames, else max t2)
                 "fps": float | None, "src": str | None,   # playable media URL
                 "intervals": [{"t1", "t2", "x1", "x2", "y1", "y2",
                                "payload": <JSON>, "title": str,
                                "boxes": [[x1, y1, x2, y2], ...]}]}]}

``boxes`` are what the viewer draws on the frame for a selected interval:
its own bounds unless it is full-frame, then the boxes of the intervals
nested in its payload (an ``IntervalSet3D``, an ``Interval3D``, or tuples,
lists and dicts holding them, as ``group_by_time`` and
``collect_by_interval`` make).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..intervals.collection import DomainIntervalCollection
    from ..models import ResultCollection

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_NESTED",
    "PAGE_DATA_VERSION",
    "PageOutOfRange",
    "interval_entry",
    "page_data_from_collection",
    "page_data_from_stored",
    "payload_boxes",
    "to_jsonable",
]

PAGE_DATA_VERSION = 1
DEFAULT_PER_PAGE = 25
# Nested payloads shown per level; the rest is summarised, so one huge payload
# cannot blow up a page.
MAX_NESTED = 200
MAX_BOXES = 200
_TITLE_CHARS = 160
# Counting distinct domains costs one index probe per domain; past this many
# the page count is reported as unknown.
COUNT_DOMAINS_UP_TO = 20_000


class PageOutOfRange(ValueError):
    """The page number is below 1 or past the last page."""


def _num(value: Any) -> Any:
    """A bound as a JSON number (numpy scalars become Python; NaN/inf become strings)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _interval_dict(intrvl: Any, depth: int) -> dict[str, Any]:
    t, x, y = intrvl.t, intrvl.x, intrvl.y
    return {
        "t": [_num(t[0]), _num(t[1])],
        "x": [_num(x[0]), _num(x[1])],
        "y": [_num(y[0]), _num(y[1])],
        "payload": to_jsonable(intrvl.payload, depth + 1),
    }


def _is_interval(value: Any) -> bool:
    return hasattr(value, "t") and hasattr(value, "x") and hasattr(value, "y") and hasattr(value, "payload")


def _is_interval_set(value: Any) -> bool:
    return hasattr(value, "get_intervals") and hasattr(value, "columns")


def to_jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` as plain JSON data for display.

    ``IntervalSet3D`` becomes a list of ``{"t", "x", "y", "payload"}``
    dicts, ``Interval3D`` one such dict, tuples and sets lists, numpy
    scalars Python numbers, dates ISO strings, non-finite floats strings,
    anything else its ``repr``. Lists longer than ``MAX_NESTED`` are cut,
    with a last item saying how many were left out.
    """
    if depth > 8:
        return "…"
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float) or hasattr(value, "item") and not hasattr(value, "__len__"):
        return _num(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if _is_interval_set(value):
        return _cut([_interval_dict(i, depth) for i in _take(value.get_intervals())], len(value))
    if _is_interval(value):
        return _interval_dict(value, depth)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, depth + 1) for k, v in list(value.items())[:MAX_NESTED]}
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "tolist"):
        items = list(value.tolist() if hasattr(value, "tolist") else value)
        return _cut([to_jsonable(v, depth + 1) for v in items[:MAX_NESTED]], len(items))
    return repr(value)


def _take(items: list[Any]) -> list[Any]:
    return items[:MAX_NESTED]


def _cut(items: list[Any], total: int) -> list[Any]:
    if total > len(items):
        items.append(f"… {total - len(items):,} more")
    return items


def _box(x: Any, y: Any) -> list[Any] | None:
    x1, x2, y1, y2 = (_num(v) for v in (x[0], x[1], y[0], y[1]))
    if (x1, x2, y1, y2) == (0, 1, 0, 1):
        return None
    return [x1, y1, x2, y2]


def payload_boxes(value: Any, depth: int = 0) -> list[list[Any]]:
    """Boxes ``[x1, y1, x2, y2]`` of the intervals nested in a payload (see module doc)."""
    out: list[list[Any]] = []

    def walk(v: Any, d: int) -> None:
        if d > 4 or len(out) >= MAX_BOXES:
            return
        if _is_interval_set(v):
            for i in _take(v.get_intervals()):
                walk(i, d)
        elif _is_interval(v):
            box = _box(v.x, v.y)
            if box is not None:
                out.append(box)
            walk(v.payload, d + 1)
        elif isinstance(v, (list, tuple)):
            for item in v[:MAX_NESTED]:
                walk(item, d + 1)
        elif isinstance(v, Mapping):
            for item in list(v.values())[:MAX_NESTED]:
                walk(item, d + 1)

    walk(value, depth)
    return out[:MAX_BOXES]


def _title(t1: Any, t2: Any, fps: float | None, payload: Any) -> str:
    text = f"t=[{t1}, {t2}]"
    if fps:
        text += f" ({t1 / fps:.2f}s–{t2 / fps:.2f}s)"
    if payload is not None:
        shown = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        if len(shown) > _TITLE_CHARS:
            shown = shown[: _TITLE_CHARS - 1] + "…"
        text += f" payload: {shown}"
    return text


def interval_entry(
    t1: Any, t2: Any, x1: Any, x2: Any, y1: Any, y2: Any, payload: Any, fps: float | None = None
) -> dict[str, Any]:
    """One interval of page data: bounds, JSON payload, hover title, boxes to draw."""
    bounds = [_num(v) for v in (t1, t2, x1, x2, y1, y2)]
    own = _box((bounds[2], bounds[3]), (bounds[4], bounds[5]))
    shown = to_jsonable(payload)
    return {
        "t1": bounds[0],
        "t2": bounds[1],
        "x1": bounds[2],
        "x2": bounds[3],
        "y1": bounds[4],
        "y2": bounds[5],
        "payload": shown,
        "title": _title(bounds[0], bounds[1], fps, shown),
        "boxes": ([own] if own else []) + payload_boxes(payload),
    }


def _sorted_keys(keys: Iterable[Hashable]) -> list[Hashable]:
    keys = list(keys)
    try:
        return sorted(keys)  # type: ignore[type-var]
    except TypeError:
        return keys


def _page_bounds(page: int, per_page: int, num_domains: int | None) -> tuple[int, int | None]:
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        raise PageOutOfRange(f"page must be an integer >= 1, got {page!r}")
    if not isinstance(per_page, int) or per_page < 1:
        raise ValueError(f"per_page must be an integer >= 1, got {per_page!r}")
    num_pages = None if num_domains is None else max(1, math.ceil(num_domains / per_page))
    if num_pages is not None and page > num_pages:
        raise PageOutOfRange(f"page {page} is past the last page, {num_pages}")
    return (page - 1) * per_page, num_pages


def _video_entry(key: Any, meta: Mapping[str, Any] | None, intervals: list[dict[str, Any]]) -> dict[str, Any]:
    meta = dict(meta or {})
    max_t2 = max((i["t2"] for i in intervals if isinstance(i["t2"], (int, float))), default=0)
    length = meta.get("num_frames") or max_t2 or 1
    video_id = meta.get("video_id", key if isinstance(key, int) and not isinstance(key, bool) else None)
    return {
        "domain": to_jsonable(key),
        "label": str(meta.get("label") or (f"video {key}" if video_id is not None else key)),
        "video_id": video_id,
        "length": _num(max(length, max_t2)),
        "fps": meta.get("fps"),
        "src": meta.get("src"),
        "intervals": intervals,
    }


def page_data_from_collection(
    coll: DomainIntervalCollection,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    videos_meta: Mapping[Hashable, Mapping[str, Any]] | None = None,
    *,
    title: str | None = None,
    page_url: str | None = None,
) -> dict[str, Any]:
    """Page ``page`` (1-based) of an in-memory collection, ``per_page`` domains per page.

    Domains are in sorted key order (insertion order when keys do not sort).

    Args:
        coll: the collection.
        page: 1-based page number.
        per_page: domains per page.
        videos_meta: optional ``{key: {"num_frames", "fps", "src", "label"}}``;
            without ``num_frames`` a timeline spans to the domain's last ``t2``.
        title: heading (default ``"DomainIntervalCollection"``).
        page_url: URL serving other pages as JSON (``?page=N``), if any.

    Raises:
        PageOutOfRange: ``page < 1`` or past the last page.

    Cost: O(domains log domains) to order the keys, then O(intervals on the page).
    """
    keys = _sorted_keys(coll.keys())
    offset, num_pages = _page_bounds(page, per_page, len(keys))
    videos_meta = videos_meta or {}
    videos = []
    for key in keys[offset : offset + per_page]:
        meta = videos_meta.get(key) or {}
        fps = meta.get("fps")
        cols = coll[key].columns
        bounds = [c.tolist() for c in cols.bounds()]
        payloads = list(cols.payload)
        entries = [
            interval_entry(*(b[i] for b in bounds), payloads[i], fps=fps) for i in range(len(payloads))
        ]
        videos.append(_video_entry(key, meta, entries))
    return {
        "version": PAGE_DATA_VERSION,
        "title": title or "DomainIntervalCollection",
        "collection_id": None,
        "page": page,
        "per_page": per_page,
        "num_pages": num_pages,
        "num_domains": len(keys),
        "num_intervals": len(coll.columns),
        "has_previous": page > 1,
        "has_next": num_pages is not None and page < num_pages,
        "page_url": page_url,
        "videos": videos,
    }


# -- stored collections (Django, imported lazily) ------------------------------


def _domain_ints(collection_id: int, offset: int, limit: int) -> list[int]:
    """Distinct integer domains of a collection in order, ``limit`` from ``offset``.

    A loose index scan over the ``(collection, domain_int, t1, t2)`` index:
    one index probe per distinct domain up to ``offset + limit``, however many
    intervals each domain has (a plain ``SELECT DISTINCT`` would read every
    interval before the page)::

        WITH RECURSIVE d(v) AS (
          SELECT (SELECT MIN(domain_int) FROM ri WHERE collection_id = %s)
          UNION ALL
          SELECT (SELECT MIN(domain_int) FROM ri WHERE collection_id = %s AND domain_int > d.v)
          FROM d WHERE d.v IS NOT NULL)
        SELECT v FROM d WHERE v IS NOT NULL LIMIT %s OFFSET %s
    """
    from django.db import connection

    from ..models import ResultInterval

    table = connection.ops.quote_name(ResultInterval._meta.db_table)
    sql = (
        f"WITH RECURSIVE d(v) AS ("
        f" SELECT (SELECT MIN(domain_int) FROM {table} WHERE collection_id = %s AND parent_row IS NULL)"
        f" UNION ALL"
        f" SELECT (SELECT MIN(domain_int) FROM {table}"
        f" WHERE collection_id = %s AND parent_row IS NULL AND domain_int > d.v)"
        f" FROM d WHERE d.v IS NOT NULL)"
        f" SELECT v FROM d WHERE v IS NOT NULL LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [collection_id, collection_id, limit, offset])
        return [int(row[0]) for row in cursor.fetchall()]


def _count_domain_ints(collection_id: int, up_to: int) -> int | None:
    """Distinct integer domains of a collection, or None when there are more than ``up_to``."""
    found = len(_domain_ints(collection_id, 0, up_to + 1))
    return None if found > up_to else found


def _cached_domain_count(collection: ResultCollection) -> int | None:
    """:func:`_count_domain_ints`, cached (Django's cache) once the collection is finished."""
    from django.core.cache import cache

    if collection.status not in ("done", "failed") or collection.finished is None:
        return _count_domain_ints(collection.pk, COUNT_DOMAINS_UP_TO)
    key = f"esper_rekall:viewer:domains:{collection.pk}:{collection.finished.timestamp()}:{collection.num_intervals}"
    count = cache.get(key, "missing")
    if count == "missing":
        count = _count_domain_ints(collection.pk, COUNT_DOMAINS_UP_TO)
        cache.set(key, count, 24 * 3600)
    return count


def page_data_from_stored(
    collection: ResultCollection,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    *,
    media_url: Callable[[Any], str | None] | None = None,
    page_url: str | None = None,
) -> dict[str, Any]:
    """Page ``page`` of a stored collection, reading only that page's intervals.

    Integer domains (video ids) are paged with a loose index scan on
    ``(collection, domain_int)`` (see :func:`_domain_ints`); the page's
    intervals are one indexed query ``domain_int IN (<page's ids>)``, and
    the page's videos one query on ``Video``. Collections with non-integer
    domains (dates, strings, tuples) are paged with ``SELECT DISTINCT
    domain ... LIMIT/OFFSET``.

    Args:
        collection: the stored collection.
        page: 1-based page number.
        per_page: domains per page.
        media_url: ``video -> URL or None``, the playable media of a video.
        page_url: URL serving other pages as JSON.

    Raises:
        PageOutOfRange: ``page < 1`` or past the last page.

    Cost: about five queries, O(domains before the page) index probes and
    O(intervals on the page) rows, whatever the collection's size; counting
    the pages costs one probe per domain (up to ``COUNT_DOMAINS_UP_TO``,
    past which the page count is unknown), cached for finished collections.
    """
    from ..intervals.payload_codec import decode
    from ..models import ResultInterval, Video
    from ..storage import load_domains

    rows_qs = ResultInterval.objects.filter(collection_id=collection.pk, parent_row__isnull=True)
    int_domains = not rows_qs.filter(domain_int__isnull=True).exists()
    if int_domains:
        num_domains = _cached_domain_count(collection)
        offset, num_pages = _page_bounds(page, per_page, num_domains)
        keys: list[Any] = _domain_ints(collection.pk, offset, per_page + 1)
        if page > 1 and not keys:
            raise PageOutOfRange(f"page {page} is past the last page")
        has_next, keys = len(keys) > per_page, keys[:per_page]
        videos = {v.pk: v for v in Video.objects.filter(pk__in=keys).only("id", "path", "num_frames", "fps")}
    else:
        num_domains = rows_qs.values("domain").distinct().count()
        offset, num_pages = _page_bounds(page, per_page, num_domains)
        raw_keys = list(
            rows_qs.order_by("domain").values_list("domain", flat=True).distinct()[offset : offset + per_page]
        )
        has_next = num_pages is not None and page < num_pages
        keys = [decode(k) for k in raw_keys]
        videos = {}
    coll = load_domains(collection, keys)
    entries = []
    for key in keys:
        video = videos.get(key) if int_domains else None
        meta: dict[str, Any] = {}
        if video is not None:
            meta = {
                "video_id": video.pk,
                "label": f"video {video.pk} · {video.path}",
                "num_frames": video.num_frames,
                "fps": video.fps,
                "src": media_url(video) if media_url else None,
            }
        fps = meta.get("fps")
        found = coll[key].get_intervals() if key in coll else []
        intervals = [interval_entry(*i.t, *i.x, *i.y, i.payload, fps=fps) for i in found]
        entries.append(_video_entry(key, meta, intervals))
    return {
        "version": PAGE_DATA_VERSION,
        "title": collection.name,
        "collection_id": collection.pk,
        "page": page,
        "per_page": per_page,
        "num_pages": num_pages,
        "num_domains": num_domains,
        "num_intervals": collection.num_intervals,
        "has_previous": page > 1,
        "has_next": has_next,
        "page_url": page_url,
        "videos": entries,
    }
