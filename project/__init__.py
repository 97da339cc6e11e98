"""The Django project that hosts esper_rekall: settings, Celery app, URLs, WSGI.

Importing the package loads the Celery app so that ``@shared_task`` binds to
it (Celery's Django guide).
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
