"""Approximate rank-order distances between faces (Otto, Wang & Jain, "Clustering millions of faces
by identity", TPAMI 2018), computed on a FAISS kNN graph.

For faces a, b with b among a's ``k`` nearest neighbours, ``O_a(b)`` is b's rank in a's list
(0 = a itself), and

    d(a, b) = number of a's neighbours ranked before b that are not among b's k nearest,
    D(a, b) = (d(a, b) + d(b, a)) / min(O_a(b), O_b(a)),

with O_b(a) = k when a is not in b's list. Two faces whose neighbourhoods hold the same people are
close in rank order even when their embeddings are not, and a face near a crowd of another identity
is far from it: a look-alike shares few neighbours with the person it resembles.
"""

from __future__ import annotations

import numpy as np


def rank_order_edges(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, D)`` for every pair a < b where one is in the other's list. ``idx``: (n, k) kNN
    indices, each row starting with the face itself (-1: no neighbour)."""
    n, k = idx.shape
    rows = np.repeat(np.arange(n), k)
    cols = idx.ravel()
    valid = (cols >= 0) & (cols != rows)
    a, b = rows[valid], cols[valid]
    rank_ab = np.tile(np.arange(k), n)[valid]
    # O_b(a): a's rank in b's list (k when absent), via a hash of (b, a)
    key = idx.astype(np.int64)
    own = np.repeat(np.arange(n, dtype=np.int64), k) * n + key.ravel()
    own_rank = np.tile(np.arange(k), n)
    ok = key.ravel() >= 0
    order = np.argsort(own[ok], kind="stable")
    sorted_keys, sorted_rank = own[ok][order], own_rank[ok][order]
    query = b.astype(np.int64) * n + a
    pos = np.clip(np.searchsorted(sorted_keys, query), 0, len(sorted_keys) - 1)
    rank_ba = np.where(sorted_keys[pos] == query, sorted_rank[pos], k)
    d_ab = _outside_count(idx, a, b, rank_ab)
    d_ba = _outside_count(idx, b, a, rank_ba)
    dist = (d_ab + d_ba) / np.maximum(np.minimum(rank_ab, rank_ba), 1)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pair = lo.astype(np.int64) * n + hi
    pair, first = np.unique(pair, return_index=True)
    return lo[first], hi[first], dist[first]


def _outside_count(idx: np.ndarray, a: np.ndarray, b: np.ndarray, upto: np.ndarray) -> np.ndarray:
    """Per pair: how many of a's neighbours at ranks ≤ ``upto`` are not in b's list."""
    k = idx.shape[1]
    out = np.zeros(len(a))
    for s in range(0, len(a), 4096):
        aa, bb, uu = a[s : s + 4096], b[s : s + 4096], upto[s : s + 4096]
        neigh = idx[aa]  # (m, k)
        inside = (idx[bb][:, None, :] == neigh[:, :, None]).any(axis=2)
        counted = (np.arange(k)[None, :] <= uu[:, None]) & (neigh >= 0)
        out[s : s + 4096] = (counted & ~inside).sum(axis=1)
    return out
