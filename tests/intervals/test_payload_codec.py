"""The payload codec round-trips every supported value exactly (no database)."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esper_rekall.intervals import Interval3D, IntervalSet3D
from esper_rekall.intervals.payload_codec import PayloadEncodeError, decode, dumps, encode, loads


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (tuple vs list, int vs float, -0.0, NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a) and all(
            type(x) is type(y) for x, y in zip(a, b)
        )
    if isinstance(a, Interval3D):
        return all(same(getattr(a, f), getattr(b, f)) for f in ("t", "x", "y", "payload"))
    if isinstance(a, IntervalSet3D):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a.get_intervals(), b.get_intervals()))
    return a == b


def _refuse(literal: str) -> None:
    raise AssertionError(f"non-standard JSON literal {literal}")


floats = st.floats(allow_nan=True, allow_infinity=True)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    floats,
    st.text(max_size=8),
    st.dates(),
    st.datetimes(timezones=st.one_of(st.none(), st.just(dt.timezone.utc), st.just(dt.timezone(dt.timedelta(hours=-5))))),
)
hashables = st.recursive(scalars.filter(lambda v: not (isinstance(v, float) and math.isnan(v))),
                         lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=5)
bound_pairs = st.one_of(
    st.tuples(st.integers(-1000, 1000), st.integers(0, 1000)).map(lambda p: (p[0], p[0] + p[1])),
    st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e6)).map(lambda p: (p[0], p[0] + p[1])),
)


def sets(payloads: st.SearchStrategy[Any]) -> st.SearchStrategy[IntervalSet3D]:
    return st.lists(
        st.builds(Interval3D, bound_pairs, bound_pairs, bound_pairs, payloads), max_size=4
    ).map(IntervalSet3D)


payloads = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=6), inner, max_size=3),
        st.dictionaries(hashables, inner, max_size=3),
        sets(inner),
        st.builds(Interval3D, bound_pairs, bound_pairs, bound_pairs, inner),
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(payloads)
def test_every_supported_payload_round_trips_exactly_through_json(value: Any) -> None:
    text = dumps(value)
    json.loads(text, parse_constant=_refuse)  # strict JSON: no NaN/Infinity literals
    assert same(loads(text), value)


@settings(max_examples=100, deadline=None)
@given(hashables)
def test_domain_keys_round_trip_with_their_types(key: Any) -> None:
    assert same(decode(encode(key)), key)


@pytest.mark.parametrize(
    "value",
    [1e16, 1e300, -0.0, float("inf"), float("-inf"), 5e-324, 0.1, 3.0],
)
def test_floats_that_databases_would_reformat_keep_their_type_and_value(value: float) -> None:
    assert same(loads(dumps(value)), value)


def test_nan_round_trips() -> None:
    assert math.isnan(loads(dumps(float("nan"))))


def test_tuple_and_list_stay_distinct() -> None:
    assert loads(dumps([(1, 2), [1, 2]])) == [(1, 2), [1, 2]]
    assert type(loads(dumps((1,)))) is tuple


def test_int_and_float_bounds_of_a_nested_set_stay_distinct() -> None:
    s = IntervalSet3D([Interval3D((1, 2), payload=(7,)), Interval3D((1.0, 2.5), (0.25, 0.5))])
    back = loads(dumps({"faces": s}))["faces"]
    assert [type(b) for i in back.get_intervals() for b in (*i.t, *i.x)] == [
        type(b) for i in s.get_intervals() for b in (*i.t, *i.x)
    ]
    assert same(back, s)


def test_user_dict_that_looks_like_a_tag_is_not_mistaken_for_one() -> None:
    value = {"__tuple__": [1, 2]}
    assert loads(dumps(value)) == value
    assert type(loads(dumps(value))) is dict


def test_dict_with_non_string_keys_round_trips() -> None:
    value = {1: "a", (2, "b"): [3], dt.date(2020, 1, 1): None, 2.5: 0.5}
    assert same(loads(dumps(value)), value)


def test_numpy_scalars_read_back_as_python_values() -> None:
    back = loads(dumps([np.int64(3), np.float64(0.5), np.bool_(True)]))
    assert same(back, [3, 0.5, True])


@pytest.mark.parametrize(
    ("value", "path", "kind"),
    [
        ({"a": [1, {2}]}, r"payload\['a'\]\[1\]", "builtins.set"),
        ([object()], r"payload\[0\]", "builtins.object"),
        ({"x": np.arange(3)}, r"payload\['x'\]", "numpy.ndarray"),
        (IntervalSet3D([Interval3D((0, 1), payload=b"raw")]), r"payload\[0\]\.payload", "builtins.bytes"),
    ],
)
def test_unsupported_value_is_a_type_error_naming_type_and_path(value: Any, path: str, kind: str) -> None:
    with pytest.raises(PayloadEncodeError, match=rf"{kind} at {path}"):
        encode(value)
    assert issubclass(PayloadEncodeError, TypeError)


def test_int_subclass_is_refused_rather_than_silently_changed() -> None:
    import enum

    class Color(enum.IntEnum):
        RED = 1

    with pytest.raises(TypeError, match="Color"):
        encode({"c": Color.RED})


_EDGE_FLOATS = [
    0.0, -0.0, 1e-4, -1e-4, 9.999999999999999e-05, 1.0000000000000002e-4, 1e16, -1e16,
    9999999999999998.0, 1.0000000000000002e16, 5e-324, -5e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, float("inf"), float("-inf"), float("nan"), 0.1, 1.5, 123456.789,
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.floats(min_value=-1e17, max_value=1e17),
            st.floats(min_value=-1e-3, max_value=1e-3),
            st.sampled_from(_EDGE_FLOATS),
        ),
        max_size=60,
    )
)
def test_vectorised_float_column_encoding_matches_per_element_encoding(values: list[float]) -> None:
    from esper_rekall.intervals.payload_codec import _encode_bound_column, _encode_float

    column = np.asarray(values, dtype=np.float64)
    fast = _encode_bound_column(column)
    slow = [_encode_float(v) for v in column.tolist()]
    assert json.dumps(fast) == json.dumps(slow)
    assert [type(v) for v in fast] == [type(v) for v in slow]


def test_vectorised_float_column_encoding_on_edge_values() -> None:
    from esper_rekall.intervals.payload_codec import _encode_bound_column, _encode_float

    for values in (_EDGE_FLOATS, _EDGE_FLOATS * 3, _EDGE_FLOATS[:3]):  # per element and numpy paths
        column = np.asarray(values, dtype=np.float64)
        assert json.dumps(_encode_bound_column(column)) == json.dumps([_encode_float(v) for v in values])
    ints = np.asarray([0, -3, 2**62], dtype=np.int64)
    assert _encode_bound_column(ints) == [0, -3, 2**62]
    assert all(type(v) is int for v in _encode_bound_column(ints))
