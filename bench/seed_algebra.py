"""The 3D API against the seed's own library, Rekall at 74ea145 (``bench/algebra.py --reference-git``).

Usage (through ``bench/algebra.py``, which parses the options)::

    git clone --bare https://github.com/scanner-research/rekall /tmp/rekall.git
    .venv/bin/python bench/algebra.py --reference-git /tmp/rekall.git [--faces 1200000 --videos 1000] [--domains K] [--cpu]
    # only some operations, for quick iteration (names as the table prints them)
    .venv/bin/python bench/algebra.py --cpu --reference-git /tmp/rekall.git --ops "minus commercials,group_by_time"

The same 3D-API code (``Interval3D`` objects -> ``IntervalSet3D`` per domain
-> ``DomainIntervalCollection``, then the operations below) runs once
through the seed's ``rekall`` package, extracted with ``git archive`` from
``--reference-git`` at ``--reference-commit`` into a temporary folder and
imported from there, and once through ``esper_rekall.rekall``, in one
process, on the face-like workload of ``bench/algebra.py`` (``--faces``
target faces over ``--videos`` videos, commercial blocks). Binary
operations get ``time_window=10**9`` so both libraries are exact.
``--domains K`` cuts each video into K / videos time slices of its own
length, a domain per (video, slice), for the many-small-domains case. Times are medians of ``--repeat``
runs; the speed-up is seed seconds / ours; "counts agree" compares the
number of result intervals. The object path is timed as in user code:
"build" (``Interval3D`` objects, an ``IntervalSet3D`` per domain, the
collection) and "iterate get_intervals()" (every domain's objects, on the
collection just built: the first iteration, not a cached one).

Each library runs in its own forked child process (same rows, same
order), so neither inherits the other's heap. Times are wall-clock
seconds, or with ``--cpu`` the CPU seconds (``time.process_time()``) of
that child, measured inside it: on a shared, loaded machine the wall
clock counts other processes' work, the CPU time does not.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from algebra import make_commercials, make_faces, print_table, rows_of  # noqa: E402

WINDOW = 10**9
UNITS = {False: "wall-clock seconds", True: "CPU seconds (time.process_time) of each side's child process"}


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, for the record."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def import_seed(git_dir: str, commit: str, into: str) -> types.SimpleNamespace:
    """The seed's 3D API, extracted from ``git_dir`` at ``commit`` (``constraint`` stubbed: only ``match`` uses it)."""
    archive = subprocess.run(["git", "-C", git_dir, "archive", commit, "rekallpy/rekall"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)
    sys.path.insert(0, str(Path(into) / "rekallpy"))
    sys.modules.setdefault("constraint", types.ModuleType("constraint"))
    return api("rekall")


def api(package: str) -> types.SimpleNamespace:
    """The names the workload uses, from ``package`` (``rekall`` or ``esper_rekall.rekall``)."""
    import importlib

    mod = lambda name: importlib.import_module(f"{package}.{name}")  # noqa: E731
    utils = mod("interval_set_3d_utils")
    return types.SimpleNamespace(
        Interval3D=mod("interval_set_3d").Interval3D,
        IntervalSet3D=mod("interval_set_3d").IntervalSet3D,
        Collection=mod("domain_interval_collection").DomainIntervalCollection,
        T=utils.T, XY=utils.XY, and_preds=utils.and_preds,
        overlaps=mod("temporal_predicates").overlaps,
        before=mod("temporal_predicates").before,
        left_of=mod("bbox_predicates").left_of,
        height_at_least=mod("bbox_predicates").height_at_least,
    )


def build(ns: types.SimpleNamespace, rows: list[tuple[Any, ...]], domain: Callable[[tuple[Any, ...]], Any]) -> Any:
    """Interval3D objects grouped into one IntervalSet3D per domain, then the collection."""
    per_domain: dict[Any, list[Any]] = {}
    for r in rows:
        per_domain.setdefault(domain(r), []).append(ns.Interval3D((r[1], r[2]), (r[3], r[4]), (r[5], r[6]), r[7]))
    return ns.Collection({k: ns.IntervalSet3D(v) for k, v in per_domain.items()})


def operations(ns: types.SimpleNamespace, faces: Any, comm: Any) -> dict[str, Callable[[], Any]]:
    """The issue's table: each a zero-argument call returning a collection."""
    T, XY = ns.T, ns.XY
    return {
        "temporal_coalesce": lambda: faces.temporal_coalesce(),
        "merge(T(overlaps()))": lambda: faces.merge(comm, T(ns.overlaps()), time_window=WINDOW),
        "filter_against(T(overlaps()))": lambda: faces.filter_against(comm, T(ns.overlaps()), time_window=WINDOW),
        "filter_against(T(before(max_dist=90)))": lambda: faces.filter_against(comm, T(ns.before(max_dist=90)), time_window=WINDOW),
        "self-merge overlaps & left_of": lambda: faces.merge(faces, ns.and_preds(T(ns.overlaps()), XY(ns.left_of())), time_window=0),
        "minus commercials": lambda: faces.minus(comm),
        "group_by_time": lambda: faces.group_by_time(),
        "collect_by_interval": lambda: comm.collect_by_interval(faces, T(ns.overlaps()), filter_empty=True, time_window=WINDOW),
        "filter(XY(height_at_least(0.1)))": lambda: faces.filter(XY(ns.height_at_least(0.1))),
    }


def count(coll: Any) -> int:
    """Number of intervals of a collection (through the public API, the same for both libraries)."""
    return sum(s.size() for s in coll.get_grouped_intervals().values())


def iterate(coll: Any) -> int:
    """Touch every interval of every domain through ``get_intervals()`` (as ``convert_to_1d`` does)."""
    n = 0
    for s in coll.get_grouped_intervals().values():
        for i in s.get_intervals():
            n += i.t[1] >= i.t[0]
    return n


Clock = Callable[[], float]


def build_and_iterate(
    ns: types.SimpleNamespace, rows: list[tuple[Any, ...]], domain: Callable[[tuple[Any, ...]], Any], repeat: int, clock: Clock
) -> tuple[float, float, Any]:
    """Median seconds of building the collection and of then iterating it once, and the last collection."""
    build_s, iter_s, coll = [], [], None
    for _ in range(repeat):
        coll = None
        gc.collect()
        start = clock()
        coll = build(ns, rows, domain)
        build_s.append(clock() - start)
        start = clock()
        iterate(coll)
        iter_s.append(clock() - start)
    return statistics.median(build_s), statistics.median(iter_s), coll


def median_seconds(fn: Callable[[], Any], repeat: int, clock: Clock) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls of ``fn``, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = clock()
        result = fn()
        times.append(clock() - start)
    return statistics.median(times), result


def measure_side(
    load: Callable[[], types.SimpleNamespace],
    face_rows: list[tuple[Any, ...]],
    comm_rows: list[tuple[Any, ...]],
    domain: Callable[[tuple[Any, ...]], Any],
    repeat: int,
    clock: Clock,
    only: frozenset[str] | None = None,
) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds and result counts of build, iterate and every operation (or those named in ``only``)
    through the library ``load()`` returns."""
    ns = load()
    times: dict[str, float] = {}
    counts: dict[str, int] = {}
    build_s, iter_s, faces = build_and_iterate(ns, face_rows, domain, repeat, clock)
    comm = build(ns, comm_rows, domain)
    times["build"], counts["build"] = build_s, count(faces)
    times["iterate get_intervals()"], counts["iterate get_intervals()"] = iter_s, iterate(faces)
    for name, fn in operations(ns, faces, comm).items():
        if only is not None and name not in only:
            continue
        seconds, result = median_seconds(fn, repeat, clock)
        times[name], counts[name] = seconds, count(result)
    return times, counts


def in_child(fn: Callable[[], Any]) -> Any:
    """``fn()`` run in a forked child process; its result (or its error) comes back through a pipe."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def target() -> None:
        try:
            child.send(("ok", fn()))
        except BaseException as exc:  # reported in the parent, with its type
            child.send(("error", f"{type(exc).__name__}: {exc}"))

    proc = ctx.Process(target=target)
    proc.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = "error", "the child process died"
    proc.join()
    if status == "error":
        raise RuntimeError(value)
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the seed comparison (``--reference-git`` selects it in ``algebra.py``)."""
    parser.add_argument("--reference-git", help="git dir of scanner-research/rekall: compare with its 3D API")
    parser.add_argument("--reference-commit", default="74ea145")
    parser.add_argument("--faces", type=int, default=1_200_000, help="with --reference-git: target number of faces")
    parser.add_argument("--videos", type=int, default=1000, help="with --reference-git: number of videos")
    parser.add_argument("--domains", type=int, default=0, help="with --reference-git: ~K domains, each video cut into K / videos time slices (0: one per video)")
    parser.add_argument("--ops", default="", help="with --reference-git: only these operations (names as printed, comma-separated; build and iterate always run)")


def run(args: argparse.Namespace) -> int:
    """Run every operation through both libraries and print the table."""
    face_cols = make_faces(args.faces, args.videos, args.seed)
    face_rows, comm_rows = rows_of(face_cols), rows_of(make_commercials(face_cols, args.seed))
    slices = max(1, args.domains // args.videos) if args.domains else 1
    # Each video is cut into ``slices`` time slices of its own length.
    spans = (np.maximum(face_cols["length"], 1) // slices + 1).tolist()
    domain = (lambda r: r[0]) if slices == 1 else (lambda r: (r[0], r[1] // spans[r[0]]))
    # Commercials are cut at the same slice edges, so every face keeps its blocks.
    comm_rows = [c for r in comm_rows for c in _cut(r, spans[r[0]], slices)]
    print(f"{len(face_rows):,} faces, {len(comm_rows):,} commercial pieces, {args.videos:,} videos, "
          f"{len({domain(r) for r in face_rows}):,} domains; medians of {args.repeat}; "
          f"{UNITS[args.cpu]}; load average {load_average()}", flush=True)
    clock = time.process_time if args.cpu else time.perf_counter
    only = _selected_ops(args.ops)

    with tempfile.TemporaryDirectory() as tmp:
        loaders = {
            "seed": lambda: import_seed(args.reference_git, args.reference_commit, tmp),
            "ours": lambda: api("esper_rekall.rekall"),
        }
        times: dict[str, dict[str, float]] = {}
        counts: dict[str, dict[str, int]] = {}
        for side, load in loaders.items():
            times[side], counts[side] = in_child(
                lambda load=load: measure_side(load, face_rows, comm_rows, domain, args.repeat, clock, only)
            )
            print(f"{side}: done", flush=True)
    print(f"load average at the end {load_average()}")
    rows = [[name, f"{times['seed'][name]:.3f}", f"{times['ours'][name]:.4f}",
             f"{times['seed'][name] / max(times['ours'][name], 1e-9):.1f}x",
             "yes" if counts["seed"][name] == counts["ours"][name] else f"NO ({counts['seed'][name]} vs {counts['ours'][name]})"]
            for name in times["seed"]]
    print_table(["operation", "seed s", "ours s", "speed-up", "counts agree"], rows)
    return 0


def _selected_ops(names: str) -> frozenset[str] | None:
    """The operation names of ``--ops`` (None: every operation); an unknown name is an error."""
    if not names:
        return None
    only = frozenset(n.strip() for n in names.split(",") if n.strip())
    known = set(operations(types.SimpleNamespace(T=None, XY=None), None, None))
    unknown = sorted(only - known)
    if unknown:
        raise SystemExit(f"--ops: unknown operation(s) {unknown}; known: {sorted(known)}")
    return only


def _cut(row: tuple[Any, ...], span: int, slices: int) -> list[tuple[Any, ...]]:
    """A commercial row cut at the domain slice edges (each piece keyed like the faces it covers)."""
    if slices == 1:
        return [row]
    pieces, t1 = [], row[1]
    while t1 <= row[2]:
        t2 = min(row[2], (t1 // span + 1) * span - 1)
        pieces.append((row[0], t1, t2, *row[3:]))
        t1 = t2 + 1
    return pieces

