"""One embedding for a track from the embeddings of its detected frames, weighted by face quality
(the set-aggregation idea of Cluster-and-Aggregate and its predecessors, without a learnt
aggregator): good frames count more, frames far below the best one not at all."""

from __future__ import annotations

import numpy as np

from faceatlas.identity.space import IdentitySpace

KEEP_FRACTION = 0.5  # frames whose quality is below this fraction of the track's best are left out


def aggregate_embedding(
    embeddings: list[np.ndarray], qualities: list[float | None], space: IdentitySpace | None = None
) -> np.ndarray:
    """The quality-weighted mean of ``embeddings`` (prepared for ``space``: unit length in a cosine
    space). A missing quality counts as 0.5."""
    if not embeddings:
        raise ValueError("no embedding to aggregate")
    x = np.stack([np.asarray(e, dtype=np.float64) for e in embeddings])
    q = np.array([0.5 if v is None else float(v) for v in qualities], dtype=np.float64)
    q = np.maximum(q, 1e-3)
    weights = np.where(q >= KEEP_FRACTION * q.max(), q, 0.0)
    mean = (weights[:, None] * x).sum(0) / weights.sum()
    return space.prepare(mean[None])[0] if space is not None else mean.astype(np.float32)
