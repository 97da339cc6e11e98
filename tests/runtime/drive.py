"""A driver process for the fault tests: runs ``steered`` as a stored collection.

``python -m tests.runtime.drive NAME RUNTIME CHUNKSIZE ID...`` sets up
Django from the environment (``DATABASE_URL``, ``CELERY_BROKER_URL`` ...),
calls ``start_collection`` and prints the collection's status; it exits 0
only if the run finished with every chunk done, and prints a one-line
error (exit 2) if the run stopped on an error, so a test can kill it, or
restart the services under it, and judge what it did.

Tests start it with ``start_driver`` and judge the stored collection with
``assert_stored_equals_inline`` (the same query run inline, video by video).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tests.runtime.celery_workers import ROOT


@contextmanager
def start_driver(
    name: str, runtime: str, env: dict[str, str], ids: Sequence[int], chunksize: int = 1
) -> Iterator[subprocess.Popen[str]]:
    """A driver of collection ``name`` over ``ids`` (stdout and stderr on one text pipe), killed at exit if still running."""
    driver = subprocess.Popen(
        [sys.executable, "-m", "tests.runtime.drive", name, runtime, str(chunksize), *map(str, ids)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    with driver:  # waits for it and closes the pipe
        try:
            yield driver
        finally:
            if driver.poll() is None:
                driver.kill()


def inline(ids: list[Any]) -> Any:
    """``steered`` over ``ids`` on the inline runtime, nothing stored: what every stored run must equal."""
    from esper_rekall.runtime import Runtime, disjoint_domain_combiner
    from tests.runtime.chunk_queries import steered

    return Runtime.inline().run(steered, ids, combiner=disjoint_domain_combiner)[0]


def assert_stored_equals_inline(name: str, ids: list[Any]) -> None:
    """Collection ``name`` equals the inline run over ``ids``: no interval lost, none stored twice."""
    from esper_rekall import storage
    from esper_rekall.models import ResultInterval

    expected = inline(ids)
    assert storage.load_collection(name) == expected
    assert ResultInterval.objects.filter(collection__name=name, parent_row=None).count() == len(expected.columns)


def main(argv: list[str]) -> int:
    """Runs the collection ``argv[0]`` on runtime ``argv[1]`` in chunks of ``argv[2]`` over ``argv[3:]``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from esper_rekall.runtime.jobs import start_collection
    from tests.runtime.chunk_queries import steered

    name, runtime, chunksize, *ids = argv
    try:
        collection = start_collection(
            steered, [int(i) for i in ids], name=name, runtime=runtime, chunksize=int(chunksize),
            workers=2 if runtime == "processes" else None,
        )
    except Exception as error:
        print(f"error: {type(error).__name__}: {error}", flush=True)
        return 2
    print(f"status: {collection.status}", flush=True)
    return 0 if collection.status == "done" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
