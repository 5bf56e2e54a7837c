"""Face rows: geometry, quality and the embedding of every face of every live image."""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from faceatlas.store.records import FaceRecord
from faceatlas.types import BBox, Face

_SELECT = """SELECT f.id, f.image_id, i.path, f.x1, f.y1, f.x2, f.y2, f.score, f.quality, f.embedding,
                    a.person_id, a.source, a.confidence, f.frame_ms
             FROM faces f JOIN images i ON i.id = f.image_id
             LEFT JOIN assignments a ON a.face_id = f.id"""


def _record(row: sqlite3.Row) -> FaceRecord:
    return FaceRecord(
        id=row[0],
        image_id=row[1],
        image_path=row[2],
        bbox=BBox(row[3], row[4], row[5], row[6]),
        score=row[7],
        quality=row[8],
        embedding=np.frombuffer(row[9], dtype=np.float32),
        person_id=row[10],
        source=row[11],
        confidence=row[12],
        frame_ms=row[13],
    )


class FaceTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def replace_for_image(self, image_id: int, faces: list[Face]) -> list[int]:
        """Drop the image's previous faces (and their assignments) and store ``faces``."""
        self.conn.execute("DELETE FROM faces WHERE image_id = ?", (image_id,))
        ids = []
        for f in faces:
            assert f.embedding is not None
            pose = f.pose
            cur = self.conn.execute(
                """INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, yaw, pitch, roll, quality,
                                      embedding, model, frame_ms)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    image_id,
                    f.bbox.x1,
                    f.bbox.y1,
                    f.bbox.x2,
                    f.bbox.y2,
                    float(f.score),
                    json.dumps(np.round(f.landmarks5, 2).tolist()),
                    pose.yaw if pose else None,
                    pose.pitch if pose else None,
                    pose.roll if pose else None,
                    f.quality,
                    np.asarray(f.embedding, dtype=np.float32).tobytes(),
                    f.embedder,
                    f.frame_ms,
                ),
            )
            ids.append(int(cur.lastrowid))
        return ids

    def get(self, face_id: int) -> FaceRecord | None:
        row = self.conn.execute(_SELECT + " WHERE f.id = ?", (face_id,)).fetchone()
        return _record(row) if row else None

    def live(self) -> list[FaceRecord]:
        """Faces of images currently present (status done), in id order."""
        rows = self.conn.execute(_SELECT + " WHERE i.status = 'done' ORDER BY f.id").fetchall()
        return [_record(r) for r in rows]

    def of_person(self, person_id: int) -> list[FaceRecord]:
        rows = self.conn.execute(
            _SELECT + " WHERE a.person_id = ? AND i.status = 'done' ORDER BY f.quality DESC, f.id", (person_id,)
        ).fetchall()
        return [_record(r) for r in rows]

    def of_image(self, image_id: int) -> list[FaceRecord]:
        return [_record(r) for r in self.conn.execute(_SELECT + " WHERE f.image_id = ? ORDER BY f.id", (image_id,))]

    def embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of live faces, for the vector index."""
        rows = self.conn.execute(
            "SELECT f.id, f.embedding FROM faces f JOIN images i ON i.id = f.image_id "
            "WHERE i.status = 'done' ORDER BY f.id"
        ).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 128), dtype=np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vecs = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
        return ids, vecs

    def fingerprint(self) -> list[float]:
        """(count, max id, sum of ids, last scan time) of the live faces: changes whenever the set of
        faces does — the scan time too, as SQLite may reuse the id of a deleted last row."""
        row = self.conn.execute(
            "SELECT COUNT(*), COALESCE(MAX(f.id), 0), TOTAL(f.id), COALESCE(MAX(i.scanned_at), 0) "
            "FROM faces f JOIN images i ON i.id = f.image_id WHERE i.status = 'done'"
        ).fetchone()
        return [row[0], row[1], row[2], row[3]]

    def live_ids(self) -> np.ndarray:
        rows = self.conn.execute(
            "SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id WHERE i.status = 'done' ORDER BY f.id"
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def count(self) -> int:
        return int(
            self.conn.execute(
                "SELECT COUNT(*) FROM faces f JOIN images i ON i.id = f.image_id WHERE i.status = 'done'"
            ).fetchone()[0]
        )

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Live faces as arrays, in id order, without building a record per face (the review's and
        identification's view at 100k+ faces): ids, person id (-1: none), confirmed by the user
        (bool), quality (NaN: unknown), embeddings (n, d) float32. The vectors change only when a
        scan changes the faces, so they are kept in memory per database and fingerprint; the rest is
        read each time."""
        rows = self.conn.execute(
            """SELECT f.id, COALESCE(a.person_id, -1), COALESCE(a.source = 'user', 0), COALESCE(f.quality, 'nan')
               FROM faces f JOIN images i ON i.id = f.image_id LEFT JOIN assignments a ON a.face_id = f.id
               WHERE i.status = 'done' ORDER BY f.id"""
        ).fetchall()
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, bool), np.zeros(0), np.zeros((0, 128), dtype=np.float32)
        table = np.array(rows, dtype=np.float64)
        ids = table[:, 0].astype(np.int64)
        key = (self._db_name(), tuple(self.fingerprint()))
        cached = _VECTORS.get(key[0])
        if cached is None or cached[0] != key[1] or not np.array_equal(cached[1], ids):
            vec_ids, x = self.embeddings()
            _VECTORS[key[0]] = (key[1], vec_ids, x)
            cached = _VECTORS[key[0]]
        return ids, table[:, 1].astype(np.int64), table[:, 2] > 0, table[:, 3], cached[2]

    def _db_name(self) -> str:
        row = self.conn.execute("PRAGMA database_list").fetchone()
        return str(row[2]) or f"memory:{id(self.conn)}"


# database file → (fingerprint, face ids, vectors) of its live faces, for FaceTable.matrix
_VECTORS: dict[str, tuple] = {}
