"""References to query functions that travel in JSON task messages.

Provides:
    QueryRef: a reference to a query function. An importable module-level
        function travels as its dotted path ``"module:qualname"``; anything
        else (a lambda, a closure, a function typed into ``manage.py shell``,
        a notebook or a script's ``__main__``) travels as a cloudpickle,
        base64 text, signed with ``django.core.signing``.
    QueryRefError: a reference that cannot be made or resolved (unsigned or
        tampered payload, unknown module or attribute, no signing key).

Security: unpickling runs arbitrary code, so a pickled reference is only
ever unpickled after its signature has been verified with the signing key
(``settings.SECRET_KEY`` unless an explicit key is given). The signature
covers the base64 text, so any change to the payload is refused.

Example:
    >>> from esper_rekall.queries import tvnews
    >>> ref = QueryRef.from_function(tvnews.faces_rekall)  # doctest: +SKIP
    >>> ref.to_json()  # doctest: +SKIP
    {'kind': 'path', 'path': 'esper_rekall.queries.tvnews:faces_rekall'}

A path reference resolves only under the modules named in
``ESPER_REKALL_QUERY_MODULES``; a function elsewhere travels pickled.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cloudpickle

__all__ = ["SALT", "QueryRef", "QueryRefError"]

#: The ``django.core.signing`` salt of pickled query payloads.
SALT = "esper_rekall.query_ref"

_PATH = "path"
_PICKLE = "pickle"
# A spawned worker re-imports the parent's __main__ as __mp_main__, a Celery
# worker not at all: functions of either are pickled, never named.
_UNIMPORTABLE_MODULES = frozenset({"__main__", "__mp_main__"})


class QueryRefError(ValueError):
    """A query reference cannot be made or resolved."""


def _signer(key: str | bytes | None) -> Any:
    from django.core import signing

    if key is not None:
        # fallback_keys=[] keeps Signer from reading settings, which may not
        # be configured when an explicit key is given.
        return signing.Signer(key=key, salt=SALT, fallback_keys=[])
    from django.conf import settings

    if not settings.configured or not getattr(settings, "SECRET_KEY", None):
        raise QueryRefError(
            "a pickled query reference is signed with settings.SECRET_KEY, "
            "but Django settings are not configured; pass key=... explicitly"
        )
    return signing.Signer(salt=SALT)


def _query_modules() -> tuple[str, ...]:
    """The module prefixes a path reference may name (``ESPER_REKALL_QUERY_MODULES``)."""
    from django.conf import settings

    from ..conf import DEFAULTS, PREFIX

    name = PREFIX + "QUERY_MODULES"
    modules = getattr(settings, name, DEFAULTS["QUERY_MODULES"]) if settings.configured else DEFAULTS["QUERY_MODULES"]
    return tuple(modules)


def _allowed(module_name: str) -> bool:
    """Whether ``module_name`` is one of the query modules or inside one of them."""
    return any(module_name == m or module_name.startswith(m + ".") for m in _query_modules())


def _registered(module_name: str, qualname: str) -> Any:
    """The registered query function defined at ``module_name:qualname``, or None.

    Looked up in the registry of named queries (whose modules are already
    imported), so nothing is imported to answer.
    """
    from ..queries import all_queries

    for query in all_queries():
        fn = query.function
        if getattr(fn, "__module__", None) == module_name and getattr(fn, "__qualname__", None) == qualname:
            return fn
    return None


def _lookup(path: str) -> Any:
    """Returns the query function that ``"module:qualname"`` names.

    A path comes from a database row or a message, so it must not be able
    to name ``subprocess:run``: it resolves only to a registered query
    (``esper_rekall.queries.register``) or to a plain function *defined*
    in a module under ``ESPER_REKALL_QUERY_MODULES`` (its ``__module__``
    and ``__qualname__`` are the path's; a name a query module merely
    imports, such as ``os.system``, is refused). The module check comes
    before the import, since importing a module runs its code.
    """
    module_name, sep, qualname = path.partition(":")
    if not sep or not module_name or not qualname:
        raise QueryRefError(
            f"query path must look like 'package.module:function', got {path!r}"
        )
    if not _allowed(module_name):
        registered = _registered(module_name, qualname)
        if registered is not None:
            return registered
        raise QueryRefError(
            f"refusing query path {path!r}: module {module_name!r} is not under "
            f"ESPER_REKALL_QUERY_MODULES={list(_query_modules())!r} and it is no registered query"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise QueryRefError(
            f"cannot import module {module_name!r} of query path {path!r}: {error}"
        ) from error
    obj: Any = module
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as error:
            raise QueryRefError(
                f"query path {path!r}: {obj!r} has no attribute {part!r}"
            ) from error
    if not callable(obj):
        raise QueryRefError(f"query reference {path} is not callable: {obj!r}")
    defined_here = getattr(obj, "__module__", None) == module_name and getattr(obj, "__qualname__", None) == qualname
    if not (inspect.isfunction(obj) and defined_here):
        raise QueryRefError(
            f"refusing query path {path!r}: {obj!r} is not a function defined in {module_name!r} "
            "(only query functions defined in ESPER_REKALL_QUERY_MODULES, or registered queries, may be named)"
        )
    return obj


def _dotted_path(fn: Callable[..., Any]) -> str | None:
    """Returns ``"module:qualname"`` if importing it gives back ``fn`` itself."""
    module_name = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not isinstance(module_name, str) or not isinstance(qualname, str):
        return None
    if module_name in _UNIMPORTABLE_MODULES:
        return None
    if "<" in qualname:  # <lambda>, <locals>
        return None
    if not _allowed(module_name):  # workers would refuse the path: send a signed pickle
        return None
    path = f"{module_name}:{qualname}"
    try:
        found = _lookup(path)
    except QueryRefError:
        return None
    return path if found is fn else None


@dataclass(frozen=True)
class QueryRef:
    """A JSON-serialisable reference to a query function.

    Build one with ``from_function`` (or ``from_path``), send ``to_json()``,
    rebuild it with ``from_json`` and call ``resolve()`` where the query runs.

    Attributes:
        kind: ``"path"`` or ``"pickle"``.
        value: The dotted path ``"module:qualname"``, or the signed base64
            cloudpickle ``"<base64>:<signature>"``.
        name: A human-readable name of the function (its qualname); only for
            display, never trusted.
    """

    kind: str
    value: str
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in (_PATH, _PICKLE):
            raise QueryRefError(
                f"query reference kind must be 'path' or 'pickle', got {self.kind!r}"
            )
        if not isinstance(self.value, str):
            raise QueryRefError(
                f"query reference value must be a str, got {self.value!r}"
            )

    @classmethod
    def from_path(cls, path: str) -> QueryRef:
        """A reference to the importable function at ``"module:qualname"``.

        The path is checked when resolved, not here, so a reference can be
        made for code only the workers have.
        """
        if not isinstance(path, str) or path.count(":") != 1:
            raise QueryRefError(
                f"query path must look like 'package.module:function', got {path!r}"
            )
        return cls(_PATH, path, path.partition(":")[2])

    @classmethod
    def from_function(
        cls, fn: Callable[..., Any], *, key: str | bytes | None = None
    ) -> QueryRef:
        """A reference to ``fn``: its dotted path if importable, else a signed pickle.

        A function is importable when importing ``fn.__module__`` and looking
        up ``fn.__qualname__`` gives back ``fn`` itself; functions of
        ``__main__``, lambdas, closures, partials and callable instances are
        pickled.

        Args:
            fn: The query function.
            key: The signing key for a pickled reference. Defaults to
                ``settings.SECRET_KEY``.

        Raises:
            TypeError: If ``fn`` is not callable.
            QueryRefError: If ``fn`` must be pickled and there is no key.
        """
        if isinstance(fn, QueryRef):
            return fn
        if not callable(fn):
            raise TypeError(f"a query must be callable, got {fn!r}")
        name = str(getattr(fn, "__qualname__", None) or type(fn).__qualname__)
        path = _dotted_path(fn)
        if path is not None:
            return cls(_PATH, path, name)
        signer = _signer(key)
        text = base64.urlsafe_b64encode(cloudpickle.dumps(fn)).decode("ascii")
        return cls(_PICKLE, signer.sign(text), name)

    def to_json(self) -> dict[str, str]:
        """Returns a JSON-serialisable dict; ``from_json`` reverses it."""
        if self.kind == _PATH:
            return {"kind": _PATH, "path": self.value}
        return {"kind": _PICKLE, "payload": self.value, "name": self.name}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QueryRef:
        """Rebuilds a reference from ``to_json()`` output; does not resolve it.

        Raises:
            QueryRefError: If ``data`` is not a reference dict.
        """
        if not isinstance(data, Mapping):
            raise QueryRefError(f"query reference must be a dict, got {data!r}")
        kind = data.get("kind")
        if kind == _PATH and isinstance(data.get("path"), str):
            return cls.from_path(data["path"])
        if kind == _PICKLE and isinstance(data.get("payload"), str):
            return cls(_PICKLE, data["payload"], str(data.get("name", "")))
        raise QueryRefError(
            "query reference must be {'kind': 'path', 'path': ...} or "
            f"{{'kind': 'pickle', 'payload': ...}}, got {data!r}"
        )

    def resolve(self, *, key: str | bytes | None = None) -> Callable[..., Any]:
        """Returns the referenced function.

        A pickled reference is unpickled only after its signature is verified.

        Args:
            key: The signing key of a pickled reference. Defaults to
                ``settings.SECRET_KEY``.

        Raises:
            QueryRefError: If the payload is unsigned, tampered or signed
                with another key, if the module or attribute of a path does
                not exist, or if the result is not callable.
        """
        if self.kind == _PATH:
            fn = _lookup(self.value)
        else:
            fn = self._unpickle(key)
        if not callable(fn):
            raise QueryRefError(f"query reference {self} is not callable: {fn!r}")
        return fn

    def _unpickle(self, key: str | bytes | None) -> Any:
        from django.core.signing import BadSignature

        signer = _signer(key)
        try:
            text = signer.unsign(self.value)
        except BadSignature as error:
            problem = (
                "it is not signed"
                if signer.sep not in self.value
                else "its signature does not match (tampered, or signed with another key)"
            )
            raise QueryRefError(
                f"refusing pickled query {self.name or '?'!r}: {problem} ({error})"
            ) from error
        try:
            data = base64.urlsafe_b64decode(text.encode("ascii"))
        except (binascii.Error, ValueError) as error:
            raise QueryRefError(
                f"pickled query {self.name or '?'!r} is not valid base64: {error}"
            ) from error
        return cloudpickle.loads(data)

    def __str__(self) -> str:
        if self.kind == _PATH:
            return self.value
        return f"<pickled {self.name or 'query'}>"
