"""Constants (Rekall ``rekall.common``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.common import INFTY

__all__ = [
    "INFTY",
]
