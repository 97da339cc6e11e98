"""Benchmark the in-memory interval algebra against the seed's library, rekallpy 0.3.2 and numpy.

Usage::

    .venv/bin/pip install -r bench/requirements.txt
    # main baseline: the seed's own library, Rekall's 3D API at 74ea145 (see seed_algebra.py)
    .venv/bin/python bench/algebra.py --reference-git /path/to/rekall.git [--faces 1200000 --videos 1000] [--domains 84000]
    # --cpu: CPU seconds (time.process_time) of the measuring process, not wall-clock (shared machines)
    .venv/bin/python bench/algebra.py --cpu --reference-git /path/to/rekall.git
    # without --reference-git: rekallpy 0.3.2 and plain numpy
    .venv/bin/python bench/algebra.py                          # 10k, 100k, 1M intervals, 3 runs
    .venv/bin/python bench/algebra.py --sizes 10000 --repeat 1

The rest of this docstring describes the second mode.

Workload (synthetic, face-like): 1,000 videos (domains); a step every 90
frames, each step holding 0-4 faces of 90 frames with random bounding boxes,
payload = face id; the number of steps per video varies (0.5x-1.5x the mean)
so the total is ~10k / 100k / 1M faces. A "commercials" collection holds 2-4
full-frame blocks of 900-3,000 frames per video.

Operations, on ``DomainIntervalCollection`` (ours) and, in the same run, on
rekallpy 0.3.2's ``IntervalSetMapping`` of ``Bounds3D`` intervals:

=================  ==========================================  ===================================
op                 ours                                        rekallpy 0.3.2
=================  ==========================================  ===================================
coalesce           faces.temporal_coalesce()                   coalesce(('t1','t2'), Bounds3D.span)
merge (overlap)    faces.merge(faces, T(overlaps()))           join(..., span merge, window=0)
join (Python op)   faces.join(faces, T(overlaps()), span op)   same as above (smallest size only)
filter_against     faces.filter_against(comm, T(before(0,300)))  filter_against(..., window=0)
minus              faces.minus(comm)                           minus(comm, window=0)
group_by_time      faces.group_by_time()                       group_by_axis(('t1','t2'), full frame)
collect            comm.collect_by_interval(faces, T(overlaps()))  collect_by_interval(..., window=0)
=================  ==========================================  ===================================

rekallpy gets ``window=0``, which is exact for these predicates and the
smallest candidate set its API allows. Its *default* window (the span of
the set, or 1% of it past 1,000 intervals) is inexact: it drops pairs
further apart than the window. (Its window scan also never stops early in
0.3.2, so its joins stay quadratic per video whatever the window.) A
rekallpy op is run in a forked child; one that takes longer than
``--limit`` seconds (default 60) is killed, printed as "skipped (too
slow)", and not tried at larger sizes. A rekallpy op slower than 10 s is
run once instead of ``--repeat`` times.

Plain numpy baselines (written here, vectorised, no Python loop per
interval) for coalesce (sort by a (domain, t1) key + running max of t2 +
``reduceat`` of all six bounds) and the overlap merge (sort + two
``searchsorted`` + the six merged bounds, then a ``lexsort`` into the order
ours returns: (domain, t1, t2, x1, x2, y1, y2), ties by left then right
row, the three integer keys packed in one int64). Their output counts must
equal ours; the merge's rows (domain, bounds, payload) must be identical
("numpy ok (same rows)"). The merge baseline without the final sort (pairs
in pair order, not ours') is kept on its own row, "numpy pairs, unsorted
(old)", its ratio taken against our merge. Times are medians of ``--repeat`` runs; building the inputs is not
part of an op and is reported separately ("construct"). Ratios are
baseline seconds / our seconds (> 1: we are faster).

Finally the per-domain overhead of ``temporal_coalesce``: the same number of
intervals in 1,000 and in 100,000 domains (DESIGN "Collections are
columnar too").
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from esper_rekall.intervals.collection import DomainIntervalCollection  # noqa: E402
from esper_rekall.intervals.predicates import T, before, overlaps  # noqa: E402

#: The timer of every measurement here: ``time.perf_counter``, or ``time.process_time`` with ``--cpu``.
clock: Callable[[], float] = time.perf_counter
STEP = 90
N_VIDEOS = 1000
BEFORE_MAX_DIST = 300
SLOW_SINGLE_RUN = 10.0


# -- workload ----------------------------------------------------------------


def make_faces(n_target: int, n_videos: int, seed: int) -> dict[str, np.ndarray]:
    """Face-like rows sorted by (video, t1): ~n_target rows over n_videos videos."""
    rng = np.random.default_rng(seed)
    mean_steps = max(n_target / (n_videos * 2.0), 1.0)  # 0-4 faces a step: 2 on average
    lo, hi = max(1, round(0.5 * mean_steps)), max(1, round(1.5 * mean_steps))
    steps = rng.integers(lo, hi + 1, size=n_videos)
    step_video = np.repeat(np.arange(n_videos), steps)
    step_index = np.arange(len(step_video)) - np.repeat(np.cumsum(steps) - steps, steps)
    per_step = rng.integers(0, 5, size=len(step_video))
    video = np.repeat(step_video, per_step)
    t1 = np.repeat(step_index * STEP, per_step).astype(np.int64)
    n = len(video)
    x1 = rng.uniform(0, 0.8, n)
    y1 = rng.uniform(0, 0.8, n)
    return {
        "video": video.astype(np.int64),
        "t1": t1,
        "t2": t1 + STEP,
        "x1": x1,
        "x2": x1 + rng.uniform(0.05, 0.2, n),
        "y1": y1,
        "y2": y1 + rng.uniform(0.05, 0.2, n),
        "id": np.arange(n, dtype=np.int64),
        "length": steps * STEP,
    }


def make_commercials(faces: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """2-4 full-frame blocks of 900-3,000 frames per video, anywhere in it."""
    rng = np.random.default_rng(seed + 1)
    length = faces["length"]
    k = rng.integers(2, 5, size=len(length))
    video = np.repeat(np.arange(len(length)), k)
    t1 = (rng.uniform(0, 1, len(video)) * np.repeat(length, k)).astype(np.int64)
    t2 = t1 + rng.integers(900, 3001, len(video))
    order = np.lexsort((t2, t1, video))
    n = len(video)
    return {
        "video": video[order].astype(np.int64),
        "t1": t1[order],
        "t2": t2[order],
        "x1": np.zeros(n),
        "x2": np.ones(n),
        "y1": np.zeros(n),
        "y2": np.ones(n),
        "id": np.arange(n, dtype=np.int64),
    }


def rows_of(d: dict[str, np.ndarray]) -> list[tuple[Any, ...]]:
    """Plain Python rows (what a user has after a database query)."""
    cols = [d[k].tolist() for k in ("video", "t1", "t2", "x1", "x2", "y1", "y2", "id")]
    return list(zip(*cols))


def build_ours(rows: list[tuple[Any, ...]]) -> DomainIntervalCollection:
    return DomainIntervalCollection.from_iterable(
        rows,
        v_accessor=lambda r: r[0],
        t_accessor=lambda r: ((r[1], r[2]), (r[3], r[4]), (r[5], r[6])),
        p_accessor=lambda r: r[7],
    )


def build_rekall(rows: list[tuple[Any, ...]]) -> Any:
    from rekall import Bounds3D, IntervalSetMapping

    return IntervalSetMapping.from_iterable(
        rows,
        key_parser=lambda r: r[0],
        bounds_parser=lambda r: Bounds3D(r[1], r[2], r[3], r[4], r[5], r[6]),
        payload_parser=lambda r: r[7],
    )


# -- plain numpy baselines -----------------------------------------------------


def _domain_offset(d: dict[str, np.ndarray], slack: int = 0) -> np.int64:
    """A per-domain key offset larger than any time value (+ slack)."""
    return np.int64(int(d["t2"].max()) - min(int(d["t1"].min()), 0) + slack + 1)


def numpy_coalesce(d: dict[str, np.ndarray], epsilon: int = 0) -> int:
    """Per-domain coalesce: sort by (domain, t1), running max of t2, reduceat."""
    off = _domain_offset(d, epsilon)
    base = d["video"] * off
    order = np.argsort(base + d["t1"], kind="stable")
    k1 = (base + d["t1"])[order]
    k2 = (base + d["t2"])[order]
    run_max = np.maximum.accumulate(k2)  # domain offsets keep domains apart
    starts = np.concatenate([[0], np.flatnonzero(k1[1:] - run_max[:-1] > epsilon) + 1])
    out = (
        d["t1"][order][starts],
        np.maximum.reduceat(d["t2"][order], starts),
        np.minimum.reduceat(d["x1"][order], starts),
        np.maximum.reduceat(d["x2"][order], starts),
        np.minimum.reduceat(d["y1"][order], starts),
        np.maximum.reduceat(d["y2"][order], starts),
        d["video"][order][starts],
    )
    return len(out[0])


def _overlap_pairs(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j) in the same domain with a.t1 < b.t2 and b.t1 < a.t2, by (i, j).

    Exact for positive-length intervals (all of the workload's): sort b by a
    (domain, t1) key, then b rows with ``a.t1 - max_len < b.t1 < a.t2`` are
    two ``searchsorted`` away; keep those with ``b.t2 > a.t1``.
    """
    max_len = int((b["t2"] - b["t1"]).max())
    off = max(_domain_offset(a, max_len), _domain_offset(b, max_len))
    order = np.argsort(b["video"] * off + b["t1"], kind="stable")
    bk1 = (b["video"] * off + b["t1"])[order]
    bk2 = (b["video"] * off + b["t2"])[order]
    ak1 = a["video"] * off + a["t1"]
    ak2 = a["video"] * off + a["t2"]
    lo = np.searchsorted(bk1, ak1 - max_len, side="right")
    hi = np.searchsorted(bk1, ak2, side="left")
    counts = np.maximum(hi - lo, 0)
    li = np.repeat(np.arange(len(ak1)), counts)
    pos = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts - lo, counts)
    keep = bk2[pos] > ak1[li]
    return li[keep], order[pos[keep]]


