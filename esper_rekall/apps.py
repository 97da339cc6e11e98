"""Django app configuration for esper_rekall."""

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_save


class EsperRekallConfig(AppConfig):
    """The esper_rekall app: video label models, admin, commands."""

    name = "esper_rekall"
    verbose_name = "Esper Rekall"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Gives every new result collection its own interval partition (PostgreSQL)."""
        post_save.connect(_create_partition, sender=self.get_model("ResultCollection"),
                          dispatch_uid="esper_rekall_result_partition")


def _create_partition(sender: Any, instance: Any, created: bool, using: str, raw: bool = False, **kwargs: Any) -> None:
    """``post_save`` of ``ResultCollection``: create its partition, in the same transaction."""
    if created and not raw:
        from .db.partitions import create_partition

        create_partition(connections[using], instance.pk)
