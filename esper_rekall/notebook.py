"""Show query results in a Jupyter notebook with the web viewer's renderer.

Provides:
    display_result(collection, results_per_page=25, ...): a ``ResultView``
        that Jupyter displays (``_repr_html_``): pages of videos with their
        timelines, the payload on hover, the boxes of the selected interval,
        keyboard navigation between intervals (j/k, arrows) and pages (n/p,
        PageDown/PageUp), and playback where a video has a playable URL.
    ResultView: the displayed object (``html``, ``page_url``, ``to_html``,
        ``close``).
    PageServer, page_server(): the kernel's page server (see below).

One implementation, two hosts: the markup is
``esper_rekall.viewer.render_page`` of ``page_data_from_collection`` with
the viewer's CSS and JS inlined, exactly what the Django viewer serves.

Only one page is ever embedded, so showing a collection of a million
intervals costs one page of them. The other pages are served by a small
HTTP server in the kernel (a daemon thread, started on first use, bound to
``127.0.0.1`` on a free port): ``GET /er/<token>?page=N`` answers
``{"html": ...}``, the page re-rendered, which ``viewer.js`` swaps in
(``data-page-url``). ``<token>`` is random per displayed collection; the
server keeps the ``max_results`` most recently displayed collections and
answers 404 for others. Pages reflect the collection as it is when asked.

Fallback: the page server is reachable from a browser on the kernel's
machine (JupyterLab on a laptop, a static HTML file). When the browser is
elsewhere (a remote JupyterHub), the next-page key cannot reach it: show
another page with ``display_result(coll, page=N)``, or serve the results
from the Django viewer (``run(..., save_as=...)``).

Videos: with Django set up and integer domain keys (video ids), each page's
``Video`` rows are read in one query for timeline lengths (``num_frames``),
``fps`` (interval times in seconds on hover) and labels. A video is
playable when it has a URL: ``media_url`` (a prefix joined with
``Video.path``, or a function of the ``Video``), else a ``Video.path`` that
is already an ``http(s)://`` URL, else the file ``Video.path`` names under
``ESPER_REKALL_MEDIA_ROOT`` (as in the Django viewer), which the page server
streams with HTTP range requests at ``/er/<token>/media/<video id>`` for
the videos of that collection only.
"""

from __future__ import annotations

import json
import mimetypes
import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .intervals.collection import DomainIntervalCollection
from .viewer import PageOutOfRange, page_data_from_collection, render_page
from .viewer.pages import sorted_keys

__all__ = ["PageServer", "ResultView", "display_result", "page_server"]

MediaUrl = str | Callable[[Any], str | None] | None


def _django_ready() -> bool:
    if "django" not in sys.modules:
        return False
    from django.apps import apps

    return apps.ready


def _media_file(video: Any) -> Path | None:
    """The file of ``video`` under ``ESPER_REKALL_MEDIA_ROOT`` (the Django viewer's rule), or None."""
    from .media import media_file

    return media_file(video)


def _video_src(video: Any, media_url: MediaUrl, media_base: str | None) -> str | None:
    path = str(video.path or "")
    if callable(media_url):
        return media_url(video)
    if isinstance(media_url, str) and media_url and path:
        return media_url.rstrip("/") + "/" + path.lstrip("/")
    if path.startswith(("http://", "https://")):
        return path
    if media_base is not None and _media_file(video) is not None:
        return f"{media_base}/{video.pk}"
    return None


def _videos_meta(keys: list[Hashable], media_url: MediaUrl, media_base: str | None) -> dict[Hashable, dict[str, Any]]:
    """``{video id: meta}`` for the integer keys among ``keys``, in one query (needs Django)."""
    ids = [k for k in keys if isinstance(k, int) and not isinstance(k, bool)]
    if not ids or not _django_ready():
        return {}
    from .models import Video

    return {
        video.pk: {
            "video_id": video.pk,
            "label": f"video {video.pk} · {video.path}",
            "num_frames": video.num_frames,
            "fps": video.fps,
            "src": _video_src(video, media_url, media_base),
        }
        for video in Video.objects.filter(pk__in=ids).only("id", "path", "num_frames", "fps")
    }


