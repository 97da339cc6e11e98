"""Render page data (see :mod:`.pages`) to the viewer's HTML. Pure: no Django.

Provides:
    render_page(page_data, *, include_assets, global_keys=False): the markup
        of one page: a header with the pager, one timeline per video with a
        segment per interval (positioned by ``t1``/``t2`` over the video's
        length, payload on hover), a 16:9 frame panel for the selected
        interval's boxes and video, and the page data itself in a
        ``<script type="application/json">`` tag that ``viewer.js`` hydrates
        (keyboard, selection, boxes, playback, fetching other pages).
    asset_tags(): the ``<style>`` and ``<script>`` tags inlining
        ``viewer.css`` and ``viewer.js``, for hosts without static files
        (notebooks).
    json_script(data): JSON safe to embed in HTML.

The same function renders the Django viewer, its JSON endpoint's ``html``
and ``DomainIntervalCollection._repr_html_`` in a notebook.
"""

from __future__ import annotations

import html
import itertools
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["STATIC_DIR", "asset_tags", "json_script", "render_page"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "esper_rekall"
_MIN_SEGMENT_PERCENT = 0.15
_ids = itertools.count(1)

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def json_script(data: Any) -> str:
    """``data`` as JSON with ``<``, ``>``, ``&`` escaped, safe inside a ``<script>`` element."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).translate(_JSON_ESCAPES)


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def asset_tags() -> str:
    """Inline ``<style>``/``<script>`` tags with the viewer's CSS and JS."""
    # viewer.js guards against being run twice, so several cells may inline it.
    return f"<style>{_asset('viewer.css')}</style>\n<script>{_asset('viewer.js')}</script>\n"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def _segment(vi: int, ii: int, interval: dict[str, Any], length: float) -> str:
    t1, t2 = interval["t1"], interval["t2"]
    if not isinstance(t1, (int, float)) or not isinstance(t2, (int, float)) or length <= 0:
        left, width = 0.0, 100.0
    else:
        left = min(max(t1 / length * 100.0, 0.0), 100.0)
        width = max(min((t2 - t1) / length * 100.0, 100.0 - left), _MIN_SEGMENT_PERCENT)
    return (
        f'<span class="er-seg" data-v="{vi}" data-i="{ii}" '
        f'style="left:{_pct(left)}%;width:{_pct(width)}%" title="{_e(interval.get("title", ""))}"></span>'
    )


def _video(vi: int, video: dict[str, Any]) -> str:
    length = video.get("length") or 1
    intervals = video.get("intervals", [])
    facts = [f"{len(intervals):,} interval{'s' if len(intervals) != 1 else ''}"]
    if isinstance(length, (int, float)):
        facts.append(f"{length:,} frames" if video.get("fps") else f"t up to {length:,}")
    if video.get("src"):
        facts.append("▶ playable")
    segments = "".join(_segment(vi, ii, interval, float(length)) for ii, interval in enumerate(intervals))
    return (
        f'<li class="er-video" data-v="{vi}">'
        f'<div class="er-video-label"><span class="er-video-name">{_e(video.get("label", ""))}</span> '
        f'<small>{_e(" · ".join(facts))}</small></div>'
        f'<div class="er-timeline">{segments}</div></li>'
    )


def _pager(data: dict[str, Any]) -> str:
    page, num_pages = data.get("page", 1), data.get("num_pages")
    of = f" of {num_pages:,}" if num_pages else ""
    parts = [f'<span class="er-page">page {page:,}{of}</span>']
    if data.get("num_domains") is not None:
        parts.append(f'<span class="er-count">{data["num_domains"]:,} videos</span>')
    if data.get("num_intervals") is not None:
        parts.append(f'<span class="er-count">{data["num_intervals"]:,} intervals</span>')
    links = data.get("page_url") is not None
    for cls, label, enabled, target in (
        ("er-prev", "‹ previous", data.get("has_previous"), page - 1),
        ("er-next", "next ›", data.get("has_next"), page + 1),
    ):
        if enabled and links:
            parts.append(f'<a class="{cls}" href="?page={target}" data-page="{target}">{label}</a>')
        else:
            parts.append(f'<span class="{cls} er-disabled">{label}</span>')
    return " ".join(parts)


def render_page(page_data: dict[str, Any], *, include_assets: bool, global_keys: bool = False) -> str:
    """The viewer's HTML for one page of data (see :mod:`.pages` for its shape).

    Args:
        page_data: from ``page_data_from_collection`` or ``page_data_from_stored``.
        include_assets: inline the CSS and JS (notebooks); a Django page
            links them from static files instead.
        global_keys: listen for keys on the whole document (a standalone
            page) instead of only while the viewer has focus (a notebook).

    Returns:
        One ``<div class="er-viewer">`` (followed by the asset tags when asked).
    """
    uid = next(_ids)
    videos = page_data.get("videos", [])
    attrs = [f'class="er-viewer" id="er-viewer-{uid}" tabindex="0"']
    if page_data.get("page_url"):
        attrs.append(f'data-page-url="{_e(page_data["page_url"])}"')
    if global_keys:
        attrs.append('data-global-keys="1"')
    body = "".join(_video(vi, v) for vi, v in enumerate(videos)) or '<li class="er-empty">No intervals.</li>'
    out = [
        f"<div {' '.join(attrs)}>",
        f'<script type="application/json" class="er-page-data">{json_script(page_data)}</script>',
        f'<div class="er-header"><strong class="er-title">{_e(page_data.get("title", ""))}</strong> {_pager(page_data)}'
        '<span class="er-help">j/k or ←/→: interval · n/p or PgDn/PgUp: page · click a segment</span></div>',
        '<div class="er-body">',
        f'<ol class="er-videos">{body}</ol>',
        '<div class="er-detail"><div class="er-frame">'
        '<video class="er-player" muted playsinline preload="none" hidden></video>'
        '<div class="er-boxes"></div></div>'
        '<div class="er-info">Select an interval: click a segment, or press j.</div></div>',
        "</div></div>",
        # After the markup, so a document parsed in order has it when the script runs.
        asset_tags() if include_assets else "",
    ]
    return "\n".join(part for part in out if part)
