"""Columnar result store (filled in by the store work)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("esper_rekall", "0003_result_chunk_parent")]

    operations: list = []
