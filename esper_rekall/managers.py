"""Querysets of the label models that turn into lazy interval queries.

Provides:
    IntervalQuerySet: a QuerySet with ``.intervals(schema=None)``, the
        :class:`~esper_rekall.db.query.IntervalQuery` of the queryset
        (``Face.objects.filter(...).intervals()``).
    IntervalManager: ``IntervalQuerySet.as_manager()``.
    DEFAULT_SCHEMAS: the schema each model uses when none is given.
    SCHEMA_ANNOTATIONS: annotation names read as schema parts (the tutorial's
        ``video_id``, ``min_frame``, ``max_frame`` ...).
    default_schema(model): that schema (``ValueError`` for other models).

The row-level managers of the result store live in :mod:`.result_managers`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

__all__ = ["DEFAULT_SCHEMAS", "SCHEMA_ANNOTATIONS", "IntervalManager", "IntervalQuerySet", "default_schema"]

_BBOX = {"x1": "bbox_x1", "x2": "bbox_x2", "y1": "bbox_y1", "y2": "bbox_y2"}

#: Model name -> schema mapping (field paths) used by ``.intervals()`` without a schema.
DEFAULT_SCHEMAS: dict[str, dict[str, Any]] = {
    "Face": {"domain": "frame__video_id", "t1": "frame__number", "t2": "frame__number", **_BBOX, "payload": "id"},
    "FaceIdentity": {
        "domain": "face__frame__video_id", "t1": "face__frame__number", "t2": "face__frame__number",
        **{k: f"face__{v}" for k, v in _BBOX.items()}, "payload": "identity_id",
    },
    "Frame": {"domain": "video_id", "t1": "number", "t2": "number", "payload": "id"},
    "Shot": {"domain": "video_id", "t1": "min_frame", "t2": "max_frame", "payload": "id"},
    "Commercial": {"domain": "video_id", "t1": "min_frame", "t2": "max_frame", "payload": "id"},
    "ResultInterval": {
        "domain": "domain_int", "t1": "t1", "t2": "t2", "x1": "x1", "x2": "x2", "y1": "y1", "y2": "y2",
        "payload": "payload",
    },
}


#: Schema part -> annotation names that stand for it, as the tutorial's
#: ``django_bbox_default_schema()`` names them (and the parts' own names).
SCHEMA_ANNOTATIONS: dict[str, tuple[str, ...]] = {
    "domain": ("domain", "video_id"),
    "t1": ("t1", "min_frame"),
    "t2": ("t2", "max_frame"),
    **{part: (part, f"bbox_{part}") for part in ("x1", "x2", "y1", "y2")},
    "payload": ("payload",),
}


def _annotated_schema(qs: models.QuerySet) -> dict[str, Any] | None:
    """The model's default schema with the parts the queryset's annotations name, or None when none do.

    Raises:
        ValueError: the annotations name only one of ``t1``/``t2`` (the
            other would silently come from the default schema), or the
            model has no default schema for the other parts.
    """
    annotations = set(qs.query.annotations)
    found = {part: name for part, names in SCHEMA_ANNOTATIONS.items() for name in names if name in annotations}
    if not found:
        return None
    mapping = dict(DEFAULT_SCHEMAS.get(qs.model.__name__) or {})
    if ("t1" in found) != ("t2" in found):
        given, missing = ("t1", "t2") if "t1" in found else ("t2", "t1")
        raise ValueError(
            f"{qs.model.__name__} queryset annotates {found[given]!r} as {given} but nothing as {missing} "
            f"(candidates: {', '.join(SCHEMA_ANNOTATIONS[missing])}); annotate both, or pass "
            f"schema={{..., {given!r}: {found[given]!r}, {missing!r}: ...}}"
        )
    mapping.update(found)
    missing = [part for part in ("domain", "t1", "t2") if part not in mapping]
    if missing:
        raise ValueError(
            f"{qs.model.__name__} queryset annotates {sorted(found.values())!r} but has no default schema "
            f"for {missing!r}; pass schema={mapping | {p: '...' for p in missing}!r}"
        )
    return mapping


def default_schema(model: type[models.Model]) -> Any:
    """The default :class:`IntervalSchema` of ``model``.

    Raises:
        ValueError: ``model`` has no default schema (pass one).
    """
    from .db.schema import IntervalSchema

    mapping = DEFAULT_SCHEMAS.get(model.__name__)
    if mapping is None:
        raise ValueError(
            f"{model.__name__} has no default interval schema; pass schema=..., "
            f"models with one: {sorted(DEFAULT_SCHEMAS)!r}"
        )
    return IntervalSchema.from_mapping(mapping)


class IntervalQuerySet(models.QuerySet):
    """A QuerySet that can become a lazy interval query."""

    def intervals(self, schema: Any = None) -> Any:
        """The lazy ``IntervalQuery`` of this queryset.

        Args:
            schema: an ``IntervalSchema`` or a mapping of canonical names to
                field paths/expressions; None uses the model's
                ``DEFAULT_SCHEMAS`` entry, except for the parts the
                queryset's annotations name (``SCHEMA_ANNOTATIONS``: an
                annotation ``video_id`` is the domain, ``min_frame`` and
                ``max_frame`` the bounds, as in the tutorial's
                ``django_bbox_default_schema()``), so annotations are never
                silently ignored.

        Raises:
            ValueError: the annotations name only one of the temporal
                bounds, or parts the model's default schema cannot complete;
                the message names them and the schema to pass.

        Sampled labels (a face per sampled frame) are points in time: to make
        consecutive samples touch, annotate ``max_frame`` as the next
        sample's frame (``F("frame__number") + <sampling period>``), or
        ``temporal_coalesce(epsilon=<period>)`` the result.
        """
        from .db.query import IntervalQuery

        if schema is None:
            schema = _annotated_schema(self)
        return IntervalQuery(self, schema)


IntervalManager = models.Manager.from_queryset(IntervalQuerySet, "IntervalManager")
