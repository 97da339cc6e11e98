"""The Esper TV-news data model: videos, sampled frames and their labels.

Provides ``Channel``, ``Show``, ``Video``, ``Frame``, ``Labeler``,
``Identity``, ``Face``, ``FaceIdentity`` and the temporal-segment models
``Shot`` and ``Commercial`` (sharing the abstract ``TemporalSegment``);
the corpus's fingerprint ``CorpusState`` (one row, written when the corpus
is generated or imported); and the result store: ``ResultCollection`` (a
named run of a query over chunks of arguments, with the fingerprint of the
corpus it was created on), ``ResultChunk`` (one chunk and its execution
state, the source of truth for progress) and ``ResultInterval`` (one stored
interval).

Models hold fields, ``Meta`` and ``__str__`` only; database logic belongs in
managers. Every invariant a label must satisfy is a database ``CheckConstraint``
so that bulk loads (``COPY``, ``bulk_create``) cannot bypass it:

- bounding boxes are relative coordinates in ``[0, 1]`` with ``x1 <= x2`` and
  ``y1 <= y2``;
- temporal segments are closed frame ranges ``[min_frame, max_frame]`` with
  ``0 <= min_frame <= max_frame``;
- probabilities are in ``[0, 1]``; ``fps > 0``; sizes are positive.

``__str__`` methods read only local columns and foreign-key ids, so admin
changelists never issue a query per row.
"""

from __future__ import annotations

from functools import cached_property

from django.db import models
from django.db.models import F, Q

from .intervals.columns import BOUND_NAMES
from .managers import IntervalQuerySet
from .result_layout import ROW_ID_SHIFT, SPATIAL_DEFAULTS
from .result_managers import ResultChunkQuerySet, ResultCollectionQuerySet

__all__ = (
    "Channel",
    "Commercial",
    "CorpusState",
    "Face",
    "FaceIdentity",
    "Frame",
    "Identity",
    "Labeler",
    "ResultChunk",
    "ResultCollection",
    "ResultInterval",
    "Shot",
    "Show",
    "TemporalSegment",
    "Video",
)


def _unit_interval(field: str) -> Q:
    return Q(**{f"{field}__gte": 0.0, f"{field}__lte": 1.0})


class Channel(models.Model):
    """A broadcast channel (CNN, FOXNEWS, MSNBC, ...)."""

    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Show(models.Model):
    """A recurring programme on one channel."""

    name = models.CharField(max_length=255)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="shows")

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=("channel", "name"), name="esper_rekall_show_unique_channel_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Video(models.Model):
    """One recorded broadcast: ``num_frames`` frames at ``fps``, starting at ``time``."""

    path = models.CharField(max_length=1024)
    num_frames = models.IntegerField()
    fps = models.FloatField()
    width = models.IntegerField()
    height = models.IntegerField()
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="videos")
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="videos")
    time = models.DateTimeField(db_index=True, help_text="Broadcast start (UTC).")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(num_frames__gte=0), name="esper_rekall_video_num_frames_gte_0"),
            models.CheckConstraint(condition=Q(fps__gt=0), name="esper_rekall_video_fps_gt_0"),
            models.CheckConstraint(condition=Q(width__gt=0), name="esper_rekall_video_width_gt_0"),
            models.CheckConstraint(condition=Q(height__gt=0), name="esper_rekall_video_height_gt_0"),
        ]

    def __str__(self) -> str:
        return self.path


class Frame(models.Model):
    """A sampled frame of a video, by frame number."""

    # The (video, number) unique constraint's index serves lookups by video.
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="frames", db_index=False)
    number = models.IntegerField()

    objects = IntervalQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("video", "number"), name="esper_rekall_frame_unique_video_number"),
            models.CheckConstraint(condition=Q(number__gte=0), name="esper_rekall_frame_number_gte_0"),
        ]

    def __str__(self) -> str:
        return f"video {self.video_id} frame {self.number}"


