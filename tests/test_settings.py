"""Settings from the environment (checked in subprocesses) and the ``esper_rekall.conf`` accessor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from esper_rekall import conf

ROOT = Path(__file__).resolve().parent.parent
_OUR_VARS = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_VISIBILITY_TIMEOUT",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "ESPER_REKALL_SQLITE_PATH",
    "ESPER_REKALL_CHUNK_SIZE",
    "ESPER_REKALL_PG_RANDOM_PAGE_COST",
    "ESPER_REKALL_PG_PARALLEL_WORKERS",
)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x7Qp2Lm9Zr4Tv8Wn1Bc6Yd0Hf5Js3Ug" * 2,
    "ALLOWED_HOSTS": "esper.example.com",
}

_DUMP = """
import json, django
django.setup()
from django.conf import settings as s
from project import celery_app
c = celery_app.conf
print(json.dumps({
    "db": s.DATABASES["default"], "debug": s.DEBUG, "hosts": s.ALLOWED_HOSTS,
    "broker": c.broker_url, "backend": c.result_backend, "visibility": c.broker_transport_options,
    "serializer": c.task_serializer, "accept": list(c.accept_content), "prefetch": c.worker_prefetch_multiplier,
    "acks_late": c.task_acks_late, "reject_lost": c.task_reject_on_worker_lost,
    "chunk_size": getattr(s, "ESPER_REKALL_CHUNK_SIZE", None), "hsts": s.SECURE_HSTS_SECONDS,
}, default=str))
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _OUR_VARS}
    clean["DJANGO_SETTINGS_MODULE"] = "project.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def _settings(**env: str) -> dict:
    result = _run(["-c", _DUMP], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_use_sqlite_file_in_repo_root() -> None:
    dump = _settings()
    assert dump["db"]["ENGINE"] == "django.db.backends.sqlite3"
    assert dump["db"]["NAME"] == str(ROOT / "db.sqlite3")
    assert dump["debug"] is True
    assert dump["broker"] is None or dump["broker"].startswith("amqp")  # Celery's own default: unused


def test_sqlite_path_comes_from_env(tmp_path: Path) -> None:
    path = tmp_path / "corpus.sqlite3"
    assert _settings(ESPER_REKALL_SQLITE_PATH=str(path))["db"]["NAME"] == str(path)


def test_database_url_is_parsed() -> None:
    db = _settings(DATABASE_URL="postgres://alice:pw@db.example:6543/labels")["db"]
    assert (db["ENGINE"], db["NAME"], db["USER"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql",
        "labels",
        "alice",
        "db.example",
        6543,
    )


def test_postgres_connections_plan_for_ssds_and_serial_chunks_by_default() -> None:
    db = _settings(DATABASE_URL="postgres://alice:pw@db.example:6543/labels")["db"]
    assert db["OPTIONS"]["options"] == "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0"


def test_an_empty_session_setting_keeps_the_servers_one() -> None:
    db = _settings(DATABASE_URL="postgres://db.example/labels", ESPER_REKALL_PG_RANDOM_PAGE_COST="")["db"]
    assert db["OPTIONS"]["options"] == "-c max_parallel_workers_per_gather=0"


def test_with_every_session_setting_empty_no_options_are_sent() -> None:
    db = _settings(
        DATABASE_URL="postgres://db.example/labels",
        ESPER_REKALL_PG_RANDOM_PAGE_COST="",
        ESPER_REKALL_PG_PARALLEL_WORKERS=" ",
    )["db"]
    assert "options" not in db.get("OPTIONS", {})


@pytest.mark.parametrize(
    ("value", "message"),
    [("two", "must be a number, not 'two'"), ("1.5", "must be a number, not '1.5'"), ("-1", "must not be negative, not '-1'")],
)
def test_a_parallel_worker_count_that_is_no_count_is_refused(value: str, message: str) -> None:
    result = _run(["-c", _DUMP], {"DATABASE_URL": "postgres://db.example/labels",
                                  "ESPER_REKALL_PG_PARALLEL_WORKERS": value})
    assert result.returncode != 0
    assert f"ESPER_REKALL_PG_PARALLEL_WORKERS {message}" in result.stderr


def test_a_random_page_cost_that_is_no_number_is_refused() -> None:
    result = _run(["-c", _DUMP], {"DATABASE_URL": "postgres://db.example/labels",
                                  "ESPER_REKALL_PG_RANDOM_PAGE_COST": "fast"})
    assert result.returncode != 0
    assert "ESPER_REKALL_PG_RANDOM_PAGE_COST must be a number, not 'fast'" in result.stderr


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_session_settings_reach_the_database_session() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_celery_settings_come_from_env() -> None:
    dump = _settings(CELERY_BROKER_URL="redis://r:6379/2", CELERY_VISIBILITY_TIMEOUT="120", ESPER_REKALL_CHUNK_SIZE="7")
    assert dump["broker"] == "redis://r:6379/2"
    assert dump["backend"] == "redis://r:6379/2"
    assert dump["visibility"] == {"visibility_timeout": 120}
    assert (dump["serializer"], dump["accept"], dump["prefetch"]) == ("json", ["json"], 1)
    assert dump["acks_late"] is True and dump["reject_lost"] is True
    assert dump["chunk_size"] == 7


def test_production_env_turns_debug_off_and_hardens() -> None:
    dump = _settings(**PRODUCTION)
    assert dump["debug"] is False
    assert dump["hosts"] == ["esper.example.com"]
    assert dump["hsts"] > 0


def test_refuses_dev_secret_key_with_debug_off() -> None:
    result = _run(["-c", "import django; django.setup()"], {"DEBUG": "0"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is the development default while DEBUG is off" in result.stderr


def test_refuses_non_boolean_debug() -> None:
    result = _run(["-c", "import django; django.setup()"], {"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_check_deploy_is_clean_with_production_env(tmp_path: Path) -> None:
    env = {**PRODUCTION, "ESPER_REKALL_SQLITE_PATH": str(tmp_path / "db.sqlite3")}
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_conf_returns_default() -> None:
    assert conf.settings.CHUNK_SIZE == conf.DEFAULTS["CHUNK_SIZE"]


def test_conf_follows_override_settings() -> None:
    with override_settings(ESPER_REKALL_CHUNK_SIZE=3):
        assert conf.settings.CHUNK_SIZE == 3
    assert conf.settings.CHUNK_SIZE == conf.DEFAULTS["CHUNK_SIZE"]


def test_conf_rejects_unknown_setting() -> None:
    with pytest.raises(AttributeError, match="unknown esper_rekall setting 'NOPE'"):
        conf.settings.NOPE  # noqa: B018
