"""Page data: one page of a collection's domains, as a JSON-safe dict.

Provides:
    page_data_from_collection(coll, page, per_page, videos_meta=None): a page
        of an in-memory ``DomainIntervalCollection`` (pure: no Django).
    page_data_from_stored(collection, page, per_page, media_url=None): a page
        of a stored ``ResultCollection`` read on the server: only the page's
        domains and the bounds of their top-level intervals are read.
    interval_detail(interval, fps): what the viewer shows of one selected or
        hovered interval (exact bounds, payload, labelled boxes).
    interval_detail_from_stored(collection, key, index): the same for the
        ``index``-th interval of domain ``key`` of a stored collection.
    encode_times(t1, t2): a timeline's bounds, compactly (see below).
    is_clock_domain(key): whether ``t`` of a domain is seconds of a day.
    to_jsonable(value), payload_boxes(value), payload_label(value): the
        conversions both use.
    PageOutOfRange: the page number is beyond the last page.

This module imports no Django at import time, so a notebook can render a
collection with it (``DomainIntervalCollection._repr_html_``); only the
``*_from_stored`` functions touch the database.

A page is sized by what is on screen, not by payloads: each interval's
temporal bounds are sent once, compactly, and nothing else of it. Payloads,
spatial bounds and boxes are *details*, fetched when an interval is hovered
or selected (``detail_url?key=<codec JSON key>&i=<index>``) for a stored
collection, or embedded per interval for an in-memory one (a notebook has
no server to ask).

Page data (``PAGE_DATA_VERSION`` 2)::

    {"version": 2, "title": str, "collection_id": int | None,
     "page": int (1-based), "per_page": int,
     "num_pages": int | None, "num_domains": int | None (None: not counted),
     "num_intervals": int | None, "note": str | None,   # e.g. "interrupted: ..."
     "warning": str | None,           # "computed on a different corpus: ..." (stored collections)
     "has_previous": bool, "has_next": bool,
     "page_url": str | None,          # JSON endpoint of other pages (?page=N)
     "detail_url": str | None,        # JSON endpoint of one interval (?key=K&i=N)
     "videos": [{"domain": <JSON key>, "key": <codec JSON of the key> | None,
                 "label": str, "video_id": int | None,
                 "span": [lo, hi],     # timeline extent: [0, num_frames], else the intervals' extent
                 "unit": "frames" | "clock" | None,
                 "fps": float | None, "src": str | None,   # playable media URL
                 "length_text": str,   # "99,830 frames · 55:29 at 29.97 fps"
                 "n": int,             # intervals of this domain
                 "s1": int, "t1": [int, ...], "s2": int, "dur": int | [int, ...],
                 "details": [<interval_detail>, ...]}]}   # in-memory collections only

Bounds (``encode_times``): interval ``i`` starts at
``t1_i = (t1[0] + ... + t1[i]) / s1`` (``t1`` holds differences of the
starts, in time order, quantised by ``s1``) and ends at
``t2_i = t1_i + dur_i / s2`` (``dur`` is one number when every interval
lasts the same). ``s1``/``s2`` are 1 for integer bounds, else a power of
ten fine enough for the timeline (100 for frame numbers: 0.01 frame). A
page of 25 frames-with-faces videos (17,000 intervals) is ~4 bytes per
interval. The exact bounds come with an interval's detail.

Unit ``clock``: the domain is a date (or a tuple holding one) and ``t`` is
seconds since its midnight, shown as clock time; ``frames``: the domain is
a video with an ``fps``, ``t`` is a frame number shown as ``m:ss``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..intervals import payload_codec

if TYPE_CHECKING:
    from ..intervals.collection import DomainIntervalCollection
    from ..models import ResultCollection

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_NESTED",
    "PAGE_DATA_VERSION",
    "PageOutOfRange",
    "encode_times",
    "format_seconds",
    "interval_detail",
    "interval_detail_from_stored",
    "is_clock_domain",
    "page_data_from_collection",
    "page_data_from_stored",
    "payload_boxes",
    "payload_label",
    "to_jsonable",
]

PAGE_DATA_VERSION = 2
DEFAULT_PER_PAGE = 25
# Nested payloads shown per level; the rest is summarised, so one huge payload
# cannot blow up a detail.
MAX_NESTED = 200
MAX_BOXES = 200
_LABEL_CHARS = 40
# Counting distinct domains costs one index probe per domain; past this many
# the page count is reported as unknown.
COUNT_DOMAINS_UP_TO = 20_000
# Quantised bounds stay below 2**53, exact in a JavaScript number.
_MAX_QUANTUM = 2.0**52
_LABEL_FIELDS = ("name", "identity", "label", "id", "face_id")


class PageOutOfRange(ValueError):
    """The page number is below 1 or past the last page."""


def _num(value: Any) -> Any:
    """A number as JSON shows it: numpy scalars become Python, NaN/inf strings, floats 15 significant digits.

    Fifteen digits is what a decimal number round-trips through a float, so
    ``269.91`` reads ``269.91``, not the float noise ``269.90999999999997``
    of ``180 + 89.91``.
    """
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return float(f"{value:.15g}") if math.isfinite(value) else str(value)
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


def payload_label(value: Any) -> str | None:
    """A short label for a box from an interval's payload, or None.

    Scalars (a face id, an identity name) label themselves; a dict is
    labelled by its first of ``name``, ``identity``, ``label``, ``id``,
    ``face_id``; a tuple or list of scalars by its items joined. Labels are
    cut to 40 characters.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Mapping):
        for field in _LABEL_FIELDS:
            if field in value and value[field] is not None:
                return payload_label(value[field])
        return None
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float, str)) for v in value):
        text = " ".join(str(_num(v)) for v in value[:4])
    elif isinstance(value, (int, float, str, dt.date)) or hasattr(value, "item") and not hasattr(value, "__len__"):
        text = str(_num(value))
    else:
        return None
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _box(x: Any, y: Any, label: str | None) -> list[Any] | None:
    x1, x2, y1, y2 = (_num(v) for v in (x[0], x[1], y[0], y[1]))
    if (x1, x2, y1, y2) == (0, 1, 0, 1):
        return None
    return [x1, y1, x2, y2, label]


