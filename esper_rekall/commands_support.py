"""Argument parsing and summaries shared by the ``rekall_*`` management commands.

Provides:
    parse_id_ranges("1,2,5-9"): sorted distinct integer ids.
    parse_date_range("2026-01-01:2026-01-31"): every date of an inclusive range,
        as ISO strings (JSON-safe arguments for ``arg_kind="date"`` queries).
    format_duration(seconds): ``"1h 02m 03s"`` / ``"4.2s"``.
    chunk_state_counts(collection): ``{state: count}`` read from the chunk rows.
    collection_summary(collection): the one-screen summary lines printed by
        ``rekall_run``, ``rekall_resume`` and ``rekall_status NAME``.

Every parser raises ``ValueError`` with the offending text; commands turn it
into a ``CommandError``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import ResultCollection

__all__ = [
    "MAX_DATES",
    "MAX_IDS",
    "chunk_state_counts",
    "collection_duration",
    "collection_summary",
    "format_duration",
    "parse_date_range",
    "parse_id_ranges",
]

# A typo such as "1-100000000" should be an error, not an out-of-memory.
MAX_IDS = 10_000_000
MAX_DATES = 100_000


def parse_id_ranges(text: str) -> list[int]:
    """Parse ``"1,2,5-9"`` into sorted distinct ids ``[1, 2, 5, 6, 7, 8, 9]``.

    Items are separated by commas; an item is an id or an inclusive range
    ``a-b`` with ``a <= b``. Spaces around items are ignored. Ids are
    non-negative integers.

    Raises:
        ValueError: empty text or item, a non-integer, a negative id, a
            reversed range, or more than ``MAX_IDS`` ids; the message names
            the offending item.
    """
    if text is None or not str(text).strip():
        raise ValueError(f"expected video ids such as '1,2,5-9', got {text!r}")
    ids: set[int] = set()
    for raw in str(text).split(","):
        item = raw.strip()
        if not item:
            raise ValueError(f"empty item in id list {text!r}")
        lo_text, sep, hi_text = item.partition("-")
        try:
            lo = int(lo_text.strip())
            hi = int(hi_text.strip()) if sep else lo
        except ValueError:
            raise ValueError(f"{item!r} in {text!r} is not an id or a range a-b of ids") from None
        if lo > hi:
            raise ValueError(f"range {item!r} in {text!r} is reversed: {lo} > {hi}")
        if hi - lo + 1 + len(ids) > MAX_IDS:
            raise ValueError(f"range {item!r} in {text!r} has more than {MAX_IDS:,} ids")
        ids.update(range(lo, hi + 1))
    return sorted(ids)


def parse_date_range(text: str) -> list[str]:
    """Parse ``"A:B"`` (ISO dates, inclusive) into every date from A to B as ISO strings.

    A single date ``"A"`` is the range ``A:A``.

    Raises:
        ValueError: a malformed date, ``A > B``, or more than ``MAX_DATES`` days.
    """
    if text is None or not str(text).strip():
        raise ValueError(f"expected a date range such as '2026-01-01:2026-01-31', got {text!r}")
    start_text, sep, end_text = str(text).strip().partition(":")
    end_text = end_text if sep else start_text
    try:
        start = dt.date.fromisoformat(start_text.strip())
        end = dt.date.fromisoformat(end_text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date range YYYY-MM-DD:YYYY-MM-DD") from None
    if start > end:
        raise ValueError(f"date range {text!r} is reversed: {start} > {end}")
    days = (end - start).days + 1
    if days > MAX_DATES:
        raise ValueError(f"date range {text!r} has {days:,} days, more than {MAX_DATES:,}")
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]


def format_duration(seconds: float | None) -> str:
    """A short human duration: ``"-"`` for None, ``"4.2s"``, ``"3m 05s"``, ``"1h 02m 03s"``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def collection_duration(collection: ResultCollection, now: dt.datetime | None = None) -> float | None:
    """Seconds from creation to finish (to ``now`` while it runs); None when it never started."""
    if collection.created is None:
        return None
    end = collection.finished
    if end is None:
        if collection.status not in ("running", "pending"):
            return None
        from django.utils import timezone

        end = now or timezone.now()
    return max((end - collection.created).total_seconds(), 0.0)


def chunk_state_counts(collection: ResultCollection) -> dict[str, int]:
    """``{state: count}`` for every chunk state (zeros included), from the chunk rows. One query."""
    from django.db.models import Count

    from .models import ResultChunk

    counts = {state: 0 for state in ResultChunk.State.values}
    rows = ResultChunk.objects.filter(collection=collection).values_list("state").annotate(n=Count("id"))
    for state, n in rows.order_by():
        counts[state] = n
    return counts


def _chunk_timings(collection: ResultCollection) -> tuple[int, float | None, float | None]:
    """(timed chunks, mean seconds, max seconds) over finished chunks. One query."""
    from .models import ResultChunk

    spans = [
        (finished - started).total_seconds()
        for started, finished in ResultChunk.objects.filter(
            collection=collection, started__isnull=False, finished__isnull=False
        ).values_list("started", "finished")
    ]
    if not spans:
        return 0, None, None
    return len(spans), sum(spans) / len(spans), max(spans)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def collection_summary(collection: ResultCollection, *, max_failed: int = 10) -> list[str]:
    """The one-screen summary of a stored collection, as lines.

    Reads the collection row, then its chunk rows (state counts, timings):
    three queries whatever the number of chunks.
    """
    counts = chunk_state_counts(collection)
    total = sum(counts.values())
    pending = counts["pending"] + counts["running"]
    timed, mean, longest = _chunk_timings(collection)
    lines = [
        f"collection {collection.name!r} (id {collection.pk}): {collection.status}",
        f"  query      {collection.query_name or '-'}   runtime {collection.runtime or '-'}   "
        f"chunksize {collection.chunksize}",
        f"  arguments  {len(collection.arguments or []):,}",
        f"  chunks     {counts['done']:,}/{total:,} done, {counts['failed']:,} failed, {pending:,} pending"
        + (f" ({counts['running']:,} running)" if counts["running"] else "")
        + (f", {counts['split']:,} split" if counts["split"] else ""),
        f"  intervals  {collection.num_intervals:,}",
        f"  created    {collection.created:%Y-%m-%d %H:%M:%S}"
        + (f"   finished {collection.finished:%Y-%m-%d %H:%M:%S}" if collection.finished else "")
        + f"   duration {format_duration(collection_duration(collection))}",
    ]
    if timed:
        lines.append(f"  chunk time mean {format_duration(mean)}, max {format_duration(longest)} over {timed:,} chunks")
    failed = list(collection.failed_args or [])
    if failed:
        lines.append(f"  failed     {len(failed):,} argument group(s):")
        for entry in failed[:max_failed]:
            if isinstance(entry, dict):
                lines.append(f"    {_short(entry.get('args'))}: {_short(entry.get('error', ''), 100)}")
            else:
                lines.append(f"    {_short(entry)}")
        if len(failed) > max_failed:
            lines.append(f"    ... and {len(failed) - max_failed:,} more")
    return lines