class _Entry:
    """A displayed collection and how to render its pages."""

    def __init__(
        self,
        coll: DomainIntervalCollection,
        per_page: int,
        title: str | None,
        videos_meta: Mapping[Hashable, Mapping[str, Any]] | None,
        media_url: MediaUrl,
    ) -> None:
        self.coll = coll
        self.per_page = per_page
        self.title = title
        self.videos_meta = videos_meta
        self.media_url = media_url
        self._keys: list[Hashable] | None = None
        self._keys_of: tuple[int, int] | None = None

    def page_keys(self, page: int) -> list[Hashable]:
        shape = (len(self.coll), len(self.coll.columns))
        if self._keys is None or self._keys_of != shape:  # re-sort only if the collection changed
            self._keys, self._keys_of = sorted_keys(self.coll.keys()), shape
        return self._keys[(page - 1) * self.per_page : page * self.per_page]

    def page_data(self, page: int, page_url: str | None) -> dict[str, Any]:
        if self.videos_meta is not None:
            meta: Mapping[Hashable, Mapping[str, Any]] = self.videos_meta
        else:
            media_base = f"{page_url}/media" if page_url is not None else None
            meta = _videos_meta(self.page_keys(page) if page >= 1 else [], self.media_url, media_base)
        return page_data_from_collection(
            self.coll, page, self.per_page, meta, title=self.title, page_url=page_url
        )


class PageServer:
    """Serves pages of displayed collections to the viewer, from a daemon thread.

    Binds ``127.0.0.1`` on ``port`` (0: a free port). ``register`` returns a
    random token; ``GET /er/<token>?page=N`` returns ``{"html": <page N>}``
    with ``Access-Control-Allow-Origin: *`` (the notebook's origin differs
    from the server's; the unguessable token is the credential). Keeps the
    ``max_results`` most recently registered collections.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, max_results: int = 16) -> None:
        if max_results < 1:
            raise ValueError(f"max_results must be >= 1, got {max_results!r}")
        self.max_results = max_results
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="esper-rekall-pages", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def register(self, entry: _Entry) -> str:
        """Serve ``entry``'s pages; returns its token."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._entries[token] = entry
            while len(self._entries) > self.max_results:
                self._entries.popitem(last=False)
        return token

    def unregister(self, token: str) -> None:
        """Stop serving a collection (unknown tokens are ignored)."""
        with self._lock:
            self._entries.pop(token, None)

    def url(self, token: str) -> str:
        """The page URL of a token (``?page=N`` is appended by the viewer)."""
        return f"{self.base_url}/er/{token}"

    def get(self, token: str) -> _Entry | None:
        with self._lock:
            return self._entries.get(token)

    def shut_down(self) -> None:
        """Stop the server thread."""
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler_for(server: PageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep the kernel's output clean
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self) -> None:  # noqa: N802 - CORS / private-network preflight
            self.send_response(204)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "GET")
            self.send_header("Access-Control-Allow-Headers", "Accept")
            self.send_header("Access-Control-Allow-Private-Network", "true")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            segments = parts.path.strip("/").split("/")
            if len(segments) not in (2, 4) or segments[0] != "er":
                return self._send(404, {"error": "not found"})
            token = segments[1]
            entry = server.get(token)
            if entry is None:
                return self._send(404, {"error": "unknown or expired result; display it again"})
            if len(segments) == 4:
                if segments[2] != "media" or not segments[3].isdigit():
                    return self._send(404, {"error": "not found"})
                try:
                    return self._send_media(entry, int(segments[3]))
                finally:
                    _close_thread_connections()
            raw = parse_qs(parts.query).get("page", ["1"])[0]
            try:
                page = int(raw)
            except ValueError:
                return self._send(400, {"error": f"page must be an integer, got {raw!r}"})
            try:
                data = entry.page_data(page, server.url(token))
                html = render_page(data, include_assets=False)
            except PageOutOfRange as error:
                return self._send(404, {"error": str(error)})
            finally:
                _close_thread_connections()
            return self._send(200, {"html": html, "page": page, "num_pages": data["num_pages"]})

        def _send_media(self, entry: _Entry, video_id: int) -> None:
            """The video file of a video of this collection, with single-range requests (``206``)."""
            if video_id not in entry.coll or not _django_ready():
                return self._send(404, {"error": "no such video in this result"})
            from .media import UnsatisfiableRange, byte_range
            from .models import Video

            video = Video.objects.filter(pk=video_id).first()
            path = _media_file(video) if video is not None else None
            if path is None:
                return self._send(404, {"error": "no playable file for this video"})
            size = path.stat().st_size
            try:
                wanted = byte_range(self.headers.get("Range", ""), size)
            except UnsatisfiableRange:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                return
            first, last = wanted or (0, size - 1)
            status = 200 if wanted is None else 206
            self.send_response(status)
            self.send_header("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            self.send_header("Content-Length", str(last - first + 1))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Access-Control-Allow-Origin", "*")
            if status == 206:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.end_headers()
            with path.open("rb") as f:
                f.seek(first)
                remaining = last - first + 1
                while remaining > 0:
                    block = f.read(min(_BLOCK, remaining))
                    if not block:
                        break
                    self.wfile.write(block)
                    remaining -= len(block)

    return Handler