def payload_boxes(value: Any, depth: int = 0) -> list[list[Any]]:
    """Boxes ``[x1, y1, x2, y2, label]`` of the intervals nested in a payload.

    Intervals nested in an ``IntervalSet3D``, an ``Interval3D``, or tuples,
    lists and dicts holding them (as ``group_by_time`` and
    ``collect_by_interval`` make); full-frame ones draw no box. ``label`` is
    :func:`payload_label` of the nested interval's payload.
    """
    out: list[list[Any]] = []

    def walk(v: Any, d: int) -> None:
        if d > 4 or len(out) >= MAX_BOXES:
            return
        if _is_interval_set(v):
            for i in _take(v.get_intervals()):
                walk(i, d)
        elif _is_interval(v):
            box = _box(v.x, v.y, payload_label(v.payload))
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


def format_seconds(seconds: float, *, clock: bool = False) -> str:
    """``m:ss.ss`` (``h:mm:ss.ss`` past an hour) of a duration, or ``HH:MM:SS`` clock time of day.

    Clock times past midnight (a broadcast running into the next day) read
    ``+1d HH:MM:SS``.
    """
    if not math.isfinite(seconds):
        return str(seconds)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if clock:
        days, rest = divmod(int(seconds), 86_400)
        hours, rest = divmod(rest, 3600)
        text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        return sign + (f"+{days}d {text}" if days else text)
    whole, frac = divmod(round(seconds, 2), 1)
    hours, rest = divmod(int(whole), 3600)
    minutes, secs = divmod(rest, 60)
    cents = f".{round(frac * 100):02d}" if round(frac * 100) else ""
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}{cents}"
    return f"{sign}{minutes}:{secs:02d}{cents}"


