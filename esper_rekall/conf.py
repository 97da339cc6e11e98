"""App settings for esper_rekall, read through one accessor.

Provides ``DEFAULTS`` and ``settings``, in the manner of django-filter's
``conf.py``: ``settings.CHUNK_SIZE`` returns Django's
``ESPER_REKALL_CHUNK_SIZE`` when it is set, the default otherwise. Values are
read on every access, so ``override_settings`` works without a cache to
invalidate. ``project/settings.py`` fills the Django settings from environment
variables of the same names.

Settings:
    CHUNK_SIZE: video ids per runtime/Celery chunk.
    MAX_CHUNK_ATTEMPTS: attempts before a chunk is split and retried per video.
    GENERATE_BATCH_SIZE: rows per COPY / bulk_create batch in ``generate_tvnews``.
    MEDIA_ROOT: directory holding the video files; ``Video.path`` is read
        relative to it. The viewer plays (and serves, with HTTP range
        requests, to logged-in staff) only files inside it. ``None``: no
        playback.
    QUERY_MODULES: module prefixes a path query reference may name; a
        worker refuses (and records on the chunk) any other path, so a
        message cannot make it run ``subprocess:run``.
    CHUNK_SOFT_TIME_LIMIT: seconds a chunk's query may run before an
        exception is raised inside it (the chunk is then split, and a slow
        video fails alone). ``None``: no limit.
    CHUNK_TIME_LIMIT: seconds after which the process running a chunk is
        killed (Celery and process pools). ``None``: no limit.
    CHUNK_LEASE: seconds a chunk's claim lasts without a heartbeat (renewed
        every third of it while its worker and driver live); a ``running``
        chunk whose lease lapsed becomes ``interrupted`` and runs again.
    CHUNK_RESEND_AFTER: seconds a Celery chunk may stay pending (sent, not
        claimed) while the broker's queue is empty before the driver sends its
        message again: a broker restart (Redis keeps no queue on disk here)
        loses queued messages, and without a re-send the run would wait
        forever. A duplicate is harmless (the claim runs a chunk once).
    ALLOW_DEV_KEY: let Celery workers run with the development
        ``SECRET_KEY`` (whose signatures protect nothing); development only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

__all__ = ("DEFAULTS", "PREFIX", "settings")

PREFIX = "ESPER_REKALL_"

DEFAULTS: dict[str, Any] = {
    "CHUNK_SIZE": 100,
    "MAX_CHUNK_ATTEMPTS": 3,
    "GENERATE_BATCH_SIZE": 100_000,
    "MEDIA_ROOT": None,
    "QUERY_MODULES": ("esper_rekall.queries",),
    "CHUNK_SOFT_TIME_LIMIT": 1800,
    "CHUNK_TIME_LIMIT": 1860,
    "CHUNK_LEASE": 60,
    "CHUNK_RESEND_AFTER": 60,
    "ALLOW_DEV_KEY": False,
}


class _Settings:
    """Attribute access to ``ESPER_REKALL_*`` Django settings with defaults."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"unknown esper_rekall setting {name!r}; known: {sorted(DEFAULTS)}")
        return getattr(django_settings, PREFIX + name, DEFAULTS[name])

    def __dir__(self) -> list[str]:
        return sorted(DEFAULTS)


settings = _Settings()
