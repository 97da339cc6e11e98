"""``manage.py rekall_export NAME --format json|csv``: write a stored collection out.

JSON (indented, one block per video)::

    {"collection": {"name": ..., "query": ..., "status": ..., "num_intervals": ...},
     "videos": [{"video_id": 12, "intervals": [{"t1": .., "t2": .., "x1": .., "x2": ..,
                                               "y1": .., "y2": .., "payload": ...}]}]}

(``"domain"`` instead of ``"video_id"`` for non-integer domains such as
dates). CSV: a header and one row per interval ``video_id, t1, t2, x1, x2,
y1, y2, payload`` (payload as compact JSON). Payloads are decoded and shown
as plain JSON (nested interval sets become lists of ``{"t", "x", "y",
"payload"}``). Rows are streamed from the database, never all in memory.
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

        qs = ResultInterval.objects.filter(collection=collection)
        # Integer domains follow the (collection, domain_int, t1, t2) index; others group by the stored key.
        by = ("domain_int",) if not qs.filter(domain_int__isnull=True).exists() else ("domain_int", "domain")
        qs = qs.order_by(*by, *_FIELDS, "id").values_list("domain", "domain_int", *_FIELDS, "payload")
        rows: Any = qs.iterator(chunk_size=5_000)
        if progress:
            from tqdm import tqdm

            rows = tqdm(rows, total=collection.num_intervals, unit="interval", file=sys.stderr, desc=collection.name)
        for domain, domain_int, *bounds, payload in rows:
            key = domain_int if domain_int is not None else to_jsonable(decode(domain))
            yield key, [_bound(b) for b in bounds], to_jsonable(decode(payload))

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
