"""FaceClusterer: a scikit-learn-style estimator that groups face embeddings into people.

1. A kNN graph (FAISS). Each face's neighbourhood is adaptive: only neighbours closer than
   ``neighbour_threshold`` count (the Ada-NETS idea: a different number of neighbours per face).
2. Edges are kept when the two faces are within ``threshold`` *and* their neighbourhoods agree
   (shared-neighbour Jaccard ≥ ``min_shared``), or when they are very close (≤ ``strong_threshold``).
   Structure-space agreement removes the isolated noisy edges that chain identities together.
3. Edges are merged strongest first with union-find, refusing a merge when the two groups hold faces
   of the same photo (cannot-link), carry different user labels (must-link to different people),
   one is forbidden for the other's person (a "not this person" answer), or their centroids are
   farther than ``centroid_threshold`` (stops chains of individually plausible links).

Faces are clustered in four passes by quality, because a poor embedding (small, blurred, turned
face) sits close to other poor embeddings of *different* people and would bridge identities:

a. only faces of quality ≥ ``min_quality`` (or placed by the user) form people (steps 1–3);
b. each poorer face joins the person whose centroid is nearest, when within ``attach_threshold``,
   the next person's centroid is at least ``attach_margin`` farther, and nothing forbids it (a
   centroid averages out noise, so one face to a person is a safer comparison than one face to
   one face; the margin keeps a face that could be either of two people out of both);
c. the poorer faces still alone are clustered among themselves, linked only by strong edges
   (≤ ``poor_threshold``, None: ``strong_threshold``; weaker evidence needs a closer match), so
   a person seen only in poor photos can still form;
d. every face of seed quality still alone joins the nearest person's centroid when it is within
   ``join_threshold`` *and* the next person's centroid is at least ``join_margin`` farther (a ratio
   test: a face between two look-alikes stays alone rather than picking one).

The defaults are the identity space's (``space=``; :mod:`faceatlas.identity.params`): for dlib's
ResNet they were chosen on the dev half of celeba_dev (``faceatlas eval tune-clusters``: the best
mean BCubed F with BCubed precision ≥ 0.97 on each of its colour / grey sets, with and without
32 px copies). Distances are in the space's units, so another embedder's space carries its own.

Groups smaller than ``min_cluster_size`` without a user label are left unassigned (label -1).
"""

from __future__ import annotations

import inspect

import numpy as np

from faceatlas.identity.params import FROM_SPACE, FromSpace, resolve
from faceatlas.identity.space import IdentitySpace, default_space
from faceatlas.index.knn import knn


class _Groups:
    """Union-find with per-group centroid sums, photo sets, user label and forbidden labels."""

    def __init__(self, x: np.ndarray, photos: np.ndarray, labels: np.ndarray, forbidden: list[set[int]]) -> None:
        n = len(x)
        self.parent = np.arange(n)
        self.sums = x.astype(np.float64).copy()
        self.sizes = np.ones(n, dtype=np.int64)
        self.photos: list[set[int]] = [{int(p)} if p >= 0 else set() for p in photos]
        self.label = labels.copy()
        self.forbidden = forbidden

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def centroid(self, r: int) -> np.ndarray:
        return self.sums[r] / self.sizes[r]

    def compatible(self, a: int, b: int, centroid_threshold: float | None) -> bool:
        la, lb = self.label[a], self.label[b]
        if la >= 0 and lb >= 0 and la != lb:
            return False
        if (la >= 0 and la in self.forbidden[b]) or (lb >= 0 and lb in self.forbidden[a]):
            return False
        if self.photos[a] & self.photos[b]:
            return False
        if centroid_threshold is not None:
            return float(np.linalg.norm(self.centroid(a) - self.centroid(b))) <= centroid_threshold
        return True

    def union(self, a: int, b: int) -> int:
        if self.sizes[a] < self.sizes[b]:
            a, b = b, a
        self.parent[b] = a
        self.sums[a] += self.sums[b]
        self.sizes[a] += self.sizes[b]
        self.photos[a] |= self.photos[b]
        self.forbidden[a] |= self.forbidden[b]
        if self.label[a] < 0:
            self.label[a] = self.label[b]
        return a