def interval_detail(intrvl: Any, fps: float | None = None, *, clock: bool = False) -> dict[str, Any]:
    """What the viewer shows of one interval: exact bounds, times, payload, labelled boxes.

    ``{"t": [t1, t2], "x": [..], "y": [..], "time": "0:06–0:09.01" | None,
    "payload": to_jsonable(payload), "boxes": [[x1, y1, x2, y2, label], ...]}``;
    ``boxes`` are the interval's own bounds (unless full-frame) and those of
    the intervals nested in its payload (e.g. a frame's faces). ``time`` is
    the bounds in seconds (``t / fps``) or, with ``clock``, clock time.
    """
    t1, t2 = intrvl.t
    own = _box(intrvl.x, intrvl.y, payload_label(intrvl.payload))
    time = None
    if fps:
        time = f"{format_seconds(t1 / fps)}–{format_seconds(t2 / fps)}"
    elif clock:
        time = f"{format_seconds(t1, clock=True)}–{format_seconds(t2, clock=True)}"
    return {
        **_interval_dict(intrvl, 0),
        "time": time,
        "boxes": ([own] if own else []) + payload_boxes(intrvl.payload),
    }


def _scale(values: npt.NDArray[np.float64], extent: float) -> int:
    """1 for integer values, else a power of ten resolving 1e-5 of ``extent`` (at least 0.01)."""
    if not len(values) or np.array_equal(values, np.round(values)):
        return 1
    digits = max(2, math.ceil(5 - math.log10(max(extent, 1e-9))))
    scale = 10**min(digits, 9)
    while scale > 1 and float(np.abs(values).max()) * scale > _MAX_QUANTUM:
        scale //= 10
    return scale


def encode_times(t1: Sequence[float] | npt.NDArray[Any], t2: Sequence[float] | npt.NDArray[Any]) -> dict[str, Any]:
    """Temporal bounds of one timeline, in time order, as the page sends them (see module doc).

    Non-finite bounds are clamped to the finite extent (they are drawn to
    the timeline's edge; the detail has the exact value).
    """
    a = np.asarray(t1, dtype=np.float64)
    b = np.asarray(t2, dtype=np.float64)
    finite = np.concatenate([a[np.isfinite(a)], b[np.isfinite(b)]])
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    a, b = np.clip(a, lo, hi), np.clip(b, lo, hi)
    extent = max(hi - lo, 1e-9)
    s1, s2 = _scale(a, extent), _scale(b - a, extent)
    q1 = np.rint(a * s1).astype(np.int64)
    dur = np.rint((b - a) * s2).astype(np.int64)
    same = len(dur) > 0 and bool((dur == dur[0]).all())
    return {
        "n": len(a),
        "s1": s1,
        "t1": np.diff(q1, prepend=0).tolist(),
        "s2": s2,
        "dur": int(dur[0]) if same else dur.tolist(),
    }


def sorted_keys(keys: Iterable[Hashable]) -> list[Hashable]:
    """Domain keys in the order pages show them: sorted, or as given if they do not sort."""
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


def is_clock_domain(key: Any) -> bool:
    """Whether a domain key is a date (or a tuple holding one): ``t`` is then seconds of that day."""
    if isinstance(key, tuple):
        return any(is_clock_domain(k) for k in key)
    return isinstance(key, dt.date) and not isinstance(key, dt.datetime)


def _key_json(key: Any) -> str | None:
    """The codec JSON of a domain key (what a detail request names), or None for a key it cannot encode.

    Stored keys always encode; an in-memory collection may use any
    hashable, and its details travel with the page anyway.
    """
    try:
        return payload_codec.dumps(key, path="domain")
    except TypeError:
        return None


