"""k-nearest-neighbour search over embeddings with FAISS: exact below a size threshold, IVF above."""

from __future__ import annotations

import math

import numpy as np

EXACT_LIMIT = 50_000
GRAPH_HNSW_LIMIT = 200_000  # all-points kNN graphs above this use HNSW (IVF cost grows ~n² there)


def build_faiss(vectors: np.ndarray, exact_limit: int = EXACT_LIMIT, nprobe: int | None = None):
    """A FAISS L2 index over ``vectors``: flat (exact) up to ``exact_limit`` rows, else IVF-Flat with
    ~4·sqrt(n) lists, trained on a sample, searched with ``nprobe`` lists (recall ≥ 0.99 measured in
    benchmarks/bench_scale.py)."""
    import faiss

    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = x.shape
    if n <= exact_limit:
        index = faiss.IndexFlatL2(dim)
        index.add(x)
        return index
    nlist = int(4 * math.sqrt(n))
    quantizer = faiss.IndexFlatL2(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_L2)
    rng = np.random.default_rng(0)
    sample = x[rng.choice(n, size=min(n, nlist * 40), replace=False)]
    index.train(sample)
    index.add(x)
    index.nprobe = nprobe or max(8, nlist // 200)
    return index


def knn(
    vectors: np.ndarray, k: int, queries: np.ndarray | None = None, exact_limit: int = EXACT_LIMIT
) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices) of the ``k`` nearest rows of ``vectors`` for each query (default: each row
    itself, self included). Euclidean distances; missing neighbours have index -1 and distance inf.
    Exact up to ``exact_limit`` rows, IVF above; a whole-set graph above 200k rows uses HNSW."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    q = x if queries is None else np.ascontiguousarray(queries, dtype=np.float32)
    if len(x) == 0 or len(q) == 0:
        return np.zeros((len(q), 0)), np.zeros((len(q), 0), dtype=np.int64)
    k = min(k, len(x))
    if queries is None and len(x) > GRAPH_HNSW_LIMIT:
        import faiss

        index = faiss.IndexHNSWFlat(x.shape[1], 16)
        index.hnsw.efConstruction = 40
        index.add(x)
        index.hnsw.efSearch = 64
    else:
        index = build_faiss(x, exact_limit)
    return search(index, q, k)


def search(index, queries: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(euclidean distances, ids) of the ``k`` nearest entries of a :func:`build_faiss` index,
    leaving out the ids in ``exclude``; missing neighbours have id -1 and distance inf."""
    import faiss

    q = np.ascontiguousarray(queries, dtype=np.float32)
    params = None
    if exclude is not None and len(exclude):
        sel = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.asarray(exclude, dtype=np.int64)))
        nprobe = getattr(index, "nprobe", None)
        params = faiss.SearchParametersIVF(sel=sel, nprobe=nprobe) if nprobe else faiss.SearchParameters(sel=sel)
    d2, idx = index.search(q, min(k, index.ntotal), params=params)
    d = np.sqrt(np.maximum(d2, 0)).astype(np.float64)
    d[idx < 0] = np.inf
    return d, idx.astype(np.int64)
