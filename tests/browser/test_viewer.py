"""The viewer and the results admin in a real browser (headless Chromium against ``live_server``).

Logs in through the admin login form, opens a stored collection, checks the
timelines (a canvas per video with a time axis in m:ss), clicking a segment
where it is drawn, its details fetched on demand (labelled boxes, the
nested faces as a table), keyboard navigation over intervals and pages,
zoom and click accuracy on a dense timeline, page size and time on a
collection with nested payloads, and playback of an interval of a tiny mp4
made with ffmpeg (seek to ``t1 / fps``). Screenshots go to ``artifacts/``;
with ``ESPER_REKALL_UPDATE_DOCS=1`` also to ``docs/`` for the README tour.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.models import ResultCollection, Video

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FPS = 30
CLIP_SECONDS = 6
DOCS = Path(__file__).resolve().parents[2] / "docs"
PASSWORD = "viewer-test-password"


def _clip(directory: Path) -> Path:
    """A 6-second 320x180 H.264 mp4 at 30 fps (ffmpeg's test pattern)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.fail("ffmpeg is needed to make the test video (apt-get install ffmpeg)")
    target = directory / "tvnews" / "clip.mp4"
    target.parent.mkdir(parents=True)
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size=320x180:rate={FPS}", "-t", str(CLIP_SECONDS),
         "-pix_fmt", "yuv420p", "-c:v", "libx264", "-movflags", "+faststart", str(target)],
        check=True,
    )
    return target


