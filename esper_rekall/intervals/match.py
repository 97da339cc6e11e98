"""Pattern matching over the intervals of one set.

Provides:
    match_pattern: the engine behind ``IntervalSet3D.match``.

A pattern is a list of constraints ``(names, predicates)``. A name is a
variable; a predicate takes ``len(names)`` Interval3Ds (in the order of
``names``) and returns a bool. A solution assigns each variable a
*distinct* interval of the set so that every predicate of every constraint
holds; it is returned as a dict ``{name: Interval3D}``. With ``exact=True``
the set must have exactly as many intervals as there are variables (every
interval is assigned), otherwise there is no solution.

Semantics follow the reference (a constraint-satisfaction search). The
search here is a plain backtracking over variables in order of first
appearance. Unary constraints are evaluated once per variable with
``evaluate_mask`` (vectorised for built-in predicates), and two-variable
constraints are tabulated over the candidates' cross product when it is at
most ``PAIR_TABLE_LIMIT`` pairs. Solutions are listed in lexicographic order
of the assigned intervals' positions in the set (the reference's order was
an artefact of its solver).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .columns import Columns
from .interval import Interval3D, intervals_of
from .predicates.base import Predicate, evaluate_mask

__all__ = ["match_pattern", "PAIR_TABLE_LIMIT"]

PAIR_TABLE_LIMIT = 1_000_000


def _parse(pattern: Sequence[tuple[Sequence[str], Sequence[Any]]]) -> tuple[dict[str, list[Any]], list[tuple[tuple[str, ...], list[Any]]]]:
    nodes: dict[str, list[Any]] = {}
    multi: list[tuple[tuple[str, ...], list[Any]]] = []
    for names, preds in pattern:
        names = tuple(names)
        if len(names) == 1:
            nodes.setdefault(names[0], []).extend(preds)
        else:
            multi.append((names, list(preds)))
            for name in names:
                nodes.setdefault(name, [])
    return nodes, multi


def match_pattern(cols: Columns, pattern: Sequence[tuple[Sequence[str], Sequence[Any]]], exact: bool = False) -> list[dict[str, Interval3D]]:
    """All solutions of ``pattern`` over the rows of ``cols`` (see module doc).

    Cost: O(v * n) unary evaluations, then a backtracking search that is
    exponential in the number of variables in the worst case.
    """
    nodes, multi = _parse(pattern)
    n = len(cols)
    if (exact and n != len(nodes)) or not nodes:
        return []
    candidates: dict[str, np.ndarray] = {}
    for name, preds in nodes.items():
        mask = np.ones(n, dtype=bool)
        for pred in preds:
            if not mask.any():
                break
            idx = np.flatnonzero(mask)
            mask[idx] = np.asarray(evaluate_mask(pred, cols.take(idx)), dtype=bool)
        candidates[name] = np.flatnonzero(mask)
        if len(candidates[name]) == 0:
            return []

    intervals = intervals_of(cols)
    order = list(nodes)
    depth_of = {name: d for d, name in enumerate(order)}
    checks: list[list[Any]] = [[] for _ in order]
    for names, preds in multi:
        checks[max(depth_of[nm] for nm in names)].append((names, preds, _pair_table(cols, names, preds, candidates)))

    solutions: list[dict[str, Interval3D]] = []
    assignment: dict[str, int] = {}
    used: set[int] = set()

    def ok(depth: int) -> bool:
        for names, preds, table in checks[depth]:
            if table is not None:
                a, b, matrix = table
                if not matrix[a[assignment[names[0]]], b[assignment[names[1]]]]:
                    return False
                continue
            args = [intervals[assignment[nm]] for nm in names]
            for pred in preds:
                if not pred(*args):
                    return False
        return True

    def search(depth: int) -> None:
        if depth == len(order):
            solutions.append({nm: intervals[assignment[nm]] for nm in order})
            return
        name = order[depth]
        for idx in candidates[name].tolist():
            if idx in used:
                continue
            assignment[name] = idx
            used.add(idx)
            if ok(depth):
                search(depth + 1)
            used.discard(idx)
            del assignment[name]

    search(0)
    return solutions


def _pair_table(cols: Columns, names: tuple[str, ...], preds: list[Any], candidates: dict[str, np.ndarray]) -> Any:
    """For a two-variable constraint: (row->pos maps, truth matrix), or None."""
    if len(names) != 2 or names[0] == names[1]:
        return None
    ca, cb = candidates[names[0]], candidates[names[1]]
    # Plain callables would be called on every pair; the search calls them lazily.
    vectorised = all(isinstance(p, Predicate) and getattr(p, "vectorised", True) for p in preds)
    if not vectorised or len(ca) * len(cb) > PAIR_TABLE_LIMIT:
        return None
    ia = np.repeat(ca, len(cb))
    ib = np.tile(cb, len(ca))
    mask = np.ones(len(ia), dtype=bool)
    for pred in preds:
        sel = np.flatnonzero(mask)
        if len(sel) == 0:
            break
        mask[sel] = np.asarray(evaluate_mask(pred, cols.take(ia[sel]), cols.take(ib[sel])), dtype=bool)
    pos_a = {int(r): k for k, r in enumerate(ca.tolist())}
    pos_b = {int(r): k for k, r in enumerate(cb.tolist())}
    return pos_a, pos_b, mask.reshape(len(ca), len(cb))
