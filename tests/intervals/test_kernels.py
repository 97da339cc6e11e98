"""Kernels against brute force on raw arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals import kernels
from tests.reference import band_pairs
from tests.strategies import PROPERTY

rows = st.lists(st.tuples(st.integers(-5, 15), st.integers(0, 6), st.integers(0, 2)), max_size=15)


def _arrays(data):
    t1 = np.array([a for a, _, _ in data], dtype=np.int64)
    t2 = t1 + np.array([b for _, b, _ in data], dtype=np.int64)
    dom = np.array([d for _, _, d in data], dtype=np.int64)
    o = kernels.sort_order(dom, t1, t2)
    return t1[o], t2[o], dom[o]


@pytest.mark.parametrize("side", ["left", "right"])
@given(ref=rows, q=rows)
@PROPERTY
def test_lex_searchsorted_counts_smaller_pairs(side, ref, q):
    r1, _, rd = _arrays(ref)
    q1 = np.array([a for a, _, _ in q], dtype=np.int64)
    qd = np.array([d for _, _, d in q], dtype=np.int64)
    got = kernels.lex_searchsorted(rd, r1, qd, q1, side)
    cmp = (lambda a, b: a < b) if side == "left" else (lambda a, b: a <= b)
    want = [sum(cmp((d, v), (x, y)) for d, v in zip(rd.tolist(), r1.tolist())) for x, y in zip(qd.tolist(), q1.tolist())]
    assert got.tolist() == want


@given(left=rows, right=rows, a=st.sampled_from([math.inf, 0, 2, -1]), b=st.sampled_from([math.inf, 0, 3, -2]), use_dom=st.booleans())
@PROPERTY
def test_candidate_pairs_is_exactly_the_band(left, right, a, b, use_dom):
    l1, l2, ld = _arrays(left)
    r1, r2, rd = _arrays(right)
    if not use_dom:
        ld = rd = None
    li, ri = kernels.candidate_pairs(l1, l2, r1, r2, a, b, ld, rd)
    assert list(zip(li.tolist(), ri.tolist())) == band_pairs(l1, l2, r1, r2, a, b, ld, rd, strict=False)


big_rows = st.lists(st.tuples(st.integers(-5, 15), st.integers(0, 6), st.integers(0, 3)), min_size=30, max_size=60)
few_rows = st.lists(st.tuples(st.integers(-5, 15), st.integers(0, 2), st.integers(0, 3)), min_size=1, max_size=3)


@given(
    big=big_rows,
    few=few_rows,
    big_left=st.booleans(),
    band=st.sampled_from([(0, 0, True), (1, 2, True), (0, 0, False), (2, -1, False), (math.inf, 3, False)]),
    use_dom=st.booleans(),
    big_sorted=st.booleans(),
)
@PROPERTY
def test_candidate_pairs_of_many_rows_against_few_is_exactly_the_band(big, few, big_left, band, use_dom, big_sorted):
    """The lopsided path (big side cut to the few rows' domains, then searched from the few) loses no pair."""
    a, b, strict = band
    b1, b2, bd = _arrays(big)
    if not big_sorted:
        b1, b2, bd = b1[::-1], b2[::-1], bd[::-1]
    f1, f2, fd = _arrays(few)
    (l1, l2, ld), (r1, r2, rd) = ((b1, b2, bd), (f1, f2, fd)) if big_left else ((f1, f2, fd), (b1, b2, bd))
    if not use_dom:
        ld = rd = None
    li, ri = kernels.candidate_pairs(l1, l2, r1, r2, a, b, ld, rd, strict=strict)
    assert list(zip(li.tolist(), ri.tolist())) == band_pairs(l1, l2, r1, r2, a, b, ld, rd, strict)


def test_candidate_pairs_handles_unsorted_right_and_long_intervals():
    li, ri = kernels.candidate_pairs(np.array([50]), np.array([51]), np.array([40, 0, 60]), np.array([45, 100, 61]), 0, 0)
    assert ri.tolist() == [1]


def test_coalesce_starts_restart_per_domain():
    t1 = np.array([0, 2, 0, 10])
    t2 = np.array([5, 3, 1, 11])
    dom = np.array([0, 0, 1, 1])
    assert kernels.coalesce_starts(t1, t2, 0, dom).tolist() == [0, 2, 3]


def test_coalesce_starts_merges_touching_and_within_epsilon():
    t1, t2 = np.array([0, 5, 7, 10]), np.array([5, 6, 8, 10])
    assert kernels.coalesce_starts(t1, t2, 0).tolist() == [0, 2, 3]
    assert kernels.coalesce_starts(t1, t2, 2).tolist() == [0]


def test_minus_pieces_splits_and_ignores_zero_length_ranges():
    rows_, p1, p2, _ = kernels.minus_pieces(np.array([0]), np.array([10]), np.array([2, 5, 8]), np.array([3, 5, 12]))
    assert rows_.tolist() == [0, 0] and p1.tolist() == [0, 3] and p2.tolist() == [2, 8]


def test_dilate_masks_inverted_rows():
    lo, hi, keep = kernels.dilate(np.array([0, 0]), np.array([2, 1]), -0.75)
    assert keep.tolist() == [True, False]


def test_size_mask_bounds_are_inclusive():
    assert kernels.size_mask(np.array([0, 0, 0]), np.array([1, 2, 3]), 1, 2).tolist() == [True, True, False]


def test_run_starts():
    assert kernels.run_starts(np.array([1, 1, 2, 2]), np.array([0, 1, 1, 1])).tolist() == [0, 1, 2]


def test_expand_ranges_skips_reversed():
    r, p = kernels.expand_ranges(np.array([0, 5, 2]), np.array([2, 3, 4]))
    assert r.tolist() == [0, 0, 2, 2] and p.tolist() == [0, 1, 2, 3]


_key_column = st.one_of(
    st.lists(st.integers(-3, 3), min_size=12, max_size=12),
    st.lists(st.sampled_from([-math.inf, -1.5, -0.0, 0.0, 0.25, 2.0, math.inf]), min_size=12, max_size=12),
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=12, max_size=12),
)


