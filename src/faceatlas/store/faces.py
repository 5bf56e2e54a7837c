"""Face rows: geometry, quality, attributes and the embedding of every face of every live image."""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from faceatlas.errors import EmbedderMismatchError
from faceatlas.store.images import path_from_db
from faceatlas.store.records import FaceRecord
from faceatlas.types import BBox, Face, Pose

_SELECT = """SELECT f.id, f.image_id, i.path, f.x1, f.y1, f.x2, f.y2, f.score, f.quality, f.embedding,
                    a.person_id, a.source, a.confidence, f.frame_ms, f.attributes, f.model, f.start_ms, f.end_ms
             FROM faces f JOIN images i ON i.id = f.image_id
             LEFT JOIN assignments a ON a.face_id = f.id"""


def _record(row: sqlite3.Row) -> FaceRecord:
    return FaceRecord(
        id=row[0],
        image_id=row[1],
        image_path=path_from_db(row[2]),
        bbox=BBox(row[3], row[4], row[5], row[6]),
        score=row[7],
        quality=row[8],
        embedding=np.frombuffer(row[9], dtype=np.float32),
        person_id=row[10],
        source=row[11],
        confidence=row[12],
        frame_ms=row[13],
        attributes=json.loads(row[14]) if row[14] else {},
        embedder=row[15],
        start_ms=row[16],
        end_ms=row[17],
    )


def _attributes_json(face: Face) -> str | None:
    """The face's attributes as stored: JSON with floats rounded (None: no head ran)."""
    if not face.attributes:
        return None
    return json.dumps(face.to_dict()["attributes"], separators=(",", ":"))


def _row_values(f: Face) -> tuple:
    pose = f.pose
    return (
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
        _attributes_json(f),
        *(f.span_ms if f.span_ms is not None else (None, None)),
    )


_COLUMNS = (
    "x1, y1, x2, y2, score, landmarks, yaw, pitch, roll, quality, embedding, model, frame_ms, attributes, "
    "start_ms, end_ms"
)
_N_COLUMNS = _COLUMNS.count(",") + 1
_INSERT = f"INSERT INTO faces (image_id, {_COLUMNS}) VALUES (?{', ?' * _N_COLUMNS})"
_UPDATE = "UPDATE faces SET " + ", ".join(f"{c.strip()} = ?" for c in _COLUMNS.split(",")) + " WHERE id = ?"


class FaceTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def replace_for_image(self, image_id: int, faces: list[Face], keep_ids: bool = False) -> list[int]:
        """Store ``faces`` as the image's faces. By default the previous ones (and their assignments)
        are dropped; with ``keep_ids`` (a re-embedding), a new face that overlaps an old one (IoU >=
        0.5, same video frame) takes over its row, so its id, person and the user's decisions stay."""
        old: list[tuple[int, BBox, int | None]] = []
        if not keep_ids:
            self.conn.execute("DELETE FROM faces WHERE image_id = ?", (image_id,))
        else:
            rows = self.conn.execute("SELECT id, x1, y1, x2, y2, frame_ms FROM faces WHERE image_id = ?", (image_id,))
            old = [(int(r[0]), BBox(r[1], r[2], r[3], r[4]), r[5]) for r in rows]
        ids = []
        kept: set[int] = set()
        for f in faces:
            assert f.embedding is not None
            match = max(
                ((fid, box.iou(f.bbox)) for fid, box, ms in old if fid not in kept and ms == f.frame_ms),
                key=lambda t: t[1],
                default=None,
            )
            if match is not None and match[1] >= 0.5:
                self.conn.execute(_UPDATE, (*_row_values(f), match[0]))
                kept.add(match[0])
                ids.append(match[0])
                continue
            cur = self.conn.execute(_INSERT, (image_id, *_row_values(f)))
            ids.append(int(cur.lastrowid))
        self.conn.executemany("DELETE FROM faces WHERE id = ?", [(fid,) for fid, _, _ in old if fid not in kept])
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

    def embeddings(self, embedder: str | None = None, dim: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of live faces, for the vector index; with ``embedder`` (a space key) only
        the faces of that space (during a re-embedding the others wait for their turn). ``dim``: the
        width of the empty result. Without ``embedder``, vectors of two widths (a re-embedding under
        way) raise :class:`EmbedderMismatchError`."""
        rows = self.conn.execute(
            "SELECT f.id, f.embedding FROM faces f JOIN images i ON i.id = f.image_id "
            "WHERE i.status = 'done' AND (? IS NULL OR f.model = ?) ORDER BY f.id",
            (embedder, embedder),
        ).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)
        if embedder is None and len({len(r[1]) for r in rows}) > 1:  # every space's vectors, mid re-embedding
            spaces = sorted(self.models().items(), key=lambda kv: -kv[1]) + [("?", 0), ("?", 0)]
            hint = "a re-embedding is under way: the next `faceatlas scan` finishes it"
            raise EmbedderMismatchError(spaces[0][0], spaces[1][0], hint)
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

    def poses(self, image_id: int) -> dict[int, Pose]:
        """face id → head pose, for the faces of one image that have one."""
        rows = self.conn.execute(
            "SELECT id, yaw, pitch, roll FROM faces WHERE image_id = ? AND yaw IS NOT NULL", (image_id,)
        ).fetchall()
        return {r[0]: Pose(r[1], r[2], r[3]) for r in rows}

    def landmarks(self, image_id: int) -> dict[int, np.ndarray]:
        """face id → its five landmarks ((5, 2) px), for the faces of one image."""
        rows = self.conn.execute("SELECT id, landmarks FROM faces WHERE image_id = ?", (image_id,)).fetchall()
        out = {}
        for face_id, text in rows:
            points = np.asarray(json.loads(text), dtype=np.float32) if text else np.zeros(0)
            if points.shape == (5, 2):
                out[face_id] = points
        return out

    def live_ids(self, embedder: str | None = None) -> np.ndarray:
        """Ids of live faces (with ``embedder``: of that space only), in id order."""
        rows = self.conn.execute(
            "SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id WHERE i.status = 'done' "
            "AND (? IS NULL OR f.model = ?) ORDER BY f.id",
            (embedder, embedder),
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def count(self) -> int:
        """Live faces: all faces less those of photos not present (few), both from indexes."""
        return int(
            self.conn.execute(
                "SELECT (SELECT COUNT(*) FROM faces) - (SELECT COUNT(*) FROM faces f JOIN images i "
                "ON i.id = f.image_id WHERE i.status != 'done')"
            ).fetchone()[0]
        )

    # Faces in no person, best quality first. Where they are many (10 % of the faces: a page finds
    # its rows at once) the query walks the faces_quality index from the best face (faces first:
    # CROSS JOIN); where they are few (under 1 face in 20), that walk would pass nearly every face
    # (10 s at 1M faces), so they are collected first by one scan of a small index (temp.fa_loose).
    _NOT_PLACED = (
        "i.status = 'done' AND NOT EXISTS (SELECT 1 FROM assignments pa WHERE pa.face_id = f.id) "
        "AND f.id NOT IN (SELECT face_id FROM review_skips WHERE face_id IS NOT NULL)"
    )
    _BY_QUALITY = "ORDER BY COALESCE(f.quality, 0) DESC, f.id"
    FEW = 20  # "few": fewer than one live face in FEW
    LOOSE_PAGE = (
        _SELECT.replace("JOIN images", "CROSS JOIN images", 1) + f" WHERE {_NOT_PLACED} {_BY_QUALITY} LIMIT ? OFFSET ?"
    )
    FEW_LOOSE_PAGE = (
        _SELECT.replace("FROM faces f", "FROM temp.fa_loose l CROSS JOIN faces f ON f.id = l.id", 1)
        + f" WHERE {_NOT_PLACED} {_BY_QUALITY} LIMIT ? OFFSET ?"
    )

    def _loose_count(self) -> tuple[int, bool]:
        """How many live faces are in no person and not ignored (the live faces less those in a
        person (person_stats) less the ignored ones), and whether they are few enough to collect by a
        scan (then temp.fa_loose holds their ids) rather than walking the quality index."""
        live = self.count()
        ignored = self.conn.execute(
            "SELECT COUNT(DISTINCT r.face_id) FROM review_skips r JOIN faces f ON f.id = r.face_id "
            "JOIN images i ON i.id = f.image_id LEFT JOIN assignments a ON a.face_id = f.id "
            "WHERE i.status = 'done' AND a.face_id IS NULL"
        ).fetchone()[0]
        placed = self.conn.execute("SELECT TOTAL(faces) FROM person_stats").fetchone()[0]
        total = live - int(placed) - int(ignored)
        if total * self.FEW >= live:
            return total, False
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS fa_loose (id INTEGER PRIMARY KEY)")
        self.conn.execute("DELETE FROM temp.fa_loose")
        self.conn.execute(
            "INSERT INTO temp.fa_loose SELECT f.id FROM faces f "
            "WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.face_id = f.id)"
        )
        return total, True

    def loose(self, limit: int, offset: int = 0) -> tuple[list[FaceRecord], int]:
        """One page of the live faces in no person that the user did not ignore, best quality first
        (unknown quality as 0, then by id), and how many there are."""
        total, few = self._loose_count()
        sql = self.FEW_LOOSE_PAGE if few else self.LOOSE_PAGE
        rows = self.conn.execute(sql, (limit, max(0, offset))).fetchall()
        return [_record(r) for r in rows], total

    def loose_for_review(self, limit: int, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of the live faces in no person that the user did not ignore (with ``dim``:
        only the ``dim``-wide vectors; during a re-embedding the others wait): all of them in
        id order when there are at most ``limit``, else the ``limit`` best (unknown quality first,
        then best quality, ties by id). Reads only those faces' vectors: the unknown-quality ones
        from the faces_quality index's 0 entries, the rest walking it from the best (or, when they
        are few, from the collected ids)."""
        source = "FROM faces f"
        if self._loose_count()[1]:
            source = "FROM temp.fa_loose l CROSS JOIN faces f ON f.id = l.id"
        head = (
            f"SELECT f.id, f.embedding {source} CROSS JOIN images i ON i.id = f.image_id WHERE {self._NOT_PLACED} "
            "AND (?1 IS NULL OR LENGTH(f.embedding) = 4 * ?1)"
        )
        rows = self.conn.execute(
            f"{head} AND COALESCE(f.quality, 0) = 0 AND f.quality IS NULL ORDER BY f.id LIMIT ?2", (dim, limit + 1)
        ).fetchall()
        rows += self.conn.execute(
            f"{head} AND f.quality IS NOT NULL {self._BY_QUALITY} LIMIT ?2", (dim, limit + 1 - len(rows))
        ).fetchall()
        if len(rows) <= limit:
            rows.sort(key=lambda r: r[0])
        rows = rows[:limit]
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dim or 128), dtype=np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return ids, np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def images_embedded_otherwise(self, embedder: str) -> list[str]:
        """Paths of live images with faces whose vectors are not of space ``embedder`` (what a
        re-embedding has left to do)."""
        rows = self.conn.execute(
            "SELECT DISTINCT i.path FROM faces f JOIN images i ON i.id = f.image_id "
            "WHERE i.status = 'done' AND f.model != ? ORDER BY i.path",
            (embedder,),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def models(self) -> dict[str, int]:
        """Live faces per embedder key."""
        rows = self.conn.execute(
            "SELECT f.model, COUNT(*) FROM faces f JOIN images i ON i.id = f.image_id "
            "WHERE i.status = 'done' GROUP BY f.model"
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def of_person_page(self, person_id: int, limit: int, offset: int = 0) -> list[tuple[FaceRecord, str | None]]:
        """One page of a person's live faces with when their photo was taken: newest photo first,
        undated last, ties best quality first (as :func:`faceatlas.interop.dates.by_year` orders
        :meth:`of_person`), sorted by SQLite without reading the other pages' vectors."""
        rows = self.conn.execute(
            _SELECT.replace("FROM faces f", ", i.taken_at FROM faces f", 1)
            + " WHERE a.person_id = ? AND i.status = 'done'"
            " ORDER BY i.taken_at IS NULL OR i.taken_at = '', i.taken_at DESC, f.quality DESC, f.id LIMIT ? OFFSET ?",
            (person_id, limit, max(0, offset)),
        ).fetchall()
        return [(_record(r), r[-1] or None) for r in rows]

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Live faces as arrays, in id order, without building a record per face (identification's
        view at 100k+ faces: :func:`faceatlas.people.labeling.identify_around`): ids, person id
        (-1: none), confirmed by the user (bool), quality (NaN: unknown), embeddings (n, d) float32.
        The vectors change only when a scan changes the faces, so they are kept in memory per
        database and fingerprint; the rest is read each time."""
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
