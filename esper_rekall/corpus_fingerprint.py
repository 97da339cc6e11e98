"""Which corpus a stored collection was computed on, and whether it is still the one in the database.

Provides:
    CorpusFingerprint: counts of videos, frames and label rows, and an md5
        over every video's ``id:num_frames:path`` (in id order).
    measure(using): the fingerprint of the corpus tables as they are (SQL).
    record(using): measure and store it as the current ``CorpusState``;
        ``generate_tvnews`` and every import call it in the transaction that
        changes the corpus.
    current(using): the stored current fingerprint (one primary-key read;
        measured and recorded the first time, when no import recorded one).
    stamp_unknown(using): collections created before fingerprints existed
        get the current one (call before changing the corpus, so they read
        stale afterwards).
    collection_corpus_change(collection, now): ``None`` when the collection
        was computed on the corpus of ``now`` (or on an unknown one), else
        what changed, as one line naming both fingerprints.
    fresh_collection_names(using, fingerprint): the collections computed on
        it (or on an unknown corpus, which ``stamp_unknown`` gives it).

The current fingerprint is stored (one row) rather than measured per read:
the video checksum is one aggregate over the video table (cheap, ~200,000
rows), but counting frame and label rows scans tables of hundreds of
millions of rows. Writers of the corpus know when it changes; readers
(``create_run``, ``rekall_resume``, ``rekall_status``, the viewer) pay one
indexed read.

This module reaches the models through the app registry (never imports
``esper_rekall.models``): ``result_managers``, which the models import,
takes the fingerprint in ``create_run``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connections

if TYPE_CHECKING:
    from .models import ResultCollection

__all__ = [
    "CorpusFingerprint",
    "collection_corpus_change",
    "current",
    "fresh_collection_names",
    "measure",
    "record",
    "stamp_unknown",
]

#: Label tables counted in ``CorpusFingerprint.labels``.
LABEL_MODELS = ("Face", "FaceIdentity", "Shot", "Commercial")
#: The ``CorpusState`` row holding the current fingerprint.
STATE_PK = 1


@dataclass(frozen=True)
class CorpusFingerprint:
    """What identifies a corpus: row counts and a checksum of its videos.

    Attributes:
        videos, frames, labels: rows of ``Video``, ``Frame`` and of the
            label tables (``Face``, ``FaceIdentity``, ``Shot``, ``Commercial``).
        checksum: hex md5 of the lines ``id:num_frames:path`` of every video
            in id order, joined by newlines (the same on every database).
    """

    videos: int
    frames: int
    labels: int
    checksum: str

    def to_json(self) -> dict[str, Any]:
        """The JSON stored in ``ResultCollection.corpus``."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> CorpusFingerprint | None:
        """The fingerprint stored by ``to_json``; ``None`` for a missing or malformed one."""
        if not isinstance(value, dict):
            return None
        try:
            return cls(int(value["videos"]), int(value["frames"]), int(value["labels"]), str(value["checksum"]))
        except (KeyError, TypeError, ValueError):
            return None

    def describe(self) -> str:
        """``"20 videos, 13,902 frames, 98,210 labels, checksum 3fa2c1d0"``."""
        return (
            f"{self.videos:,} video{'' if self.videos == 1 else 's'}, {self.frames:,} frame{'' if self.frames == 1 else 's'}, "
            f"{self.labels:,} label{'' if self.labels == 1 else 's'}, checksum {self.checksum[:8]}"
        )

    def changes(self, now: CorpusFingerprint) -> list[str]:
        """What differs from ``now``: ``["videos 20 → 30", ...]`` (empty when equal)."""
        out = [
            f"{name} {old:,} → {new:,}"
            for name, old, new in (
                ("videos", self.videos, now.videos),
                ("frames", self.frames, now.frames),
                ("labels", self.labels, now.labels),
            )
            if old != new
        ]
        if self.checksum != now.checksum and not out:
            out.append(f"video ids, frame counts or paths (checksum {self.checksum[:8]} → {now.checksum[:8]})")
        return out


def _model(name: str) -> Any:
    return apps.get_model("esper_rekall", name)


