"""The user's corrections. Each is stored as a constraint as well as applied, so re-clustering and
later scans keep it, and each is one entry of the action log (``faceatlas history`` / ``undo``)."""

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


def _label(atlas: Atlas, person_id: int) -> str:
    name = atlas.people.get(person_id).name
    return f"{name!r} (person {person_id})" if name else f"person {person_id}"


def name_person(atlas: Atlas, person_id: int, name: str | None) -> None:
    """Name (or, with None, un-name) a person. Naming is looking: the faces the person holds now
    become confirmed, so re-clustering keeps them together under that name (reject the ones that
    are wrong). A blank name is refused (:func:`clean_name`)."""
    name = None if name is None else clean_name(name)
    with atlas.transaction():
        before = _label(atlas, person_id)
        with atlas.actions.record("name", f"named {before} {name!r}" if name else f"cleared the name of {before}"):
            atlas.people.rename(person_id, name, source="user")
            atlas.people.clear_proposal(person_id)
            if name:
                for face in atlas.faces.of_person(person_id):
                    if face.source != "user":
                        atlas.people.add_constraint("must", face.id, person_id)
                        atlas.people.assign(face.id, person_id, "user", 1.0)


def merge_conflicts(atlas: Atlas, keep: int, other: int) -> list[int]:
    """Faces whose "not this person" a merge of ``keep`` and ``other`` would override: faces of one
    that the user said are not the other."""
    faces = {f.id: f.person_id for f in atlas.faces.of_person(keep) + atlas.faces.of_person(other)}
    return sorted(
        c.face_id
        for c in atlas.people.constraints()
        if c.kind == "cannot"
        and c.face_id in faces
        and c.person_id in (keep, other)
        and faces[c.face_id] != c.person_id
    )


def merge_people(atlas: Atlas, keep: int, other: int) -> list[int]:
    """Fold ``other`` into ``keep``: every face of both is confirmed as ``keep``'s (the user looked at
    them together), ``other``'s constraints now speak of ``keep``, and ``keep`` keeps its name (or takes
    ``other``'s if it had none). Returns the faces whose "not this person" the merge overrode (the
    caller warns; the merge can be undone)."""
    if keep == other:
        raise StoreError("cannot merge a person with itself")
    with atlas.transaction():
        a, b = atlas.people.get(keep), atlas.people.get(other)
        overridden = merge_conflicts(atlas, keep, other)
        with atlas.actions.record(
            "merge",
            f"merged {_label(atlas, other)} into {_label(atlas, keep)}",
            {"keep": keep, "other": other, "overridden": overridden},
        ):
            # other's faces in photos missing now move too, so they come back in the kept person
            faces = [f.id for f in atlas.faces.of_person(keep)] + list(atlas.people.assigned(other))
            for face_id in overridden:
                atlas.people.remove_constraint("cannot", face_id, keep)
                atlas.people.remove_constraint("cannot", face_id, other)
            atlas.people.repoint_constraints(other, keep)
            for face_id in faces:
                atlas.people.assign(face_id, keep, "user", 1.0)
                atlas.people.remove_constraints(face_id, "must")
                atlas.people.add_constraint("must", face_id, keep)
            if a.name is None and b.name is not None:
                atlas.people.rename(keep, b.name, source=atlas.people.name_source(other) or "user")
            atlas.people.delete(other)
    return overridden


def move_face(atlas: Atlas, face_id: int, person_id: int) -> None:
    """Put a face in a person (confirmed). Any "not this person" for that person is lifted."""
    with atlas.transaction():
        if atlas.faces.get(face_id) is None:
            raise StoreError(f"no face with id {face_id}")
        atlas.people.get(person_id)
        with atlas.actions.record("move", f"moved face {face_id} to {_label(atlas, person_id)}"):
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
        with atlas.actions.record("reject", f"face {face_id} is not {_label(atlas, face.person_id)}"):
            atlas.people.remove_constraints(face_id, "must")
            atlas.people.add_constraint("cannot", face_id, face.person_id)
            atlas.people.unassign(face_id)
        return face.person_id


def new_person_from_face(atlas: Atlas, face_id: int, name: str | None = None) -> int:
    """Start a new person with this face (confirmed)."""
    name = None if name is None else clean_name(name)
    with atlas.transaction(), atlas.actions.record("move", f"started a new person from face {face_id}"):
        person = atlas.people.create(name)
        if name:
            atlas.people.rename(person, name, source="user")
        move_face(atlas, face_id, person)
        return person


def set_hidden(atlas: Atlas, person_id: int, hidden: bool = True) -> None:
    """Hide a person (strangers in the background) from the people pages and the review, or show
    them again. Their faces stay theirs, so new photos of them join them, hidden too."""
    with atlas.transaction():
        atlas.people.get(person_id)
        verb = "hid" if hidden else "showed"
        with atlas.actions.record("hide" if hidden else "unhide", f"{verb} {_label(atlas, person_id)}"):
            atlas.conn.execute("UPDATE people SET state = ? WHERE id = ?", ("hidden" if hidden else "shown", person_id))


def delete_person(atlas: Atlas, person_id: int) -> int:
    """Delete a person: their faces become unassigned, each with a "not this person" so clustering
    never rebuilds them; the name is dropped. Faces of photos missing now are released too (else they
    would count for the deleted person when their photo came back). Returns the number of live faces
    released. Undoable."""
    with atlas.transaction():
        atlas.people.get(person_id)
        with atlas.actions.record("delete", f"deleted {_label(atlas, person_id)}", {"person_id": person_id}):
            faces = atlas.people.assigned(person_id)
            for face_id in faces:
                atlas.people.remove_constraints(face_id, "must")
                atlas.people.add_constraint("cannot", face_id, person_id)
                atlas.people.unassign(face_id)
            atlas.people.clear_proposal(person_id)
            atlas.conn.execute(
                "UPDATE people SET state = 'deleted', name = NULL, name_source = NULL WHERE id = ?", (person_id,)
            )
        return sum(faces.values())
