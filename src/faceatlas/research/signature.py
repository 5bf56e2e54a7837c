"""A small picture signature of a face and its surroundings, to tell a copy of one photo (re-encoded,
resized, lightly cropped or recoloured) from another photo of the same person taken moments apart:
the face box (widened by half on each side) in grey at 32×32 px, blurred, zero mean and unit length;
two signatures compare by their dot product (normalised cross-correlation, 1 for the same picture).
A version that searched small shifts between the two crops measured no better on the dev half."""

from __future__ import annotations

import cv2
import numpy as np

from faceatlas.types import BBox

SIDE = 32
MARGIN = 0.5


def face_signature(path: str, bbox: BBox) -> np.ndarray | None:
    """The signature of the face at ``bbox`` in the image at ``path`` (None if unreadable)."""
    from faceatlas.io.images import open_image

    try:
        rgb = open_image(path).full()
    except Exception:  # an unreadable file has no signature; it cannot be a near duplicate
        return None
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = grey.shape
    cx, cy = bbox.center
    half = max(bbox.width, bbox.height) * (0.5 + MARGIN)
    x1, y1, x2, y2 = (int(round(v)) for v in (cx - half, cy - half, cx + half, cy + half))
    pad = max(0, -x1, -y1, x2 - w, y2 - h)
    if pad:
        grey = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x1, y1, x2, y2 = x1 + pad, y1 + pad, x2 + pad, y2 + pad
    if x2 - x1 < 2 or y2 - y1 < 2:
        return None
    crop = cv2.resize(grey[y1:y2, x1:x2], (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    crop = cv2.GaussianBlur(crop, (3, 3), 0).ravel()
    crop -= crop.mean()
    norm = float(np.linalg.norm(crop))
    return crop / norm if norm > 1e-6 else None


def similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Normalised cross-correlation of two signatures (0 when either is missing)."""
    if a is None or b is None:
        return 0.0
    return float(a @ b)
