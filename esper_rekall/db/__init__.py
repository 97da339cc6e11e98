"""Querysets as interval collections: schemas, materialisation, pushdown.

Provides (this layer may import Django and ``esper_rekall.intervals``):
    IntervalSchema: which fields/expressions become domain, bounds, payload.
    materialize(qs, schema, with_payload=None, progress=False): a queryset
        into a ``DomainIntervalCollection`` without model instances.
    rows_to_collection(rows, columns, progress=False, total=None): row
        tuples named by canonical columns into a collection.
    django_accessor(row, "a.b.c"): Rekall's dotted attribute accessor.

``DomainIntervalCollection.from_django_qs`` and
``VideoIntervalCollection.from_django_qs`` call ``materialize``.
"""

from __future__ import annotations

from .accessors import django_accessor
from .materialize import materialize, rows_to_collection
from .schema import IntervalSchema

__all__ = ["IntervalSchema", "django_accessor", "materialize", "rows_to_collection"]
