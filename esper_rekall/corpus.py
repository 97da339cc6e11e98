"""A deterministic synthetic TV-news corpus, generated in numpy and bulk-loaded.

Provides:

- :func:`build_corpus`: numpy only. Given a seed and a number of videos, the
  rows of every corpus table as numpy columns (:class:`CorpusTables`). The
  same arguments give the same rows, whatever the database.
- :func:`generate_tvnews`: the service behind ``manage.py generate_tvnews``.
  Clears (``replace``) or extends (``append``) the corpus tables, builds the
  rows and writes them in one transaction: ``COPY ... FROM STDIN`` on
  PostgreSQL, ``bulk_create`` in batches elsewhere. Ids are assigned here,
  so a failure anywhere leaves the database as it was. The new corpus
  fingerprint (:mod:`esper_rekall.corpus_fingerprint`) is recorded in the
  same transaction.
- :func:`corpus_counts`, :func:`corpus_is_empty`, :data:`CORPUS_MODELS`.

The corpus, for ``n`` videos starting at schedule slot ``k``:

- three channels (``CNN``, ``FOXNEWS``, ``MSNBC``) with three shows each; a
  show has one or two recurring hosts. Video ``i`` airs on channel ``i % 3``
  at hourly slot ``i // 3`` (06:00–23:00 UTC from 2026-01-01), so the three
  channels broadcast simultaneously, and the 07:00 shows of all three share
  the host ``Noah Patel`` (a person on several channels at once);
- videos of 30–60 minutes at 29.97 fps, 640x360, path
  ``tvnews/<channel>/<video id>.mp4``;
- one ``Frame`` every 3 seconds (``number = round(i * 3 * fps)``);
- ``Shot`` rows partitioning each video (``[0, num_frames - 1]``), and 2–4
  ``Commercial`` blocks of 1.5–3 minutes aligned to shot boundaries;
- 0–4 faces (labeler ``mtcnn``) per sampled frame, composed per shot:
  a host alone, host and guest, two hosts, a guest, a panel of three guests
  side by side at exactly the same height, four guests, or nobody. Hosts sit
  at fixed positions; guests keep theirs for the whole shot; every sample
  jitters slightly. Host faces get a ``FaceIdentity`` (labeler ``facenet``).
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal

import numpy as np
import numpy.typing as npt
from django.db import connections, transaction
from django.db.models import Max
from tqdm import tqdm

from . import conf, corpus_fingerprint
from .models import (
    Channel,
    Commercial,
    Face,
    FaceIdentity,
    Frame,
    Identity,
    Labeler,
    Shot,
    Show,
    Video,
)
from .schedule import CHANNELS, HOSTS, SCHEDULE

if TYPE_CHECKING:
    from django.db.models import Model

__all__ = (
    "CORPUS_MODELS",
    "CorpusNotEmpty",
    "CorpusTables",
    "FPS",
    "SCHEDULE",
    "build_corpus",
    "clear_corpus",
    "corpus_counts",
    "corpus_is_empty",
    "describe_corpus",
    "generate_tvnews",
)

FPS = 29.97
WIDTH, HEIGHT = 640, 360
SAMPLE_SECONDS = 3
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
FIRST_HOUR = 6
SLOTS_PER_DAY = 18  # 06:00 .. 23:00

FACE_LABELER = "mtcnn"
IDENTITY_LABELER = "facenet"
SHOT_LABELER = "shot-detector"
COMMERCIAL_LABELER = "commercial-detector"
LABELERS = (FACE_LABELER, IDENTITY_LABELER, SHOT_LABELER, COMMERCIAL_LABELER)

# Models in dependency order (parents first).
CORPUS_MODELS: tuple[type[Model], ...] = (
    Channel,
    Show,
    Labeler,
    Identity,
    Video,
    Frame,
    Face,
    FaceIdentity,
    Shot,
    Commercial,
)

# Shot compositions. Each layout slot: (centre x, centre y, width, role).
_HOST_ANY, _HOST_0, _HOST_1, _GUEST, _AD = range(5)
_LAYOUTS: tuple[tuple[tuple[float, float, float, int], ...], ...] = (
    (),  # nobody (b-roll)
    ((0.50, 0.36, 0.13, _HOST_ANY),),  # host alone
    ((0.27, 0.38, 0.11, _HOST_ANY), (0.73, 0.38, 0.11, _GUEST)),  # host and guest
    ((0.30, 0.37, 0.11, _HOST_0), (0.70, 0.37, 0.11, _HOST_1)),  # two hosts
    ((0.50, 0.38, 0.13, _GUEST),),  # guest alone
    ((0.20, 0.42, 0.09, _GUEST), (0.50, 0.42, 0.09, _GUEST), (0.80, 0.42, 0.09, _GUEST)),  # panel
    (
        (0.30, 0.26, 0.08, _GUEST),
        (0.70, 0.26, 0.08, _GUEST),
        (0.30, 0.70, 0.08, _GUEST),
        (0.70, 0.70, 0.08, _GUEST),
    ),  # four guests
    ((0.50, 0.45, 0.12, _AD),),  # commercial: one face anywhere
)
_EMPTY, _HOST, _HOST_GUEST, _TWO_HOSTS, _GUEST_ALONE, _PANEL, _FOUR, _AD_FACE = range(len(_LAYOUTS))
_PROGRAMME_TYPES = np.array([_EMPTY, _HOST, _HOST_GUEST, _TWO_HOSTS, _GUEST_ALONE, _PANEL, _FOUR])
_PROGRAMME_P = np.array([0.20, 0.30, 0.16, 0.06, 0.14, 0.08, 0.06])
_MAX_SLOTS = max(len(layout) for layout in _LAYOUTS)
_N_FACES = np.array([len(layout) for layout in _LAYOUTS])
_LAYOUT_TABLE = np.zeros((len(_LAYOUTS), _MAX_SLOTS, 4))
for _t, _layout in enumerate(_LAYOUTS):
    for _j, _slot in enumerate(_layout):
        _LAYOUT_TABLE[_t, _j] = _slot
_FACE_ASPECT = WIDTH / HEIGHT * 1.15  # relative height of a face box per unit of relative width

Columns = dict[str, npt.NDArray[Any]]


class CorpusNotEmpty(ValueError):
    """The corpus tables already hold rows and neither append nor replace was asked for."""


@dataclass
class CorpusTables:
    """The generated rows: per model, aligned numpy columns named like the model's fields.

    Attributes:
        tables: ``{model: {column: array}}`` in write order; ``id`` is always present.
    """

    tables: dict[type[Model], Columns] = field(default_factory=dict)

    def count(self, model: type[Model]) -> int:
        """Rows generated for ``model`` (0 when none)."""
        cols = self.tables.get(model)
        return 0 if cols is None else len(cols["id"])

    @property
    def total(self) -> int:
        """Rows generated over all tables."""
        return sum(self.count(m) for m in self.tables)


@dataclass(frozen=True)
class _Refs:
    """Ids of the small reference rows the generated rows point at."""

    channel: dict[str, int]
    show: dict[tuple[str, str], int]
    labeler: dict[str, int]
    identity: dict[str, int]
    created: dict[str, int]


def _video_rows(
    rng: np.random.Generator, num_frames: int, hosts: tuple[int, ...]
) -> tuple[Columns, Columns, npt.NDArray[np.int64]]:
    """Shots, commercials and faces of one video.

    Returns:
        ``(segments, faces, frame_numbers)``: ``segments`` has shot and
        commercial bounds, ``faces`` has ``frame`` (index into
        ``frame_numbers``), the bbox columns, ``probability`` and ``identity``
        (identity id, or -1 for an unidentified face).
    """
    # Shots: exponential lengths (mean ~10 s, at least 1 s) until the video is covered.
    mean_shots = int(num_frames / (10 * FPS)) + 16
    lengths = np.rint((1.0 + rng.exponential(9.0, size=2 * mean_shots)) * FPS).astype(np.int64)
    while lengths.sum() < num_frames:
        more = np.rint((1.0 + rng.exponential(9.0, size=mean_shots)) * FPS).astype(np.int64)
        lengths = np.concatenate([lengths, more])
    ends = np.cumsum(lengths) - 1
    n_shots = int(np.searchsorted(ends, num_frames - 1, side="left")) + 1
    shot_max = ends[:n_shots].copy()
    shot_max[-1] = num_frames - 1
    shot_min = np.concatenate([[0], shot_max[:-1] + 1])

    # Commercials: 2-4 blocks, one per equal region of the video, snapped to shots.
    n_blocks = int(rng.integers(2, 5))
    region = num_frames / n_blocks
    block_len = rng.uniform(90, 180, size=n_blocks) * FPS
    slack = np.maximum(region - block_len - 30 * FPS, 0)
    target_start = np.arange(n_blocks) * region + 15 * FPS + rng.uniform(0, 1, size=n_blocks) * slack
    first = np.searchsorted(shot_min, target_start, side="left")
    last = np.searchsorted(shot_min, target_start + block_len, side="right") - 1
    first = np.minimum(first, n_shots - 1)
    last = np.clip(last, first, n_shots - 1)
    keep = np.ones(n_blocks, dtype=bool)
    keep[1:] = first[1:] > last[:-1]  # never overlap the previous block
    first, last = first[keep], last[keep]
    in_ad = np.zeros(n_shots + 1, dtype=np.int64)
    np.add.at(in_ad, first, 1)
    np.add.at(in_ad, last + 1, -1)
    shot_in_ad = np.cumsum(in_ad)[:n_shots] > 0

    # Composition per shot.
    shot_type = rng.choice(_PROGRAMME_TYPES, size=n_shots, p=_PROGRAMME_P)
    if len(hosts) < 2:
        shot_type[shot_type == _TWO_HOSTS] = _HOST
    ad_face = rng.random(n_shots) < 0.5
    shot_type[shot_in_ad] = np.where(ad_face[shot_in_ad], _AD_FACE, _EMPTY)
    shot_host = rng.integers(0, len(hosts), size=n_shots)
    shot_dy = rng.uniform(-0.03, 0.03, size=n_shots)
    shot_scale = rng.uniform(0.9, 1.1, size=n_shots)

    # Face templates: one per (shot, layout slot).
    per_shot = _N_FACES[shot_type]
    t_shot = np.repeat(np.arange(n_shots), per_shot)
    t_slot = np.arange(len(t_shot)) - np.repeat(np.cumsum(per_shot) - per_shot, per_shot)
    layout = _LAYOUT_TABLE[shot_type[t_shot], t_slot]
    cx, cy, w, role = layout[:, 0].copy(), layout[:, 1].copy(), layout[:, 2].copy(), layout[:, 3].astype(int)
    guest = role == _GUEST
    free_guest = guest & (shot_type[t_shot] != _PANEL)  # panel faces share one height
    cx[free_guest] += rng.uniform(-0.04, 0.04, size=int(free_guest.sum()))
    cy[guest] += shot_dy[t_shot[guest]]
    w[guest] *= shot_scale[t_shot[guest]]
    ad = role == _AD
    n_ad = int(ad.sum())
    cx[ad] = rng.uniform(0.2, 0.8, size=n_ad)
    cy[ad] = rng.uniform(0.3, 0.6, size=n_ad)
    w[ad] = rng.uniform(0.08, 0.2, size=n_ad)
    host_arr = np.asarray(hosts, dtype=np.int64)
    identity = np.full(len(t_shot), -1, dtype=np.int64)
    identity[role == _HOST_ANY] = host_arr[shot_host[t_shot[role == _HOST_ANY]]]
    identity[role == _HOST_0] = host_arr[0]
    identity[role == _HOST_1] = host_arr[min(1, len(hosts) - 1)]

    # Sampled frames, and the templates expanded over the samples of their shot.
    numbers = np.rint(np.arange(int(np.ceil(num_frames / (SAMPLE_SECONDS * FPS))) + 1) * SAMPLE_SECONDS * FPS)
    numbers = numbers[numbers < num_frames].astype(np.int64)
    sample_shot = np.searchsorted(shot_min, numbers, side="right") - 1
    samples_in_shot = np.bincount(sample_shot, minlength=n_shots)
    first_sample = np.searchsorted(sample_shot, np.arange(n_shots), side="left")
    rep = samples_in_shot[t_shot]
    f_template = np.repeat(np.arange(len(t_shot)), rep)
    f_sample = np.repeat(first_sample[t_shot], rep) + (np.arange(int(rep.sum())) - np.repeat(np.cumsum(rep) - rep, rep))
    order = np.argsort(f_sample, kind="stable")  # by frame, then layout slot
    f_template, f_sample = f_template[order], f_sample[order]

    n_faces = len(f_sample)
    frame_dy = rng.uniform(-0.003, 0.003, size=len(numbers))
    fx = cx[f_template] + rng.uniform(-0.003, 0.003, size=n_faces)
    fy = cy[f_template] + frame_dy[f_sample]
    fw = w[f_template]
    fh = fw * _FACE_ASPECT
    faces: Columns = {
        "frame": f_sample,
        "bbox_x1": np.round(np.clip(fx - fw / 2, 0.0, 1.0), 4),
        "bbox_x2": np.round(np.clip(fx + fw / 2, 0.0, 1.0), 4),
        "bbox_y1": np.round(np.clip(fy - fh / 2, 0.0, 1.0), 4),
        "bbox_y2": np.round(np.clip(fy + fh / 2, 0.0, 1.0), 4),
        "probability": np.round(rng.uniform(0.9, 1.0, size=n_faces), 4),
        "identity": identity[f_template],
    }
    segments: Columns = {
        "shot_min": shot_min,
        "shot_max": shot_max,
        "ad_min": shot_min[first],
        "ad_max": shot_max[last],
    }
    return segments, faces, numbers


def build_corpus(
    videos: int,
    seed: int,
    *,
    refs: _Refs,
    first_ids: dict[type[Model], int],
    first_slot: int = 0,
) -> CorpusTables:
    """Generate the rows of ``videos`` videos with ``Generator(PCG64(seed))``.

    Args:
        videos: number of videos (> 0).
        seed: the seed; the same seed (and slot) gives the same rows.
        refs: ids of channels, shows, labelers and identities.
        first_ids: the first id to give each generated model's rows.
        first_slot: schedule slot of the first video (number of videos already
            in the corpus, so appended videos continue the schedule).

    Returns:
        The rows of ``Video``, ``Frame``, ``Face``, ``FaceIdentity``, ``Shot``
        and ``Commercial``. Cost: O(rows), vectorised per video.
    """
    if videos <= 0:
        raise ValueError(f"videos must be > 0, got {videos!r}")
    rng = np.random.Generator(np.random.PCG64(seed))
    slots = first_slot + np.arange(videos)
    channel_idx = slots % len(CHANNELS)
    slot = slots // len(CHANNELS)
    day, hour = slot // SLOTS_PER_DAY, FIRST_HOUR + slot % SLOTS_PER_DAY
    durations = rng.integers(30 * 60, 60 * 60 + 1, size=videos)
    num_frames = np.rint(durations * FPS).astype(np.int64)
    video_ids = first_ids[Video] + np.arange(videos)

    channel_ids, show_ids, paths, times = [], [], [], []
    shots_v, shots_min, shots_max, ads_v, ads_min, ads_max = [], [], [], [], [], []
    frames_v, frames_n, face_parts = [], [], []
    frame_offset = 0
    for i in range(videos):
        channel = CHANNELS[channel_idx[i]]
        show_name, hosts = SCHEDULE[channel][int(slot[i]) % len(SCHEDULE[channel])]
        channel_ids.append(refs.channel[channel])
        show_ids.append(refs.show[(channel, show_name)])
        paths.append(f"tvnews/{channel}/{video_ids[i]}.mp4")
        times.append(START + timedelta(days=int(day[i]), hours=int(hour[i])))
        host_ids = tuple(refs.identity[h] for h in hosts)
        segments, faces, numbers = _video_rows(rng, int(num_frames[i]), host_ids)
        vid = video_ids[i]
        shots_v.append(np.full(len(segments["shot_min"]), vid))
        shots_min.append(segments["shot_min"])
        shots_max.append(segments["shot_max"])
        ads_v.append(np.full(len(segments["ad_min"]), vid))
        ads_min.append(segments["ad_min"])
        ads_max.append(segments["ad_max"])
        frames_v.append(np.full(len(numbers), vid))
        frames_n.append(numbers)
        faces["frame"] = faces["frame"] + frame_offset
        face_parts.append(faces)
        frame_offset += len(numbers)

    def ids(model: type[Model], n: int) -> npt.NDArray[np.int64]:
        return first_ids[model] + np.arange(n, dtype=np.int64)

    out = CorpusTables()
    out.tables[Video] = {
        "id": video_ids,
        "path": np.array(paths, dtype=object),
        "num_frames": num_frames,
        "fps": np.full(videos, FPS),
        "width": np.full(videos, WIDTH),
        "height": np.full(videos, HEIGHT),
        "channel_id": np.array(channel_ids, dtype=np.int64),
        "show_id": np.array(show_ids, dtype=np.int64),
        "time": np.array(times, dtype=object),
    }
    frame_ids = ids(Frame, frame_offset)
    out.tables[Frame] = {"id": frame_ids, "video_id": np.concatenate(frames_v), "number": np.concatenate(frames_n)}
    faces = {k: np.concatenate([p[k] for p in face_parts]) for k in face_parts[0]}
    n_faces = len(faces["frame"])
    face_ids = ids(Face, n_faces)
    out.tables[Face] = {
        "id": face_ids,
        "frame_id": frame_ids[faces["frame"]],
        "labeler_id": np.full(n_faces, refs.labeler[FACE_LABELER]),
        **{k: faces[k] for k in ("bbox_x1", "bbox_x2", "bbox_y1", "bbox_y2", "probability")},
    }
    known = faces["identity"] >= 0
    n_known = int(known.sum())
    out.tables[FaceIdentity] = {
        "id": ids(FaceIdentity, n_known),
        "face_id": face_ids[known],
        "identity_id": faces["identity"][known],
        "labeler_id": np.full(n_known, refs.labeler[IDENTITY_LABELER]),
        "probability": np.round(rng.uniform(0.8, 1.0, size=n_known), 4),
    }
    for model, v, lo, hi, labeler in (
        (Shot, shots_v, shots_min, shots_max, SHOT_LABELER),
        (Commercial, ads_v, ads_min, ads_max, COMMERCIAL_LABELER),
    ):
        n = sum(len(a) for a in v)
        out.tables[model] = {
            "id": ids(model, n),
            "video_id": np.concatenate(v),
            "min_frame": np.concatenate(lo),
            "max_frame": np.concatenate(hi),
            "labeler_id": np.full(n, refs.labeler[labeler]),
        }
    return out


# --- Database side -------------------------------------------------------------


def _table(model: type[Model]) -> str:
    return model._meta.db_table


def corpus_counts(using: str = "default") -> dict[str, int]:
    """Rows per corpus table, keyed by model name (``"face"``, ...)."""
    return {m._meta.model_name: m._default_manager.using(using).count() for m in CORPUS_MODELS}


def corpus_is_empty(using: str = "default") -> bool:
    """True when no corpus table holds a row."""
    return not any(m._default_manager.using(using).exists() for m in CORPUS_MODELS)


def clear_corpus(using: str = "default") -> None:
    """Delete every corpus row. PostgreSQL: one TRUNCATE (tables referencing the corpus are emptied too)."""
    connection = connections[using]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(qn(_table(m)) for m in CORPUS_MODELS)
            # TRUNCATE refuses tables with pending deferred foreign-key checks, which an
            # enclosing transaction that already wrote corpus rows has: run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for model in reversed(CORPUS_MODELS):  # children first, so foreign keys hold
                cursor.execute(f"DELETE FROM {qn(_table(model))}")


def _lock(using: str) -> None:
    """On PostgreSQL, keep concurrent writers out while ids are assigned (readers unaffected)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = ", ".join(qn(_table(m)) for m in CORPUS_MODELS)
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def _next_id(model: type[Model], using: str) -> int:
    return (model._default_manager.using(using).aggregate(m=Max("pk"))["m"] or 0) + 1


