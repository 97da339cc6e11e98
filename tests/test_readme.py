"""The README's API tour runs as written against the session corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _tour_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("## Tour of the API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_readme_has_a_python_tour() -> None:
    assert len(_tour_blocks()) >= 2


@pytest.mark.django_db
def test_readme_tour_runs(corpus: object, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {}
    for block in _tour_blocks():
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
    out = capsys.readouterr().out
    assert "<DomainIntervalCollection domains=3" in out
    assert "<IntervalQuery Face: 2 steps (2 SQL, 0 Python)>" in out
