"""Flags for every file of a folder-per-identity data set, from what was found in it (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import faiss
import numpy as np

from faceatlas.research.consensus import Consensus, identity_consensus
from faceatlas.research.duplicates import duplicate_of
from faceatlas.research.records import (
    DatasetFile,
    FileVerdict,
    FoundFace,
    IdentityVerdict,
    LookAlike,
)
from faceatlas.research.signature import (
    THUMB_SIDE,
    PictureSignature,
    face_signature,
    image_thumbnail,
    same_picture,
)
from faceatlas.research.thresholds import CurateThresholds
from faceatlas.research.verify import second_opinion


@dataclass
class CurateReport:
    """The verdicts (``to_dict`` is the ``curate --json`` contract, plus the embedder and thresholds)."""

    files: list[FileVerdict]
    identities: list[IdentityVerdict]
    thresholds: CurateThresholds
    embedder: str = ""
    seconds: float = 0.0
    analysed: int = 0  # files this run analysed (the rest came from the atlas of an earlier run)
    medoids: dict[str, str] = field(default_factory=dict)  # identity → file of its core's medoid

    def to_dict(self) -> dict:
        return {
            "embedder": self.embedder,
            "thresholds": self.thresholds.to_dict(),
            "files": [f.to_dict() for f in self.files],
            "identities": [i.to_dict() for i in self.identities],
        }

    def flagged(self, flag: str) -> list[FileVerdict]:
        return [f for f in self.files if flag in f.flags]


def _significant(faces: list[FoundFace], ratio: float) -> list[int]:
    """Indices of faces at least ``ratio`` of the largest face's width (the largest first)."""
    if not faces:
        return []
    widths = [f.bbox.width for f in faces]
    top = int(np.argmax(widths))
    return [top] + [i for i, w in enumerate(widths) if i != top and w >= ratio * widths[top]]


def _geometry_flags(face: FoundFace, t: CurateThresholds) -> list[str]:
    flags = []
    if min(face.bbox.width, face.bbox.height) < t.small_face:
        flags.append("small_face")
    if face.quality is not None and face.quality < t.low_quality:
        flags.append("low_quality")
    if face.pose is not None and (abs(face.pose.yaw) > t.max_yaw or abs(face.pose.pitch) > t.max_pitch):
        flags.append("extreme_pose")
    return flags


Signature = Callable[[DatasetFile, int], "PictureSignature | None"]


def _file_signature(item: DatasetFile, face: int) -> PictureSignature | None:
    found = item.faces[face]
    return face_signature(item.path, found.bbox, found.landmarks5)


FaceCheck = Callable[[DatasetFile, int], bool]
Thumbnail = Callable[[DatasetFile], "np.ndarray | None"]


def _file_thumbnail(item: DatasetFile) -> np.ndarray | None:
    return None if item.error else image_thumbnail(item.path)


def _file_face_check(item: DatasetFile, face: int) -> bool:
    return second_opinion(item.path, item.faces[face].bbox)


def _confirmed(item: DatasetFile, faces: list[int], t: CurateThresholds, check: FaceCheck) -> list[int]:
    """``faces`` less those the detector was unsure of (score below ``t.second_opinion_below``) and
    a second detector does not see (the "faces" found in faceless pictures)."""
    keep = []
    for k in faces:
        score = item.faces[k].score
        if score is None or score >= t.second_opinion_below or check(item, k):
            keep.append(k)
    return keep