def _ensure_refs(using: str) -> _Refs:
    """Get or create channels, shows, labelers and identities (explicit ids, reused by name)."""

    created: dict[str, int] = {}

    def ensure(model: type[Model], names: Iterable[Any], key: Callable[[Any], Any], make: Callable[..., Any]) -> dict:
        created[model._meta.model_name] = 0
        manager = model._default_manager.using(using)
        existing = {key(obj): obj.pk for obj in manager.all()}
        next_id = _next_id(model, using)
        for name in names:
            if name not in existing:
                obj = make(name, next_id)
                obj.save(using=using, force_insert=True)
                existing[name] = obj.pk
                next_id += 1
                created[model._meta.model_name] += 1
        return existing

    channel = ensure(Channel, CHANNELS, lambda c: c.name, lambda n, i: Channel(id=i, name=n))
    show_names = [(c, s) for c in CHANNELS for s, _ in SCHEDULE[c]]
    show = ensure(
        Show,
        show_names,
        lambda s: (next((c for c, cid in channel.items() if cid == s.channel_id), None), s.name),
        lambda cs, i: Show(id=i, channel_id=channel[cs[0]], name=cs[1]),
    )
    labeler = ensure(Labeler, LABELERS, lambda x: x.name, lambda n, i: Labeler(id=i, name=n))
    identity = ensure(Identity, HOSTS, lambda x: x.name, lambda n, i: Identity(id=i, name=n))
    return _Refs(channel=channel, show=show, labeler=labeler, identity=identity, created=created)


