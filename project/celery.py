"""The project's Celery app.

Provides ``app``: configured from Django settings under the ``CELERY_``
namespace (see ``project/settings.py``), with tasks autodiscovered from the
installed apps' ``tasks`` modules. Run a worker with
``celery -A project worker -l info``.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
