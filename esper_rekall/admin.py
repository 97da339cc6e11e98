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
- searches on big tables are exact matches on ids or indexed columns;
- big tables are ordered by primary key (``-pk``), which an index serves.

The results admin (``ResultCollection``) shows each collection's status,
progress, interval count, duration and failed arguments from the
collection row for finished collections, and from the chunk rows (one
query each) for unfinished ones, whose row lags behind: a run whose driver
or worker is gone reads "interrupted: run `rekall_resume NAME`". Its
chunks are read-only, a link opens the viewer (so does "View site"), and
two actions:
resume, and a fast delete through :func:`esper_rekall.storage.delete_collection`
and ``ResultCollection.objects.fast_delete`` (three ``DELETE`` statements
however many collections are selected; no row of a million-interval
collection is loaded, and the confirmation page does not list them).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import QuerySet, Value
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.html import format_html

from . import corpus_fingerprint
from .commands_support import collection_duration, format_duration, run_progress
from .corpus_fingerprint import CorpusFingerprint
from .intervals.columns import BOUND_NAMES
from .models import (
    Channel,
    Commercial,
    Face,
    FaceIdentity,
    Frame,
    Identity,
    Labeler,
    ResultChunk,
    ResultCollection,
    ResultInterval,
    Shot,
    Show,
    Video,
)

# "View site" in the admin's header opens the result viewer.
admin.site.site_url = reverse_lazy("esper_rekall_viewer:collections")

# Below this many estimated rows an exact COUNT(*) is cheap enough to run.
_EXACT_COUNT_BELOW = 100_000


