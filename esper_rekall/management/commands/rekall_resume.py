"""``manage.py rekall_resume NAME``: re-run the chunks of a stored collection that are not done.

Thin: calls :func:`esper_rekall.runtime.jobs.resume_collection`, prints the
summary, exits non-zero when some chunk failed. Refuses, in one line naming
both corpus fingerprints, a collection computed on a corpus that changed
since (``generate_tvnews --replace``): its video ids may now name other
videos, and resuming would mix two corpora. ``--force`` resumes anyway.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from esper_rekall import corpus_fingerprint
from esper_rekall.commands_support import run_errors_in_one_line
from esper_rekall.models import ResultCollection
from esper_rekall.runtime.jobs import RUNTIMES

from .rekall_run import finish


class Command(BaseCommand):
    """Resume a collection: dispatch its pending, running-but-abandoned and failed chunks again."""

    help = (
        "Resume a stored collection: re-run only its chunks that are not done (pending, interrupted or "
        "failed), then print its summary. Exits non-zero if a chunk still fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Collection name (see: manage.py rekall_status).")
        parser.add_argument("--runtime", choices=RUNTIMES, default=None, help="Where chunks run (default: the collection's runtime, else inline).")
        parser.add_argument("--workers", type=int, default=None, help="Worker processes for --runtime processes.")
        parser.add_argument("--no-wait", action="store_true", help="With --runtime celery: return once chunks are queued.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        parser.add_argument(
            "--force", action="store_true", help="Resume even if the corpus changed since the run was created."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from esper_rekall.runtime.jobs import resume_collection

        name = options["name"]
        collection = ResultCollection.objects.filter(name=name).first()
        if collection is None:
            raise CommandError(f"no result collection named {name!r} (see: manage.py rekall_status)")
        change = corpus_fingerprint.collection_corpus_change(collection, corpus_fingerprint.current())
        if change and not options["force"]:
            raise CommandError(
                f"collection {name!r} was computed on a different corpus: {change}. Re-run it with "
                f"`rekall_run {collection.query_name or 'QUERY'} ... --name {name} --replace`, "
                "or pass --force to resume it anyway"
            )
        if change:
            self.stdout.write(self.style.WARNING(f"--force: resuming on a different corpus ({change})"))
        runtime = options["runtime"] or (collection.runtime if collection.runtime in RUNTIMES else "inline")
        if runtime == "celery" and not settings.CELERY_BROKER_URL:
            raise CommandError("runtime celery needs a broker: set CELERY_BROKER_URL, or pass --runtime inline")
        if options["workers"] is not None and (options["workers"] < 1 or runtime != "processes"):
            raise CommandError(f"--workers must be a positive integer with --runtime processes, got {options['workers']!r}")
        if options["no_wait"] and runtime != "celery":
            raise CommandError("--no-wait applies to --runtime celery only")
        self.stdout.write(f"rekall_resume: {name!r} with runtime {runtime}")
        with run_errors_in_one_line(name):
            collection = resume_collection(
                name,
                runtime=runtime,
                workers=options["workers"],
                progress=not options["no_progress"],
                wait=not options["no_wait"],
            )
        finish(self, collection)
