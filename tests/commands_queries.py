"""Importable queries for the command tests (they travel to workers as dotted paths)."""

from __future__ import annotations

import os

from esper_rekall.intervals.collection import DomainIntervalCollection
from esper_rekall.queries.tvnews import faces_rekall

#: Comma-separated video ids that make :func:`flaky_faces` fail.
FAIL_ENV = "ESPER_REKALL_TEST_FAIL_VIDEOS"


def flaky_faces(vids: list[int]) -> DomainIntervalCollection:
    """Frames with faces, failing for the videos listed in ``$ESPER_REKALL_TEST_FAIL_VIDEOS``."""
    bad = {int(v) for v in os.environ.get(FAIL_ENV, "").split(",") if v.strip()}
    broken = sorted(bad.intersection(vids))
    if broken:
        raise RuntimeError(f"video {broken[0]} is broken")
    return faces_rekall(vids)
