"""Interval schemas: which queryset values become domain, bounds and payload.

Provides:
    IntervalSchema: a frozen mapping from the canonical interval parts
        ``domain, t1, t2, x1, x2, y1, y2, payload`` to model field paths,
        annotation names or Django expressions; ``from_mapping`` (Rekall's
        ``schema=`` dicts), ``bbox_default`` (Rekall's
        ``django_bbox_default_schema()``), ``validate(qs)`` and
        ``expressions()``.
    CANONICAL_NAMES: ``("domain", "t1", "t2", "x1", "x2", "y1", "y2", "payload")``.
    DEFAULT_MAPPING, BBOX_DEFAULT_MAPPING: the reference's default schemas.
    resolve_field_path(qs, path, what): check one field path against a
        queryset and return it in Django's ``a__b`` spelling.
    DEFAULT_SCHEMAS, default_schema(model): the schema each label model uses
        when none is given; SCHEMA_ANNOTATIONS: annotation names read as
        schema parts (the tutorial's ``video_id``, ``min_frame`` ...);
        schema_for_queryset(qs): the one place a queryset's schema is
        decided when none is given (``.intervals()``, ``IntervalQuery``).

A string value is a field name, an ``attname`` (``video_id``), ``pk``, an
annotation of the queryset, or a lookup path across single-valued relations
(``frame__video_id``; Rekall's dotted spelling ``frame.video_id`` is
accepted and means the same). Anything else, including strings that are not
identifiers such as ``"id); DROP TABLE x; --"``, is an unknown field and a
``ValueError`` naming it; no string is ever pasted into SQL, only resolved
through Django's query machinery. A value may also be a Django expression
(``F("frame__number") + 1``), validated by resolving it against the
queryset.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from django.core.exceptions import FieldError
from django.db.models import F
from django.db.models.sql.datastructures import MultiJoin

from ..intervals.collection import DJANGO_BBOX_DEFAULT_SCHEMA, DJANGO_DEFAULT_SCHEMA

if TYPE_CHECKING:
    from django.db.models import Expression, Model, QuerySet

__all__ = [
    "BBOX_DEFAULT_MAPPING",
    "CANONICAL_NAMES",
    "DEFAULT_MAPPING",
    "DEFAULT_SCHEMAS",
    "SCHEMA_ANNOTATIONS",
    "IntervalSchema",
    "default_schema",
    "resolve_field_path",
    "schema_for_queryset",
]

CANONICAL_NAMES: tuple[str, ...] = ("domain", "t1", "t2", "x1", "x2", "y1", "y2", "payload")

#: Rekall's ``from_django_qs`` default, updated key by key with the given schema.
DEFAULT_MAPPING: dict[str, str] = DJANGO_DEFAULT_SCHEMA

#: Rekall's ``django_bbox_default_schema()``.
BBOX_DEFAULT_MAPPING: dict[str, str] = DJANGO_BBOX_DEFAULT_SCHEMA


def _is_expression(value: Any) -> bool:
    return hasattr(value, "resolve_expression") and not isinstance(value, (str, type))


def _normalise_path(value: str) -> str:
    """Rekall's dotted ``a.b.c`` as Django's ``a__b__c``."""
    return value.replace(".", "__")


def _is_identifier_path(path: str) -> bool:
    return all(part.isidentifier() for part in path.split("__"))


def _choices(qs: QuerySet) -> str:
    opts = qs.model._meta
    names = {f.name for f in opts.get_fields()}
    names |= {getattr(f, "attname", f.name) for f in opts.concrete_fields}
    names |= set(qs.query.annotations)
    return ", ".join(sorted(names))


def resolve_field_path(qs: QuerySet, path: str, what: str = "field") -> str:
    """Check that ``path`` names one value per row of ``qs``; return it as ``a__b``.

    Args:
        qs: the queryset the value is read from.
        path: a field name, attname, ``pk``, annotation name or lookup path
            (``frame__video_id`` or ``frame.video_id``).
        what: how to name the path in the error (``"schema field 't1'"``...).

    Returns:
        The path in Django's ``__`` spelling.

    Raises:
        ValueError: ``path`` is not an identifier path, does not resolve on
            the model or the queryset's annotations, or crosses a
            many-valued relation (which would repeat rows).
    """
    if not isinstance(path, str):
        raise TypeError(f"{what} must be a field name or a Django expression, got {path!r}")
    django_path = _normalise_path(path)
    model = qs.model.__name__
    if not django_path or not _is_identifier_path(django_path):
        raise ValueError(
            f"{what} {path!r} is not a field of {model} or an annotation of the queryset "
            f"(choices: {_choices(qs)})"
        )
    query = qs.query.clone()
    try:
        query.resolve_ref(django_path, allow_joins=True)
    except FieldError as exc:
        raise ValueError(
            f"{what} {path!r} is not a field of {model} or an annotation of the queryset "
            f"(choices: {_choices(qs)}): {exc}"
        ) from None
    parts = django_path.split("__")
    if parts[0] not in query.annotations:
        try:
            query.names_to_path(parts, qs.model._meta, allow_many=False, fail_on_missing=False)
        except MultiJoin:
            raise ValueError(
                f"{what} {path!r} crosses a many-valued relation of {model}; "
                "it would repeat rows (annotate an aggregate instead)"
            ) from None
    return django_path


def _check_value(key: str, value: Any) -> Any:
    if value is None or _is_expression(value):
        return value
    if isinstance(value, str):
        return _normalise_path(value)
    raise TypeError(
        f"schema value for {key!r} must be a field name or a Django expression, "
        f"got {key}={value!r} of type {type(value).__name__}"
    )


@dataclass(frozen=True)
class IntervalSchema:
    """Where each part of an interval comes from in a queryset's rows.

    Each attribute is a field path (``"min_frame"``, ``"frame__video_id"``;
    dots are turned into ``__``), a Django expression, or ``None`` (absent).
    ``domain``, ``t1`` and ``t2`` are required. ``x1``/``x2`` (and
    ``y1``/``y2``) are given together or not at all; absent spatial bounds
    read as ``(0, 1)``, an absent payload as ``None``.

    Contract (used by ``db.query``/``db.compiler``):

    - ``IntervalSchema.from_mapping(mapping)``: Rekall's merge of a ``schema``
      dict over ``DEFAULT_MAPPING``.
    - ``IntervalSchema.bbox_default()``: ``BBOX_DEFAULT_MAPPING``.
    - ``schema.validate(qs) -> None``: ``ValueError`` naming the first part
      that does not resolve on ``qs`` (no query runs).
    - ``schema.expressions() -> dict[str, Expression]``: canonical name ->
      ``F(path)`` or the given expression, for the parts present, in
      ``CANONICAL_NAMES`` order.

    Example:
        >>> IntervalSchema.from_mapping({"t2": "frame.number"}).t2
        'frame__number'
    """

    domain: str | Expression | None = DEFAULT_MAPPING["domain"]
    t1: str | Expression | None = DEFAULT_MAPPING["t1"]
    t2: str | Expression | None = DEFAULT_MAPPING["t2"]
    x1: str | Expression | None = None
    x2: str | Expression | None = None
    y1: str | Expression | None = None
    y2: str | Expression | None = None
    payload: str | Expression | None = None

    def __post_init__(self) -> None:
        for name in CANONICAL_NAMES:
            object.__setattr__(self, name, _check_value(name, getattr(self, name)))
        for name in ("domain", "t1", "t2"):
            if getattr(self, name) is None:
                raise ValueError(f"schema must map {name!r} to a field or an expression, got {name}=None")
        for a, b in (("x1", "x2"), ("y1", "y2")):
            if (getattr(self, a) is None) != (getattr(self, b) is None):
                raise ValueError(
                    f"schema must map both {a!r} and {b!r} or neither, "
                    f"got {a}={getattr(self, a)!r}, {b}={getattr(self, b)!r}"
                )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> IntervalSchema:
        """Rekall's ``schema`` dict: ``DEFAULT_MAPPING`` updated with ``mapping``.

        A key mapped to ``None`` is absent.

        Raises:
            ValueError: a key other than the canonical names, or only one of
                ``x1``/``x2`` (``y1``/``y2``).
            TypeError: a value that is neither a string nor an expression.
        """
        if isinstance(mapping, IntervalSchema):
            return mapping
        mapping = dict(mapping or {})
        unknown = [k for k in mapping if k not in CANONICAL_NAMES]
        if unknown:
            raise ValueError(f"unknown schema key {unknown[0]!r}; expected some of {CANONICAL_NAMES!r}")
        return cls(**{**DEFAULT_MAPPING, **mapping})

    @classmethod
    def bbox_default(cls) -> IntervalSchema:
        """Rekall's ``django_bbox_default_schema()`` as a schema."""
        return cls(**BBOX_DEFAULT_MAPPING)

    def as_mapping(self) -> dict[str, Any]:
        """``{canonical name: value}`` for the parts present."""
        return {name: getattr(self, name) for name in CANONICAL_NAMES if getattr(self, name) is not None}

    def replace(self, **changes: Any) -> IntervalSchema:
        """A copy with some parts replaced (``payload=None`` drops it)."""
        return dataclasses.replace(self, **changes)

    def validate(self, qs: QuerySet) -> None:
        """Check every part against ``qs`` without running a query.

        Raises:
            ValueError: a part naming a field the model and the queryset's
                annotations lack (the message names the part and the value),
                a path across a many-valued relation, or an expression that
                does not resolve.
        """
        for name, value in self.as_mapping().items():
            what = f"schema field {name!r}"
            if isinstance(value, str):
                resolve_field_path(qs, value, what)
                continue
            try:
                value.resolve_expression(qs.query.clone(), allow_joins=True, reuse=None, summarize=False)
            except FieldError as exc:
                raise ValueError(f"{what} expression {value!r} does not resolve on {qs.model.__name__}: {exc}") from None

    def expressions(self) -> dict[str, Any]:
        """``{canonical name: F(path) or the expression}`` for the parts present."""
        return {name: F(value) if isinstance(value, str) else value for name, value in self.as_mapping().items()}


