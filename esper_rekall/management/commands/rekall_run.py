"""``manage.py rekall_run QUERY``: run a registered query over videos or dates and store the result.

Thin: validates the arguments (nothing is written when one is wrong), calls
:func:`esper_rekall.runtime.jobs.start_collection`, prints the collection's
summary, and exits non-zero when some chunk failed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from esper_rekall import conf
from esper_rekall.commands_support import (
    collection_summary,
    parse_date_range,
    parse_id_ranges,
    plural,
    run_errors_in_one_line,
)
from esper_rekall.models import ResultCollection, Video
from esper_rekall.queries import get_query
from esper_rekall.runtime.jobs import RUNTIMES


class Command(BaseCommand):
    """Run a registered query (see ``rekall_queries``) and save it as a named collection."""

    help = (
        "Run a registered query over chunks of video ids (--videos / --all) or dates (--dates) and store "
        "the result as a named collection. Each chunk is saved as it finishes; rekall_resume NAME re-runs "
        "what did not finish. Exits non-zero if a chunk failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", help="Registered query name (see: manage.py rekall_queries).")
        what = parser.add_argument_group("arguments (one of)")
        what.add_argument("--videos", metavar="IDS", help="Video ids and ranges, e.g. 1,2,5-9.")
        what.add_argument("--all", action="store_true", help="Every video in the database.")
        what.add_argument("--dates", metavar="A:B", help="Inclusive date range for date queries, e.g. 2026-01-01:2026-01-31.")
        parser.add_argument("--chunksize", type=int, default=None, help="Arguments per chunk (default ESPER_REKALL_CHUNK_SIZE).")
        parser.add_argument("--runtime", choices=RUNTIMES, default="inline", help="Where chunks run (default inline).")
        parser.add_argument("--workers", type=int, default=None, help="Worker processes for --runtime processes.")
        parser.add_argument("--name", default=None, help="Collection name (default <query>-<timestamp>-<random>).")
        parser.add_argument("--replace", action="store_true", help="Overwrite an existing collection of that name.")
        parser.add_argument("--no-wait", action="store_true", help="With --runtime celery: return once chunks are queued.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def _arguments(self, options: dict[str, Any], arg_kind: str, query: str) -> list[Any]:
        given = [flag for flag in ("videos", "all", "dates") if options[flag]]
        if len(given) > 1:
            raise CommandError(f"pass only one of --videos, --all, --dates; got {', '.join('--' + g for g in given)}")
        if arg_kind == "date":
            if not options["dates"]:
                raise CommandError(f"query {query!r} takes dates: pass --dates A:B (e.g. 2026-01-01:2026-01-31)")
            try:
                return parse_date_range(options["dates"])
            except ValueError as exc:
                raise CommandError(f"--dates: {exc}") from None
        if options["dates"]:
            raise CommandError(f"query {query!r} takes video ids, not dates: pass --videos IDS or --all")
        if options["all"]:
            ids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
            if not ids:
                raise CommandError("--all: there are no videos in the database")
            return ids
        if not options["videos"]:
            raise CommandError(f"query {query!r} takes video ids: pass --videos IDS (e.g. 1,2,5-9) or --all")
        try:
            ids = parse_id_ranges(options["videos"])
        except ValueError as exc:
            raise CommandError(f"--videos: {exc}") from None
        known = set(Video.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [i for i in ids if i not in known]
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (f" ... ({len(missing)} in all)" if len(missing) > 10 else "")
            raise CommandError(f"--videos: no such video ids: {shown}")
        return ids

    def handle(self, *args: Any, **options: Any) -> None:
        from esper_rekall.runtime.jobs import start_collection
        from esper_rekall.storage import generate_name

        try:
            registered = get_query(options["query"])
        except KeyError as exc:
            raise CommandError(exc.args[0]) from None
        arguments = self._arguments(options, registered.arg_kind, registered.name)
        chunksize = options["chunksize"] if options["chunksize"] is not None else conf.settings.CHUNK_SIZE
        if chunksize < 1:
            raise CommandError(f"--chunksize must be a positive integer, got {chunksize!r}")
        workers = options["workers"]
        if workers is not None and workers < 1:
            raise CommandError(f"--workers must be a positive integer, got {workers!r}")
        if workers is not None and options["runtime"] != "processes":
            raise CommandError(f"--workers applies to --runtime processes, not {options['runtime']!r}")
        if options["runtime"] == "celery" and not settings.CELERY_BROKER_URL:
            raise CommandError("--runtime celery needs a broker: set CELERY_BROKER_URL")
        if options["no_wait"] and options["runtime"] != "celery":
            raise CommandError("--no-wait applies to --runtime celery only")
        name = options["name"] if options["name"] is not None else generate_name(registered.name)
        if not name.strip():
            raise CommandError("--name must not be empty")
        if not options["replace"] and ResultCollection.objects.filter(name=name).exists():
            raise CommandError(f"collection {name!r} already exists; pass --replace to overwrite it or choose another --name")

        progress = not options["no_progress"]
        self.stdout.write(
            f"rekall_run: {registered.name} over {plural(len(arguments), registered.arg_kind)}, chunks of {chunksize}, "
            f"runtime {options['runtime']} -> collection {name!r}"
        )
        with run_errors_in_one_line(name):
            collection = start_collection(
                registered.function,
                arguments,
                name=name,
                runtime=options["runtime"],
                workers=workers,
                chunksize=chunksize,
                replace=options["replace"],
                progress=progress,
                wait=not options["no_wait"],
                query_name=registered.name,
            )
        finish(self, collection)


def finish(command: BaseCommand, collection: ResultCollection) -> None:
    """Print the summary of ``collection``; raise ``CommandError`` if some chunk failed."""
    collection.refresh_from_db()
    for line in collection_summary(collection):
        command.stdout.write(line)
    if collection.chunks_failed or collection.status == ResultCollection.Status.FAILED:
        raise CommandError(
            f"{plural(collection.chunks_failed, 'chunk')} of {collection.name!r} failed (see above); "
            f"fix the cause and run: manage.py rekall_resume {collection.name}"
        )
    if collection.status == ResultCollection.Status.DONE:
        command.stdout.write(command.style.SUCCESS(f"  done: {collection.num_intervals:,} intervals stored"))
    else:
        command.stdout.write(f"  {collection.status}: follow it with manage.py rekall_status {collection.name}")
