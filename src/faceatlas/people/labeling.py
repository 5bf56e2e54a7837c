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
from faceatlas.people.corrections import clean_name, move_face
from faceatlas.people.identify import identify, question_order
from faceatlas.people.names import extract_names
from faceatlas.people.naming import name_faces
from faceatlas.store import Atlas

APPLY_THRESHOLD = 0.7


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


def name_from_captions(atlas: Atlas, threshold: float = APPLY_THRESHOLD) -> list[Proposal]:
    """Name faces from their photos' captions, then propose a name per person: the name its faces
    got, weighted by confidence, over its faces in captioned photos. Applied when the confidence is
    at least ``threshold`` and the user has not named the person; otherwise left for review."""
    captions = atlas.images.captions()
    known = [p.name for p in atlas.people.all() if p.name]
    photos, cands, faces = [], [], []
    for image_id, text in sorted(captions.items()):
        recs = atlas.faces.of_image(image_id)
        photos.append(list(range(len(faces), len(faces) + len(recs))))
        faces.extend(recs)
        cands.append(extract_names(text, known))
    if not faces:
        return []
    answers = name_faces(photos, cands, np.stack([f.embedding for f in faces]))
    votes: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[int, int] = defaultdict(int)
    for face, ans in zip(faces, answers):
        if face.person_id is None:
            continue
        counts[face.person_id] += 1
        if ans.name is not None:
            votes[face.person_id][ans.name] += ans.confidence
    out = []
    with atlas.transaction():
        for person, tally in votes.items():
            name, score = max(tally.items(), key=lambda kv: (kv[1], kv[0]))
            confidence = round(score / counts[person], 4)
            user_named = atlas.people.name_source(person) == "user"
            apply = confidence >= threshold and not user_named
            if apply:
                atlas.people.rename(person, name, source="captions")
            if user_named:
                atlas.people.clear_proposal(person)
                continue
            atlas.people.set_proposal(person, name, confidence, counts[person], apply)
            out.append(Proposal(person, name, confidence, counts[person], apply))
    return sorted(out, key=lambda p: -p.confidence)


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
    as a confirmed assignment. Returns the person id. A blank name is refused."""
    name = clean_name(name)
    with atlas.transaction():
        person = atlas.people.by_name(name)
        if person is None:
            person = atlas.people.create(name)
            atlas.people.rename(person, name, source="user")
        move_face(atlas, face_id, person)
        atlas.people.clear_proposal(person)
    return person
