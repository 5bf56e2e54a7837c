"""Who is this? Nearest faces in the atlas and the people they belong to."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faceatlas.errors import EmbedderMismatchError
from faceatlas.identity.space import DEFAULT_EMBEDDER, IdentitySpace, space_of
from faceatlas.index.face_index import FaceIndex
from faceatlas.models.registry import ModelKind, specs
from faceatlas.store import Atlas


def atlas_embedder(atlas: Atlas, requested: str | None = None) -> str:
    """The embedder model to analyse with for ``atlas``: ``requested`` when given, else the one the
    atlas records (or, in an older atlas, a model of the space it records), else the default."""
    if requested:
        return requested
    if atlas.embedder_model:
        return atlas.embedder_model
    key = atlas.embedder
    return (_model_of(key) if key else None) or DEFAULT_EMBEDDER


def _model_of(key: str) -> str | None:
    """The first registered embedder whose identity space is ``key`` ("name/version")."""
    return next((s.name for s in specs(ModelKind.EMBEDDER) if s.space is not None and s.space.key == key), None)


def atlas_space(atlas: Atlas) -> IdentitySpace:
    """The identity space of the atlas's vectors (the default one for an atlas without faces)."""
    return space_of(atlas_embedder(atlas))


def check_query(atlas: Atlas, embedder: str | None) -> None:
    """Refuse a query vector of space ``embedder`` (a key, "name/version") that is not the atlas's."""
    if embedder and atlas.embedder and embedder != atlas.embedder:
        model = _model_of(embedder) or embedder
        hint = f"query with the atlas's embedder, or re-embed: faceatlas scan --embedder {model} --reembed"
        raise EmbedderMismatchError(atlas.embedder, embedder, hint)


@dataclass(frozen=True)
class FaceHit:
    face_id: int
    distance: float
    same: bool
    person_id: int | None
    image: str
    bbox: list[float]

    def to_dict(self) -> dict:
        return {
            "face_id": self.face_id,
            "distance": round(self.distance, 4),
            "same": self.same,
            "person_id": self.person_id,
            "image": self.image,
            "bbox": self.bbox,
        }


@dataclass(frozen=True)
class PersonHit:
    person_id: int
    name: str | None
    distance: float  # to the person's nearest face
    similarity: float
    same: bool
    matching_faces: int  # of the hits, how many are this person within the threshold

    def to_dict(self) -> dict:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "distance": round(self.distance, 4),
            "similarity": round(self.similarity, 4),
            "same": self.same,
            "matching_faces": self.matching_faces,
        }


@dataclass(frozen=True)
class SearchResult:
    people: list[PersonHit]
    faces: list[FaceHit]

    def to_dict(self) -> dict:
        return {"people": [p.to_dict() for p in self.people], "faces": [f.to_dict() for f in self.faces]}


def search_embedding(
    atlas: Atlas,
    embedding: np.ndarray,
    top: int = 10,
    index: FaceIndex | None = None,
    threshold: float | None = None,
    exclude_face: int | None = None,
    space: IdentitySpace | None = None,
    embedder: str | None = None,
) -> SearchResult:
    """The ``top`` nearest faces and, ranked by their nearest face, the people among them
    (``threshold``: the space's by default). ``embedder``: the space key of ``embedding``; a vector
    of another space than the atlas's is refused (:class:`EmbedderMismatchError`)."""
    check_query(atlas, embedder)
    space = space or atlas_space(atlas)
    threshold = space.threshold if threshold is None else threshold
    index = index or FaceIndex.open(atlas)
    dist, ids = index.search(embedding, top + (1 if exclude_face is not None else 0))
    faces: list[FaceHit] = []
    for d, fid in zip(dist[0], ids[0]):
        if fid < 0 or int(fid) == exclude_face:
            continue
        rec = atlas.faces.get(int(fid))
        if rec is None:
            continue
        faces.append(FaceHit(rec.id, float(d), bool(d <= threshold), rec.person_id, rec.image_path, rec.bbox.to_list()))
    faces = faces[:top]
    names = atlas.people.names()
    best: dict[int, list[float]] = {}
    for hit in faces:
        if hit.person_id is not None:
            best.setdefault(hit.person_id, []).append(hit.distance)
    people = [
        PersonHit(
            pid,
            names.get(pid),
            min(ds),
            space.similarity(min(ds), threshold),
            min(ds) <= threshold,
            sum(d <= threshold for d in ds),
        )
        for pid, ds in best.items()
    ]
    people.sort(key=lambda p: p.distance)
    return SearchResult(people, faces)
