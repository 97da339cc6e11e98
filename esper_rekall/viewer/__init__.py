"""The result viewer: page data and its HTML, shared by Django and notebooks.

Provides ``render_page`` (:mod:`.render`) and ``page_data_from_collection``
/ ``page_data_from_stored`` (:mod:`.pages`). Importing this package does not
import Django: a notebook renders an in-memory ``DomainIntervalCollection``
with it (``_repr_html_``); only ``page_data_from_stored`` reads the database.
"""

from __future__ import annotations

from .pages import PageOutOfRange, page_data_from_collection, page_data_from_stored
from .render import render_page

__all__ = ["PageOutOfRange", "page_data_from_collection", "page_data_from_stored", "render_page"]
