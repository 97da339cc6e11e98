"""Importable queries for the Celery tests, steered by flag files.

The flag directory is ``$ESPER_REKALL_TEST_FLAGS`` (set for the test process
and the worker subprocesses). For a video id ``v``:

- ``sleep-v``: the first run of a chunk holding ``v`` removes the flag,
  writes ``started-v`` and sleeps (so a test can kill its worker);
- ``fail-v``: the query raises for ``v`` (delete the flag to "fix" it);
- ``kill-v``: the query kills its own process with SIGKILL;
- ``exit-v``: the query ends its process with ``os._exit(1)``;
- ``hang-v``: the query sleeps an hour (a time limit must stop it);
- ``stubborn-v``: the query sleeps an hour and swallows the soft time
  limit's exception (only the hard limit stops it);
- ``pause``: every video takes 0.3 s (so a test can act mid-run).

``marking`` creates ``marked-v`` for each video: proof that it ran.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D

SLEEP_SECONDS = 60
PAUSE_SECONDS = 0.3


def flags() -> Path:
    return Path(os.environ["ESPER_REKALL_TEST_FLAGS"])


def steered(video_ids: list[Any]) -> DomainIntervalCollection:
    """Two intervals per video (int time, float space, tuple payload), steered by flags."""
    directory = flags()
    for vid in video_ids:
        if (directory / "pause").exists():
            time.sleep(PAUSE_SECONDS)
        if (directory / f"kill-{vid}").exists():
            os.kill(os.getpid(), signal.SIGKILL)
        if (directory / f"exit-{vid}").exists():
            os._exit(1)
        if (directory / f"hang-{vid}").exists():
            time.sleep(3600)
        if (directory / f"stubborn-{vid}").exists():
            _sleep_through_soft_limits(3600)
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


def _sleep_through_soft_limits(seconds: float) -> None:
    """Sleeps ``seconds``, swallowing any exception a soft time limit raises meanwhile."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            time.sleep(end - time.monotonic())
        except Exception:  # SoftTimeLimitExceeded / ChunkTimeLimitExceeded: ignore it
            continue


def marking(video_ids: list[Any]) -> DomainIntervalCollection:
    """Creates ``marked-v`` in the flag directory for each video, then answers like ``steered``."""
    for vid in video_ids:
        (flags() / f"marked-{vid}").touch()
    return steered(video_ids)
