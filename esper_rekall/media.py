"""Where a video's file is, and how far a byte range may reach: the media-serving rules.

Provides:
    media_file(video): the file of ``video`` under ``ESPER_REKALL_MEDIA_ROOT``,
        or None (no root, a path outside it, not a file).
    range_position(text): a ``Range`` header's byte position, capped.
    byte_range(header, size): the bytes a ``Range`` header asks of a file.
    UnsatisfiableRange: a range that starts past the end of the file (``416``).
    MAX_POSITION_DIGITS: longer numbers exceed any file.

Shared by the Django viewer (:mod:`esper_rekall.views`) and the notebook
page server (:mod:`esper_rekall.notebook`), so both serve the same files.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from . import conf

__all__ = ["MAX_POSITION_DIGITS", "UnsatisfiableRange", "byte_range", "media_file", "range_position"]

#: Longer numbers exceed any file (and ``int()`` refuses past 4,300 digits).
MAX_POSITION_DIGITS = 18

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsatisfiableRange(ValueError):
    """The range starts past the end of the file (or asks the last 0 bytes): answer ``416``."""


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


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` byte positions a single-range ``Range`` header asks of a
    file of ``size`` bytes, ``last`` capped at the end; None: send the whole file.

    A malformed header, several ranges, or ``last < first`` are ignored (None),
    as RFC 9110 allows; ``bytes=-N`` is the last ``N`` bytes.

    Raises:
        UnsatisfiableRange: the range starts at or past ``size``, or is ``bytes=-0``.
    """
    match = _RANGE.match(header.strip())
    if not match or not any(match.groups()):
        return None
    first_text, last_text = match.groups()
    if not first_text:
        suffix = range_position(last_text)
        if suffix == 0 or size == 0:
            raise UnsatisfiableRange(f"bytes=-{last_text} of a {size}-byte file")
        return max(size - suffix, 0), size - 1
    first = range_position(first_text)
    last = range_position(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        raise UnsatisfiableRange(f"bytes={first_text}- of a {size}-byte file")
    return first, min(last, size - 1)
