"""Turning clusters into people in the atlas, incrementally or in full, always within the user's
constraints: a face the user placed stays placed, a rejected face never returns to that person,
and a named person keeps its name across re-clustering."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from faceatlas.identity.space import IdentitySpace
from faceatlas.index.knn import knn
from faceatlas.index.search import atlas_space
from faceatlas.people.cluster import FaceClusterer
from faceatlas.store import Atlas, FaceRecord


@dataclass
class AssignReport:
    assigned: int = 0  # faces newly given to an existing person
    new_people: int = 0
    unassigned: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _order(faces: list[FaceRecord]) -> list[FaceRecord]:
    """A content order (path, box), so results do not depend on insertion ids (resumed scans)."""
    return sorted(faces, key=lambda f: (f.image_path, round(f.bbox.x1), round(f.bbox.y1), f.id))


def _shot(face: FaceRecord) -> tuple[int, int]:
    """What one camera shot is: a photo, or one frame of a video. Two faces of one shot are never
    one person; faces from different frames of a video can be."""
    return face.image_id, face.frame_ms if face.frame_ms is not None else -1


def _shots(faces: list[FaceRecord]) -> np.ndarray:
    """An integer per face naming its shot (for the clusterer's ``groups``)."""
    return np.unique([_shot(f) for f in faces], axis=0, return_inverse=True)[1].ravel()


def _constraints(atlas: Atlas) -> tuple[dict[int, int], dict[int, set[int]]]:
    """(face → person the user put it in, face → people it must never join)."""
    must: dict[int, int] = {}
    cannot: dict[int, set[int]] = defaultdict(set)
    for c in atlas.people.constraints():
        if c.kind == "must":
            must[c.face_id] = c.person_id
        else:
            cannot[c.face_id].add(c.person_id)
    return must, cannot


def full_recluster(atlas: Atlas, clusterer: FaceClusterer | None = None) -> AssignReport:
    """Re-cluster every live face from scratch, then map clusters onto existing people so ids and
    names stay stable: a cluster holding faces the user placed is that person; otherwise the person
    it overlaps most among the previous automatic assignments; otherwise a new person."""
    clusterer = clusterer or FaceClusterer(space=atlas_space(atlas))
    faces = _order(atlas.faces.live())
    report = AssignReport()
    with atlas.transaction():
        previous = atlas.people.assignments()
        atlas.people.clear_auto()
        if not faces:
            atlas.people.delete_empty_unnamed()
            return report
        must, cannot = _constraints(atlas)
        labels = clusterer.fit_predict(
            np.stack([f.embedding for f in faces]),
            groups=_shots(faces),
            quality=np.array([f.quality if f.quality is not None else 1.0 for f in faces]),
            must_link=np.array([must.get(f.id, -1) for f in faces]),
            cannot_link={i: cannot[f.id] for i, f in enumerate(faces) if f.id in cannot},
        )
        taken: set[int] = set()
        clusters: dict[int, list[int]] = defaultdict(list)
        for i, lab in enumerate(labels):
            if lab >= 0:
                clusters[int(lab)].append(i)
        # clusters with user-placed faces first: they own their person outright
        order = sorted(clusters, key=lambda c: (not any(faces[i].id in must for i in clusters[c]), c))
        for c in order:
            members = clusters[c]
            person = _person_for(members, faces, must, previous, taken)
            if person is None:
                person = atlas.people.create()
                report.new_people += 1
            taken.add(person)
            for i in members:
                if faces[i].id not in must:
                    atlas.people.assign(faces[i].id, person, "auto", 1.0)
        report.unassigned = int((labels < 0).sum())
        atlas.people.delete_empty_unnamed()
    return report


def _person_for(members, faces, must, previous, taken) -> int | None:
    users = Counter(must[faces[i].id] for i in members if faces[i].id in must)
    if users:
        return users.most_common(1)[0][0]
    votes = Counter(previous[faces[i].id][0] for i in members if faces[i].id in previous)
    for person, _ in votes.most_common():
        if person not in taken:
            return person
    return None


def assign_new_faces(atlas: Atlas, clusterer: FaceClusterer | None = None, votes_needed: int = 2) -> AssignReport:
    """Give unassigned faces to existing people when confident (at least ``votes_needed`` of their
    nearest assigned faces, within the clusterer's threshold, belong to that person, the person's
    centroid is within its centroid threshold, and nothing forbids it; failing that, the nearest
    person's centroid within the clusterer's join threshold and join margin, as its pass (d); a face
    below the clusterer's seed quality joins the nearest allowed person's centroid within its attach
    threshold and attach margin, as its pass (b)), then
    cluster what is left and make new people from groups big enough — like Immich's incremental
    face grouping."""
    space = atlas_space(atlas)
    clusterer = clusterer or FaceClusterer(space=space)
    faces = _order(atlas.faces.live())
    with atlas.transaction():
        assigned_now = atlas.people.assignments()
        if not any(f.id in assigned_now for f in faces):
            return full_recluster(atlas, clusterer)
        report = AssignReport()
        must, cannot = _constraints(atlas)
        known = [f for f in faces if f.id in assigned_now]
        todo = [f for f in faces if f.id not in assigned_now]
        if not todo:
            return report
        people = _KnownPeople(known, assigned_now, cannot, clusterer, space)
        tx = np.stack([f.embedding for f in todo])
        dist, idx = knn(people.x, min(clusterer.k, len(known)), queries=tx)
        cdist, cidx = knn(people.centroids, min(8, len(people.ids)), queries=tx)
        leftover: list[FaceRecord] = []
        for row, face in enumerate(todo):
            if (face.quality if face.quality is not None else 1.0) < clusterer.min_quality:
                chosen = people.by_centroid(
                    face, cdist[row], cidx[row], clusterer.attach_threshold, clusterer.attach_margin
                )
            else:
                chosen = people.by_vote(face, dist[row], idx[row], votes_needed)
                if chosen is None and clusterer.join_threshold is not None:
                    chosen = people.by_centroid(
                        face, cdist[row], cidx[row], clusterer.join_threshold, clusterer.join_margin
                    )
            if chosen is None:
                leftover.append(face)
                continue
            atlas.people.assign(face.id, chosen[0], "auto", round(chosen[1], 4))
            people.photos_of[chosen[0]].add(_shot(face))
            report.assigned += 1
        if leftover:
            labels = clusterer.fit_predict(
                np.stack([f.embedding for f in leftover]),
                groups=_shots(leftover),
                quality=np.array([f.quality if f.quality is not None else 1.0 for f in leftover]),
                cannot_link={},
            )
            people_by_label: dict[int, int] = {}
            for face, lab in zip(leftover, labels):
                if lab < 0:
                    report.unassigned += 1
                    continue
                if lab not in people_by_label:
                    people_by_label[lab] = atlas.people.create()
                    report.new_people += 1
                atlas.people.assign(face.id, people_by_label[lab], "auto", 1.0)
    return report


class _KnownPeople:
    """The people as they stand (members, centroids, photos), and the two ways a new face joins one."""

    def __init__(
        self,
        known: list[FaceRecord],
        assigned: dict,
        cannot: dict[int, set[int]],
        clusterer: FaceClusterer,
        space: IdentitySpace,
    ):
        self.x = np.stack([f.embedding for f in known])
        self.person_of = np.array([assigned[f.id][0] for f in known])
        self.ids, member_of, self.sizes = np.unique(self.person_of, return_inverse=True, return_counts=True)
        sums = np.zeros((len(self.ids), self.x.shape[1]))
        np.add.at(sums, member_of, self.x)
        self.centroids = sums / self.sizes[:, None]
        self.photos_of: dict[int, set[tuple[int, int]]] = defaultdict(set)
        for f in known:
            self.photos_of[assigned[f.id][0]].add(_shot(f))
        self.cannot = cannot
        self.clusterer = clusterer
        self.space = space

    def allowed(self, face: FaceRecord, person: int) -> bool:
        return person not in self.cannot.get(face.id, set()) and _shot(face) not in self.photos_of[person]

    def by_vote(
        self, face: FaceRecord, dist: np.ndarray, idx: np.ndarray, votes_needed: int
    ) -> tuple[int, float] | None:
        """The person most of the face's nearest assigned faces (within the clusterer's threshold)
        belong to, with at least ``votes_needed`` votes and its centroid within the centroid threshold;
        (person, share of the votes) or None."""
        c = self.clusterer
        tally = Counter(int(self.person_of[j]) for d, j in zip(dist, idx) if j >= 0 and d <= c.threshold)
        for person, count in tally.most_common():
            row = np.searchsorted(self.ids, person)
            if count < min(votes_needed, int(self.sizes[row])):
                break
            centroid = self.centroids[row]
            if self.allowed(face, person) and np.linalg.norm(centroid - face.embedding) <= c.centroid_threshold:
                return person, count / max(1, len(dist))
        return None

    def by_centroid(
        self, face: FaceRecord, dist: np.ndarray, idx: np.ndarray, threshold: float, margin: float
    ) -> tuple[int, float] | None:
        """The nearest allowed person's centroid within ``threshold`` whose next person's centroid
        is ``margin`` farther, as in FaceClusterer's passes (b) and (d); (person, similarity) or None."""
        following = np.append(np.asarray(dist)[1:], np.inf)
        for d, j, d_next in zip(dist, idx, following):
            if j < 0 or d > threshold or d_next - d < margin:
                break
            if self.allowed(face, int(self.ids[j])):
                return int(self.ids[j]), self.space.similarity(float(d))
        return None