def _length_text(span: list[float], unit: str | None, fps: float | None, num_frames: Any) -> str:
    if unit == "frames" and num_frames is not None and fps:
        return f"{int(num_frames):,} frames · {format_seconds(num_frames / fps)} at {fps:g} fps"
    if unit == "clock":
        return f"{format_seconds(span[0], clock=True)} to {format_seconds(span[1], clock=True)}"
    return f"t from {span[0]:,g} to {span[1]:,g}"


def _video_entry(
    key: Any, meta: Mapping[str, Any] | None, t1: npt.NDArray[Any], t2: npt.NDArray[Any]
) -> dict[str, Any]:
    """One timeline of page data: the domain, its video's metadata and its intervals' bounds."""
    meta = dict(meta or {})
    fps = meta.get("fps")
    num_frames = meta.get("num_frames")
    clock = is_clock_domain(key)
    unit = "clock" if clock else "frames" if fps else None
    times = encode_times(t1, t2)
    bounds = np.concatenate([np.asarray(t1, dtype=np.float64), np.asarray(t2, dtype=np.float64)])
    bounds = bounds[np.isfinite(bounds)]
    lo, hi = (float(bounds.min()), float(bounds.max())) if len(bounds) else (0.0, 1.0)
    if num_frames:
        span: list[float] = [0, num_frames]
    elif clock:
        span = [math.floor(lo / 3600) * 3600, max(math.ceil(hi / 3600), math.floor(lo / 3600) + 1) * 3600]
    else:
        span = [min(0.0, lo), hi if hi > min(0.0, lo) else min(0.0, lo) + 1]
    video_id = meta.get("video_id", key if isinstance(key, int) and not isinstance(key, bool) else None)
    return {
        "domain": to_jsonable(key),
        "key": _key_json(key),
        "label": str(meta.get("label") or (f"video {key}" if video_id is not None else to_jsonable(key))),
        "video_id": video_id,
        "span": [_num(v) for v in span],
        "unit": unit,
        "fps": fps,
        "src": meta.get("src"),
        "length_text": _length_text(span, unit, fps, num_frames),
        **times,
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
    Each video carries its intervals' details (``interval_detail``), since
    there is no server to fetch them from.

    Args:
        coll: the collection.
        page: 1-based page number.
        per_page: domains per page.
        videos_meta: optional ``{key: {"num_frames", "fps", "src", "label"}}``;
            without ``num_frames`` a timeline spans its intervals.
        title: heading (default ``"DomainIntervalCollection"``).
        page_url: URL serving other pages as JSON (``?page=N``), if any.

    Raises:
        PageOutOfRange: ``page < 1`` or past the last page.

    Cost: O(domains log domains) to order the keys, then O(intervals on the page).
    """
    keys = sorted_keys(coll.keys())
    offset, num_pages = _page_bounds(page, per_page, len(keys))
    videos_meta = videos_meta or {}
    videos = []
    for key in keys[offset : offset + per_page]:
        meta = videos_meta.get(key) or {}
        found = coll[key]
        cols = found.columns
        entry = _video_entry(key, meta, np.asarray(cols.t1), np.asarray(cols.t2))
        clock = entry["unit"] == "clock"
        entry["details"] = [interval_detail(i, meta.get("fps"), clock=clock) for i in found.get_intervals()]
        videos.append(entry)
    return _page(
        title or "DomainIntervalCollection", None, page, per_page, num_pages, len(keys), len(coll.columns),
        has_next=num_pages is not None and page < num_pages, page_url=page_url, videos=videos,
    )


def _page(
    title: str, collection_id: int | None, page: int, per_page: int, num_pages: int | None,
    num_domains: int | None, num_intervals: int | None, *, has_next: bool, page_url: str | None,
    videos: list[dict[str, Any]], note: str | None = None, detail_url: str | None = None,
    warning: str | None = None,
) -> dict[str, Any]:
    return {
        "version": PAGE_DATA_VERSION,
        "title": title,
        "collection_id": collection_id,
        "page": page,
        "per_page": per_page,
        "num_pages": num_pages,
        "num_domains": num_domains,
        "num_intervals": num_intervals,
        "note": note,
        "warning": warning,
        "has_previous": page > 1,
        "has_next": has_next,
        "page_url": page_url,
        "detail_url": detail_url,
        "videos": videos,
    }


# -- stored collections (Django, imported lazily) ------------------------------


def _domain_ints(collection_id: int, offset: int, limit: int) -> list[int]:
    """Distinct integer domains of a collection in order, ``limit`` from ``offset``.

    A loose index scan over the collection's ``(domain_int, t1, t2)`` index:
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


def _int_domain_times(collection_id: int, keys: list[int]) -> dict[int, tuple[npt.NDArray[Any], npt.NDArray[Any]]]:
    """``{video id: (t1, t2)}`` of the top-level intervals of ``keys``, in time order.

    ``keys`` are consecutive domains of the collection (a page), so one
    range scan of the collection's ``(domain_int, t1, t2)`` index reads them
    in that order, with no sort and no payload. Intervals with equal
    ``(t1, t2)`` may come in any order among themselves; they occupy the
    same positions in ``load_domains``'s order (bounds, then storage order),
    so interval ``i`` of a page and of a detail request have the same
    temporal bounds.
    """
    from django.db import connection

    from ..models import ResultInterval

    if not keys:
        return {}
    rows = (
        ResultInterval.objects.filter(
            collection_id=collection_id, parent_row__isnull=True, domain_int__gte=keys[0], domain_int__lte=keys[-1]
        )
        .order_by("domain_int", "t1", "t2")
        .values_list("domain_int", "t1", "t2")
    )
    # The ORM's SQL and parameters, fetched as plain tuples: three numbers a
    # row need none of the queryset's per-row conversion.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        table = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 3)
    dom = table[:, 0].astype(np.int64)
    out = {}
    for key in keys:
        lo, hi = np.searchsorted(dom, key, "left"), np.searchsorted(dom, key, "right")
        out[key] = (table[lo:hi, 1], table[lo:hi, 2])
    return out


def page_data_from_stored(
    collection: ResultCollection,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    *,
    media_url: Callable[[Any], str | None] | None = None,
    page_url: str | None = None,
    detail_url: str | None = None,
) -> dict[str, Any]:
    """Page ``page`` of a stored collection, reading only that page's intervals' bounds.

    Integer domains (video ids) are paged with a loose index scan on
    the collection's ``(domain_int, ...)`` index (see :func:`_domain_ints`); the page's
    bounds are one indexed query ``domain_int IN (<page's ids>)`` reading
    ``(domain_int, t1, t2)`` only, and the page's videos one query on
    ``Video``. Collections with non-integer domains (dates, strings,
    tuples: one domain per day, few of them) are paged with ``SELECT
    DISTINCT domain ... LIMIT/OFFSET`` and read with ``load_domains``.
    The header's interval count and ``note`` come from the chunk rows
    (``commands_support.run_progress``), so they agree with the rows shown
    while a run is going on or was interrupted. ``warning`` says when the
    collection was computed on a different corpus than the current one
    (``corpus_fingerprint``: one primary-key read).

    Args:
        collection: the stored collection.
        page: 1-based page number.
        per_page: domains per page.
        media_url: ``video -> URL or None``, the playable media of a video.
        page_url: URL serving other pages as JSON.
        detail_url: URL serving one interval's detail (``?key=K&i=N``).

    Raises:
        PageOutOfRange: ``page < 1`` or past the last page.

    Cost: about seven queries, O(domains before the page) index probes and
    O(intervals on the page) rows of three numbers, whatever the
    collection's size and its payloads; counting the pages costs one probe
    per domain (up to ``COUNT_DOMAINS_UP_TO``, past which the page count is
    unknown), cached for finished collections.
    """
    from django.db.models import F

    from .. import corpus_fingerprint
    from ..commands_support import run_progress
    from ..models import ResultInterval, Video
    from ..storage import load_domains

    rows_qs = ResultInterval.objects.filter(collection_id=collection.pk, parent_row__isnull=True)
    # NULLs first down the collection's (domain_int, ...) index: one probe. (A plain
    # ``domain_int IS NULL`` test is planned as a scan: the nested rows, whose
    # domain_int is NULL, skew its estimate.)
    first = rows_qs.order_by(F("domain_int").desc(nulls_first=True)).values_list("domain_int", flat=True)[:1]
    int_domains = None not in list(first)
    if int_domains:
        num_domains = _cached_domain_count(collection)
        offset, num_pages = _page_bounds(page, per_page, num_domains)
        keys: list[Any] = _domain_ints(collection.pk, offset, per_page + 1)
        if page > 1 and not keys:
            raise PageOutOfRange(f"page {page} is past the last page")
        has_next, keys = len(keys) > per_page, keys[:per_page]
        videos = {v.pk: v for v in Video.objects.filter(pk__in=keys).only("id", "path", "num_frames", "fps")}
        times = _int_domain_times(collection.pk, keys)
    else:
        num_domains = rows_qs.values("domain").distinct().count()
        offset, num_pages = _page_bounds(page, per_page, num_domains)
        raw_keys = list(
            rows_qs.order_by("domain").values_list("domain", flat=True).distinct()[offset : offset + per_page]
        )
        has_next = num_pages is not None and page < num_pages
        keys = [payload_codec.decode(k) for k in raw_keys]
        videos = {}
        coll = load_domains(collection, keys)
        times = {k: (np.asarray(coll[k].columns.t1), np.asarray(coll[k].columns.t2)) for k in keys if k in coll}
    entries = []
    empty = np.zeros(0)
    for key in keys:
        video = videos.get(key)
        meta: dict[str, Any] = {}
        if video is not None:
            meta = {
                "video_id": video.pk,
                "label": f"video {video.pk} · {video.path}",
                "num_frames": video.num_frames,
                "fps": video.fps,
                "src": media_url(video) if media_url else None,
            }
        entries.append(_video_entry(key, meta, *times.get(key, (empty, empty))))
    progress = run_progress(collection)
    change = corpus_fingerprint.collection_corpus_change(collection, corpus_fingerprint.current(collection._state.db or "default"))
    return _page(
        collection.name, collection.pk, page, per_page, num_pages, num_domains, progress.intervals,
        has_next=has_next, page_url=page_url, videos=entries, note=progress.note(collection.name),
        detail_url=detail_url, warning=f"computed on a different corpus: {change}" if change else None,
    )


def interval_detail_from_stored(collection: ResultCollection, key_json: str, index: int) -> dict[str, Any]:
    """The detail (:func:`interval_detail`) of interval ``index`` of domain ``key_json`` (codec JSON).

    Reads that domain with its nested sets (``load_domains``): cost in
    proportion to the domain's rows. Index ``i`` is the position in time
    order, as on the page.

    Raises:
        LookupError: no such domain, or ``index`` out of its range.
        ValueError: ``key_json`` is not codec JSON.
    """
    from ..models import Video
    from ..storage import load_domains

    key = payload_codec.loads(key_json)
    try:
        hash(key)
    except TypeError:
        raise ValueError(f"not a domain key: {key_json!r}") from None
    coll = load_domains(collection, [key])
    if key not in coll:
        raise LookupError(f"no domain {key_json} in collection {collection.name!r}")
    found = coll[key]
    if not 0 <= index < len(found):
        raise LookupError(f"domain {key_json} has {len(found):,} intervals, no index {index}")
    fps = None
    if type(key) is int:
        fps = Video.objects.filter(pk=key).values_list("fps", flat=True).first()
    return interval_detail(found.get_intervals()[index], fps, clock=is_clock_domain(key))
