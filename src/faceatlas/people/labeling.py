"""Names in the atlas: from captions, from a few user labels, and the review of people.

The review asks once per uncertain person ("Who is this?", or "Is this X?" when the person's centroid
is near a named person's) and once per face that is in no person; the question that would name the
most faces comes first. An answer names the whole person the face is in (asking first when that
person holds faces the user placed there), and identification then runs around the faces the
answer changed (:func:`identify_around`), so the next question already reflects it. The page, REST
(``GET /v1/review`` → ``POST /v1/faces/N/label`` / ``answer``), the CLI and ``faceatlas eval active``
all go through :func:`review_queue` and :func:`answer` / :func:`answer_no` / :func:`skip`.

Every user answer goes through :mod:`faceatlas.people.corrections`, so it is stored as a
constraint, logged as an undoable action, and beats anything automatic; automatic names never
overwrite a name the user gave.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceatlas.errors import EmbedderMismatchError, StoreError
from faceatlas.index.knn import build_faiss, search
from faceatlas.index.search import atlas_space
from faceatlas.io.captions import read_manifest
from faceatlas.people import corrections
from faceatlas.people.identify import identify, scores
from faceatlas.people.naming import AUTO_CONFIDENCE, AUTO_PHOTOS
from faceatlas.store import Atlas

APPLY_THRESHOLD = AUTO_CONFIDENCE  # kept for callers of the old name
# identification after an answer: a face joins a person automatically from this confidence
ACCEPT = 0.5
# the review scores at most this many faces that are in no person (those with most look-alikes)
LOOSE_SCORED = 500
# ... among at most this many (the best-quality ones)
LOOSE_CONSIDERED = 2000


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
    over the user's word; the rest become review questions. Returns one proposal per person touched.
    The whole run is one entry of the action log (``faceatlas undo`` takes it back)."""
    from faceatlas.people.caption_naming import apply_caption_names, caption_name_sources

    with atlas.transaction(), atlas.actions.record("captions", "names from captions") as action:
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
        atlas.actions.set_summary(
            action, f"named {len(applied)} people from captions ({len(result['proposals'])} to review)"
        )
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
    x = np.stack([f.embedding for f in faces])
    predicted, conf = identify(x, labels, accept=accept, space=atlas_space(atlas))
    cannot = atlas.people.cannot()
    assigned = 0
    with atlas.transaction():
        for f, label, c in zip(faces, predicted, conf):
            if f.source == "user" or label < 0 or c < accept or int(label) in cannot[f.id]:
                continue
            if f.person_id != int(label) or f.confidence != round(float(c), 4):
                atlas.people.assign(f.id, int(label), "auto", round(float(c), 4))
                assigned += 1
    return {"labelled": int((labels >= 0).sum()), "assigned": assigned}


def identify_around(atlas: Atlas, face_ids: list[int], accept: float = ACCEPT, k: int = 64, rounds: int = 10) -> int:
    """Incremental identification after an answer: only faces in no person near the ones that
    changed (``face_ids``) are scored, against every face placed in a shown person (so a face near a
    named person but nearer an unnamed one stays out); those that clear ``accept`` join that person
    (automatic, within the user's "not this person"), and their own neighbours are scored in the
    next round (self-paced). Returns the faces assigned. Work grows with the neighbourhood touched,
    not with the atlas (beyond reading its vectors)."""
    try:
        ids, person_of, _, _, x = atlas.faces.matrix()
    except EmbedderMismatchError:  # vectors of two spaces: identification waits for the re-embedding, as clustering
        return 0
    if not len(ids) or not face_ids:
        return 0
    states = atlas.people.states()
    row_of = {int(f): i for i, f in enumerate(ids)}
    loose = person_of < 0
    work = np.array([p if p >= 0 and states.get(int(p)) == "shown" else -1 for p in person_of])
    if (work < 0).all():
        return 0
    cannot = atlas.people.cannot()
    space = atlas_space(atlas)
    threshold = space.threshold
    pool = np.nonzero(loose)[0]  # only faces in no person can be identified: search among them
    if len(pool) == 0:
        return 0
    index = build_faiss(x[pool], exact_limit=len(pool))  # exact: a copy of the vectors, no training
    frontier = np.array(sorted(row_of[f] for f in face_ids if f in row_of), dtype=np.int64)
    assigned = 0
    with atlas.transaction():
        for _ in range(rounds):
            if len(frontier) == 0:
                break
            dist, idx = search(index, x[frontier], min(k, len(pool)))
            near = pool[np.unique(idx[(idx >= 0) & (dist <= threshold)])]
            near = near[work[near] < 0]
            if len(near) == 0:
                break
            best, conf = scores(x, work, near, threshold, flat=True, scale=space.similarity_scale)
            fresh = []
            for row, label, c in zip(near, best, conf):
                face_id = int(ids[row])
                if label < 0 or c < accept or int(label) in cannot[face_id]:
                    continue
                work[row] = label
                fresh.append(int(row))
                atlas.people.assign(face_id, int(label), "auto", round(float(c), 4))
                assigned += 1
            frontier = np.array(fresh, dtype=np.int64)
    return assigned