def _columns_of(model: type[Model], cols: Columns) -> list[str]:
    """Database column names for the generated columns, checked against the model."""
    known = {f.attname: f.column for f in model._meta.concrete_fields}
    missing = [c for c in cols if c not in known]
    if missing:
        raise ValueError(f"generated columns {missing!r} are not fields of {model.__name__}")
    return [known[c] for c in cols]


def _text(values: npt.NDArray[Any]) -> list[str]:
    """COPY text of one column (no value here contains tabs, newlines or backslashes)."""
    if values.dtype == object:
        return [v.isoformat() if isinstance(v, datetime) else str(v) for v in values]
    return [repr(v) for v in values.tolist()] if values.dtype.kind == "f" else values.astype(str).tolist()


def _copy(model: type[Model], cols: Columns, using: str, batch: int, bar: tqdm) -> None:
    """PostgreSQL: ``COPY table (cols) FROM STDIN`` in batches from an in-memory buffer."""
    connection = connections[using]
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in _columns_of(model, cols))
    sql = f"COPY {qn(_table(model))} ({names}) FROM STDIN"
    n = len(cols["id"])
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg2 cursor under Django's wrapper
        for lo in range(0, n, batch):
            text = [_text(v[lo : lo + batch]) for v in cols.values()]
            buf = io.StringIO()
            buf.write("\n".join(map("\t".join, zip(*text))))
            buf.write("\n")
            buf.seek(0)
            raw.copy_expert(sql, buf)
            bar.update(min(batch, n - lo))


