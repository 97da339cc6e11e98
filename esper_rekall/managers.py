"""Querysets of the label models that turn into lazy interval queries.

Provides:
    IntervalQuerySet: a QuerySet with ``.intervals(schema=None)``, the
        :class:`~esper_rekall.db.query.IntervalQuery` of the queryset
        (``Face.objects.filter(...).intervals()``).
    IntervalManager: ``IntervalQuerySet.as_manager()``.
    DEFAULT_SCHEMAS: the schema each model uses when none is given.
    default_schema(model): that schema (``ValueError`` for other models).

The row-level managers of the result store live in :mod:`.result_managers`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

__all__ = ["DEFAULT_SCHEMAS", "IntervalManager", "IntervalQuerySet", "default_schema"]

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
                field paths/expressions; None uses ``DEFAULT_SCHEMAS``.
        """
        from .db.query import IntervalQuery

        return IntervalQuery(self, schema)


IntervalManager = models.Manager.from_queryset(IntervalQuerySet, "IntervalManager")
