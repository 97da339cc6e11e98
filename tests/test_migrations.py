"""Migrations are in sync with the models and numbered without duplicates."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

import esper_rekall

MIGRATIONS = Path(esper_rekall.__file__).parent / "migrations"


@pytest.mark.django_db
def test_models_and_migrations_are_in_sync() -> None:
    out = StringIO()
    call_command("makemigrations", "esper_rekall", "--check", "--dry-run", stdout=out, stderr=StringIO())
    assert "No changes detected" in out.getvalue()


def test_migration_numbers_are_unique() -> None:
    numbers = Counter(p.name.split("_", 1)[0] for p in MIGRATIONS.glob("[0-9]*.py"))
    assert numbers, "no migrations found"
    assert [n for n, c in numbers.items() if c > 1] == []
