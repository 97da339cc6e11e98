"""``manage.py rekall_status [NAME]``: progress of stored collections.

Without a name, one line per collection (newest first); with a name, the
collection's summary: chunks done / failed / pending (counted from the chunk
rows, the source of truth), intervals, timings and failed arguments. A run
whose unfinished chunks have no live worker (its driver or worker was
killed: lease lapsed) reads ``interrupted``, with the ``rekall_resume``
command that finishes it. A collection computed on another corpus than the
current one (its corpus fingerprint differs: ``generate_tvnews --replace``
since) is marked ``stale``, with what changed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from esper_rekall import corpus_fingerprint
from esper_rekall.commands_support import (
    collection_duration,
    collection_summary,
    format_duration,
    plural,
    run_progress,
    stale_note,
)
from esper_rekall.models import ResultCollection


class Command(BaseCommand):
    """Show the progress of one or all stored collections."""

    help = (
        "Show stored collections: without NAME one line each (status, chunks done/failed/total, intervals, "
        "duration); with NAME its chunk states, counts, timings and failed arguments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="A collection name; omit to list every collection.")
        parser.add_argument("--limit", type=int, default=50, help="Collections listed without NAME (default 50).")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        if name is not None:
            collection = ResultCollection.objects.filter(name=name).first()
            if collection is None:
                raise CommandError(f"no result collection named {name!r} (run rekall_status to list them)")
            for line in collection_summary(collection):
                self.stdout.write(line)
            return
        if options["limit"] < 1:
            raise CommandError(f"--limit must be a positive integer, got {options['limit']!r}")
        total = ResultCollection.objects.count()
        if not total:
            self.stdout.write("no stored collections (create one with manage.py rekall_run)")
            return
        # The list shows summary columns only: leave the big JSON columns in the database.
        listed = ResultCollection.objects.defer("arguments", "query_ref", "failed_args")
        rows = list(listed.order_by("-created", "-id")[: options["limit"]])
        width = max(len("name"), *(len(c.name) for c in rows))
        self.stdout.write(
            f"{'name':<{width}}  {'status':<17} {'chunks done/failed/total':>24} {'intervals':>12} {'duration':>11}  query"
        )
        corpus = corpus_fingerprint.current()
        advice, any_stale = [], False
        for c in rows:
            progress = run_progress(c)
            counts = progress.counts
            status = c.status
            if c.finished is None and progress.stopped:
                status = "interrupted"
                advice.append(progress.note(c.name))
            stale = stale_note(c, corpus, brief=True)
            if stale:
                status += " stale"
                advice.append(f"{c.name}: {stale}")
                any_stale = True
            chunks = f"{counts['done']:,}/{counts['failed']:,}/{progress.total:,}"
            self.stdout.write(
                f"{c.name:<{width}}  {status:<17} {chunks:>24} {progress.intervals:>12,} "
                f"{format_duration(collection_duration(c)):>11}  {c.query_name}"
            )
        for line in advice:
            self.stdout.write(line)
        if any_stale:
            self.stdout.write(f"current corpus: {corpus.describe()}")
        if total > len(rows):
            self.stdout.write(f"... {plural(total - len(rows), 'older collection')} not shown (--limit)")