class FaceClusterer:
    """Cluster face embeddings into people; see the module docstring for the method.

    Every parameter defaults to the identity space's (``space``: the default embedder's when None;
    :class:`faceatlas.identity.params.ClusterParams`); one given explicitly wins. Distances are in
    that space's units. The space is read when the clusterer is made (``set_params(space=...)`` does
    not re-read it: make a new clusterer).
    """

    def __init__(
        self,
        threshold: float | FromSpace = FROM_SPACE,
        strong_threshold: float | FromSpace = FROM_SPACE,
        neighbour_threshold: float | FromSpace = FROM_SPACE,
        min_shared: float | FromSpace = FROM_SPACE,
        centroid_threshold: float | FromSpace = FROM_SPACE,
        k: int | FromSpace = FROM_SPACE,
        min_quality: float | FromSpace = FROM_SPACE,
        attach_threshold: float | FromSpace = FROM_SPACE,
        attach_margin: float | FromSpace = FROM_SPACE,
        poor_threshold: float | None | FromSpace = FROM_SPACE,
        join_threshold: float | None | FromSpace = FROM_SPACE,
        join_margin: float | FromSpace = FROM_SPACE,
        min_cluster_size: int | FromSpace = FROM_SPACE,
        space: IdentitySpace | None = None,
    ) -> None:
        self.space = space
        p = resolve(
            (space or default_space()).people.clustering,
            threshold=threshold,
            strong_threshold=strong_threshold,
            neighbour_threshold=neighbour_threshold,
            min_shared=min_shared,
            centroid_threshold=centroid_threshold,
            k=k,
            min_quality=min_quality,
            attach_threshold=attach_threshold,
            attach_margin=attach_margin,
            poor_threshold=poor_threshold,
            join_threshold=join_threshold,
            join_margin=join_margin,
            min_cluster_size=min_cluster_size,
        )
        self.threshold: float = p["threshold"]
        self.strong_threshold: float = p["strong_threshold"]
        self.neighbour_threshold: float = p["neighbour_threshold"]
        self.min_shared: float = p["min_shared"]
        self.centroid_threshold: float = p["centroid_threshold"]
        self.k: int = p["k"]
        self.min_quality: float = p["min_quality"]
        self.attach_threshold: float = p["attach_threshold"]
        self.attach_margin: float = p["attach_margin"]
        self.poor_threshold: float | None = p["poor_threshold"]
        self.join_threshold: float | None = p["join_threshold"]
        self.join_margin: float = p["join_margin"]
        self.min_cluster_size: int = p["min_cluster_size"]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters and their values (scikit-learn's estimator protocol)."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    def set_params(self, **params) -> FaceClusterer:
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(
        self,
        X: np.ndarray,
        y: None = None,
        *,
        groups: np.ndarray | None = None,
        quality: np.ndarray | None = None,
        must_link: np.ndarray | None = None,
        cannot_link: dict[int, set[int]] | None = None,
    ) -> FaceClusterer:
        """``groups``: photo id per face (faces of one photo never share a person); ``quality`` per face;
        ``must_link``: user label per face (-1 none; faces with the same label are one person);
        ``cannot_link``: face index → labels it must never get."""
        x = np.asarray(X, dtype=np.float32)
        n = len(x)
        photos = np.full(n, -1) if groups is None else np.asarray(groups)
        user = np.full(n, -1, dtype=np.int64) if must_link is None else np.asarray(must_link, dtype=np.int64)
        forbidden = [set((cannot_link or {}).get(i, set())) for i in range(n)]
        q = np.ones(n) if quality is None else np.nan_to_num(np.asarray(quality, dtype=float), nan=0.0)
        seeds = (q >= self.min_quality) | (user >= 0)
        uf = _Groups(x, photos, user, forbidden)
        self._join_user_labels(uf, user)
        if n > 1:
            dist, idx = knn(x, min(self.k + 1, n), exact_limit=20_000)
            self._link(uf, self._edges(dist, idx, seeds, self.threshold))
            if not seeds.all():
                self._attach(uf, x, seeds)
                poor = np.nonzero(~seeds)[0]
                alone = np.zeros(n, dtype=bool)
                alone[poor] = uf.sizes[[uf.find(int(i)) for i in poor]] == 1
                poor_t = self.strong_threshold if self.poor_threshold is None else self.poor_threshold
                self._link(uf, self._edges(dist, idx, alone, poor_t))
        if n > 1 and self.join_threshold is not None:
            self._join_lone_faces(uf, x, seeds)
        self.labels_ = self._labels(uf, n)
        return self

    def fit_predict(self, X: np.ndarray, y: None = None, **kwargs) -> np.ndarray:
        return self.fit(X, **kwargs).labels_

    def _link(self, uf: _Groups, edges: np.ndarray) -> None:
        """Merge along ``edges`` (strongest first) where the groups are compatible."""
        for a, b in edges.tolist():
            ra, rb = uf.find(a), uf.find(b)
            if ra != rb and uf.compatible(ra, rb, self.centroid_threshold):
                uf.union(ra, rb)

    @staticmethod
    def _join_user_labels(uf: _Groups, user: np.ndarray) -> None:
        first: dict[int, int] = {}
        for i, label in enumerate(user):
            if label < 0:
                continue
            if label in first:
                ra, rb = uf.find(first[label]), uf.find(i)
                if ra != rb:
                    uf.union(ra, rb)  # the user's word beats the same-photo rule
            else:
                first[label] = i

    def _edges(self, dist: np.ndarray, idx: np.ndarray, seeds: np.ndarray, threshold: float) -> np.ndarray:
        """Candidate edges (pairs of face indices), strongest first; vectorised over all pairs."""
        n, k = idx.shape
        rows = np.repeat(np.arange(n), k)
        cols, d = idx.ravel(), dist.ravel()
        keep = (cols >= 0) & (cols != rows) & (d <= threshold)
        keep &= seeds[rows] & seeds[np.clip(cols, 0, None)]
        a, b, d = np.minimum(rows, cols)[keep], np.maximum(rows, cols)[keep], d[keep]
        if len(a) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        key = a.astype(np.int64) * n + b
        key, first = np.unique(key, return_index=True)
        a, b, d = a[first], b[first], d[first]
        # adaptive neighbourhoods (self included, -1 marks "not a neighbour")
        hood = np.where((dist <= self.neighbour_threshold) & (idx >= 0), idx, -1)
        hood[:, 0] = np.arange(n)  # FAISS lists each point first at distance 0
        sizes = (hood >= 0).sum(axis=1)
        shared = np.empty(len(a))
        for s in range(0, len(a), 65536):
            ha, hb = hood[a[s : s + 65536]], hood[b[s : s + 65536]]
            inter = ((ha[:, :, None] == hb[:, None, :]) & (ha[:, :, None] >= 0)).any(axis=2).sum(axis=1)
            shared[s : s + 65536] = inter / (sizes[a[s : s + 65536]] + sizes[b[s : s + 65536]] - inter)
        ok = (d <= self.strong_threshold) | (shared >= self.min_shared)
        order = np.lexsort((key[ok], d[ok]))
        return np.stack([a[ok][order], b[ok][order]], axis=1)

    def _attach(self, uf: _Groups, x: np.ndarray, seeds: np.ndarray) -> None:
        """Each non-seed face joins the nearest compatible group centroid within ``attach_threshold``
        whose next group centroid is ``attach_margin`` farther (groups the seeds formed, or a user's
        person; centroids fixed while attaching)."""
        n = len(x)
        roots = np.unique(np.array([uf.find(i) for i in range(n) if seeds[i]], dtype=np.int64))  # may be none
        roots = roots[(uf.sizes[roots] >= self.min_cluster_size) | (uf.label[roots] >= 0)]
        todo = np.nonzero(~seeds)[0]
        if len(roots) == 0 or len(todo) == 0:
            return
        cents = np.stack([uf.centroid(r) for r in roots])
        dist, idx = knn(cents, min(8, len(roots)), queries=x[todo])
        following = np.concatenate([dist[:, 1:], np.full((len(todo), 1), np.inf)], axis=1)
        for i, drow, jrow, nrow in zip(todo.tolist(), dist, idx, following):
            for d, j, d_next in zip(drow, jrow, nrow):
                if j < 0 or d > self.attach_threshold or d_next - d < self.attach_margin:
                    break
                r, ri = uf.find(int(roots[j])), uf.find(i)
                if r != ri and uf.compatible(r, ri, None):
                    uf.union(r, ri)
                    break

    def _join_lone_faces(self, uf: _Groups, x: np.ndarray, seeds: np.ndarray) -> None:
        """Pass (d): each seed-quality face alone joins the nearest group's centroid within
        ``join_threshold`` when the second-nearest group is ``join_margin`` farther and nothing
        forbids it (centroids fixed)."""
        n = len(x)
        roots_all = np.array([uf.find(i) for i in range(n)])
        lone = np.nonzero(seeds & (uf.sizes[roots_all] == 1) & (uf.label[roots_all] < 0))[0]
        roots = np.unique(roots_all)
        roots = roots[(uf.sizes[roots] >= self.min_cluster_size) | (uf.label[roots] >= 0)]
        if len(roots) == 0 or len(lone) == 0:
            return
        cents = np.stack([uf.centroid(r) for r in roots])
        dist, idx = knn(cents, min(2, len(roots)), queries=x[lone])
        second = dist[:, 1] if dist.shape[1] > 1 else np.full(len(lone), np.inf)
        ok = (dist[:, 0] <= self.join_threshold) & (second - dist[:, 0] >= self.join_margin)
        for i, j in zip(lone[ok].tolist(), idx[ok, 0].tolist()):
            r, ri = uf.find(int(roots[j])), uf.find(i)
            if r != ri and uf.compatible(r, ri, None):
                uf.union(r, ri)

    def _labels(self, uf: _Groups, n: int) -> np.ndarray:
        roots = np.array([uf.find(i) for i in range(n)])
        labels = np.full(n, -1, dtype=np.int64)
        next_label = 0
        for r in dict.fromkeys(roots.tolist()):  # first-seen order: deterministic labels
            if uf.sizes[r] >= self.min_cluster_size or uf.label[r] >= 0:
                labels[roots == r] = next_label
                next_label += 1
        return labels
