"""Lazy interval queries over Django querysets, compiled to SQL where possible.

Provides:
    IntervalQuery: an immutable list of steps over a queryset and an
        interval schema; every operation returns a clone. It offers the
        ``DomainIntervalCollection`` method names; ``collect()`` runs it.
    interval_query(qs, schema=None): the IntervalQuery of any queryset.

``explain(analyze=True)`` shows each step's rows in and out; a ``collect()``
without intervals logs them (a WARNING on this module's logger).

How it runs. The queryset becomes a relation with the canonical columns
``er_d, er_t1 ... er_y2, er_p`` plus order columns that reproduce the
in-memory tie order: ``er_o0`` is the row's rank in the queryset's
``order_by`` (then pk), or the pk when it has none. Each step that has a
SQL form reads the previous relation by name, ``SELECT ... FROM <name> r``,
from one flat ``WITH`` list (so the statement's nesting depth does not grow
with the number of steps: SQLite's parser overflows at ~16 nested
subqueries); its expressions are Django expressions compiled by Django's
compiler (every value a bound parameter). Domains compare with ``IS NOT
DISTINCT FROM`` when they may be NULL; arithmetic widens integer columns to
``BIGINT`` as numpy's ``int64`` is. The steps:

- ``filter`` (built-in bbox/logical predicates), ``filter_size``,
  ``dilate`` (a negative window erodes and drops inverted rows): ``WHERE``;
- ``filter_against``: ``WHERE EXISTS (SELECT 1 FROM other o WHERE
  o.er_d = r.er_d AND <predicate> AND <exact band conditions>)``;
- ``join`` (``span_merge``/``overlap_time_merge``) and ``merge``
  (``payload_first``/``payload_second``): an inner join on the domain;
- ``collect_by_interval``: a correlated JSON-aggregating subquery;
- ``temporal_coalesce`` (``payload_first``): gaps-and-islands with window
  functions (``MAX(t2) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND 1
  PRECEDING)``, a running ``SUM`` of new-island flags, ``GROUP BY`` island);
  ``payload_plus`` too when the payload kind is known (``payload_kind``):
  ``"int"`` (a non-null integer field: ``SUM``, cast to ``BIGINT`` on
  PostgreSQL) or ``"list"`` (a JSON field the caller asserts holds lists:
  the island's lists concatenated in row order, an ordered ``JSONB_AGG``
  flattened by the jsonpath ``strict $[*][*]`` on PostgreSQL, an ordered
  ``GROUP_CONCAT`` window over the arrays' inner text on SQLite: see
  ``ConcatLists`` in :mod:`.expressions`);
- ``group_by_time``: ``GROUP BY (er_d, er_t1, er_t2)`` with ``JSON_AGG`` /
  ``json_group_array`` of the members when a later SQL step or another
  query reads it; as the last SQL step of ``collect()``, the members are
  fetched flat in ``(er_d, er_t1, er_t2, ...)`` order and grouped in numpy
  (no JSON), and ``explain()`` reports it as Python;
- ``minus``: the other side's positive-length ranges coalesced into islands
  per domain (window functions), the gaps between islands (``LAG``), each
  row intersected with the gaps it overlaps (``UNION ALL`` the rows no
  island touches); a check query run before collecting raises the
  in-memory ``NotFullFrameError`` if the other side is not full-frame;
- ``union``: ``UNION ALL`` (an int axis against a float one is float only if
  the float side has rows, as in memory: decided by a probe query);
  ``size``/``count``: ``GROUP BY er_d`` / ``COUNT``.

Anything else (a Python callable, a payload predicate, an unknown merge op,
``temporal_coalesce`` with another merge op than ``payload_first`` or a
``payload_plus`` over payloads of unknown kind, ``map`` ...) runs in Python on the materialised collection, and so
does every later step; ``explain()`` says which and why. Results equal the
in-memory ones exactly: same intervals, order, payloads and bound types.

Layout: :mod:`.source` turns the queryset into the first relation,
:mod:`.steps` compiles each step onto the relation before it (relations and
their ``WITH`` plumbing: :mod:`.relation`; vendor-specific SQL:
:mod:`.expressions`), :mod:`.fetch` runs and decodes the result; this module
plans which steps run where and offers the public :class:`IntervalQuery`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Callable, Hashable, Literal, NamedTuple

from ..intervals.collection import DomainIntervalCollection
from ..intervals.common import INFTY
from ..intervals.merge_ops import payload_first
from .compiler import NotPushable
from .fetch import count_rows, domain_sizes, fetch_collection
from .relation import Rel
from .schema import schema_for_queryset
from .source import base_relation, schema_expressions
from .steps import Builder, Unplanned

__all__ = ["IntervalQuery", "interval_query"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One operation: its name, arguments, and where it runs."""

    op: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()

    def call_repr(self) -> str:
        """``op(arg, ..., key=value)`` as ``explain()`` lists it."""
        args = [repr(a) if not isinstance(a, IntervalQuery) else "<IntervalQuery>" for a in self.args]
        args += [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.op}({', '.join(args)})"


