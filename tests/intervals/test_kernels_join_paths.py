"""The join and minus kernels' fast paths against plain-Python definitions.

Each test builds inputs that take one path (sorted queries merged with the
references, several searches sharing packed keys, right rows of one length,
many rows against few blocks) and compares with brute force.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from esper_rekall.intervals import kernels
from tests.reference import band_pairs
from tests.strategies import PROPERTY

values = st.one_of(
    st.lists(st.integers(-6, 6), min_size=2, max_size=30),
    st.lists(st.sampled_from([-math.inf, -2.5, -1.0, 0.0, 0.5, 3.0, math.inf]), min_size=2, max_size=30),
)
sides = st.sampled_from(["left", "right"])


def _sorted_pairs(vals: list, n_domains: int) -> tuple[np.ndarray, np.ndarray]:
    """``(dom, val)`` columns sorted by domain, then value; domains cycle over ``n_domains``."""
    dom = np.arange(len(vals), dtype=np.int64) % n_domains
    val = np.array(vals)
    o = np.lexsort((val, dom))
    return dom[o], val[o]


def _count_below(ref: list[tuple], query: tuple, side: str) -> int:
    """References lexicographically ``< query`` (left) or ``<= query`` (right)."""
    return sum((r < query) if side == "left" else (r <= query) for r in ref)


@given(ref=values, q=values, side=sides, n_domains=st.integers(1, 3))
@PROPERTY
def test_lex_searchsorted_of_sorted_queries_counts_smaller_pairs(ref, q, side, n_domains):
    """Sorted queries about as many as the references take the merge path."""
    rd, rv = _sorted_pairs(ref, n_domains)
    qd, qv = _sorted_pairs(q, n_domains)
    if rv.dtype != qv.dtype:
        rv = rv.astype(np.float64)
        qv = qv.astype(np.float64)
    got = kernels.lex_searchsorted(rd, rv, qd, qv, side)
    pairs = list(zip(rd.tolist(), rv.tolist()))
    assert got.tolist() == [_count_below(pairs, p, side) for p in zip(qd.tolist(), qv.tolist())]


@given(ref=values, q=values, side=sides)
@PROPERTY
def test_searchsorted_of_sorted_queries_without_domains_equals_numpy(ref, q, side):
    rv, qv = np.sort(np.array(ref)), np.sort(np.array(q))
    got = kernels.lex_searchsorted(None, rv, None, qv, side)
    assert got.tolist() == np.searchsorted(rv, qv, side=side).tolist()


@given(
    a=st.lists(st.integers(-6, 6), min_size=1, max_size=20),
    b=st.lists(st.integers(-6, 6), min_size=1, max_size=20),
    q1=st.lists(st.sampled_from([-math.inf, -7, -1, 0, 2, 5, 9, math.inf]), min_size=1, max_size=20),
    sides=st.tuples(sides, sides, sides),
)
@PROPERTY
def test_lex_searchsorted_many_equals_one_search_at_a_time(a, b, q1, sides):
    """Two reference columns (one given twice) and integer and float queries, sharing the domain columns."""
    n = min(len(a), len(b))
    dom = np.sort(np.arange(n, dtype=np.int64) % 2)
    ref_a = np.array(a[:n], dtype=np.int64)
    ref_b = np.array(b[:n], dtype=np.int64)
    o = np.lexsort((ref_a, dom))
    dom, ref_a = dom[o], ref_a[o]
    ref_b = ref_b[np.lexsort((ref_b, dom))]
    q_dom = np.arange(len(q1), dtype=np.int64) % 3
    q_float = np.array(q1, dtype=np.float64)
    q_int = np.nan_to_num(q_float, posinf=99, neginf=-99).astype(np.int64)
    searches = [(ref_a, q_int, sides[0]), (ref_a, q_float, sides[1]), (ref_b, q_int, sides[2])]
    got = kernels.lex_searchsorted_many(dom, q_dom, searches)
    want = [kernels.lex_searchsorted(dom, r, q_dom, q, s) for r, q, s in searches]
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
    brute = [[_count_below(list(zip(dom.tolist(), r.tolist())), p, s) for p in zip(q_dom.tolist(), q.tolist())] for r, q, s in searches]
    assert [g.tolist() for g in got] == brute


intervals = st.lists(st.tuples(st.integers(-5, 15), st.integers(0, 2)), max_size=25)


@given(
    left=intervals,
    right_starts=st.lists(st.tuples(st.integers(-5, 15), st.integers(0, 2)), max_size=25),
    length=st.integers(0, 4),
    band=st.sampled_from([(0, 0, True), (0, 0, False), (2, 1, False), (-1, 3, False), (1, 1, True)]),
)
@PROPERTY
def test_candidate_pairs_with_right_rows_of_one_length_is_exactly_the_band(left, right_starts, length, band):
    """Right rows all of one length: the search on their starts alone decides the band's lower edge."""
    a, b, strict = band
    l1 = np.array([t for t, _ in left], dtype=np.int64)
    l2 = l1 + np.array([d for _, d in left], dtype=np.int64)
    ld = np.array([d for _, d in left], dtype=np.int64)
    r1 = np.array([t for t, _ in right_starts], dtype=np.int64)
    rd = np.array([d for _, d in right_starts], dtype=np.int64)
    o = np.lexsort((r1, rd))
    r1, rd = r1[o], rd[o]
    r2 = r1 + length
    li, ri = kernels.candidate_pairs(l1, l2, r1, r2, a, b, ld, rd, strict=strict)
    assert list(zip(li.tolist(), ri.tolist())) == band_pairs(l1, l2, r1, r2, a, b, ld, rd, strict)