def _video_checksum(using: str) -> str:
    """md5 of ``id:num_frames:path`` lines in id order: one aggregate in PostgreSQL, streamed elsewhere."""
    video = _model("Video")
    connection = connections[using]
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        opts = video._meta
        pk, frames, path = (qn(opts.get_field(f).column) for f in ("id", "num_frames", "path"))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(concat({pk}, ':', {frames}, ':', {path}), E'\\n' ORDER BY {pk}), '')) "
                f"FROM {qn(opts.db_table)}"
            )
            return cursor.fetchone()[0]
    digest = hashlib.md5()
    rows = video._default_manager.using(using).order_by("pk").values_list("pk", "num_frames", "path")
    for i, (pk, frames, path) in enumerate(rows.iterator(chunk_size=10_000)):
        digest.update(f"{'' if i == 0 else chr(10)}{pk}:{frames}:{path}".encode())
    return digest.hexdigest()


def measure(using: str = "default") -> CorpusFingerprint:
    """The fingerprint of the corpus tables now.

    Cost: one aggregate over ``Video`` for the checksum, and a ``COUNT(*)``
    of ``Frame`` and each label table (a scan each: call it when the corpus
    was written, not per read).
    """

    def count(name: str) -> int:
        return _model(name)._default_manager.using(using).count()

    return CorpusFingerprint(
        videos=count("Video"),
        frames=count("Frame"),
        labels=sum(count(name) for name in LABEL_MODELS),
        checksum=_video_checksum(using),
    )


def record(using: str = "default") -> CorpusFingerprint:
    """Measure the corpus and store it as the current ``CorpusState``.

    Call it in the transaction that changed the corpus (``generate_tvnews``
    does; so must every import), so runs created afterwards carry it.
    """
    fingerprint = measure(using)
    _model("CorpusState")._default_manager.using(using).update_or_create(
        pk=STATE_PK, defaults=fingerprint.to_json()
    )
    return fingerprint


def current(using: str = "default") -> CorpusFingerprint:
    """The current fingerprint: the ``CorpusState`` row (one primary-key read).

    A database whose corpus was never recorded (loaded before fingerprints
    existed, or by hand) gets it measured and recorded now, once.
    """
    state = _model("CorpusState")._default_manager.using(using).filter(pk=STATE_PK).first()
    if state is None:
        return record(using)
    return CorpusFingerprint(state.videos, state.frames, state.labels, state.checksum)


def stamp_unknown(using: str = "default") -> int:
    """Give collections without a fingerprint the current one; returns how many.

    Call before changing the corpus: a collection created before
    fingerprints existed was computed on this corpus at the latest, so after
    the change it reads stale instead of unknown.
    """
    unknown = _model("ResultCollection")._default_manager.using(using).filter(corpus__isnull=True)
    if not unknown.exists():
        return 0
    return unknown.update(corpus=current(using).to_json())


def collection_corpus_change(collection: ResultCollection, now: CorpusFingerprint, *, brief: bool = False) -> str | None:
    """Why ``collection`` no longer describes the corpus ``now``, or ``None`` when it does.

    ``None`` too when the collection has no fingerprint (unknown corpus).
    Otherwise one line naming what changed and both fingerprints:
    ``"videos 20 → 30, frames 13,902 → 20,811 (run: 20 videos, ...; now: 30 videos, ...)"``;
    ``brief``: what changed only.
    """
    then = CorpusFingerprint.from_json(collection.corpus)
    if then is None or then == now:
        return None
    changes = ", ".join(then.changes(now))
    return changes if brief else f"{changes} (run: {then.describe()}; now: {now.describe()})"


def stale_status(collection: ResultCollection, now: CorpusFingerprint) -> str:
    """``" · stale: computed on a different corpus"`` to append to a status in a list, or ``""``."""
    return " · stale: computed on a different corpus" if collection_corpus_change(collection, now) else ""


def fresh_collection_names(using: str, fingerprint: CorpusFingerprint) -> list[str]:
    """Names of the collections computed on ``fingerprint``, newest first.

    A collection without a fingerprint counts as computed on it: it is the
    one ``stamp_unknown`` gives it before the corpus changes.
    """
    rows = _model("ResultCollection")._default_manager.using(using).order_by("-created", "-id")
    return [
        name
        for name, corpus in rows.values_list("name", "corpus")
        if corpus is None or CorpusFingerprint.from_json(corpus) == fingerprint
    ]