_BLOCK = 64 * 1024


def _close_thread_connections() -> None:
    """Close this thread's database connections (Django keeps one per thread)."""
    if _django_ready():
        from django.db import connections

        for connection in connections.all(initialized_only=True):
            connection.close()


_server: PageServer | None = None
_server_lock = threading.Lock()


def page_server() -> PageServer:
    """The kernel's page server, started on first use."""
    global _server
    with _server_lock:
        if _server is None:
            _server = PageServer()
        return _server


class ResultView:
    """One displayed collection: its first page's HTML and where its other pages are served.

    Jupyter shows it through ``_repr_html_``; ``to_html()`` is a standalone
    HTML document (assets inlined) of the same page.

    Attributes:
        page: the page shown (1-based).
        page_url: where ``viewer.js`` fetches the other pages (None when not served).
        num_pages: number of pages.
    """

    def __init__(self, entry: _Entry, page: int, token: str | None, server: PageServer | None) -> None:
        self._entry = entry
        self._token = token
        self._server = server
        self.page = page
        self.page_url = server.url(token) if server is not None and token is not None else None
        self._data = entry.page_data(page, self.page_url)
        self.num_pages = self._data["num_pages"]
        self.html = render_page(self._data, include_assets=True)

    @property
    def page_data(self) -> dict[str, Any]:
        """The embedded page's data (see ``esper_rekall.viewer.pages``)."""
        return self._data

    def _repr_html_(self) -> str:
        return self.html

    def to_html(self) -> str:
        """A standalone HTML document of the shown page, keys active on the whole page."""
        body = render_page(self._data, include_assets=True, global_keys=True)
        title = self._data.get("title") or "esper_rekall results"
        return (
            '<!doctype html>\n<html><head><meta charset="utf-8">'
            f"<title>{_escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
        )

    def close(self) -> None:
        """Stop serving the other pages of this result."""
        if self._server is not None and self._token is not None:
            self._server.unregister(self._token)
            self.page_url = None

    def __repr__(self) -> str:
        return (
            f"<ResultView page {self.page} of {self.num_pages}: {len(self._entry.coll)} domains, "
            f"{len(self._entry.coll.columns)} intervals, pages at {self.page_url}>"
        )


def _escape(text: str) -> str:
    import html

    return html.escape(str(text), quote=True)


def display_result(
    collection: DomainIntervalCollection,
    results_per_page: int = 25,
    *,
    page: int = 1,
    title: str | None = None,
    videos_meta: Mapping[Hashable, Mapping[str, Any]] | None = None,
    media_url: MediaUrl = None,
    serve: bool = True,
) -> ResultView:
    """Show a collection in the notebook, one page of videos at a time.

    Works on any in-memory ``DomainIntervalCollection`` (saved or not).
    Make it the last expression of a cell, or pass it to
    ``IPython.display.display``.

    Args:
        collection: the result to show.
        results_per_page: domains (videos) per page.
        page: the page to show first (1-based).
        title: heading (default ``"DomainIntervalCollection"``).
        videos_meta: ``{key: {"num_frames", "fps", "src", "label"}}``; by
            default read from ``Video`` for integer keys when Django is set up
            (``{}`` turns that off).
        media_url: makes videos playable: a URL prefix for ``Video.path``, or
            ``video -> URL``.
        serve: serve the other pages from the kernel's page server; without
            it only ``page`` is shown and the pager is inert.

    Returns:
        A ``ResultView``.

    Raises:
        TypeError: ``collection`` is not a ``DomainIntervalCollection``.
        ValueError: ``results_per_page`` < 1.
        PageOutOfRange: ``page`` is not a page of the collection.

    Cost: O(domains log domains) to order the domains, O(intervals on the page) to render.
    """
    if not isinstance(collection, DomainIntervalCollection):
        raise TypeError(f"display_result shows a DomainIntervalCollection, got {type(collection).__name__}")
    if isinstance(results_per_page, bool) or not isinstance(results_per_page, int) or results_per_page < 1:
        raise ValueError(f"results_per_page must be an integer >= 1, got {results_per_page!r}")
    entry = _Entry(collection, results_per_page, title, videos_meta, media_url)
    server = page_server() if serve else None
    token = server.register(entry) if server is not None else None
    try:
        return ResultView(entry, page, token, server)
    except Exception:
        if server is not None and token is not None:
            server.unregister(token)
        raise
