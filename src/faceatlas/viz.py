"""Annotated images for `--draw`: boxes, 5 landmarks and pose axes."""

from __future__ import annotations

import math

import cv2
import numpy as np

from faceatlas.types import Face


def draw_faces(rgb: np.ndarray, faces: list[Face]) -> np.ndarray:
    """A copy of ``rgb`` with each face's box, score, landmarks and pose axes drawn."""
    out = np.ascontiguousarray(rgb.copy())
    thick = max(1, round(max(out.shape[:2]) / 500))
    for face in faces:
        b = face.bbox
        cv2.rectangle(out, (int(b.x1), int(b.y1)), (int(b.x2), int(b.y2)), (0, 220, 0), thick)
        label = f"{face.score:.2f}" + (f" q{face.quality:.2f}" if face.quality is not None else "")
        cv2.putText(
            out, label, (int(b.x1), max(12, int(b.y1) - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thick, (0, 220, 0), thick
        )
        for x, y in face.landmarks5:
            cv2.circle(out, (int(x), int(y)), thick + 1, (255, 60, 60), -1)
        if face.pose is not None:
            _axes(out, face, thick)
    return out


def _axes(img: np.ndarray, face: Face, thick: int) -> None:
    yaw, pitch, roll = (math.radians(v) for v in (face.pose.yaw, face.pose.pitch, face.pose.roll))
    nose = face.landmarks5[2]
    length = face.bbox.width * 0.6
    # rotation: roll about the view axis, then yaw, then pitch (same conventions as pipeline.pose)
    cr, sr = math.cos(roll), math.sin(roll)
    axes = {
        (255, 0, 0): np.array([cr, sr]),  # head x axis (towards the image's right)
        (0, 0, 255): np.array([-sr, cr]),  # head y axis (down)
    }
    forward = np.array([math.sin(yaw) * math.cos(pitch), -math.sin(pitch)])
    rot = np.array([[cr, -sr], [sr, cr]])
    axes[(0, 200, 255)] = rot @ forward
    for colour, vec in axes.items():
        end = nose + vec * length
        cv2.arrowedLine(img, (int(nose[0]), int(nose[1])), (int(end[0]), int(end[1])), colour, thick, tipLength=0.15)