@dataclass(frozen=True)
class Question:
    """One review question. ``face_id`` is the face to show and to answer through."""

    kind: str  # "name" (a caption's proposal), "who" / "confirm" (a person), "face" (a face in no person)
    face_id: int
    text: str
    person_id: int | None = None
    faces: int = 1  # faces the answer names
    suggested_person: int | None = None
    suggested_name: str | None = None
    confidence: float = 0.0
    value: float = 0.0
    image: str = ""
    bbox: tuple = ()
    image_id: int = 0

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["bbox"] = list(self.bbox)
        return out


def questions(atlas: Atlas, limit: int = 20, confirm_distance: float | None = None) -> list[Question]:
    """The questions worth asking, most useful first: caption proposals to confirm, then one per
    unnamed person (valued by its size: what the answer names) and one per face in no person
    (valued by its uncertainty and its unassigned look-alikes). Skipped ones and hidden people are
    left out. An unnamed person whose centroid is within ``confirm_distance`` of a named person's
    (that no "not this person" rules out; default: the identity space's ``review.confirm_distance``)
    is asked "Is this X?", others "Who is this?"."""
    from faceatlas.people.similar import centroids as cached_centroids

    space = atlas_space(atlas)
    confirm_distance = space.people.review.confirm_distance if confirm_distance is None else confirm_distance
    names = atlas.people.names()
    _, skipped_people = atlas.people.skips()
    # the shown people's sizes, covers and centroids are kept per person in the store (person_stats,
    # refreshed for the people whose faces changed); the loose faces are read best quality first
    known = cached_centroids(atlas, "shown")
    loose_ids, loose_x = atlas.faces.loose_for_review(LOOSE_CONSIDERED, space.dim)  # of the atlas's space
    out: list[Question] = []
    if not len(known.ids) and not len(loose_ids):
        return out
    cover = {int(p): int(c) for p, c in zip(known.ids, known.covers)}
    size = {int(p): int(n) for p, n in zip(known.ids, known.sizes)}
    centroids = known.vectors
    column = {int(p): i for i, p in enumerate(known.ids)}

    def ask(kind: str, face_id: int, text: str, **fields) -> Question:
        f = atlas.faces.get(face_id)
        return Question(
            kind, face_id, text, image=f.image_path, bbox=tuple(f.bbox.to_list()), image_id=f.image_id, **fields
        )

    pending = [(int(p), n, c) for p, n, c, _ in atlas.people.proposals() if int(p) in cover]
    candidates = [p for p in column if p not in skipped_people and not names.get(p)]
    cannot = atlas.people.cannot()
    named = [p for p in column if names.get(p)]
    guesses: dict[int, tuple[int, float]] = {}
    proposed = {p for p, _, _ in pending}
    todo = [p for p in candidates if p not in proposed]
    if named and todo:
        k = min(16, len(named))
        dist, idx = search(build_faiss(centroids[[column[p] for p in named]]), centroids[[column[p] for p in todo]], k)
        for pid, drow, irow in zip(todo, dist, idx):
            forbidden = cannot[cover[pid]]
            for d, j in zip(drow, irow):
                if j >= 0 and named[int(j)] not in forbidden:
                    guesses[pid] = (named[int(j)], float(d))
                    break
    # the most valuable questions first; faces (and their records) only for those that may be shown
    values = [(1e9 + c, p) for p, _, c in pending if p not in skipped_people]
    values += [(float(size[p]), p) for p in todo]
    values.sort(key=lambda v: (-v[0], cover[v[1]]))
    for value, pid in values[:limit]:
        if value >= 1e9:
            name = next(n for p, n, _ in pending if p == pid)
            out.append(
                ask(
                    "name",
                    cover[pid],
                    f"Is this {name}?",
                    person_id=pid,
                    faces=size[pid],
                    suggested_person=pid,
                    suggested_name=name,
                    confidence=round(value - 1e9, 4),
                    value=value,
                )
            )
            continue
        guess, dist = guesses.get(pid, (None, np.inf))
        if guess is not None and dist <= confirm_distance:
            sim = round(space.similarity(dist), 4)
            out.append(
                ask(
                    "confirm",
                    cover[pid],
                    f"Is this {names[guess]}?",
                    person_id=pid,
                    faces=size[pid],
                    suggested_person=guess,
                    suggested_name=names[guess],
                    confidence=sim,
                    value=value,
                )
            )
        else:
            out.append(ask("who", cover[pid], "Who is this?", person_id=pid, faces=size[pid], value=value))
    if len(loose_ids):  # at most LOOSE_CONSIDERED, the best-quality ones: poor faces are the hardest
        loose, x, ids = np.arange(len(loose_ids)), loose_x, loose_ids
        threshold = space.threshold
        dist, idx = search(build_faiss(x[loose]), x[loose], min(50, len(loose)))
        neighbours = ((dist <= threshold) & (idx >= 0)).sum(axis=1) - 1
        # a face's value is at most 1 + its look-alikes: only the most promising are scored, against
        # the people's centroids (a ranking, not a decision)
        top = np.argsort(-neighbours, kind="stable")[: max(LOOSE_SCORED, limit)]
        loose, neighbours = loose[top], neighbours[top]
        # during a re-embedding the cached centroids may still be of the old space: not comparable
        keys = [p for p in column] if centroids.shape[1] == x.shape[1] else []
        stack = np.concatenate([centroids[[column[p] for p in keys]], x[loose]]) if keys else x[loose]
        lab = np.concatenate([np.array(keys, dtype=np.int64), np.full(len(loose), -1)])
        open_ = np.arange(len(keys), len(stack))
        best, conf = scores(stack, lab, open_, threshold, exact=False, flat=True, scale=space.similarity_scale)
        for row, b, c, n in zip(loose, best, conf, neighbours):
            face_id = int(ids[row])
            guess = int(b) if b >= 0 and c >= 0.05 and int(b) not in cannot[face_id] else None
            gname = names.get(guess) if guess is not None else None
            value = float((1 - c) * (1 + n))
            if len(out) >= limit and value <= out[-1].value:
                continue
            out.append(
                ask(
                    "face",
                    face_id,
                    f"Is this {gname}?" if gname else "Who is this?",
                    suggested_person=guess,
                    suggested_name=gname,
                    confidence=round(float(c), 4),
                    value=value,
                )
            )
            out.sort(key=lambda q: (-q.value, q.face_id))
            out = out[:limit]
    out.sort(key=lambda q: (-q.value, q.face_id))
    return out[:limit]


