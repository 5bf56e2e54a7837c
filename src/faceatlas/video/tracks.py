"""What tracking produces: per track, the frames it is present in, and per video, its tracks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from faceatlas.types import BBox, Face


@dataclass
class TrackFrame:
    """One frame of a track: the face's box and 5 landmarks (smoothed), and whether the detector
    found it there (else the tracker carried it from the previous frame)."""

    index: int
    t_ms: int
    bbox: BBox
    landmarks5: np.ndarray | None
    detected: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_ms": self.t_ms,
            "bbox": self.bbox.to_list(),
            "landmarks5": None
            if self.landmarks5 is None
            else [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks5],
            "detected": self.detected,
        }


@dataclass
class FaceTrack:
    """One face followed through a video."""

    id: int
    frames: list[TrackFrame] = field(default_factory=list)
    best: Face | None = None  # the detected frame of highest quality (its embedding: that frame's)
    embedding: np.ndarray | None = None  # aggregated over the detected frames, weighted by quality
    detections: int = 0
    person: dict[str, Any] | None = None  # {"id", "name"} when an atlas knows the face
    samples: list[tuple[np.ndarray, float | None]] = field(default_factory=list)  # per detection: (embedding, quality)

    @property
    def start_ms(self) -> int:
        return self.frames[0].t_ms

    @property
    def end_ms(self) -> int:
        return self.frames[-1].t_ms

    @property
    def quality(self) -> float | None:
        return None if self.best is None or self.best.quality is None else round(float(self.best.quality), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "frames": [f.to_dict() for f in self.frames],
            "quality": self.quality,
            "person": self.person,
        }


@dataclass
class VideoTracks:
    """A video's tracks, numbered from 1 by first appearance."""

    video: str
    fps: float
    frames: int  # frames decoded
    width: int
    height: int
    tracks: list[FaceTrack]
    seconds: float = 0.0  # processing time

    def to_dict(self) -> dict[str, Any]:
        return {
            "video": self.video,
            "fps": round(self.fps, 3),
            "frames": self.frames,
            "tracks": [t.to_dict() for t in self.tracks],
        }