def _bulk_create(model: type[Model], cols: Columns, using: str, batch: int, bar: tqdm) -> None:
    """Any database: ``bulk_create`` in batches, with the generated ids."""
    _columns_of(model, cols)
    names = list(cols)
    n = len(cols["id"])
    manager = model._default_manager.using(using)
    for lo in range(0, n, batch):
        rows = zip(*(cols[c][lo : lo + batch].tolist() for c in names))
        manager.bulk_create([model(**dict(zip(names, row))) for row in rows], batch_size=batch)
        bar.update(min(batch, n - lo))


def _write_table(model: type[Model], cols: Columns, using: str, batch: int, bar: tqdm) -> None:
    """Write one generated table with the fastest path the database offers."""
    if connections[using].vendor == "postgresql":
        _copy(model, cols, using, batch, bar)
    else:
        _bulk_create(model, cols, using, batch, bar)


def _reset_sequences(using: str) -> None:
    """Point each table's id sequence past the ids written here (PostgreSQL only)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT already follows explicit ids
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in CORPUS_MODELS:
            last = _next_id(model, using) - 1
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
                [qn(_table(model)), model._meta.pk.column, max(last, 1), last > 0],
            )


def _analyze(using: str) -> None:
    """PostgreSQL: ``ANALYZE`` the corpus tables just loaded.

    A bulk load leaves the planner without statistics until autovacuum gets
    round to it; meanwhile per-video queries on a large corpus pick
    sequential scans (measured: 19x slower on 10,000 videos, issue 11).
    ANALYZE samples a fixed number of rows, so it costs seconds at any size.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(qn(_table(m)) for m in CORPUS_MODELS))


