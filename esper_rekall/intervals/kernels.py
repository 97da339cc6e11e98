"""Vectorised numpy kernels on raw interval columns.

Provides:
    sort_order: stable lexicographic order of key columns.
    lex_searchsorted: ``searchsorted`` on ``(domain, value)`` pairs.
    lex_searchsorted_many: several of them sharing the domain columns.
    expand_ranges: flatten per-row index ranges into (row, position) pairs.
    candidate_pairs: all (left, right) pairs inside a temporal band (join sweep).
    coalesce_starts: cluster starts for temporal coalescing.
    minus_pieces: what is left of each interval after subtracting time ranges,
        and which intervals the ranges cut.
    run_starts: starts of runs of equal keys in sorted columns (group by).
    distinct_sorted: ``np.unique``, in one pass for sorted input (pair rows).
    select: boolean indexing of several arrays by one mask, by gathers.
    dilate: widen (or erode) bounds, dropping inverted ones.
    size_mask: keep rows whose extent is within ``[min_size, max_size]``.
    is_float: whether any input is floating point (bands widened for rounding).

Kernels take numpy arrays (bound columns, optional integer domain codes) and
return index arrays or masks. They never see ``Interval3D`` objects, payloads
or domain keys. When a ``dom`` column is given, it is the leading sort key and
rows never interact across domains: one call handles every domain of a
collection at once. Inputs are never modified.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

__all__ = [
    "sort_order",
    "lex_searchsorted",
    "lex_searchsorted_many",
    "expand_ranges",
    "candidate_pairs",
    "coalesce_starts",
    "minus_pieces",
    "run_starts",
    "distinct_sorted",
    "select",
    "dilate",
    "size_mask",
    "is_float",
]

IntArray = npt.NDArray[np.intp]
_REL_SLACK = 1e-12


def sort_order(*keys: npt.NDArray[Any] | Callable[[], npt.NDArray[Any]]) -> IntArray:
    """Stable order of rows by ``keys`` (first key most significant).

    Same result as ``np.lexsort(keys[::-1])``, computed most significant key
    first: a key is only sorted within the runs the previous keys left tied,
    and only if it is out of order there. Already-sorted input (the common
    case: collections are kept sorted) costs one comparison pass per key;
    keys with distinct values inside the runs cost two unstable sorts. A key
    after the first may be a function returning the array: it is called only
    if the keys before it leave ties (a gather the order may not need).

    Cost: O(n) per key when sorted, O(n log n) per key that needs sorting.
    """
    if not keys or len(keys[0]) == 0:
        return np.arange(len(keys[0]) if keys else 0, dtype=np.intp)
    n = len(keys[0])
    order: IntArray | None = None
    tie: npt.NDArray[np.bool_] | None = None  # adjacent rows equal on the keys so far
    for key in keys:
        if callable(key):
            key = key()
        v = np.asarray(key) if order is None else np.asarray(key)[order]
        if v.dtype == object:
            arrays = [k() if callable(k) else k for k in keys]
            return np.lexsort(arrays[::-1]).astype(np.intp, copy=False)
        down = v[1:] < v[:-1]
        if tie is not None:
            down &= tie
        if down.any():
            if tie is None:
                sub = _stable_order_within(v, None)
            else:
                # Only the runs with a row out of order move; rows keep
                # their positions otherwise.
                gid = np.concatenate([[0], np.cumsum(~tie)])
                bad = np.zeros(int(gid[-1]) + 1, dtype=bool)
                bad[gid[1:][down]] = True
                sel = np.flatnonzero(bad[gid])
                sub = np.arange(n, dtype=np.intp)
                sub[sel] = sel[_stable_order_within(v[sel], gid[sel])]
            order = sub if order is None else order[sub]
            v = v[sub]
        eq = v[1:] == v[:-1]
        tie = eq if tie is None else tie & eq
        if not tie.any():
            break
    return np.arange(n, dtype=np.intp) if order is None else order


def _ordered_int(v: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``v`` (float64, no NaN) as int64 keys in the same order; others unchanged.

    The IEEE bit pattern of a non-negative float orders like an integer;
    flipping the magnitude bits of negatives puts them below, in reverse.
    ``-0.0`` is first turned into ``0.0`` so equal values get equal keys.
    Integer sorts are faster than float sorts in numpy.
    """
    if v.dtype != np.float64:
        return v
    bits = (v + 0.0).view(np.int64)
    return bits ^ ((bits >> 63) & np.int64(0x7FFF_FFFF_FFFF_FFFF))


