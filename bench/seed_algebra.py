"""Benchmark the 3D API against the seed's own library, Rekall at 74ea145.

Usage::

    git clone https://github.com/scanner-research/rekall /tmp/rekall.git
    .venv/bin/python bench/seed_algebra.py --reference-git /tmp/rekall.git [--videos 1000] [--domains K]

The same 3D-API code (``Interval3D`` objects -> ``IntervalSet3D`` per domain
-> ``DomainIntervalCollection``, then the operations below) runs once
through the seed's ``rekall`` package, extracted with ``git archive`` from
``--reference-git`` at ``--reference-commit`` into a temporary folder and
imported from there, and once through ``esper_rekall.rekall``, in one
process, on the face-like workload of ``bench/algebra.py`` (``--faces``
target faces over ``--videos`` videos, commercial blocks). Binary
operations get ``time_window=10**9`` so both libraries are exact.
``--domains K`` cuts the same intervals into about K domains (video, time
slice) for the many-small-domains case. Times are medians of ``--repeat``
runs; the speed-up is seed seconds / ours; "counts agree" compares the
number of result intervals.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from algebra import make_commercials, make_faces, print_table, rows_of  # noqa: E402

WINDOW = 10**9


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
    return sum(s.size() for s in coll.get_grouped_intervals().values())


def median_seconds(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference-git", required=True, help="git dir of scanner-research/rekall")
    parser.add_argument("--reference-commit", default="74ea145")
    parser.add_argument("--faces", type=int, default=1_200_000)
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--domains", type=int, default=0, help="cut the intervals into ~K domains (0: one per video)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    face_cols = make_faces(args.faces, args.videos, args.seed)
    face_rows, comm_rows = rows_of(face_cols), rows_of(make_commercials(face_cols, args.seed))
    slices = max(1, args.domains // args.videos) if args.domains else 1
    span = max(int(face_cols["length"].max()), 1) // slices + 1
    domain = (lambda r: r[0]) if slices == 1 else (lambda r: (r[0], r[1] // span))
    # Commercials are cut at the same slice edges, so every face keeps its blocks.
    comm_rows = [c for r in comm_rows for c in _cut(r, span, slices)]
    print(f"{len(face_rows):,} faces, {len(comm_rows):,} commercial pieces, {args.videos:,} videos, "
          f"{len({domain(r) for r in face_rows}):,} domains; medians of {args.repeat}")

    with tempfile.TemporaryDirectory() as tmp:
        sides = {"seed": import_seed(args.reference_git, args.reference_commit, tmp), "ours": api("esper_rekall.rekall")}
        times: dict[str, dict[str, float]] = {"seed": {}, "ours": {}}
        counts: dict[str, dict[str, int]] = {"seed": {}, "ours": {}}
        for side, ns in sides.items():
            seconds, faces = median_seconds(lambda: build(ns, face_rows, domain), args.repeat)
            comm = build(ns, comm_rows, domain)
            times[side]["build"], counts[side]["build"] = seconds, count(faces)
            for name, fn in operations(ns, faces, comm).items():
                seconds, result = median_seconds(fn, args.repeat)
                times[side][name], counts[side][name] = seconds, count(result)
    rows = [[name, f"{times['seed'][name]:.3f}", f"{times['ours'][name]:.4f}",
             f"{times['seed'][name] / times['ours'][name]:.1f}x",
             "yes" if counts["seed"][name] == counts["ours"][name] else f"NO ({counts['seed'][name]} vs {counts['ours'][name]})"]
            for name in times["seed"]]
    print_table(["operation", "seed s", "ours s", "speed-up", "counts agree"], rows)
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