# -- default schemas of the label models ---------------------------------------------

_BBOX = {"x1": "bbox_x1", "x2": "bbox_x2", "y1": "bbox_y1", "y2": "bbox_y2"}

#: Model name -> schema mapping (field paths) used by ``.intervals()`` without a schema.
DEFAULT_SCHEMAS: dict[str, dict[str, Any]] = {
    "Face": {"domain": "frame__video_id", "t1": "frame__number", "t2": "frame__number", **_BBOX, "payload": "id"},
    "FaceIdentity": {
        "domain": "face__frame__video_id", "t1": "face__frame__number", "t2": "face__frame__number",
        **{k: f"face__{v}" for k, v in _BBOX.items()}, "payload": "identity_id",
    },
    "Frame": {"domain": "video_id", "t1": "number", "t2": "number", "payload": "id"},
    "Shot": {"domain": "video_id", "t1": "min_frame", "t2": "max_frame", "payload": "id"},
    "Commercial": {"domain": "video_id", "t1": "min_frame", "t2": "max_frame", "payload": "id"},
    "ResultInterval": {
        "domain": "domain_int", "t1": "t1", "t2": "t2", "x1": "x1", "x2": "x2", "y1": "y1", "y2": "y2",
        "payload": "payload",
    },
}


#: Schema part -> annotation names that stand for it, as the tutorial's
#: ``django_bbox_default_schema()`` names them (and the parts' own names).
SCHEMA_ANNOTATIONS: dict[str, tuple[str, ...]] = {
    "domain": ("domain", "video_id"),
    "t1": ("t1", "min_frame"),
    "t2": ("t2", "max_frame"),
    **{part: (part, f"bbox_{part}") for part in ("x1", "x2", "y1", "y2")},
    "payload": ("payload",),
}


