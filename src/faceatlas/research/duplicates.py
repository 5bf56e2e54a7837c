"""Exact duplicates (same bytes) and near duplicates (faces embedded almost at the same point and
showing the same picture, or whole pictures alike: re-encoded, resized, lightly cropped or
recoloured copies of one photo), within and across identities. Of each group the first path in
sorted order is kept; the others point to it."""

from __future__ import annotations

from collections.abc import Callable

import faiss
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def duplicate_of(
    files: list[str],
    sha256: list[str | None],
    vectors: np.ndarray,
    has_vector: np.ndarray,
    radius: float,
    confirm: Callable[[int, int], bool] | None = None,
    thumbnails: np.ndarray | None = None,
    thumbnail_min: float = 1.0,
    thumbnail_radius: float = np.inf,
) -> dict[str, str]:
    """file → the kept file of its duplicate group, for every file that is not kept. Same bytes are
    duplicates; ``vectors[i]`` is used only where ``has_vector[i]``: two such files within
    ``radius`` are near duplicates when ``confirm(i, j)`` agrees (the pictures look the same).
    ``thumbnails`` (one unit row per file, zeros where missing): two files whose rows' dot product
    exceeds ``thumbnail_min`` are near duplicates too, unless both have a vector and those lie
    farther apart than ``thumbnail_radius`` (two people photographed alike)."""
    n = len(files)
    rows: list[int] = []
    cols: list[int] = []
    by_hash: dict[str, int] = {}
    for i, h in enumerate(sha256):
        if h is None:
            continue
        if h in by_hash:
            rows.append(by_hash[h])
            cols.append(i)
        else:
            by_hash[h] = i
    idx = np.flatnonzero(has_vector)
    if len(idx) > 1:
        x = np.ascontiguousarray(vectors[idx], dtype=np.float32)
        index = faiss.IndexFlatL2(x.shape[1])
        index.add(x)
        lims, _, found = index.range_search(x, float(radius) ** 2)
        for q in range(len(idx)):
            for j in found[lims[q] : lims[q + 1]]:
                if j > q and (confirm is None or confirm(int(idx[q]), int(idx[j]))):
                    rows.append(int(idx[q]))
                    cols.append(int(idx[j]))
    if thumbnails is not None and thumbnail_min < 1.0 and n > 1:
        x = np.ascontiguousarray(thumbnails, dtype=np.float32)
        index = faiss.IndexFlatIP(x.shape[1])
        index.add(x)
        lims, _, found = index.range_search(x, float(thumbnail_min))  # inner products above the limit
        for q in range(n):
            for j in found[lims[q] : lims[q + 1]]:
                both = has_vector[q] and has_vector[j]
                if j > q and (not both or np.linalg.norm(vectors[q] - vectors[j]) <= thumbnail_radius):
                    rows.append(q)
                    cols.append(int(j))
    if not rows:
        return {}
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[str]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(files[i])
    out = {}
    for members in groups.values():
        if len(members) > 1:
            keep, *rest = sorted(members)
            out.update({f: keep for f in rest})
    return out
