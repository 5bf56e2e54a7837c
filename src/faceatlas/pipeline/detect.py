"""The detection stage: run a detector on a reduced view of the image, optionally on overlapping
tiles for small faces, merge, map boxes back to full resolution, retry rotated photos, and decide
which way up each face is (:mod:`faceatlas.pipeline.orientation`). It returns faces in original-image
pixels; views, tiles and turns live here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from faceatlas.io.images import DecodedImage
from faceatlas.models import load
from faceatlas.models.registry import ModelOptions
from faceatlas.pipeline.context import AnalysisContext, FaceWork
from faceatlas.pipeline.geometry import (
    box_of,
    corners,
    rotate_array,
    rotate_points,
    unrotate_box,
    unrotate_points,
)
from faceatlas.pipeline.orientation import RESCORER, square_crop, upright_turn
from faceatlas.types import BBox, Detection, Face

REDETECT_CROP = 2.5  # crop side / face size when a face seen sideways is detected again upright

# Measured on ../shared/data with `faceatlas eval detection` (see README): the default.
AUTO_DETECTOR = "blazeface-full"
FALLBACK_DETECTOR = "dlib-hog"


@dataclass(frozen=True)
class DetectorConfig:
    """How to detect: which model, at which working size, with or without tiles."""

    model: str = "auto"
    max_side: int = 1024
    tiles: int = 2  # n x n overlapping tiles besides the whole view, for fixed-input detectors (1 = none)
    min_size: int = 20  # faces smaller than this (full-resolution px) are dropped
    upsample: float = 1.0  # enlarge the working view first (2.0 = dlib's "upsample once")
    rotate_retry: bool = True
    retry_below: float = 0.7  # no face this sure upright: also look in the view turned 90/180/270°
    nms_iou: float = 0.4

    @property
    def model_name(self) -> str:
        """The detector to run; ``auto`` is BlazeFace full range (never a silent fallback: a missing
        default model raises ``ModelUnavailableError`` saying `faceatlas models install default`)."""
        return _auto_detector() if self.model == "auto" else self.model


@lru_cache(maxsize=1)  # a missing model raises, and is not cached: installing it later is seen
def _auto_detector() -> str:
    from faceatlas.models.install import require_default_models

    require_default_models()
    return AUTO_DETECTOR


@dataclass
class DetectResult:
    """Each detection in the full-resolution pixels of the image turned clockwise by its rotation
    (0 unless it was found in a turned view)."""

    detections: list[Detection]
    rotations: list[int]
    # per detection: the same face as found in other turned views (rotation → detection in that frame)
    alternatives: list[dict[int, Detection]] = field(default_factory=list)

    def in_frame(self, i: int, rotation: int) -> Detection | None:
        """Detection ``i`` as the detector found it in the view turned by ``rotation``, if it did."""
        if rotation == self.rotations[i]:
            return self.detections[i]
        return self.alternatives[i].get(rotation) if self.alternatives else None

    def upright(self) -> list[Detection]:
        """The detections found in the image as it is."""
        return [d for d, r in zip(self.detections, self.rotations) if r == 0]


def _keep(boxes: list[BBox], scores: list[float], iou: float) -> list[int]:
    """Greedy non-maximum suppression by score: the indices kept, best first."""
    kept: list[int] = []
    for i in sorted(range(len(boxes)), key=lambda i: -scores[i]):
        if all(boxes[i].iou(boxes[k]) <= iou and not _contains(boxes[k], boxes[i]) for k in kept):
            kept.append(i)
    return kept


def nms(dets: list[Detection], iou: float) -> list[Detection]:
    """Greedy non-maximum suppression by score."""
    return [dets[i] for i in _keep([d.bbox for d in dets], [d.score for d in dets], iou)]


def _contains(outer: BBox, inner: BBox) -> bool:
    """True when most of ``inner`` lies inside ``outer`` (a tile-cut partial face)."""
    ix = max(0.0, min(outer.x2, inner.x2) - max(outer.x1, inner.x1))
    iy = max(0.0, min(outer.y2, inner.y2) - max(outer.y1, inner.y1))
    return inner.area > 0 and ix * iy / inner.area > 0.7


def _shift(det: Detection, dx: float, dy: float, scale: float) -> Detection:
    b = det.bbox
    box = BBox((b.x1 + dx) * scale, (b.y1 + dy) * scale, (b.x2 + dx) * scale, (b.y2 + dy) * scale)
    kp = None if det.keypoints is None else (det.keypoints + np.array([dx, dy], dtype=np.float32)) * scale
    return Detection(box, det.score, kp, det.detector)


def detect_in_view(
    view: np.ndarray, scale: float, config: DetectorConfig, options: ModelOptions | None = None
) -> list[Detection]:
    """Detections in ``view`` (whole and tiles), mapped to full resolution by ``scale``."""
    detector = load(config.model_name, options)
    found = [_shift(d, 0, 0, scale) for d in detector.detect(view)]
    h, w = view.shape[:2]
    n = config.tiles
    if n > 1 and max(h, w) >= 256 and getattr(detector, "fixed_input", False):
        th, tw = int(h / n * 1.4), int(w / n * 1.4)
        for ty in np.linspace(0, h - th, n).astype(int):
            for tx in np.linspace(0, w - tw, n).astype(int):
                tile = view[ty : ty + th, tx : tx + tw]
                found += [_shift(d, float(tx), float(ty), scale) for d in detector.detect(tile)]
    found = [d for d in found if min(d.bbox.width, d.bbox.height) >= config.min_size]
    return nms(found, config.nms_iou)


def detect_faces(image: DecodedImage, config: DetectorConfig, options: ModelOptions | None = None) -> DetectResult:
    """Detect on a reduced view; when no face there is sure (score below ``retry_below``), also in the
    view turned 90/270/180°, merging all by non-maximum suppression in original pixels (a sideways
    photo's faces score higher in the view where they are upright)."""
    view, scale = image.reduced(config.max_side)
    if config.upsample != 1.0:
        import cv2

        view = cv2.resize(view, None, fx=config.upsample, fy=config.upsample, interpolation=cv2.INTER_LINEAR)
        scale /= config.upsample
    dets = detect_in_view(view, scale, config, options)
    if not config.rotate_retry or max((d.score for d in dets), default=0.0) >= config.retry_below:
        return DetectResult(dets, [0] * len(dets))
    rotations = [0] * len(dets)
    for degrees in (90, 270, 180):
        turned = detect_in_view(rotate_array(view, degrees), scale, config, options)
        dets += turned
        rotations += [degrees] * len(turned)
    boxes = [unrotate_box(d.bbox, r, image.size) for d, r in zip(dets, rotations)]
    kept = _keep(boxes, [d.score for d in dets], config.nms_iou)
    alternatives: list[dict[int, Detection]] = [{} for _ in kept]
    for i in sorted(set(range(len(dets))) - set(kept), key=lambda i: -dets[i].score):
        overlaps = [boxes[i].iou(boxes[k]) for k in kept]
        j = int(np.argmax(overlaps)) if overlaps else -1
        if j >= 0 and overlaps[j] > config.nms_iou and rotations[i] != rotations[kept[j]]:
            alternatives[j].setdefault(rotations[i], dets[i])
    return DetectResult([dets[i] for i in kept], [rotations[i] for i in kept], alternatives)


def _turned_detection(det: Detection, rotation: int, turn: int, size: tuple[int, int]) -> Detection:
    """``det``, found in the image turned by ``rotation``, in the image turned by ``turn``."""
    if turn == rotation:
        return det
    pts, kps = corners(det.bbox), det.keypoints
    if rotation:
        pts = unrotate_points(pts, rotation, size)
        kps = None if kps is None else unrotate_points(kps, rotation, size)
    pts = rotate_points(pts, turn, size)
    kps = None if kps is None else rotate_points(kps, turn, size)
    return Detection(box_of(pts), det.score, kps, det.detector)


class DetectionStage:
    """The first stage: faces in original-image pixels, and for each the turn that makes it upright
    with its detection in that upright frame (``ctx.work``), for the stages that follow."""

    name = "detection"
    provides = frozenset({"detection"})

    def __init__(self, config: DetectorConfig, options: ModelOptions | None = None) -> None:
        self.config = config
        self.options = options

    def detections(self, image: DecodedImage) -> list[Detection]:
        """Detections in original-image pixels (for a face found only after rotating the image: the
        rotated box's extent in the original)."""
        result = detect_faces(image, self.config, self.options)
        out = []
        for d, rotation in zip(result.detections, result.rotations):
            kp = None if d.keypoints is None else unrotate_points(d.keypoints, rotation, image.size)
            out.append(Detection(unrotate_box(d.bbox, rotation, image.size), d.score, kp, d.detector))
        return out

    def _redetect(self, frame: np.ndarray, det: Detection) -> Detection:
        """The main detector's box of the face of ``det`` on an upright crop around it (its boxes are
        what the landmark box mapping is measured for); ``det`` when it finds none there."""
        crop, x0, y0 = square_crop(frame, det, REDETECT_CROP)
        found = [_shift(d, float(x0), float(y0), 1.0) for d in load(self.config.model_name, self.options).detect(crop)]
        best = max(found, key=lambda d: d.bbox.iou(det.bbox), default=None)
        return best if best is not None and best.bbox.iou(det.bbox) > 0.3 else det

    def run(self, ctx: AnalysisContext) -> list[Face]:
        """Detect, decide each face's upright turn, and fill ``ctx.work``; faces in original pixels."""
        result = detect_faces(ctx.image, self.config, self.options)
        faces: list[Face] = []
        rescorer = None
        for i, (det, rotation) in enumerate(zip(result.detections, result.rotations)):
            extra = 0
            if det.keypoints is not None and self.config.rotate_retry:
                rescorer = rescorer or load(RESCORER, self.options)
                extra, det = upright_turn(ctx.turned(rotation), det, rescorer)
            turn = (rotation + extra) % 360
            upright = result.in_frame(i, turn)  # the detector's own box where the face is upright: best
            if upright is None:
                upright = _turned_detection(det, rotation, turn, ctx.image.size)
                if extra:  # the face was seen sideways: look again, upright, with the main detector
                    upright = self._redetect(ctx.turned(turn), upright)
            ctx.work.append(FaceWork(turn=turn, detection=upright))
            box = unrotate_box(upright.bbox, turn, ctx.image.size)
            faces.append(Face(bbox=box, score=det.score, detector=det.detector))
        return faces
