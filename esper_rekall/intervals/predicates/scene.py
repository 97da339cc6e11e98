"""Scene-graph predicates on lists of bounding boxes, and regions.

Provides:
    scene_graph(graph, region=None, exact=False): true if a list of bbox
        dicts has an assignment of distinct boxes (inside ``region``) to
        the graph's nodes satisfying every node and edge predicate.
    make_region, full_frame, left_half, right_half, top_half, bottom_half,
    top_left, top_right, bottom_left, bottom_right, center: regions
        (dicts ``x1, y1, x2, y2``).

Graph format, as in Rekall::

    {'nodes': [{'name': 'n1', 'predicates': [unary, ...]}, ...],
     'edges': [{'start': 'n1', 'end': 'n2', 'predicates': [binary, ...]}, ...]}

Semantics (Rekall's): boxes outside ``region`` (``x1 >= r.x1, x2 <= r.x2,
y1 >= r.y1, y2 <= r.y2``; inclusive) are not candidates; with ``exact`` the
*whole* list must have as many boxes as the graph has nodes; a graph with no
nodes is satisfied by any list (subject to ``exact``); distinct nodes take
distinct boxes. ``center`` returns the middle region a quarter of the area
of ``region`` (Rekall's raised a TypeError; this one works).

Solving is a backtracking search over nodes, fewest candidates first,
checking each edge once both its ends are assigned: exponential in the
number of nodes in the worst case, as any exact subgraph matching is.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .base import Predicate

__all__ = [
    "SceneGraph",
    "scene_graph",
    "make_region",
    "full_frame",
    "left_half",
    "right_half",
    "top_half",
    "bottom_half",
    "top_left",
    "top_right",
    "bottom_left",
    "bottom_right",
    "center",
]

Region = dict[str, float]


def make_region(x1: float, y1: float, x2: float, y2: float) -> Region:
    """The region ``{'x1', 'y1', 'x2', 'y2'}``."""
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2}


def full_frame() -> Region:
    """The whole frame, ``(0, 0)`` to ``(1, 1)``."""
    return make_region(0.0, 0.0, 1.0, 1.0)


def left_half(region: Region | None = None) -> Region:
    """Left half of ``region`` (default: the full frame)."""
    r = full_frame() if region is None else region
    return make_region(r["x1"], r["y1"], (r["x1"] + r["x2"]) / 2.0, r["y2"])


def right_half(region: Region | None = None) -> Region:
    """Right half of ``region``."""
    r = full_frame() if region is None else region
    return make_region((r["x1"] + r["x2"]) / 2.0, r["y1"], r["x2"], r["y2"])


def top_half(region: Region | None = None) -> Region:
    """Top half of ``region`` (smaller y)."""
    r = full_frame() if region is None else region
    return make_region(r["x1"], r["y1"], r["x2"], (r["y1"] + r["y2"]) / 2.0)


def bottom_half(region: Region | None = None) -> Region:
    """Bottom half of ``region`` (larger y)."""
    r = full_frame() if region is None else region
    return make_region(r["x1"], (r["y1"] + r["y2"]) / 2.0, r["x2"], r["y2"])


def top_left(region: Region | None = None) -> Region:
    """Top-left quadrant of ``region``."""
    return left_half(top_half(region))


def top_right(region: Region | None = None) -> Region:
    """Top-right quadrant of ``region``."""
    return right_half(top_half(region))


def bottom_left(region: Region | None = None) -> Region:
    """Bottom-left quadrant of ``region``."""
    return left_half(bottom_half(region))


def bottom_right(region: Region | None = None) -> Region:
    """Bottom-right quadrant of ``region``."""
    return right_half(bottom_half(region))


def center(region: Region | None = None) -> Region:
    """Middle of ``region``: half its width and height, same centre."""
    r = full_frame() if region is None else region
    width = r["x2"] - r["x1"]
    height = r["y2"] - r["y1"]
    return make_region(
        r["x1"] + width / 4.0, r["y1"] + height / 4.0,
        r["x2"] - width / 4.0, r["y2"] - height / 4.0,
    )


def _in_region(region: Mapping[str, Any], bbox: Mapping[str, Any]) -> bool:
    return (
        bbox["x1"] >= region["x1"]
        and bbox["x2"] <= region["x2"]
        and bbox["y1"] >= region["y1"]
        and bbox["y2"] <= region["y2"]
    )


def _check_graph(graph: Any) -> tuple[list[Any], list[Any]]:
    if not isinstance(graph, Mapping) or "nodes" not in graph:
        raise TypeError(f"graph must be a dict with 'nodes' (and 'edges'), got {graph!r}")
    nodes = list(graph["nodes"])
    edges = list(graph.get("edges", []))
    names = [n["name"] for n in nodes]
    if len(set(names)) != len(names):
        raise ValueError(f"scene graph node names must be distinct, got {names!r}")
    for edge in edges:
        for end in ("start", "end"):
            if edge[end] not in names:
                raise ValueError(
                    f"scene graph edge {end} {edge[end]!r} is not a node; nodes are {names!r}"
                )
    return nodes, edges


class SceneGraph(Predicate):
    """Unary predicate on a list of bbox dicts (see module docstring)."""

    kind = "spatial"
    relation = "scene_graph"
    arity = 1
    on_intervals = False
    vectorised = False

    def __init__(self, graph: Any, region: Region | None = None, exact: bool = False) -> None:
        self.nodes, self.edges = _check_graph(graph)
        self.region = full_frame() if region is None else dict(region)
        self.exact = bool(exact)
        self.graph = graph
        self.params = (("graph", graph), ("region", self.region), ("exact", self.exact))

    def _call(self, bboxes: Sequence[Mapping[str, Any]]) -> bool:
        bboxes = list(bboxes)
        candidates = [b for b in bboxes if _in_region(self.region, b)]
        if self.exact and len(self.nodes) != len(bboxes):
            return False
        if not self.nodes:
            return True
        names = [n["name"] for n in self.nodes]
        domains: dict[str, list[int]] = {}
        for node in self.nodes:
            domain = [
                i for i, b in enumerate(candidates)
                if all(p(b) for p in node["predicates"])
            ]
            if not domain:
                return False
            domains[node["name"]] = domain
        order = sorted(names, key=lambda name: len(domains[name]))
        position = {name: k for k, name in enumerate(order)}
        # Each edge is checked at the step where its later endpoint is assigned.
        checks: list[list[tuple[str, str, Sequence[Any]]]] = [[] for _ in order]
        for edge in self.edges:
            step = max(position[edge["start"]], position[edge["end"]])
            checks[step].append((edge["start"], edge["end"], edge["predicates"]))
        assignment: dict[str, int] = {}
        used: set[int] = set()

        def search(step: int) -> bool:
            if step == len(order):
                return True
            name = order[step]
            for i in domains[name]:
                if i in used:
                    continue
                assignment[name] = i
                ok = all(
                    all(p(candidates[assignment[s]], candidates[e_i]) for p in preds)
                    for s, e, preds in checks[step]
                    for e_i in (assignment[e],)
                )
                if ok:
                    used.add(i)
                    if search(step + 1):
                        return True
                    used.discard(i)
                del assignment[name]
            return False

        return search(0)


def scene_graph(graph: Any, region: Region | None = None, exact: bool = False) -> SceneGraph:
    """Predicate: a list of bboxes satisfies ``graph`` within ``region``."""
    return SceneGraph(graph, region, exact)
