"""Rows of earlier result-store layouts, written in SQL as their code paths wrote them (migration tests)."""

from __future__ import annotations

from typing import Any


def insert_done_collection(cursor: Any, int_axes: str) -> tuple[int, int]:
    """A done collection ``old`` of one chunk over the arguments ``[4, 7]`` (3 intervals),
    written without the ORM (the models describe the current layout); its (collection, chunk) ids."""
    cursor.execute(
        "INSERT INTO esper_rekall_resultcollection (name, query_ref, query_name, arguments, chunksize, runtime,"
        " status, created, num_chunks, chunks_done, chunks_failed, num_intervals, failed_args)"
        " VALUES ('old', '{}', '', '[4, 7]', 1, 'saved', 'done', CURRENT_TIMESTAMP, 1, 1, 0, 3, '[]')"
    )
    cursor.execute("SELECT id FROM esper_rekall_resultcollection WHERE name = 'old'")
    (cid,) = cursor.fetchone()
    cursor.execute(
        "INSERT INTO esper_rekall_resultchunk (collection_id, \"index\", arguments, state, attempts,"
        " num_intervals, int_axes, error, worker) VALUES (%s, 0, '[4, 7]', 'done', 1, 3, %s, '', '')",
        [cid, int_axes],
    )
    cursor.execute("SELECT id FROM esper_rekall_resultchunk WHERE collection_id = %s", [cid])
    (chunk,) = cursor.fetchone()
    return cid, chunk