class EstimatedCountPaginator(Paginator):
    """A paginator that counts big PostgreSQL tables from the planner's statistics.

    - Unfiltered: ``pg_class.reltuples`` of the table (one catalogue lookup).
    - Filtered: the row estimate of ``EXPLAIN (FORMAT JSON)`` of the
      queryset (the plan, not the scan).

    Either estimate is used only when it is at least ``_EXACT_COUNT_BELOW``
    rows; smaller results, tables never analysed (``reltuples`` is -1) and
    other databases get the exact ``COUNT(*)``. A page past the real end of
    an over-estimated filtered result is simply empty.
    """

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        query = getattr(qs, "query", None)
        if query is not None and connections[qs.db].vendor == "postgresql":
            estimate = self._table_estimate(qs) if not query.where else self._plan_estimate(qs)
            if estimate is not None and estimate >= _EXACT_COUNT_BELOW:
                return estimate
        return super().count

    @staticmethod
    def _table_estimate(qs: QuerySet) -> int | None:
        with connections[qs.db].cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [qs.model._meta.db_table])
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] >= 0 else None

    @staticmethod
    def _plan_estimate(qs: QuerySet) -> int | None:
        try:
            sql, params = qs.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # e.g. queryset.none(): nothing to estimate
            return 0
        with connections[qs.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        try:
            return int(plan[0]["Plan"]["Plan Rows"])
        except (KeyError, IndexError, TypeError, ValueError):
            return None


class UsedLabelerFilter(admin.SimpleListFilter):
    """The labelers that produced rows of this table (not every labeler: a face list offers no identity model).

    One ``EXISTS`` query per labeler with its id as a constant, so each is an
    index probe on the foreign key's index (one correlated ``EXISTS`` over
    every labeler is planned as a hash semi-join over the whole table: 3 s
    at 10M faces); labelers are few. The parameter keeps the related
    filter's name, ``labeler__id__exact``.
    """

    title = "labeler"
    parameter_name = "labeler__id__exact"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[Any, str]]:
        rows = model_admin.model.objects
        return [
            (pk, name)
            for pk, name in Labeler.objects.order_by("name").values_list("pk", "name")
            if rows.filter(labeler_id=pk).exists()
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit():
            return queryset.none()
        return queryset.filter(labeler_id=int(value))


class _BigTableAdmin(admin.ModelAdmin):
    """Defaults for tables with millions of rows."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    ordering = ("-pk",)


@admin.register(Channel, Labeler, Identity)
class NamedAdmin(admin.ModelAdmin):
    """The small name-only tables."""

    list_display = ("id", "name")
    search_fields = ("name",)


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "channel")
    list_filter = ("channel",)
    list_select_related = ("channel",)
    search_fields = ("name", "channel__name")
    autocomplete_fields = ("channel",)


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
    """Faces: search a video id or an identity's exact name; filter by video with ``?frame__video__id__exact=N``."""

    list_display = ("id", "frame", "labeler", "bbox_x1", "bbox_x2", "bbox_y1", "bbox_y2", "probability")
    list_filter = (UsedLabelerFilter,)
    list_select_related = ("frame", "labeler")
    search_fields = ("=frame__video__id",)
    search_help_text = "a video id, or an identity's exact name"
    raw_id_fields = ("frame",)
    autocomplete_fields = ("labeler",)
    _VIDEO_LOOKUPS = ("frame__video__id__exact", "frame__video__exact", "frame__video__id", "frame__video")

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Faces of one video: an indexed lookup (the frame table's (video, number) index).
        return lookup in self._VIDEO_LOOKUPS or super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        """A number is a video id; other text an identity's exact name (a semi-join: no duplicate faces)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(frame__video_id=int(term)), False
        named = FaceIdentity.objects.filter(identity__name=term).values("face_id")
        return queryset.filter(pk__in=named), False


@admin.register(FaceIdentity)
class FaceIdentityAdmin(_BigTableAdmin):
    list_display = ("id", "face_id", "identity", "labeler", "probability")
    list_filter = (UsedLabelerFilter, "identity")
    list_select_related = ("identity", "labeler")
    search_fields = ("identity__name",)
    raw_id_fields = ("face",)
    autocomplete_fields = ("identity", "labeler")


class _TemporalSegmentAdmin(_BigTableAdmin):
    list_display = ("id", "video_id", "min_frame", "max_frame", "labeler")
    list_filter = (UsedLabelerFilter,)
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


# -- results ------------------------------------------------------------------


def _viewer_url(collection_id: int) -> str | None:
    try:
        return reverse("esper_rekall_viewer:collection", args=[collection_id])
    except NoReverseMatch:
        return None


class ResultChunkInline(admin.TabularInline):
    """A collection's chunks, read-only, in index order."""

    model = ResultChunk
    fk_name = "collection"
    fields = ("index", "state", "attempts", "num_intervals", "short_arguments", "worker", "started", "finished", "error")
    readonly_fields = fields
    ordering = ("index",)
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    @admin.display(description="arguments")
    def short_arguments(self, chunk: ResultChunk) -> str:
        text = json.dumps(chunk.arguments)
        return text if len(text) <= 80 else text[:79] + "…"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ResultCollection)
class ResultCollectionAdmin(admin.ModelAdmin):
    """Stored query results: progress at a glance, chunks, resume and fast delete."""

    list_display = (
        "name",
        "query_name",
        "status_text",
        "progress",
        "intervals",
        "duration",
        "failed_videos",
        "runtime",
        "created",
        "viewer_link",
    )
    list_display_links = ("name",)
    list_filter = ("status", "runtime")
    search_fields = ("name", "query_name")
    ordering = ("-created", "-id")
    # The changelist reads only collection rows; never the chunk or interval tables.
    list_select_related = ()
    readonly_fields = (
        "name",
        "query_name",
        "query_ref",
        "status_text",
        "progress",
        "intervals",
        "duration",
        "runtime",
        "chunksize",
        "num_chunks",
        "chunks_done",
        "chunks_failed",
        "created",
        "finished",
        "failed_args_text",
        "argument_count",
        "viewer_link",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("name", "status_text", "viewer_link"),
                    ("query_name", "runtime", "chunksize"),
                    ("progress", "intervals", "duration"),
                    ("created", "finished", "argument_count"),
                    "failed_args_text",
                )
            },
        ),
        ("Internals", {"classes": ("collapse",), "fields": ("query_ref", ("num_chunks", "chunks_done", "chunks_failed"))}),
    )
    inlines = (ResultChunkInline,)
    actions = ("resume_collections", "delete_selected")

    def _progress(self, c: ResultCollection) -> Any:
        """The run's progress from its chunk rows (one query), for a collection not finished; else None.

        A finished collection's own summary is final; an unfinished one's
        lags behind its chunks (and says nothing of a killed driver).
        """
        return None if c.finished is not None else run_progress(c)

    @admin.display(description="status", ordering="status")
    def status_text(self, c: ResultCollection) -> str:
        """The status; ``interrupted: run rekall_resume NAME`` for a killed run; `` · stale`` on another corpus.

        The current corpus fingerprint comes with the row (``get_queryset``
        annotates it: one read per page, not per row).
        """
        progress = self._progress(c)
        status = c.status
        if progress is not None and progress.stopped:
            status = progress.note(c.name) or c.status
        now = CorpusFingerprint.from_json(getattr(c, "corpus_now", None))
        return status + (corpus_fingerprint.stale_status(c, now) if now is not None else "")

    @admin.display(description="progress")
    def progress(self, c: ResultCollection) -> str:
        progress = self._progress(c)
        done, total, failed = c.chunks_done, c.num_chunks, c.chunks_failed
        if progress is not None:
            done, total, failed = progress.counts["done"], progress.total, progress.counts["failed"]
        return f"{done:,}/{total:,} chunks" + (f", {failed:,} failed" if failed else "")

    @admin.display(description="intervals", ordering="num_intervals")
    def intervals(self, c: ResultCollection) -> str:
        progress = self._progress(c)
        return f"{c.num_intervals if progress is None else progress.intervals:,}"

    @admin.display(description="duration")
    def duration(self, c: ResultCollection) -> str:
        return format_duration(collection_duration(c))

    @admin.display(description="failed videos")
    def failed_videos(self, c: ResultCollection) -> str:
        args = [a for entry in (c.failed_args or []) for a in (entry.get("args") or [] if isinstance(entry, dict) else [entry])]
        if not args:
            return "-"
        shown = ", ".join(map(str, args[:8]))
        return shown + (f" … ({len(args):,})" if len(args) > 8 else "")

    @admin.display(description="failed arguments")
    def failed_args_text(self, c: ResultCollection) -> str:
        return json.dumps(c.failed_args, indent=1) if c.failed_args else "-"

    @admin.display(description="arguments")
    def argument_count(self, c: ResultCollection) -> str:
        return f"{len(c.arguments or []):,}"

    @admin.display(description="viewer")
    def viewer_link(self, c: ResultCollection) -> str:
        url = _viewer_url(c.pk)
        return format_html('<a href="{}">view</a>', url) if url else "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Big JSON columns stay out of the changelist query; the change form loads them.
        qs = super().get_queryset(request)
        if getattr(request, "resolver_match", None) and request.resolver_match.url_name.endswith("_changelist"):
            qs = qs.defer("arguments", "query_ref")
        now = corpus_fingerprint.current(qs.db).to_json()
        return qs.annotate(corpus_now=Value(now, output_field=models.JSONField()))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Results are written by runs only: the change form is a view page.
        return False

    # -- delete without loading intervals ------------------------------------

    def delete_model(self, request: HttpRequest, obj: ResultCollection) -> None:
        from .storage import delete_collection

        delete_collection(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        queryset.fast_delete()

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """What the confirmation page lists: the collections and their stored totals.

        Django's default walks every related row (a million intervals); the
        totals come from the collection rows instead.
        """
        objs = list(objs)
        names = [format_html("Result collection: {}", o.name) for o in objs]
        counts = {
            ResultCollection._meta.verbose_name_plural: len(objs),
            ResultChunk._meta.verbose_name_plural: sum(o.num_chunks for o in objs),
            ResultInterval._meta.verbose_name_plural: sum(o.num_intervals for o in objs),
        }
        perms_needed = set() if self.has_delete_permission(request) else {ResultCollection._meta.verbose_name}
        return names, counts, perms_needed, []

    # -- actions ------------------------------------------------------------------

    @admin.action(description="Resume selected collections (re-run chunks not done)")
    def resume_collections(self, request: HttpRequest, queryset: QuerySet) -> None:
        from django.conf import settings

        from .runtime.jobs import resume_collection

        for collection in queryset.only("id", "name", "runtime", "status", "chunks_failed"):
            if collection.status == ResultCollection.Status.DONE and not collection.chunks_failed:
                self.message_user(request, f"{collection.name}: already done", messages.INFO)
                continue
            # Without a broker a resume runs here, in the request: use the runtime the
            # collection ran with only when it can be dispatched without waiting.
            runtime = "celery" if settings.CELERY_BROKER_URL else "inline"
            try:
                result = resume_collection(collection.name, runtime=runtime, wait=runtime != "celery")
            except Exception as exc:  # noqa: BLE001 - reported to the user, one collection at a time
                self.message_user(request, f"{collection.name}: could not resume: {exc}", messages.ERROR)
                continue
            self.message_user(request, f"{collection.name}: {result.status} ({runtime})", messages.SUCCESS)


def _effective_bound(k: int, name: str) -> Any:
    """An admin column: stored interval bound ``name`` as a load reads it (NULLs restored)."""

    @admin.display(description=name, ordering=name)
    def show(self: Any, obj: ResultInterval) -> float | None:
        return obj.effective_bounds[k]

    return show


@admin.register(ResultInterval)
class ResultIntervalAdmin(_BigTableAdmin):
    """Stored intervals (tens of millions of rows): filter a collection with ``?collection=ID``.

    Ordered by ``id`` (``chunk << 32 | row``: newest chunks first), the
    unique index every row has (on PostgreSQL each collection's partition
    has its own); ``chunk_id`` and ``row`` are read from the id, and
    nested-set rows show their parent row.
    """

    ordering = ("-pk",)
    list_display = ("id", "collection_id", "chunk_id", "row", "parent_row", "domain_int", "t1_", "t2_", "x1_",
                    "x2_", "y1_", "y2_")
    search_fields = ("=domain_int",)
    raw_id_fields = ("collection",)
    readonly_fields = ("collection", "chunk_id", "row", "parent_row", "child_start", "child_count", "domain",
                       "domain_int", "t1_", "t2_", "x1_", "x2_", "y1_", "y2_", "payload_kind", "payload_int",
                       "payload_float", "payload_str", "payload")
    exclude = ("t1", "t2", "x1", "x2", "y1", "y2")  # shown as their effective values

    t1_, t2_, x1_, x2_, y1_, y2_ = (_effective_bound(k, name) for k, name in enumerate(BOUND_NAMES))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        # domain_int is a bigint: a non-numeric term matches nothing instead of failing.
        term = search_term.strip()
        if term and not term.lstrip("-").isdigit():
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
