"""The detection stage: run a detector on a reduced view of the image, optionally on overlapping
tiles for small faces, merge, map boxes back to full resolution, and retry rotated photos."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from faceatlas.io.images import DecodedImage
from faceatlas.models import is_available, load
from faceatlas.types import BBox, Detection

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
    nms_iou: float = 0.4

    @property
    def model_name(self) -> str:
        """The detector to run; ``auto`` is BlazeFace full range, or dlib HOG while BlazeFace's
        weights are not installed (`faceatlas models install blazeface-full`)."""
        return _auto_detector() if self.model == "auto" else self.model


@lru_cache(maxsize=1)
def _auto_detector() -> str:
    if is_available(AUTO_DETECTOR):
        return AUTO_DETECTOR
    logging.getLogger("faceatlas").warning(
        "%s is not installed (`faceatlas models install %s`): detecting with %s, which misses small faces",
        AUTO_DETECTOR,
        AUTO_DETECTOR,
        FALLBACK_DETECTOR,
    )
    return FALLBACK_DETECTOR


@dataclass
class DetectResult:
    """Detections in the coordinates of the image rotated by ``rotation`` degrees clockwise
    (0 unless the rotated retry found the faces)."""

    detections: list[Detection]
    rotation: int


def rotate_array(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by a multiple of 90 degrees."""
    return np.ascontiguousarray(np.rot90(rgb, k=-(degrees // 90) % 4))


def unrotate_points(points: np.ndarray, degrees: int, size: tuple[int, int]) -> np.ndarray:
    """Map (N, 2) points from an image rotated clockwise by ``degrees`` back to the original,
    whose (width, height) is ``size``."""
    w, h = size
    x, y = points[:, 0], points[:, 1]
    d = degrees % 360
    if d == 0:
        return points.copy()
    if d == 90:  # rotated image is h wide: (x', y') = (h - y, x)
        return np.stack([y, h - x], axis=1)
    if d == 180:
        return np.stack([w - x, h - y], axis=1)
    return np.stack([w - y, x], axis=1)  # 270


def rotate_points(points: np.ndarray, degrees: int, size: tuple[int, int]) -> np.ndarray:
    """Map (N, 2) points of an image of (width, height) ``size`` into that image rotated clockwise
    by ``degrees`` (the inverse of :func:`unrotate_points`)."""
    w, h = size
    x, y = points[:, 0], points[:, 1]
    d = degrees % 360
    if d == 0:
        return points.copy()
    if d == 90:
        return np.stack([h - y, x], axis=1)
    if d == 180:
        return np.stack([w - x, h - y], axis=1)
    return np.stack([y, w - x], axis=1)


def nms(dets: list[Detection], iou: float) -> list[Detection]:
    """Greedy non-maximum suppression by score."""
    kept: list[Detection] = []
    for det in sorted(dets, key=lambda d: -d.score):
        if all(det.bbox.iou(k.bbox) <= iou and not _contains(k.bbox, det.bbox) for k in kept):
            kept.append(det)
    return kept


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


def detect_in_view(view: np.ndarray, scale: float, config: DetectorConfig) -> list[Detection]:
    """Detections in ``view`` (whole and tiles), mapped to full resolution by ``scale``."""
    detector = load(config.model_name)
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


def detect_faces(image: DecodedImage, config: DetectorConfig) -> DetectResult:
    """Detect on a reduced view; if nothing is found, retry the view rotated by 90/180/270."""
    view, scale = image.reduced(config.max_side)
    if config.upsample != 1.0:
        import cv2

        view = cv2.resize(view, None, fx=config.upsample, fy=config.upsample, interpolation=cv2.INTER_LINEAR)
        scale /= config.upsample
    dets = detect_in_view(view, scale, config)
    if dets or not config.rotate_retry:
        return DetectResult(dets, 0)
    for degrees in (90, 270, 180):
        dets = detect_in_view(rotate_array(view, degrees), scale, config)
        if dets:
            return DetectResult(dets, degrees)
    return DetectResult([], 0)
