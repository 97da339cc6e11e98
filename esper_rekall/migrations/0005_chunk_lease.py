"""Chunk leases (filled in by the fault-tolerance work)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("esper_rekall", "0004_columnar_store")]

    operations: list = []
