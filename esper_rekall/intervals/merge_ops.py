"""Payload merge operations.

Provides:
    payload_first(p1, p2) -> p1
    payload_second(p1, p2) -> p2
    payload_plus(p1, p2) -> p1 + p2
    merge_named_payload(name_to_merge_op): merges dict payloads key by key,
        ``{name: op(p1[name], p2[name]) for name, op in name_to_merge_op}``
        (only the names given; a missing key raises ``KeyError``).
    NamedPayloadMerge: the callable ``merge_named_payload`` returns.
    BUILTIN_MERGE_OPS: the module-level ops, by name.
    merge_op_name(op): the name of a built-in op, else None.

The built-ins are plain module-level functions so that kernels and the SQL
compiler can recognise them by identity (``op is payload_first``).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

__all__ = [
    "payload_first",
    "payload_second",
    "payload_plus",
    "merge_named_payload",
    "NamedPayloadMerge",
    "BUILTIN_MERGE_OPS",
    "merge_op_name",
]


def payload_first(payload1: Any, payload2: Any) -> Any:
    """The first payload."""
    return payload1


def payload_second(payload1: Any, payload2: Any) -> Any:
    """The second payload."""
    return payload2


def payload_plus(payload1: Any, payload2: Any) -> Any:
    """``payload1 + payload2`` (lists concatenate, numbers add)."""
    return payload1 + payload2


class NamedPayloadMerge:
    """Merge dict payloads key by key; see :func:`merge_named_payload`.

    Attributes:
        ops: the ``{name: merge_op}`` mapping (a copy).
    """

    def __init__(self, name_to_merge_op: Mapping[Any, Callable[[Any, Any], Any]]) -> None:
        if not isinstance(name_to_merge_op, Mapping):
            raise TypeError(
                f"name_to_merge_op must be a dict of merge ops, got {name_to_merge_op!r}"
            )
        for name, op in name_to_merge_op.items():
            if not callable(op):
                raise TypeError(f"merge op for {name!r} must be callable, got {op!r}")
        self.ops = dict(name_to_merge_op)

    def __call__(self, payload1: Any, payload2: Any) -> dict[Any, Any]:
        return {name: op(payload1[name], payload2[name]) for name, op in self.ops.items()}

    def __repr__(self) -> str:
        return f"merge_named_payload({self.ops!r})"


def merge_named_payload(
    name_to_merge_op: Mapping[Any, Callable[[Any, Any], Any]],
) -> NamedPayloadMerge:
    """Merge dict payloads by key, each key with its own merge op.

    Example:
        >>> op = merge_named_payload({'a': payload_plus, 'b': payload_first})
        >>> op({'a': [1], 'b': 1}, {'a': [2], 'b': 2})
        {'a': [1, 2], 'b': 1}
    """
    return NamedPayloadMerge(name_to_merge_op)


BUILTIN_MERGE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "payload_first": payload_first,
    "payload_second": payload_second,
    "payload_plus": payload_plus,
}


def merge_op_name(op: Any) -> str | None:
    """``"payload_first"`` etc. if ``op`` is that built-in, else None."""
    for name, builtin in BUILTIN_MERGE_OPS.items():
        if op is builtin:
            return name
    return None
