"""Opening the SQLite atlas: WAL, foreign keys, busy timeout, migrations up to the current schema."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from faceatlas.errors import StoreError
from faceatlas.store.schema import MIGRATIONS, SCHEMA_VERSION


def connect(path: Path | str, migrate_to: int = SCHEMA_VERSION) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``.

    A file that is not an SQLite database, or a damaged one, raises :class:`StoreError` with one line
    (and the hint to run ``faceatlas doctor``). An atlas the user cannot write (a read-only folder
    or file) is opened read-only: every reading command works, a change is refused with one line."""
    if str(path) == ":memory:":
        conn = _open(str(path), read_only=False)
        migrate(conn, migrate_to)
        return conn
    path = Path(path)
    read_only = path.is_file() and not writable(path)
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the atlas folder {path.parent}: {exc.strerror or exc}") from None
    try:
        conn = _open(str(path), read_only)
        if not read_only:
            migrate(conn, migrate_to)
        elif schema_version(conn) < migrate_to:
            conn.close()
            raise StoreError(f"{path} is read-only and needs an upgrade to schema v{migrate_to}: make it writable once")
        else:
            conn.execute("SELECT COUNT(*) FROM images").fetchone()  # a damaged file fails here, not later
    except sqlite3.DatabaseError as exc:
        raise StoreError(damaged_message(path, exc)) from None
    return conn


def writable(path: Path) -> bool:
    """Whether this process may change the atlas file and create its journal files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def damaged_message(path: Path | str, exc: BaseException) -> str:
    return f"{path}: the atlas cannot be read ({exc}); run `faceatlas doctor --db {path}`"


def _open(path: str, read_only: bool) -> sqlite3.Connection:
    if read_only:  # no journal files can be made: read the file as it is
        uri = f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    if not read_only:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # an INSERT OR REPLACE (undo's replay) that replaces a row fires its delete triggers too, so
    # the triggers keeping person_stats see it (store/schema.py, migration 11)
    conn.execute("PRAGMA recursive_triggers = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
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
    """The statements of a migration; a trigger's body (with its own ``;``) stays one statement."""
    out, buf = [], ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    if buf.strip(" \n;"):
        out.append(buf.strip())
    return out


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