def _dense_rank(v: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], int]:
    """Rank of each value among the distinct values of ``v`` (ties share one)."""
    v = _ordered_int(v)
    p = np.argsort(v)
    vs = v[p]
    new = np.empty(len(v), dtype=bool)
    new[0] = True
    np.not_equal(vs[1:], vs[:-1], out=new[1:])
    ranks = np.empty(len(v), dtype=np.int64)
    ranks[p] = np.cumsum(new) - 1
    return ranks, int(new.sum())


def _stable_order_within(v: npt.NDArray[Any], gid: npt.NDArray[Any] | None) -> IntArray:
    """Stable order by ``(gid, v)``; ``gid`` is non-decreasing (or None: one group).

    Equivalent to ``np.lexsort((v, gid))`` but built from unstable sorts of
    integer keys (several times faster than numpy's stable sorts):
    ``(gid, v or the rank of v)`` packed in one int64, with the input
    position too when it fits (one sort, stable by construction); otherwise
    rows whose packed keys are equal are then put back in input order.
    """
    n = len(v)
    g = np.zeros(n, dtype=np.int64) if gid is None else (gid - gid[0]).astype(np.int64)
    n_groups = int(g[-1]) + 1
    key = None
    if v.dtype.kind in "iu":
        lo, hi = int(v.min()), int(v.max())
        if n_groups * (hi - lo + 1) < 2**62:
            key = g * (hi - lo + 1) + (v.astype(np.int64) - lo)
            n_keys = n_groups * (hi - lo + 1)
    if key is None:
        rank, n_distinct = _dense_rank(v)
        key = g * n_distinct + rank
        n_keys = n_groups * n_distinct
    if n_keys * n < 2**62:
        # The input position fits in the key too: one sort, stable by itself.
        return np.argsort(key * n + np.arange(n, dtype=np.int64)).astype(np.intp, copy=False)
    order = np.argsort(key)
    ks = key[order]
    eq = ks[1:] == ks[:-1]
    if eq.any():
        # Runs of equal keys must keep input order: sort those rows by
        # (run, input position), run ids being non-decreasing.
        in_run = np.zeros(n, dtype=bool)
        in_run[1:] |= eq
        in_run[:-1] |= eq
        idx = np.flatnonzero(in_run)
        run = np.cumsum(np.concatenate([[True], ~eq]))[idx]
        order[idx] = order[idx][np.argsort(run.astype(np.int64) * n + order[idx])]
    return order.astype(np.intp, copy=False)


def lex_searchsorted(
    ref_dom: npt.NDArray[Any] | None,
    ref_val: npt.NDArray[Any],
    q_dom: npt.NDArray[Any] | None,
    q_val: npt.NDArray[Any],
    side: str = "left",
) -> IntArray:
    """Insertion points of ``(q_dom, q_val)`` into rows sorted by ``(ref_dom, ref_val)``.

    With ``side='left'`` the result counts reference rows strictly less than
    the query, with ``side='right'`` rows less than or equal; ``None`` domains
    mean a single domain (plain ``np.searchsorted``). Values may be ``±inf``.

    Cost: O(m log n) without domains; O((n + m) log(n + m)) with them
    (O(n + m) for integer values and sorted queries).
    """
    return lex_searchsorted_many(ref_dom, q_dom, [(ref_val, q_val, side)])[0]


def lex_searchsorted_many(
    ref_dom: npt.NDArray[Any] | None,
    q_dom: npt.NDArray[Any] | None,
    searches: list[tuple[npt.NDArray[Any], npt.NDArray[Any], str]],
) -> list[IntArray]:
    """``lex_searchsorted(ref_dom, ref_val, q_dom, q_val, side)`` for each ``(ref_val, q_val, side)``.

    The searches share the reference domains and the query domains, so the
    domain part of the packed integer keys is computed once for all of them
    (and a reference column given twice, by identity, is packed once): a
    join searches one sorted side twice with the other side's rows.
    """
    if ref_dom is None or q_dom is None:
        return [_searchsorted(r, np.asarray(q), side) for r, q, side in searches]
    n, m = len(ref_dom), len(q_dom)
    if m == 0 or n == 0:
        return [np.zeros(m, dtype=np.intp) for _ in searches]
    packer = _IntKeyPacker.create(ref_dom, q_dom, [r for r, _, _ in searches])
    out = []
    for ref_val, q_val, side in searches:
        q_val = np.asarray(q_val)
        keys = None if packer is None else packer.keys(ref_val, q_val, side)
        if keys is None:
            out.append(_lexsort_search(ref_dom, ref_val, q_dom, q_val, side))
        else:
            out.append(_searchsorted(keys[0], keys[1], side))
    return out


