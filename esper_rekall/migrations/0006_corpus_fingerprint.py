"""Corpus fingerprint (filled in by the researcher-experience work)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("esper_rekall", "0005_chunk_lease")]

    operations: list = []
