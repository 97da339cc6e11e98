"""Rekall's deprecated VideoIntervalCollection: video id -> IntervalList.

Provides:
    VideoIntervalCollection(video_ids_to_intervals): a dict of IntervalLists
        exposing the IntervalList operations per video. Unary operations
        apply to every video; ``join``, ``filter_against``, ``overlaps`` and
        ``merge`` run on the videos in both collections; ``minus`` keeps
        self's videos (unchanged where other has none); ``set_union`` takes
        every video of either. Videos left empty are dropped (``map`` and
        ``set_union`` keep them, as in Rekall).

No Django import at module level: ``from_django_qs`` imports
``esper_rekall.db`` only when given a QuerySet. New code should use
``DomainIntervalCollection``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from . import hooks
from .collection import DomainIntervalCollection, _is_queryset
from .common import INFTY
from .interval_list import IntervalList
from .merge_ops import payload_first

__all__ = ["VideoIntervalCollection"]

DEFAULT_SCHEMA = {"start": "min_frame", "end": "max_frame", "payload": "id"}


def _check_schema(schema: Mapping[str, str], with_payload: Any) -> None:
    """Raise ``ValueError`` unless ``schema`` maps start, end (and payload, unless ``with_payload``)."""
    for key in ("start", "end") + (() if with_payload else ("payload",)):
        if key not in schema:
            raise ValueError(f"schema must map {key!r} to a field, got schema={schema!r}")


def _nonempty(d: Mapping[Any, IntervalList]) -> dict[Any, IntervalList]:
    return {k: v for k, v in d.items() if v.size() > 0}


class VideoIntervalCollection:
    """A mapping from video id to :class:`IntervalList`.

    Attributes:
        intervals: ``{video_id: IntervalList}``.
    """

    def __init__(self, video_ids_to_intervals: Mapping[Any, Any]) -> None:
        self.intervals: dict[Any, IntervalList] = {
            vid: IntervalList(v) for vid, v in video_ids_to_intervals.items()
        }

    # ------------------------------------------------------------ builders
    @staticmethod
    def from_iterable(
        iterable: Iterable[Any],
        accessor: Callable[[Any, str], Any],
        video_id_field: str,
        schema: Mapping[str, str],
        with_payload: Callable[[Any], Any] | None = None,
        progress: bool = False,
        total: int | None = None,
    ) -> VideoIntervalCollection:
        """Group rows by ``video_id_field`` into (start, end, payload) tuples.

        ``schema`` maps ``"start"``, ``"end"`` and ``"payload"`` to field
        names; ``with_payload(row)`` replaces the payload field.
        """
        _check_schema(schema, with_payload)
        rows: Iterable[Any] = iterable
        if progress:
            from tqdm import tqdm

            rows = tqdm(iterable, total=total)
        grouped: dict[Any, list[tuple[Any, Any, Any]]] = {}
        for row in rows:
            payload = with_payload(row) if with_payload else accessor(row, schema["payload"])
            grouped.setdefault(accessor(row, video_id_field), []).append(
                (accessor(row, schema["start"]), accessor(row, schema["end"]), payload)
            )
        return VideoIntervalCollection(grouped)

    #: ``row.a.b.c`` for ``field="a.b.c"``: the same accessor as the 3D collection's.
    django_accessor = staticmethod(DomainIntervalCollection.django_accessor)

    @staticmethod
    def spark_accessor(row: Any, field: str) -> Any:
        """``row[field]``."""
        return row[field]

    @staticmethod
    def from_django_qs(qs: Iterable[Any], video_id_field: str = "video_id",
                       schema: Mapping[str, str] | None = None,
                       with_payload: Callable[[Any], Any] | None = None,
                       progress: bool = False, total: int | None = None) -> VideoIntervalCollection:
        """From a queryset; default schema ``min_frame`` / ``max_frame`` / ``id``.

        ``schema`` maps ``"start"``, ``"end"`` and ``"payload"`` to field
        names (as Rekall's; other keys are ignored); ``with_payload(row)``
        replaces the payload field. A QuerySet streams straight into
        columns (``esper_rekall.db.materialize``: no model instances; fields
        the queryset lacks are a ``ValueError`` before any row is read;
        ``with_payload`` rows give attribute access to the fields it
        reads). Any other iterable is read row by row with
        :meth:`django_accessor`, as in Rekall.
        """
        schema = DEFAULT_SCHEMA if schema is None else schema
        if not _is_queryset(qs):
            return VideoIntervalCollection.from_iterable(
                qs, VideoIntervalCollection.django_accessor, video_id_field,
                schema, with_payload, progress, total)
        _check_schema(schema, with_payload)
        parts = {"domain": video_id_field, "t1": schema["start"], "t2": schema["end"],
                 "payload": None if with_payload else schema["payload"]}
        coll = hooks.load_queryset(qs, parts, with_payload, progress)
        return VideoIntervalCollection({vid: coll[vid] for vid in coll})

    @staticmethod
    def from_spark_df(dataframe: Any, video_id_field: str = "video_id",
                      schema: Mapping[str, str] | None = None,
                      with_payload: Callable[[Any], Any] | None = None,
                      progress: bool = False, total: int | None = None) -> VideoIntervalCollection:
        """From a Spark dataframe (collected); default schema as Django's."""
        return VideoIntervalCollection.from_iterable(
            dataframe.collect(), VideoIntervalCollection.spark_accessor, video_id_field,
            DEFAULT_SCHEMA if schema is None else schema, with_payload, progress, total)

    # ------------------------------------------------------------- getters
    def get_intervallist(self, video_id: Any) -> IntervalList:
        """The IntervalList of ``video_id`` (KeyError if absent)."""
        return self.intervals[video_id]

    def get_allintervals(self) -> dict[Any, IntervalList]:
        """``{video_id: IntervalList}``."""
        return self.intervals

    def __repr__(self) -> str:
        return f"VideoIntervalCollection({self.intervals!r})"

    # ---------------------------------------------------------- unary ops
    def _unary(self, fn: Callable[[IntervalList], IntervalList], keep_empty: bool = False
               ) -> VideoIntervalCollection:
        out = {vid: fn(lst) for vid, lst in self.intervals.items()}
        return VideoIntervalCollection(out if keep_empty else _nonempty(out))

    def coalesce(self, payload_merge_op: Callable[[Any, Any], Any] = payload_first,
                 predicate: Any = None) -> VideoIntervalCollection:
        """Per video :meth:`IntervalList.coalesce`."""
        return self._unary(lambda l: l.coalesce(payload_merge_op, predicate))

    def dilate(self, window: Any) -> VideoIntervalCollection:
        """Per video :meth:`IntervalList.dilate`."""
        return self._unary(lambda l: l.dilate(window))

    def filter(self, fn: Callable[[Any], bool]) -> VideoIntervalCollection:
        """Per video :meth:`IntervalList.filter`."""
        return self._unary(lambda l: l.filter(fn))

    def filter_length(self, min_length: Any = 0, max_length: Any = INFTY) -> VideoIntervalCollection:
        """Per video :meth:`IntervalList.filter_length`."""
        return self._unary(lambda l: l.filter_length(min_length, max_length))

    def map(self, map_fn: Callable[[Any], Any]) -> VideoIntervalCollection:
        """Per video :meth:`IntervalList.map` (empty videos kept)."""
        return self._unary(lambda l: l.map(map_fn), keep_empty=True)

    def fold(self, fold_fn: Callable[[Any, Any], Any], init_acc: Any) -> dict[Any, Any]:
        """``{video_id: IntervalList.fold(...)}``."""
        return {vid: lst.fold(fold_fn, init_acc) for vid, lst in self.intervals.items()}

    def fold_list(self, fold_fn: Callable[[Any, Any], Any], init_acc: Any) -> VideoIntervalCollection:
        """Per video :meth:`IntervalList.fold_list`."""
        return self._unary(lambda l: l.fold_list(fold_fn, init_acc))

    # --------------------------------------------------------- binary ops
    def _inner(self, other: VideoIntervalCollection,
               fn: Callable[[IntervalList, IntervalList], IntervalList]) -> VideoIntervalCollection:
        return VideoIntervalCollection(_nonempty({
            vid: fn(lst, other.intervals[vid])
            for vid, lst in self.intervals.items() if vid in other.intervals
        }))

    def join(self, other: VideoIntervalCollection, merge_op: Any, predicate: Any,
             working_window: Any = None) -> VideoIntervalCollection:
        """Per shared video :meth:`IntervalList.join`."""
        return self._inner(other, lambda a, b: a.join(b, merge_op, predicate, working_window))

    def set_union(self, other: VideoIntervalCollection) -> VideoIntervalCollection:
        """Every video of either; shared videos get the union."""
        out = dict(self.intervals)
        for vid, lst in other.intervals.items():
            out[vid] = out[vid].set_union(lst) if vid in out else lst
        return VideoIntervalCollection(out)

    def filter_against(self, other: VideoIntervalCollection, predicate: Any = None,
                       working_window: Any = None) -> VideoIntervalCollection:
        """Per shared video :meth:`IntervalList.filter_against`."""
        return self._inner(other, lambda a, b: a.filter_against(b, predicate, working_window))

    def minus(self, other: VideoIntervalCollection, recursive_diff: bool = True,
              predicate: Any = None, payload_merge_op: Any = payload_first,
              working_window: Any = None) -> VideoIntervalCollection:
        """Per video of self :meth:`IntervalList.minus` (unchanged if other lacks it)."""
        return VideoIntervalCollection(_nonempty({
            vid: (lst.minus(other.intervals[vid], recursive_diff, predicate,
                            payload_merge_op, working_window)
                  if vid in other.intervals else lst)
            for vid, lst in self.intervals.items()
        }))

    def overlaps(self, other: VideoIntervalCollection, predicate: Any = None,
                 payload_merge_op: Any = payload_first,
                 working_window: Any = None) -> VideoIntervalCollection:
        """Per shared video :meth:`IntervalList.overlaps`."""
        return self._inner(other, lambda a, b: a.overlaps(b, predicate, payload_merge_op,
                                                          working_window))

    def merge(self, other: VideoIntervalCollection, predicate: Any = None,
              payload_merge_op: Any = payload_first,
              working_window: Any = None) -> VideoIntervalCollection:
        """Per shared video :meth:`IntervalList.merge`."""
        return self._inner(other, lambda a, b: a.merge(b, predicate, payload_merge_op,
                                                       working_window))
