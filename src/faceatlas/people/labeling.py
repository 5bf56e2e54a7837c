"""Names in the atlas: from captions, from a few user labels, and the review queue of questions.

Every user answer goes through :mod:`faceatlas.people.corrections`, so it is stored as a
constraint and beats anything automatic; automatic names never overwrite a name the user gave.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceatlas.io.captions import read_manifest
from faceatlas.people.corrections import move_face
from faceatlas.people.identify import identify, question_order
from faceatlas.people.naming import AUTO_CONFIDENCE, AUTO_PHOTOS
from faceatlas.store import Atlas

APPLY_THRESHOLD = AUTO_CONFIDENCE  # kept for callers of the old name


@dataclass(frozen=True)
class Proposal:
    person_id: int
    name: str
    confidence: float
    faces: int  # faces of the person in captioned photos
    applied: bool

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def import_manifest(atlas: Atlas, manifest: Path) -> dict:
    """Store the captions of a JSON-lines manifest for images already in the atlas."""
    matched, unknown = 0, []
    with atlas.transaction():
        for image, caption in read_manifest(manifest):
            row = atlas.images.get_by_path(str(image.resolve())) or atlas.images.get_by_path(str(image))
            if row is None:
                unknown.append(str(image))
                continue
            atlas.images.set_caption(row.id, caption, "manifest")
            matched += 1
    return {"captions": matched, "images_not_in_atlas": unknown}


def name_from_captions(
    atlas: Atlas, threshold: float = AUTO_CONFIDENCE, min_photos: int = AUTO_PHOTOS
) -> list[Proposal]:
    """Name faces from their photos' captions, face by face (:mod:`faceatlas.people.caption_naming`):
    a name is applied when it took faces in ≥ ``min_photos`` photos or is ``threshold`` sure, never
    over the user's word; the rest become review questions. Returns one proposal per person touched."""
    from faceatlas.people.caption_naming import apply_caption_names, caption_name_sources

    result = apply_caption_names(atlas, threshold, min_photos)
    out = [Proposal(p["person_id"], p["name"], p["confidence"], p["faces"], False) for p in result["proposals"]]
    applied: dict[int, list[float]] = defaultdict(list)
    for rec in caption_name_sources(atlas):
        face = atlas.faces.get(rec.face_id)
        if rec.applied and face is not None and face.person_id is not None:
            if atlas.people.get(face.person_id).name == rec.name:
                applied[face.person_id].append(rec.confidence)
    names = atlas.people.names()
    out += [Proposal(pid, names[pid], round(float(np.mean(c)), 4), len(c), True) for pid, c in applied.items()]
    return sorted(out, key=lambda p: (-p.confidence, p.person_id))


def _labels(atlas: Atlas):
    faces = sorted(atlas.faces.live(), key=lambda f: f.id)
    labels = np.array([f.person_id if f.source == "user" else -1 for f in faces])
    return faces, labels


def identify_people(atlas: Atlas, accept: float = 0.9) -> dict:
    """Few labels → everyone: faces the user confirmed label the rest, self-paced; a face goes to a
    person automatically only with confidence ≥ ``accept`` and when no "not this person" forbids it."""
    faces, labels = _labels(atlas)
    if not len(faces) or (labels < 0).all():
        return {"labelled": int((labels >= 0).sum()), "assigned": 0}
    predicted, conf = identify(np.stack([f.embedding for f in faces]), labels, accept=accept)
    cannot = defaultdict(set)
    for c in atlas.people.constraints():
        if c.kind == "cannot":
            cannot[c.face_id].add(c.person_id)
    assigned = 0
    with atlas.transaction():
        for f, label, c in zip(faces, predicted, conf):
            if f.source == "user" or label < 0 or c < accept or int(label) in cannot[f.id]:
                continue
            if f.person_id != int(label) or f.confidence != round(float(c), 4):
                atlas.people.assign(f.id, int(label), "auto", round(float(c), 4))
                assigned += 1
    return {"labelled": int((labels >= 0).sum()), "assigned": assigned}


def review_queue(atlas: Atlas, limit: int = 20) -> list[dict]:
    """The questions worth asking, most useful first: name proposals that were not applied, then
    faces whose answer would settle the most (uncertain, with many unlabelled look-alikes)."""
    names = atlas.people.names()
    items: list[dict] = [
        {"kind": "name", "person_id": pid, "proposed_name": name, "confidence": conf, "faces": n}
        for pid, name, conf, n in atlas.people.proposals()
    ]
    faces, labels = _labels(atlas)
    if faces:
        x = np.stack([f.embedding for f in faces])
        predicted, conf = identify(x, labels)
        order = question_order(x, labels, confidence=conf)
        for i in order[: max(0, limit - len(items))]:
            f = faces[int(i)]
            guess = int(predicted[i]) if predicted[i] >= 0 else f.person_id
            items.append(
                {
                    "kind": "face",
                    "face_id": f.id,
                    "image": f.image_path,
                    "bbox": f.bbox.to_list(),
                    "suggested_person": guess,
                    "suggested_name": names.get(guess) if guess is not None else None,
                    "confidence": round(float(conf[i]), 4),
                }
            )
    return items[:limit]


def answer(atlas: Atlas, face_id: int, name: str) -> int:
    """The user says face ``face_id`` is ``name``: it joins the person of that name (created if new),
    as a confirmed assignment. Returns the person id."""
    with atlas.transaction():
        person = atlas.people.by_name(name)
        if person is None:
            person = atlas.people.create(name)
            atlas.people.rename(person, name, source="user")
        move_face(atlas, face_id, person)
        atlas.people.clear_proposal(person)
    return person
