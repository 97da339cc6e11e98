"""Shared fixtures and marker handling for the esper_rekall test suite.

- ``postgres`` tests are skipped unless the default database is PostgreSQL;
  ``celery`` tests are skipped unless ``CELERY_BROKER_URL`` is set.
- The test database is created with a small synthetic corpus
  (:data:`CORPUS_ARGS`) built once per session through
  ``call_command("generate_tvnews", ...)``; the ``corpus`` fixture hands it to
  a test, rebuilding it if a transactional test flushed the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

CORPUS_ARGS: dict[str, Any] = {"videos": 6, "seed": 0}


def build_corpus(**overrides: Any) -> str:
    """Replace the corpus with ``CORPUS_ARGS`` (plus overrides); returns the command output."""
    out = StringIO()
    call_command("generate_tvnews", replace=True, no_progress=True, stdout=out, **{**CORPUS_ARGS, **overrides})
    return out.getvalue()


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # The admin fixtures hash a password per test; the production hasher costs ~0.2 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings
    from django.db import connection

    skip_pg = pytest.mark.skip(reason=f"needs PostgreSQL, database is {connection.vendor}")
    skip_celery = pytest.mark.skip(reason="needs a Celery broker: set CELERY_BROKER_URL")
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(skip_pg)
        if "celery" in item.keywords and not settings.CELERY_BROKER_URL:
            item.add_marker(skip_celery)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Create the test database as usual, then load the session corpus into it."""
    with django_db_blocker.unblock():
        build_corpus()


@dataclass(frozen=True)
class Corpus:
    """What the session corpus was built with, and its row counts."""

    videos: int
    seed: int
    counts: dict[str, int]


@pytest.fixture
def rebuild_corpus(db: None) -> Any:
    """``rebuild_corpus(**overrides)``: replace the corpus inside this test's transaction; returns the output."""
    return build_corpus


@pytest.fixture
def corpus(db: None) -> Corpus:
    """The session corpus (rebuilt inside this test's transaction if it was flushed)."""
    from esper_rekall.corpus import corpus_counts
    from esper_rekall.models import Video

    if Video.objects.count() != CORPUS_ARGS["videos"]:
        build_corpus()
    return Corpus(videos=CORPUS_ARGS["videos"], seed=CORPUS_ARGS["seed"], counts=corpus_counts())
