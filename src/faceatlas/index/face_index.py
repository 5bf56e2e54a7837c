"""A persisted FAISS index of the atlas's live faces."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from faceatlas.index.knn import EXACT_LIMIT, build_faiss
from faceatlas.store import Atlas


class FaceIndex:
    """Nearest faces by embedding. ``FaceIndex.open(atlas)`` loads the saved index when it matches
    the store's current faces, else rebuilds and saves it."""

    def __init__(self, index, ids: np.ndarray) -> None:
        self._index = index
        self.ids = ids

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def kind(self) -> str:
        return type(self._index).__name__

    @classmethod
    def open(cls, atlas: Atlas, exact_limit: int = EXACT_LIMIT) -> FaceIndex:
        import faiss

        path, meta_path = atlas.sidecar(".faiss"), atlas.sidecar(".faiss.json")
        embedder = atlas.embedder  # only the atlas's space: during a re-embedding the rest wait
        fingerprint = [*atlas.faces.fingerprint(), embedder or ""]
        if path.is_file() and meta_path.is_file():
            try:
                if json.loads(meta_path.read_text()).get("fingerprint") == fingerprint:
                    return cls(faiss.read_index(str(path)), atlas.faces.live_ids(embedder))
            except (ValueError, RuntimeError, OSError):
                pass  # unreadable: rebuild below
        ids, vectors = atlas.faces.embeddings(embedder)
        index = cls(build_faiss(vectors, exact_limit) if len(ids) else None, ids)
        if len(ids):
            try:
                index.save(path, meta_path, fingerprint)
            except (OSError, RuntimeError):  # a read-only atlas folder: the index lives in memory only
                pass
        return index

    def save(self, path: Path, meta_path: Path, fingerprint: list[float]) -> None:
        import faiss

        tmp = path.with_suffix(path.suffix + ".tmp")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(path)
        meta_path.write_text(json.dumps({"fingerprint": fingerprint, "count": self.size, "kind": self.kind}))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(euclidean distances, face ids) of the ``k`` nearest faces to each query row."""
        q = np.ascontiguousarray(np.atleast_2d(query), dtype=np.float32)
        if self._index is None or self.size == 0:
            return np.zeros((len(q), 0)), np.zeros((len(q), 0), dtype=np.int64)
        d2, idx = self._index.search(q, min(k, self.size))
        ok = idx >= 0
        ids = np.where(ok, self.ids[np.clip(idx, 0, None)], -1)
        return np.where(ok, np.sqrt(np.maximum(d2, 0)), np.inf), ids
