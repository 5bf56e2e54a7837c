"""People, face → person assignments, and the user's constraints."""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict

from faceatlas.errors import StoreError
from faceatlas.store.records import Constraint, PersonRecord

# a person's live face count and cover face (best quality, then lowest id) are kept in person_stats
# by triggers (store/schema.py): reading them costs nothing at any size
_PERSON = """SELECT p.id, p.name, COALESCE(s.faces, 0), s.cover_face, p.state
             FROM people p LEFT JOIN person_stats s ON s.person_id = p.id"""
_SORTS = {
    "-size": "s.faces DESC, p.id",
    "size": "s.faces, p.id",
    "name": "",
    "recent": "p.id DESC",
}


class PeopleTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # people
    def create(self, name: str | None = None) -> int:
        cur = self.conn.execute("INSERT INTO people (name, created_at) VALUES (?, ?)", (name, time.time()))
        return int(cur.lastrowid)

    def get(self, person_id: int) -> PersonRecord:
        row = self.conn.execute(_PERSON + " WHERE p.id = ?", (person_id,)).fetchone()
        if row is None:
            raise StoreError(f"no person with id {person_id}")
        return PersonRecord(*row)

    def all(self, include_hidden: bool = False) -> list[PersonRecord]:
        """People with at least one live face (and its cover face), largest first, then by id;
        hidden people only with ``include_hidden``; deleted people never."""
        state = " AND p.state != 'deleted'" if include_hidden else " AND p.state = 'shown'"
        rows = self.conn.execute(f"{_PERSON} WHERE s.faces > 0{state} ORDER BY {_SORTS['-size']}").fetchall()
        return [PersonRecord(*r) for r in rows]

    def page(
        self,
        state: str = "shown",
        unnamed: bool = False,
        sort: str = "-size",
        limit: int = 0,
        offset: int = 0,
    ) -> tuple[list[PersonRecord], int]:
        """One page of the people with a live face in ``state`` (``unnamed``: without a name), sorted
        by ``sort`` (size, -size, name, recent), and how many there are: one indexed query each."""
        if sort not in _SORTS:
            raise StoreError(f"unknown sort {sort!r}: one of {', '.join(_SORTS)}")
        where = "WHERE s.faces > 0 AND p.state = ?" + (" AND p.name IS NULL" if unnamed else "")
        total = self.conn.execute(
            f"SELECT COUNT(*) FROM people p JOIN person_stats s ON s.person_id = p.id {where}", (state,)
        ).fetchone()[0]
        if sort == "name":  # names compare casefolded (SQLite's NOCASE folds ASCII only): sorted here
            rows = self.conn.execute(f"{_PERSON} {where}", (state,)).fetchall()
            rows.sort(key=lambda r: (r[1] is None, (r[1] or "").casefold(), r[0]))
            rows = rows[max(0, offset) : max(0, offset) + limit] if limit else rows[max(0, offset) :]
        else:
            rows = self.conn.execute(
                f"{_PERSON} {where} ORDER BY {_SORTS[sort]} LIMIT ? OFFSET ?", (state, limit or -1, max(0, offset))
            ).fetchall()
        return [PersonRecord(*r) for r in rows], int(total)

    def states(self) -> dict[int, str]:
        """person id → 'shown' | 'hidden' | 'deleted'."""
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, state FROM people")}

    def rename(self, person_id: int, name: str | None, source: str = "user") -> None:
        self.get(person_id)
        self.conn.execute(
            "UPDATE people SET name = ?, name_source = ? WHERE id = ?", (name, source if name else None, person_id)
        )

    def name_source(self, person_id: int) -> str | None:
        row = self.conn.execute("SELECT name_source FROM people WHERE id = ?", (person_id,)).fetchone()
        return row[0] if row else None

    def by_name(self, name: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM people WHERE name = ? AND state != 'deleted' ORDER BY id LIMIT 1", (name,)
        ).fetchone()
        return row[0] if row else None

    def set_proposal(self, person_id: int, name: str, confidence: float, faces: int, applied: bool) -> None:
        self.conn.execute(
            """INSERT INTO name_proposals (person_id, name, confidence, faces, applied, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(person_id) DO UPDATE SET name=excluded.name,
               confidence=excluded.confidence, faces=excluded.faces, applied=excluded.applied,
               created_at=excluded.created_at""",
            (person_id, name, confidence, faces, int(applied), time.time()),
        )

    def proposals(self, pending_only: bool = True) -> list[tuple[int, str, float, int]]:
        sql = "SELECT person_id, name, confidence, faces FROM name_proposals"
        if pending_only:
            sql += " WHERE applied = 0"
        return [tuple(r) for r in self.conn.execute(sql + " ORDER BY confidence DESC")]

    def clear_proposal(self, person_id: int) -> None:
        self.conn.execute("DELETE FROM name_proposals WHERE person_id = ?", (person_id,))

    def delete(self, person_id: int) -> None:
        self.conn.execute("DELETE FROM people WHERE id = ?", (person_id,))

    def delete_empty_unnamed(self) -> int:
        """Remove people with no faces, no name and no constraint pointing at them."""
        cur = self.conn.execute(
            """DELETE FROM people WHERE name IS NULL
               AND id NOT IN (SELECT person_id FROM assignments)
               AND id NOT IN (SELECT person_id FROM constraints)"""
        )
        return cur.rowcount

    def names(self) -> dict[int, str | None]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, name FROM people")}

    # review questions the user skipped
    def add_skip(self, face_id: int | None = None, person_id: int | None = None) -> None:
        self.conn.execute(
            "INSERT INTO review_skips (face_id, person_id, created_at) VALUES (?, ?, ?)",
            (face_id, person_id, time.time()),
        )

    def skips(self) -> tuple[set[int], set[int]]:
        """(skipped face ids, skipped person ids)."""
        rows = self.conn.execute("SELECT face_id, person_id FROM review_skips").fetchall()
        return {r[0] for r in rows if r[0] is not None}, {r[1] for r in rows if r[1] is not None}

    # assignments
    def assign(self, face_id: int, person_id: int, source: str, confidence: float) -> None:
        self.conn.execute(
            """INSERT INTO assignments (face_id, person_id, source, confidence, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(face_id) DO UPDATE SET person_id=excluded.person_id, source=excluded.source,
                 confidence=excluded.confidence, updated_at=excluded.updated_at""",
            (face_id, person_id, source, confidence, time.time()),
        )

    def assigned(self, person_id: int) -> dict[int, bool]:
        """face id → whether its photo is live, for every face assigned to ``person_id`` (those of
        photos missing now too)."""
        rows = self.conn.execute(
            "SELECT a.face_id, i.status = 'done' FROM assignments a JOIN faces f ON f.id = a.face_id "
            "JOIN images i ON i.id = f.image_id WHERE a.person_id = ? ORDER BY a.face_id",
            (person_id,),
        )
        return {int(r[0]): bool(r[1]) for r in rows}

    def unassign(self, face_id: int) -> None:
        self.conn.execute("DELETE FROM assignments WHERE face_id = ?", (face_id,))

    def clear_auto(self) -> None:
        self.conn.execute("DELETE FROM assignments WHERE source = 'auto'")

    def assignments(self) -> dict[int, tuple[int, str]]:
        """face id → (person id, source)."""
        return {r[0]: (r[1], r[2]) for r in self.conn.execute("SELECT face_id, person_id, source FROM assignments")}

    # constraints
    def add_constraint(self, kind: str, face_id: int, person_id: int) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO constraints (kind, face_id, person_id, created_at) VALUES (?, ?, ?, ?)",
            (kind, face_id, person_id, time.time()),
        )

    def remove_constraints(self, face_id: int, kind: str) -> None:
        self.conn.execute("DELETE FROM constraints WHERE face_id = ? AND kind = ?", (face_id, kind))

    def remove_constraint(self, kind: str, face_id: int, person_id: int) -> None:
        self.conn.execute(
            "DELETE FROM constraints WHERE kind = ? AND face_id = ? AND person_id = ?", (kind, face_id, person_id)
        )

    def constraints(self) -> list[Constraint]:
        rows = self.conn.execute("SELECT kind, face_id, person_id FROM constraints ORDER BY id").fetchall()
        return [Constraint(*r) for r in rows]

    def cannot(self) -> defaultdict[int, set[int]]:
        """face id → the people the user said it is not ("not this person"); an empty set for others."""
        out: defaultdict[int, set[int]] = defaultdict(set)
        for face_id, person_id in self.conn.execute("SELECT face_id, person_id FROM constraints WHERE kind = 'cannot'"):
            out[face_id].add(person_id)
        return out

    def repoint_constraints(self, old: int, new: int) -> None:
        """After a merge: constraints about ``old`` now speak of ``new``."""
        self.conn.execute("UPDATE OR IGNORE constraints SET person_id = ? WHERE person_id = ?", (new, old))
        self.conn.execute("DELETE FROM constraints WHERE person_id = ?", (old,))