def review_queue(atlas: Atlas, limit: int = 20) -> list[dict]:
    """:func:`questions` as JSON-ready dicts (what ``GET /v1/review`` and ``faceatlas review`` show).
    Caption proposals also carry ``proposed_name``."""
    items = []
    for q in questions(atlas, limit):
        d = q.to_dict()
        if q.kind == "name":
            d["proposed_name"] = q.suggested_name
        items.append(d)
    return items


class NeedsConfirmation(StoreError):
    """The answer would also move faces the user placed: ask, then answer again with a scope."""

    def __init__(self, face_id: int, person_id: int, placed: int) -> None:
        self.face_id, self.person_id, self.placed = face_id, person_id, placed
        super().__init__(
            f"person {person_id} holds {placed} faces you placed there: answer again with scope 'person' "
            f"(name them all) or 'face' (only face {face_id})"
        )


@dataclass(frozen=True)
class Answer:
    face_id: int
    person_id: int | None
    named_faces: int  # faces the person holds after the answer
    identified: int  # faces identification gave to people afterwards
    action_id: int | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _settle(atlas: Atlas, face_id: int, person: int | None, action_id: int | None, accept: float) -> Answer:
    changed = [f.id for f in atlas.faces.of_person(person)] if person is not None else [face_id]
    identified = identify_around(atlas, changed, accept)
    named = len(atlas.faces.of_person(person)) if person is not None else 0
    return Answer(face_id, person, named, identified, action_id)


def answer(atlas: Atlas, face_id: int, name: str, scope: str = "auto", identify_after: bool = True) -> int:
    """The user says face ``face_id`` is ``name``: returns the person id. Sugar for :func:`answer_name`."""
    return answer_name(atlas, face_id, name, scope, identify_after).person_id


