"""Caption names applied to the atlas, face by face, with their provenance.

Every captioned photo's faces are named jointly (:func:`faceatlas.people.naming.name_faces`, with
the positions "(L)" / "From left:" give). A face's name is applied only when the evidence is strong
(:func:`~faceatlas.people.naming.auto_apply`: the name took faces in ≥ 2 photos, or one answer of
confidence ≥ τ); the rest become review questions. Applying works on faces, not clusters:

- a face whose person is unnamed (or named by captions) and whose person's applied caption names
  agree names that person;
- a face whose person carries another name — an impure cluster — moves to the person of its own
  name (created when new), so one mixed cluster cannot block a name or take a wrong one;
- the user's word always wins: faces the user placed and people the user named are never changed.

Each applied or proposed name is recorded in ``caption_names`` (face, photo, name, confidence,
evidence, and the person the face was in before), so the page can say where a name came from and
:func:`undo_caption_name` can take it back.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from faceatlas.index.search import atlas_space
from faceatlas.people.names import parse_caption
from faceatlas.people.naming import AUTO_CONFIDENCE, AUTO_PHOTOS, FaceName, auto_apply, name_faces
from faceatlas.store import Atlas


@dataclass(frozen=True)
class CaptionNameRecord:
    """Where a face's caption name came from."""

    face_id: int
    image_id: int
    name: str
    confidence: float
    photos: int
    applied: bool
    from_person: int | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def face_names_from_captions(atlas: Atlas) -> tuple[list, list[FaceName]]:
    """Every face of a captioned photo and its caption name (None: unknown), named jointly."""
    known = [p.name for p in atlas.people.all() if p.name]
    photos, cands, faces = [], [], []
    for image_id, text in sorted(atlas.images.captions().items()):
        recs = atlas.faces.of_image(image_id)
        photos.append(list(range(len(faces), len(faces) + len(recs))))
        faces.extend(recs)
        cands.append(parse_caption(text, known))
    if not faces:
        return [], []
    centres = [(f.bbox.x1 + f.bbox.x2) / 2 for f in faces]
    x = np.stack([f.embedding for f in faces])
    return faces, name_faces(photos, cands, x, centres=centres, space=atlas_space(atlas))


def apply_caption_names(atlas: Atlas, tau: float = AUTO_CONFIDENCE, min_photos: int = AUTO_PHOTOS) -> dict:
    """Name faces from captions and apply the strong names (see the module docstring). Returns counts
    and the per-person proposals left for review."""
    faces, answers = face_names_from_captions(atlas)
    undone = {(r[0], r[1]) for r in atlas.conn.execute("SELECT face_id, name FROM caption_names WHERE undone = 1")}
    strong, weak = [], []
    for f, a in zip(faces, answers):
        if a.name is None or (f.id, a.name) in undone:
            continue
        (strong if auto_apply(a, tau, min_photos) else weak).append((f, a))
    by_person: dict[int, Counter] = defaultdict(Counter)
    for f, a in strong:
        if f.person_id is not None and f.source != "user":
            by_person[f.person_id][a.name] += 1
    renamed = moved = 0
    now = time.time()
    with atlas.transaction():
        atlas.conn.execute("DELETE FROM caption_names WHERE applied = 0 AND undone = 0")
        for person, votes in by_person.items():
            name, _ = max(votes.items(), key=lambda kv: (kv[1], kv[0]))
            source = atlas.people.name_source(person)
            current = atlas.people.get(person).name
            if source != "user" and current != name and (current is None or source == "captions"):
                if atlas.people.by_name(name) is None:
                    atlas.people.rename(person, name, source="captions")
                    atlas.people.clear_proposal(person)
                    renamed += 1
        names = atlas.people.names()
        cannot = atlas.people.cannot()
        for f, a in strong:
            if f.source == "user":
                continue
            before = f.person_id
            if before is None or names.get(before) != a.name:
                target = atlas.people.by_name(a.name)
                if target is None:
                    target = atlas.people.create(a.name)
                    atlas.people.rename(target, a.name, source="captions")
                    names[target] = a.name
                if target in cannot[f.id]:
                    continue  # the user said "not this person"
                atlas.people.assign(f.id, target, "auto", round(a.confidence, 4))
                moved += 1
            _record(atlas, f, a, True, before, now)
        for f, a in weak:
            _record(atlas, f, a, False, f.person_id, now)
        atlas.people.delete_empty_unnamed()
    proposals = _proposals(atlas, weak)
    return {"faces": len(faces), "applied": len(strong), "renamed": renamed, "moved": moved, "proposals": proposals}


