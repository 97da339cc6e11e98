"""Django app configuration for esper_rekall."""

from django.apps import AppConfig


class EsperRekallConfig(AppConfig):
    """The esper_rekall app: video label models, admin, commands."""

    name = "esper_rekall"
    verbose_name = "Esper Rekall"
    default_auto_field = "django.db.models.BigAutoField"
