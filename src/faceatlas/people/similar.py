"""Per-person centroids and attribute summaries, cached in the store and refreshed lazily, and
"may be the same person" as a nearest-neighbour search over the centroids.

The store marks a person stale whenever their live faces change (triggers, store/schema.py); a read
recomputes the stale people only, from their own faces, and stores the result. After a clustering
pass every person is stale and the first read pays one pass over the faces; after a correction only
the people it touched are read again. At 10,000 people the search is one numpy distance over a
(10,000 × d) matrix.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import numpy as np
from scipy.sparse import csr_matrix

from faceatlas.index.search import atlas_space
from faceatlas.people.attributes import person_attributes
from faceatlas.store import Atlas
from faceatlas.store.stats import Centroids, StatsTable

Fresh = dict[int, tuple[np.ndarray | None, dict]]  # person id → (centroid, attributes)


def space_key(atlas: Atlas) -> str | None:
    """The identity space the centroids are of: the one the atlas records (during a re-embedding, the
    space it is becoming), or in an atlas that records none, the one most of its faces are of."""
    if atlas.embedder:
        return atlas.embedder
    models = atlas.faces.models()
    return max(models, key=models.get) if models else None


def refresh(atlas: Atlas, person_ids: list[int] | None = None) -> Fresh:
    """Recompute and store the centroid and attributes of the stale people (of ``person_ids``, or
    everyone); returns them, so a read-only atlas is still answered right. A centroid is the mean of
    the person's faces of the atlas's space (:func:`space_key`; None when they have none yet)."""
    table = StatsTable(atlas.conn)
    stale = table.stale(person_ids)
    if not stale:
        return {}
    space = space_key(atlas)
    everyone = len(stale) > 2000  # many (after a clustering pass): one pass over every face
    sums: dict[int, np.ndarray] = {}  # person → sum of their vectors of the space
    counts: dict[int, int] = defaultdict(int)
    faces: dict[int, list[tuple[float | None, dict]]] = defaultdict(list)
    width: list[int] = []  # the space's vector width in bytes, from the first batch with vectors
    for batch in table.faces_of(None if everyone else sorted(stale)):
        if everyone:
            batch = [r for r in batch if r[0] in stale]
        _accumulate(batch, space, width, sums, counts, faces)
    out: Fresh = {}
    for pid in stale:
        n = counts.get(pid, 0)
        centroid = (sums[pid] / n).astype(np.float32) if n else None
        out[pid] = (centroid, person_attributes(faces.get(pid, [])))
    table.save([(pid, stale[pid], c, a) for pid, (c, a) in out.items()])
    return out


def _accumulate(batch, space, width: list[int], sums, counts, faces) -> None:
    """Add a batch of (person, quality, attributes, embedding, model) rows to the running sums: every
    face's attributes, the vectors of faces of ``space`` only. A damaged vector (not float32, or not
    the width most of the space's vectors have) is left out of the centroid, not fatal to the page:
    `faceatlas doctor` reports it."""
    if not batch:
        return
    for pid, quality, attributes, _, _ in batch:
        if attributes:
            faces[pid].append((quality, json.loads(attributes)))
    kept = [r for r in batch if r[4] == space and r[3] and len(r[3]) % 4 == 0]
    if not kept:
        return
    if not width:
        lengths = Counter(len(r[3]) for r in kept)
        width.append(max(lengths, key=lengths.get))
    kept = [r for r in kept if len(r[3]) == width[0]]
    x = np.frombuffer(b"".join(r[3] for r in kept), dtype=np.float32).reshape(len(kept), -1)
    pids = np.fromiter((r[0] for r in kept), dtype=np.int64, count=len(kept))
    people, inverse, n = np.unique(pids, return_inverse=True, return_counts=True)
    groups = csr_matrix((np.ones(len(pids)), (inverse, np.arange(len(pids)))), shape=(len(people), len(pids)))
    partial = np.asarray(groups @ x.astype(np.float64))  # per-person sums, in float64
    for j, pid in enumerate(people):
        pid = int(pid)
        if pid in sums:
            sums[pid] += partial[j]
        else:
            sums[pid] = partial[j].copy()
        counts[pid] += int(n[j])


def centroids(atlas: Atlas, state: str | None = "shown") -> Centroids:
    """Up-to-date centroids of the people with a live face (in ``state``)."""
    fresh = refresh(atlas)
    table = StatsTable(atlas.conn)
    cached = table.centroids(state)
    if not fresh:
        return cached
    if state is not None:
        states = atlas.people.states()
        fresh = {p: v for p, v in fresh.items() if states.get(p) == state}
    keep = ~np.isin(cached.ids, list(fresh))
    dim = cached.vectors.shape[1] if len(cached.ids) else next((len(c) for c, _ in fresh.values() if c is not None), 0)
    extra = [p for p, (c, _) in fresh.items() if c is not None and len(c) == dim]
    if not extra:
        return Centroids(cached.ids[keep], cached.sizes[keep], cached.covers[keep], cached.vectors[keep])
    records = {p.id: p for p in (atlas.people.get(pid) for pid in extra)}
    ids = np.concatenate([cached.ids[keep], np.array(extra, np.int64)])
    sizes = np.concatenate([cached.sizes[keep], [records[p].face_count for p in extra]]).astype(np.int64)
    covers = np.concatenate([cached.covers[keep], [records[p].cover_face_id or 0 for p in extra]]).astype(np.int64)
    vectors = np.concatenate([cached.vectors[keep].reshape(-1, dim), np.stack([fresh[p][0] for p in extra])])
    order = np.argsort(ids)
    return Centroids(ids[order], sizes[order], covers[order], vectors[order].astype(np.float32))


def person_summary(atlas: Atlas, person_id: int) -> dict:
    """One person's attributes (from the cache, refreshed if their faces changed)."""
    fresh = refresh(atlas, [person_id])
    if person_id in fresh:
        return fresh[person_id][1]
    return StatsTable(atlas.conn).attributes([person_id]).get(person_id, {})