def judge(
    files: list[DatasetFile],
    thresholds: CurateThresholds,
    embedder: str = "",
    signature: Signature | None = None,
    face_check: FaceCheck | None = None,
    thumbnail: Thumbnail | None = None,
) -> CurateReport:
    """Flag ``files`` (see the issue's list of flags and :class:`CurateThresholds`). ``signature``
    gives a file's picture signature for near-duplicate checks (default: read from its path; called
    only for the few pairs whose faces are within the duplicate distance); ``face_check`` says
    whether a second detector sees a face the first was unsure of (default: dlib on a crop read
    from its path; called only for faces scored below ``second_opinion_below``); ``thumbnail`` gives
    a file's whole-picture thumbnail (default: read from its path; called for every file unless
    ``duplicate_image`` is 1 or more)."""
    t = thresholds
    check = face_check or _file_face_check
    files = sorted(files, key=lambda f: f.file)
    verdicts = [FileVerdict(f.file, f.identity) for f in files]
    candidates = [_confirmed(f, _significant(f.faces, t.second_face), t, check) for f in files]
    for v, cands in zip(verdicts, candidates, strict=True):
        if not cands:
            v.flags.append("no_face")
        else:
            v.face = cands[0]
            if len(cands) > 1:
                v.flags.append("multiple_faces")

    by_identity: dict[str, list[int]] = {}
    for i, f in enumerate(files):
        by_identity.setdefault(f.identity, []).append(i)
    centres: dict[str, np.ndarray] = {}
    medoids: dict[str, str] = {}
    cores: dict[str, int] = {}
    judged: dict[str, list[int]] = {}  # identity with a consensus → its files with a face
    for identity, members in by_identity.items():
        with_face = [i for i in members if verdicts[i].face is not None]
        if not identity or not with_face:
            continue
        vecs = np.stack([files[i].faces[verdicts[i].face].embedding for i in with_face])
        cons: Consensus = identity_consensus(vecs, t.core)
        if cons.centre is None:
            centres[identity] = vecs.mean(axis=0)  # for look-alikes only
            continue
        centres[identity] = cons.centre
        medoids[identity] = files[with_face[cons.medoid]].file
        cores[identity] = len(cons.core)
        judged[identity] = with_face
    _mark_mislabelled(files, verdicts, candidates, {k: centres[k] for k in judged}, judged, t)

    for v, f in zip(verdicts, files, strict=True):
        if v.face is not None:
            v.flags.extend(_geometry_flags(f.faces[v.face], t))

    has = np.array([v.face is not None for v in verdicts])
    dim = next((len(f.faces[0].embedding) for f in files if f.faces), 1)
    vectors = np.zeros((len(files), dim), dtype=np.float32)
    for i, (v, f) in enumerate(zip(verdicts, files, strict=True)):
        if v.face is not None:
            vectors[i] = f.faces[v.face].embedding
    sig = signature or _file_signature
    memo: dict[int, PictureSignature | None] = {}

    def picture(i: int) -> PictureSignature | None:
        if i not in memo:
            memo[i] = sig(files[i], verdicts[i].face)
        return memo[i]

    def looks_same(i: int, j: int) -> bool:
        return same_picture(picture(i), picture(j), t.duplicate_picture, t.duplicate_box)

    thumbs = None
    if t.duplicate_image < 1.0:
        thumbs = np.zeros((len(files), THUMB_SIDE * THUMB_SIDE), dtype=np.float32)
        for i, f in enumerate(files):
            row = (thumbnail or _file_thumbnail)(f)
            if row is not None:
                thumbs[i] = row
    dups = duplicate_of(
        [f.file for f in files],
        [f.sha256 for f in files],
        vectors,
        has,
        t.duplicate,
        confirm=looks_same,
        thumbnails=thumbs,
        thumbnail_min=t.duplicate_image,
        thumbnail_radius=t.duplicate_image_faces,
    )
    for v in verdicts:
        if v.file in dups:
            v.duplicate_of = dups[v.file]
            v.flags.append("duplicate")

    looks = _look_alikes(centres, t.looks_like)
    identities = []
    for identity in sorted(by_identity):
        members = by_identity[identity]
        identities.append(
            IdentityVerdict(
                identity=identity,
                files=len(members),
                flagged=sum(1 for i in members if verdicts[i].flags),
                looks_like=looks.get(identity, []),
                core=cores.get(identity, 0),
            )
        )
    return CurateReport(verdicts, identities, t, embedder, medoids=medoids)


def _mark_mislabelled(
    files: list[DatasetFile],
    verdicts: list[FileVerdict],
    candidates: list[list[int]],
    centres: dict[str, np.ndarray],
    judged: dict[str, list[int]],
    t: CurateThresholds,
) -> None:
    """The two-part rule of data-set cleaners: a photo is mislabelled when it lies ``t.nearer_other``
    times farther from its identity's centre than from another identity's (it belongs there), or
    farther than ``t.mislabelled`` from its own (someone not in the set). Of several faces, the one
    nearest the identity's centre stands for the file."""
    order: list[tuple[int, int]] = []  # (file, index of its identity among the centres)
    names = sorted(centres)
    for me, identity in enumerate(names):
        centre = centres[identity]
        for i in judged[identity]:
            faces = files[i].faces
            best = min(candidates[i], key=lambda k: float(np.linalg.norm(faces[k].embedding - centre)))
            verdicts[i].face = best
            verdicts[i].distance_to_identity = float(
                np.linalg.norm(np.asarray(faces[best].embedding, dtype=np.float64) - centre)
            )
            order.append((i, me))
    if not order:
        return
    nearest_other = _nearest_other_centre(
        np.stack([files[i].faces[verdicts[i].face].embedding for i, _ in order]),
        np.stack([centres[n] for n in names]),
        np.array([me for _, me in order]),
    )
    for (i, _), other in zip(order, nearest_other, strict=True):
        d = verdicts[i].distance_to_identity
        if d > t.mislabelled or d > t.nearer_other * other:
            verdicts[i].flags.append("mislabelled")


def _nearest_other_centre(vectors: np.ndarray, centres: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Per vector, the distance to the nearest of ``centres`` other than its ``own`` (inf when there
    is no other; FAISS kNN, so it scales to many identities)."""
    out = np.full(len(vectors), np.inf)
    if len(centres) < 2:
        return out
    index = faiss.IndexFlatL2(centres.shape[1])
    index.add(np.ascontiguousarray(centres, dtype=np.float32))
    dist2, nbrs = index.search(np.ascontiguousarray(vectors, dtype=np.float32), 2)
    first_is_own = nbrs[:, 0] == own
    other = np.where(first_is_own, dist2[:, 1], dist2[:, 0])
    return np.sqrt(np.maximum(other, 0.0))


def _look_alikes(centres: dict[str, np.ndarray], radius: float, k: int = 6) -> dict[str, list[LookAlike]]:
    """identity → the other identities whose centre lies within ``radius`` (nearest first; FAISS kNN)."""
    names = sorted(centres)
    if len(names) < 2:
        return {}
    x = np.ascontiguousarray(np.stack([centres[n] for n in names]), dtype=np.float32)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    dist2, nbrs = index.search(x, min(k + 1, len(names)))
    out: dict[str, list[LookAlike]] = {}
    for q, name in enumerate(names):
        found = [
            LookAlike(names[j], float(np.sqrt(max(d2, 0.0))))
            for d2, j in zip(dist2[q], nbrs[q], strict=True)
            if j >= 0 and j != q and np.sqrt(max(d2, 0.0)) <= radius
        ]
        if found:
            out[name] = found
    return out
