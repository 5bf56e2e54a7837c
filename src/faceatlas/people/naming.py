"""Naming faces from captions (weakly supervised face naming, the task of SECLA and "Names and
Faces in the News").

Each photo has faces and the names its caption mentions. Every face gets one of its photo's names or
"unknown", a name goes to at most one face of a photo, and evidence pools across the collection
through the embeddings. Method: alternating constrained matching (hard EM).

1. Initial prototype of a name: among the faces of the photos that mention it, the face with the
   most look-alikes (within ``link``) in *other* photos mentioning the same name — the face that
   keeps co-occurring with the name — averaged with those look-alikes. Names with the most evidence
   choose first and a cluster already chosen is not taken again, which separates people who are
   always photographed together once one of them appears alone. A name seen in a single photo with
   a single face takes that face.
2. E-step, per photo: a minimum-cost bipartite matching (Hungarian, scipy) of faces to the caption's
   names plus one "unknown" slot per face; cost = distance to the name's prototype, ``unknown_cost``
   for unknown, ``unknown_cost`` - 0.01 for a name without a prototype yet (only elimination can
   give it a face).
3. M-step: each prototype becomes the mean of the faces matched to its name. Repeat until stable.

Confidence of a face's answer: logistic in the cost margin to its best alternative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class FaceName:
    name: str | None  # None: unknown
    confidence: float


def _initial_prototypes(photos, names, x, link: float) -> dict[str, np.ndarray]:
    by_name: dict[str, list[int]] = {}
    for p, ns in enumerate(names):
        for n in set(ns):
            by_name.setdefault(n, []).append(p)
    options: dict[str, list[tuple[int, int, list[int]]]] = {}
    for n, ps in by_name.items():
        found = []
        for p in ps:
            for f in photos[p]:
                members = [f]
                for q in ps:
                    if q == p or not photos[q]:
                        continue
                    d = np.linalg.norm(x[photos[q]] - x[f], axis=1)
                    j = int(np.argmin(d))
                    if d[j] <= link:
                        members.append(photos[q][j])
                if len(members) > 1:
                    found.append((len(members) - 1, f, members))
        options[n] = sorted(found, key=lambda t: (-t[0], t[1]))
    protos: dict[str, np.ndarray] = {}
    # names with the strongest evidence claim their face cluster first; a later name may not take a
    # cluster already claimed (two names that always appear together are told apart this way)
    for n in sorted(options, key=lambda n: (-(options[n][0][0] if options[n] else 0), n)):
        for _, _, members in options[n]:
            centre = x[members].mean(axis=0)
            if all(np.linalg.norm(centre - c) > link for c in protos.values()):
                protos[n] = centre
                break
        else:
            ps = by_name[n]
            if len(ps) == 1 and len(photos[ps[0]]) == 1 and len(set(names[ps[0]])) == 1:
                protos[n] = x[photos[ps[0]][0]]
    return protos


def name_faces(
    photos: list[list[int]],
    names: list[list[str]],
    x: np.ndarray,
    unknown_cost: float = 0.55,
    link: float = 0.5,
    iterations: int = 20,
) -> list[FaceName]:
    """``photos[p]``: indices into ``x`` of photo p's faces; ``names[p]``: its caption's names.
    Returns one :class:`FaceName` per row of ``x`` (faces in no photo stay unknown)."""
    x = np.asarray(x, dtype=np.float64)
    protos = _initial_prototypes(photos, names, x, link)
    result: list[FaceName] = [FaceName(None, 0.0)] * len(x)
    previous: dict[int, str | None] = {}
    for _ in range(iterations):
        current: dict[int, str | None] = {}
        for p, faces in enumerate(photos):
            if not faces:
                continue
            cand = list(dict.fromkeys(names[p]))
            cost = np.full((len(faces), len(cand) + len(faces)), np.inf)
            for i, f in enumerate(faces):
                for j, n in enumerate(cand):
                    cost[i, j] = float(np.linalg.norm(x[f] - protos[n])) if n in protos else unknown_cost - 0.01
                cost[i, len(cand) + i] = unknown_cost
            rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e6))
            for i, j in zip(rows, cols):
                f = faces[i]
                chosen = cand[j] if j < len(cand) else None
                current[f] = chosen
                others = np.delete(cost[i], j)
                others = others[np.isfinite(others)]
                margin = (others.min() - cost[i, j]) if len(others) else 1.0
                result[f] = FaceName(chosen, round(1 / (1 + math.exp(-margin / 0.03)), 4))
        groups: dict[str, list[int]] = {}
        for f, n in current.items():
            if n is not None:
                groups.setdefault(n, []).append(f)
        protos.update({n: x[fs].mean(axis=0) for n, fs in groups.items()})
        if current == previous:
            break
        previous = current
    return result
