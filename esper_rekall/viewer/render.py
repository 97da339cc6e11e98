"""Render page data (see :mod:`.pages`) to the viewer's HTML. Pure: no Django.

Provides:
    render_page(page_data, *, include_assets, global_keys=False): the markup
        of one page: a header with the pager (the run's status note, and a
        warning when the collection was computed on a different corpus),
        one row per video with its label, length and a timeline ``<canvas>``
        with a time-axis strip under it, a 16:9 frame panel for the selected
        interval's boxes and video, and the page data itself in a
        ``<script type="application/json">`` tag that ``viewer.js`` hydrates
        (draws the timelines and their axes, hover, selection, zoom, boxes,
        details fetched on demand, playback, other pages).
    asset_tags(): the ``<style>`` and ``<script>`` tags inlining
        ``viewer.css`` and ``viewer.js``, for hosts without static files
        (notebooks).
    json_script(data): JSON safe to embed in HTML.

The markup holds no element per interval: a page of 25 videos with 17,000
intervals is 25 canvases, drawn by the script from the compact bounds in
the page data. The same function renders the Django viewer, its JSON
endpoint's ``html`` and ``DomainIntervalCollection._repr_html_`` in a
notebook.
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
_ids = itertools.count(1)

_JSON_ESCAPES = ((">", "\\u003E"), ("<", "\\u003C"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def json_script(data: Any) -> str:
    """``data`` as JSON with ``<``, ``>``, ``&`` escaped, safe inside a ``<script>`` element."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for char, escaped in _JSON_ESCAPES:  # str.replace: a page's JSON is ~100 KB, translate() is char by char
        text = text.replace(char, escaped)
    return text


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def asset_tags() -> str:
    """Inline ``<style>``/``<script>`` tags with the viewer's CSS and JS."""
    # viewer.js guards against being run twice, so several cells may inline it.
    return f"<style>{_asset('viewer.css')}</style>\n<script>{_asset('viewer.js')}</script>\n"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _video(vi: int, video: dict[str, Any]) -> str:
    facts = [_plural(int(video.get("n", 0)), "interval"), str(video.get("length_text", ""))]
    facts.append("▶ playable" if video.get("src") else "no video file")
    return (
        f'<li class="er-video" data-v="{vi}">'
        f'<div class="er-video-label"><span class="er-video-name">{_e(video.get("label", ""))}</span> '
        f'<small>{_e(" · ".join(f for f in facts if f))}</small></div>'
        f'<div class="er-timeline"><canvas class="er-canvas" data-v="{vi}" height="18"></canvas></div>'
        f'<div class="er-axis" data-v="{vi}"></div></li>'
    )


def _pager(data: dict[str, Any]) -> str:
    page, num_pages = data.get("page", 1), data.get("num_pages")
    of = f" of {num_pages:,}" if num_pages else ""
    parts = [f'<span class="er-page">page {page:,}{of}</span>']
    if data.get("num_domains") is not None:
        parts.append(f'<span class="er-count">{_plural(data["num_domains"], "video")}</span>')
    if data.get("num_intervals") is not None:
        parts.append(f'<span class="er-count">{_plural(data["num_intervals"], "interval")}</span>')
    links = data.get("page_url") is not None
    for cls, label, enabled, target in (
        ("er-prev", "‹ previous", data.get("has_previous"), page - 1),
        ("er-next", "next ›", data.get("has_next"), page + 1),
    ):
        if enabled and links:
            parts.append(f'<a class="{cls}" href="?page={target}" data-page="{target}">{label}</a>')
        else:
            parts.append(f'<span class="{cls} er-disabled">{label}</span>')
    if data.get("note"):
        parts.append(f'<span class="er-note">{_e(data["note"])}</span>')
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
        '<span class="er-help">click a segment · j/k or ←/→: interval · +/−/0: zoom · n/p: page</span></div>',
        f'<div class="er-note er-warning" role="alert">⚠ {_e(page_data["warning"])}</div>' if page_data.get("warning") else "",
        '<div class="er-body">',
        f'<ol class="er-videos">{body}</ol>',
        '<div class="er-detail"><div class="er-frame">'
        '<video class="er-player" muted playsinline preload="none" hidden></video>'
        '<div class="er-nofile" hidden>no video file</div>'
        '<div class="er-boxes"></div></div>'
        '<div class="er-info">Select an interval: click a segment, or press j.</div></div>',
        "</div>",
        '<div class="er-tip" hidden></div>',
        "</div>",
        # After the markup, so a document parsed in order has it when the script runs.
        asset_tags() if include_assets else "",
    ]
    return "\n".join(part for part in out if part)