def _merged(a: dict[str, np.ndarray], b: dict[str, np.ndarray], li: np.ndarray, rj: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "video": a["video"][li],
        "t1": np.minimum(a["t1"][li], b["t1"][rj]),
        "t2": np.maximum(a["t2"][li], b["t2"][rj]),
        "x1": np.minimum(a["x1"][li], b["x1"][rj]),
        "x2": np.maximum(a["x2"][li], b["x2"][rj]),
        "y1": np.minimum(a["y1"][li], b["y1"][rj]),
        "y2": np.maximum(a["y2"][li], b["y2"][rj]),
        "id": a["id"][li],
    }


def numpy_overlap_merge_unsorted(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> int:
    """The overlap pairs' merged bounds, in pair order (NOT the order ours returns)."""
    li, rj = _overlap_pairs(a, b)
    return len(_merged(a, b, li, rj)["t1"])


def numpy_overlap_merge(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same output as ours: merged bounds sorted by (domain, t1, t2, x1, x2, y1, y2).

    ``a`` and ``b`` must be sorted by all seven keys (as a collection is);
    ties keep pair order (left, then right row) by the stable ``lexsort``,
    and the payload is the left row's id (``payload_first``). The three
    integer keys are packed into one int64.
    """
    li, rj = _overlap_pairs(a, b)
    m = _merged(a, b, li, rj)
    off = _domain_offset(m)
    key = (m["video"] * off + m["t1"]) * off + m["t2"]
    order = np.lexsort((m["y2"], m["y1"], m["x2"], m["x1"], key))
    return {k: v[order] for k, v in m.items()}


def sorted_rows(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``d`` sorted by (video, t1, t2, x1, x2, y1, y2): a collection's row order."""
    order = np.lexsort(tuple(d[k] for k in ("y2", "y1", "x2", "x1", "t2", "t1", "video")))
    return {k: v[order] for k, v in d.items() if len(v) == len(order)}


def same_rows(coll: DomainIntervalCollection, d: dict[str, np.ndarray]) -> bool:
    """Whether a collection of integer video keys holds exactly the rows ``d``, in order."""
    cols = coll.columns
    keys = np.asarray(coll.domain_keys)[coll.domain_codes] if len(cols) else np.empty(0)
    got = {"video": keys, **dict(zip(("t1", "t2", "x1", "x2", "y1", "y2"), cols.bounds())), "id": np.asarray(list(cols.payload))}
    return len(cols) == len(d["t1"]) and all(np.array_equal(got[k], d[k]) for k in got)


# -- timing ---------------------------------------------------------------------


def n_intervals(result: Any) -> int:
    """Total intervals of a collection / mapping / count."""
    if isinstance(result, (int, np.integer)):
        return int(result)
    if isinstance(result, dict) and "t1" in result:
        return len(result["t1"])
    if isinstance(result, DomainIntervalCollection):
        return len(result.columns)
    return sum(len(s) for s in result.values())


def time_in_process(fn: Callable[[], Any], repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` calls, and the output size."""
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        start = clock()
        out = fn()
        times.append(clock() - start)
    return statistics.median(times), n_intervals(out)


def _child(conn: Any, fn: Callable[[], Any], repeat: int) -> None:
    for _ in range(repeat):
        gc.collect()
        start = clock()
        try:
            out = fn()
        except Exception as exc:  # reported, not hidden as "too slow"
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return
        elapsed = clock() - start
        conn.send((elapsed, n_intervals(out)))
        if elapsed > SLOW_SINGLE_RUN:
            break
    conn.send(None)


def time_forked(fn: Callable[[], Any], repeat: int, limit: float) -> tuple[float, int, int] | None:
    """Like ``time_in_process`` in a forked child killed after ``limit`` s per run.

    Returns ``(median, output size, runs)``, or None if a run hit the limit.
    """
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, repeat))
    proc.start()
    child.close()
    times, size = [], 0
    try:
        while True:
            if not parent.poll(limit):
                return None
            msg = parent.recv()
            if msg is None:
                break
            if msg[0] == "error":
                raise RuntimeError(f"rekallpy failed: {msg[1]}")
            times.append(msg[0])
            size = msg[1]
    except EOFError:
        return None if not times else (statistics.median(times), size, len(times))
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
    return statistics.median(times), size, len(times)


# -- the benchmark ---------------------------------------------------------------


def rekall_ops(faces: Any, comm: Any) -> dict[str, Callable[[], Any]]:
    from rekall import Bounds3D, Interval
    from rekall.predicates import before as r_before
    from rekall.predicates import overlaps as r_overlaps

    def span(i1: Any, i2: Any) -> Any:  # rekallpy's join wants one Interval back
        return Interval(i1["bounds"].span(i2["bounds"]), i1["payload"])

    join = lambda: faces.join(faces, Bounds3D.T(r_overlaps()), span, window=0)  # noqa: E731
    return {
        "coalesce": lambda: faces.coalesce(("t1", "t2"), Bounds3D.span),
        "merge overlaps": join,
        "join overlaps (py op)": join,
        "filter_against before": lambda: faces.filter_against(
            comm, Bounds3D.T(r_before(max_dist=BEFORE_MAX_DIST)), window=0
        ),
        "minus commercials": lambda: faces.minus(comm, window=0),
        "group_by_time": lambda: faces.group_by_axis(("t1", "t2"), Bounds3D(0, 1)),
        "collect_by_interval": lambda: comm.collect_by_interval(
            faces, Bounds3D.T(r_overlaps()), window=0
        ),
    }


def our_ops(faces: DomainIntervalCollection, comm: DomainIntervalCollection) -> dict[str, Callable[[], Any]]:
    return {
        "coalesce": lambda: faces.temporal_coalesce(),
        "merge overlaps": lambda: faces.merge(faces, T(overlaps())),
        "join overlaps (py op)": lambda: faces.join(faces, T(overlaps()), lambda a, b: [a.merge(b)]),
        "filter_against before": lambda: faces.filter_against(comm, T(before(max_dist=BEFORE_MAX_DIST))),
        "minus commercials": lambda: faces.minus(comm),
        "group_by_time": lambda: faces.group_by_time(),
        "collect_by_interval": lambda: comm.collect_by_interval(faces, T(overlaps())),
    }


def fmt_s(t: float | None) -> str:
    return "-" if t is None else f"{t:.4f}" if t < 10 else f"{t:.1f}"


def fmt_ratio(base: float | None, ours: float | None) -> str:
    if base is None or ours is None or ours == 0:
        return "-"
    r = base / ours
    return f"{r:.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 1 else f"{r:.2f}x"


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    sys.stdout.flush()


def run_size(n_target: int, args: argparse.Namespace, too_slow: set[str], first: bool) -> list[list[str]]:
    faces_np = make_faces(n_target, N_VIDEOS, args.seed)
    comm_np = make_commercials(faces_np, args.seed)
    face_rows, comm_rows = rows_of(faces_np), rows_of(comm_np)
    n = len(face_rows)
    print(f"\n== {n:,} faces in {N_VIDEOS:,} videos, {len(comm_rows):,} commercial blocks ==")

    start = clock()
    faces, comm = build_ours(face_rows), build_ours(comm_rows)
    t_build_ours = clock() - start
    ops = our_ops(faces, comm)

    want_rekall = not args.no_rekall and any(op not in too_slow for op in ops)
    t_build_rekall = None
    if want_rekall:
        start = clock()
        r_faces, r_comm = build_rekall(face_rows), build_rekall(comm_rows)
        t_build_rekall = clock() - start
        r_ops = rekall_ops(r_faces, r_comm)

    table: list[list[str]] = [
        [f"{n:,}", "construct (from_iterable)", fmt_s(t_build_ours), fmt_s(t_build_rekall),
         fmt_ratio(t_build_rekall, t_build_ours), "-", "-", f"{n + len(comm_rows):,}", ""]
    ]
    faces_sorted = sorted_rows(faces_np)
    numpy_ops = {
        "coalesce": lambda: numpy_coalesce(faces_np),
        "merge overlaps": lambda: numpy_overlap_merge(faces_sorted, faces_sorted),
    }
    for name, fn in ops.items():
        if name == "join overlaps (py op)" and not first:
            continue
        ours_t, ours_n = time_in_process(fn, args.repeat)
        check = []
        np_t = None
        if name in numpy_ops:
            np_t, np_n = time_in_process(numpy_ops[name], args.repeat)
            check.append("numpy ok" if np_n == ours_n else f"NUMPY MISMATCH {np_n:,}")
        r_t: float | str | None = None
        if want_rekall and name not in too_slow:
            res = time_forked(r_ops[name], args.repeat, args.limit)
            if res is None:
                too_slow.add(name)
                r_t = "skipped (too slow)"
            else:
                r_t, r_n, runs = res
                check.append(("rekall ok" if r_n == ours_n else f"REKALL {r_n:,}") + ("" if runs == args.repeat else f" ({runs} run)"))
        elif name in too_slow:
            r_t = "skipped (too slow)"
        r_num = r_t if isinstance(r_t, float) else None
        table.append([
            f"{n:,}", name, fmt_s(ours_t),
            r_t if isinstance(r_t, str) else fmt_s(r_num), fmt_ratio(r_num, ours_t),
            fmt_s(np_t), fmt_ratio(np_t, ours_t), f"{ours_n:,}", ", ".join(check),
        ])
        print_table(HEADER, table[-1:]) if args.verbose else None
        if name == "merge overlaps":
            same = same_rows(fn(), numpy_overlap_merge(faces_sorted, faces_sorted))
            table[-1][-1] = table[-1][-1].replace("numpy ok", "numpy ok (same rows)" if same else "NUMPY ROWS DIFFER")
            un_t, un_n = time_in_process(lambda: numpy_overlap_merge_unsorted(faces_np, faces_np), args.repeat)
            table.append([
                f"{n:,}", "  numpy pairs, unsorted (old)", "-", "-", "-", fmt_s(un_t), fmt_ratio(un_t, ours_t),
                f"{un_n:,}", "not ours' order: ratio vs merge above",
            ])
            print_table(HEADER, table[-1:]) if args.verbose else None
    return table


HEADER = ["n", "op", "ours s", "rekall s", "rekall/ours", "numpy s", "numpy/ours", "out", "check"]


def domain_overhead(n_target: int, args: argparse.Namespace) -> None:
    """temporal_coalesce on ~n_target intervals in 1,000 vs 100,000 domains."""
    rows = []
    res = {}
    for n_dom in (1_000, 100_000):
        d = make_faces(n_target, n_dom, args.seed)
        coll = build_ours(rows_of(d))
        ours_t, ours_n = time_in_process(lambda: coll.temporal_coalesce(), args.repeat)
        np_t, np_n = time_in_process(lambda: numpy_coalesce(d), args.repeat)
        assert ours_n == np_n, (ours_n, np_n)
        res[n_dom] = (ours_t, np_t)
        rows.append([f"{n_dom:,}", f"{len(d['t1']):,}", fmt_s(ours_t), fmt_s(np_t), fmt_ratio(np_t, ours_t), f"{ours_n:,}"])
        del coll
    print(f"\n== per-domain overhead of temporal_coalesce (~{n_target:,} intervals) ==")
    print_table(["domains", "intervals", "ours s", "numpy s", "numpy/ours", "out"], rows)
    (o1, n1), (o2, n2) = res[1_000], res[100_000]
    print(
        f"ours: {o2 / o1:.1f}x the 1,000-domain time at 100,000 domains; "
        f"{(o2 - o1) / 99_000 * 1e6:.2f} us per extra domain "
        f"(numpy sweep: {(n2 - n1) / 99_000 * 1e6:.2f} us)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="target interval counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before a rekallpy op is skipped")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-rekall", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print each row as it is measured")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with time.process_time() (CPU seconds of the measuring process) instead of the wall clock, "
        "so other load on the machine does not count. The baselines run in child processes (rekallpy's ops; "
        "with --reference-git the seed's library, and ours, each in its own) and are timed there the same way",
    )
    import seed_algebra  # here: it imports this module's workload functions

    seed_algebra.add_arguments(parser)
    args = parser.parse_args()
    global clock
    clock = time.process_time if args.cpu else time.perf_counter
    if args.reference_git:
        return seed_algebra.run(args)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    if not args.no_rekall:
        try:
            import rekall  # noqa: F401
        except ImportError:
            print("rekallpy is not installed: pip install -r bench/requirements.txt (or pass --no-rekall)")
            return 2

    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, repeat={args.repeat} (median)")
    too_slow: set[str] = set()
    table: list[list[str]] = []
    for k, size in enumerate(sorted(sizes)):
        table += run_size(size, args, too_slow, first=k == 0)
        gc.collect()
    print("\n== results (seconds; ratio = baseline / ours, > 1 means ours is faster) ==")
    print_table(HEADER, table)
    domain_overhead(1_000_000, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
