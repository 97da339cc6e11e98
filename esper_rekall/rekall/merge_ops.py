"""Payload merge operations (Rekall ``rekall.merge_ops``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.merge_ops import (
    merge_named_payload,
    payload_first,
    payload_plus,
    payload_second,
)

__all__ = [
    "payload_first",
    "payload_second",
    "payload_plus",
    "merge_named_payload",
]