class _Note(NamedTuple):
    """Where one step runs and why; ``rel``: the relation after it, for a step in SQL."""

    step: Step
    where: Literal["SQL", "Python"]
    why: str = ""
    rel: Rel | None = None


@dataclass
class _Plan:
    """Where each step of a query runs: the relation of its SQL part and a note per step."""

    rel: Rel
    sql_steps: int
    notes: list[_Note]


def _other_side(arg: Any) -> Any:
    """A step argument as the step compiler reads it: another query becomes its relation."""
    if not isinstance(arg, IntervalQuery):
        return arg
    plan = arg._plan()
    if plan.sql_steps < len(arg._steps):
        return Unplanned("the other query has steps that run in Python")
    return plan.rel


def _total(coll: DomainIntervalCollection) -> int:
    """The number of intervals of a collection, over all domains."""
    return sum(coll.size().values())


def _after_step(rel: Rel, step: Step) -> Rel:
    """Carry the other sides' checks; keep ``flat`` only on group_by_time's own relation."""
    checks = list(rel.checks)
    for arg in step.args:
        if isinstance(arg, IntervalQuery):
            checks += [ch for ch in arg._plan().rel.checks if ch not in checks]
    flat = rel.flat if step.op == "group_by_time" else None
    return replace(rel, checks=tuple(checks), flat=flat)


#: Steps that keep each surviving row's payload: a filter on nested payloads commutes with them.
_ROW_WISE = ("filter", "filter_size", "dilate", "filter_against")
_PYTHON_ONLY = ("map", "map_payload", "split", "group_by", "fold_to_set", "add_domain_to_payload")


