"""``manage.py rekall_export NAME --format json|csv``: write a stored collection out.

JSON (compact: one line per video; ``--indent N`` to pretty-print)::

    {"collection": {"name": ..., "query": ..., "status": ..., "num_intervals": ...},
     "videos": [{"video_id": 12, "path": "tvnews/...mp4", "fps": 29.97,
                 "intervals": [{"t1": .., "t2": .., "t1_seconds": .., "t2_seconds": ..,
                                "x1": .., "x2": .., "y1": .., "y2": .., "payload": ...}]}]}

(``"domain"`` instead of ``"video_id"``, and no path or fps, for
non-integer domains such as dates). CSV: a header and one row per interval
``video_id, path, fps, t1, t2, t1_seconds, t2_seconds, x1, x2, y1, y2,
payload`` (payload as compact JSON; ``domain`` instead of ``video_id`` for
other keys, written as values: ``2026-01-01``, composite keys as compact
JSON). Seconds are ``t / fps`` for videos; for date domains ``t`` already
is seconds since midnight. Numbers are written at their real precision
(15 significant digits: ``269.91``, not the float noise
``269.90999999999997``). Payloads are decoded and shown as plain JSON
(nested interval sets become lists of ``{"t", "x", "y", "payload"}``).
Rows are read from the database a batch of domains at a time, never the
whole collection in memory.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from esper_rekall.models import ResultCollection, ResultInterval, Video
from esper_rekall.viewer.pages import to_jsonable

_FIELDS = ("t1", "t2", "x1", "x2", "y1", "y2")
#: Domains read per query: memory stays bounded by a few hundred videos' intervals.
_DOMAINS_PER_READ = 200


def _real(value: float) -> int | float:
    """A number at its real precision: integral values as ``int``, others to 15 significant digits."""
    value = float(value)
    return int(value) if value.is_integer() else float(f"{value:.15g}")


def _seconds(t: float, fps: float | None, clock: bool) -> float | None:
    """``t`` in seconds: ``t / fps`` for a video's frames, ``t`` itself for a date domain, else None."""
    if fps:
        return _real(round(t / fps, 6))
    return _real(t) if clock else None


