"""Quarter turns of images and the points and boxes in them (clockwise, multiples of 90°)."""

from __future__ import annotations

import numpy as np

from faceatlas.types import BBox


def rotate_array(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by a multiple of 90 degrees."""
    return np.ascontiguousarray(np.rot90(rgb, k=-(degrees // 90) % 4))


def unrotate_points(points: np.ndarray, degrees: int, size: tuple[int, int]) -> np.ndarray:
    """Map (N, 2+) points from an image rotated clockwise by ``degrees`` back to the original,
    whose (width, height) is ``size``; extra columns (a mesh's z) are kept."""
    w, h = size
    x, y = points[:, 0], points[:, 1]
    d = degrees % 360
    if d == 0:
        return points.copy()
    if d == 90:  # rotated image is h wide: (x', y') = (h - y, x)
        xy = np.stack([y, h - x], axis=1)
    elif d == 180:
        xy = np.stack([w - x, h - y], axis=1)
    else:  # 270
        xy = np.stack([w - y, x], axis=1)
    return np.concatenate([xy, points[:, 2:]], axis=1).astype(points.dtype)


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


def corners(box: BBox) -> np.ndarray:
    return np.array([[box.x1, box.y1], [box.x2, box.y2]], dtype=np.float32)


def box_of(points: np.ndarray) -> BBox:
    """The axis-aligned box around ``points``."""
    return BBox(
        float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()), float(points[:, 1].max())
    )


def unrotate_box(box: BBox, degrees: int, size: tuple[int, int]) -> BBox:
    """A box of the image turned clockwise by ``degrees``, in the original image of ``size``."""
    return box_of(unrotate_points(corners(box), degrees, size)) if degrees % 360 else box


def rotate_box(box: BBox, degrees: int, size: tuple[int, int]) -> BBox:
    """A box of the original image (of ``size``) in that image turned clockwise by ``degrees``."""
    return box_of(rotate_points(corners(box), degrees, size)) if degrees % 360 else box
