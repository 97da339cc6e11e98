"""Where a video's file is, and how far a byte range may reach: the media-serving rules.

Provides:
    media_file(video): the file of ``video`` under ``ESPER_REKALL_MEDIA_ROOT``,
        or None (no root, a path outside it, not a file).
    range_position(text): a ``Range`` header's byte position, capped.
    MAX_POSITION_DIGITS: longer numbers exceed any file.

Shared by the Django viewer (:mod:`esper_rekall.views`) and the notebook
page server (:mod:`esper_rekall.notebook`), so both serve the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from . import conf

__all__ = ["MAX_POSITION_DIGITS", "media_file", "range_position"]

#: Longer numbers exceed any file (and ``int()`` refuses past 4,300 digits).
MAX_POSITION_DIGITS = 18


def media_file(video: Any) -> Path | None:
    """The file of ``video`` under ``ESPER_REKALL_MEDIA_ROOT``, or None.

    None when no media root is set, when ``Video.path`` resolves (after
    ``..`` and symbolic links) outside the root, or when it is not a file.
    """
    root = conf.settings.MEDIA_ROOT
    if not root or not video.path:
        return None
    base = Path(root).resolve()
    try:
        candidate = (base / video.path).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def range_position(text: str) -> int:
    """A Range header's byte position, capped: a 5,000-digit number is "beyond any file", not a 500."""
    return int(text) if len(text) <= MAX_POSITION_DIGITS else sys.maxsize
