"""Payload parsers (Rekall ``rekall.parsers``).

Re-exports only; the implementation lives in ``esper_rekall.intervals``.
"""

from __future__ import annotations

from ..intervals.parsers import (
    bbox_payload_parser,
    dict_payload_parser,
    in_array,
    label_payload_parser,
    merge_dict_parsers,
    named_payload,
)

__all__ = [
    "dict_payload_parser",
    "label_payload_parser",
    "bbox_payload_parser",
    "in_array",
    "merge_dict_parsers",
    "named_payload",
]
