"""The user's corrections. Each is stored as a constraint as well as applied, so re-clustering and
later scans keep it."""

from __future__ import annotations

from faceatlas.errors import InvalidInputError, StoreError
from faceatlas.store import Atlas

MAX_NAME_LENGTH = 200


def clean_name(name: str) -> str:
    """``name`` with surrounding white space removed; a blank or over-long name is refused with
    :class:`InvalidInputError` (every place a user's name enters the atlas goes through here)."""
    text = " ".join(str(name).split())
    if not text:
        raise InvalidInputError("a name cannot be blank")
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidInputError(f"a name is at most {MAX_NAME_LENGTH} characters (got {len(text)})")
    return text


def name_person(atlas: Atlas, person_id: int, name: str | None) -> None:
    """Name (or, with None, un-name) a person. Naming is looking: the faces the person holds now
    become confirmed, so re-clustering keeps them together under that name (reject the ones that
    are wrong). A blank name is refused (:func:`clean_name`)."""
    name = None if name is None else clean_name(name)
    with atlas.transaction():
        atlas.people.rename(person_id, name, source="user")
        atlas.people.clear_proposal(person_id)
        if name:
            for face in atlas.faces.of_person(person_id):
                if face.source != "user":
                    atlas.people.add_constraint("must", face.id, person_id)
                    atlas.people.assign(face.id, person_id, "user", 1.0)


def merge_people(atlas: Atlas, keep: int, other: int) -> None:
    """Fold ``other`` into ``keep``: every face of both is confirmed as ``keep``'s (the user looked at
    them together), ``other``'s constraints now speak of ``keep``, and ``keep`` keeps its name (or takes
    ``other``'s if it had none)."""
    if keep == other:
        raise StoreError("cannot merge a person with itself")
    with atlas.transaction():
        a, b = atlas.people.get(keep), atlas.people.get(other)
        faces = atlas.faces.of_person(keep) + atlas.faces.of_person(other)
        atlas.people.repoint_constraints(other, keep)
        for f in faces:
            atlas.people.assign(f.id, keep, "user", 1.0)
            atlas.people.remove_constraints(f.id, "must")
            atlas.people.add_constraint("must", f.id, keep)
        if a.name is None and b.name is not None:
            atlas.people.rename(keep, b.name, source=atlas.people.name_source(other) or "user")
        atlas.people.delete(other)


def move_face(atlas: Atlas, face_id: int, person_id: int) -> None:
    """Put a face in a person (confirmed). Any "not this person" for that person is lifted."""
    with atlas.transaction():
        if atlas.faces.get(face_id) is None:
            raise StoreError(f"no face with id {face_id}")
        atlas.people.get(person_id)
        atlas.people.remove_constraints(face_id, "must")
        atlas.people.remove_constraint("cannot", face_id, person_id)
        atlas.people.add_constraint("must", face_id, person_id)
        atlas.people.assign(face_id, person_id, "user", 1.0)


def reject_face(atlas: Atlas, face_id: int) -> int | None:
    """ "Not this person": the face leaves its person and may never be given to it again.
    Returns the person it left (None if it had none)."""
    with atlas.transaction():
        face = atlas.faces.get(face_id)
        if face is None:
            raise StoreError(f"no face with id {face_id}")
        if face.person_id is None:
            return None
        atlas.people.remove_constraints(face_id, "must")
        atlas.people.add_constraint("cannot", face_id, face.person_id)
        atlas.people.unassign(face_id)
        return face.person_id


def new_person_from_face(atlas: Atlas, face_id: int, name: str | None = None) -> int:
    """Start a new person with this face (confirmed)."""
    name = None if name is None else clean_name(name)
    with atlas.transaction():
        person = atlas.people.create(name)
        move_face(atlas, face_id, person)
        return person
