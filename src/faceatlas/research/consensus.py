"""An identity's robust centre: the mean of its largest mutually-agreeing core, never the plain mean
of all its photos (which the mislabelled ones pull towards themselves)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import cdist


@dataclass(frozen=True)
class Consensus:
    """``centre`` is None when the photos do not agree enough to name one (one photo, or a tie)."""

    centre: np.ndarray | None
    core: np.ndarray  # indices of the core members (empty without a consensus)
    medoid: int | None


def identity_consensus(vectors: np.ndarray, agree: float) -> Consensus:
    """The centre of ``vectors`` (one identity's photos). Two photos agree when they lie within
    ``agree``; the core is the largest connected group of agreeing photos, kept only when it has at
    least two photos and is strictly larger than any other group (else there is no consensus and
    nothing can be called mislabelled). Its medoid (least total distance to the other core members)
    anchors it; the centre is the mean of the core members within ``agree`` of the medoid."""
    x = np.asarray(vectors, dtype=np.float64)
    n = len(x)
    empty = Consensus(None, np.zeros(0, dtype=np.int64), None)
    if n < 2:
        return empty
    d = cdist(x, x)
    _, labels = connected_components(d <= agree, directed=False)
    sizes = np.bincount(labels)
    order = np.argsort(-sizes)
    if sizes[order[0]] < 2 or (len(order) > 1 and sizes[order[1]] == sizes[order[0]]):
        return empty
    core = np.flatnonzero(labels == order[0])
    sub = d[np.ix_(core, core)]
    medoid = int(core[np.argmin(sub.sum(axis=1))])
    members = core[d[medoid, core] <= agree]
    return Consensus(x[members].mean(axis=0), core, medoid)