class Command(BaseCommand):
    """Export a stored collection as JSON or CSV."""

    help = (
        "Export a stored collection as JSON (grouped by video; compact, --indent to pretty-print) or CSV "
        "(one row per interval, with path, fps and times in seconds)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Collection name (see: manage.py rekall_status).")
        parser.add_argument("--format", choices=("json", "csv"), required=True, help="Output format.")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        parser.add_argument(
            "--indent", type=int, default=None, metavar="N", help="JSON: pretty-print with N spaces (default: compact)."
        )

    def _rows(self, collection: ResultCollection, progress: bool) -> Iterator[tuple[Any, ...]]:
        """``(key, video (path, fps) or None, bounds, seconds, payload)`` per interval, a batch of domains at a time."""
        from esper_rekall.intervals.payload_codec import decode
        from esper_rekall.storage import load_domains
        from esper_rekall.viewer.pages import is_clock_domain

        top = ResultInterval.objects.filter(collection=collection, parent_row__isnull=True)
        # Integer domains in order (the partition's (domain_int, t1, t2) index), then the others by stored key.
        keys: list[Any] = list(
            top.exclude(domain_int=None).order_by("domain_int").values_list("domain_int", flat=True).distinct()
        )
        keys += [decode(d) for d in top.filter(domain_int=None).order_by("domain").values_list("domain", flat=True).distinct()]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=collection.num_intervals, unit="interval", file=sys.stderr, desc=collection.name)
        try:
            for start in range(0, len(keys), _DOMAINS_PER_READ):
                batch = keys[start : start + _DOMAINS_PER_READ]
                coll = load_domains(collection, batch)
                ints = [k for k in batch if type(k) is int]
                videos = {pk: (path, fps) for pk, path, fps in Video.objects.filter(pk__in=ints).values_list("pk", "path", "fps")}
                for key in batch:
                    intervals = coll[key].get_intervals() if key in coll else []
                    video = videos.get(key) if type(key) is int else None
                    fps, clock = video[1] if video else None, is_clock_domain(key)
                    shown = key if type(key) is int else to_jsonable(key)
                    for i in intervals:
                        seconds = [_seconds(t, fps, clock) for t in i.t]
                        yield shown, video, [_real(b) for b in (*i.t, *i.x, *i.y)], seconds, to_jsonable(i.payload)
                    if bar is not None:
                        bar.update(len(intervals))
        finally:
            if bar is not None:
                bar.close()

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        collection = ResultCollection.objects.filter(name=name).first()
        if collection is None:
            raise CommandError(f"no result collection named {name!r} (see: manage.py rekall_status)")
        progress = not options["no_progress"] and options["output"] is not None
        try:
            out: IO[str] = open(options["output"], "w", encoding="utf-8", newline="") if options["output"] else None  # type: ignore[assignment]
        except OSError as exc:
            raise CommandError(f"--output: cannot write {options['output']!r}: {exc.strerror}") from None
        try:
            target = out if out is not None else self.stdout
            rows = self._rows(collection, progress)
            if options["format"] == "csv":
                count = self._csv(target, rows)
            else:
                count = self._json(target, collection, rows, options["indent"])
        finally:
            if out is not None:
                out.close()
        if options["output"]:
            self.stdout.write(f"rekall_export: {count:,} intervals of {name!r} written to {options['output']}")

    def _csv(self, target: Any, rows: Iterator[tuple[Any, ...]]) -> int:
        writer = csv.writer(_Writer(target), lineterminator="\n")
        count, header = 0, False
        for key, video, bounds, seconds, payload in rows:
            if not header:
                writer.writerow(("video_id" if isinstance(key, int) else "domain", "path", "fps", "t1", "t2",
                                 "t1_seconds", "t2_seconds", *_FIELDS[2:], "payload"))
                header = True
            shown_key = key if isinstance(key, (int, str)) else json.dumps(key, separators=(",", ":"), ensure_ascii=False)
            path, fps = video or ("", "")
            writer.writerow((shown_key, path, fps, *bounds[:2], *("" if s is None else s for s in seconds), *bounds[2:],
                             json.dumps(payload, separators=(",", ":"), ensure_ascii=False)))
            count += 1
        if not header:
            writer.writerow(("video_id", "path", "fps", "t1", "t2", "t1_seconds", "t2_seconds", *_FIELDS[2:], "payload"))
        return count

    def _json(self, target: Any, collection: ResultCollection, rows: Iterator[tuple[Any, ...]], indent: int | None) -> int:
        write = _Writer(target).write
        head = {
            "name": collection.name,
            "query": collection.query_name,
            "status": collection.status,
            "num_intervals": collection.num_intervals,
            "created": collection.created.isoformat() if collection.created else None,
            "finished": collection.finished.isoformat() if collection.finished else None,
        }
        compact = {"separators": (",", ":")} if indent is None else {"indent": indent}
        pad = "" if indent is None else " " * (2 * indent)
        write('{"collection": ' + json.dumps(head, ensure_ascii=False) + ',\n"videos": [')
        count, current, video, intervals, first = 0, object(), None, [], True

        def flush() -> None:
            nonlocal first
            block: dict[str, Any] = {"video_id": current} if isinstance(current, int) else {"domain": current}
            if video is not None:
                block.update(path=video[0], fps=video[1])
            text = json.dumps({**block, "intervals": intervals}, ensure_ascii=False, **compact)
            write(("\n" if first else ",\n") + "\n".join(pad + line for line in text.splitlines()))
            first = False

        for key, key_video, bounds, seconds, payload in rows:
            if key != current or type(key) is not type(current):
                if intervals:
                    flush()
                current, video, intervals = key, key_video, []
            t1, t2, *xy = bounds
            entry = {"t1": t1, "t2": t2}
            if seconds[0] is not None:
                entry.update(t1_seconds=seconds[0], t2_seconds=seconds[1])
            entry.update(zip(_FIELDS[2:], xy))
            intervals.append({**entry, "payload": payload})
            count += 1
        if intervals:
            flush()
        write("\n]}\n")
        return count


class _Writer:
    """``write(text)`` to a file or to a command's ``OutputWrapper`` (which would add newlines)."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self._wrapper = hasattr(target, "style_func")

    def write(self, text: str) -> None:
        if self._wrapper:
            self._target.write(text, ending="")
        else:
            self._target.write(text)