def _shot(browser: Any, artifacts_dir: Path, name: str) -> None:
    browser.save_screenshot(str(artifacts_dir / name))
    if os.environ.get("ESPER_REKALL_UPDATE_DOCS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(artifacts_dir / name, DOCS / name)


@pytest.fixture
def media_root(tmp_path: Path) -> Any:
    root = tmp_path / "media"
    _clip(root)
    with override_settings(ESPER_REKALL_MEDIA_ROOT=str(root)):
        yield root


@pytest.fixture
def stored(corpus: Any, media_root: Path) -> ResultCollection:
    """Frames-with-faces-like intervals on the corpus videos; the first video plays the clip."""
    from esper_rekall.storage import save_collection

    videos = list(Video.objects.order_by("pk"))
    first = videos[0]
    first.path, first.fps, first.num_frames = "tvnews/clip.mp4", FPS, FPS * CLIP_SECONDS
    first.save(update_fields=["path", "fps", "num_frames"])
    grouped = {}
    for v in videos:
        step = v.num_frames // 8
        grouped[v.pk] = IntervalSet3D(
            [
                Interval3D(
                    (k * step, k * step + step // 2),
                    payload=IntervalSet3D(
                        [
                            Interval3D((k * step, k * step + 1), (0.10, 0.25), (0.20, 0.50), payload=f"face {k}a"),
                            Interval3D((k * step, k * step + 1), (0.60, 0.75), (0.22, 0.52), payload=f"face {k}b"),
                        ]
                    ),
                )
                for k in range(1, 4 + v.pk % 3)
            ]
        )
    return save_collection(DomainIntervalCollection(grouped), "browser-faces", query_name="frames_with_faces")


@pytest.fixture
def logged_in(browser: Any, live_server: Any) -> Any:
    from selenium.webdriver.common.by import By

    get_user_model().objects.create_user("viewer", password=PASSWORD, is_staff=True, is_superuser=True)
    browser.delete_all_cookies()
    browser.get(live_server.url + reverse("admin:login"))
    browser.find_element(By.NAME, "username").send_keys("viewer")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    _wait(browser, lambda b: b.find_elements(By.ID, "user-tools"))  # the login POST has been answered
    yield browser
    # Stop the page (video range requests, favicon) before live_server's database goes away.
    browser.execute_script("document.querySelectorAll('video').forEach(v => { v.pause(); v.removeAttribute('src'); v.load(); })")
    browser.get("about:blank")
    time.sleep(0.3)


def _wait(browser: Any, condition: Any, timeout: float = 10) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(condition)


def _page_data(browser: Any) -> dict[str, Any]:
    return browser.execute_script("return document.querySelector('.er-viewer').erViewer.data")


def _times(browser: Any, v: int) -> tuple[list[float], list[float]]:
    """Video ``v``'s decoded interval bounds, as the viewer drew them."""
    return tuple(browser.execute_script(
        f"const t = document.querySelector('.er-viewer').erViewer.data.videos[{v}].times; return [Array.from(t.t1), Array.from(t.t2)]"
    ))


def _selected(browser: Any) -> str:
    return browser.execute_script("return document.querySelector('.er-viewer').dataset.selected")


def _click_interval(browser: Any, v: int, i: int) -> None:
    """A real mouse click at the middle of interval ``i`` as video ``v``'s canvas draws it (at its current zoom)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = browser.find_element(By.CSS_SELECTOR, f'.er-canvas[data-v="{v}"]')
    view = browser.execute_script(f"return document.querySelector('.er-viewer').erViewer.data.videos[{v}].view")
    t1, t2 = (bounds[i] for bounds in _times(browser, v))
    width = canvas.rect["width"]
    x = ((t1 + t2) / 2 - view[0]) / (view[1] - view[0]) * width
    ActionChains(browser).move_to_element_with_offset(canvas, round(x - width / 2), 0).click().perform()


def _hydrated(browser: Any) -> Any:
    return _wait(browser, lambda b: b.execute_script("return !!document.querySelector('.er-viewer[data-er-hydrated]')"))


def test_anonymous_browser_is_sent_to_login(browser: Any, live_server: Any, db: None) -> None:
    browser.delete_all_cookies()
    browser.get(live_server.url + reverse("esper_rekall_viewer:collections"))
    assert "/admin/login/" in browser.current_url


def test_viewer_timeline_selection_keys_and_playback(
    logged_in: Any, live_server: Any, stored: ResultCollection, artifacts_dir: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser = logged_in
    browser.get(live_server.url + reverse("esper_rekall_viewer:collections"))
    browser.find_element(By.LINK_TEXT, "browser-faces").click()
    _hydrated(browser)

    data = _page_data(browser)
    assert len(browser.find_elements(By.CSS_SELECTOR, "canvas.er-canvas")) == len(data["videos"])
    assert sum(v["n"] for v in data["videos"]) == stored.num_intervals
    assert not browser.find_elements(By.CSS_SELECTOR, ".er-seg")  # no element per interval
    # The time axis: m:ss ticks from the video's fps (the clip: 6 s at 30 fps).
    ticks = [t.text for t in browser.find_elements(By.CSS_SELECTOR, '.er-axis[data-v="0"] .er-tick')]
    assert ticks[0] == "0:00" and "0:05" in ticks and all(":" in t for t in ticks)
    assert "180 frames · 0:06 at 30 fps · ▶ playable" in browser.find_element(By.CSS_SELECTOR, ".er-video").text

    # Click the second interval of the first (playable) video: its labelled boxes are drawn on the frame.
    _click_interval(browser, 0, 1)
    assert _selected(browser) == "0:1"
    _wait(browser, lambda b: b.execute_script("return document.querySelector('.er-viewer').dataset.detailFor") == "0:1")
    boxes = browser.find_elements(By.CSS_SELECTOR, ".er-boxes .er-box")
    assert [b.text for b in boxes] == ["face 2a", "face 2b"]  # interval 1 is k = 2
    frame = browser.find_element(By.CSS_SELECTOR, ".er-frame").rect
    assert abs(frame["width"] / frame["height"] - 16 / 9) < 0.02
    left = boxes[0].rect["x"] - frame["x"]
    assert abs(left / frame["width"] - 0.10) < 0.01
    table = browser.find_element(By.CSS_SELECTOR, ".er-info .er-table").text
    assert "face 2a" in table and "face 2b" in table  # the nested faces, one row each
    t1s, t2s = _times(browser, 0)
    assert "frames " + f"{t1s[1]:g}–{t2s[1]:g}" in browser.find_element(By.CSS_SELECTOR, ".er-info").text

    # Playback: the clip seeks to t1 / fps and plays the interval.
    start = t1s[1] / FPS
    _wait(browser, lambda b: b.execute_script("return document.querySelector('.er-viewer').dataset.seekedAt !== undefined"), 15)
    seeked_at = float(browser.execute_script("return document.querySelector('.er-viewer').dataset.seekedAt"))
    assert seeked_at == pytest.approx(start, abs=0.05)
    current = browser.execute_script("return document.querySelector('.er-player').currentTime")
    assert start - 0.05 <= current <= t2s[1] / FPS + 0.3  # playing the interval, or paused at its end
    assert browser.execute_script("return document.querySelector('.er-player').hidden") is False
    _wait(browser, lambda b: b.execute_script("return document.querySelector('.er-player').paused"), 10)
    stopped = browser.execute_script("return document.querySelector('.er-player').currentTime")
    assert stopped == pytest.approx(t2s[1] / FPS, abs=0.15)  # played the interval, then stopped
    _shot(browser, artifacts_dir, "viewer.png")

    # j: next interval.
    browser.find_element(By.TAG_NAME, "body").send_keys("j")
    assert _selected(browser) == "0:2"
    # k and the arrow keys go back.
    from selenium.webdriver.common.keys import Keys

    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    assert _selected(browser) == "0:1"
    # A video without a file says so instead of showing a black frame.
    _click_interval(browser, 1, 0)
    assert browser.find_element(By.CSS_SELECTOR, ".er-nofile").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, ".er-nofile").text == "no video file"


def test_zoom_makes_one_frame_segments_of_a_dense_timeline_clickable(logged_in: Any, live_server: Any, db: None) -> None:
    from selenium.webdriver.common.by import By

    from esper_rekall.storage import save_collection

    # 3,000 one-frame intervals two frames apart: about 0.2 px each on an 800-px timeline.
    coll = DomainIntervalCollection({42: IntervalSet3D([Interval3D((2 * i, 2 * i + 1), payload=i) for i in range(3_000)])})
    collection = save_collection(coll, "dense")
    browser = logged_in
    browser.get(live_server.url + reverse("esper_rekall_viewer:collection", args=[collection.pk]))
    _hydrated(browser)
    body = browser.find_element(By.TAG_NAME, "body")
    _click_interval(browser, 0, 1_500)
    assert abs(int(_selected(browser).split(":")[1]) - 1_500) <= 10  # unzoomed: within a few pixels
    for _ in range(3):
        body.send_keys("+")  # 64x around the selection
    assert browser.execute_script("return document.querySelector('.er-viewer').dataset.zoom") == "64"
    assert browser.find_element(By.CSS_SELECTOR, ".er-axis").get_attribute("data-zoomed") == "1"
    selected = int(_selected(browser).split(":")[1])
    for target in (selected - 3, selected + 2, selected + 5):
        _click_interval(browser, 0, target)
        assert _selected(browser) == f"0:{target}"
    _wait(browser, lambda b: b.execute_script("return document.querySelector('.er-viewer').dataset.detailFor") == f"0:{target}")
    assert f"payload: {target}" in browser.find_element(By.CSS_SELECTOR, ".er-info").text
    body.send_keys("0")
    assert browser.execute_script("return document.querySelector('.er-viewer').dataset.zoom") == "1"


def test_pages_of_a_collection_with_nested_payloads_are_small_and_fast(
    logged_in: Any, live_server: Any, db: None, artifacts_dir: Path
) -> None:
    """50 videos x 700 frames with two faces each (the demo's size per video): pages <= 300 KB; next page <= 300 ms."""
    from selenium.webdriver.common.by import By

    from esper_rekall.storage import save_collection

    def frame(k: int) -> Interval3D:
        faces = IntervalSet3D(
            [Interval3D((90 * k, 90 * k + 89.91), (0.1 + 0.3 * f, 0.3 + 0.3 * f), (0.2, 0.5), payload=1_000_000 + 10 * k + f)
             for f in range(2)]
        )
        return Interval3D((90 * k, 90 * k + 89.91), payload=faces)

    coll = DomainIntervalCollection({10_000 + d: IntervalSet3D([frame(k) for k in range(700)]) for d in range(50)})
    collection = save_collection(coll, "fifty-videos-with-faces")
    browser = logged_in
    browser.get(live_server.url + reverse("esper_rekall_viewer:collection", args=[collection.pk]))
    _hydrated(browser)
    size = browser.execute_script("return performance.getEntriesByType('navigation')[0].encodedBodySize")
    assert size <= 300 * 1024, size
    assert len(browser.find_elements(By.CSS_SELECTOR, ".er-video")) == 25
    assert len(browser.find_elements(By.CSS_SELECTOR, "canvas.er-canvas")) == 25
    browser.find_element(By.TAG_NAME, "body").send_keys("n")
    _wait(browser, lambda b: b.execute_script("const d = document.querySelector('.er-viewer').erViewer; return d && d.data.page === 2"))
    elapsed = float(browser.execute_script("return document.querySelector('.er-viewer').dataset.loadedInMs"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".er-video")) == 25
    assert browser.current_url.endswith("?page=2")
    assert _selected(browser) == "0:0"
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('page.json')).map(e => e.encodedBodySize)"
    )
    assert fetched and max(fetched) <= 300 * 1024
    server = browser.execute_script(
        "const e = performance.getEntriesByType('resource').filter(e => e.name.includes('page.json')).pop();"
        "return [e.responseStart - e.requestStart, e.responseEnd - e.responseStart]"
    )
    print(f"next page: {elapsed:.0f} ms in the browser, server {server[0]:.0f} ms, transfer {server[1]:.0f} ms")
    assert elapsed <= 300, f"next page took {elapsed:.0f} ms (server {server[0]:.0f} ms)"
    browser.find_element(By.TAG_NAME, "body").send_keys("p")
    _wait(browser, lambda b: b.execute_script("const d = document.querySelector('.er-viewer').erViewer; return d && d.data.page === 1"))
    assert sum(v["n"] for v in _page_data(browser)["videos"]) == 25 * 700


def test_admin_results_pages(logged_in: Any, live_server: Any, stored: ResultCollection, artifacts_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    from esper_rekall.models import ResultChunk

    failed = ResultCollection.objects.create_run(
        name="hosts-partial", query_ref={}, chunks=[[1, 2], [3], [4]], query_name="host_minus_commercials", runtime="processes"
    )
    ResultChunk.objects.filter(collection=failed, index__in=[0, 1]).update(state="done", num_intervals=180)
    ResultChunk.objects.filter(collection=failed, index=2).update(state="failed", error="RuntimeError: video 4 is broken")
    ResultCollection.objects.finalize(failed.pk)
    browser = logged_in
    browser.get(live_server.url + reverse("admin:esper_rekall_resultcollection_changelist"))
    if browser.find_elements(By.CSS_SELECTOR, "#nav-sidebar[aria-expanded=true], .toggle-nav-sidebar[aria-expanded=true]"):
        browser.find_element(By.ID, "toggle-nav-sidebar").click()
    text = browser.find_element(By.ID, "result_list").text
    assert "browser-faces" in text and "2/3 chunks, 1 failed" in text
    _shot(browser, artifacts_dir, "admin-results.png")
    browser.find_element(By.LINK_TEXT, "browser-faces").click()
    assert "chunks" in browser.page_source.lower()
    browser.set_window_size(1400, 1300)
    _shot(browser, artifacts_dir, "admin-collection.png")
    browser.set_window_size(1400, 900)
    browser.find_element(By.LINK_TEXT, "view").click()
    _wait(browser, lambda b: b.execute_script("return !!document.querySelector('.er-viewer[data-er-hydrated]')"))