def answer_name(
    atlas: Atlas,
    face_id: int,
    name: str,
    scope: str = "auto",
    identify_after: bool = True,
    accept: float = ACCEPT,
) -> Answer:
    """The user says face ``face_id`` is ``name``. The whole person the face is in takes the name
    (joining the person of that name if there is one) when that person is unnamed or only named by a
    caption; a person the user named otherwise keeps its name and only the face moves. When the
    person holds faces the user placed, ``scope`` must say which: "person" or "face" (otherwise
    :class:`NeedsConfirmation`). Identification then runs around the changed faces."""
    name = corrections.clean_name(name)
    if scope not in ("auto", "person", "face"):
        raise StoreError(f"scope must be 'auto', 'person' or 'face', not {scope!r}")
    with atlas.transaction():
        face = atlas.faces.get(face_id)
        if face is None:
            raise StoreError(f"no face with id {face_id}")
        with atlas.actions.record("label", f"face {face_id} is {name!r}", {"face_id": face_id, "name": name}) as act:
            target = atlas.people.by_name(name)
            here = face.person_id
            whole = here is not None and scope != "face"
            if whole and scope == "auto" and here != target:
                members = atlas.faces.of_person(here)
                if atlas.people.get(here).name and atlas.people.name_source(here) == "user":
                    whole = False  # a person the user named otherwise: this face is the mistake
                else:
                    placed = sum(1 for f in members if f.source == "user" and f.id != face_id)
                    if placed:
                        raise NeedsConfirmation(face_id, here, placed)
            if not whole:
                if target is None:
                    target = corrections.new_person_from_face(atlas, face_id, name)
                else:
                    corrections.move_face(atlas, face_id, target)
                person = target
            elif target is None or target == here:
                corrections.name_person(atlas, here, name)
                person = here
            else:
                corrections.merge_people(atlas, target, here)
                person = target
            atlas.people.clear_proposal(person)
            if identify_after:
                return _settle(atlas, face_id, person, act, accept)
            return Answer(face_id, person, len(atlas.faces.of_person(person)), 0, act)


def answer_no(
    atlas: Atlas, face_id: int, person_id: int, identify_after: bool = True, accept: float = ACCEPT
) -> Answer:
    """ "Is this X?" — No: the person the face is in (or the face, when it is in none, or in X
    itself) is not ``person_id``; a "not this person" is stored for each of its faces."""
    with atlas.transaction():
        face = atlas.faces.get(face_id)
        if face is None:
            raise StoreError(f"no face with id {face_id}")
        atlas.people.get(person_id)
        with atlas.actions.record(
            "reject", f"face {face_id} is not person {person_id}", {"face_id": face_id, "person_id": person_id}
        ) as act:
            pending = {p[0] for p in atlas.people.proposals()}
            if face.person_id == person_id and person_id in pending:
                atlas.people.clear_proposal(person_id)  # "Is this <caption's name>?" No: the name is wrong
                members = []
            elif face.person_id == person_id:
                corrections.reject_face(atlas, face_id)
                members = [face_id]
            else:
                members = [f.id for f in atlas.faces.of_person(face.person_id)] if face.person_id else [face_id]
                for fid in members:
                    atlas.people.add_constraint("cannot", fid, person_id)
            identified = identify_around(atlas, members, accept) if identify_after else 0
            return Answer(face_id, atlas.faces.get(face_id).person_id, 0, identified, act)


def skip(atlas: Atlas, face_id: int) -> None:
    """Skip a question: the person the face is in (or the face) is not asked about again."""
    with atlas.transaction():
        face = atlas.faces.get(face_id)
        if face is None:
            raise StoreError(f"no face with id {face_id}")
        with atlas.actions.record("skip", f"skipped the question about face {face_id}"):
            if face.person_id is not None:
                atlas.people.add_skip(person_id=face.person_id)
            else:
                atlas.people.add_skip(face_id=face_id)


def similar_people(atlas: Atlas, person_id: int, k: int = 6, max_distance: float | None = None) -> list[dict]:
    """ "May be the same person": the shown people whose centroid is nearest ``person_id``'s (within
    ``max_distance``; default: the identity space's), nearest first, with their cover face and the
    verification similarity; people the user said this one's faces are not are left out."""
    from faceatlas.people.similar import nearest_people  # centroids cached per person in the store

    return nearest_people(atlas, person_id, k, max_distance)