@given(ranges=st.lists(st.tuples(st.integers(0, 20), st.integers(-3, 6)), max_size=20))
@PROPERTY
def test_expand_ranges_lists_every_position_of_every_range(ranges):
    lo = np.array([a for a, _ in ranges], dtype=np.intp)
    hi = lo + np.array([d for _, d in ranges], dtype=np.intp)
    rows, pos = kernels.expand_ranges(lo, hi)
    want = [(i, p) for i, (a, z) in enumerate(zip(lo.tolist(), hi.tolist())) for p in range(a, z)]
    assert list(zip(rows.tolist(), pos.tolist())) == want


def _minus_one(t1, t2, ranges: list[tuple]) -> list[tuple]:
    """Pieces of ``[t1, t2]`` left by the positive-length ``ranges`` (the stated rules of ``minus_pieces``)."""
    ranges = [(a, b) for a, b in ranges if b > a]
    if t1 == t2:
        return [] if any(a <= t1 <= b for a, b in ranges) else [(t1, t2)]
    pieces, start = [], t1
    for a, b in sorted(ranges):
        if b <= start or a >= t2:
            continue
        if a > start:
            pieces.append((start, a))
        start = max(start, b)
    if start < t2:
        pieces.append((start, t2))
    return pieces


rows_strategy = st.lists(st.tuples(st.integers(-5, 30), st.integers(0, 5), st.integers(0, 2)), min_size=20, max_size=60)
blocks_strategy = st.lists(st.tuples(st.integers(-5, 30), st.integers(0, 6), st.integers(0, 3)), max_size=4)


@given(rows=rows_strategy, blocks=blocks_strategy, float_blocks=st.booleans())
@PROPERTY
def test_minus_pieces_of_many_rows_against_few_blocks_equals_the_definition(rows, blocks, float_blocks):
    """Many sorted rows against a few blocks per domain (the edge search and counting paths)."""
    t1 = np.array([t for t, _, _ in rows], dtype=np.int64)
    t2 = t1 + np.array([d for _, d, _ in rows], dtype=np.int64)
    dom = np.array([d for _, _, d in rows], dtype=np.int64)
    o = np.lexsort((t2, t1, dom))
    t1, t2, dom = t1[o], t2[o], dom[o]
    b1 = np.array([t for t, _, _ in blocks], dtype=np.float64 if float_blocks else np.int64)
    b2 = b1 + np.array([d for _, d, _ in blocks], dtype=np.int64)
    if float_blocks:
        b1, b2 = b1 + 0.5, b2 + 0.5
    bd = np.array([d for _, _, d in blocks], dtype=np.int64)
    out_rows, p1, p2, _ = kernels.minus_pieces(t1, t2, b1, b2, dom, bd)
    want = [
        (i, a, b)
        for i in range(len(t1))
        for a, b in _minus_one(t1[i].item(), t2[i].item(), [(x.item(), y.item()) for x, y, d in zip(b1, b2, bd) if d == dom[i]])
    ]
    assert list(zip(out_rows.tolist(), p1.tolist(), p2.tolist())) == want


@given(values=st.lists(st.integers(-3, 3), max_size=20), presort=st.booleans())
@PROPERTY
def test_distinct_sorted_equals_numpy_unique(values, presort):
    a = np.array(sorted(values) if presort else values, dtype=np.int64)
    assert kernels.distinct_sorted(a).tolist() == np.unique(a).tolist()
