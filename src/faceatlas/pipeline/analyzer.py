"""FaceAnalyzer: one object that runs the model bundle over an image and returns Face records.

detect (reduced view) → landmarks (full resolution) → 5 points, pose → aligned chip → embedding
(batched over the faces of the image, optional flip test-time augmentation) → quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faceatlas.identity.calibration import calibration
from faceatlas.io.images import DecodedImage, ImageLimits, ImageSource, open_image
from faceatlas.models import load
from faceatlas.pipeline.align import face_chip, five_points, landmark_box
from faceatlas.pipeline.detect import (
    DetectorConfig,
    detect_faces,
    rotate_array,
    rotate_points,
    unrotate_points,
)
from faceatlas.pipeline.pose import head_pose
from faceatlas.pipeline.quality import combine, quality_parts
from faceatlas.types import BBox, Detection, Face

# Bumped by every change that alters what analyze() returns for the same configuration (evaluation
# caches are keyed by it; stored vectors are keyed by the embedder's version).
ANALYSIS_REVISION = "1"


@dataclass(frozen=True)
class AnalyzerConfig:
    """Which models run and how; every field has a measured default."""

    detector: DetectorConfig = DetectorConfig()
    landmarker: str = "dlib-68pt"
    embedder: str = "dlib-resnet-onnx"  # "dlib-resnet" runs dlib itself (the reference; same outputs)
    flip_tta: bool = False


class FaceAnalyzer:
    """Runs detection, landmarks, pose, alignment, embedding and quality over images.

    >>> faces = FaceAnalyzer().analyze("photo.jpg")   # doctest: +SKIP
    """

    def __init__(self, config: AnalyzerConfig | None = None, limits: ImageLimits | None = None) -> None:
        self.config = config or AnalyzerConfig()
        self.limits = limits or ImageLimits()

    @property
    def embedder_name(self) -> str:
        emb = load(self.config.embedder)
        return f"{emb.name}/{emb.version}"

    def open(self, source: ImageSource) -> DecodedImage:
        return source if isinstance(source, DecodedImage) else open_image(source, self.limits)

    def detect(self, source: ImageSource | DecodedImage) -> list[Detection]:
        """Detections in original-image pixels (boxes of faces found only after rotating the image
        are the rotated boxes' extents in the original image)."""
        image = self.open(source)
        result = detect_faces(image, self.config.detector)
        if result.rotation == 0:
            return result.detections
        out = []
        for d in result.detections:
            kp = None if d.keypoints is None else unrotate_points(d.keypoints, result.rotation, image.size)
            out.append(Detection(_unrotate_box(d.bbox, result.rotation, image.size), d.score, kp, d.detector))
        return out

    def analyze(self, source: ImageSource | DecodedImage, embed: bool = True) -> list[Face]:
        """All faces of an image, largest first."""
        return [face for face, _ in self.analyze_with_chips(source, embed)]

    def analyze_with_chips(
        self, source: ImageSource | DecodedImage, embed: bool = True
    ) -> list[tuple[Face, np.ndarray]]:
        """Faces, largest first, each with the aligned chip the embedder saw (for thumbnails,
        calibration and debugging)."""
        image = self.open(source)
        result = detect_faces(image, self.config.detector)
        if not result.detections:
            return []
        full = image.full()
        rotated: dict[int, np.ndarray] = {0: full}

        def turned(degrees: int) -> np.ndarray:  # the full image turned clockwise, made once per angle
            if degrees not in rotated:
                rotated[degrees] = rotate_array(full, degrees)
            return rotated[degrees]

        landmarker = load(self.config.landmarker)
        embedder = load(self.config.embedder) if embed else None
        chip_size = embedder.chip_size if embedder else 150
        chip_pad = embedder.chip_padding if embedder else 0.25
        faces: list[Face] = []
        chips: list[np.ndarray] = []
        for found in result.detections:
            # Work on the face upright: the image-level retry rotation, plus a per-face quarter turn
            # when the detector's eye keypoints say the face lies on its side.
            extra = self._quarter_turns(turned(result.rotation), found)
            det, turn = _upright(found, result.rotation, image.size, extra)
            work = turned(turn)
            pts = landmarker.landmarks(work, landmark_box(det.bbox, det.detector))
            chip = face_chip(work, det.bbox, pts, chip_size, chip_pad)
            box = _unrotate_box(det.bbox, turn, image.size)
            if turn:
                pts = unrotate_points(pts, turn, image.size)
            pts5 = five_points(pts)
            pose = head_pose(pts, image.size) if len(pts) == 68 else None
            faces.append(
                Face(
                    bbox=box,
                    score=det.score,
                    landmarks5=pts5,
                    landmarks68=pts if len(pts) == 68 else None,
                    pose=pose,
                    detector=det.detector,
                )
            )
            chips.append(chip)
        if embedder is not None:
            vectors = self._embed(embedder, chips)
            for face, vec in zip(faces, vectors):
                face.embedding = vec
                face.embedder = f"{embedder.name}/{embedder.version}"
        cal = calibration()
        for face, chip in zip(faces, chips):
            face.quality_parts = quality_parts(face.landmarks5, chip, face.pose, face.embedding, cal)
            face.quality = round(combine(face.quality_parts), 4)
        order = sorted(range(len(faces)), key=lambda i: -faces[i].bbox.area)
        return [(faces[i], chips[i]) for i in order]

    def _quarter_turns(self, work: np.ndarray, det: Detection) -> int:
        """Extra clockwise turn (0/90/180/270) that makes this face upright; ``work`` is the image in
        the frame ``det`` was found in. Faces the detector saw upright (eyes level, high score) need
        none; others are re-detected on a crop turned four ways and the turn with the best score wins.
        Keypoint-free detectors rely on the image-level retry."""
        if det.keypoints is None or len(det.keypoints) < 2:
            return 0
        dx, dy = det.keypoints[1] - det.keypoints[0]  # subject's right eye -> left eye
        if abs(np.degrees(np.arctan2(dy, dx))) < 30 and det.score >= 0.85:
            return 0
        cx, cy = det.bbox.center
        half = max(det.bbox.width, det.bbox.height)
        x1, y1 = int(max(0, cx - half)), int(max(0, cy - half))
        crop = work[y1 : int(cy + half), x1 : int(cx + half)]
        detector = load(self.config.detector.model_name)
        best, best_turn = -1.0, 0
        for turn in (0, 90, 180, 270):
            for d in detector.detect(rotate_array(crop, turn)):
                if d.score > best and d.keypoints is not None:
                    ex, ey = d.keypoints[1] - d.keypoints[0]
                    if abs(np.degrees(np.arctan2(ey, ex))) < 45:
                        best, best_turn = d.score, turn
        return best_turn

    def _embed(self, embedder, chips: list[np.ndarray]) -> np.ndarray:
        if not self.config.flip_tta:
            return embedder.embed_chips(chips)
        both = embedder.embed_chips(chips + [np.ascontiguousarray(c[:, ::-1]) for c in chips])
        n = len(chips)
        return ((both[:n] + both[n:]) / 2).astype(np.float32)


def _upright(det: Detection, rotation: int, size: tuple[int, int], extra: int) -> tuple[Detection, int]:
    """``det`` expressed in the image turned clockwise by ``turn`` degrees so that the face is
    upright, and ``turn``. ``det`` is given in the image turned by ``rotation``; ``extra`` is the
    further clockwise turn the face needs."""
    if extra == 0:
        return det, rotation
    turn = (rotation + extra) % 360
    # map the detection from the `rotation` frame to the original frame, then into the `turn` frame
    pts = _corners(det.bbox)
    kps = det.keypoints
    if rotation:
        pts = unrotate_points(pts, rotation, size)
        kps = unrotate_points(kps, rotation, size)
    pts, kps = rotate_points(pts, turn, size), rotate_points(kps, turn, size)
    return Detection(_box_of(pts), det.score, kps, det.detector), turn


def _corners(box: BBox) -> np.ndarray:
    return np.array([[box.x1, box.y1], [box.x2, box.y2]], dtype=np.float32)


def _unrotate_box(box: BBox, degrees: int, size: tuple[int, int]) -> BBox:
    """A box of the image turned clockwise by ``degrees``, in the original image of ``size``."""
    return _box_of(unrotate_points(_corners(box), degrees, size)) if degrees % 360 else box


def _box_of(points: np.ndarray) -> BBox:
    return BBox(
        float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()), float(points[:, 1].max())
    )
