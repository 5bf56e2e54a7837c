"""Image rows: what was scanned, with which outcome."""

from __future__ import annotations

import os
import sqlite3
import time

from faceatlas.store.records import ImageRecord

_COLS = "id, path, size, mtime_ns, sha256, status, error"


def path_to_db(path: str) -> str | bytes:
    """A path as stored: text when it is valid UTF-8 (every usual name, unchanged), else the file
    name's raw bytes as a BLOB (a name that is not UTF-8 reaches Python as ``\\udcXX`` surrogates,
    which SQLite's text cannot hold). :func:`path_from_db` turns it back into the same ``str``."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(path)
    except UnicodeEncodeError:  # a lone surrogate no file name can produce: kept readable, as text
        return path.encode("utf-8", "backslashreplace").decode("utf-8")


def path_from_db(value: str | bytes) -> str:
    """The ``str`` path of a stored one (the inverse of :func:`path_to_db`)."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _as_bytes(path: str) -> bytes:
    value = path_to_db(path)
    return value if isinstance(value, bytes) else value.encode("utf-8")


def _record(row) -> ImageRecord:
    return ImageRecord(row[0], path_from_db(row[1]), *row[2:7])


class ImageTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get_by_path(self, path: str) -> ImageRecord | None:
        row = self.conn.execute(f"SELECT {_COLS} FROM images WHERE path = ?", (path_to_db(path),)).fetchone()
        return _record(row) if row else None

    def get(self, image_id: int) -> ImageRecord | None:
        row = self.conn.execute(f"SELECT {_COLS} FROM images WHERE id = ?", (image_id,)).fetchone()
        return _record(row) if row else None

    def under(self, prefix: str) -> list[ImageRecord]:
        """Images whose path lies under the folder ``prefix`` (or is that file)."""
        folder = _as_bytes(prefix.rstrip("/") + "/")  # compared as bytes: names that are not UTF-8 too
        rows = self.conn.execute(
            f"SELECT {_COLS} FROM images WHERE path = ? OR substr(CAST(path AS BLOB), 1, ?) = ?",
            (path_to_db(prefix), len(folder), folder),
        ).fetchall()
        return [_record(r) for r in rows]

    def upsert(
        self,
        path: str,
        *,
        size: int | None,
        mtime_ns: int | None,
        sha256: str | None,
        status: str,
        error: str | None = None,
        width: int | None = None,
        height: int | None = None,
        model: str | None = None,
    ) -> int:
        """Insert or update the row of ``path``; returns its id (stable across updates)."""
        self.conn.execute(
            """INSERT INTO images (path, size, mtime_ns, sha256, width, height, status, error, model, scanned_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns,
                 sha256=excluded.sha256, width=excluded.width, height=excluded.height, status=excluded.status,
                 error=excluded.error, model=excluded.model, scanned_at=excluded.scanned_at""",
            (path_to_db(path), size, mtime_ns, sha256, width, height, status, error, model, time.time()),
        )
        return int(self.conn.execute("SELECT id FROM images WHERE path = ?", (path_to_db(path),)).fetchone()[0])

    def touch(self, image_id: int, size: int, mtime_ns: int) -> None:
        self.conn.execute("UPDATE images SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, image_id))

    def mark_missing(self, image_ids: list[int]) -> None:
        self.conn.executemany("UPDATE images SET status = 'missing' WHERE id = ?", [(i,) for i in image_ids])

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, COUNT(*) FROM images GROUP BY status").fetchall()
        return {r[0]: r[1] for r in rows}

    def failures(self) -> list[tuple[str, str]]:
        rows = self.conn.execute("SELECT path, error FROM images WHERE status = 'failed' ORDER BY path").fetchall()
        return [(path_from_db(r[0]), r[1]) for r in rows]

    def captions(self) -> dict[int, str]:
        """image id → caption, for live images."""
        rows = self.conn.execute(
            "SELECT c.image_id, c.text FROM captions c JOIN images i ON i.id = c.image_id WHERE i.status = 'done'"
        )
        return {r[0]: r[1] for r in rows}

    def caption(self, image_id: int) -> tuple[str, str] | None:
        """(text, source) of an image's caption, or None."""
        row = self.conn.execute("SELECT text, source FROM captions WHERE image_id = ?", (image_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def delete_caption(self, image_id: int) -> None:
        self.conn.execute("DELETE FROM captions WHERE image_id = ?", (image_id,))

    def set_caption(self, image_id: int, text: str, source: str) -> None:
        self.conn.execute(
            "INSERT INTO captions (image_id, text, source) VALUES (?, ?, ?) "
            "ON CONFLICT(image_id) DO UPDATE SET text=excluded.text, source=excluded.source",
            (image_id, text, source),
        )

    def set_taken_at(self, image_id: int, when: str | None) -> None:
        """When the photo was taken (ISO 8601, from EXIF), None when unknown."""
        self.conn.execute("UPDATE images SET taken_at = ? WHERE id = ?", (when, image_id))

    def taken_at(self, image_id: int) -> str | None:
        row = self.conn.execute("SELECT taken_at FROM images WHERE id = ?", (image_id,)).fetchone()
        return row[0] if row else None

    def taken_at_of_faces(self, person_id: int | None = None) -> dict[int, str]:
        """face id → when its photo was taken, for the dated live faces (of one person, or all)."""
        rows = self.conn.execute(
            "SELECT f.id, i.taken_at FROM faces f JOIN images i ON i.id = f.image_id "
            "LEFT JOIN assignments a ON a.face_id = f.id "
            "WHERE i.status = 'done' AND i.taken_at IS NOT NULL AND (? IS NULL OR a.person_id = ?)",
            (person_id, person_id),
        )
        return {r[0]: r[1] for r in rows}

    def people_taken_between(self, after: str | None, before: str | None) -> set[int]:
        """Ids of the people with at least one live face whose photo was taken in the range (both
        ends inclusive, compared at their own precision: "2019", "2019-07", "2019-07-04")."""
        rows = self.conn.execute(
            "SELECT DISTINCT a.person_id FROM assignments a JOIN faces f ON f.id = a.face_id "
            "JOIN images i ON i.id = f.image_id WHERE i.status = 'done' AND i.taken_at IS NOT NULL "
            "AND (? IS NULL OR substr(i.taken_at, 1, length(?)) >= ?) "
            "AND (? IS NULL OR substr(i.taken_at, 1, length(?)) <= ?)",
            (after, after, after, before, before, before),
        )
        return {r[0] for r in rows if r[0] is not None}
