"""Constants shared by the interval layer.

Provides:
    INFTY: the "no upper limit" marker of Rekall (``max_dist=INFTY``,
        ``max_size=INFTY``). It is the string ``"infty"``, as in the
        reference; ``float('inf')`` is accepted wherever INFTY is.
    perf_count(name, enable=True): context manager printing wall time.
"""

from __future__ import annotations

from contextlib import contextmanager
from time import perf_counter
from typing import Iterator

__all__ = ["INFTY", "perf_count"]

INFTY = "infty"


@contextmanager
def perf_count(name: str, enable: bool = True) -> Iterator[None]:
    """Print the wall time of the block to stdout (Rekall's profiling helper).

    Example:
        with perf_count("coalesce"):
            faces.coalesce()
        # prints "coalesce starts." then "coalesce ends after 0.01 seconds"
    """
    if not enable:
        yield
        return
    print(f"{name} starts.")
    start = perf_counter()
    yield
    print(f"{name} ends after {perf_counter() - start:.2f} seconds")
