"""Querysets of the label models that turn into lazy interval queries.

Provides:
    IntervalQuerySet: a QuerySet with ``.intervals(schema=None)``, the
        :class:`~esper_rekall.db.query.IntervalQuery` of the queryset
        (``Face.objects.filter(...).intervals()``).
    IntervalManager: ``IntervalQuerySet.as_manager()``.
    DEFAULT_SCHEMAS, SCHEMA_ANNOTATIONS, default_schema: re-exported from
        :mod:`.db.schema`, where a queryset's schema is decided.

The row-level managers of the result store live in :mod:`.result_managers`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .db.schema import DEFAULT_SCHEMAS, SCHEMA_ANNOTATIONS, default_schema

__all__ = ["DEFAULT_SCHEMAS", "SCHEMA_ANNOTATIONS", "IntervalManager", "IntervalQuerySet", "default_schema"]

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

        return IntervalQuery(self, schema)


IntervalManager = models.Manager.from_queryset(IntervalQuerySet, "IntervalManager")
