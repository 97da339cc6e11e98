"""render_page: the viewer markup shared by Django and notebooks (pure: no database)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
from esper_rekall.viewer.pages import page_data_from_collection
from esper_rekall.viewer.render import json_script, render_page


def _coll() -> DomainIntervalCollection:
    faces = IntervalSet3D([Interval3D((0, 90), (0.1, 0.2), (0.3, 0.5), payload=1)])
    return DomainIntervalCollection(
        {
            7: IntervalSet3D([Interval3D((0, 90), payload=faces), Interval3D((250, 500), payload="b")]),
            3: IntervalSet3D([Interval3D((100, 200), (0.5, 0.6), (0.2, 0.4), payload={"x": "<b>"})]),
        }
    )


def _canvases(markup: str) -> list[str]:
    return re.findall(r'<canvas class="er-canvas"[^>]*>', markup)


def _data(markup: str) -> dict:
    raw = re.search(r'<script type="application/json" class="er-page-data">(.*?)</script>', markup, re.S).group(1)
    return json.loads(raw)


def test_one_canvas_and_axis_per_video_and_no_element_per_interval() -> None:
    coll = DomainIntervalCollection({1: IntervalSet3D([Interval3D((i, i + 1)) for i in range(2_000)]), 2: IntervalSet3D([Interval3D((0, 1))])})
    markup = render_page(page_data_from_collection(coll), include_assets=False)
    assert len(_canvases(markup)) == 2 and markup.count('class="er-axis"') == 2
    assert "er-seg" not in markup
    assert "2,000 intervals" in markup and "1 interval ·" in markup


def test_video_rows_say_their_length_and_whether_a_file_plays() -> None:
    data = page_data_from_collection(_coll(), videos_meta={7: {"num_frames": 1000, "fps": 25.0, "src": "/m/7/"}})
    markup = render_page(data, include_assets=False)
    assert "1,000 frames · 0:40 at 25 fps · ▶ playable" in markup
    assert "no video file" in markup


def test_status_note_is_shown_escaped() -> None:
    data = {**page_data_from_collection(_coll()), "note": "interrupted: run `rekall_resume <x>`"}
    assert '<span class="er-note">interrupted: run `rekall_resume &lt;x&gt;`</span>' in render_page(data, include_assets=False)


def test_page_data_is_embedded_as_json_and_round_trips() -> None:
    data = page_data_from_collection(_coll())
    assert _data(render_page(data, include_assets=False)) == json.loads(json.dumps(data))


def test_embedded_json_cannot_close_the_script_tag() -> None:
    text = json_script({"payload": "</script><script>alert(1)</script>"})
    assert "</script>" not in text and "<" not in text
    assert json.loads(text) == {"payload": "</script><script>alert(1)</script>"}


def test_payloads_are_inert_in_the_markup() -> None:
    markup = render_page(page_data_from_collection(_coll()), include_assets=False)
    assert "<b>" not in markup
    assert _data(markup)["videos"][0]["details"][0]["payload"] == {"x": "<b>"}


def test_assets_are_inlined_only_when_asked() -> None:
    data = page_data_from_collection(_coll())
    with_assets = render_page(data, include_assets=True)
    without = render_page(data, include_assets=False)
    assert "EsperRekallViewer" in with_assets and ".er-viewer" in with_assets and "<style>" in with_assets
    assert "<style>" not in without and "EsperRekallViewer" not in without


def test_page_url_adds_data_attribute_and_pager_links() -> None:
    data = page_data_from_collection(_coll(), per_page=1, page_url="/viewer/1/page.json")
    markup = render_page(data, include_assets=False)
    assert 'data-page-url="/viewer/1/page.json"' in markup
    assert '<a class="er-next" href="?page=2" data-page="2">' in markup
    assert 'class="er-prev er-disabled"' in markup


def test_without_page_url_there_are_no_links() -> None:
    markup = render_page(page_data_from_collection(_coll(), per_page=1), include_assets=False)
    assert "data-page-url" not in markup and "<a " not in markup


def test_global_keys_flag() -> None:
    data = page_data_from_collection(_coll())
    assert 'data-global-keys="1"' in render_page(data, include_assets=False, global_keys=True)
    assert "data-global-keys" not in render_page(data, include_assets=False)


def test_empty_collection_renders_a_message() -> None:
    markup = render_page(page_data_from_collection(DomainIntervalCollection()), include_assets=False)
    assert "No intervals." in markup and not _canvases(markup)


def test_each_render_has_a_distinct_id() -> None:
    data = page_data_from_collection(_coll())
    ids = {re.search(r'id="(er-viewer-\d+)"', render_page(data, include_assets=False)).group(1) for _ in range(3)}
    assert len(ids) == 3


def test_repr_html_renders_the_first_page_with_assets() -> None:
    coll = DomainIntervalCollection({k: IntervalSet3D([Interval3D((k, k + 1))]) for k in range(30)})
    markup = coll._repr_html_()
    assert len(_canvases(markup)) == 25
    assert _data(markup)["num_pages"] == 2
    assert "EsperRekallViewer" in markup


@pytest.mark.parametrize("module", ["esper_rekall.viewer.render", "esper_rekall.viewer.pages", "esper_rekall.viewer"])
def test_viewer_rendering_does_not_import_django(module: str) -> None:
    code = (
        "import sys\n"
        f"import {module}\n"
        "from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D\n"
        "DomainIntervalCollection({1: IntervalSet3D([Interval3D((0, 1))])})._repr_html_()\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
