"""What the pure layer asks of the app, without importing it: two registered functions.

Provides:
    register_queryset_loader / load_queryset: how a Django queryset becomes
        a ``DomainIntervalCollection`` (the app registers
        ``db.materialize``'s loader from ``AppConfig.ready()``).
    register_html_renderer / render_html: how a collection shows in a
        notebook (the app registers the result viewer's first page).

Why: ``intervals`` is pure Python + numpy, at import time and at call time
alike. ``from_django_qs`` and ``_repr_html_`` need Django and the viewer;
calling through these hooks keeps every import arrow pointing down (the
app knows the pure layer, never the other way round), and without the app
the calls fail with a clear message (``from_django_qs``) or fall back to
plain text (``_repr_html_``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .collection import DomainIntervalCollection

__all__ = ["load_queryset", "register_html_renderer", "register_queryset_loader", "render_html"]

QuerysetLoader = Callable[[Any, "Mapping[str, Any] | None", Any, bool], "DomainIntervalCollection"]
HtmlRenderer = Callable[["DomainIntervalCollection"], str]

_hooks: dict[str, Any] = {}


def register_queryset_loader(loader: QuerysetLoader) -> None:
    """Sets ``loader(qs, schema_mapping, with_payload, progress) -> collection``."""
    _hooks["queryset_loader"] = loader


def register_html_renderer(renderer: HtmlRenderer) -> None:
    """Sets ``renderer(collection) -> HTML`` for notebooks."""
    _hooks["html_renderer"] = renderer


def load_queryset(
    qs: Any, schema: Mapping[str, Any] | None, with_payload: Any, progress: bool
) -> DomainIntervalCollection:
    """The collection of a queryset, through the registered loader.

    ``schema`` is a Rekall schema mapping (canonical part -> field path or
    expression; a part mapped to None is absent).

    Raises:
        RuntimeError: no loader is registered (Django is not set up with
            the ``esper_rekall`` app).
    """
    loader = _hooks.get("queryset_loader")
    if loader is None:
        raise RuntimeError(
            f"cannot read a queryset ({type(qs).__name__}) without the esper_rekall Django app: "
            "add 'esper_rekall' to INSTALLED_APPS and call django.setup() first"
        )
    return loader(qs, schema, with_payload, progress)


def render_html(coll: DomainIntervalCollection) -> str | None:
    """HTML for ``coll`` from the registered renderer, or None (plain text) without one."""
    renderer = _hooks.get("html_renderer")
    return None if renderer is None else renderer(coll)