def _annotated_schema(qs: QuerySet) -> dict[str, Any] | None:
    """The model's default schema with the parts the queryset's annotations name, or None when none do.

    Raises:
        ValueError: the annotations name only one of ``t1``/``t2`` (the
            other would silently come from the default schema), or the
            model has no default schema for the other parts.
    """
    annotations = set(qs.query.annotations)
    found = {part: name for part, names in SCHEMA_ANNOTATIONS.items() for name in names if name in annotations}
    if not found:
        return None
    mapping = dict(DEFAULT_SCHEMAS.get(qs.model.__name__) or {})
    if ("t1" in found) != ("t2" in found):
        given, missing = ("t1", "t2") if "t1" in found else ("t2", "t1")
        raise ValueError(
            f"{qs.model.__name__} queryset annotates {found[given]!r} as {given} but nothing as {missing} "
            f"(candidates: {', '.join(SCHEMA_ANNOTATIONS[missing])}); annotate both, or pass "
            f"schema={{..., {given!r}: {found[given]!r}, {missing!r}: ...}}"
        )
    mapping.update(found)
    missing = [part for part in ("domain", "t1", "t2") if part not in mapping]
    if missing:
        raise ValueError(
            f"{qs.model.__name__} queryset annotates {sorted(found.values())!r} but has no default schema "
            f"for {missing!r}; pass schema={mapping | {p: '...' for p in missing}!r}"
        )
    return mapping


def default_schema(model: type[Model]) -> Any:
    """The default :class:`IntervalSchema` of ``model``.

    Raises:
        ValueError: ``model`` has no default schema (pass one).
    """
    mapping = DEFAULT_SCHEMAS.get(model.__name__)
    if mapping is None:
        raise ValueError(
            f"{model.__name__} has no default interval schema; pass schema=..., "
            f"models with one: {sorted(DEFAULT_SCHEMAS)!r}"
        )
    return IntervalSchema.from_mapping(mapping)


def schema_for_queryset(qs: QuerySet) -> IntervalSchema:
    """The schema of a queryset given none: the model's default schema, with the
    parts the queryset's annotations name (``SCHEMA_ANNOTATIONS``).

    Raises:
        ValueError: see :func:`default_schema` and the annotation checks.
    """
    mapping = _annotated_schema(qs)
    return default_schema(qs.model) if mapping is None else IntervalSchema.from_mapping(mapping)