def generate_tvnews(
    videos: int,
    seed: int,
    *,
    mode: Literal["new", "append", "replace"] = "new",
    using: str = "default",
    progress: bool = False,
    batch_size: int | None = None,
) -> dict[str, int]:
    """Generate ``videos`` synthetic TV-news videos and write them in one transaction.

    Args:
        videos: number of videos to add (> 0).
        seed: seed of ``Generator(PCG64(seed))``.
        mode: ``"new"`` refuses a non-empty corpus; ``"append"`` continues ids
            and the broadcast schedule; ``"replace"`` deletes the corpus first.
        using: database alias.
        progress: show a tqdm bar on stderr.
        batch_size: rows per COPY / bulk_create batch
            (default ``ESPER_REKALL_GENERATE_BATCH_SIZE``).

    Returns:
        Rows written per table, keyed by model name.

    Raises:
        ValueError: ``videos`` is not positive, ``mode`` is unknown, or the batch size is not positive.
        CorpusNotEmpty: ``mode="new"`` and the corpus tables hold rows.
    """
    if isinstance(videos, bool) or not isinstance(videos, int) or videos <= 0:
        raise ValueError(f"videos must be a positive integer, got {videos!r}")
    if mode not in ("new", "append", "replace"):
        raise ValueError(f"mode must be 'new', 'append' or 'replace', got {mode!r}")
    batch = conf.settings.GENERATE_BATCH_SIZE if batch_size is None else batch_size
    if batch <= 0:
        raise ValueError(f"batch size must be > 0, got {batch!r}")

    with transaction.atomic(using=using):
        _lock(using)
        corpus_fingerprint.stamp_unknown(using)  # so collections of the old corpus read stale afterwards
        if mode == "replace":
            clear_corpus(using)
        elif mode == "new" and not corpus_is_empty(using):
            raise CorpusNotEmpty("the corpus tables are not empty; pass --append or --replace")
        refs = _ensure_refs(using)
        first_ids = {m: _next_id(m, using) for m in (Video, Frame, Face, FaceIdentity, Shot, Commercial)}
        first_slot = Video._default_manager.using(using).count()
        corpus = build_corpus(videos, seed, refs=refs, first_ids=first_ids, first_slot=first_slot)
        with tqdm(total=corpus.total, unit="rows", unit_scale=True, file=sys.stderr, disable=not progress) as bar:
            for model, cols in corpus.tables.items():
                bar.set_description(model._meta.model_name)
                _write_table(model, cols, using, batch, bar)
        _reset_sequences(using)
        corpus_fingerprint.record(using)
        _analyze(using)
    return {**refs.created, **{m._meta.model_name: corpus.count(m) for m in corpus.tables}}


