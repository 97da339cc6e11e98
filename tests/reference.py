"""Plain-Python oracle of the interval semantics (pairwise loops, no numpy).

Every function takes and returns lists of ``Interval3D`` and states the
documented semantics as directly as possible; property tests compare the
columnar implementation with these. Nothing here is fast on purpose.
"""

from __future__ import annotations

from typing import Any, Callable

from esper_rekall.intervals.interval import Interval3D


def key(i: Interval3D) -> tuple[Any, ...]:
    return (*i.t, *i.x, *i.y)


def ordered(intervals: list[Interval3D]) -> list[Interval3D]:
    """Sorted by (t1, t2, x1, x2, y1, y2); ties keep list order (stable sort)."""
    return sorted(intervals, key=key)


def as_tuples(intervals: list[Interval3D]) -> list[tuple[Any, ...]]:
    """Comparable form: bounds as floats, payload as is."""
    return [(*(float(v) for v in key(i)), i.payload) for i in intervals]


def in_window(a: Interval3D, b: Interval3D, window: Any) -> bool:
    """The reference's candidate rule for an explicit time window."""
    if window is None:
        return True
    return b.t[1] >= a.t[0] - window and b.t[0] - window <= a.t[1]


def pairs(left: list[Interval3D], right: list[Interval3D], pred: Callable[..., bool], window: Any) -> list[tuple[Interval3D, Interval3D]]:
    """Every pair in (left position, right position) order that passes."""
    return [(a, b) for a in left for b in right if in_window(a, b, window) and pred(a, b)]


def join(left, right, pred, merge_op, window=None):
    out = []
    for a, b in pairs(left, right, pred, window):
        out.extend(merge_op(a, b))
    return ordered(out)


def merge(left, right, pred, payload_op, window=None):
    return ordered([a.merge(b, payload_op) for a, b in pairs(left, right, pred, window)])


def filter_against(left, right, pred, window=None):
    return [a for a in left if any(in_window(a, b, window) and pred(a, b) for b in right)]


def collect_by_interval(left, right, pred, filter_empty=True, window=None):
    """(bounds of left, payload, list of matching right intervals)."""
    out = []
    for a in left:
        nested = [b for b in right if in_window(a, b, window) and pred(a, b)]
        if nested or not filter_empty:
            out.append((a, nested))
    return out


def _time_overlaps(a, b):
    s1, e1 = a.t
    s2, e2 = b.t
    return (s1 < s2 < e1) or (s1 < e2 < e1) or (s1 <= s2 and e2 <= e1) or (s2 <= s1 and e1 <= e2)


def temporal_coalesce(intervals, payload_op, epsilon=0):
    """Fold in order; merge into the running interval when the reference's
    ``overlaps() or before(max_dist=epsilon)`` holds."""
    out: list[Interval3D] = []
    for i in ordered(intervals):
        if out:
            cur = out[-1]
            gap = i.t[0] - cur.t[1]
            if _time_overlaps(cur, i) or 0 <= gap <= epsilon:
                out[-1] = cur.merge(i, payload_op)
                continue
        out.append(i)
    return ordered(out)


def minus(left, right):
    """Temporal difference; see IntervalSet3D.minus for the stated rules."""
    ranges = [b.t for b in right if b.t[1] > b.t[0]]
    out = []
    for a in left:
        t1, t2 = a.t
        if t1 == t2:
            if not any(v1 <= t1 <= v2 for v1, v2 in ranges):
                out.append(a)
            continue
        points = sorted({t1, t2} | {v for r in ranges for v in r if t1 < v < t2})
        free = [
            (p, q)
            for p, q in zip(points, points[1:])
            if not any(v1 <= p and q <= v2 for v1, v2 in ranges)
        ]
        pieces: list[list[Any]] = []
        for p, q in free:
            if pieces and pieces[-1][1] == p:
                pieces[-1][1] = q
            else:
                pieces.append([p, q])
        out.extend(Interval3D((p, q), a.x, a.y, a.payload) for p, q in pieces)
    return ordered(out)


def dilate(intervals, window, axis="T"):
    out = []
    for i in intervals:
        b = {"T": i.t, "X": i.x, "Y": i.y}[axis]
        lo, hi = b[0] - window, b[1] + window
        if lo > hi:
            continue
        t, x, y = i.t, i.x, i.y
        if axis == "T":
            t = (lo, hi)
        elif axis == "X":
            x = (lo, hi)
        else:
            y = (lo, hi)
        out.append(Interval3D(t, x, y, i.payload))
    return ordered(out)


def filter_size(intervals, min_size=0, max_size=None, axis="T"):
    def size(i):
        b = {"T": i.t, "X": i.x, "Y": i.y}[axis]
        return b[1] - b[0]

    return [i for i in intervals if size(i) >= min_size and (max_size is None or size(i) <= max_size)]


def group_by_time(intervals):
    """[(t, [members in order])] in time order."""
    groups: dict[Any, list[Interval3D]] = {}
    for i in ordered(intervals):
        groups.setdefault(i.t, []).append(i)
    return sorted(groups.items(), key=lambda kv: kv[0])


def match(intervals, pattern, exact=False):
    """Brute force over all injective assignments; solutions as {name: index}."""
    from itertools import permutations

    names: list[str] = []
    for ns, _ in pattern:
        for n in ns:
            if n not in names:
                names.append(n)
    if not names or (exact and len(intervals) != len(names)):
        return []
    sols = []
    for combo in permutations(range(len(intervals)), len(names)):
        env = dict(zip(names, combo))
        if all(all(p(*[intervals[env[n]] for n in ns]) for p in preds) for ns, preds in pattern):
            sols.append(env)
    return sols


def band_pairs(l1: Any, l2: Any, r1: Any, r2: Any, before: Any, after: Any, ld: Any, rd: Any, strict: bool) -> list[tuple[int, int]]:
    """Every ``(i, j)`` whose right interval reaches into ``[l1[i] - before, l2[i] + after]``
    (open with ``strict``), within one domain when ``ld``/``rd`` are given:
    what ``kernels.candidate_pairs`` must return, in that order."""
    lower = (lambda r, lo: r > lo) if strict else (lambda r, lo: r >= lo)
    upper = (lambda r, hi: r < hi) if strict else (lambda r, hi: r <= hi)
    return [
        (i, j)
        for i in range(len(l1))
        for j in range(len(r1))
        if (ld is None or ld[i] == rd[j]) and lower(r2[j], l1[i] - before) and upper(r1[j], l2[i] + after)
    ]
