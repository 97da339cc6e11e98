"""``display_result``: the web viewer's markup in a notebook, further pages from the kernel.

The browser tests write the HTML (assets inlined) to a file, open it in
headless Chromium and check what the viewer shows: one timeline segment per
interval of the first page, and the next-page key bringing page 2's videos
from the kernel's page server.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.intervals.columns import Columns
from esper_rekall.notebook import ResultView, display_result, page_server
from esper_rekall.viewer import PageOutOfRange
from tests.waiting import wait_for


def small_collection(domains: int = 7, per_domain: int = 3) -> DomainIntervalCollection:
    """``domains`` video-like domains, domain ``d`` with ``per_domain + d % 3`` intervals and nested boxes."""
    grouped = {}
    for d in range(domains):
        faces = IntervalSet3D([Interval3D((0, 10), (0.1, 0.3), (0.2, 0.5), payload=d)])
        grouped[100 + d] = IntervalSet3D(
            [Interval3D((20 * i, 20 * i + 10), payload=faces) for i in range(per_domain + d % 3)]
        )
    return DomainIntervalCollection(grouped)


def big_collection(intervals: int = 1_000_000, domains: int = 10_000) -> DomainIntervalCollection:
    per = intervals // domains
    t1 = np.tile(np.arange(per, dtype=np.int64) * 10, domains)
    dom = np.repeat(np.arange(domains, dtype=np.int64), per)
    n = len(t1)
    cols = Columns.from_bounds(t1, t1 + 5, np.zeros(n), np.ones(n), np.zeros(n), np.ones(n), [None] * n)
    return DomainIntervalCollection._build(list(range(domains)), cols, dom)


def fetch(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        return json.load(response)


def status_of(url: str | urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


def test_display_result_embeds_one_page_with_the_viewer_assets() -> None:
    view = display_result(small_collection(), results_per_page=3, videos_meta={})
    assert isinstance(view, ResultView)
    assert view._repr_html_() == view.html
    assert view.num_pages == 3
    assert [v["domain"] for v in view.page_data["videos"]] == [100, 101, 102]
    assert view.html.count('class="er-canvas"') == 3
    assert [v["n"] for v in view.page_data["videos"]] == [3, 4, 5]
    assert "EsperRekallViewer" in view.html and "<style>" in view.html
    assert f'data-page-url="{view.page_url}"' in view.html


def test_the_page_server_renders_other_pages_and_refuses_unknown_ones() -> None:
    view = display_result(small_collection(), results_per_page=3, videos_meta={})
    page3 = fetch(view.page_url + "?page=3")
    assert page3["page"] == 3 and page3["num_pages"] == 3
    assert 'data-page-url="' in page3["html"] and "EsperRekallViewer" not in page3["html"]  # assets already loaded
    assert page3["html"].count('class="er-canvas"') == 1  # domain 106 alone
    assert '"n":3' in page3["html"]
    assert [status_of(view.page_url + bad) for bad in ("?page=4", "?page=0", "?page=x")] == [404, 404, 400]
    url = view.page_url
    view.close()
    assert status_of(url + "?page=1") == 404
    assert status_of(page_server().url("not-a-token") + "?page=1") == 404


def test_display_result_is_fast_on_a_million_intervals() -> None:
    coll = big_collection()
    start = time.perf_counter()
    view = display_result(coll, results_per_page=25, videos_meta={})
    page2 = fetch(view.page_url + "?page=2")
    elapsed = time.perf_counter() - start
    assert view.num_pages == 400
    assert sum(v["n"] for v in view.page_data["videos"]) == 25 * 100
    assert page2["html"].count('class="er-canvas"') == 25
    assert len(view.html) < 2_000_000  # one page, not the collection
    assert elapsed < 2.0, f"display_result on 1M intervals took {elapsed:.2f} s"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"results_per_page": 0}, ValueError, "results_per_page must be an integer >= 1, got 0"),
        ({"page": 9}, PageOutOfRange, "page 9 is past the last page"),
    ],
)
def test_display_result_refuses_bad_arguments(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        display_result(small_collection(), videos_meta={}, **kwargs)


def test_display_result_refuses_what_is_not_a_collection() -> None:
    with pytest.raises(TypeError, match="got list"):
        display_result([1, 2, 3])  # type: ignore[arg-type]


@pytest.mark.django_db
def test_video_ids_get_their_video_rows_and_playable_urls(corpus: Any) -> None:
    from esper_rekall.models import Video

    video = Video.objects.order_by("id").first()
    coll = DomainIntervalCollection({video.pk: IntervalSet3D([Interval3D((0, 30))])})
    view = display_result(coll, media_url="https://media.example/")
    entry = view.page_data["videos"][0]
    assert entry["span"] == [0, video.num_frames] and entry["fps"] == video.fps
    assert entry["src"] == f"https://media.example/{video.path}"
    assert video.path in entry["label"]
    assert display_result(coll).page_data["videos"][0]["src"] is None


def segment_count(driver: Any) -> int:
    """Intervals the page's timelines draw (one canvas per video)."""
    return int(driver.execute_script(
        "const v = document.querySelector('.er-viewer'); "
        "return v.querySelectorAll('canvas.er-canvas').length && v.erViewer.data.videos.reduce((a, x) => a + x.times.t1.length, 0)"
    ))


