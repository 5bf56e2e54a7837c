"""Opening the SQLite atlas: WAL, foreign keys, busy timeout, migrations up to the current schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from faceatlas.errors import StoreError
from faceatlas.store.schema import MIGRATIONS, SCHEMA_VERSION


def connect(path: Path | str, migrate_to: int = SCHEMA_VERSION) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    migrate(conn, migrate_to)
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations after the database's version, each atomically. Returns the new version."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"database schema v{current} is newer than this faceatlas (v{SCHEMA_VERSION}); upgrade faceatlas"
        )
    if current >= target:
        return current
    conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set before each BEGIN
    try:
        for version in range(current + 1, target + 1):
            with transaction(conn):
                for statement in _statements(MIGRATIONS[version - 1]):
                    conn.execute(statement)
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise StoreError(f"migration to v{version} would break {len(broken)} references; nothing changed")
                conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return schema_version(conn)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (nesting joins the outer one)."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:  # e.g. a deferred foreign-key check: nothing stays half-done
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
