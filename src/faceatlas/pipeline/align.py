"""Landmarks → aligned face chips, and the conventional 5 points derived from 68 landmarks."""

from __future__ import annotations

import numpy as np

from faceatlas.types import BBox

# The box each detector draws, mapped to the box dlib's shape predictors were trained on (dlib HOG
# boxes): (centre shift x, centre shift y) as fractions of the box size, then (scale x, scale y).
# Measured as medians over 97 faces of ../shared/data found by both BlazeFace and HOG.
LANDMARK_BOX = {
    "blazeface-full": (0.005, 0.022, 0.96, 0.95),
    "blazeface-short": (0.005, 0.022, 0.96, 0.95),
}


def landmark_box(box: BBox, detector: str) -> BBox:
    """The box to give the shape predictor for a face found by ``detector``."""
    dx, dy, sx, sy = LANDMARK_BOX.get(detector, (0.0, 0.0, 1.0, 1.0))
    cx, cy = box.center
    cx += dx * box.width
    cy += dy * box.height
    hw, hh = box.width * sx / 2, box.height * sy / 2
    return BBox(cx - hw, cy - hh, cx + hw, cy + hh)


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """(5, 2): centre of the eye on the image's left, centre of the other eye, nose tip, mouth corner
    on the image's left, other mouth corner — the layout most face tools call "5 landmarks".
    From 68 iBUG points, or dlib's own 5 points (eye corners + nose base; mouth estimated)."""
    if len(landmarks) == 68:
        return np.stack(
            [landmarks[36:42].mean(0), landmarks[42:48].mean(0), landmarks[30], landmarks[48], landmarks[54]]
        ).astype(np.float32)
    if len(landmarks) == 5:
        left_eye = landmarks[2:4].mean(0)
        right_eye = landmarks[0:2].mean(0)
        nose = landmarks[4]
        eye_mid = (left_eye + right_eye) / 2
        down = nose - eye_mid
        mouth_mid = eye_mid + 1.9 * down
        half = (right_eye - left_eye) * 0.4
        return np.stack([left_eye, right_eye, nose, mouth_mid - half, mouth_mid + half]).astype(np.float32)
    raise ValueError(f"cannot derive 5 points from {len(landmarks)} landmarks")


def dlib5_layout(landmarks68: np.ndarray) -> np.ndarray:
    """The five points dlib's 5-point model gives (eye corners on the image's right, then left, then
    the nose base), taken from 68 iBUG points: what dlib's 5-point chip template expects."""
    if len(landmarks68) == 5:
        return landmarks68
    return np.stack([landmarks68[i] for i in (45, 42, 36, 39, 33)]).astype(np.float32)


def face_chip(rgb: np.ndarray, box: BBox, landmarks: np.ndarray, size: int, padding: float) -> np.ndarray:
    """An aligned ``size`` x ``size`` chip (dlib's get_face_chip: similarity transform fitted to the
    landmarks, 5 or 68 of them)."""
    import dlib

    rect = dlib.rectangle(int(box.x1), int(box.y1), int(box.x2), int(box.y2))
    parts = [dlib.point(int(round(x)), int(round(y))) for x, y in landmarks]
    shape = dlib.full_object_detection(rect, parts)
    return np.asarray(dlib.get_face_chip(rgb, shape, size=size, padding=padding))
