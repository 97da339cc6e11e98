"""Rows for ``with_payload`` callables, and finding the fields they read.

Provides:
    django_accessor(row, field): Rekall's accessor, ``row.a.b.c`` for
        ``"a.b.c"``.
    probe_fields(fn): the attribute/key paths ``fn(row)`` reads, found by
        calling it once on a recording proxy row (no database access).
    payload_fetch_paths(qs, paths): those paths as fetchable Django lookup
        paths, checked against the queryset (``ValueError`` naming a field
        it lacks).
    row_class(paths): a light row type (a ``tuple`` subclass, no per-row
        dict) giving attribute and item access to fetched values, with
        nested attributes for relation paths (``row.frame.video_id``).

Why probing: Rekall's ``with_payload`` callables read model instances
(``row.bbox_x1``, ``django_accessor(row, "frame.video_id")``). Building
model instances is what makes the original slow, so the materialiser
fetches only the fields the callable reads. The probe row records every
attribute and item access; the values it hands back are proxies that
absorb arithmetic, comparisons, calls and formatting, so most callables
run to the end. Branches depend on the proxy's truth value (always true),
so a field read only in the other branch is not seen: reading it later on
a real row raises an ``AttributeError`` that names it.
"""

from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from django.core.exceptions import FieldDoesNotExist

from ..intervals.collection import DomainIntervalCollection
from .schema import resolve_field_path

if TYPE_CHECKING:
    from django.db.models import QuerySet

__all__ = ["django_accessor", "payload_fetch_paths", "probe_fields", "row_class"]

Path = tuple[str, ...]


#: Rekall's ``django_accessor``: ``row.a.b.c`` for ``field="a.b.c"``.
django_accessor = DomainIntervalCollection.django_accessor


# -- probing -------------------------------------------------------------------


class _Probe:
    """A stand-in row (or value) that records the paths read through it."""

    __slots__ = ("_path", "_seen")

    def __init__(self, path: Path, seen: list[Path] | None) -> None:
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_seen", seen)

    def _child(self, parts: Sequence[str]) -> _Probe:
        seen = self._seen
        if seen is None:
            return self
        path = self._path
        for part in parts:
            path = path + (part,)
            seen.append(path)
        return _Probe(path, seen)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._child((name,))

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and key:
            return self._child(key.replace("__", ".").split("."))
        return _DEAD

    def __setattr__(self, name: str, value: Any) -> None:
        pass

    # A value read through the probe can be used like a number or a string.
    def _absorb(self, *args: Any, **kwargs: Any) -> _Probe:
        return _DEAD

    __call__ = __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _absorb
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _absorb
    __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = __round__ = _absorb
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = __invert__ = _absorb
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _absorb

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, item: Any) -> bool:
        return False

    def __index__(self) -> int:
        return 0

    __int__ = __index__

    def __float__(self) -> float:
        return 0.0

    def __str__(self) -> str:
        return ""

    def __format__(self, spec: str) -> str:
        return ""

    def __repr__(self) -> str:
        return "<probe row>"


_DEAD = _Probe((), None)


def probe_fields(fn: Callable[[Any], Any]) -> list[Path]:
    """The paths ``fn`` reads from its row, in first-read order.

    ``fn`` is called once on a recording proxy; exceptions it raises there
    are ignored (the paths read before them are kept). A path that is only
    the prefix of a longer one (``frame`` of ``frame.video_id``) is dropped.
    """
    seen: list[Path] = []
    try:
        fn(_Probe((), seen))
    except Exception:  # noqa: BLE001 - the probe's values are fakes; keep what was read
        pass
    unique = list(dict.fromkeys(seen))
    longer = {p[:k] for p in unique for k in range(1, len(p))}
    return [p for p in unique if p not in longer]


def _fetch_path(qs: QuerySet, path: Path) -> str:
    """The part of ``path`` the database provides, as a lookup path.

    Walks relations (``frame`` -> ``video_id``) and stops at the first
    non-relational field, attname (``video_id``) or annotation: the rest of
    the path (``name.upper``) is read from the value in Python.
    """
    shown = ".".join(path)
    what = f"with_payload reads {shown!r}, whose field"
    if path[0] in qs.query.annotations:
        return resolve_field_path(qs, path[0], what)
    opts = qs.model._meta
    out: list[str] = []
    for i, part in enumerate(path):
        try:
            field = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            field = None
        out.append(part)
        if field is None:
            # Let resolve_field_path produce the message with the choices.
            return resolve_field_path(qs, "__".join(out), what)
        if field.is_relation and (field.many_to_many or field.one_to_many):
            return resolve_field_path(qs, "__".join(out), what)
        last = i == len(path) - 1
        by_attname = part != field.name and part != "pk"
        if not field.is_relation or field.related_model is None or last or by_attname:
            return resolve_field_path(qs, "__".join(out), what)
        opts = field.related_model._meta
    return resolve_field_path(qs, "__".join(out), what)


def payload_fetch_paths(qs: QuerySet, paths: Iterable[Path]) -> dict[Path, str]:
    """``{read path: fetch path}``, fetch paths checked against ``qs``.

    Raises:
        ValueError: a path whose field the model and the queryset's
            annotations lack (the message names it); no query runs.
    """
    return {path: _fetch_path(qs, path) for path in paths}


# -- light rows ----------------------------------------------------------------


def _node_class(name: str, tree: dict[str, Any]) -> type:
    """A tuple subclass whose attributes read ``tree``'s leaves by index."""
    attrs: dict[str, Any] = {"__slots__": ()}
    for attr, sub in tree.items():
        if isinstance(sub, int):
            attrs[attr] = property(operator.itemgetter(sub))
        else:
            child = _node_class(f"{name}.{attr}", sub)
            attrs[attr] = property(lambda self, _c=child: _c(self))
    names = sorted(tree)

    def __getattr__(self: Any, attr: str) -> Any:
        raise AttributeError(
            f"{name} has no fetched field {attr!r} (fetched: {', '.join(names)}); "
            "with_payload reads it only on some rows, so probing it did not see it: "
            f"read {attr!r} unconditionally or pass it in the schema"
        )

    def __getitem__(self: Any, key: Any) -> Any:
        if isinstance(key, str):
            return functools.reduce(getattr, key.replace("__", ".").split("."), self)
        return tuple.__getitem__(self, key)

    def __repr__(self: Any) -> str:
        return f"<{name} {', '.join(f'{n}={getattr(self, n)!r}' for n in names)}>"

    attrs.update(__getattr__=__getattr__, __getitem__=__getitem__, __repr__=__repr__)
    return type(name, (tuple,), attrs)


def row_class(paths: Sequence[Path]) -> type:
    """A row type over tuples of the values of ``paths`` (in ``paths`` order).

    ``paths`` are fetch paths split on ``__`` (``("frame", "video_id")``).

    ``row.a`` reads path ``("a",)``; ``row.a.b`` reads ``("a", "b")``;
    ``row["a.b"]``/``row["a__b"]`` are the same; ``row[0]`` is positional.
    """
    tree: dict[str, Any] = {}
    for index, path in enumerate(paths):
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if isinstance(node, int):
                break
        if isinstance(node, int) or isinstance(node.get(path[-1]), dict):
            raise ValueError(
                f"with_payload reads {'.'.join(path)!r} both as a value and as a relation to follow"
            )
        node[path[-1]] = index
    return _node_class("Row", tree)
