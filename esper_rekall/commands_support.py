"""Argument parsing and summaries shared by the ``rekall_*`` management commands.

Provides:
    parse_id_ranges("1,2,5-9"): sorted distinct integer ids.
    parse_date_range("2026-01-01:2026-01-31"): every date of an inclusive range,
        as ISO strings (JSON-safe arguments for ``arg_kind="date"`` queries).
    format_duration(seconds): ``"1h 02m 03s"`` / ``"4.2s"``.
    plural(n, word): ``"1 date"``, ``"1,000 dates"``.
    EMPTY_RESULT_NOTE: why a finished run may have stored nothing, printed with it.
    run_progress(collection): a run as its chunk rows tell it (``RunProgress``:
        counts per state with ``stale`` running chunks apart, stored
        intervals, chunk times, the "interrupted: run ``rekall_resume``" note).
    stale_note(collection, corpus): "stale: computed on a different corpus: ..."
        when the corpus changed since the run was created, else None.
    collection_summary(collection): the one-screen summary lines printed by
        ``rekall_run``, ``rekall_resume`` and ``rekall_status NAME``.
    run_errors_in_one_line(name): a context turning the errors a run can end
        with that are no bug (bad input, a replaced collection, a broker or
        database that is down) into a one-line ``CommandError``.

Every parser raises ``ValueError`` with the offending text; commands turn it
into a ``CommandError``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import corpus_fingerprint

if TYPE_CHECKING:
    from .corpus_fingerprint import CorpusFingerprint
    from .models import ResultCollection

__all__ = [
    "EMPTY_RESULT_NOTE",
    "MAX_DATES",
    "MAX_IDS",
    "RunProgress",
    "collection_duration",
    "collection_summary",
    "run_errors_in_one_line",
    "format_duration",
    "parse_date_range",
    "parse_id_ranges",
    "plural",
    "run_progress",
    "stale_note",
]

#: What a finished run that stored nothing prints (``rekall_run``, ``rekall_status NAME``).
EMPTY_RESULT_NOTE = (
    "0 intervals: every chunk ran and its query returned nothing. Check the filters (an identity or "
    "show name that matches nothing), and for sampled labels that consecutive samples touch: "
    "max_frame must reach the next sample (or use temporal_coalesce(epsilon=<sampling period>)), "
    "else coalesce merges nothing and filter_size drops every interval."
)

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


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, plural unless ``n`` is 1: ``"1 date"``, ``"1,000 dates"``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


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
    """Seconds from creation to finish; None when it never started.

    A run still going counts to ``now``; a run that stopped (see
    ``RunProgress.stopped``) counts to its last chunk activity, so the
    duration of a killed run does not keep growing.
    """
    if collection.created is None:
        return None
    end = collection.finished
    if end is None:
        if collection.status not in ("running", "pending"):
            return None
        progress = run_progress(collection, now)
        end = progress.last_activity if progress.stopped else progress.now
        if end is None:
            return None
    return max((end - collection.created).total_seconds(), 0.0)


@dataclass(frozen=True)
class RunProgress:
    """A run as its chunk rows tell it (see :func:`run_progress`).

    ``counts`` has every chunk state, and ``stale``: chunks still marked
    running whose lease lapsed (or that never had one), whose worker or
    driver is gone; they are counted there, not under ``running``.
    """

    counts: dict[str, int]
    intervals: int
    last_activity: dt.datetime | None
    now: dt.datetime

    @property
    def total(self) -> int:
        """Chunks of the run, every state."""
        return sum(self.counts.values())

    @property
    def live(self) -> bool:
        """Whether a worker holds a live lease on some chunk."""
        return self.counts["running"] > 0

    @property
    def interrupted(self) -> int:
        """Chunks whose worker is gone: ``interrupted`` and ``stale`` ones."""
        return self.counts["interrupted"] + self.counts["stale"]

    @property
    def stopped(self) -> bool:
        """Whether the run stopped unfinished: chunks whose worker is gone, and no live worker.

        (Pending chunks alone are not "stopped": Celery workers may not
        have picked them up yet.)
        """
        return self.interrupted > 0 and not self.live

    @property
    def unfinished(self) -> int:
        """Chunks a resume would run: pending, running, stale, interrupted."""
        return self.counts["pending"] + self.counts["running"] + self.interrupted

    def note(self, name: str) -> str | None:
        """A one-line status note when the run is not simply done, else None.

        ``interrupted: 10 of 20 chunks did not finish; run `rekall_resume NAME```
        when the run ``stopped``.
        """
        if self.stopped:
            return (
                f"interrupted: {self.unfinished:,} of {plural(self.total, 'chunk')} did not finish; "
                f"run `rekall_resume {name}`"
            )
        if self.live:
            done = self.counts["done"]
            return f"running: {done:,} of {plural(self.total, 'chunk')} done, {self.counts['running']:,} running"
        if self.counts["failed"]:
            return f"{self.counts['failed']:,} of {plural(self.total, 'chunk')} failed"
        return None


def run_progress(collection: ResultCollection, now: dt.datetime | None = None) -> RunProgress:
    """The progress of a collection read from its chunk rows (one query, no write).

    A running chunk whose lease lapsed before ``now`` counts as ``stale``
    (``ResultChunk.objects.expire_leases`` would mark it interrupted);
    ``intervals`` sums the done chunks' rows (what the viewer shows, even
    while the collection's own summary is behind).
    """
    from django.db.models import Count, Max, Q, Sum
    from django.utils import timezone

    from .models import ResultChunk

    now = now or timezone.now()
    counts = {state: 0 for state in (*ResultChunk.State.values, "stale")}
    stale = Q(state=ResultChunk.State.RUNNING) & (Q(lease_expires__isnull=True) | Q(lease_expires__lt=now))
    rows = (
        ResultChunk.objects.filter(collection=collection)
        .values("state")
        .annotate(
            n=Count("id"),
            n_stale=Count("id", filter=stale),
            rows=Sum("num_intervals", filter=Q(state=ResultChunk.State.DONE)),
            started=Max("started"),
            finished=Max("finished"),
        )
        .order_by()
    )
    intervals, activity = 0, []
    for row in rows:
        counts[row["state"]] += row["n"] - row["n_stale"]
        counts["stale"] += row["n_stale"]
        intervals += row["rows"] or 0
        activity += [t for t in (row["started"], row["finished"]) if t is not None]
    return RunProgress(counts, intervals, max(activity, default=None), now)


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


def stale_note(collection: ResultCollection, corpus: CorpusFingerprint, *, brief: bool = False) -> str | None:
    """One line when ``collection`` was computed on another corpus than ``corpus`` (the current one), else None.

    ``"stale: computed on a different corpus: videos 20 → 30 (run: ...; now: ...);
    re-run with `rekall_run QUERY ... --name NAME --replace`"``; ``brief`` leaves
    out the two fingerprints (a list prints the current one once).
    """
    change = corpus_fingerprint.collection_corpus_change(collection, corpus, brief=brief)
    if change is None:
        return None
    return (
        f"stale: computed on a different corpus: {change}; re-run with "
        f"`rekall_run {collection.query_name or 'QUERY'} ... --name {collection.name} --replace`"
    )


def collection_summary(collection: ResultCollection, *, max_failed: int = 10) -> list[str]:
    """The one-screen summary of a stored collection, as lines.

    Reads the collection row, then its chunk rows (state counts, stored
    intervals, timings): a few queries whatever the number of chunks. A run
    with unfinished chunks and no live worker reads ``interrupted``, with
    the ``rekall_resume`` command to run; one computed on another corpus
    than the current one says it is ``stale``.
    """
    progress = run_progress(collection)
    counts, total = progress.counts, progress.total
    timed, mean, longest = _chunk_timings(collection)
    status = "interrupted" if progress.stopped and collection.finished is None else collection.status
    chunks = [f"{counts['done']:,}/{total:,} done", f"{counts['failed']:,} failed"]
    for state, label in (("running", "running"), ("interrupted", "interrupted"), ("stale", "stale (worker gone)"),
                         ("pending", "pending"), ("split", "split")):
        if counts[state]:
            chunks.append(f"{counts[state]:,} {label}")
    lines = [
        f"collection {collection.name!r} (id {collection.pk}): {status}",
        f"  query      {collection.query_name or '-'}   runtime {collection.runtime or '-'}   "
        f"chunksize {collection.chunksize}",
        f"  arguments  {len(collection.arguments or []):,}",
        f"  chunks     {', '.join(chunks)}",
        f"  intervals  {progress.intervals:,}" + ("" if collection.finished else " (in done chunks)"),
        f"  created    {collection.created:%Y-%m-%d %H:%M:%S}"
        + (f"   finished {collection.finished:%Y-%m-%d %H:%M:%S}" if collection.finished else "")
        + f"   duration {format_duration(collection_duration(collection))}",
    ]
    note = progress.note(collection.name)
    if note and note.startswith("interrupted"):
        lines.insert(1, f"  {note}")
    stale = stale_note(collection, corpus_fingerprint.current(collection._state.db or "default"))
    if stale:
        lines.insert(1, f"  {stale}")
    if collection.finished is not None and counts["done"] and not progress.intervals:
        lines.append(f"  note       {EMPTY_RESULT_NOTE}")
    if timed:
        lines.append(f"  chunk time mean {format_duration(mean)}, max {format_duration(longest)} over {plural(timed, 'chunk')}")
    failed = list(collection.failed_args or [])
    if failed:
        lines.append(f"  failed     {plural(len(failed), 'argument group')}:")
        for entry in failed[:max_failed]:
            if isinstance(entry, dict):
                lines.append(f"    {_short(entry.get('args'))}: {_short(entry.get('error', ''), 100)}")
            else:
                lines.append(f"    {_short(entry)}")
        if len(failed) > max_failed:
            lines.append(f"    ... and {len(failed) - max_failed:,} more")
    return lines


@contextlib.contextmanager
def run_errors_in_one_line(name: str) -> Iterator[None]:
    """Re-raises the errors a run of collection ``name`` ends with that are no bug as one-line ``CommandError``s.

    Bad input (``ValueError``), a collection replaced under its driver, a
    broker that is down, and a database that cannot be reached (the driver
    retries a restart for a minute first): what finished is stored, so the
    message for the database says how to continue.
    """
    from django.core.management.base import CommandError
    from django.db import InterfaceError, OperationalError

    from .runtime.celery_pool import BrokerUnavailable, CollectionReplaced

    try:
        yield
    except (ValueError, CollectionReplaced, BrokerUnavailable) as exc:
        raise CommandError(str(exc)) from None
    except (OperationalError, InterfaceError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(
            f"the database cannot be reached ({reason}); the chunks that finished are stored: "
            f"run `manage.py rekall_resume {name}` once it is back"
        ) from None
