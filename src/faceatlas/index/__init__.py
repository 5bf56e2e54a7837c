"""The vector index: FAISS over the store's embeddings, persisted beside the database and rebuilt
whenever it is missing or no longer matches the store (the store stays the source of truth)."""

from faceatlas.index.face_index import FaceIndex
from faceatlas.index.knn import build_faiss, knn

__all__ = ["FaceIndex", "build_faiss", "knn"]
