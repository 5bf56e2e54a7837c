"""Typed records passed between the curation stages: what was found in each file of a
folder-per-identity data set, the thresholds that judge it, and the verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from faceatlas.types import BBox, Pose

FLAGS = ("no_face", "multiple_faces", "small_face", "low_quality", "extreme_pose", "duplicate", "mislabelled")
# files carrying any of these are left out of clean.txt
UNCLEAN_FLAGS = frozenset({"no_face", "multiple_faces", "mislabelled", "duplicate"})


@dataclass(frozen=True)
class FoundFace:
    """One face of a data-set file, as much as curation needs of it."""

    bbox: BBox
    embedding: np.ndarray
    quality: float | None = None
    pose: Pose | None = None
    score: float | None = None  # the detector's confidence
    landmarks5: np.ndarray | None = None  # (5, 2) px: eye centres, nose tip, mouth corners


@dataclass
class DatasetFile:
    """A file of the data set: ``file`` relative to the set's folder, ``identity`` its top folder."""

    file: str
    identity: str
    path: str  # where to read it (for thumbnails)
    faces: list[FoundFace] = field(default_factory=list)
    sha256: str | None = None
    error: str | None = None  # the file could not be read


@dataclass
class FileVerdict:
    file: str
    identity: str
    flags: list[str] = field(default_factory=list)
    distance_to_identity: float | None = None
    duplicate_of: str | None = None
    face: int | None = None  # which face of the file stands for it (index into DatasetFile.faces)

    def to_dict(self) -> dict:
        d = self.distance_to_identity
        return {
            "file": self.file,
            "identity": self.identity,
            "flags": list(self.flags),
            "distance_to_identity": None if d is None else round(d, 4),
            "duplicate_of": self.duplicate_of,
        }


@dataclass
class LookAlike:
    identity: str
    distance: float

    def to_dict(self) -> dict:
        return {"identity": self.identity, "distance": round(self.distance, 4)}


@dataclass
class IdentityVerdict:
    identity: str
    files: int
    flagged: int
    looks_like: list[LookAlike] = field(default_factory=list)
    core: int = 0  # photos in the agreeing core its centre was taken from (0: no consensus)

    def to_dict(self) -> dict:
        return {
            "identity": self.identity,
            "files": self.files,
            "flagged": self.flagged,
            "looks_like": [x.to_dict() for x in self.looks_like],
        }