def _lexsort_search(
    ref_dom: npt.NDArray[Any], ref_val: npt.NDArray[Any], q_dom: npt.NDArray[Any], q_val: npt.NDArray[Any], side: str
) -> IntArray:
    """``lex_searchsorted`` by one lexsort of both sides (any value dtype)."""
    n, m = len(ref_val), len(q_val)
    dom = np.concatenate([ref_dom, q_dom])
    val = np.concatenate([ref_val, q_val])
    is_ref = np.concatenate([np.ones(n, dtype=np.int8), np.zeros(m, dtype=np.int8)])
    # On ties, 'left' puts queries before equal references, 'right' after.
    flag = is_ref if side == "left" else 1 - is_ref
    order = np.lexsort((flag, val, dom))
    refs_before = np.cumsum(is_ref[order]) - is_ref[order]
    out = np.empty(m, dtype=np.intp)
    is_query = order >= n
    out[order[is_query] - n] = refs_before[is_query]
    return out


#: Queries per reference row above which sorted queries are counted the other way round.
_MANY_QUERIES = 8
#: References per query row above which even sorted queries are binary-searched.
_FEW_QUERIES = 8


def _searchsorted(ref: npt.NDArray[Any], q: npt.NDArray[Any], side: str) -> IntArray:
    """``np.searchsorted(ref, q, side)``; faster for sorted queries.

    When the queries are sorted too (the rows of a collection, searched by
    their start or, for equal lengths, their end), the answer is a merge:
    queries that outnumber the references many times over place each
    reference among the queries and accumulate the counts,
    O(n log m + m); otherwise one stable sort of both (two sorted runs:
    a linear merge), O(n + m), instead of O(m log n) of scattered
    binary searches.
    """
    n, m = len(ref), len(q)
    if m > 1 and m * _FEW_QUERIES >= n and bool(np.all(q[1:] >= q[:-1])):
        if m > _MANY_QUERIES * n:
            # ref <= q[i] (side 'right') iff i >= the left insertion point of ref
            # among the queries; ref < q[i] (side 'left') iff i >= the right one.
            # The i-th query follows pos[j] <= i references: runs of equal counts.
            pos = np.searchsorted(q, ref, side="left" if side == "right" else "right")
            return np.repeat(np.arange(n + 1, dtype=np.intp), np.diff(pos, prepend=0, append=m))
        if ref.dtype == q.dtype:
            return _merge_searchsorted(ref, q, side)
    return np.searchsorted(ref, q, side=side).astype(np.intp, copy=False)


def _merge_searchsorted(ref: npt.NDArray[Any], q: npt.NDArray[Any], side: str) -> IntArray:
    """``np.searchsorted`` of sorted queries: their ranks in a stable merge with the references.

    Queries go first for ``side='left'`` (before equal references) and last
    for ``'right'``; the position of the i-th query in the merged order,
    less i, is the number of references before it.
    """
    n, m = len(ref), len(q)
    merged = np.argsort(np.concatenate([q, ref] if side == "left" else [ref, q]), kind="stable")
    is_query = merged < m if side == "left" else merged >= n
    counts = np.flatnonzero(is_query)
    counts -= np.arange(m, dtype=counts.dtype)
    return counts.astype(np.intp, copy=False)


_EXACT_FLOAT_INT = 2**52


