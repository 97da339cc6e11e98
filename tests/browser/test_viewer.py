"""The viewer and the results admin in a real browser (headless Chromium against ``live_server``).

Logs in through the admin login form, opens a stored collection, checks the
timeline (one segment per interval of the page), selection and its boxes,
keyboard navigation over intervals and pages, and playback of an interval
of a tiny mp4 made with ffmpeg (seek to ``t1 / fps``). Screenshots go to
``artifacts/``; with ``ESPER_REKALL_UPDATE_DOCS=1`` also to ``docs/`` for
the README tour.
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
    _wait(browser, lambda b: b.execute_script("return !!(document.querySelector('.er-viewer') || {}).dataset?.erHydrated"))

    data = _page_data(browser)
    segments = browser.find_elements(By.CSS_SELECTOR, ".er-seg")
    assert len(segments) == sum(len(v["intervals"]) for v in data["videos"]) == stored.num_intervals

    # Click the second interval of the first (playable) video: its boxes are drawn on the frame.
    target = browser.find_element(By.CSS_SELECTOR, '.er-seg[data-v="0"][data-i="1"]')
    target.click()
    assert "er-selected" in target.get_attribute("class")
    interval = data["videos"][0]["intervals"][1]
    boxes = browser.find_elements(By.CSS_SELECTOR, ".er-boxes .er-box")
    assert len(boxes) == len(interval["boxes"]) == 2
    frame = browser.find_element(By.CSS_SELECTOR, ".er-frame").rect
    assert abs(frame["width"] / frame["height"] - 16 / 9) < 0.02
    left = boxes[0].rect["x"] - frame["x"]
    assert abs(left / frame["width"] - interval["boxes"][0][0]) < 0.01

    # Playback: the clip seeks to t1 / fps and plays the interval.
    start = interval["t1"] / FPS
    _wait(browser, lambda b: b.execute_script("return document.querySelector('.er-viewer').dataset.seekedAt !== undefined"), 15)
    seeked_at = float(browser.execute_script("return document.querySelector('.er-viewer').dataset.seekedAt"))
    assert seeked_at == pytest.approx(start, abs=0.05)
    current = browser.execute_script("return document.querySelector('.er-player').currentTime")
    assert start - 0.05 <= current <= interval["t2"] / FPS + 0.3  # playing the interval, or paused at its end
    assert browser.execute_script("return document.querySelector('.er-player').hidden") is False
    _wait(browser, lambda b: b.execute_script("return document.querySelector('.er-player').paused"), 10)
    stopped = browser.execute_script("return document.querySelector('.er-player').currentTime")
    assert stopped == pytest.approx(interval["t2"] / FPS, abs=0.15)  # played the interval, then stopped
    _shot(browser, artifacts_dir, "viewer.png")

    # j: next interval.
    browser.find_element(By.TAG_NAME, "body").send_keys("j")
    assert browser.execute_script("return document.querySelector('.er-viewer').dataset.selected") == "0:2"
    assert len(browser.find_elements(By.CSS_SELECTOR, ".er-seg.er-selected")) == 1
    # k and the arrow keys go back.
    from selenium.webdriver.common.keys import Keys

    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    assert browser.execute_script("return document.querySelector('.er-viewer').dataset.selected") == "0:1"


def test_page_keys_fetch_other_pages(logged_in: Any, live_server: Any, db: None, artifacts_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    from esper_rekall.storage import save_collection

    coll = DomainIntervalCollection(
        {10_000 + d: IntervalSet3D([Interval3D((10 * i, 10 * i + 5), payload={"i": i}) for i in range(3)]) for d in range(30)}
    )
    collection = save_collection(coll, "thirty-domains")
    browser = logged_in
    browser.get(live_server.url + reverse("esper_rekall_viewer:collection", args=[collection.pk]))
    _wait(browser, lambda b: b.execute_script("return !!document.querySelector('.er-viewer[data-er-hydrated]')"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".er-video")) == 25
    browser.find_element(By.TAG_NAME, "body").send_keys("n")
    _wait(browser, lambda b: b.execute_script("const d = document.querySelector('.er-viewer').erViewer; return d && d.data.page === 2"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".er-video")) == 5
    assert browser.current_url.endswith("?page=2")
    assert browser.execute_script("return document.querySelector('.er-viewer').dataset.selected") == "0:0"
    browser.find_element(By.TAG_NAME, "body").send_keys("p")
    _wait(browser, lambda b: b.execute_script("const d = document.querySelector('.er-viewer').erViewer; return d && d.data.page === 1"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".er-seg")) == 75


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
