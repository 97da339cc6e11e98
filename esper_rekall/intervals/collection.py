"""Intervals of many domains (videos, dates, shots...) in one set of columns.

Provides:
    DomainIntervalCollection: a mutable mapping from domain key to
        IntervalSet3D, stored as one sorted ``Columns`` plus an integer
        domain-code column and a key table.

Keys may be any hashable values (ints, strings, dates, tuples); the key
table keeps them in insertion order and rows are sorted by (domain code,
t1, t2, x1, x2, y1, y2). Vectorised operations (``filter``,
``filter_size``, ``dilate``, ``temporal_coalesce``, ``group_by_time``,
``minus``, the candidate search of ``join``/``merge``/``filter_against``/
``collect_by_interval``, ``union``) run as one sweep over every domain with
the domain as the leading key. Operations taking user functions
(``map``, ``split``, ``group_by``, ``fold_to_set``) run per domain.

As in the reference: unary operations apply per domain; binary ones apply
per domain over the union of both sides' keys; both drop domains that end
up empty. ``size``, ``empty``, ``fold`` and ``match`` return a dict from key
to the per-domain result. ``coll[key]`` is a cheap view of one domain; a
missing key gives an empty set.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Mapping, MutableMapping
from typing import Any, Callable, Hashable, Iterable, Iterator

import numpy as np
import numpy.typing as npt

from . import hooks, kernels
from .columns import Columns, _object_array
from .interval import Interval3D, bulk_objects
from .merge_ops import payload_first
from .interval_set import (
    IntervalSet3D,
    RowObjects,
    _row_factory,
    coalesce_columns,
    collect_columns,
    dilate_columns,
    group_by_time_columns,
    merge_columns,
    minus_columns,
    size_filter_index,
    sort_columns,
    window_pairs,
)
from .common import INFTY
from .predicates.base import evaluate_mask

__all__ = ["DomainIntervalCollection"]

#: Rekall's ``from_django_qs`` default schema (updated key by key).
DJANGO_DEFAULT_SCHEMA: dict[str, str] = {"domain": "video_id", "t1": "min_frame", "t2": "max_frame"}

#: Rekall's ``django_bbox_default_schema()``.
DJANGO_BBOX_DEFAULT_SCHEMA: dict[str, str] = {
    **DJANGO_DEFAULT_SCHEMA,
    "x1": "bbox_x1",
    "x2": "bbox_x2",
    "y1": "bbox_y1",
    "y2": "bbox_y2",
    "payload": "id",
}


_ONLY_SETS = frozenset({IntervalSet3D})


class _GroupedDict(dict):  # type: ignore[type-arg]
    """What ``get_grouped_intervals`` returns: a plain dict that notes being
    changed, so that the collection hands the same one out again (as the
    reference hands out its own) only while no caller has changed it."""

    __slots__ = ("changed",)

    def __init__(self, *args: Any) -> None:  # noqa: D107
        super().__init__(*args)
        self.changed = False


def _noting_change(name: str) -> Callable[..., Any]:
    """``dict``'s method ``name``, marking the dict changed first."""
    method = getattr(dict, name)

    def changing(self: _GroupedDict, *args: Any, **kwargs: Any) -> Any:
        self.changed = True
        return method(self, *args, **kwargs)

    changing.__name__ = name
    return changing


for _name in ("__setitem__", "__delitem__", "__ior__", "clear", "pop", "popitem", "setdefault", "update"):
    setattr(_GroupedDict, _name, _noting_change(_name))
del _name


def _is_queryset(obj: Any) -> bool:
    """Duck-typed ``isinstance(obj, QuerySet)`` that does not import Django."""
    return all(hasattr(obj, a) for a in ("query", "model", "values_list", "iterator"))


def _profiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Accept the reference's ``profile=False`` keyword: print wall time if set."""

    @functools.wraps(fn)
    def method(self: Any, *args: Any, profile: bool = False, **kwargs: Any) -> Any:
        if not profile:
            return fn(self, *args, **kwargs)
        print(f"{fn.__name__} starts.")
        start = time.perf_counter()
        out = fn(self, *args, **kwargs)
        print(f"{fn.__name__} ends after {time.perf_counter() - start:.2f} seconds")
        return out

    return method