def _record(atlas: Atlas, face, answer: FaceName, applied: bool, before: int | None, now: float) -> None:
    atlas.conn.execute(
        """INSERT INTO caption_names (face_id, image_id, name, confidence, photos, applied, from_person, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(face_id) DO UPDATE SET name=excluded.name,
           confidence=excluded.confidence, photos=excluded.photos, applied=excluded.applied,
           from_person=CASE WHEN caption_names.applied = 1 THEN caption_names.from_person ELSE excluded.from_person END,
           created_at=excluded.created_at""",
        (face.id, face.image_id, answer.name, answer.confidence, answer.photos, int(applied), before, now),
    )


def _proposals(atlas: Atlas, weak) -> list[dict]:
    """One review question per person for the caption names not applied: the name most of its weak
    faces got, with their mean confidence."""
    tally: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for f, a in weak:
        person = atlas.faces.get(f.id).person_id
        if person is not None:
            tally[person][a.name].append(a.confidence)
    out = []
    with atlas.transaction():
        for person, names in tally.items():
            if atlas.people.name_source(person) == "user" or atlas.people.get(person).name:
                continue
            name, confs = max(names.items(), key=lambda kv: (len(kv[1]), sum(kv[1])))
            conf = round(float(np.mean(confs)), 4)
            atlas.people.set_proposal(person, name, conf, len(confs), False)
            out.append({"person_id": person, "name": name, "confidence": conf, "faces": len(confs)})
    return sorted(out, key=lambda p: -p["confidence"])


def caption_name_sources(atlas: Atlas, person_id: int | None = None) -> list[CaptionNameRecord]:
    """Where caption names came from: every face's record, or those of one person's faces."""
    sql = "SELECT c.face_id, c.image_id, c.name, c.confidence, c.photos, c.applied, c.from_person FROM caption_names c"
    args: tuple = ()
    if person_id is not None:
        sql += " JOIN assignments a ON a.face_id = c.face_id WHERE a.person_id = ?"
        args = (person_id,)
    rows = atlas.conn.execute(sql + " ORDER BY c.face_id", args).fetchall()
    return [CaptionNameRecord(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]


def undo_caption_name(atlas: Atlas, face_id: int) -> bool:
    """Take back the caption name of a face: it returns to the person it was in before (or to none),
    a person named by captions loses that name when no other face keeps it, and the same caption name
    is never applied to this face again. The user's own changes stay. Returns whether there was one."""
    row = atlas.conn.execute(
        "SELECT name, from_person, applied FROM caption_names WHERE face_id = ? AND undone = 0", (face_id,)
    ).fetchone()
    if row is None:
        return False
    name, before, applied = row
    with atlas.transaction():
        atlas.conn.execute("UPDATE caption_names SET undone = 1, applied = 0 WHERE face_id = ?", (face_id,))
        face = atlas.faces.get(face_id)
        if not applied or face is None or face.source == "user":
            return True
        person = face.person_id
        if person is not None and person != before:
            if before is not None and before in atlas.people.names():
                atlas.people.assign(face_id, before, "auto", 0.0)
            else:
                atlas.people.unassign(face_id)
        if (
            person is not None
            and atlas.people.name_source(person) == "captions"
            and atlas.people.get(person).name == name
        ):
            still = atlas.conn.execute(
                """SELECT COUNT(*) FROM caption_names c JOIN assignments a ON a.face_id = c.face_id
                   WHERE a.person_id = ? AND c.name = ? AND c.applied = 1 AND c.undone = 0""",
                (person, name),
            ).fetchone()[0]
            if not still:
                atlas.people.rename(person, None)
        atlas.people.delete_empty_unnamed()
    return True
