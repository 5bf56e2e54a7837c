"""The atlas's own facts, as key/value rows: which embedder (identity space) its vectors come from."""

from __future__ import annotations

import sqlite3

EMBEDDER = "embedder"  # the identity space key ("name/version") of every stored vector
EMBEDDER_MODEL = "embedder_model"  # the registry name of the model that made them


class MetaTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def all(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.conn.execute("SELECT key, value FROM meta ORDER BY key")}
