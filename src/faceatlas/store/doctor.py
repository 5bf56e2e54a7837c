"""`faceatlas doctor`: is the atlas file sound? A backup, and a rebuild of the indexes.

The check opens the file with plain SQLite (no migration, nothing written) and runs
``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``. The backup uses SQLite's online backup
(a consistent copy even while a scan writes); a file too damaged for that is copied byte for byte,
with its WAL. Rebuilding re-creates the SQL indexes (``REINDEX``), counts the people's faces again
(person_stats) and rebuilds the FAISS index beside the atlas.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from faceatlas.store.schema import SCHEMA_VERSION


@dataclass
class DoctorReport:
    db: str
    ok: bool = False
    schema_version: int | None = None
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    backup: str | None = None
    rebuilt: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def check(path: Path) -> DoctorReport:
    """Integrity of the atlas at ``path``, without changing it."""
    report = DoctorReport(str(path))
    if not path.is_file():
        report.problems.append("no such file")
        return report
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            report.schema_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
            if rows != ["ok"]:
                report.problems += [f"integrity: {r}" for r in rows]
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                report.problems.append(f"{len(broken)} rows point at rows that do not exist")
            has_stats = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'person_stats'").fetchone()
            if has_stats and not report.problems:
                from faceatlas.store.stats import mismatches

                wrong = mismatches(conn)
                if wrong:
                    report.problems.append(f"{wrong} people's stored face counts are wrong (--rebuild counts again)")
            for table in ("images", "faces", "people"):
                try:
                    report.counts[table] = int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                except sqlite3.DatabaseError as exc:
                    report.problems.append(f"table {table}: {exc}")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"not a readable SQLite database ({exc})")
    if report.schema_version is not None and report.schema_version > SCHEMA_VERSION:
        report.problems.append(f"schema v{report.schema_version} is newer than this faceatlas (v{SCHEMA_VERSION})")
    report.ok = not report.problems
    return report


def backup(path: Path, dest: Path) -> str:
    """A copy of the atlas at ``dest``: SQLite's online backup, or the raw bytes (and WAL) when the
    file is too damaged for that. Returns how it was made."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        out = sqlite3.connect(str(dest))
        try:
            src.backup(out)
        finally:
            out.close()
            src.close()
        return "sqlite backup"
    except sqlite3.DatabaseError:
        dest.unlink(missing_ok=True)
        shutil.copy2(path, dest)
        wal = path.with_name(path.name + "-wal")
        if wal.is_file():
            shutil.copy2(wal, dest.with_name(dest.name + "-wal"))
        return "raw copy (the file could not be read as a database)"


def rebuild_indexes(path: Path) -> list[str]:
    """``REINDEX`` the database and rebuild the FAISS index from it (thumbnails are made again on
    demand). Returns what was rebuilt."""
    from faceatlas.index import FaceIndex
    from faceatlas.store import Atlas
    from faceatlas.store.stats import recount

    with Atlas(path) as atlas:
        atlas.conn.execute("REINDEX")
        recount(atlas.conn)
        for suffix in (".faiss", ".faiss.json"):
            atlas.sidecar(suffix).unlink(missing_ok=True)
        index = FaceIndex.open(atlas)
    return ["sql indexes", "people's face counts", f"faiss index ({index.size} faces)"]
