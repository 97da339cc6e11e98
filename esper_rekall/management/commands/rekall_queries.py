"""``manage.py rekall_queries``: list the registered queries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from esper_rekall.queries import all_queries, get_query


class Command(BaseCommand):
    """List registered queries: name, argument kind, first docstring line."""

    help = "List the registered queries rekall_run can run (name, argument kind, summary); --doc NAME for one query's docstring."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--doc", metavar="NAME", help="Print the whole docstring of one query.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["doc"]:
            try:
                query = get_query(options["doc"])
            except KeyError as exc:
                raise CommandError(exc.args[0]) from None
            module = query.function.__module__
            self.stdout.write(f"{query.name}  ({query.arg_kind}s)  {module}.{query.function.__qualname__}")
            self.stdout.write("")
            self.stdout.write(query.doc)
            return
        queries = all_queries()
        width = max((len(q.name) for q in queries), default=4)
        self.stdout.write(f"{'name':<{width}}  {'args':<6} summary")
        for q in queries:
            self.stdout.write(f"{q.name:<{width}}  {q.arg_kind:<6} {q.summary}")
        self.stdout.write(f"{len(queries)} queries; run one with: manage.py rekall_run NAME --videos 1-10")
