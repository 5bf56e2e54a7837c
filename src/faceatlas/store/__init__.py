"""The atlas store: SQLite (WAL, foreign keys, versioned migrations), the one place SQL lives.

The database is the source of truth; the vector index and thumbnails are rebuilt from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from faceatlas.store.actions import Action, ActionLog
from faceatlas.store.db import connect, schema_version, transaction
from faceatlas.store.faces import FaceTable
from faceatlas.store.images import ImageTable
from faceatlas.store.keys import KeyTable
from faceatlas.store.meta import EMBEDDER, EMBEDDER_MODEL, MetaTable
from faceatlas.store.people import PeopleTable
from faceatlas.store.records import Constraint, FaceRecord, ImageRecord, PersonRecord

if TYPE_CHECKING:
    from faceatlas.io.thumbnails import ThumbnailCache


class Atlas:
    """An open atlas database: ``images``, ``faces`` and ``people`` tables over one connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.conn = connect(path)
        self.images = ImageTable(self.conn)
        self.faces = FaceTable(self.conn)
        self.people = PeopleTable(self.conn)
        self.keys = KeyTable(self.conn)
        self.meta = MetaTable(self.conn)
        self.actions = ActionLog(self.conn)

    @property
    def embedder(self) -> str | None:
        """The identity space key ("name/version") of the atlas's vectors; None before the first scan."""
        return self.meta.get(EMBEDDER)

    @property
    def embedder_model(self) -> str | None:
        """The registry name of the embedder that made them (None in atlases older than this record)."""
        return self.meta.get(EMBEDDER_MODEL)

    def set_embedder(self, key: str, model: str) -> None:
        """Record that the atlas's vectors are (or are becoming, during a re-embedding) ``key``'s; a new
        space makes every cached per-person centroid stale (they are of the faces of the atlas's space)."""
        with self.transaction():
            if self.meta.get(EMBEDDER) != key:
                self.conn.execute("UPDATE person_stats SET version = version + 1")
            self.meta.set(EMBEDDER, key)
            self.meta.set(EMBEDDER_MODEL, model)

    def transaction(self):
        return transaction(self.conn)

    @property
    def schema_version(self) -> int:
        return schema_version(self.conn)

    def sidecar(self, suffix: str) -> Path:
        """A rebuildable file or folder that lives beside the database (index, thumbnails)."""
        return self.path.with_name(self.path.name + suffix)

    def thumbnails(self) -> ThumbnailCache:
        """The face-crop cache beside the database."""
        from faceatlas.io.thumbnails import ThumbnailCache

        return ThumbnailCache(self.sidecar(".thumbs"))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Atlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Action", "Atlas", "Constraint", "FaceRecord", "ImageRecord", "PersonRecord", "connect", "transaction"]
