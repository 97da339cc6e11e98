"""The result viewer: page data and its HTML, shared by Django and notebooks.

Provides ``render_page`` (:mod:`.render`), ``page_data_from_collection``
/ ``page_data_from_stored`` (:mod:`.pages`) and ``render_collection`` (the
first page of an in-memory collection: what the app registers as
``DomainIntervalCollection._repr_html_``). Importing this package does not
import Django; only ``page_data_from_stored`` reads the database.
"""

from __future__ import annotations

from .pages import PageOutOfRange, page_data_from_collection, page_data_from_stored
from .render import render_page

__all__ = ["PageOutOfRange", "page_data_from_collection", "page_data_from_stored", "render_collection", "render_page"]


def render_collection(coll: object) -> str:
    """A collection's first page (25 domains) with the viewer's assets, for notebooks."""
    return render_page(page_data_from_collection(coll, 1, 25), include_assets=True)