@given(keys=st.lists(_key_column, min_size=1, max_size=5), n=st.integers(0, 12))
@PROPERTY
def test_sort_order_equals_stable_lexsort(keys, n):
    cols = [np.array(k[:n]) for k in keys]
    assert kernels.sort_order(*cols).tolist() == np.lexsort(cols[::-1]).tolist()


@given(keys=st.lists(_key_column, min_size=2, max_size=5), n=st.integers(1, 12))
@PROPERTY
def test_sort_order_with_deferred_keys_equals_stable_lexsort(keys, n):
    cols = [np.array(k[:n]) for k in keys]
    deferred = [cols[0], *(lambda c=c: c for c in cols[1:])]
    assert kernels.sort_order(*deferred).tolist() == np.lexsort(cols[::-1]).tolist()


@pytest.mark.parametrize("side", ["left", "right"])
@given(ref=rows, q=st.lists(st.tuples(st.sampled_from([-math.inf, -7.5, -0.5, 0.0, 2.5, 3.0, 40.0, math.inf]), st.integers(-1, 3)), max_size=10))
@PROPERTY
def test_lex_searchsorted_float_queries_into_int_rows(side, ref, q):
    r1, _, rd = _arrays(ref)
    qv = np.array([v for v, _ in q], dtype=np.float64)
    qd = np.array([d for _, d in q], dtype=np.int64)
    got = kernels.lex_searchsorted(rd, r1, qd, qv, side)
    cmp = (lambda a, b: a < b) if side == "left" else (lambda a, b: a <= b)
    want = [sum(cmp((d, v), (x, y)) for d, v in zip(rd.tolist(), r1.tolist())) for x, y in zip(qd.tolist(), qv.tolist())]
    assert got.tolist() == want


@given(data=rows)
@PROPERTY
def test_coalesce_starts_with_domains_matches_per_domain_loop(data):
    t1, t2, dom = _arrays(data)
    got = kernels.coalesce_starts(t1, t2, 0, dom).tolist()
    want = []
    for d in np.unique(dom).tolist():
        idx = np.flatnonzero(dom == d)
        want += (idx[kernels.coalesce_starts(t1[idx], t2[idx], 0)]).tolist()
    assert got == want


@pytest.mark.parametrize("side", ["left", "right"])
@PROPERTY
@given(
    ref=st.lists(st.integers(-3, 12), max_size=4).map(sorted),
    q=st.lists(st.integers(-5, 15), min_size=40, max_size=80),
    q_sorted=st.booleans(),
    use_dom=st.booleans(),
)
def test_lex_searchsorted_with_many_queries_equals_numpy(side, ref, q, q_sorted, use_dom):
    """Many (sorted) queries against few references take the counting path: same answer."""
    q = sorted(q) if q_sorted else q
    ref_a, q_a = np.array(ref, dtype=np.int64), np.array(q, dtype=np.int64)
    if use_dom:
        # One domain per sign of the value: both sides sorted by (domain, value).
        got = kernels.lex_searchsorted(
            (ref_a >= 5).astype(np.int64), ref_a, (q_a >= 5).astype(np.int64), q_a, side
        )
    else:
        got = kernels.lex_searchsorted(None, ref_a, None, q_a, side)
    assert got.tolist() == np.searchsorted(ref_a, q_a, side=side).tolist()
