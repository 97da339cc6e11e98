"""The project's Celery app.

Provides ``app``: configured from Django settings under the ``CELERY_``
namespace (see ``project/settings.py``), with tasks autodiscovered from the
installed apps' ``tasks`` modules. Run a worker with
``celery -A project worker -l info``.

A worker refuses to start with the development ``SECRET_KEY`` (the key
that signs its task messages and pickled queries must be secret) unless
``ESPER_REKALL_ALLOW_DEV_KEY`` declares a development machine.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_development_key(**_: Any) -> None:
    """Stops the worker (exit status 1) if it would run with the development key."""
    from django.core.exceptions import ImproperlyConfigured

    from esper_rekall.runtime.celery_pool import check_worker_key

    try:
        check_worker_key()
    except ImproperlyConfigured as error:
        print(f"celery worker refused to start: {error}", file=sys.stderr)
        raise SystemExit(1) from None
