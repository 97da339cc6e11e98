"""Command output counts things in words that agree with the count ("1 date", "2 dates")."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from esper_rekall.commands_support import plural
from esper_rekall.models import Video


@pytest.mark.parametrize(("n", "text"), [(0, "0 chunks"), (1, "1 chunk"), (2, "2 chunks"), (1000, "1,000 chunks")])
def test_plural(n: int, text: str) -> None:
    assert plural(n, "chunk") == text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "counted"),
    [(("--dates", "2026-01-01"), "over 1 date, chunks of"), (("--videos", "VIDEO"), "over 1 video, chunks of")],
)
def test_a_run_over_one_argument_says_it_in_the_singular(corpus: Any, options: tuple[str, str], counted: str) -> None:
    query = "person_on_several_channels" if options[0] == "--dates" else "frames_with_faces"
    value = str(Video.objects.order_by("pk").values_list("pk", flat=True).first()) if options[1] == "VIDEO" else options[1]
    out = StringIO()
    call_command("rekall_run", query, options[0], value, "--name", "one", "--no-progress", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert counted in text
    assert "over 1 chunk\n" in text
