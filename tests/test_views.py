"""The result viewer's views: login required, paging, JSON, media with HTTP ranges."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.models import ResultCollection, Video

pytestmark = pytest.mark.django_db

DATA = bytes(range(256)) * 4  # 1,024 bytes


@pytest.fixture
def stored(corpus: Any) -> ResultCollection:
    from esper_rekall.storage import save_collection

    ids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
    coll = DomainIntervalCollection(
        {vid: IntervalSet3D([Interval3D((100 * k, 100 * k + 50), (0.1, 0.3), (0.2, 0.5), payload=k) for k in range(vid % 3 + 1)]) for vid in ids}
    )
    return save_collection(coll, "views-collection", query_name="test")


@pytest.fixture
def staff_client(client: Any) -> Any:
    user = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def media_video(tmp_path: Path, corpus: Any) -> Video:
    root = tmp_path / "media"
    (root / "tvnews").mkdir(parents=True)
    (root / "tvnews" / "clip.mp4").write_bytes(DATA)
    (tmp_path / "secret.mp4").write_bytes(b"secret")
    video = Video.objects.order_by("pk").first()
    video.path = "tvnews/clip.mp4"
    video.save(update_fields=["path"])
    with override_settings(ESPER_REKALL_MEDIA_ROOT=str(root)):
        yield video


def _urls(collection_id: int, video_id: int) -> list[str]:
    return [
        reverse("esper_rekall_viewer:collections"),
        reverse("esper_rekall_viewer:collection", args=[collection_id]),
        reverse("esper_rekall_viewer:page_json", args=[collection_id]),
        reverse("esper_rekall_viewer:interval_json", args=[collection_id]) + "?key=1&i=0",
        reverse("esper_rekall_viewer:media", args=[video_id]),
    ]


def test_anonymous_users_are_redirected_to_login(client: Any, stored: ResultCollection) -> None:
    for url in _urls(stored.pk, 1):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_users_who_are_not_staff_are_redirected(client: Any, stored: ResultCollection) -> None:
    client.force_login(get_user_model().objects.create_user("plain", password="pw"))
    for url in _urls(stored.pk, 1):
        assert client.get(url).status_code == 302, url


def test_collection_list_shows_collections(staff_client: Any, stored: ResultCollection) -> None:
    response = staff_client.get(reverse("esper_rekall_viewer:collections"))
    assert response.status_code == 200
    assert "views-collection" in response.content.decode()
    assert reverse("esper_rekall_viewer:collection", args=[stored.pk]) in response.content.decode()


def test_collection_list_tells_the_truth_about_an_interrupted_run(staff_client: Any, db: None) -> None:
    from esper_rekall.models import ResultChunk

    run = ResultCollection.objects.create_run(name="killed", query_ref={}, chunks=[[1], [2]])
    ResultChunk.objects.filter(collection=run, index=0).update(state="done", num_intervals=804)
    ResultChunk.objects.filter(collection=run, index=1).update(state="interrupted")
    html = staff_client.get(reverse("esper_rekall_viewer:collections")).content.decode()
    row = re.search(r"<tr>\s*<td><a [^>]*>killed</a>.*?</tr>", html, re.S).group(0)
    assert "interrupted: 1 of 2 chunks did not finish; run `rekall_resume killed`" in row
    assert "<td>1/2</td>" in row and "<td>804</td>" in row
    assert html.count("<h1>") == 1  # the heading once


def test_collection_page_has_one_timeline_per_video_and_the_bounds_of_every_interval(staff_client: Any, stored: ResultCollection) -> None:
    response = staff_client.get(reverse("esper_rekall_viewer:collection", args=[stored.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    videos = response.context["data"]["videos"]
    assert sum(v["n"] for v in videos) == stored.num_intervals  # six videos fit on one page
    assert len(re.findall(r'class="er-canvas"', html)) == len(videos)
    assert "esper_rekall/viewer.js" in html and "esper_rekall/viewer.css" in html
    assert 'data-global-keys="1"' in html
    assert response.context["data"]["detail_url"] == reverse("esper_rekall_viewer:interval_json", args=[stored.pk])


def test_page_json_serves_the_same_page_data_or_its_html(staff_client: Any, stored: ResultCollection) -> None:
    page = staff_client.get(reverse("esper_rekall_viewer:collection", args=[stored.pk]))
    url = reverse("esper_rekall_viewer:page_json", args=[stored.pk])
    response = staff_client.get(url, {"page": 1})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert json.loads(response.content) == json.loads(json.dumps(page.context["data"]))
    rendered = staff_client.get(url, {"page": 1, "html": "1"}).json()
    assert (rendered["page"], rendered["num_pages"]) == (1, 1)
    assert rendered["html"].count('class="er-canvas"') == len(page.context["data"]["videos"])


def test_interval_json_serves_one_intervals_detail(staff_client: Any, stored: ResultCollection) -> None:
    video = staff_client.get(reverse("esper_rekall_viewer:page_json", args=[stored.pk])).json()["videos"][-1]
    url = reverse("esper_rekall_viewer:interval_json", args=[stored.pk])
    detail = staff_client.get(url, {"key": video["key"], "i": video["n"] - 1}).json()
    k = video["n"] - 1
    assert (detail["t"], detail["payload"], detail["boxes"]) == ([100 * k, 100 * k + 50], k, [[0.1, 0.2, 0.3, 0.5, str(k)]])
    for bad in ({"key": video["key"], "i": video["n"]}, {"key": video["key"], "i": "-1"}, {"key": "{", "i": 0},
                {"key": "999999999", "i": 0}, {"i": 0}):
        assert staff_client.get(url, bad).status_code == 404


@pytest.mark.parametrize("page", ["0", "2", "abc", "-1"])
def test_bad_or_missing_pages_are_404(staff_client: Any, stored: ResultCollection, page: str) -> None:
    for name in ("collection", "page_json"):
        url = reverse(f"esper_rekall_viewer:{name}", args=[stored.pk])
        assert staff_client.get(url, {"page": page}).status_code == 404


def test_unknown_collection_is_404(staff_client: Any, db: None) -> None:
    assert staff_client.get(reverse("esper_rekall_viewer:collection", args=[999_999])).status_code == 404


# -- media ------------------------------------------------------------------------------


def _media(client: Any, video: Video, **headers: str) -> Any:
    return client.get(reverse("esper_rekall_viewer:media", args=[video.pk]), headers=headers)


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_media_whole_file(staff_client: Any, media_video: Video) -> None:
    response = _media(staff_client, media_video)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(DATA))
    assert response["Content-Type"] == "video/mp4"
    assert _body(response) == DATA


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=10-19", 10, 19), ("bytes=1000-", 1000, 1023), ("bytes=-24", 1000, 1023), ("bytes=1000-5000", 1000, 1023), ("bytes=0-0", 0, 0)],
)
def test_media_range_is_206_with_content_range(staff_client: Any, media_video: Video, header: str, first: int, last: int) -> None:
    response = _media(staff_client, media_video, Range=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(DATA)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert _body(response) == DATA[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_range_is_416(staff_client: Any, media_video: Video, header: str) -> None:
    response = _media(staff_client, media_video, Range=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(DATA)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-1", "bytes=abc", "bytes=9-3"])
def test_range_we_do_not_serve_gets_the_whole_file(staff_client: Any, media_video: Video, header: str) -> None:
    response = _media(staff_client, media_video, Range=header)
    assert response.status_code == 200
    assert _body(response) == DATA


@pytest.mark.parametrize("path", ["../secret.mp4", "tvnews/../../secret.mp4", "/etc/passwd", "tvnews", "tvnews/missing.mp4", ""])
def test_paths_outside_the_media_root_or_not_files_are_404(staff_client: Any, media_video: Video, path: str) -> None:
    media_video.path = path
    media_video.save(update_fields=["path"])
    assert _media(staff_client, media_video).status_code == 404


def test_symlink_out_of_the_media_root_is_404(staff_client: Any, media_video: Video, tmp_path: Path) -> None:
    (tmp_path / "media" / "link.mp4").symlink_to(tmp_path / "secret.mp4")
    media_video.path = "link.mp4"
    media_video.save(update_fields=["path"])
    assert _media(staff_client, media_video).status_code == 404


def test_no_media_root_means_no_media(staff_client: Any, media_video: Video) -> None:
    with override_settings(ESPER_REKALL_MEDIA_ROOT=None):
        assert _media(staff_client, media_video).status_code == 404


def test_page_data_links_media_only_for_playable_videos(staff_client: Any, stored: ResultCollection, media_video: Video) -> None:
    data = staff_client.get(reverse("esper_rekall_viewer:page_json", args=[stored.pk])).json()
    srcs = {v["video_id"]: v["src"] for v in data["videos"]}
    assert srcs.pop(media_video.pk) == reverse("esper_rekall_viewer:media", args=[media_video.pk])
    assert set(srcs.values()) == {None}


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=999999999999999999999999-", 416),
        ("bytes=" + "9" * 5000 + "-", 416),
        ("bytes=0-9999999999999999999999", 206),
        ("bytes=-99999999999999999999999", 206),
        ("bytes=-" + "9" * 5000, 206),
        ("bytes=999999999999999999999999", 200),
    ],
)
def test_huge_range_positions_never_500(staff_client: Any, media_video: Video, header: str, status: int) -> None:
    response = _media(staff_client, media_video, Range=header)
    try:
        assert response.status_code == status
    finally:
        response.close()