def video_labels(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.er-viewer .er-video-name')).map(e => e.textContent)"
    )


@pytest.mark.browser
@pytest.mark.slow
def test_browser_draws_every_interval_and_the_next_page_key_shows_page_two(
    chrome: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    coll = small_collection(domains=7)
    view = display_result(coll, results_per_page=3, videos_meta={})
    page = tmp_path / "result.html"
    page.write_text(view.to_html(), encoding="utf-8")
    chrome.get(page.as_uri())

    first = [v["label"] for v in view.page_data["videos"]]
    assert video_labels(chrome) == first
    assert segment_count(chrome) == sum(v["n"] for v in view.page_data["videos"]) == 12

    # j selects the first interval and draws its face box
    chrome.find_element(By.TAG_NAME, "body").send_keys("j")
    wait_for(lambda: chrome.execute_script("return document.querySelector('.er-viewer').dataset.selected") == "0:0")
    assert chrome.execute_script("return document.querySelectorAll('.er-viewer .er-box').length") == 1

    chrome.find_element(By.TAG_NAME, "body").send_keys("n")
    expected = [f"video {k}" for k in (103, 104, 105)]
    wait_for(lambda: video_labels(chrome) == expected)
    assert segment_count(chrome) == 3 + 4 + 5  # domains 103, 104, 105


@pytest.mark.django_db(transaction=True)
def test_videos_under_the_media_root_play_from_the_page_server(corpus: Any, tmp_path: Path, settings: Any) -> None:
    from esper_rekall.models import Video

    video, other = Video.objects.order_by("id")[:2]
    data = bytes(range(256)) * 4
    (tmp_path / video.path).parent.mkdir(parents=True)
    (tmp_path / video.path).write_bytes(data)
    settings.ESPER_REKALL_MEDIA_ROOT = str(tmp_path)
    coll = DomainIntervalCollection({video.pk: IntervalSet3D([Interval3D((0, 30))])})
    view = display_result(coll)
    src = view.page_data["videos"][0]["src"]
    assert src == f"{view.page_url}/media/{video.pk}"
    with urllib.request.urlopen(src, timeout=10) as response:
        assert response.status == 200 and response.headers["Accept-Ranges"] == "bytes"
        assert response.read() == data
    request = urllib.request.Request(src, headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 206 and response.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        assert response.read() == data[10:20]
    assert status_of(f"{view.page_url}/media/{other.pk}") == 404  # not a video of this result
    assert status_of(urllib.request.Request(src, headers={"Range": "bytes=5000-"})) == 416
