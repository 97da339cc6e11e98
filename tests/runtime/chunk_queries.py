"""Importable queries for the Celery tests, steered by flag files.

The flag directory is ``$ESPER_REKALL_TEST_FLAGS`` (set for the test process
and the worker subprocesses). For a video id ``v``:

- ``sleep-v``: the first run of a chunk holding ``v`` removes the flag,
  writes ``started-v`` and sleeps (so a test can kill its worker);
- ``fail-v``: the query raises for ``v`` (delete the flag to "fix" it);
- ``kill-v``: the query kills its own process with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D

SLEEP_SECONDS = 60


def flags() -> Path:
    return Path(os.environ["ESPER_REKALL_TEST_FLAGS"])


def steered(video_ids: list[Any]) -> DomainIntervalCollection:
    """Two intervals per video (int time, float space, tuple payload), steered by flags."""
    directory = flags()
    for vid in video_ids:
        if (directory / f"kill-{vid}").exists():
            os.kill(os.getpid(), signal.SIGKILL)
        if (directory / f"fail-{vid}").exists():
            raise RuntimeError(f"video {vid} is broken")
        sleep = directory / f"sleep-{vid}"
        if sleep.exists():
            sleep.unlink()
            (directory / f"started-{vid}").write_text(str(os.getpid()))
            time.sleep(SLEEP_SECONDS)
    return DomainIntervalCollection(
        {
            vid: IntervalSet3D(
                [Interval3D((vid, vid + 5), (0.25, 0.5), payload=(vid, "a")), Interval3D((0, 1), payload=None)]
            )
            for vid in video_ids
        }
    )
