"""``manage.py generate_tvnews``: fill the database with a synthetic TV-news corpus.

Thin: parses and validates arguments, calls
:func:`esper_rekall.corpus.generate_tvnews`, prints a summary. With
``--replace`` (or ``--append``), it says how many stored result collections
it makes stale: those computed on the corpus it changed (their corpus
fingerprint no longer matches; see :mod:`esper_rekall.corpus_fingerprint`).
Replacing a corpus by an identical one (same ``--videos`` and ``--seed``)
makes none stale.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from esper_rekall import corpus_fingerprint
from esper_rekall.commands_support import plural
from esper_rekall.corpus import CorpusNotEmpty, corpus_counts, generate_tvnews
from esper_rekall.models import ResultCollection


class Command(BaseCommand):
    """Generate a deterministic synthetic TV-news corpus (see :mod:`esper_rekall.corpus`)."""

    help = (
        "Generate a deterministic synthetic TV-news corpus: channels, shows, videos, sampled frames, "
        "faces, identities, shots and commercials. The same --seed gives the same rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--videos", type=int, required=True, help="Number of videos to generate (> 0).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
        mode = parser.add_argument_group("existing corpus")
        mode.add_argument("--append", action="store_true", help="Add to an existing corpus, continuing its ids.")
        mode.add_argument("--replace", action="store_true", help="Delete the existing corpus first.")
        parser.add_argument("--database", default="default", help="Database alias (default 'default').")
        parser.add_argument("--batch-size", type=int, default=None, help="Rows per COPY / bulk_create batch.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        videos, seed = options["videos"], options["seed"]
        if videos is None or videos <= 0:
            raise CommandError(f"--videos must be a positive integer, got {videos!r}")
        if options["append"] and options["replace"]:
            raise CommandError("--append and --replace are mutually exclusive; pass one of them")
        if options["batch_size"] is not None and options["batch_size"] <= 0:
            raise CommandError(f"--batch-size must be a positive integer, got {options['batch_size']!r}")
        mode = "append" if options["append"] else "replace" if options["replace"] else "new"
        using = options["database"]
        progress = not options["no_progress"] and sys.stderr.isatty()

        before = corpus_fingerprint.current(using)
        fresh = corpus_fingerprint.fresh_collection_names(using, before)
        started = time.perf_counter()
        try:
            written = generate_tvnews(
                videos, seed, mode=mode, using=using, progress=progress, batch_size=options["batch_size"]
            )
        except CorpusNotEmpty as exc:
            raise CommandError(f"{exc} (database {using!r})") from exc
        elapsed = time.perf_counter() - started

        totals = corpus_counts(using)
        self.stdout.write(f"generate_tvnews: {videos} videos, seed {seed}, mode {mode}, {elapsed:.1f}s")
        width = max(len(name) for name in totals)
        for name, total in totals.items():
            self.stdout.write(f"  {name:<{width}}  {written.get(name, 0):>10,} written  {total:>10,} in database")
        self.stdout.write(self.style.SUCCESS(f"  {sum(written.values()):,} rows written"))
        stale = fresh if corpus_fingerprint.current(using) != before else []
        self._report_stale(stale, ResultCollection.objects.using(using).count())

    def _report_stale(self, stale: list[str], stored: int) -> None:
        """One line, when collections are stored: how many this run made stale, naming a few."""
        if not stale:
            if stored:
                self.stdout.write(f"  0 of {plural(stored, 'stored result collection')} made stale")
            return
        shown = ", ".join(stale[:5]) + (", ..." if len(stale) > 5 else "")
        self.stdout.write(self.style.WARNING(
            f"  {plural(len(stale), 'stored result collection')} made stale ({shown}): "
            "computed on the corpus this replaced, their video ids may now name other videos. Re-run them with "
            "rekall_run --replace; rekall_resume refuses them unless --force."
        ))
