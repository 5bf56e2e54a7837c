"""Naming faces from captions at the face level (weakly supervised face naming: the task of SECLA,
Pham et al. 2010, and of "Names and Faces in the News", Berg et al. 2004).

Each photo has faces and the names its caption mentions. Every face gets one of its photo's names or
"unknown", a name goes to at most one face of a photo, a face takes at most one name, and evidence
pools across the whole collection through a per-name identity model. Nothing depends on how the
faces were clustered, so one impure cluster cannot block a name. Method: alternating constrained
matching (hard EM).

1. Initial prototype of a name: among the faces of the photos that mention it, the face with the
   most look-alikes (within ``link``) in *other* photos mentioning the same name — the face that
   keeps co-occurring with the name — averaged with those look-alikes. Names with the most evidence
   choose first and a cluster already chosen is not taken again, which separates people who are
   always photographed together once one of them appears alone. A name seen in a single photo with
   a single face takes that face.
2. E-step, per photo: a minimum-cost bipartite matching (Hungarian, scipy) of faces to the caption's
   names plus one "unknown" slot per face; cost = distance to the name's model (+ ``hint_weight``
   per place a face is away from where "(L)", "(R)", "From left:" put the name), ``unknown_cost``
   for unknown, a little less (``no_model_discount``) for a name without a model (only elimination
   can give it a face). Positions also restrict which faces may seed a name's first model.
3. M-step: each name's model becomes the mean of the faces matched to it; a photo sees the mean
   over the *other* photos only (leave one photo out), so a name that took a face in one photo —
   typically the absent person a caption mentions — cannot confirm itself. Repeat until stable.

Confidence of a face's answer: logistic in the cost margin to its best alternative (another name of
the caption, or unknown), times a logistic in its distance to the name's model around ``verify_at``
(the embedder's same-person threshold: 0.6 for dlib), both ``confidence_scale`` wide: a face far
from everyone it could be is never sure. Every distance here is the identity space's
(:class:`faceatlas.identity.params.NamingParams`; dlib's: ``identity/data/dlib-resnet-people.json``). On the dev
half the cap costs 1.2 points of faces named right (0.970 → 0.958) for precision 0.986 → 0.991; it
is kept because real photos hold far more bystanders than the composites. ``photos`` of an answer:
the photos whose faces took the name and lie within ``link`` of its model — the evidence an
automatic name needs (:func:`auto_apply`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from faceatlas.identity.params import FROM_SPACE, FromSpace, resolve
from faceatlas.identity.space import IdentitySpace, default_space
from faceatlas.people.names import CaptionName

# τ: a name seen in one photo only is applied when its confidence is at least this (chosen on the
# dev half of celeba_dev for precision ≥ 0.97: `faceatlas eval naming --set celeba --half dev`)
AUTO_CONFIDENCE = 0.6
# a name whose faces come from at least this many photos (and agree with each other) is applied
AUTO_PHOTOS = 2
# ... with at least this confidence (a weak answer stays a question even with evidence)
AUTO_CONFIDENCE_WITH_EVIDENCE = 0.6


@dataclass(frozen=True)
class FaceName:
    name: str | None  # None: unknown
    confidence: float
    photos: int = 0  # photos whose faces took this name (evidence for the name)


def auto_apply(
    answer: FaceName,
    tau: float = AUTO_CONFIDENCE,
    min_photos: int = AUTO_PHOTOS,
    floor: float = AUTO_CONFIDENCE_WITH_EVIDENCE,
) -> bool:
    """Whether a face's caption name is strong enough to apply without asking: the name took faces
    in ≥ ``min_photos`` photos and this answer is at least ``floor`` sure, or it is at least ``tau``
    sure."""
    if answer.name is None:
        return False
    return answer.confidence >= tau or (answer.photos >= min_photos and answer.confidence >= floor)


def _name(n: str | CaptionName) -> str:
    return n.name if isinstance(n, CaptionName) else n


def _initial_prototypes(photos, names, x, link: float, allowed=None) -> dict[str, np.ndarray]:
    """``allowed(p, n)``: the faces of photo p that name n may take (where a caption placed it)."""
    allowed = allowed or (lambda p, n: photos[p])
    by_name: dict[str, list[int]] = {}
    for p, ns in enumerate(names):
        for n in set(ns):
            by_name.setdefault(n, []).append(p)
    options: dict[str, list[tuple[int, int, list[int]]]] = {}
    for n, ps in by_name.items():
        found = []
        for p in ps:
            for f in allowed(p, n):
                members = [f]
                for q in ps:
                    faces_q = allowed(q, n)
                    if q == p or not faces_q:
                        continue
                    d = np.linalg.norm(x[faces_q] - x[f], axis=1)
                    j = int(np.argmin(d))
                    if d[j] <= link:
                        members.append(faces_q[j])
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
    names: Sequence[Sequence[str | CaptionName]],
    x: np.ndarray,
    unknown_cost: float | FromSpace = FROM_SPACE,
    link: float | FromSpace = FROM_SPACE,
    iterations: int = 20,
    centres: Sequence[float] | np.ndarray | None = None,
    hint_weight: float | FromSpace = FROM_SPACE,
    verify_at: float | None | FromSpace = FROM_SPACE,
    space: IdentitySpace | None = None,
) -> list[FaceName]:
    """``photos[p]``: indices into ``x`` of photo p's faces; ``names[p]``: its caption's names (strings
    or :class:`CaptionName` with positions); ``centres``: each face's horizontal centre, which the
    positions need; ``verify_at``: the distance (the embedder's same-person threshold) beyond which a
    face is unsure of its name however clear its margin (None: no such cap). Distances default to
    those of ``space`` (the default embedder's when None; :class:`faceatlas.identity.params.NamingParams`).
    Returns one :class:`FaceName` per row of ``x`` (faces in no photo: unknown)."""
    defaults = (space or default_space()).people.naming
    p = resolve(defaults, unknown_cost=unknown_cost, link=link, hint_weight=hint_weight, verify_at=verify_at)
    unknown_cost, link, hint_weight, verify_at = p["unknown_cost"], p["link"], p["hint_weight"], p["verify_at"]
    width, no_model = defaults.confidence_scale, defaults.no_model_discount
    x = np.asarray(x, dtype=np.float64)
    plain = [list(dict.fromkeys(_name(n) for n in ns)) for ns in names]
    hints: list[dict[str, object]] = []
    for ns in names:
        h = {}
        for n in ns:
            if isinstance(n, CaptionName) and n.position is not None and n.name not in h:
                h[n.name] = n.position
        hints.append(h)
    ranks = [_ranks(faces, centres) for faces in photos]

    def allowed(p: int, n: str) -> list[int]:
        pos, rank = hints[p].get(n), ranks[p]
        if pos is None or rank is None or len(photos[p]) < 2:
            return photos[p]
        gap = [abs(pos.expected_index(len(rank)) - r) for r in rank]
        return [f for f, g in zip(photos[p], gap) if g == min(gap)]

    model = _Model(_initial_prototypes(photos, plain, x, link, allowed))
    photo_of = {f: p for p, faces in enumerate(photos) for f in faces}
    result: list[FaceName] = [FaceName(None, 0.0)] * len(x)
    previous: dict[int, str | None] = {}
    for _ in range(iterations):
        current: dict[int, str | None] = {}
        for p, faces in enumerate(photos):
            if not faces:
                continue
            cand = plain[p]
            cost = np.full((len(faces), len(cand) + len(faces)), np.inf)
            rank = ranks[p]
            protos = {n: model.prototype(n, p) for n in cand}
            for i, f in enumerate(faces):
                for j, n in enumerate(cand):
                    proto = protos[n]
                    cost[i, j] = float(np.linalg.norm(x[f] - proto)) if proto is not None else unknown_cost - no_model
                    pos = hints[p].get(n)
                    if pos is not None and rank is not None and len(faces) > 1:
                        cost[i, j] += hint_weight * abs(pos.expected_index(len(faces)) - rank[i])
                cost[i, len(cand) + i] = unknown_cost
            rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e6))
            for i, j in zip(rows, cols):
                f = faces[i]
                chosen = cand[j] if j < len(cand) else None
                current[f] = chosen
                others = np.delete(cost[i], j)
                others = others[np.isfinite(others)]
                margin = (others.min() - cost[i, j]) if len(others) else math.inf  # no alternative: sure
                sure = 1 / (1 + math.exp(-margin / width))
                if chosen is not None and protos[chosen] is not None and verify_at is not None:
                    sure *= 1 / (1 + math.exp((cost[i, j] - verify_at) / width))  # far from the model: unsure
                result[f] = FaceName(chosen, round(sure, 4))
        model = _Model.from_assignment(current, photo_of, x, fallback=model)
        if current == previous:
            break
        previous = current
    # evidence: the photos whose face took the name and lies within ``link`` of the name's model
    # as the other photos make it
    agrees = {}
    for f, a in enumerate(result):
        if a.name is not None:
            proto = model.prototype(a.name, photo_of[f])
            agrees[f] = proto is not None and float(np.linalg.norm(x[f] - proto)) <= link
    support: dict[str, set[int]] = {}
    for f, ok in agrees.items():
        if ok:
            support.setdefault(result[f].name, set()).add(photo_of[f])
    return [
        FaceName(a.name, a.confidence, len(support.get(a.name, ())) if agrees[f] else 0) if a.name else a
        for f, a in enumerate(result)
    ]


class _Model:
    """Per-name prototypes. After the first round a photo sees each name's mean over the faces of the
    *other* photos that took it (leave one photo out), so a name that took a face in one photo only
    cannot confirm itself with that face."""

    def __init__(self, initial: dict[str, np.ndarray]) -> None:
        self.initial = initial
        self.sums: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = {}
        self.by_photo: dict[tuple[str, int], tuple[np.ndarray, int]] = {}

    @classmethod
    def from_assignment(cls, current: dict[int, str | None], photo_of: dict[int, int], x: np.ndarray, fallback):
        model = cls({})
        for f, n in current.items():
            if n is None:
                continue
            p = photo_of[f]
            model.sums[n] = model.sums.get(n, 0) + x[f]
            model.counts[n] = model.counts.get(n, 0) + 1
            s, c = model.by_photo.get((n, p), (0, 0))
            model.by_photo[(n, p)] = (s + x[f], c + 1)
        # names no face took keep their initial prototype (a later round may give them faces)
        model.initial = {n: v for n, v in fallback.initial.items() if n not in model.counts}
        return model

    def prototype(self, name: str, photo: int) -> np.ndarray | None:
        if name not in self.counts:
            return self.initial.get(name)
        s, c = self.by_photo.get((name, photo), (0, 0))
        rest = self.counts[name] - c
        return (self.sums[name] - s) / rest if rest else None


def _ranks(faces: list[int], centres) -> list[float] | None:
    """Each face's place from the left among its photo's faces (0 = leftmost)."""
    if centres is None:
        return None
    xs = np.asarray([centres[f] for f in faces], dtype=np.float64)
    order = np.argsort(xs, kind="stable")
    rank = np.empty(len(faces))
    rank[order] = np.arange(len(faces))
    return rank.tolist()
