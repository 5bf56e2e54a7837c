"""API keys: random 256-bit secrets shown once; the store keeps only their SHA-256.

A plain SHA-256 (not a slow password hash) is right here because the keys are long random
strings, not guessable passwords; lookups stay one indexed query per request.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass

ROLES = ("read", "admin")


@dataclass(frozen=True)
class ApiKey:
    id: int
    prefix: str
    role: str
    label: str | None
    revoked: bool


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def create(self, role: str, label: str | None = None) -> str:
        """A new key (returned once, never stored in clear)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        key = "fa_" + secrets.token_urlsafe(32)
        self.conn.execute(
            "INSERT INTO api_keys (key_hash, prefix, role, label, created_at) VALUES (?, ?, ?, ?, ?)",
            (_hash(key), key[:10], role, label, time.time()),
        )
        return key

    def role_of(self, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT role FROM api_keys WHERE key_hash = ? AND revoked = 0", (_hash(key),)
        ).fetchone()
        return row[0] if row else None

    def list(self) -> list[ApiKey]:
        rows = self.conn.execute("SELECT id, prefix, role, label, revoked FROM api_keys ORDER BY id").fetchall()
        return [ApiKey(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]

    def revoke(self, key_id: int) -> bool:
        return self.conn.execute("UPDATE api_keys SET revoked = 1 WHERE id = ?", (key_id,)).rowcount > 0
