"""Named queries over the Esper TV-news model (see :mod:`.registry`)."""

from __future__ import annotations

from .registry import RegisteredQuery, all_queries, get_query, register

__all__ = ["RegisteredQuery", "all_queries", "get_query", "register"]