class _IntKeyPacker:
    """``(dom, val)`` packed into one int64 key per row, ordered like the pairs.

    Only for integer reference values (frame numbers) whose packed range
    fits in int64: ``key = (dom - dmin) * span + (val - base)``, ``span``
    covering every reference value plus one below and one above. Query
    values are mapped to integers with the same insertion point: clamped
    to one past the reference range (which also handles ``±inf``), then
    rounded up for ``side='left'`` (count of refs ``< q``) and down for
    ``side='right'`` (count of refs ``<= q``).
    """

    def __init__(self, ref_dom: npt.NDArray[Any], q_dom: npt.NDArray[Any], lo: int, hi: int, dmin: int) -> None:
        self.lo, self.hi = lo, hi
        span = hi - lo + 3
        offset = dmin * span + lo - 1
        self.ref_base = _affine(ref_dom, span, offset)
        self.q_base = self.ref_base if q_dom is ref_dom else _affine(q_dom, span, offset)
        self._ref_keys: list[tuple[npt.NDArray[Any], npt.NDArray[np.int64]]] = []

    @classmethod
    def create(
        cls, ref_dom: npt.NDArray[Any], q_dom: npt.NDArray[Any], ref_vals: list[npt.NDArray[Any]]
    ) -> _IntKeyPacker | None:
        """A packer for these reference columns, or None if they are not integers or the keys do not fit."""
        if any(r.dtype.kind not in "iu" for r in ref_vals) or ref_dom.dtype.kind not in "iu" or q_dom.dtype.kind not in "iu":
            return None
        lo = min(int(r.min()) for r in ref_vals)
        hi = max(int(r.max()) for r in ref_vals)
        if max(abs(lo), abs(hi)) >= _EXACT_FLOAT_INT:
            return None
        dmin = min(int(ref_dom.min()), int(q_dom.min()))
        dmax = max(int(ref_dom.max()), int(q_dom.max()))
        # Both the packed keys and the intermediate ``dom * span`` must fit.
        if (max(abs(dmin), abs(dmax)) + 1) * 2 * (hi - lo + 3) >= 2**62:
            return None
        return cls(ref_dom, q_dom, lo, hi, dmin)

    def keys(
        self, ref_val: npt.NDArray[Any], q_val: npt.NDArray[Any], side: str
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
        """Packed reference and query keys, or None (non-numeric or NaN queries)."""
        if q_val.dtype.kind not in "iuf":
            return None
        if q_val.dtype.kind == "f":
            if np.isnan(q_val).any():
                return None
            q = np.clip(q_val, self.lo - 1, self.hi + 1)
            q = (np.ceil(q) if side == "left" else np.floor(q)).astype(np.int64)
        else:
            q = np.clip(q_val.astype(np.int64, copy=False), self.lo - 1, self.hi + 1)
        q += self.q_base
        return self._ref_key(ref_val), q

    def _ref_key(self, ref_val: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        """The packed key of a reference column, made once per column object."""
        for val, key in self._ref_keys:
            if val is ref_val:
                return key
        key = self.ref_base + ref_val.astype(np.int64, copy=False)
        self._ref_keys.append((ref_val, key))
        return key


def _affine(dom: npt.NDArray[Any], span: int, offset: int) -> npt.NDArray[np.int64]:
    """``dom * span - offset`` as a new int64 array."""
    key = np.multiply(dom, span, dtype=np.int64)
    key -= offset
    return key


def expand_ranges(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """Flatten ranges ``[lo[i], hi[i])`` into ``(row, position)`` pairs.

    Empty or reversed ranges contribute nothing. Output is ordered by row,
    then position. Cost: O(n + k) for k output pairs.
    """
    lo = np.asarray(lo)
    counts = np.maximum(np.asarray(hi) - lo, 0)
    rows = np.repeat(np.arange(len(counts), dtype=np.intp), counts)
    if len(rows) == 0:
        return rows, np.empty(0, dtype=np.intp)
    # position = lo of its row + its rank among all pairs - the row's first rank
    pos = (lo - (np.cumsum(counts) - counts)).astype(np.intp, copy=False)[rows]
    pos += np.arange(len(rows), dtype=np.intp)
    return rows, pos


def is_float(*arrays: Any) -> bool:
    """Whether any of ``arrays`` (arrays or scalars) is floating point."""
    return any(np.asarray(a).dtype.kind == "f" or isinstance(a, float) for a in arrays)


def candidate_pairs(
    l_t1: npt.NDArray[Any],
    l_t2: npt.NDArray[Any],
    r_t1: npt.NDArray[Any],
    r_t2: npt.NDArray[Any],
    before_gap: float = math.inf,
    after_gap: float = math.inf,
    l_dom: npt.NDArray[Any] | None = None,
    r_dom: npt.NDArray[Any] | None = None,
    strict: bool = False,
) -> tuple[IntArray, IntArray]:
    """All (left, right) row pairs whose temporal bounds lie in a band.

    A pair is returned when it is in the same domain and
    ``r_t2 >= l_t1 - before_gap`` and ``r_t1 <= l_t2 + after_gap``. Gaps may
    be negative or ``inf`` (``inf`` for both gives the cross product per
    domain). With float columns or gaps the band is widened by a relative
    1e-12 so rounding never drops a pair: callers filter candidates with the
    exact predicate anyway.

    With ``strict=True`` the band is open and exact instead: a pair is
    returned iff ``r_t2 > l_t1 - before_gap`` and ``r_t1 < l_t2 +
    after_gap``, both sides computed in the columns' dtype (finite gaps
    only). With zero gaps this is the overlap of positive-length intervals.

    Returns:
        ``(left_idx, right_idx)``, ordered by left row, then right row.

    Cost: O((n + m) log(n + m) + c) where c is the number of rows of the
    right side (sorted by ``t1``) whose ``t1`` lies in
    ``[l_t1 - before_gap - max_len, l_t2 + after_gap]``, max_len being the
    longest right interval; ``c`` is the output size for intervals of
    similar lengths and the cross product at worst. Already-sorted right
    rows (the usual case) cost O(m) to order. When one side has over
    ``_LOPSIDED`` times the rows of the other, the cost follows the smaller
    side instead (see ``_lopsided_pairs``).
    """
    n_l, n_r = len(l_t1), len(r_t1)
    if n_l == 0 or n_r == 0:
        e = np.empty(0, dtype=np.intp)
        return e, e
    if n_l > _LOPSIDED * n_r or n_r > _LOPSIDED * n_l:
        return _lopsided_pairs(l_t1, l_t2, r_t1, r_t2, before_gap, after_gap, l_dom, r_dom, strict)
    return _band_candidates(l_t1, l_t2, r_t1, r_t2, before_gap, after_gap, l_dom, r_dom, strict)


#: Rows of one side per row of the other above which ``candidate_pairs`` works from the smaller side.
_LOPSIDED = 8


def _lopsided_pairs(
    l_t1: npt.NDArray[Any],
    l_t2: npt.NDArray[Any],
    r_t1: npt.NDArray[Any],
    r_t2: npt.NDArray[Any],
    before_gap: float,
    after_gap: float,
    l_dom: npt.NDArray[Any] | None,
    r_dom: npt.NDArray[Any] | None,
    strict: bool,
) -> tuple[IntArray, IntArray]:
    """``candidate_pairs`` of a big side against a small one, at the small side's cost.

    The big side is first cut to the rows of the small side's domains (when
    its domain codes are sorted, as a collection's are). If the big side is
    the left one, the small side's rows are then searched in the big side's
    sorted bounds: the band mirrored (``l_t1 <= r_t2 + before_gap``,
    ``l_t2 >= r_t1 - after_gap``) instead of one search per big row. The
    mirrored band is the same band; a strict band with non-zero gaps is not
    mirrored, as rounding could differ in float columns.

    Cost: O(k log n) to cut the big side (k domains of the small side), then
    ``_band_candidates`` on the small side and the big side's rows left.
    """
    big_left = len(l_t1) > len(r_t1)
    rows = None
    if l_dom is not None and r_dom is not None:
        rows = _rows_in_domains(l_dom, r_dom) if big_left else _rows_in_domains(r_dom, l_dom)
    if rows is not None:
        if big_left:
            l_t1, l_t2, l_dom = l_t1[rows], l_t2[rows], l_dom[rows]
        else:
            r_t1, r_t2, r_dom = r_t1[rows], r_t2[rows], r_dom[rows]
    if big_left and not (strict and (before_gap or after_gap)):
        ri, li = _band_candidates(r_t1, r_t2, l_t1, l_t2, after_gap, before_gap, r_dom, l_dom, strict)
        if len(li) > 1:
            o = np.lexsort((ri, li))
            li, ri = li[o], ri[o]
    else:
        li, ri = _band_candidates(l_t1, l_t2, r_t1, r_t2, before_gap, after_gap, l_dom, r_dom, strict)
    # ``rows`` is increasing: mapping back keeps the (left, right) order.
    if rows is not None:
        if big_left:
            li = rows[li]
        else:
            ri = rows[ri]
    return li, ri


def _rows_in_domains(dom: npt.NDArray[Any], wanted: npt.NDArray[Any]) -> IntArray | None:
    """Increasing indices of the rows of ``dom`` whose code is in ``wanted``.

    None when ``dom`` is not sorted (the cut needs it) or when the cut would
    keep every row. Cost: O(n) to check the order, O(k log n + rows kept).
    """
    if len(dom) > 1 and not bool(np.all(dom[1:] >= dom[:-1])):
        return None
    codes = distinct_sorted(wanted)
    _, rows = expand_ranges(np.searchsorted(dom, codes, "left"), np.searchsorted(dom, codes, "right"))
    return None if len(rows) == len(dom) else rows


def _band_candidates(
    l_t1: npt.NDArray[Any],
    l_t2: npt.NDArray[Any],
    r_t1: npt.NDArray[Any],
    r_t2: npt.NDArray[Any],
    before_gap: float,
    after_gap: float,
    l_dom: npt.NDArray[Any] | None,
    r_dom: npt.NDArray[Any] | None,
    strict: bool,
) -> tuple[IntArray, IntArray]:
    """``candidate_pairs`` by searching every left row in the right side sorted by ``(dom, t1)``."""
    n_l, n_r = len(l_t1), len(r_t1)
    if n_l == 0 or n_r == 0:
        e = np.empty(0, dtype=np.intp)
        return e, e
    order = sort_order(r_t1) if r_dom is None else sort_order(r_dom, r_t1)
    identity = bool(np.all(order[1:] > order[:-1]))
    s_t1 = r_t1 if identity else r_t1[order]
    s_t2 = r_t2 if identity else r_t2[order]
    s_dom = r_dom if identity or r_dom is None else r_dom[order]
    use_slack = is_float(l_t1, l_t2, r_t1, r_t2, before_gap, after_gap)
    lengths = r_t2 - r_t1
    max_len = lengths.max()

    if math.isinf(before_gap) and before_gap > 0:
        lower = None
        lo_q = np.full(n_l, -np.inf)
    else:
        lower = l_t1 - before_gap if before_gap else l_t1
        lo_q = lower - max_len
        if use_slack:
            slack = _REL_SLACK * (np.abs(l_t1) + abs(before_gap) + max_len + 1.0)
            lo_q = lo_q - 2 * slack
            if not strict:
                lower = lower - slack
    upper = None
    if math.isinf(after_gap) and after_gap > 0:
        hi_q = np.full(n_l, np.inf)
    else:
        hi_q = upper = l_t2 + after_gap if after_gap else l_t2
        if use_slack:
            hi_q = hi_q + _REL_SLACK * (np.abs(l_t2) + abs(after_gap) + 1.0)
    # Right rows with s_t1 in [lo_q, hi_q] (open ends when strict and exact
    # integer bounds: s_t1 > lower - max_len, s_t1 < upper).
    lo_side = "right" if strict and not use_slack else "left"
    hi_side = "left" if strict and not use_slack else "right"
    lo, hi = lex_searchsorted_many(s_dom, l_dom, [(s_t1, lo_q, lo_side), (s_t1, hi_q, hi_side)])
    li, pos = expand_ranges(lo, hi)
    if lower is not None and not use_slack and lengths.min() == max_len:
        # Exact integer bounds, right rows all of one length: the search on
        # s_t1 (from lower - max_len) already is the condition on s_t2.
        lower = None
    if lower is not None and len(pos):
        keep = s_t2[pos] > lower[li] if strict else s_t2[pos] >= lower[li]
        if strict and use_slack and upper is not None:
            keep &= s_t1[pos] < upper[li]
        li, pos = select(keep, li, pos)
    elif strict and use_slack and upper is not None and len(pos):
        keep = s_t1[pos] < upper[li]
        li, pos = select(keep, li, pos)
    if identity:
        return li, pos
    ri = order[pos]
    if len(ri) > 1:
        o = np.lexsort((ri, li))
        li, ri = li[o], ri[o]
    return li, ri


def _segmented_cummax(values: npt.NDArray[Any], dom: npt.NDArray[Any] | None) -> npt.NDArray[Any]:
    """Running maximum of ``values`` restarting at each change of ``dom`` (sorted)."""
    if dom is None or len(values) == 0:
        return np.maximum.accumulate(values)
    if values.dtype.kind in "iu":
        # Integer values: shift each domain above the previous one, so a
        # plain running maximum never carries across a domain change.
        lo, hi = int(values.min()), int(values.max())
        span = hi - lo + 1
        d0 = int(dom[0])
        if (int(dom[-1]) - d0 + 1) * span < 2**62:
            shift = (dom.astype(np.int64) - d0) * span - lo
            return (np.maximum.accumulate(values.astype(np.int64) + shift) - shift).astype(values.dtype, copy=False)
    uniq, inv = np.unique(values, return_inverse=True)
    key = dom.astype(np.int64) * len(uniq) + inv
    return uniq[np.maximum.accumulate(key) % len(uniq)]


def coalesce_starts(
    t1: npt.NDArray[Any],
    t2: npt.NDArray[Any],
    epsilon: float = 0,
    dom: npt.NDArray[Any] | None = None,
) -> IntArray:
    """Row indices where a new coalesced cluster starts.

    Rows must be sorted by ``(dom, t1)``. Row ``i`` joins the running cluster
    when ``t1[i] - max(t2 of the cluster) <= epsilon`` (the reference's
    ``overlaps or before(max_dist=epsilon)`` for ``epsilon >= 0``: overlapping,
    touching and up to ``epsilon`` apart all merge), and starts a new one
    otherwise or at a new domain.

    Cost: O(n) without domains, O(n log n) with them.
    """
    n = len(t1)
    if n == 0:
        return np.empty(0, dtype=np.intp)
    run_max = _segmented_cummax(t2, dom)
    new = (t1[1:] - run_max[:-1]) > epsilon
    if dom is not None:
        new |= dom[1:] != dom[:-1]
    return np.concatenate([[0], np.flatnonzero(new) + 1]).astype(np.intp)


def minus_pieces(
    t1: npt.NDArray[Any],
    t2: npt.NDArray[Any],
    o_t1: npt.NDArray[Any],
    o_t2: npt.NDArray[Any],
    dom: npt.NDArray[Any] | None = None,
    o_dom: npt.NDArray[Any] | None = None,
) -> tuple[IntArray, npt.NDArray[Any], npt.NDArray[Any], IntArray]:
    """Temporal set difference of each row minus the ranges ``(o_t1, o_t2)``.

    Reference semantics: only ranges of positive length subtract. A row of
    positive length keeps the maximal pieces of ``[t1, t2]`` outside the open
    ranges ``(o_t1, o_t2)`` that have positive length (so touching ranges do
    not cut, and zero-length leftovers vanish). A zero-length row ``[t, t]``
    is dropped when some positive-length range has ``o_t1 <= t <= o_t2`` and
    kept otherwise. Ranges only subtract within their own domain.

    Returns:
        ``(rows, p1, p2, cut_rows)``: for each piece the row it comes from
        and its bounds, ordered by row, then time; and the increasing
        positive-length rows some range overlaps (cut or dropped: every
        other row is one piece equal to itself, or a dropped zero-length
        row).

    Cost: O((n + m) log(n + m) + p) for p output pieces.
    """
    n = len(t1)
    if n == 0:
        e = np.empty(0, dtype=np.intp)
        return e, t1[:0], t2[:0], e
    positive = o_t2 > o_t1
    b_t1, b_t2 = o_t1[positive], o_t2[positive]
    b_dom = None if o_dom is None else o_dom[positive]
    order = sort_order(b_t1) if b_dom is None else sort_order(b_dom, b_t1)
    b_t1, b_t2 = b_t1[order], b_t2[order]
    if b_dom is not None:
        b_dom = b_dom[order]
    # Merge the ranges into disjoint blocks; touching ones merge too, since
    # the point they share could only leave a zero-length piece.
    starts = coalesce_starts(b_t1, b_t2, 0, b_dom)
    if len(starts):
        b_t2 = np.maximum.reduceat(b_t2, starts)
        b_t1 = b_t1[starts]
        if b_dom is not None:
            b_dom = b_dom[starts]
    dtype = np.result_type(t1.dtype, b_t1.dtype)
    rows = np.arange(n, dtype=np.intp)

    zero = t1 == t2
    out_count = np.ones(n, dtype=np.intp)  # output pieces per row
    pos_rows, p_dom, pt1, pt2 = rows, dom, t1, t2
    if zero.any():
        z_rows = rows[zero]
        k = lex_searchsorted(b_dom, b_t1, None if dom is None else dom[zero], t1[zero], "right") - 1
        kk = np.maximum(k, 0)
        covered = (k >= 0) & (b_t2[kk] >= t1[zero]) if len(b_t1) else np.zeros(len(k), bool)
        if dom is not None and len(b_t1):
            covered &= b_dom[kk] == dom[zero]
        out_count[z_rows[covered]] = 0
        pos_rows = rows[~zero]
        p_dom = None if dom is None else dom[~zero]
        pt1, pt2 = t1[~zero], t2[~zero]

    # Positive-length rows: blocks klo..khi-1 overlap the open interval. Rows
    # no block overlaps (most) stay whole; only the others are cut.
    klo, hit = _blocks_before(b_dom, b_t1, b_t2, p_dom, pt1, pt2)
    hit_rows = np.flatnonzero(hit)
    cut_rows, klo, ct1, ct2 = pos_rows.take(hit_rows), klo.take(hit_rows), pt1.take(hit_rows), pt2.take(hit_rows)
    khi = lex_searchsorted(b_dom, b_t1, None if p_dom is None else p_dom.take(hit_rows), ct2, "left")
    counts = khi - klo + 1  # candidate pieces: before, between and after the blocks
    r, j = expand_ranges(np.zeros(len(counts), np.intp), counts)
    blk = klo[r] + j
    last_block = max(len(b_t1) - 1, 0)
    p1 = np.where(j == 0, ct1[r], b_t2[np.maximum(blk - 1, 0)])
    p2 = np.where(j == counts[r] - 1, ct2[r], b_t1[np.minimum(blk, last_block)])
    keep = p2 > p1
    r, p1, p2 = select(keep, r, p1, p2)
    out_count[cut_rows] = np.bincount(r, minlength=len(cut_rows))

    # Every output slot starts as its row's bounds; the cut rows' slots (in
    # row, then time order, as the pieces are) take the pieces.
    out_rows = np.repeat(rows, out_count)
    o1 = t1[out_rows].astype(dtype, copy=False)
    o2 = t2[out_rows].astype(dtype, copy=False)
    if len(cut_rows):
        first = np.cumsum(out_count)[cut_rows] - out_count[cut_rows]
        _, slots = expand_ranges(first, first + out_count[cut_rows])
        o1[slots], o2[slots] = p1, p2
    return out_rows, o1, o2, cut_rows


def _blocks_before(
    b_dom: npt.NDArray[Any] | None,
    b_t1: npt.NDArray[Any],
    b_t2: npt.NDArray[Any],
    dom: npt.NDArray[Any] | None,
    t1: npt.NDArray[Any],
    t2: npt.NDArray[Any],
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Rows of positive length against disjoint blocks: ``(klo, hit)``.

    The blocks are sorted by ``(b_dom, b_t1)``, of positive length and
    neither overlapping nor touching within a domain, so their starts and
    ends interleave in one strictly increasing edge sequence per domain.
    ``klo`` is the number of blocks (this domain's and all earlier ones)
    ending at or before ``t1``; ``hit`` says whether some block of the
    row's domain overlaps the open interval ``(t1, t2)``.

    One search of ``t1`` among the edges: an odd count of edges ``<= t1``
    puts ``t1`` inside a block (a hit); an even one puts it in a gap whose
    next edge, if in the same domain, is a block's start: a hit iff it is
    before ``t2``. Cost: one ``lex_searchsorted`` of the rows, O(n) more.
    """
    n, k = len(t1), len(b_t1)
    if k == 0:
        return np.zeros(n, dtype=np.intp), np.zeros(n, dtype=bool)
    # The edges, then a sentinel no row end is above (the next edge of rows
    # past the last block).
    dtype = np.result_type(b_t1.dtype, b_t2.dtype)
    edges = np.empty(2 * k + 1, dtype=dtype)
    edges[0 : 2 * k : 2], edges[1 : 2 * k : 2] = b_t1, b_t2
    edges[-1] = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    e_dom = None if b_dom is None else np.repeat(b_dom, 2)
    p = lex_searchsorted(e_dom, edges[:-1], dom, t1, "right")
    hit = edges[p] < t2
    if e_dom is not None and dom is not None:
        hit &= np.append(e_dom, e_dom[-1])[p] == dom
    np.logical_or(hit, p & 1, out=hit)
    return p >> 1, hit


def select(mask: npt.NDArray[np.bool_], *arrays: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], ...]:
    """Each of ``arrays`` at the positions where ``mask`` is True (``a[mask]`` for each).

    One ``flatnonzero`` and a gather per array: several times faster than
    boolean indexing when the kept positions are scattered (a predicate's
    verdict on candidate pairs), and the mask is read once for all arrays.
    """
    idx = np.flatnonzero(mask)
    return tuple(a.take(idx) for a in arrays)


def distinct_sorted(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The distinct values of ``values``, ascending (``np.unique``).

    O(n) when ``values`` is already non-decreasing, as the left rows of the
    pairs a join finds are: one comparison pass instead of numpy's hash or
    sort. Cost: O(n), or O(n log n) for unsorted input.
    """
    values = np.asarray(values)
    if len(values) < 2 or not bool(np.all(values[1:] >= values[:-1])):
        return np.unique(values)
    new = np.empty(len(values), dtype=bool)
    new[0] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    return values[new]


def run_starts(*keys: npt.NDArray[Any]) -> IntArray:
    """Indices where any of the (sorted) key columns changes value; 0 first.

    Cost: O(n) per key.
    """
    if not keys or len(keys[0]) == 0:
        return np.empty(0, dtype=np.intp)
    change = np.zeros(len(keys[0]) - 1, dtype=bool)
    for k in keys:
        change |= k[1:] != k[:-1]
    return np.concatenate([[0], np.flatnonzero(change) + 1]).astype(np.intp)


def dilate(
    lo: npt.NDArray[Any], hi: npt.NDArray[Any], window: float
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.bool_]]:
    """``(lo - window, hi + window)`` and a mask of rows that stay valid.

    A negative window erodes; rows it would invert (``lo > hi``) are masked
    out, rows eroded to zero length are kept. Cost: O(n).
    """
    new_lo = lo - window
    new_hi = hi + window
    return new_lo, new_hi, new_lo <= new_hi


def size_mask(
    lo: npt.NDArray[Any], hi: npt.NDArray[Any], min_size: float = 0, max_size: float | None = None
) -> npt.NDArray[np.bool_]:
    """Rows with ``min_size <= hi - lo`` and (unless ``max_size`` is None) ``<= max_size``.

    Cost: O(n).
    """
    size = hi - lo
    mask = size >= min_size
    if max_size is not None:
        mask &= size <= max_size
    return mask
