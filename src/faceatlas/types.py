"""Data records passed between the stages of faceatlas (plain dataclasses, no behaviour beyond views)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import astuple, dataclass, field
from typing import Any, overload

import numpy as np


@dataclass(frozen=True)
class BBox:
    """An axis-aligned box in original-image pixels, (x1, y1) inclusive, (x2, y2) exclusive.

    It behaves as the tuple ``(x1, y1, x2, y2)`` too: ``x1, y1, x2, y2 = face.bbox``, ``bbox[2]``,
    ``len(bbox)``, ``np.asarray(bbox)`` (the pickled layout is the dataclass's, unchanged)."""

    x1: float
    y1: float
    x2: float
    y2: float

    def __iter__(self) -> Iterator[float]:
        return iter(astuple(self))

    def __len__(self) -> int:
        return 4

    @overload
    def __getitem__(self, index: int) -> float: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[float, ...]: ...
    def __getitem__(self, index: int | slice) -> float | tuple[float, ...]:
        return astuple(self)[index]

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)

    def scaled(self, factor: float) -> BBox:
        return BBox(self.x1 * factor, self.y1 * factor, self.x2 * factor, self.y2 * factor)

    def iou(self, other: BBox) -> float:
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def to_list(self) -> list[float]:
        return [round(self.x1, 1), round(self.y1, 1), round(self.x2, 1), round(self.y2, 1)]


@dataclass(frozen=True)
class Detection:
    """One face found by a detector: box, confidence and optional keypoints (N x 2, image pixels)."""

    bbox: BBox
    score: float
    keypoints: np.ndarray | None = None
    detector: str = ""


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees. yaw > 0: the face turns towards the image's right; pitch > 0: chin up;
    roll > 0: the face is rotated clockwise in the image."""

    yaw: float
    pitch: float
    roll: float

    def to_dict(self) -> dict[str, float]:
        return {"yaw": round(self.yaw, 2), "pitch": round(self.pitch, 2), "roll": round(self.roll, 2)}


@dataclass
class Face:
    """Everything faceatlas knows about one face in one image."""

    bbox: BBox
    score: float
    # (5, 2) px: eye centres, nose tip, mouth corners (each pair left to right in the image)
    landmarks5: np.ndarray | None = None
    landmarks68: np.ndarray | None = None  # (68, 2) px, iBUG 300-W layout
    pose: Pose | None = None
    quality: float | None = None
    quality_parts: dict[str, float] = field(default_factory=dict)
    embedding: np.ndarray | None = None
    detector: str = ""
    embedder: str = ""  # the identity space of ``embedding`` ("name/version")
    frame_ms: int | None = None  # in a video: the time of the frame this face was taken from
    attributes: dict[str, Any] = field(default_factory=dict)  # what the attribute heads say (gender, age, ...)
    mesh: np.ndarray | None = None  # (468, 3) dense mesh: x, y in original-image px, z relative, same scale
    iris: np.ndarray | None = None  # (10, 3): 5 points per iris (centre first), same frame as ``mesh``
    span_ms: tuple[int, int] | None = None  # in a video: (first, last) time of the face's track

    def to_dict(self, embedding: bool = False) -> dict[str, Any]:
        """JSON-ready view; the embedding is included only when asked (it is long)."""
        out: dict[str, Any] = {
            "bbox": self.bbox.to_list(),
            "score": round(float(self.score), 4),
            "landmarks5": None
            if self.landmarks5 is None
            else [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks5],
            "pose": self.pose.to_dict() if self.pose else None,
            "quality": None if self.quality is None else round(float(self.quality), 4),
        }
        out["attributes"] = {k: _jsonable(v) for k, v in self.attributes.items()}
        if self.frame_ms is not None:
            out["frame_ms"] = self.frame_ms
        if self.span_ms is not None:
            out["start_ms"], out["end_ms"] = self.span_ms
        if self.mesh is not None:
            out["mesh"] = np.round(self.mesh, 2).tolist()
        if self.iris is not None:
            out["iris"] = np.round(self.iris, 2).tolist()
        if embedding and self.embedding is not None:
            out["embedding"] = [round(float(v), 6) for v in self.embedding]
        return out


def _jsonable(value: Any) -> Any:
    """Attribute values as JSON: floats rounded, numpy scalars unwrapped, dicts recursively."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 4)
    return value


@dataclass(frozen=True)
class Verification:
    """The answer to "are these the same person?"."""

    same: bool
    distance: float
    threshold: float
    similarity: float
    false_match_rate: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "same": self.same,
            "distance": round(self.distance, 6),
            "threshold": self.threshold,
            "similarity": round(self.similarity, 6),
            "false_match_rate": self.false_match_rate,
        }
