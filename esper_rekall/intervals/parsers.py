"""Payload parsers: build payloads from rows (objects, dicts, model rows).

Provides:
    dict_payload_parser(accessor, fields): ``{k: accessor(obj, fields[k])}``.
    label_payload_parser(accessor, label): ``{"label": accessor(obj, label)}``.
    bbox_payload_parser(accessor, x1="bbox_x1", y1="bbox_y1", x2="bbox_x2",
        y2="bbox_y2"): ``{"x1": ..., "y1": ..., "x2": ..., "y2": ...}``.
    in_array(parser_fn): ``[parser_fn(obj)]``.
    merge_dict_parsers(parser_fns): one dict from several dict parsers
        (later keys win, as ``{**a, **b}``).
    named_payload(name, parser_fn): ``{name: parser_fn(obj)}``.

``accessor(obj, field)`` reads a field of a row, e.g.
``lambda obj, f: getattr(obj, f)``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

__all__ = [
    "dict_payload_parser",
    "label_payload_parser",
    "bbox_payload_parser",
    "in_array",
    "merge_dict_parsers",
    "named_payload",
]

Parser = Callable[[Any], Any]
Accessor = Callable[[Any, Any], Any]


def _check_callable(name: str, fn: Any) -> None:
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {name}={fn!r}")


def dict_payload_parser(accessor: Accessor, fields: Mapping[str, Any]) -> Parser:
    """Parser producing ``{name: accessor(obj, field)}`` for ``fields`` items."""
    _check_callable("accessor", accessor)
    fields = dict(fields)

    def parse_object(obj: Any) -> dict[str, Any]:
        return {name: accessor(obj, field) for name, field in fields.items()}

    return parse_object


def label_payload_parser(accessor: Accessor, label: Any) -> Parser:
    """Parser producing ``{"label": accessor(obj, label)}``."""
    return dict_payload_parser(accessor, {"label": label})


def bbox_payload_parser(
    accessor: Accessor,
    x1: Any = "bbox_x1",
    y1: Any = "bbox_y1",
    x2: Any = "bbox_x2",
    y2: Any = "bbox_y2",
) -> Parser:
    """Parser producing ``{"x1", "y1", "x2", "y2"}`` from the named fields."""
    return dict_payload_parser(accessor, {"x1": x1, "y1": y1, "x2": x2, "y2": y2})


def in_array(parser_fn: Parser) -> Parser:
    """Parser wrapping ``parser_fn``'s result in a one-element list."""
    _check_callable("parser_fn", parser_fn)
    return lambda obj: [parser_fn(obj)]


def merge_dict_parsers(parser_fns: Sequence[Parser]) -> Parser:
    """Parser merging the dicts of several parsers (later keys win)."""
    parser_fns = list(parser_fns)
    if not parser_fns:
        raise ValueError("merge_dict_parsers needs at least one parser, got []")
    for fn in parser_fns:
        _check_callable("parser_fn", fn)

    def parse_object(obj: Any) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for fn in parser_fns:
            out = {**out, **fn(obj)}
        return out

    return parse_object


def named_payload(name: Any, parser_fn: Parser) -> Parser:
    """Parser producing ``{name: parser_fn(obj)}``."""
    _check_callable("parser_fn", parser_fn)
    return lambda obj: {name: parser_fn(obj)}
