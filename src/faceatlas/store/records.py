"""Rows of the atlas as dataclasses (what the store hands to the rest of faceatlas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from faceatlas.types import BBox


@dataclass(frozen=True)
class ImageRecord:
    id: int
    path: str
    size: int | None
    mtime_ns: int | None
    sha256: str | None
    status: str
    error: str | None


@dataclass(frozen=True)
class FaceRecord:
    id: int
    image_id: int
    image_path: str
    bbox: BBox
    score: float
    quality: float | None
    embedding: np.ndarray
    person_id: int | None = None
    source: str | None = None
    confidence: float | None = None
    frame_ms: int | None = None  # faces from videos: the time of their frame
    attributes: dict[str, Any] = field(default_factory=dict)  # what the heads said ({} when none ran)
    embedder: str | None = None  # identity space key of ``embedding``
    start_ms: int | None = None  # faces from videos: the time range of their track
    end_ms: int | None = None

    def to_dict(self) -> dict:
        out = {
            "id": self.id,
            "image": self.image_path,
            "bbox": self.bbox.to_list(),
            "quality": None if self.quality is None else round(self.quality, 4),
            "attributes": self.attributes,
        }
        if self.frame_ms is not None:
            out["frame_ms"] = self.frame_ms
        if self.start_ms is not None:
            out["start_ms"], out["end_ms"] = self.start_ms, self.end_ms
        return out


@dataclass(frozen=True)
class PersonRecord:
    id: int
    name: str | None
    face_count: int
    cover_face_id: int | None = None  # the person's best-quality live face
    state: str = "shown"  # "hidden": left out of pages and review; "deleted": faces released


@dataclass(frozen=True)
class Constraint:
    kind: str  # "must" | "cannot"
    face_id: int
    person_id: int
