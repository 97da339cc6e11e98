"""Byte ranges of video files: one rule (``media.byte_range``) for both servers.

The Django viewer and the notebook's page server answer a ``Range`` header
the same way: same status, same ``Content-Range``, same bytes.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.media import UnsatisfiableRange, byte_range

SIZE = 1000
DATA = bytes(range(250)) * 4


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=10-19", (10, 19)),
        ("bytes=990-", (990, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=-5000", (0, 999)),
        (" bytes=0-0 ", (0, 0)),
    ],
)
def test_a_single_range_is_its_first_and_last_byte_capped_at_the_end(header: str, expected: tuple[int, int]) -> None:
    assert byte_range(header, SIZE) == expected


@pytest.mark.parametrize("header", ["", "bytes=", "bytes=-", "items=0-9", "bytes=0-9,20-29", "bytes=9-3", "bytes=a-"])
def test_a_malformed_multiple_or_backwards_range_means_the_whole_file(header: str) -> None:
    assert byte_range(header, SIZE) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=" + "9" * 5000 + "-", "bytes=-0"])
def test_a_range_past_the_end_or_of_no_bytes_is_unsatisfiable(header: str) -> None:
    with pytest.raises(UnsatisfiableRange):
        byte_range(header, SIZE)


def test_any_suffix_of_an_empty_file_is_unsatisfiable() -> None:
    with pytest.raises(UnsatisfiableRange):
        byte_range("bytes=-5", 0)


HEADERS = ["", "bytes=10-19", "bytes=990-", "bytes=-10", "bytes=9-3", "bytes=0-9,20-29", "bytes=1000-", "bytes=-0"]


def _notebook_answer(url: str, header: str) -> tuple[int, str | None, bytes]:
    request = urllib.request.Request(url, headers={"Range": header} if header else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Range"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Range"), b""


def _viewer_answer(client: Any, video_id: int, header: str) -> tuple[int, str | None, bytes]:
    response = client.get(reverse("esper_rekall_viewer:media", args=[video_id]), headers={"Range": header} if header else {})
    body = b"".join(response.streaming_content) if response.streaming else b""
    response.close()
    return response.status_code, response.get("Content-Range"), body if response.status_code < 400 else b""


@pytest.mark.django_db(transaction=True)
def test_the_viewer_and_the_notebook_page_server_answer_every_range_alike(
    corpus: Any, client: Any, tmp_path: Path, settings: Any
) -> None:
    from esper_rekall.models import Video
    from esper_rekall.notebook import display_result

    video = Video.objects.order_by("id").first()
    (tmp_path / video.path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / video.path).write_bytes(DATA)
    settings.ESPER_REKALL_MEDIA_ROOT = str(tmp_path)
    client.force_login(get_user_model().objects.create_user("staff", password="pw", is_staff=True))
    view = display_result(DomainIntervalCollection({video.pk: IntervalSet3D([Interval3D((0, 30))])}))
    src = view.page_data["videos"][0]["src"]
    answers = {h: (_viewer_answer(client, video.pk, h), _notebook_answer(src, h)) for h in HEADERS}
    assert {h: viewer for h, (viewer, _) in answers.items()} == {h: notebook for h, (_, notebook) in answers.items()}
    assert answers["bytes=10-19"][0] == (206, f"bytes 10-19/{SIZE}", DATA[10:20])
    assert answers["bytes=9-3"][0] == (200, None, DATA)