class IntervalQuery:
    """A lazy, immutable interval query over a queryset.

    Every operation returns a new query with one more step. ``collect()``
    runs it: steps with a SQL form run in the database; from the first step
    without one, the rest run in Python on the materialised collection.

    Example:
        >>> q = interval_query(Face.objects.all(), schema).filter(XY(height_at_least(0.2)))
        >>> q.filter_against(commercials, T(overlaps())).collect()  # doctest: +SKIP
    """

    def __init__(self, qs: Any, schema: Any = None, steps: tuple[Step, ...] = (), payload_kind: str | None = None,
                 nested_filter: Callable[[Any, Any], Any] | None = None) -> None:
        """Build the query of ``qs`` under ``schema`` (validated here).

        ``payload_kind="list"`` asserts that the payload (whose output field
        must be a JSONField) holds JSON lists, so ``temporal_coalesce(
        payload_plus)`` concatenates them in SQL; None infers ``"int"`` for a
        non-null integer payload and otherwise knows nothing.

        ``nested_filter(qs, predicate) -> qs | None`` lets a source whose
        payloads are nested sets kept as rows (a stored collection) run a
        ``filter`` on them as a filter of ``qs``: it applies to the
        ``filter`` steps before any step that changes rows' payloads.

        Raises:
            ValueError: a schema field that does not exist on the model, or
                ``payload_kind="list"`` on a payload that is not a JSONField.
            TypeError: a schema that is not an IntervalSchema or mapping.
        """
        if schema is None:
            schema = schema_for_queryset(qs)
        self._qs = qs
        self._schema = schema
        self._exprs = schema_expressions(qs, schema)
        self._payload_kind = payload_kind
        self._nested_filter = nested_filter
        self._base = base_relation(qs, self._exprs, payload_kind)
        self._steps = tuple(steps)

    def _clone(self, step: Step) -> IntervalQuery:
        obj = IntervalQuery.__new__(IntervalQuery)
        obj.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_planned"})
        obj._steps = (*self._steps, step)
        return obj

    def _add(self, op: str, *args: Any, **kwargs: Any) -> IntervalQuery:
        return self._clone(Step(op, args, tuple(kwargs.items())))

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps so far."""
        return self._steps

    # -- the collection's operations ---------------------------------------
    def filter(self, predicate: Any) -> IntervalQuery:
        """Lazy ``DomainIntervalCollection.filter``."""
        return self._add("filter", predicate)

    def filter_size(self, min_size: Any = 0, max_size: Any = INFTY, axis: str = "T") -> IntervalQuery:
        """Lazy ``filter_size``."""
        return self._add("filter_size", min_size, max_size, axis)

    def dilate(self, window: Any, axis: str = "T") -> IntervalQuery:
        """Lazy ``dilate`` (negative erodes, dropping inverted intervals)."""
        return self._add("dilate", window, axis)

    def filter_against(self, other: Any, predicate: Any, time_window: Any = None) -> IntervalQuery:
        """Lazy ``filter_against`` (correlated ``EXISTS`` on the same domain)."""
        return self._add("filter_against", other, predicate, time_window)

    def join(self, other: Any, predicate: Any, merge_op: Callable[..., Any], time_window: Any = None) -> IntervalQuery:
        """Lazy ``join``; SQL for ``span_merge``/``overlap_time_merge`` merge ops."""
        return self._add("join", other, predicate, merge_op, time_window)

    def merge(self, other: Any, predicate: Any, payload_merge_op: Any = payload_first, time_window: Any = None) -> IntervalQuery:
        """Lazy ``merge``; SQL for ``payload_first``/``payload_second``."""
        return self._add("merge", other, predicate, payload_merge_op, time_window)

    def collect_by_interval(self, other: Any, predicate: Any, filter_empty: bool = True, time_window: Any = None) -> IntervalQuery:
        """Lazy ``collect_by_interval`` (a JSON-aggregating correlated subquery)."""
        return self._add("collect_by_interval", other, predicate, filter_empty, time_window)

    def temporal_coalesce(self, payload_merge_op: Any = payload_first, epsilon: Any = 0) -> IntervalQuery:
        """Lazy ``temporal_coalesce``; SQL (gaps-and-islands) for ``payload_first``, and for
        ``payload_plus`` over ``"int"``/``"list"`` payloads (see ``payload_kind``)."""
        return self._add("temporal_coalesce", payload_merge_op, epsilon)

    def group_by_time(self) -> IntervalQuery:
        """Lazy ``group_by_time`` (``GROUP BY`` with JSON-aggregated members)."""
        return self._add("group_by_time")

    def union(self, other: Any) -> IntervalQuery:
        """Lazy ``union`` (``UNION ALL``)."""
        return self._add("union", other)

    def minus(self, other: Any) -> IntervalQuery:
        """Lazy ``minus`` (SQL: islands of the other side, gaps, intersections)."""
        return self._add("minus", other)

    def map(self, map_fn: Callable[..., Any]) -> IntervalQuery:
        """Lazy ``map`` (Python)."""
        return self._add("map", map_fn)

    def map_payload(self, fn: Callable[[Any], Any]) -> IntervalQuery:
        """Lazy ``map_payload`` (Python)."""
        return self._add("map_payload", fn)

    def split(self, split_fn: Callable[..., Any]) -> IntervalQuery:
        """Lazy ``split`` (Python)."""
        return self._add("split", split_fn)

    def group_by(self, key: Callable[..., Any], merge: Callable[..., Any]) -> IntervalQuery:
        """Lazy ``group_by`` (Python)."""
        return self._add("group_by", key, merge)

    def fold_to_set(self, reducer: Callable[..., Any], init: Any = None, acc_to_set: Any = None, sort_key: Any = None) -> IntervalQuery:
        """Lazy ``fold_to_set`` (Python)."""
        return self._add("fold_to_set", reducer, init, acc_to_set, sort_key)

    def add_domain_to_payload(self) -> IntervalQuery:
        """Lazy ``add_domain_to_payload`` (Python)."""
        return self._add("add_domain_to_payload")

    # -- planning and running ----------------------------------------------
    def _plan(self) -> _Plan:
        """Where each step runs; computed once (the query is immutable, and a
        nested query is planned by each step that reads it)."""
        plan = self.__dict__.get("_planned")
        if plan is None:
            plan = self._planned = self._make_plan()
        return plan

    def _nested_filters(self) -> tuple[Rel, set[int]]:
        """The base relation with the leading nested-set filters folded into its
        queryset, and the indices of the steps folded (see ``nested_filter``)."""
        if self._nested_filter is None:
            return self._base, set()
        qs, folded = self._qs, set()
        for i, step in enumerate(self._steps):
            if step.op not in _ROW_WISE:
                break
            if step.op == "filter":
                narrowed = self._nested_filter(qs, step.args[0])
                if narrowed is not None:
                    qs = narrowed
                    folded.add(i)
        if not folded:
            return self._base, folded
        return base_relation(qs, self._exprs, self._payload_kind), folded

    def _make_plan(self) -> _Plan:
        rel, folded = self._nested_filters()
        notes: list[_Note] = []
        sql_steps = 0
        python_from: str | None = None
        for i, step in enumerate(self._steps):
            if i in folded:
                sql_steps += 1
                notes.append(_Note(step, "SQL", "over the nested sets' child rows", rel))
                continue
            if python_from is None:
                if step.op in _PYTHON_ONLY:
                    python_from = f"{step.op} has no SQL form"
                else:
                    try:
                        args = [_other_side(a) for a in step.args]
                        new = getattr(Builder, step.op)(rel, *args, **dict(step.kwargs))
                    except NotPushable as exc:
                        python_from = str(exc)
                    else:
                        rel = _after_step(new, step)
                if python_from is None:
                    sql_steps += 1
                    notes.append(_Note(step, "SQL", "", rel))
                    continue
                notes.append(_Note(step, "Python", python_from))
            else:
                notes.append(_Note(step, "Python", "after a step that runs in Python"))
        return _Plan(rel, sql_steps, notes)

    def _run_plan(self) -> _Plan:
        """The plan ``collect()`` runs, as ``explain()``, ``repr`` and ``sql()`` report it.

        It is :meth:`_plan` except when ``group_by_time`` is the last step in
        SQL: then the members are fetched by the SQL of the steps before it,
        ordered by ``(domain, t1, t2, ...)``, and ``group_by_time`` runs in
        numpy on them (slicing one sorted ``Columns``: no JSON, no per-group
        decoding), so that step is reported as Python. The ``GROUP BY`` form
        serves when a later SQL step or another query reads this one.
        """
        plan = self._plan()
        if plan.rel.flat is None:
            return plan
        notes = list(plan.notes)
        k = plan.sql_steps - 1
        notes[k] = _Note(notes[k].step, "Python", "grouped in numpy from the members the SQL fetches in time order")
        return _Plan(plan.rel.flat, k, notes)

    def collect(self, progress: bool = False, pushdown: bool = True) -> DomainIntervalCollection:
        """Run the query and return its ``DomainIntervalCollection``.

        Args:
            progress: show a progress bar while materialising.
            pushdown: False loads the queryset's intervals and runs every
                step in Python (the reference the SQL path must equal).

        A result without intervals logs one WARNING line on the
        ``esper_rekall.db.query`` logger with the rows left after each step
        (``Face queryset 120 -> filter 37 -> filter_against 0``), counted
        with one ``COUNT(*)`` per step in SQL; silence that logger to skip
        the counts.
        """
        plan = self._run_plan() if pushdown else self._python_plan()
        coll, python_rows = self._execute(plan, pushdown, progress)
        if _total(coll) == 0 and logger.isEnabledFor(logging.WARNING):
            counts = self._rows_per_step(plan, python_rows)
            path = " -> ".join([f"{self._qs.model.__name__} queryset {counts[0]}",
                                *(f"{note.step.op} {n}" for note, n in zip(plan.notes, counts[1:]))])
            logger.warning("IntervalQuery.collect() produced no intervals; rows after each step: %s", path)
        return coll

    def _python_plan(self) -> _Plan:
        """Every step in Python on the queryset's intervals (``collect(pushdown=False)``)."""
        return _Plan(self._base, 0, [_Note(s, "Python", "pushdown=False") for s in self._steps])

    def _execute(self, plan: _Plan, pushdown: bool, progress: bool = False) -> tuple[DomainIntervalCollection, list[int | None]]:
        """Run ``plan``: its SQL part, then its Python steps on the collection.

        Returns the collection and, per step, the number of intervals a
        Python step produced (None for a step in SQL).
        """
        coll = fetch_collection(plan.rel, progress=progress)
        python_rows: list[int | None] = []
        for note in plan.notes:
            if note.where == "SQL":
                python_rows.append(None)
                continue
            step = note.step
            args = [a.collect(pushdown=pushdown) if isinstance(a, IntervalQuery) else a for a in step.args]
            coll = getattr(coll, step.op)(*args, **dict(step.kwargs))
            python_rows.append(_total(coll))
        return coll, python_rows

    def _rows_per_step(self, plan: _Plan, python_rows: list[int | None]) -> list[int]:
        """The rows of the queryset's intervals, then the rows after each step of ``plan``.

        A step in SQL is counted with ``COUNT(*)`` over its relation (one
        query per step); a Python step's count comes from ``python_rows``.
        A step in SQL that the Python part reads whole (``group_by_time``
        run in numpy) has no relation of its own and counts as Python.
        """
        counts = [count_rows(self._base)]
        for note, rows in zip(plan.notes, python_rows):
            counts.append(rows if rows is not None else count_rows(note.rel))  # a SQL note has its rel
        return counts

    def size(self) -> dict[Hashable, int]:
        """``{domain: number of intervals}`` (a ``GROUP BY`` when all steps are SQL)."""
        plan = self._plan()
        if plan.sql_steps < len(self._steps):
            return self.collect().size()
        return domain_sizes(plan.rel)

    def count(self) -> int:
        """Total number of intervals (``COUNT(*)`` when all steps are SQL)."""
        plan = self._plan()
        if plan.sql_steps < len(self._steps):
            return _total(self.collect())
        return count_rows(plan.rel)

    def sql(self) -> tuple[str, tuple[Any, ...]]:
        """The SQL (with placeholders) and parameters of the SQL part, as ``collect()`` runs it."""
        sql, params = self._run_plan().rel.statement()
        return sql, tuple(params)

    def explain(self, print_: bool = True, analyze: bool = False) -> str:
        """The SQL of the SQL part and, per step, where it runs and why.

        On PostgreSQL the SQL is shown with its parameters bound by the
        driver (``cursor.mogrify``); elsewhere with the parameter list.
        ``analyze=True`` also runs the query and shows each step's rows in
        and out (``[120 -> 37 rows]``), so an empty or small result shows
        the step where the rows vanished; a step in SQL is counted with a
        ``COUNT(*)`` of the statement up to it.
        """
        plan = self._run_plan()
        counts: list[int] = []
        if analyze:
            in_python = any(note.where == "Python" for note in plan.notes)
            python_rows = self._execute(plan, pushdown=True)[1] if in_python else [None] * len(plan.notes)
            counts = self._rows_per_step(plan, python_rows)
        rows = lambda k: f" [{counts[k - 1]} -> {counts[k]} rows]" if counts else ""  # noqa: E731
        conn = plan.rel.connection
        sql, params = plan.rel.statement()
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                sql = cursor.mogrify(sql, params)
                sql = sql.decode() if isinstance(sql, bytes) else sql
            params_line = ""
        else:
            params_line = f"params: {list(params)!r}\n"
        lines = [repr(self), f"SQL ({conn.vendor}):", sql, params_line.rstrip("\n")]
        lines = [line for line in lines if line]
        lines.append("steps:")
        lines.append(f"  0. {self._qs.model.__name__} queryset -> intervals: SQL" + (f" [{counts[0]} rows]" if counts else ""))
        for k, note in enumerate(plan.notes, 1):
            lines.append(f"  {k}. {note.step.call_repr()}: {note.where}" + (f" ({note.why})" if note.why else "") + rows(k))
        text = "\n".join(lines)
        if print_:
            print(text)
        return text

    def __repr__(self) -> str:
        plan = self._run_plan()
        n = len(self._steps)
        return (f"<IntervalQuery {self._qs.model.__name__}: {n} step{'s' if n != 1 else ''} "
                f"({plan.sql_steps} SQL, {n - plan.sql_steps} Python)>")


def interval_query(qs: Any, schema: Any = None, payload_kind: str | None = None) -> IntervalQuery:
    """The lazy :class:`IntervalQuery` of any queryset under ``schema``.

    ``schema`` is an ``IntervalSchema`` or a mapping of canonical names
    (``domain, t1, t2, x1, x2, y1, y2, payload``) to field paths or
    expressions; None uses the model's default schema. ``payload_kind="list"``
    asserts JSON list payloads (see :class:`IntervalQuery`).
    """
    return IntervalQuery(qs, schema, payload_kind=payload_kind)
