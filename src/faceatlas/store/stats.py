"""person_stats: per-person figures the store keeps (migration 11), read and refreshed here.

Triggers keep each person's live face count and cover face exact, and bump the person's
``version`` whenever their live faces change. The centroid (mean vector of their live faces) and the
attribute summary are cached beside it with the version they were computed at: a person is stale
when the two differ, and only stale people's faces are read again (:mod:`faceatlas.people.similar`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from faceatlas.store.db import transaction

CHUNK = 500  # person ids per IN (...) list


@dataclass(frozen=True)
class Centroids:
    """The cached centroids of the people with a live face: ids, face counts, cover faces, vectors."""

    ids: np.ndarray  # (n,) int64
    sizes: np.ndarray  # (n,) int64
    covers: np.ndarray  # (n,) int64
    vectors: np.ndarray  # (n, d) float32


class StatsTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _per_chunk(self, sql: str, person_ids: list[int]) -> Iterator[sqlite3.Cursor]:
        """``sql``, whose ``IN (@ids)`` is the id list, run over ``person_ids`` :data:`CHUNK` ids at a time."""
        for i in range(0, len(person_ids), CHUNK):
            chunk = person_ids[i : i + CHUNK]
            yield self.conn.execute(sql.replace("IN (@ids)", f"IN ({','.join('?' * len(chunk))})"), chunk)

    def stale(self, person_ids: list[int] | None = None) -> dict[int, int]:
        """person id → current version, for the people with a live face whose cache is out of date
        (all of them, or those of ``person_ids``)."""
        sql = "SELECT person_id, version FROM person_stats WHERE faces > 0 AND cached != version"
        if person_ids is None:
            return {int(r[0]): int(r[1]) for r in self.conn.execute(sql)}
        out: dict[int, int] = {}
        for rows in self._per_chunk(sql + " AND person_id IN (@ids)", person_ids):
            out.update({int(r[0]): int(r[1]) for r in rows})
        return out

    def faces_of(
        self, person_ids: list[int] | None, batch: int = 50_000
    ) -> Iterator[list[tuple[int, float | None, str | None, bytes, str]]]:
        """Batches of (person id, quality, attributes JSON, embedding, its space key) of every live
        face of these people (None: of everyone, in one pass)."""
        base = (
            "SELECT a.person_id, f.quality, f.attributes, f.embedding, f.model FROM assignments a "
            "JOIN faces f ON f.id = a.face_id JOIN images i ON i.id = f.image_id AND i.status = 'done'"
        )
        if person_ids is None:
            cursors: Iterator[sqlite3.Cursor] = iter([self.conn.execute(base)])
        else:
            cursors = self._per_chunk(base + " WHERE a.person_id IN (@ids)", person_ids)
        for cur in cursors:
            while rows := cur.fetchmany(batch):
                yield rows

    def save(self, rows: list[tuple[int, int, np.ndarray | None, dict]]) -> bool:
        """Store (person id, version it was computed at, centroid, attributes); a row whose person
        changed since (another version) is left stale. False when the atlas cannot be written now
        (read-only, or busy: a page does not wait for a scan's write lock): the values are still right
        for this read, only not kept."""
        waits = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        if not self.conn.in_transaction:
            self.conn.execute("PRAGMA busy_timeout = 200")
        try:
            with transaction(self.conn):
                self.conn.executemany(
                    "UPDATE person_stats SET cached = ?, centroid = ?, attributes = ? "
                    "WHERE person_id = ? AND version = ?",
                    [
                        (
                            version,
                            None if centroid is None else np.asarray(centroid, np.float32).tobytes(),
                            json.dumps(attributes, separators=(",", ":")),
                            pid,
                            version,
                        )
                        for pid, version, centroid, attributes in rows
                    ],
                )
        except sqlite3.OperationalError:
            return False
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(waits)}")
        return True

    def centroids(self, state: str | None = "shown") -> Centroids:
        """The cached centroids of the people with a live face (in ``state``; None: any), by id: the
        up-to-date ones only (a stale one may be of faces gone, or of the space before a re-embedding)."""
        rows = self.conn.execute(
            "SELECT s.person_id, s.faces, s.cover_face, s.centroid FROM person_stats s "
            "JOIN people p ON p.id = s.person_id WHERE s.faces > 0 AND s.centroid IS NOT NULL "
            "AND s.cached = s.version AND (? IS NULL OR p.state = ?) ORDER BY s.person_id",
            (state, state),
        ).fetchall()
        if not rows:
            empty = np.zeros(0, np.int64)
            return Centroids(empty, empty, empty, np.zeros((0, 0), np.float32))
        widths = Counter(len(r[3]) for r in rows)
        if len(widths) > 1:  # all of the atlas's space (a new one makes them stale) but in a cache made
            rows = [r for r in rows if len(r[3]) == widths.most_common(1)[0][0]]  # before that rule
        table = np.array([r[:3] for r in rows], dtype=np.int64).reshape(-1, 3)
        vectors = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return Centroids(table[:, 0], table[:, 1], table[:, 2], vectors)

    def centroid(self, person_id: int) -> np.ndarray | None:
        """The cached centroid of ``person_id`` (None without a live face: the cache is of faces gone)."""
        row = self.conn.execute(
            "SELECT centroid FROM person_stats WHERE person_id = ? AND faces > 0", (person_id,)
        ).fetchone()
        return None if row is None or row[0] is None else np.frombuffer(row[0], dtype=np.float32)

    def attributes(self, person_ids: list[int] | None = None) -> dict[int, dict]:
        """person id → cached attribute summary, for the people with a live face and any attribute."""
        sql = (
            "SELECT person_id, attributes FROM person_stats "
            "WHERE faces > 0 AND attributes IS NOT NULL AND attributes != '{}'"
        )
        if person_ids is None:
            rows = list(self.conn.execute(sql))
        else:
            rows = [r for cur in self._per_chunk(sql + " AND person_id IN (@ids)", person_ids) for r in cur]
        return {int(r[0]): json.loads(r[1]) for r in rows}

    def ruled_out(self, person_id: int) -> set[int]:
        """People the user said some face of ``person_id`` is not ("not this person")."""
        rows = self.conn.execute(
            "SELECT DISTINCT c.person_id FROM constraints c JOIN assignments a ON a.face_id = c.face_id "
            "WHERE c.kind = 'cannot' AND a.person_id = ?",
            (person_id,),
        )
        return {int(r[0]) for r in rows}


# every person's live face count, cover face and its rank, counted from the assignments
_COUNTED = """SELECT p.id AS id, COALESCE(r.n, 0) AS n, r.fid AS fid, r.q AS q FROM people p LEFT JOIN (
    SELECT pid, n, fid, q FROM (
        SELECT a.person_id AS pid, f.id AS fid, COALESCE(f.quality, -1e300) AS q,
               COUNT(*) OVER (PARTITION BY a.person_id) AS n,
               ROW_NUMBER() OVER (PARTITION BY a.person_id ORDER BY f.quality DESC, f.id) AS rn
        FROM assignments a JOIN faces f ON f.id = a.face_id
        JOIN images i ON i.id = f.image_id AND i.status = 'done')
    WHERE rn = 1) r ON r.pid = p.id"""


def mismatches(conn: sqlite3.Connection) -> int:
    """People whose stored face count or cover face differs from a real count (0 when right; for
    ``faceatlas doctor``, one pass over the assignments)."""
    return int(
        conn.execute(
            f"SELECT COUNT(*) FROM ({_COUNTED}) t LEFT JOIN person_stats s ON s.person_id = t.id "
            "WHERE s.person_id IS NULL OR s.faces != t.n OR s.cover_face IS NOT t.fid"
        ).fetchone()[0]
    )


def recount(conn: sqlite3.Connection) -> int:
    """Count every person's faces and cover again (a repair: the triggers keep them right), marking
    their centroids stale. Returns how many people were wrong."""
    with transaction(conn):
        wrong = mismatches(conn)
        conn.execute(
            f"INSERT INTO person_stats (person_id, faces, cover_face, cover_rank) SELECT id, n, fid, q FROM "
            f"({_COUNTED}) WHERE true ON CONFLICT(person_id) DO UPDATE SET faces = excluded.faces, "
            "cover_face = excluded.cover_face, cover_rank = excluded.cover_rank, version = version + 1"
        )
    return wrong
