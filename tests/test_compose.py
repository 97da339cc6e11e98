"""docker-compose.yml: the four services exist, are wired by env vars, and run real entry points.

A structural text check, so the suite needs no YAML parser: top-level keys sit
at column 0, services at two spaces, their keys at four.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"


def _services() -> dict[str, str]:
    """Service name -> the text of its block."""
    text = COMPOSE.read_text()
    match = re.search(r"^services:\n(.*?)(?=^\S|\Z)", text, flags=re.M | re.S)
    assert match, "docker-compose.yml has no top-level services:"
    blocks = re.split(r"^  (?=[A-Za-z0-9_-]+:\s*$)", match.group(1), flags=re.M)
    return {b.split(":", 1)[0]: b for b in blocks if b.strip() and not b.startswith(" ")}


def _env_anchor() -> str:
    match = re.search(r"^x-app-env: &app-env\n((?:  .*\n)+)", COMPOSE.read_text(), flags=re.M)
    assert match
    return match.group(1)


def test_services_exist() -> None:
    assert set(_services()) == {"db", "redis", "web", "worker"}


def test_db_is_postgres_15_and_redis_is_redis() -> None:
    services = _services()
    assert re.search(r"^    image: postgres:15\s*$", services["db"], flags=re.M)
    assert re.search(r"^    image: redis:", services["redis"], flags=re.M)


@pytest.mark.parametrize("service", ["web", "worker"])
def test_app_services_are_wired_to_db_and_broker(service: str) -> None:
    block = _services()[service]
    assert "environment: *app-env" in block
    env = _env_anchor()
    assert re.search(r"DATABASE_URL: postgres://\S+@db:5432/", env)
    assert re.search(r"CELERY_BROKER_URL: redis://redis:6379/", env)
    assert "condition: service_healthy" in block


def test_web_runs_manage_py_runserver() -> None:
    command = re.search(r"^    command: (.*)$", _services()["web"], flags=re.M).group(1)
    assert "python manage.py runserver 0.0.0.0:8000" in command
    assert (ROOT / "manage.py").is_file()


def test_worker_runs_the_project_celery_app() -> None:
    command = re.search(r"^    command: (.*)$", _services()["worker"], flags=re.M).group(1)
    assert command.startswith("celery -A project worker")
    from project import celery_app

    assert celery_app.main == "project"


def test_app_services_build_from_the_dockerfile() -> None:
    for service in ("web", "worker"):
        assert "build: ." in _services()[service]
    assert (ROOT / "Dockerfile").read_text().count("requirements.txt") >= 1
