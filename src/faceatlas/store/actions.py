"""The log of user actions, each undoable.

While an action is being recorded, temporary triggers on the tables a correction touches (people,
assignments, constraints, name proposals, review skips) copy every row they insert, update or delete
into ``action_changes`` with its old values — the undo log SQLite's documentation describes. Undo
replays those changes backwards in one transaction. Column lists come from the live schema, so a
column added by a later migration is logged too. Scans and clustering are not recorded: only what
runs inside :meth:`ActionLog.record`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from faceatlas.errors import StoreError
from faceatlas.store.db import transaction

TRACKED = ("people", "assignments", "constraints", "name_proposals", "review_skips")


@dataclass(frozen=True)
class Action:
    id: int
    kind: str
    summary: str
    detail: dict
    created_at: float
    undone_at: float | None
    changes: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


_SELECT = """SELECT a.id, a.kind, a.summary, a.detail, a.created_at, a.undone_at,
                    (SELECT COUNT(*) FROM action_changes c WHERE c.action_id = a.id)
             FROM actions a"""


def _action(row: sqlite3.Row) -> Action:
    return Action(row[0], row[1], row[2], json.loads(row[3] or "{}"), row[4], row[5], row[6])


class ActionLog:
    """Recording and undoing user actions on one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._ready = False

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA main.table_info({table})")]

    def _install(self) -> None:
        """The temporary table naming the action being recorded, and the triggers (per connection)."""
        if self._ready:
            return
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS fa_action (id INTEGER)")
        on = "WHEN (SELECT id FROM temp.fa_action) IS NOT NULL"
        head = "INSERT INTO action_changes (action_id, tbl, op, row_id, old) VALUES ((SELECT id FROM temp.fa_action)"
        for table in TRACKED:
            old = "json_object(" + ", ".join(f"'{c}', OLD.{c}" for c in self._columns(table)) + ")"
            self.conn.execute(
                f"CREATE TEMP TRIGGER IF NOT EXISTS fa_{table}_ins AFTER INSERT ON main.{table} {on} "
                f"BEGIN {head}, '{table}', 'insert', NEW.rowid, NULL); END"
            )
            self.conn.execute(
                f"CREATE TEMP TRIGGER IF NOT EXISTS fa_{table}_upd AFTER UPDATE ON main.{table} {on} "
                f"BEGIN {head}, '{table}', 'update', OLD.rowid, {old}); END"
            )
            self.conn.execute(
                f"CREATE TEMP TRIGGER IF NOT EXISTS fa_{table}_del AFTER DELETE ON main.{table} {on} "
                f"BEGIN {head}, '{table}', 'delete', OLD.rowid, {old}); END"
            )
        self._ready = True

    def current(self) -> int | None:
        self._install()
        row = self.conn.execute("SELECT id FROM temp.fa_action").fetchone()
        return row[0] if row else None

    @contextmanager
    def record(self, kind: str, summary: str, detail: dict | None = None) -> Iterator[int]:
        """Record everything changed inside the block as one action (call inside a transaction).
        Nested inside another recording it joins that one. An action that changed nothing is dropped."""
        outer = self.current()
        if outer is not None:
            yield outer
            return
        if not self.conn.in_transaction:
            raise StoreError("an action must be recorded inside a transaction")
        cur = self.conn.execute(
            "INSERT INTO actions (kind, summary, detail, created_at) VALUES (?, ?, ?, ?)",
            (kind, summary, json.dumps(detail or {}), time.time()),
        )
        action_id = int(cur.lastrowid)
        self.conn.execute("INSERT INTO temp.fa_action (id) VALUES (?)", (action_id,))
        try:
            yield action_id
        finally:
            self.conn.execute("DELETE FROM temp.fa_action")
        changed = self.conn.execute("SELECT 1 FROM action_changes WHERE action_id = ? LIMIT 1", (action_id,)).fetchone()
        if not changed:
            self.conn.execute("DELETE FROM actions WHERE id = ?", (action_id,))

    def set_summary(self, action_id: int, summary: str, detail: dict | None = None) -> None:
        self.conn.execute(
            "UPDATE actions SET summary = ?, detail = COALESCE(?, detail) WHERE id = ?",
            (summary, json.dumps(detail) if detail is not None else None, action_id),
        )

    def list(self, limit: int = 50, offset: int = 0, include_undone: bool = True) -> list[Action]:
        """Newest first."""
        where = "" if include_undone else "WHERE a.undone_at IS NULL"
        rows = self.conn.execute(f"{_SELECT} {where} ORDER BY a.id DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [_action(r) for r in rows]

    def get(self, action_id: int) -> Action:
        row = self.conn.execute(f"{_SELECT} WHERE a.id = ?", (action_id,)).fetchone()
        if row is None:
            raise StoreError(f"no action with id {action_id}")
        return _action(row)

    def latest_undoable(self) -> int | None:
        row = self.conn.execute("SELECT MAX(id) FROM actions WHERE undone_at IS NULL").fetchone()
        return row[0]

    def undo(self, action_id: int | None = None) -> Action:
        """Undo ``action_id`` (default: the latest action not undone). Refused when a later action that
        is still in force changed the same rows (undo that one first)."""
        self._install()
        try:
            return self._undo(action_id)
        except sqlite3.IntegrityError:
            raise StoreError(
                "the faces or people this action changed are gone since (a rescan or re-clustering): "
                "it cannot be undone"
            ) from None

    def _undo(self, action_id: int | None) -> Action:
        with transaction(self.conn):
            if action_id is None:
                action_id = self.latest_undoable()
                if action_id is None:
                    raise StoreError("nothing to undo")
            action = self.get(action_id)
            if action.undone_at is not None:
                raise StoreError(f"action {action_id} was already undone")
            later = self.conn.execute(
                """SELECT MIN(l.action_id) FROM action_changes l JOIN actions a ON a.id = l.action_id
                   WHERE l.action_id > ? AND a.undone_at IS NULL AND EXISTS (
                     SELECT 1 FROM action_changes c WHERE c.action_id = ? AND c.tbl = l.tbl AND c.row_id = l.row_id)""",
                (action_id, action_id),
            ).fetchone()[0]
            if later is not None:
                raise StoreError(f"action {later} changed the same faces or people later: undo it first")
            self.conn.execute("PRAGMA defer_foreign_keys = ON")
            changes = self.conn.execute(
                "SELECT tbl, op, row_id, old FROM action_changes WHERE action_id = ? ORDER BY id DESC", (action_id,)
            ).fetchall()
            for tbl, op, row_id, old in changes:
                if tbl not in TRACKED:
                    continue
                key = self._key(tbl)
                if op == "insert":
                    self.conn.execute(f"DELETE FROM {tbl} WHERE {key} = ?", (row_id,))
                    continue
                values = json.loads(old)
                cols = [c for c in self._columns(tbl) if c in values]
                if op == "update":
                    sets = ", ".join(f"{c} = ?" for c in cols)
                    self.conn.execute(f"UPDATE {tbl} SET {sets} WHERE {key} = ?", [values[c] for c in cols] + [row_id])
                else:
                    marks = ", ".join("?" for _ in cols)
                    self.conn.execute(
                        f"INSERT OR REPLACE INTO {tbl} ({', '.join(cols)}) VALUES ({marks})", [values[c] for c in cols]
                    )
            self.conn.execute("UPDATE actions SET undone_at = ? WHERE id = ?", (time.time(), action_id))
        return self.get(action_id)

    def _key(self, table: str) -> str:
        pk = [r[1] for r in self.conn.execute(f"PRAGMA main.table_info({table})") if r[5] == 1]
        return pk[0] if len(pk) == 1 else "rowid"
