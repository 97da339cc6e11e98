"""Run a pipeline through the original Rekall (74ea145) in a child process.

The seed's ``rekall`` package is extracted with ``git archive`` from the
bare mirror of scanner-research/rekall into a temporary folder, and a child
interpreter (``python -I``: the project's own code is not on its path, only
the venv's third-party packages) imports it from there. Of the seed's
dependencies, ``tqdm`` and ``cloudpickle`` come from the venv and
``constraint`` (pattern matching only) is stubbed.

Rows and pipelines cross as JSON: ``rows`` maps a side's name to rows
``[domain, t1, t2, payload]`` in queryset order (what the seed's
``from_django_qs`` iterates); a pipeline is a list of ``[op, *args]`` with
other sides named, and binary operations always get an explicit
``time_window`` (the seed's default window silently drops pairs). The
result is ``{domain: [[t1, t2, x1, x2, y1, y2, payload], ...]}`` in set
order, a ``group_by_time`` payload as the list of its members.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

MIRROR = Path("/work/.mirror/scanner-research+rekall/repo")
COMMIT = "74ea145"

_CHILD = r"""
import json, sys, types
sys.path.insert(0, sys.argv[1])
sys.modules["constraint"] = types.ModuleType("constraint")
from rekall.interval_set_3d import Interval3D, IntervalSet3D
from rekall.domain_interval_collection import DomainIntervalCollection
from rekall.interval_set_3d_utils import T
from rekall.temporal_predicates import overlaps, before

spec = json.load(sys.stdin)
PREDICATES = {"overlaps": lambda: T(overlaps()), "before3": lambda: T(before(max_dist=3))}

def build(rows):
    per = {}
    for d, t1, t2, p in rows:
        per.setdefault(d, []).append(Interval3D((t1, t2), payload=p))
    return DomainIntervalCollection({d: IntervalSet3D(v) for d, v in per.items()})

sides = {name: build(rows) for name, rows in spec["rows"].items()}

def run(name, steps):
    coll = sides[name]
    for op, *args in steps:
        if op in ("filter_against", "merge"):
            other, pred, window = args
            coll = getattr(coll, op)(run(*other), PREDICATES[pred](), time_window=window)
        elif op in ("minus", "union"):
            coll = getattr(coll, op)(run(*args[0]))
        elif op == "temporal_coalesce":
            coll = coll.temporal_coalesce(epsilon=args[0] if args else 0)
        else:
            coll = getattr(coll, op)(*args)
    return coll

def plain(p):
    if isinstance(p, IntervalSet3D):
        return [row(i) for i in p.get_intervals()]
    return p

def row(i):
    return [i.t[0], i.t[1], i.x[0], i.x[1], i.y[0], i.y[1], plain(i.payload)]

out = run(spec["start"], spec["steps"])
json.dump([[d, [row(i) for i in s.get_intervals()]] for d, s in out.get_grouped_intervals().items() if not s.empty()],
          sys.stdout)
"""


def extract(into: str) -> Path | None:
    """The seed's ``rekallpy`` folder extracted under ``into``; None if the mirror is absent."""
    if not (MIRROR / "HEAD").exists():
        return None
    archive = subprocess.run(["git", "--git-dir", str(MIRROR), "archive", COMMIT, "rekallpy/rekall"],
                             check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)
    return Path(into) / "rekallpy"


def run_seed(path: Path, rows: dict[str, list[list[Any]]], start: str, steps: list[Any]) -> dict[Any, list[Any]]:
    """The seed's result of ``steps`` applied to side ``start`` (see the module docstring)."""
    spec = json.dumps({"rows": rows, "start": start, "steps": steps})
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run([sys.executable, "-I", "-W", "ignore", "-c", _CHILD, str(path)], input=spec, capture_output=True,
                          text=True, env=env, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"the seed failed on {steps!r}:\n{done.stderr}")
    return {d: s for d, s in json.loads(done.stdout)}


def seed_dir() -> tuple[tempfile.TemporaryDirectory[str], Path | None]:
    """A temporary folder and the seed extracted into it (None when the mirror is absent)."""
    tmp = tempfile.TemporaryDirectory(prefix="seed-rekall-")
    return tmp, extract(tmp.name)
