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
        """Fills the pure layer's hooks (queryset loader, notebook HTML) and gives
        every new result collection its own interval partition (PostgreSQL)."""
        from .db.materialize import load_queryset
        from .intervals import hooks
        from .viewer import render_collection

        hooks.register_queryset_loader(load_queryset)
        hooks.register_html_renderer(render_collection)
        post_save.connect(_create_partition, sender=self.get_model("ResultCollection"),
                          dispatch_uid="esper_rekall_result_partition")


def _create_partition(sender: Any, instance: Any, created: bool, using: str, raw: bool = False, **kwargs: Any) -> None:
    """``post_save`` of ``ResultCollection``: create its partition, in the same transaction."""
    if created and not raw:
        from .db.partitions import create_partition

        create_partition(connections[using], instance.pk)
