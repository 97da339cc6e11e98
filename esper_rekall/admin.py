"""Django admin for the corpus models, built to stay fast on millions of rows.

Presentation only. Conventions:

- foreign keys to big tables (frame, video, face) are ``raw_id_fields``; to
  small ones (channel, show, labeler, identity) ``autocomplete_fields``;
- ``list_filter`` only on small tables, so building the filter sidebar never
  scans a big one;
- ``list_select_related`` names every relation a column shows, so a
  changelist costs the same number of queries whatever the page size;
- ``show_full_result_count = False`` avoids a second ``COUNT(*)``, and on
  PostgreSQL an unfiltered changelist takes its row count from the planner's
  estimate (:class:`EstimatedCountPaginator`) instead of scanning the table;
- searches on big tables are exact matches on ids or indexed columns.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from .models import (
    Channel,
    Commercial,
    Face,
    FaceIdentity,
    Frame,
    Identity,
    Labeler,
    Shot,
    Show,
    Video,
)

# Below this many estimated rows an exact COUNT(*) is cheap enough to run.
_EXACT_COUNT_BELOW = 100_000


class EstimatedCountPaginator(Paginator):
    """A paginator that, for an unfiltered PostgreSQL table, counts from ``pg_class.reltuples``.

    Filtered querysets, small tables, tables never analysed (``reltuples`` is
    -1) and other databases get the exact ``COUNT(*)``.
    """

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        query = getattr(qs, "query", None)
        if query is not None and not query.where and connections[qs.db].vendor == "postgresql":
            with connections[qs.db].cursor() as cursor:
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [qs.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] >= _EXACT_COUNT_BELOW:
                return int(row[0])
        return super().count


class _BigTableAdmin(admin.ModelAdmin):
    """Defaults for tables with millions of rows."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("id", "name")
    search_fields = ("name",)


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "channel")
    list_filter = ("channel",)
    list_select_related = ("channel",)
    search_fields = ("name", "channel__name")
    autocomplete_fields = ("channel",)


@admin.register(Labeler)
class LabelerAdmin(admin.ModelAdmin):
    list_display = ("id", "name")
    search_fields = ("name",)


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("id", "name")
    search_fields = ("name",)


@admin.register(Video)
class VideoAdmin(_BigTableAdmin):
    list_display = ("id", "path", "channel", "show", "time", "num_frames", "fps", "width", "height")
    list_filter = ("channel", "show")
    list_select_related = ("channel", "show")
    search_fields = ("path",)
    autocomplete_fields = ("channel", "show")
    date_hierarchy = None  # a date drill-down runs DISTINCT over the whole table


@admin.register(Frame)
class FrameAdmin(_BigTableAdmin):
    list_display = ("id", "video_id", "number")
    search_fields = ("=video__id",)
    raw_id_fields = ("video",)


@admin.register(Face)
class FaceAdmin(_BigTableAdmin):
    list_display = ("id", "frame", "labeler", "bbox_x1", "bbox_x2", "bbox_y1", "bbox_y2", "probability")
    list_filter = ("labeler",)
    list_select_related = ("frame", "labeler")
    search_fields = ("=frame__video__id",)
    raw_id_fields = ("frame",)
    autocomplete_fields = ("labeler",)


@admin.register(FaceIdentity)
class FaceIdentityAdmin(_BigTableAdmin):
    list_display = ("id", "face_id", "identity", "labeler", "probability")
    list_filter = ("labeler", "identity")
    list_select_related = ("identity", "labeler")
    search_fields = ("identity__name",)
    raw_id_fields = ("face",)
    autocomplete_fields = ("identity", "labeler")


class _TemporalSegmentAdmin(_BigTableAdmin):
    list_display = ("id", "video_id", "min_frame", "max_frame", "labeler")
    list_filter = ("labeler",)
    list_select_related = ("labeler",)
    search_fields = ("=video__id",)
    raw_id_fields = ("video",)
    autocomplete_fields = ("labeler",)


@admin.register(Shot)
class ShotAdmin(_TemporalSegmentAdmin):
    pass


@admin.register(Commercial)
class CommercialAdmin(_TemporalSegmentAdmin):
    pass
