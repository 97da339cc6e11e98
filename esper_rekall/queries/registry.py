"""The registry of named queries.

Provides :func:`register` (a decorator naming a query function),
:func:`get_query` (look one up by name, with a clear error naming the
unknown query and the known ones) and :func:`all_queries`.

A registered query is a plain importable module-level function of a list
of arguments (video ids, dates ...) returning a ``DomainIntervalCollection``,
so it travels to workers as its dotted path. ``arg_kind`` says what the
arguments are ("video" or "date"), so commands know how to parse them.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RegisteredQuery", "all_queries", "get_query", "register"]

ARG_KINDS = ("video", "date")


@dataclass(frozen=True)
class RegisteredQuery:
    """A named query: its function, what its arguments are, and its doc."""

    name: str
    function: Callable[[list[Any]], Any]
    arg_kind: str

    @property
    def summary(self) -> str:
        """First line of the function's docstring."""
        return (inspect.getdoc(self.function) or "").split("\n", 1)[0]

    @property
    def doc(self) -> str:
        """The function's whole docstring."""
        return inspect.getdoc(self.function) or ""


_REGISTRY: dict[str, RegisteredQuery] = {}


def register(name: str, *, arg_kind: str = "video") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated module-level function under ``name``.

    Raises:
        ValueError: ``name`` is taken by another function, or ``arg_kind``
            is not one of ``ARG_KINDS``.
    """
    if arg_kind not in ARG_KINDS:
        raise ValueError(f"arg_kind must be one of {ARG_KINDS}, got {arg_kind!r}")

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.function.__qualname__ != fn.__qualname__:
            raise ValueError(f"query name {name!r} is already registered to {existing.function!r}")
        _REGISTRY[name] = RegisteredQuery(name, fn, arg_kind)
        return fn

    return decorator


#: The modules of the project's own queries; importing one registers its queries.
BUILTIN_QUERY_MODULES = ("dates", "tvnews")


def _load_builtin_queries() -> None:
    # By name, as Django's autodiscover does: the query modules import this
    # registry (to register), it never imports them statically.
    for name in BUILTIN_QUERY_MODULES:
        importlib.import_module(f"{__package__}.{name}")


def get_query(name: str) -> RegisteredQuery:
    """The query registered as ``name``.

    Raises:
        KeyError: no such query; the message lists the known names.
    """
    _load_builtin_queries()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "(none)"
        raise KeyError(f"unknown query {name!r}; known queries: {known}") from None


def all_queries() -> list[RegisteredQuery]:
    """Every registered query, sorted by name."""
    _load_builtin_queries()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
