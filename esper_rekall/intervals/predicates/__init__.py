"""Predicates as data: callable like Rekall's, describable, vectorised.

Every built-in predicate is a :class:`Predicate` object: call it exactly as
the Rekall closure (``overlaps()(a, b)`` on 1D intervals,
``XY(left_of())(i1, i2)`` on Interval3Ds), read ``describe()`` (a
:class:`PredicateSpec`), get a vectorised ``mask(*cols)`` over
``Columns`` and, for binary temporal predicates, a ``temporal_band()``.
Plain Python callables are accepted wherever a predicate is; see
:func:`evaluate_mask` and :func:`candidate_band`.

Submodules: ``temporal`` (1D-range relations), ``spatial`` (bbox
predicates), ``scene`` (scene graphs and regions), ``logical``
(``and_pred``/``or_pred``/``not_pred(pred, arity=1)``/``true_pred``/
``false_pred``), ``payload``, ``list``, ``axes`` (``T``, ``X``, ``Y``,
``XY``, ``P``, ``and_preds``, ``or_preds`` and the variadic
``not_pred(pred)``). This package exports the variadic ``not_pred``;
Rekall's arity-taking one is :func:`.logical.not_pred`.
"""

from __future__ import annotations

from .axes import XY, P, T, X, Y, and_preds, not_pred, or_preds
from .base import (
    CallablePredicate,
    Predicate,
    PredicateSpec,
    candidate_band,
    describe,
    evaluate_mask,
)
from .list import any_member, length_at_least, length_at_most, length_between, length_exactly
from .logical import and_pred, false_pred, or_pred, true_pred
from .payload import on_name, payload_satisfies
from .scene import scene_graph
from .spatial import (
    above,
    area_at_least,
    area_at_most,
    area_between,
    area_exactly,
    below,
    has_value,
    height_at_least,
    height_at_most,
    height_between,
    height_exactly,
    left_of,
    less_area,
    less_height,
    less_width,
    more_area,
    more_height,
    more_width,
    position,
    right_of,
    same_area,
    same_height,
    same_value,
    same_width,
    width_at_least,
    width_at_most,
    width_between,
    width_exactly,
)
from .temporal import (
    after,
    before,
    during,
    during_inv,
    equal,
    finishes,
    finishes_inv,
    meets_after,
    meets_before,
    overlaps,
    overlaps_after,
    overlaps_before,
    starts,
    starts_inv,
)

__all__ = [
    "Predicate", "PredicateSpec", "CallablePredicate", "evaluate_mask",
    "candidate_band", "describe",
    "T", "X", "Y", "XY", "P", "and_preds", "or_preds", "not_pred",
    "and_pred", "or_pred", "true_pred", "false_pred",
    "payload_satisfies", "on_name",
    "length_exactly", "length_at_least", "length_at_most", "length_between", "any_member",
    "scene_graph",
    "before", "after", "overlaps", "overlaps_before", "overlaps_after",
    "starts", "starts_inv", "finishes", "finishes_inv", "during", "during_inv",
    "meets_before", "meets_after", "equal",
    "position", "has_value", "area_exactly", "area_at_least", "area_at_most",
    "area_between", "width_exactly", "width_at_least", "width_at_most",
    "width_between", "height_exactly", "height_at_least", "height_at_most",
    "height_between", "left_of", "right_of", "above", "below", "same_area",
    "more_area", "less_area", "same_width", "more_width", "less_width",
    "same_height", "more_height", "less_height", "same_value",
]