def all_attributes(atlas: Atlas) -> dict[int, dict]:
    """person id → attributes, for every person with a live face and any attribute."""
    fresh = refresh(atlas)
    out = StatsTable(atlas.conn).attributes()
    for pid, (_, attributes) in fresh.items():
        if attributes:
            out[pid] = attributes
        else:
            out.pop(pid, None)
    return out


def nearest_people(atlas: Atlas, person_id: int, k: int = 6, max_distance: float | None = None) -> list[dict]:
    """The shown people whose centroid is nearest ``person_id``'s (within ``max_distance``; default:
    the atlas's identity space's ``review.similar_distance``), nearest first, with their cover face
    and the verification similarity; people the user said this one's faces are not are left out."""
    space = atlas_space(atlas)
    max_distance = space.people.review.similar_distance if max_distance is None else max_distance
    table = StatsTable(atlas.conn)
    mine = refresh(atlas, [person_id])
    centre = mine[person_id][0] if person_id in mine else table.centroid(person_id)
    if centre is None:
        return []
    known = centroids(atlas)
    if not len(known.ids) or known.vectors.shape[1] != len(centre):
        return []
    dist = np.linalg.norm(known.vectors.astype(np.float64) - centre.astype(np.float64), axis=1)
    ruled_out = table.ruled_out(person_id)
    names = atlas.people.names()
    out = []
    for j in np.argsort(dist, kind="stable"):
        p, d = int(known.ids[j]), float(dist[j])
        if d > max_distance or len(out) >= k:
            break
        if p == person_id or p in ruled_out:
            continue
        out.append(
            {
                "id": p,
                "name": names.get(p),
                "face_count": int(known.sizes[j]),
                "cover_face": int(known.covers[j]),
                "distance": round(d, 4),
                "similarity": round(space.similarity(d), 4),
            }
        )
    return out