def _lookup(index: dict[Hashable, int], keys: list[Hashable]) -> npt.NDArray[np.int64]:
    """``index[k]`` for each of ``keys`` (-1 if absent), as an int64 array."""
    return np.fromiter(map(index.get, keys, itertools.repeat(-1)), dtype=np.int64, count=len(keys))


def _bounds_from(value: Any) -> tuple[Any, Any, Any]:
    """``(t, x, y)`` from a bounds parser's result.

    Accepts a ``(t1, t2)`` pair, a ``(t, x, y)`` triple of pairs, a mapping
    with keys ``t1, t2`` (and optionally ``x1, x2, y1, y2``), or an object
    with ``t``/``x``/``y`` attributes.
    """
    if isinstance(value, dict):
        return (
            (value["t1"], value["t2"]),
            (value.get("x1", 0), value.get("x2", 1)),
            (value.get("y1", 0), value.get("y2", 1)),
        )
    if hasattr(value, "t") and hasattr(value, "x") and hasattr(value, "y"):
        return value.t, value.x, value.y
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return value[0], value[1], value[2]
    return value, (0, 1), (0, 1)


class DomainIntervalCollection(MutableMapping):
    """A mapping from domain key to :class:`IntervalSet3D`, stored columnar.

    Example:
        >>> c = DomainIntervalCollection({"v1": IntervalSet3D([Interval3D((0, 1))])})
        >>> c["v1"].size(), c["missing"].size()
        (1, 0)
    """

    def __init__(self, grouped_intervals: dict[Hashable, IntervalSet3D] | None = None) -> None:
        """Build from a dict of key -> IntervalSet3D (key order is kept).

        Raises:
            TypeError: a value that is not an IntervalSet3D.
        """
        grouped_intervals = grouped_intervals or {}
        keys: list[Hashable] = list(grouped_intervals)
        sets: list[IntervalSet3D] = list(grouped_intervals.values())
        if not _ONLY_SETS.issuperset(map(type, sets)):
            for value in sets:
                self._check_set(value)
        pending = list(map(IntervalSet3D.pending_objects, sets))
        if None in pending and any(p is None and not s.empty() for p, s in zip(pending, sets)):
            # Some sets have columns already: join the columns, set by set.
            parts = [s.columns for s in sets]
            dom = np.repeat(np.arange(len(keys), dtype=np.int64), [len(p) for p in parts])
            self._set_state(keys, Columns.concat(parts), dom)
            return
        # Every set still holds the Interval3D objects it was built from: one
        # pass over all of them makes the columns (a corpus is tens of
        # thousands of small sets), one sort orders them; each set then
        # takes its slice as its columns, and the objects are handed out
        # again by get_intervals, as the reference's sets do.
        objs = list(itertools.chain.from_iterable(p for p in pending if p))
        # The user has just made these objects: a collector pass now would
        # traverse all of them, for nothing (they are all alive).
        with bulk_objects(len(objs)):
            self._adopt_objects(keys, sets, pending, objs)
        if self._all_views is not None:  # the sets are the views: ``grouped_intervals`` is the grouped dict
            self._grouped = _GroupedDict(grouped_intervals)

    def _adopt_objects(
        self, keys: list[Hashable], sets: list[IntervalSet3D], pending: list[list[Interval3D] | None], objs: list[Interval3D]
    ) -> None:
        """Columns of ``objs`` (the objects of every set, set by set), sorted;
        each set given its slice of them (see ``__init__``)."""
        dom = np.repeat(np.arange(len(keys), dtype=np.int64), [len(p) if p else 0 for p in pending])
        cols = Columns.from_intervals(objs)
        order = kernels.sort_order(dom, *cols.bounds())
        if np.any(order[1:] < order[:-1]):
            cols, dom = cols.take(order), dom[order]
            objs = list(map(objs.__getitem__, order.tolist()))
        self._set_state(keys, cols, dom)
        rows = self._rows = RowObjects(cols, objs, check_now=True)
        offsets = self._domain_offsets().tolist()
        for code, value in enumerate(sets):
            if pending[code]:
                value._share(rows, offsets[code], offsets[code + 1])
        if None not in pending:
            self._all_views = sets  # every set is a view now, in code order
        else:
            self._views = {code: value for code, value in enumerate(sets) if pending[code]}

    # -- internal state -----------------------------------------------------

    def _set_state(
        self, keys: list[Hashable], cols: Columns, dom: npt.NDArray[np.int64], index: dict[Hashable, int] | None = None
    ) -> None:
        """Set keys, columns and domain codes; ``index`` (key -> code), if
        known, must match ``keys``.

        ``keys`` is kept, not copied: a collection never changes its key
        list in place (a change makes a new one), so the results of an
        operation share their input's list (copying 84,000 keys costs
        more than some operations).
        """
        self._keys = keys
        # Made on first lookup: hashing 100,000 tuple keys costs more than
        # most operations, and a chain of operations never looks keys up.
        self._index_cache = index
        self._cols = cols
        self._dom = np.asarray(dom, dtype=np.int64)
        self._offsets: npt.NDArray[np.intp] | None = None
        # Per-domain set views, and the Interval3D objects of all rows, made
        # on first use and shared by the views (see ``get_grouped_intervals``).
        self._views: dict[int, IntervalSet3D] = {}
        self._all_views: list[IntervalSet3D] | None = None
        self._grouped: _GroupedDict | None = None
        self._rows: RowObjects | None = None

    @property
    def _index(self) -> dict[Hashable, int]:
        """Key -> domain code."""
        if self._index_cache is None:
            self._index_cache = dict(zip(self._keys, range(len(self._keys))))
        return self._index_cache

    @classmethod
    def _build(
        cls,
        keys: list[Hashable],
        cols: Columns,
        dom: npt.NDArray[Any],
        drop_empty: bool = True,
        index: dict[Hashable, int] | None = None,
        own_keys: bool = False,
    ) -> DomainIntervalCollection:
        """A collection over sorted ``cols``/``dom``; empty domains dropped.

        ``index``: the key index of ``keys``, kept if no domain is dropped.
        ``own_keys``: ``keys`` is a collection's own list (shared, not
        copied; see ``_set_state``).
        """
        obj = cls.__new__(cls)
        if not own_keys:
            keys = list(keys)
        dom = np.asarray(dom, dtype=np.int64)
        offsets = None
        if drop_empty:
            # Rows are in domain order: the domains present are the runs of
            # ``dom``, and the run starts are the offsets of the domains
            # kept (one pass over the rows, none per key but the key list).
            starts = kernels.run_starts(dom)
            if len(starts) < len(keys):
                present = np.zeros(len(keys), dtype=bool)
                present[dom[starts]] = True
                keys = list(itertools.compress(keys, present.tolist()))
                dom = np.repeat(np.arange(len(starts), dtype=np.int64), np.diff(np.append(starts, len(dom))))
                index = None
            offsets = np.append(starts, len(dom))
        obj._set_state(keys, cols, dom, index)
        obj._offsets = offsets
        return obj

    def _derive(
        self, cols: Columns, dom: npt.NDArray[Any], keys: list[Hashable] | None = None
    ) -> DomainIntervalCollection:
        """The result of an operation: ``cols``/``dom`` over this collection's
        keys, or over ``keys`` (``_align``'s), reusing the key index when it
        still applies; empty domains dropped."""
        if keys is None or keys is self._keys:
            return self._build(self._keys, cols, dom, index=self._index_cache, own_keys=True)
        return self._build(keys, cols, dom, own_keys=True)

    def _segment(self, code: int) -> tuple[int, int]:
        offsets = self._domain_offsets()
        return int(offsets[code]), int(offsets[code + 1])

    def _domain_offsets(self) -> npt.NDArray[np.intp]:
        """Row offsets of the domains: domain ``c`` is rows ``[o[c], o[c + 1])``."""
        if self._offsets is None:
            self._offsets = np.searchsorted(self._dom, np.arange(len(self._keys) + 1))
        return self._offsets

    def _view(self, code: int) -> IntervalSet3D:
        """The (cached) set of domain ``code``, a lazy slice of the columns
        (see ``_make_views`` for the views that share the objects)."""
        if self._all_views is not None:
            return self._all_views[code]
        view = self._views.get(code)
        if view is None:
            s, e = self._segment(code)
            view = self._views[code] = IntervalSet3D._view(self._cols, s, e)
        return view

    @staticmethod
    def _check_set(value: Any) -> IntervalSet3D:
        if isinstance(value, IntervalSet3D):
            return value
        raise TypeError(f"a domain's intervals must be an IntervalSet3D, got {value!r}")

    @property
    def columns(self) -> Columns:
        """All rows, sorted by (domain code, t1, t2, x1, x2, y1, y2)."""
        return self._cols

    @property
    def domain_codes(self) -> npt.NDArray[np.int64]:
        """Per-row index into :attr:`domain_keys`."""
        return self._dom

    @property
    def domain_keys(self) -> list[Hashable]:
        """The key table (insertion order)."""
        return list(self._keys)

    def __getstate__(self) -> tuple[Any, ...]:
        return (self._keys, self._cols, self._dom)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._set_state(*state)

    def __repr__(self) -> str:
        return f"<DomainIntervalCollection domains={len(self._keys)} intervals={len(self._cols)}>"

    def _repr_html_(self) -> str | None:
        """The result viewer's first page (25 domains), for notebooks.

        Rendered by the viewer the app registers (``hooks``): a timeline per
        domain; click or press j/k to select an interval and see its boxes
        and payload. None (plain text) when no renderer is registered.
        """
        return hooks.render_html(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DomainIntervalCollection):
            return NotImplemented
        return set(self._index) == set(other._index) and all(self[k] == other[k] for k in self._keys)

    __hash__ = None  # type: ignore[assignment]

    # -- mapping interface --------------------------------------------------

    def __getitem__(self, key: Hashable) -> IntervalSet3D:
        code = self._index.get(key)
        if code is None:
            return IntervalSet3D()
        return self._view(code)

    def __setitem__(self, key: Hashable, value: IntervalSet3D) -> None:
        value = self._check_set(value)
        code = self._index.get(key)
        if code is None:
            keys = self._keys + [key]
            cols = Columns.concat([self._cols, value.columns])
            dom = np.concatenate([self._dom, np.full(len(value), len(self._keys), dtype=np.int64)])
        else:
            s, e = self._segment(code)
            n = len(self._cols)
            keys = self._keys
            cols = Columns.concat([self._cols.slice(0, s), value.columns, self._cols.slice(e, n)])
            dom = np.concatenate([self._dom[:s], np.full(len(value), code, dtype=np.int64), self._dom[e:]])
        self._set_state(keys, cols, dom)

    def __delitem__(self, key: Hashable) -> None:
        code = self._index[key]
        s, e = self._segment(code)
        n = len(self._cols)
        dom = np.concatenate([self._dom[:s], self._dom[e:]])
        dom[dom > code] -= 1
        keys = self._keys[:code] + self._keys[code + 1 :]
        self._set_state(keys, Columns.concat([self._cols.slice(0, s), self._cols.slice(e, n)]), dom)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(list(self._keys))

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._index
        except TypeError:
            return False

    # -- construction -------------------------------------------------------

    @classmethod
    def from_iterable(
        cls,
        iterable: Iterable[Any],
        v_accessor: Callable[[Any], Hashable] | None = None,
        t_accessor: Callable[[Any], Any] | None = None,
        x_accessor: Callable[[Any], Any] | None = None,
        y_accessor: Callable[[Any], Any] | None = None,
        p_accessor: Callable[[Any], Any] | None = None,
        progress: bool = False,
        total: int | None = None,
        *,
        key_parser: Callable[[Any], Hashable] | None = None,
        bounds_parser: Callable[[Any], Any] | None = None,
        payload_parser: Callable[[Any], Any] | None = None,
    ) -> DomainIntervalCollection:
        """Build from an iterable: one interval per element.

        Args:
            iterable: any elements (materialised in memory).
            v_accessor: element -> domain key (alias ``key_parser``).
            t_accessor: element -> temporal bounds (alias ``bounds_parser``,
                which may also return ``(t, x, y)``, a dict with ``t1``...
                ``y2`` keys, or an object with ``t``/``x``/``y``).
            x_accessor, y_accessor: element -> spatial bounds (default (0, 1)).
            p_accessor: element -> payload (alias ``payload_parser``; default None).
            progress: show a tqdm progress bar.
            total: length of ``iterable`` for the progress bar.

        Raises:
            TypeError: missing key or bounds function.
            ValueError/TypeError: an invalid bound (names the value).
        """
        key_fn = v_accessor or key_parser
        bounds_fn = t_accessor or bounds_parser
        payload_fn = p_accessor or payload_parser or (lambda _row: None)
        if key_fn is None or bounds_fn is None:
            raise TypeError("from_iterable needs a key function and a bounds function")
        rows: Iterable[Any] = iterable
        if progress:
            from tqdm import tqdm

            rows = tqdm(iterable, total=total)
        # One pass collecting plain lists; columns, validation (same errors
        # as Interval3D, first bad row first) and one sort come after.
        keys: list[Hashable] = []
        ts: list[Any] = []
        xs: list[Any] = []
        ys: list[Any] = []
        payloads: list[Any] = []
        full = (0, 1)
        for row in rows:
            b = bounds_fn(row)
            if type(b) is tuple:
                t, x, y = b if len(b) == 3 else (b, full, full)
            else:
                t, x, y = _bounds_from(b)
            if x_accessor is not None:
                x = x_accessor(row)
            if y_accessor is not None:
                y = y_accessor(row)
            keys.append(key_fn(row))
            ts.append(t)
            xs.append(x)
            ys.append(y)
            payloads.append(payload_fn(row))
        cols = Columns.from_bound_pairs(ts, xs, ys, payloads)
        index: dict[Hashable, int] = {}
        codes = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int64, count=len(keys))
        cols, dom = sort_columns(cols, codes)
        return cls._build(list(index), cols, dom, drop_empty=False)

    @classmethod
    def from_intervalset(cls, intervalset: IntervalSet3D, key_fn: Callable[[Interval3D], Hashable]) -> DomainIntervalCollection:
        """Group the intervals of one set into domains by ``key_fn(interval)``."""
        grouped: dict[Hashable, list[Interval3D]] = {}
        for i in intervalset.get_intervals():
            grouped.setdefault(key_fn(i), []).append(i)
        return cls({k: IntervalSet3D(v) for k, v in grouped.items()})

    @classmethod
    def from_django_qs(
        cls,
        qs: Any,
        schema: Mapping[str, Any] | None = None,
        with_payload: Callable[[Any], Any] | None = None,
        progress: bool = False,
    ) -> DomainIntervalCollection:
        """Build from a Django queryset: one interval per row.

        Args:
            qs: a QuerySet (or, as in the reference, any iterable of
                model-like rows, read attribute by attribute).
            schema: ``{"domain", "t1", "t2", "x1", "x2", "y1", "y2",
                "payload"}`` -> field name, annotation, lookup path
                (``frame.video_id`` or ``frame__video_id``) or Django
                expression. It updates, key by key, the default
                ``{"domain": "video_id", "t1": "min_frame", "t2":
                "max_frame"}``. Absent ``x``/``y`` read as ``(0, 1)``, an
                absent payload as ``None``.
            with_payload: ``fn(row) -> payload``, overriding the schema's
                payload. ``row`` has attribute and item access to the
                fields ``fn`` reads (relations read as ids).
            progress: show a tqdm bar (total: ``qs.count()``).

        Returns:
            The collection. Rows stream from the database straight into
            numpy columns (``esper_rekall.db.materialize``); no model
            instance is created.

        Raises:
            ValueError: a schema value, or a field ``with_payload`` reads,
                that the queryset lacks, before any row is read.
        """
        if not _is_queryset(qs):
            return cls._from_rows(qs, schema, with_payload, progress)
        return hooks.load_queryset(qs, schema, with_payload, progress)

    @classmethod
    def _from_rows(
        cls, rows: Iterable[Any], schema: Mapping[str, Any] | None, with_payload: Any, progress: bool
    ) -> DomainIntervalCollection:
        """The reference's row-by-row ``from_django_qs`` over model-like objects."""
        s = {**DJANGO_DEFAULT_SCHEMA, **(schema or {})}
        acc = cls.django_accessor

        def pair(a: str, b: str) -> Callable[[Any], Any]:
            return lambda row: (acc(row, a), acc(row, b))

        kwargs: dict[str, Any] = {}
        if "x1" in s and "x2" in s:
            kwargs["x_accessor"] = pair(s["x1"], s["x2"])
        if "y1" in s and "y2" in s:
            kwargs["y_accessor"] = pair(s["y1"], s["y2"])
        if with_payload is not None:
            kwargs["p_accessor"] = with_payload
        elif "payload" in s:
            kwargs["p_accessor"] = lambda row: acc(row, s["payload"])
        total = len(rows) if progress and hasattr(rows, "__len__") else None
        return cls.from_iterable(
            rows, lambda row: acc(row, s["domain"]), pair(s["t1"], s["t2"]),
            progress=progress, total=total, **kwargs,
        )

    @staticmethod
    def django_accessor(row: Any, field: str) -> Any:
        """``row.a.b.c`` for ``field="a.b.c"`` (Rekall's accessor)."""
        return functools.reduce(getattr, field.split("."), row)

    @staticmethod
    def django_bbox_default_schema() -> dict[str, str]:
        """A default schema for a bounding box record in a Django database.

        ``domain: video_id, t1: min_frame, t2: max_frame, x1..y2:
        bbox_x1..bbox_y2, payload: id``.
        """
        return dict(DJANGO_BBOX_DEFAULT_SCHEMA)

    def get_grouped_intervals(self) -> dict[Hashable, IntervalSet3D]:
        """A dict from key to IntervalSet3D (views of this collection).

        The same dict is returned again until a caller changes it (then a
        new one is made), as the reference returns its own; changing it
        never changes the collection. The views share the collection's
        Interval3D objects: iterating the ``get_intervals()`` of every
        domain makes each object once, in one pass over all rows, on the
        first such call. Cost: O(1) after the first call.
        """
        grouped = self._grouped
        if grouped is None or grouped.changed:
            views = self._all_views
            if views is None:
                views = self._all_views = self._make_views()
            grouped = self._grouped = _GroupedDict(zip(self._keys, views))
        return grouped

    def _make_views(self) -> list[IntervalSet3D]:
        """Every domain's view, in code order, each holding the shared objects
        (one pass over the domains: a corpus has tens of thousands)."""
        if self._rows is None:
            self._rows = RowObjects(self._cols)
        rows, cols, cached = self._rows, self._cols, self._views
        offsets = self._domain_offsets().tolist()
        views = []
        for code in range(len(self._keys)):
            view = cached.get(code)
            if view is None or view._rows is None:
                view = cached[code] = IntervalSet3D._view(cols, offsets[code], offsets[code + 1], rows)
            views.append(view)
        return views

    def get_flattened_intervalset(self) -> IntervalSet3D:
        """All intervals in one set (ties in domain order)."""
        return IntervalSet3D._from_columns(self._cols)

    def add_domain_to_payload(self) -> DomainIntervalCollection:
        """Payload ``p`` of an interval in domain ``k`` becomes ``(p, k)``."""
        payload = _object_array([(p, self._keys[d]) for p, d in zip(self._cols.payload, self._dom.tolist())])
        return self._derive(self._cols.replace(payload=payload), self._dom)

    # -- unary operations, one sweep -----------------------------------------

    def _take(self, idx: npt.NDArray[np.intp]) -> DomainIntervalCollection:
        return self._derive(self._cols.take(idx), self._dom[idx])

    @_profiled
    def filter(self, predicate: Any) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.filter`` (one vectorised mask over all rows)."""
        if len(self._cols) == 0:
            return self._derive(self._cols, self._dom)
        mask = np.asarray(evaluate_mask(predicate, self._cols), dtype=bool)
        return self._take(np.flatnonzero(mask))

    @_profiled
    def filter_size(self, min_size: Any = 0, max_size: Any = INFTY, axis: str = "T") -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.filter_size``."""
        return self._take(size_filter_index(self._cols, min_size, max_size, axis))

    @_profiled
    def dilate(self, window: Any, axis: str = "T") -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.dilate``."""
        cols, dom = dilate_columns(self._cols, window, axis, self._dom)
        return self._derive(cols, dom)

    @_profiled
    def temporal_coalesce(self, payload_merge_op: Any = payload_first, epsilon: Any = 0) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.temporal_coalesce``."""
        cols, dom = coalesce_columns(self._cols, payload_merge_op, epsilon, self._dom)
        return self._derive(cols, dom)

    @_profiled
    def group_by_time(self) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.group_by_time``."""
        cols, dom = group_by_time_columns(self._cols, self._dom)
        return self._derive(cols, dom)

    @_profiled
    def map_payload(self, fn: Callable[[Any], Any]) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.map_payload``."""
        payload = _object_array([fn(p) for p in self._cols.payload])
        return self._derive(self._cols.replace(payload=payload), self._dom)

    def _per_domain(self, name: str, *args: Any, **kwargs: Any) -> DomainIntervalCollection:
        out = {k: getattr(self[k], name)(*args, **kwargs) for k in self._keys}
        return DomainIntervalCollection({k: v for k, v in out.items() if not v.empty()})

    @_profiled
    def map(self, map_fn: Callable[[Interval3D], Interval3D]) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.map``."""
        return self._per_domain("map", map_fn)

    @_profiled
    def split(self, split_fn: Callable[[Interval3D], IntervalSet3D]) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.split``."""
        return self._per_domain("split", split_fn)

    @_profiled
    def group_by(self, key: Callable[[Interval3D], Any], merge: Callable[[Any, IntervalSet3D], Interval3D]) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.group_by``."""
        return self._per_domain("group_by", key, merge)

    @_profiled
    def fold_to_set(self, reducer: Callable[[Any, Interval3D], Any], init: Any = None, acc_to_set: Any = None, sort_key: Any = None) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.fold_to_set``."""
        return self._per_domain("fold_to_set", reducer, init, acc_to_set, sort_key)

    # -- out-of-system -------------------------------------------------------

    @_profiled
    def size(self) -> dict[Hashable, int]:
        """``{key: number of intervals}``."""
        counts = np.bincount(self._dom, minlength=len(self._keys)).tolist()
        return dict(zip(self._keys, counts))

    @_profiled
    def empty(self) -> dict[Hashable, bool]:
        """``{key: whether the domain has no intervals}``."""
        return {k: n == 0 for k, n in self.size().items()}

    @_profiled
    def fold(self, reducer: Callable[[Any, Interval3D], Any], init: Any = None, sort_key: Any = None) -> dict[Hashable, Any]:
        """``{key: IntervalSet3D.fold(...)}``."""
        return {k: self[k].fold(reducer, init, sort_key) for k in self._keys}

    @_profiled
    def match(self, pattern: Any, exact: bool = False) -> dict[Hashable, list[dict[str, Interval3D]]]:
        """``{key: IntervalSet3D.match(...)}``."""
        return {k: self[k].match(pattern, exact) for k in self._keys}

    # -- binary operations, aligned by domain ---------------------------------

    def _align(self, other: DomainIntervalCollection) -> tuple[list[Hashable], Columns, npt.NDArray[np.int64]]:
        """Union key table (this collection's own list when ``other`` adds no
        key); ``other``'s rows recoded into it and re-sorted."""
        if not isinstance(other, DomainIntervalCollection):
            raise TypeError(f"expected a DomainIntervalCollection, got {other!r}")
        keys = self._keys
        if other._keys == keys:
            return keys, other._cols, other._dom
        remap = self._codes_of(other)
        missing = np.flatnonzero(remap < 0)
        if len(missing):
            keys = keys + _object_array(other._keys)[missing].tolist()
            remap[missing] = np.arange(len(self._keys), len(keys))
        if len(other._dom) == 0 or np.all(remap[1:] > remap[:-1]):
            return keys, other._cols, remap[other._dom] if len(other._dom) else other._dom
        # Reorder whole domain segments (rows inside one stay in time order):
        # an O(n) lazy gather instead of a full sort; binary operations read
        # two bound columns of it, payloads only of the rows they keep.
        segments = np.argsort(remap, kind="stable")
        offsets = np.searchsorted(other._dom, np.arange(len(other._keys) + 1))
        _, rows = kernels.expand_ranges(offsets[segments], offsets[segments + 1])
        return keys, other._cols.take_lazy(rows), remap[other._dom[rows]]

    def _restrict(self, other: DomainIntervalCollection) -> tuple[Columns, npt.NDArray[np.int64]]:
        """``other``'s rows in this collection's domains, recoded to its key
        table, in domain order.

        For the binary operations whose result holds only this collection's
        domains (all but ``union``): ``other``'s other domains could only add
        keys that end up empty and dropped. Faces in 84,000 domains against
        commercials in a few thousand thus keep their key table and index,
        and commercials against faces read only the faces' rows in domains
        that have commercials.
        """
        if not isinstance(other, DomainIntervalCollection):
            raise TypeError(f"expected a DomainIntervalCollection, got {other!r}")
        if other._keys is self._keys or other._keys == self._keys:
            return other._cols, other._dom
        remap = self._codes_of(other)
        segments = np.flatnonzero(remap >= 0)
        segments = segments[np.argsort(remap[segments], kind="stable")]
        if np.array_equal(segments, np.arange(len(other._keys))):
            return other._cols, remap[other._dom]
        # Whole domain segments, rows inside one staying in time order: a
        # lazy gather, of which binary operations read two bound columns.
        offsets = other._domain_offsets()
        _, rows = kernels.expand_ranges(offsets[segments], offsets[segments + 1])
        return other._cols.take_lazy(rows), remap[other._dom[rows]]

    def _codes_of(self, other: DomainIntervalCollection) -> npt.NDArray[np.int64]:
        """This collection's code of each of ``other``'s keys (-1: not here).

        Hashes the smaller key table into the larger one's (cached) index, so
        a small collection against a large one (commercials against faces
        in 100,000 domains) costs the small one's size. The codes are kept
        for the last pair of key lists seen (key lists are never changed in
        place, see ``_set_state``): a query that applies several binary
        operations against the same collection hashes the keys once.
        Returns a new array (callers may change it).
        """
        memo = self.__dict__.get("_codes_memo")
        if memo is None or memo[0] is not self._keys or memo[1] is not other._keys:
            memo = self._codes_memo = (self._keys, other._keys, self._lookup_codes(other))
        return memo[2].copy()

    def _lookup_codes(self, other: DomainIntervalCollection) -> npt.NDArray[np.int64]:
        """``_codes_of`` without the memo: one dictionary lookup per key of the smaller table."""
        if len(other._keys) <= len(self._keys):
            return _lookup(self._index, other._keys)
        theirs = _lookup(other._index, self._keys)
        codes = np.full(len(other._keys), -1, dtype=np.int64)
        found = np.flatnonzero(theirs >= 0)
        codes[theirs[found]] = found
        return codes

    @_profiled
    def union(self, other: DomainIntervalCollection) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.union``."""
        keys, o_cols, o_dom = self._align(other)
        cols, dom = sort_columns(Columns.concat([self._cols, o_cols]), np.concatenate([self._dom, o_dom]))
        return self._derive(cols, dom, keys)

    @_profiled
    def minus(self, other: DomainIntervalCollection) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.minus``."""
        o_cols, o_dom = self._restrict(other)
        cols, dom = minus_columns(self._cols, o_cols, self._dom, o_dom)
        return self._derive(cols, dom)

    @_profiled
    def join(self, other: DomainIntervalCollection, predicate: Any, merge_op: Callable[[Interval3D, Interval3D], Any], time_window: Any = None) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.join``."""
        o_cols, o_dom = self._restrict(other)
        li, ri = window_pairs(self._cols, o_cols, predicate, time_window, self._dom, o_dom)
        left, right = _row_factory(self._cols), _row_factory(o_cols)
        l_dom = self._dom.tolist()
        out: list[Interval3D] = []
        out_dom: list[int] = []
        for i, j in zip(li.tolist(), ri.tolist()):
            produced = list(merge_op(left(i), right(j)))
            for p in produced:
                if not isinstance(p, Interval3D):
                    raise TypeError(f"merge_op must return Interval3Ds, got {p!r}")
            out.extend(produced)
            out_dom.extend([l_dom[i]] * len(produced))
        cols, dom = sort_columns(Columns.from_intervals(out), np.asarray(out_dom, dtype=np.int64))
        return self._derive(cols, dom)

    @_profiled
    def merge(self, other: DomainIntervalCollection, predicate: Any, payload_merge_op: Any = payload_first, time_window: Any = None) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.merge``."""
        o_cols, o_dom = self._restrict(other)
        li, ri = window_pairs(self._cols, o_cols, predicate, time_window, self._dom, o_dom)
        cols, dom = merge_columns(self._cols, o_cols, li, ri, payload_merge_op, self._dom)
        return self._derive(cols, dom)

    @_profiled
    def filter_against(self, other: DomainIntervalCollection, predicate: Any, time_window: Any = None) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.filter_against``."""
        o_cols, o_dom = self._restrict(other)
        li, _ = window_pairs(self._cols, o_cols, predicate, time_window, self._dom, o_dom)
        keep = kernels.distinct_sorted(li)
        return self._derive(self._cols.take(keep), self._dom[keep])

    @_profiled
    def collect_by_interval(self, other: DomainIntervalCollection, predicate: Any, filter_empty: bool = True, time_window: Any = None) -> DomainIntervalCollection:
        """Per domain ``IntervalSet3D.collect_by_interval``."""
        o_cols, o_dom = self._restrict(other)
        li, ri = window_pairs(self._cols, o_cols, predicate, time_window, self._dom, o_dom)
        cols = collect_columns(self._cols, o_cols, li, ri, filter_empty)
        if filter_empty:
            dom = self._dom[kernels.distinct_sorted(li)]
        else:
            dom = self._dom
        return self._derive(cols, dom)