class Labeler(models.Model):
    """The model or person that produced a label (``mtcnn``, ``facenet``, ...)."""

    name = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Identity(models.Model):
    """A named person faces can be identified as."""

    name = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ("name",)
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return self.name


class Face(models.Model):
    """A detected face: a bounding box in relative coordinates on one frame."""

    frame = models.ForeignKey(Frame, on_delete=models.CASCADE, related_name="faces")
    labeler = models.ForeignKey(Labeler, on_delete=models.CASCADE, related_name="faces")
    bbox_x1 = models.FloatField()
    bbox_x2 = models.FloatField()
    bbox_y1 = models.FloatField()
    bbox_y2 = models.FloatField()
    probability = models.FloatField(default=1.0)

    objects = IntervalQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_unit_interval("bbox_x1")
                & _unit_interval("bbox_x2")
                & Q(bbox_x1__lte=F("bbox_x2")),
                name="esper_rekall_face_bbox_x_in_unit_ordered",
            ),
            models.CheckConstraint(
                condition=_unit_interval("bbox_y1")
                & _unit_interval("bbox_y2")
                & Q(bbox_y1__lte=F("bbox_y2")),
                name="esper_rekall_face_bbox_y_in_unit_ordered",
            ),
            models.CheckConstraint(
                condition=_unit_interval("probability"), name="esper_rekall_face_probability_in_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"face {self.pk} on frame {self.frame_id}"


class FaceIdentity(models.Model):
    """An identity assigned to a face by a labeler, with its probability."""

    face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="identities")
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="face_identities")
    labeler = models.ForeignKey(Labeler, on_delete=models.CASCADE, related_name="face_identities")
    probability = models.FloatField(default=1.0)

    objects = IntervalQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "face identities"
        constraints = [
            models.CheckConstraint(
                condition=_unit_interval("probability"), name="esper_rekall_faceidentity_probability_in_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"face {self.face_id} is identity {self.identity_id}"


class TemporalSegment(models.Model):
    """Abstract base: a closed frame range ``[min_frame, max_frame]`` of one video."""

    # The (video, min_frame, max_frame) index serves lookups by video.
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="%(class)ss", db_index=False)
    min_frame = models.IntegerField()
    max_frame = models.IntegerField()
    labeler = models.ForeignKey(Labeler, on_delete=models.CASCADE, related_name="%(class)ss")

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(min_frame__gte=0) & Q(min_frame__lte=F("max_frame")),
                name="%(app_label)s_%(class)s_frames_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=("video", "min_frame", "max_frame"), name="%(app_label)s_%(class)s_vt"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}: video {self.video_id} [{self.min_frame}, {self.max_frame}]"


class Shot(TemporalSegment):
    """A camera shot; a video's shots partition its frames."""

    objects = IntervalQuerySet.as_manager()

    class Meta(TemporalSegment.Meta):
        pass


class Commercial(TemporalSegment):
    """A commercial block, aligned to shot boundaries."""

    objects = IntervalQuerySet.as_manager()

    class Meta(TemporalSegment.Meta):
        pass


class CorpusState(models.Model):
    """The fingerprint of the corpus as it is now: one row (pk 1).

    Written by ``generate_tvnews`` and by every import, in the transaction
    that changes the corpus (``esper_rekall.corpus_fingerprint.record``); a
    new run copies it into ``ResultCollection.corpus``. Stored rather than
    recomputed per read because counting frame and label rows costs a scan
    of tables with hundreds of millions of rows at 200,000 videos.
    """

    videos = models.BigIntegerField(default=0)
    frames = models.BigIntegerField(default=0)
    labels = models.BigIntegerField(default=0, help_text="face, face identity, shot and commercial rows")
    checksum = models.CharField(max_length=32, help_text="md5 over every video's id, frame count and path")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "corpus state"

    def __str__(self) -> str:
        return f"{self.videos} videos, {self.frames} frames, {self.labels} labels ({self.checksum[:8]})"


class ResultCollection(models.Model):
    """A named result of running a query over chunks of arguments.

    Progress fields (``chunks_done`` ...) are a summary refreshed from the
    chunk rows; the :class:`ResultChunk` rows are the source of truth.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"  # finished with some arguments failed

    name = models.CharField(max_length=200, unique=True)
    query_ref = models.JSONField(help_text="QueryRef.to_json() of the query function")
    query_name = models.CharField(max_length=300, blank=True, help_text="registry name or dotted path, for display")
    arguments = models.JSONField(default=list, help_text="every argument (video ids, dates ...)")
    chunksize = models.PositiveIntegerField(default=1)
    runtime = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    num_chunks = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_failed = models.PositiveIntegerField(default=0)
    num_intervals = models.BigIntegerField(default=0)
    failed_args = models.JSONField(default=list, blank=True, help_text="[{'args': [...], 'error': '...'}, ...]")
    corpus = models.JSONField(
        null=True, blank=True, help_text="fingerprint of the corpus the run was created on (CorpusState); null if unknown"
    )

    objects = ResultCollectionQuerySet.as_manager()

    class Meta:
        ordering = ("-created", "-id")

    def __str__(self) -> str:
        return self.name


class ResultChunk(models.Model):
    """One chunk of a collection's arguments and its execution state."""

    class State(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        SPLIT = "split"  # replaced by one chunk per argument after repeated failures
        INTERRUPTED = "interrupted"  # was running, but its lease lapsed: its worker or driver is gone

    collection = models.ForeignKey(ResultCollection, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    arguments = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    num_intervals = models.BigIntegerField(default=0)
    int_axes = models.CharField(
        max_length=3, blank=True, help_text="axes among t, x, y whose stored bounds were integers"
    )
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    lease_expires = models.DateTimeField(
        null=True,
        blank=True,
        help_text="a running chunk's claim lapses then unless its worker's heartbeat renews it",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        help_text="the chunk this one was split from (one chunk per argument)",
    )

    objects = ResultChunkQuerySet.as_manager()

    class Meta:
        ordering = ("collection", "index")
        constraints = [
            models.UniqueConstraint(fields=("collection", "index"), name="%(app_label)s_resultchunk_unique_index"),
        ]
        indexes = [models.Index(fields=("collection", "state"), name="%(app_label)s_resultchunk_state")]

    def __str__(self) -> str:
        return f"chunk {self.index} of collection {self.collection_id} ({self.state})"


class ResultInterval(models.Model):
    """One stored interval: a collection's interval, or one in a nested set.

    A chunk's rows are numbered ``row = 0, 1, ...``: first the collection's
    intervals (``parent_row`` NULL, in collection order), then the intervals
    of their nested sets (the payloads of ``group_by_time`` and
    ``collect_by_interval``), level by level. ``id`` is the row's whole
    identity, ``chunk_id << 32 | row`` (computed by the writer; no chunk or
    row column), so a chunk's rows are the id range ``[chunk << 32,
    (chunk + 1) << 32)`` and ``chunk_id``/``row`` are properties derived
    from it. A row whose payload is a set
    points at its children with ``child_start``/``child_count`` (rows
    ``child_start .. child_start + child_count - 1`` of the same chunk);
    each child names its parent in ``parent_row``. Bounds are numbers at
    every depth, stored NULL where they hold what a reader can restore
    (``result_layout.bound_nulls``): a nested row's ``t1``/``t2`` equal to
    its parent's, ``x1``/``y1`` of ``+0.0``, ``x2``/``y2`` of ``1.0``;
    ``effective_bounds`` reads them as loads do. ``payload_kind`` (see ``result_layout.PayloadKind``) says
    where the payload is: ``payload_int`` (ints, bools), ``payload_float``,
    ``payload_str``, or ``payload`` (the payload codec's JSON, for opaque
    leaves: dicts, lists, tuples, dates...).

    ``domain_int`` holds integer domain keys (video ids), so SQL joins
    results to the label tables; other keys are in ``domain`` as codec JSON.
    On PostgreSQL the table is partitioned by ``collection_id`` (one
    partition per collection, dropped with it) and the partitioned table has
    no index: each partition has its own unique ``(id)`` and partial
    ``(domain_int, t1, t2)`` indexes (``db.partitions``). The collection
    foreign key is not a database constraint, so ``COPY`` runs no trigger
    per row. Rows created through the ORM must be given their ``id``.
    """

    collection = models.ForeignKey(
        ResultCollection, on_delete=models.CASCADE, related_name="intervals", db_index=False, db_constraint=False
    )
    parent_row = models.IntegerField(null=True, blank=True, help_text="the row whose nested set holds this one")
    child_start = models.IntegerField(null=True, blank=True, help_text="first row of this row's nested set")
    child_count = models.IntegerField(null=True, blank=True, help_text="rows in this row's nested set")
    domain = models.JSONField(null=True, blank=True, help_text="a non-integer domain key (codec JSON)")
    domain_int = models.BigIntegerField(null=True, blank=True)
    t1 = models.FloatField(null=True, blank=True, help_text="NULL in a nested row: its parent's t1")
    t2 = models.FloatField(null=True, blank=True, help_text="NULL in a nested row: its parent's t2")
    x1 = models.FloatField(default=0.0, null=True, blank=True, help_text="NULL: 0.0")
    x2 = models.FloatField(default=1.0, null=True, blank=True, help_text="NULL: 1.0")
    y1 = models.FloatField(default=0.0, null=True, blank=True, help_text="NULL: 0.0")
    y2 = models.FloatField(default=1.0, null=True, blank=True, help_text="NULL: 1.0")
    payload_kind = models.SmallIntegerField(default=0)
    payload_int = models.BigIntegerField(null=True, blank=True)
    payload_float = models.FloatField(null=True, blank=True)
    payload_str = models.TextField(null=True, blank=True)
    payload = models.JSONField(null=True, blank=True, help_text="an opaque payload (codec JSON)")

    objects = IntervalQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(t1__lte=F("t2")) & Q(x1__lte=F("x2")) & Q(y1__lte=F("y2")),
                name="%(app_label)s_resultinterval_bounds_ordered",
            ),
        ]
        indexes = [
            # Top-level intervals by domain and time (pushdown, the viewer). On
            # PostgreSQL not on the partitioned table: each partition has its own
            # (domain_int, t1, t2) index (db.partitions.create_partition).
            models.Index(
                fields=("collection", "domain_int", "t1", "t2"),
                name="%(app_label)s_resultinterval_dt",
                condition=Q(parent_row__isnull=True),
            ),
        ]

    @cached_property
    def effective_bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(t1, t2, x1, x2, y1, y2)`` as a load reads them: NULLs restored.

        A NULL spatial bound is its default; a NULL time bound is the
        parent row's effective one (one query per level up, for display).
        """
        parent = None
        if (self.t1 is None or self.t2 is None) and self.parent_row is not None:
            base = (self.pk >> ROW_ID_SHIFT) << ROW_ID_SHIFT
            parent = type(self).objects.get(collection_id=self.collection_id, pk=base + self.parent_row)
        values = []
        for k, name in enumerate(BOUND_NAMES):
            value = getattr(self, name)
            if value is None:
                value = SPATIAL_DEFAULTS[name] if k >= 2 else (parent.effective_bounds[k] if parent else None)
            values.append(value)
        return tuple(values)

    @property
    def chunk_id(self) -> int:
        """The ``ResultChunk`` this row belongs to (``id >> 32``)."""
        return self.pk >> ROW_ID_SHIFT

    @property
    def row(self) -> int:
        """The row's position in its chunk (``id & 0xFFFFFFFF``)."""
        return self.pk & ((1 << ROW_ID_SHIFT) - 1)

    def __str__(self) -> str:
        return f"interval {self.pk} of collection {self.collection_id}: t=[{self.t1}, {self.t2}]"