def describe_corpus(using: str = "default") -> str:
    """A short human-readable account of what the corpus tables hold (for the demo)."""
    from django.db.models import Count, Min, Sum

    lines = []
    counts = corpus_counts(using)
    lines.append("rows: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
    videos = Video.objects.using(using)
    for row in videos.values("channel__name").annotate(n=Count("id"), frames=Sum("num_frames"), first=Min("time")).order_by(
        "channel__name"
    ):
        hours = (row["frames"] or 0) / FPS / 3600
        lines.append(f"{row['channel__name']:>8}: {row['n']} videos, {hours:.1f} h, first broadcast {row['first']:%Y-%m-%d %H:%M} UTC")
    hosts = (
        FaceIdentity.objects.using(using)
        .values("identity__name")
        .annotate(faces=Count("id"), channels=Count("face__frame__video__channel", distinct=True))
        .order_by("-faces")
    )
    for row in hosts:
        lines.append(f"  host {row['identity__name']}: {row['faces']:,} identified faces on {row['channels']} channel(s)")
    simultaneous = (
        FaceIdentity.objects.using(using)
        .values("identity__name", "face__frame__video__time")
        .annotate(channels=Count("face__frame__video__channel", distinct=True))
        .filter(channels__gt=1)
        .order_by("face__frame__video__time", "identity__name")
    )
    for row in simultaneous[:5]:
        lines.append(
            f"  on {row['channels']} channels at once: {row['identity__name']} "
            f"at {row['face__frame__video__time']:%Y-%m-%d %H:%M} UTC"
        )
    return "\n".join(lines)
