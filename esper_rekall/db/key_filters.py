"""Copy ``key IN (values)`` filters across the inner joins of a queryset.

Provides:
    propagate_key_filters: ``qs`` with each top-level ``col IN (values)``
        filter on a join key repeated on the other side of that join.

Why: PostgreSQL carries an equality to a constant across a join
(``a.k = b.k AND a.k = 5`` restricts ``b`` too) but not an ``IN`` list.
The tutorial's faces query, ``Face.objects.filter(frame__video_id__in=ids)``
annotated with ``frame__video__fps``, was planned per chunk with a join
that reads the video table: hashed whole (1.8 ms of a 31 ms chunk at
10,000 videos, with parallel workers), or scanned by primary key up to the
chunk's highest id (5,096 rows for a chunk mid-corpus at 10,000 videos,
~100,000 at the archive's 200,000), so a chunk's cost grew with the
corpus. With ``video.id IN (ids)`` added, the video side is an index
lookup of the chunk's own 15 videos.

The added filter never changes the result: an inner join keeps only rows
where both keys are equal, so one key in the list means the other is too.
Only ``AND``-ed, non-negated filters with a list of values are copied, and
only across inner joins on one column pair (on an outer join the copy would
drop the rows without a match).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.expressions import Col
from django.db.models.lookups import In
from django.db.models.sql.datastructures import Join
from django.db.models.sql.constants import INNER
from django.db.models.sql.where import AND

__all__ = ["propagate_key_filters"]


def _joined_keys(query: Any) -> dict[tuple[str, str], tuple[str, Any]]:
    """``{(alias, column): (other alias, other field)}`` over the inner single-column joins
    in the query's SQL, both ways."""
    keys: dict[tuple[str, str], tuple[str, Any]] = {}
    for alias, join in query.alias_map.items():
        # A join set up and then trimmed stays in alias_map, unreferenced and absent from the SQL.
        used = query.alias_refcount.get(alias, 0) > 0
        if not used or not isinstance(join, Join) or join.join_type != INNER or len(join.join_fields) != 1:
            continue
        (parent_field, child_field), = join.join_fields
        keys[(join.parent_alias, parent_field.column)] = (join.table_alias, child_field)
        keys[(join.table_alias, child_field.column)] = (join.parent_alias, parent_field)
    return keys


def propagate_key_filters(qs: QuerySet) -> QuerySet:
    """``qs`` with every top-level ``key IN (values)`` filter also applied to the key it is joined to.

    Returns ``qs`` itself when there is nothing to copy.
    """
    where = qs.query.where
    if where.connector != AND or where.negated:
        return qs
    keys = _joined_keys(qs.query)
    added = []
    for lookup in where.children:
        if not isinstance(lookup, In) or not isinstance(lookup.lhs, Col) or not lookup.rhs_is_direct_value():
            continue
        other = keys.get((lookup.lhs.alias, lookup.lhs.target.column))
        if other is not None:
            alias, field = other
            added.append(In(field.get_col(alias), list(lookup.rhs)))
    if not added:
        return qs
    clone = qs._chain()
    for lookup in added:
        clone.query.where.add(lookup, AND)
    return clone
