"""Few labels → everyone: identify unlabelled faces from a handful of labelled ones, self-paced,
and choose which face to ask about next (active learning).

Scores: for a face and a person, the distance d to the person's nearest labelled face becomes a
match probability s(d) = 1 / (1 + exp((d - threshold) / 0.05)) (the verification similarity, 0.5 at
the threshold). Confidence of "face is c1" = s(d1) * (1 - s(d2)): high only when the best person is
close and the runner-up is not. Self-paced rounds: faces above ``accept`` join the labelled pool
(as pseudo-labels) and the rest are re-scored, easiest first, until no face clears the bar.
Asking: the most useful question is about a face that is uncertain *and* stands for many
unlabelled neighbours: value = (1 - confidence) * (1 + log(1 + neighbours within ``threshold``)).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from faceatlas.identity.verify import DEFAULT_THRESHOLD
from faceatlas.index.knn import knn


def _scores(x: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(best label, confidence) for every face given the currently labelled ones."""
    known = np.nonzero(labels >= 0)[0]
    best = np.full(len(x), -1)
    conf = np.zeros(len(x))
    if len(known) == 0:
        return best, conf
    classes = np.unique(labels[known])
    d = np.full((len(x), len(classes)), np.inf)
    for k, c in enumerate(classes):
        d[:, k] = cdist(x, x[labels == c]).min(axis=1)
    s = 1.0 / (1.0 + np.exp(np.clip((d - threshold) / 0.05, -60, 60)))
    order = np.argsort(-s, axis=1)
    s1 = s[np.arange(len(x)), order[:, 0]]
    s2 = s[np.arange(len(x)), order[:, 1]] if len(classes) > 1 else np.zeros(len(x))
    best = classes[order[:, 0]]
    conf = s1 * (1 - s2)
    return best, conf


def identify(
    x: np.ndarray, labels: np.ndarray, threshold: float = DEFAULT_THRESHOLD, accept: float = 0.9, rounds: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Labels for every face (-1 unknown) and their confidence; given labels keep confidence 1."""
    x = np.asarray(x, dtype=np.float64)
    work = np.asarray(labels).copy()
    given = work >= 0
    conf = np.where(given, 1.0, 0.0)
    for _ in range(rounds):
        best, c = _scores(x, work, threshold)
        new = (work < 0) & (c >= accept)
        if not new.any():
            break
        work[new] = best[new]
        conf[new] = c[new]
    best, c = _scores(x, work, threshold)
    rest = work < 0
    work[rest] = np.where(c[rest] >= 0.5, best[rest], -1)
    conf[rest] = c[rest]
    return work, conf


def question_order(
    x: np.ndarray, labels: np.ndarray, threshold: float = DEFAULT_THRESHOLD, confidence: np.ndarray | None = None
) -> np.ndarray:
    """Unlabelled faces, most useful question first. ``confidence``: :func:`identify`'s, when the
    caller has it already."""
    x = np.asarray(x, dtype=np.float64)
    conf = identify(x, labels, threshold)[1] if confidence is None else confidence
    open_ = np.nonzero(np.asarray(labels) < 0)[0]
    if len(open_) == 0:
        return open_
    dist, _ = knn(x[open_], min(50, len(open_)))
    neighbours = (dist <= threshold).sum(axis=1) - 1
    value = (1 - conf[open_]) * (1 + np.log1p(neighbours))
    return open_[np.lexsort((open_, -value))]
