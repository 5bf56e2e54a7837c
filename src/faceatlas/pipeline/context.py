"""What the stages of one analysis share: the image (and its quarter turns, made once each), and
per face the working state that never leaves the analyzer (its upright frame, landmarks and chip in
that frame)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from faceatlas.io.images import DecodedImage
from faceatlas.pipeline.geometry import rotate_array, unrotate_points
from faceatlas.types import Detection, Face


@dataclass
class FaceWork:
    """One face's working state, in the frame where it is upright (the image turned clockwise by
    ``turn`` degrees)."""

    turn: int
    detection: Detection
    landmarks: np.ndarray | None = None
    chip: np.ndarray | None = None


class AnalysisContext:
    """The image being analysed and the faces' working state, aligned with the list of faces."""

    def __init__(self, image: DecodedImage) -> None:
        self.image = image
        self.work: list[FaceWork] = []
        self._turned: dict[int, np.ndarray] = {}

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size

    def turned(self, degrees: int) -> np.ndarray:
        """The full-resolution image turned clockwise by ``degrees`` (made once per angle)."""
        degrees %= 360
        if degrees not in self._turned:
            full = self.image.full()
            self._turned[degrees] = full if degrees == 0 else rotate_array(full, degrees)
        return self._turned[degrees]

    def to_original(self, points: np.ndarray, i: int) -> np.ndarray:
        """Points of face ``i``'s upright frame in original-image pixels."""
        return unrotate_points(np.asarray(points, dtype=np.float32), self.work[i].turn, self.size)

    def upright(self, i: int, face: Face) -> tuple[np.ndarray, Face]:
        """Face ``i`` as the image it is upright in and a copy of the face in that frame's pixels
        (box and landmarks), for models that read a face the right way up."""
        w = self.work[i]
        if w.turn == 0:
            return self.turned(0), face
        from faceatlas.pipeline.align import five_points

        pts = w.landmarks
        moved = replace(
            face,
            bbox=w.detection.bbox,
            landmarks5=None if pts is None else five_points(pts),
            landmarks68=pts if pts is not None and len(pts) == 68 else None,
        )
        return self.turned(w.turn), moved
