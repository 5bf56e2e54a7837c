"""Square regions of interest that heads read: a rotated square around a centre, cut to a fixed
size with one affine warp, and the way back from the patch's pixels to the image's.

MediaPipe's ``bbox_to_roi`` idea: the square is turned so the line between two keypoints (the eyes)
is horizontal, so a head always sees the face upright whatever its roll.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from faceatlas.types import Face


@dataclass(frozen=True)
class Roi:
    """A square of side ``side`` px centred on (``cx``, ``cy``), turned by ``angle`` radians
    (counter-clockwise in image coordinates: the angle of the eye line)."""

    cx: float
    cy: float
    side: float
    angle: float = 0.0

    def matrix(self, size: int, flip: bool = False) -> np.ndarray:
        """The 2x3 affine map from image pixels to the ``size`` x ``size`` patch (mirrored with
        ``flip``)."""
        scale = size / self.side
        c, s = math.cos(-self.angle) * scale, math.sin(-self.angle) * scale
        m = np.array([[c, -s, 0.0], [s, c, 0.0]])
        m[:, 2] = size / 2 - m[:, :2] @ np.array([self.cx, self.cy])
        if flip:
            m = np.array([[-1.0, 0.0, size], [0.0, 1.0, 0.0]]) @ np.vstack([m, [0.0, 0.0, 1.0]])
        return m

    def cut(self, image: np.ndarray, size: int, flip: bool = False) -> np.ndarray:
        """The patch (edges replicated beyond the image)."""
        return cv2.warpAffine(
            image, self.matrix(size, flip), (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )

    def to_image(self, points: np.ndarray, size: int, flip: bool = False) -> np.ndarray:
        """(N, 2+) patch points in image pixels; a third column (depth) is scaled like x and y."""
        inv = cv2.invertAffineTransform(self.matrix(size, flip))
        pts = np.asarray(points, dtype=np.float64)
        xy = pts[:, :2] @ inv[:, :2].T + inv[:, 2]
        if pts.shape[1] == 2:
            return xy.astype(np.float32)
        return np.concatenate([xy, pts[:, 2:] * (self.side / size)], axis=1).astype(np.float32)


def eye_angle(face: Face) -> float:
    """The angle of the line from the eye on the image's left to the other (0 for an upright face;
    0 when the face has no landmarks)."""
    if face.landmarks5 is None:
        return 0.0
    (lx, ly), (rx, ry) = face.landmarks5[0], face.landmarks5[1]
    return math.atan2(float(ry - ly), float(rx - lx))


def face_roi(face: Face, scale: float) -> Roi:
    """The square around the face's box (its longer side times ``scale``), turned upright by the eyes."""
    cx, cy = face.bbox.center
    return Roi(cx, cy, max(face.bbox.width, face.bbox.height) * scale, eye_angle(face))


def points_roi(a: np.ndarray, b: np.ndarray, scale: float) -> Roi:
    """The square around two points (e.g. the corners of an eye), side = their box's longer side times
    ``scale``, turned so the line a → b is horizontal."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    cx, cy = (lo + hi) / 2
    side = float(max(hi[0] - lo[0], hi[1] - lo[1])) * scale
    return Roi(float(cx), float(cy), max(side, 1.0), math.atan2(float(b[1] - a[1]), float(b[0] - a[0])))


def luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma of an RGB image (what OpenCV's RGB→grey gives)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb


def grey_input(patch: np.ndarray) -> np.ndarray:
    """A grey uint8 patch as the grey nets read it: (x / 255 - 0.5) * 2, float32, shaped (1, H, W, 1)."""
    return ((patch.astype(np.float32) / 255.0 - 0.5) * 2.0)[None, :, :, None]


def onnx_session(model: bytes | str, threads: int | None):
    """An ONNX Runtime CPU session with ``threads`` intra-op threads (None: the runtime's default)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
