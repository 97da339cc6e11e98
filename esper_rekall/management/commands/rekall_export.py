"""``manage.py rekall_export NAME --format json|csv``: write a stored collection out.

JSON (indented, one block per video)::

    {"collection": {"name": ..., "query": ..., "status": ..., "num_intervals": ...},
     "videos": [{"video_id": 12, "intervals": [{"t1": .., "t2": .., "x1": .., "x2": ..,
                                               "y1": .., "y2": .., "payload": ...}]}]}

(``"domain"`` instead of ``"video_id"`` for non-integer domains such as
dates). CSV: a header and one row per interval ``video_id, t1, t2, x1, x2,
y1, y2, payload`` (payload as compact JSON). Payloads are decoded and shown
as plain JSON (nested interval sets become lists of ``{"t", "x", "y",
"payload"}``). Rows are read from the database a batch of domains at a
time, never the whole collection in memory.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from esper_rekall.models import ResultCollection, ResultInterval
from esper_rekall.viewer.pages import to_jsonable

_FIELDS = ("t1", "t2", "x1", "x2", "y1", "y2")
#: Domains read per query: memory stays bounded by a few hundred videos' intervals.
_DOMAINS_PER_READ = 200


def _bound(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class Command(BaseCommand):
    """Export a stored collection as JSON or CSV."""

    help = "Export a stored collection as human-readable JSON (grouped by video) or CSV (one row per interval)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Collection name (see: manage.py rekall_status).")
        parser.add_argument("--format", choices=("json", "csv"), required=True, help="Output format.")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def _rows(self, collection: ResultCollection, progress: bool) -> Iterator[tuple[Any, ...]]:
        from esper_rekall.intervals.payload_codec import decode
        from esper_rekall.storage import load_domains

        top = ResultInterval.objects.filter(collection=collection, parent_row__isnull=True)
        # Integer domains in order (the (collection, domain_int, t1, t2) index), then the others by stored key.
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
                for key in batch:
                    intervals = coll[key].get_intervals() if key in coll else []
                    shown = key if type(key) is int else to_jsonable(key)
                    for i in intervals:
                        yield shown, [_bound(b) for b in (*i.t, *i.x, *i.y)], to_jsonable(i.payload)
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
            count = self._csv(target, rows) if options["format"] == "csv" else self._json(target, collection, rows)
        finally:
            if out is not None:
                out.close()
        if options["output"]:
            self.stdout.write(f"rekall_export: {count:,} intervals of {name!r} written to {options['output']}")

    def _csv(self, target: Any, rows: Iterator[tuple[Any, ...]]) -> int:
        writer = csv.writer(_Writer(target), lineterminator="\n")
        writer.writerow(("video_id", *_FIELDS, "payload"))
        count = 0
        for key, bounds, payload in rows:
            shown_key = key if isinstance(key, int) else json.dumps(key, ensure_ascii=False)
            writer.writerow((shown_key, *bounds, json.dumps(payload, separators=(",", ":"), ensure_ascii=False)))
            count += 1
        return count

    def _json(self, target: Any, collection: ResultCollection, rows: Iterator[tuple[Any, ...]]) -> int:
        write = _Writer(target).write
        head = {
            "name": collection.name,
            "query": collection.query_name,
            "status": collection.status,
            "num_intervals": collection.num_intervals,
            "created": collection.created.isoformat() if collection.created else None,
            "finished": collection.finished.isoformat() if collection.finished else None,
        }
        write('{\n  "collection": ' + json.dumps(head, ensure_ascii=False) + ',\n  "videos": [')
        count, current, intervals, first = 0, object(), [], True

        def flush() -> None:
            nonlocal first
            label = "video_id" if isinstance(current, int) else "domain"
            block = json.dumps({label: current, "intervals": intervals}, indent=2, ensure_ascii=False)
            write(("\n" if first else ",\n") + "\n".join("    " + line for line in block.splitlines()))
            first = False

        for key, bounds, payload in rows:
            if key != current or type(key) is not type(current):
                if intervals:
                    flush()
                current, intervals = key, []
            intervals.append({**dict(zip(_FIELDS, bounds)), "payload": payload})
            count += 1
        if intervals:
            flush()
        write("\n  ]\n}\n")
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
