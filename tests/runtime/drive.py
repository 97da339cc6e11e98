"""A driver process for the fault tests: runs ``steered`` as a stored collection.

``python -m tests.runtime.drive NAME RUNTIME CHUNKSIZE ID...`` sets up
Django from the environment (``DATABASE_URL``, ``CELERY_BROKER_URL`` ...),
calls ``start_collection`` and prints the collection's status; it exits 0
only if the run finished with every chunk done, and prints a one-line
error (exit 2) if the run stopped on an error, so a test can kill it, or
restart the services under it, and judge what it did.
"""

from __future__ import annotations

import os
import sys


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
