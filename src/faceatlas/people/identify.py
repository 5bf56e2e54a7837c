"""Few labels → everyone: identify unlabelled faces from a handful of labelled ones, self-paced,
and choose which face to ask about next (active learning).

Scores: for a face and a person, the distance d to the person's nearest labelled face (among the
face's nearest labelled faces, found with FAISS) becomes a match probability
s(d) = 1 / (1 + exp((d - threshold) / scale)) (the identity space's verification similarity, 0.5 at
the threshold).
Confidence of "face is c1" = s(d1) * (1 - s(d2)): high only when the best person is close and the
runner-up is not. Self-paced rounds: faces above ``accept`` join the labelled pool (as
pseudo-labels) and the rest are re-scored, easiest first, until no face clears the bar.
Asking: the most useful question is about a face that is uncertain *and* stands for many
unlabelled neighbours: value = (1 - confidence) * (1 + log(1 + neighbours within ``threshold``)).
"""

from __future__ import annotations

import numpy as np

from faceatlas.identity.space import IdentitySpace, default_space
from faceatlas.index.knn import EXACT_LIMIT, build_faiss, knn, search


def scores(
    x: np.ndarray,
    labels: np.ndarray,
    open_: np.ndarray,
    threshold: float,
    k: int = 32,
    exact: bool = True,
    flat: bool = False,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(best label, confidence) of the faces ``open_`` given the currently labelled ones
    (``labels``: a person id per face, -1 unlabelled).

    d1 and d2 (nearest labelled face of the best person, of any other person) come from FAISS: the
    ``k`` nearest labelled faces, and for faces whose k nearest are all one person's, one wider search
    (more neighbours than that person has faces; a search that leaves the person out when it is too
    large). ``exact=False`` skips that search and takes the k-th distance for d2 (a lower bound, so
    the confidence is never overstated): for ranking questions. ``flat``: an exact index over the
    labelled faces whatever their number (no IVF training), for a few queries. ``scale``: the width of
    the match logistic (the identity space's ``similarity_scale``; the default space's when None).
    Memory stays linear."""
    known = np.nonzero(labels >= 0)[0]
    n = len(open_)
    if len(known) == 0 or n == 0:
        return np.full(n, -1), np.zeros(n)
    known_labels = labels[known]
    index = build_faiss(x[known], exact_limit=len(known) if flat else EXACT_LIMIT)
    dist, idx = search(index, x[open_], k)
    found = idx >= 0
    lab = np.where(found, known_labels[np.clip(idx, 0, None)], -1)
    best, d1 = lab[:, 0], dist[:, 0]
    other = found & (lab != best[:, None])
    d2 = np.where(other.any(axis=1), dist[np.arange(n), other.argmax(axis=1)], np.inf)
    alone = ~other.any(axis=1) & (found.sum(axis=1) == min(k, len(known)))  # k neighbours, one person
    if not exact:  # the k-th distance bounds d2 from below: confidence is never overstated
        d2[alone] = dist[alone, -1]
    elif alone.any():
        # one wider search: with k2 > the size of the row's best person, another person's face is
        # among the k2 nearest (when there is one); rows still alone (huge people) search without them
        rows = np.nonzero(alone)[0]
        sizes = np.bincount(known_labels - known_labels.min())[best[rows] - known_labels.min()]
        k2 = int(min(len(known), sizes.max() + 1, 4096))
        dist2, idx2 = search(index, x[open_[rows]], k2)
        other2 = (idx2 >= 0) & (known_labels[np.clip(idx2, 0, None)] != best[rows][:, None])
        found2 = other2.any(axis=1)
        d2[rows[found2]] = dist2[found2, other2[found2].argmax(axis=1)]
        rest = rows[~found2 & (sizes < len(known))]
        for person in np.unique(best[rest]):
            sub = rest[best[rest] == person]
            d2[sub] = search(index, x[open_[sub]], 1, exclude=np.nonzero(known_labels == person)[0])[0][:, 0]
    scale = default_space().similarity_scale if scale is None else scale
    s1, s2 = (1.0 / (1.0 + np.exp(np.clip((d - threshold) / scale, -60, 60))) for d in (d1, d2))
    return best, s1 * (1 - s2)


def identify(
    x: np.ndarray,
    labels: np.ndarray,
    threshold: float | None = None,
    accept: float = 0.9,
    rounds: int = 10,
    space: IdentitySpace | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Labels for every face (-1 unknown) and their confidence; given labels keep confidence 1.
    ``threshold``: the space's verification threshold by default."""
    space = space or default_space()
    threshold = space.threshold if threshold is None else threshold
    x = np.asarray(x, dtype=np.float32)
    work = np.asarray(labels).copy()
    conf = np.where(work >= 0, 1.0, 0.0)
    for _ in range(rounds):
        open_ = np.nonzero(work < 0)[0]
        best, c = scores(x, work, open_, threshold, scale=space.similarity_scale)
        new = c >= accept
        if not new.any():
            break
        work[open_[new]] = best[new]
        conf[open_[new]] = c[new]
    rest = np.nonzero(work < 0)[0]
    best, c = scores(x, work, rest, threshold, scale=space.similarity_scale)
    work[rest] = np.where(c >= 0.5, best, -1)
    conf[rest] = c
    return work, conf


def question_order(
    x: np.ndarray,
    labels: np.ndarray,
    threshold: float | None = None,
    confidence: np.ndarray | None = None,
    space: IdentitySpace | None = None,
) -> np.ndarray:
    """Unlabelled faces, most useful question first. ``confidence``: :func:`identify`'s, when the
    caller has it already."""
    space = space or default_space()
    threshold = space.threshold if threshold is None else threshold
    x = np.asarray(x, dtype=np.float64)
    conf = identify(x, labels, threshold, space=space)[1] if confidence is None else confidence
    open_ = np.nonzero(np.asarray(labels) < 0)[0]
    if len(open_) == 0:
        return open_
    dist, _ = knn(x[open_], min(50, len(open_)))
    neighbours = (dist <= threshold).sum(axis=1) - 1
    value = (1 - conf[open_]) * (1 + np.log1p(neighbours))
    return open_[np.lexsort((open_, -value))]
