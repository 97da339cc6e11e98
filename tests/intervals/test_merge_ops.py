"""Payload merge ops."""

from __future__ import annotations

import pytest

from esper_rekall.intervals.merge_ops import (
    BUILTIN_MERGE_OPS,
    merge_named_payload,
    merge_op_name,
    payload_first,
    payload_plus,
    payload_second,
)


def test_builtins():
    assert payload_first(1, 2) == 1
    assert payload_second(1, 2) == 2
    assert payload_plus([1], [2]) == [1, 2]
    assert payload_plus(1, 2) == 3


def test_builtins_are_recognisable_by_identity():
    assert merge_op_name(payload_first) == "payload_first"
    assert merge_op_name(lambda a, b: a) is None
    assert BUILTIN_MERGE_OPS["payload_plus"] is payload_plus


def test_merge_named_payload_merges_only_named_keys():
    op = merge_named_payload({"a": payload_plus, "b": payload_second})
    assert op({"a": [1], "b": 1, "c": 0}, {"a": [2], "b": 2}) == {"a": [1, 2], "b": 2}
    assert op.ops == {"a": payload_plus, "b": payload_second}
    with pytest.raises(KeyError):
        op({"a": [1]}, {"a": [2]})


def test_merge_named_payload_rejects_non_callables():
    with pytest.raises(TypeError, match="merge op for 'a' must be callable, got 3"):
        merge_named_payload({"a": 3})
    with pytest.raises(TypeError, match="must be a dict"):
        merge_named_payload([payload_first])
