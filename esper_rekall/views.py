"""The result viewer's views (staff only).

Provides:
    collection_list: ``/viewer/``, the stored collections.
    collection_page: ``/viewer/<id>/?page=N``, one page of 25 videos with
        their timelines, rendered by :func:`esper_rekall.viewer.render_page`.
    collection_page_json: ``/viewer/<id>/page.json?page=N``, the same page
        data as JSON; with ``&html=1`` the page rendered instead (``html``,
        what ``viewer.js`` swaps in, with the data embedded once).
    interval_json: ``/viewer/<id>/interval.json?key=K&i=N``, the detail of
        one interval (exact bounds, payload, labelled boxes), which the page
        fetches on hover and selection instead of carrying every payload.
    video_media: ``/viewer/media/<video id>/``, the video file named by
        ``Video.path`` under ``ESPER_REKALL_MEDIA_ROOT``, with HTTP range
        requests (``206 Partial Content``); 404 for anything outside the root.
    media_file(video): the playable file of a video, or None.

Every view requires a logged-in, active staff user (others are redirected
to the login page).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from . import corpus_fingerprint
from .commands_support import run_progress
from .media import MAX_POSITION_DIGITS, UnsatisfiableRange, byte_range, media_file
from .models import ResultCollection, Video
from .viewer.pages import DEFAULT_PER_PAGE, PageOutOfRange, interval_detail_from_stored, page_data_from_stored
from .viewer.render import render_page

__all__ = ["collection_list", "collection_page", "collection_page_json", "interval_json", "media_file", "video_media"]

_STREAM_BLOCK = 64 * 1024


def _media_url(video: Video) -> str | None:
    if media_file(video) is None:
        return None
    return reverse("esper_rekall_viewer:media", args=[video.pk])


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    try:
        return int(raw)
    except ValueError:
        raise Http404(f"page must be an integer, got {raw!r}") from None


def _page_data(request: HttpRequest, collection_id: int) -> dict[str, Any]:
    collection = get_object_or_404(ResultCollection, pk=collection_id)
    try:
        return page_data_from_stored(
            collection,
            _page_number(request),
            DEFAULT_PER_PAGE,
            media_url=_media_url,
            page_url=reverse("esper_rekall_viewer:page_json", args=[collection.pk]),
            detail_url=reverse("esper_rekall_viewer:interval_json", args=[collection.pk]),
        )
    except PageOutOfRange as exc:
        raise Http404(str(exc)) from None


@staff_member_required
@require_safe
def collection_list(request: HttpRequest) -> HttpResponse:
    """The stored collections, newest first: one query, plus one per unfinished collection (its chunk rows).

    An unfinished collection's row lags behind its chunks, so its chunk
    counts, intervals and status (``interrupted: run rekall_resume NAME``
    when its workers are gone) come from ``run_progress``. A collection
    computed on another corpus than today's says ``stale`` (the current
    fingerprint is read once for the page).
    """
    collections = list(
        ResultCollection.objects.defer("arguments", "query_ref", "failed_args").order_by("-created", "-id")[:500]
    )
    corpus = corpus_fingerprint.current()
    rows = []
    for c in collections:
        progress = None if c.finished is not None else run_progress(c)
        status = (progress.note(c.name) if progress is not None and progress.stopped else None) or c.status
        rows.append({
            "collection": c,
            "status": status + corpus_fingerprint.stale_status(c, corpus),
            "done": c.chunks_done if progress is None else progress.counts["done"],
            "total": c.num_chunks if progress is None else progress.total,
            "failed": c.chunks_failed if progress is None else progress.counts["failed"],
            "intervals": c.num_intervals if progress is None else progress.intervals,
        })
    context = {**admin.site.each_context(request), "rows": rows, "title": "Stored collections"}
    return render(request, "esper_rekall/viewer/collection_list.html", context)


@staff_member_required
@require_safe
def collection_page(request: HttpRequest, collection_id: int) -> HttpResponse:
    """One page of a collection's videos and their intervals."""
    data = _page_data(request, collection_id)
    viewer = render_page(data, include_assets=False, global_keys=True)
    context = {**admin.site.each_context(request), "data": data, "viewer": viewer}
    return render(request, "esper_rekall/viewer/collection_page.html", context)


@staff_member_required
@require_safe
def collection_page_json(request: HttpRequest, collection_id: int) -> JsonResponse:
    """The page data of ``?page=N`` as JSON; with ``html=1``, ``{"html", "page", "num_pages"}``."""
    data = _page_data(request, collection_id)
    if request.GET.get("html") == "1":
        body = {"html": render_page(data, include_assets=False), "page": data["page"], "num_pages": data["num_pages"]}
        return JsonResponse(body)
    return JsonResponse(data, json_dumps_params={"allow_nan": False})


@staff_member_required
@require_safe
def interval_json(request: HttpRequest, collection_id: int) -> JsonResponse:
    """The detail of interval ``i`` (time order) of domain ``key`` (codec JSON, as the page data gives it)."""
    collection = get_object_or_404(ResultCollection, pk=collection_id)
    key, raw_index = request.GET.get("key"), request.GET.get("i", "")
    if key is None or not raw_index.isdigit() or len(raw_index) > MAX_POSITION_DIGITS:
        raise Http404("expected ?key=<domain key as JSON>&i=<interval index>")
    try:
        detail = interval_detail_from_stored(collection, key, int(raw_index))
    except (LookupError, ValueError, TypeError) as exc:
        raise Http404(str(exc)) from None
    return JsonResponse(detail, json_dumps_params={"allow_nan": False})


def _read(path: Path, first: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(first)
        remaining = length
        while remaining > 0:
            block = handle.read(min(_STREAM_BLOCK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


@staff_member_required
@require_safe
def video_media(request: HttpRequest, video_id: int) -> HttpResponse:
    """The video file of ``video_id``, whole or a byte range (see module doc)."""
    video = get_object_or_404(Video.objects.only("id", "path"), pk=video_id)
    path = media_file(video)
    if path is None:
        raise Http404("no playable file for this video")
    size = path.stat().st_size
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        wanted = byte_range(request.headers.get("Range", ""), size)
    except UnsatisfiableRange:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if wanted is None:
            response = FileResponse(open(path, "rb"), content_type=content_type)
            response["Content-Length"] = str(size)
        else:
            first, last = wanted
            length = last - first + 1
            response = StreamingHttpResponse(_read(path, first, length), status=206, content_type=content_type)
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
            response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response
