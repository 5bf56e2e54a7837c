"""Small picture signatures of a face and its surroundings, to tell a copy of one photo (re-encoded,
resized, lightly cropped or recoloured) from another photo of the same person taken moments apart.

Three signatures, grey, blurred, zero mean and unit length, compared by their dot product
(normalised cross-correlation, 1 for the same picture). Of the face:

- ``aligned``: the face warped by a similarity transform from its five landmarks onto a fixed
  template (the face filling 70 % of the side, its surroundings the rest), 32 × 32 px. Robust to where
  the detector put the box, and it separates different pictures of one shoot better than the box.
- ``box``: the detector's box widened by half on each side, 32 × 32 px: the fallback when the
  landmarks of one copy went astray (then the aligned crops differ although the pictures match).

And of the whole picture, ``image_thumbnail`` (16 × 16 px): re-encoded, resized, lightly cropped
copies keep it (≥ 0.97 on the dev half) even when the detector boxed the copy's face differently
(faces 0.46–0.70 apart); no two different photos of the dev half reached 0.96. CelebA's own re-crops
of one photo change the framing, so they need the face signatures.

On the dev half of celeba_dev, of the 1,378 face pairs within 0.36 (not byte-identical; 40 show one
picture) the aligned crop at 0.93 made 3 false and 3 missed matches, the box crop at 0.9 made 8 and 3
(README; thresholds: ``CurateThresholds.duplicate_picture`` / ``duplicate_box``). A version that
searched small shifts between the two box crops measured no better."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceatlas.types import BBox

SIDE = 32
MARGIN = 0.5  # the box crop: this fraction of the box added on each side
# where the five landmarks (eye centres, nose tip, mouth corners) go in the aligned crop, in a unit square
TEMPLATE = np.array([[0.35, 0.4], [0.65, 0.4], [0.5, 0.55], [0.38, 0.7], [0.62, 0.7]], dtype=np.float32)
FACE_SHARE = 0.7  # the template shrunk around the centre to this share: the rest is the surroundings
OVERSAMPLE = 4  # warp at this multiple of SIDE, then area-average down (no aliasing)
THUMB_SIDE = 16  # the whole picture's thumbnail


@dataclass(frozen=True)
class PictureSignature:
    box: np.ndarray | None
    aligned: np.ndarray | None = None


def _unit(crop: np.ndarray, sigma: float = 0.0) -> np.ndarray | None:
    """Blurred (3 × 3 kernel, or Gaussian ``sigma``), zero mean, unit length."""
    v = cv2.GaussianBlur(crop.astype(np.float32), (0, 0) if sigma else (3, 3), sigma).ravel()
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 1e-6 else None


def square_crop(image: np.ndarray, bbox: BBox, context: float, side: int) -> np.ndarray | None:
    """A square ``context`` times the box's longer side around its centre (edges replicated), resized
    to ``side`` px; None for a box under 2 px."""
    h, w = image.shape[:2]
    cx, cy = bbox.center
    half = max(bbox.width, bbox.height) * context / 2
    x1, y1, x2, y2 = (int(round(v)) for v in (cx - half, cy - half, cx + half, cy + half))
    if x2 - x1 < 2 or y2 - y1 < 2:
        return None
    pad = max(0, -x1, -y1, x2 - w, y2 - h)
    if pad:
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x1, y1, x2, y2 = x1 + pad, y1 + pad, x2 + pad, y2 + pad
    return np.ascontiguousarray(cv2.resize(image[y1:y2, x1:x2], (side, side), interpolation=cv2.INTER_AREA))


def box_crop(grey: np.ndarray, bbox: BBox) -> np.ndarray | None:
    """The box widened by :data:`MARGIN` a side, square, edges replicated, :data:`SIDE` px."""
    return square_crop(grey, bbox, 1.0 + 2.0 * MARGIN, SIDE)


def aligned_crop(grey: np.ndarray, landmarks5: np.ndarray) -> np.ndarray | None:
    """The face warped from its five landmarks onto :data:`TEMPLATE`, :data:`SIDE` px (None when
    the points do not determine a transform)."""
    big = SIDE * OVERSAMPLE
    target = ((TEMPLATE - 0.5) * FACE_SHARE + 0.5) * big
    m, _ = cv2.estimateAffinePartial2D(np.asarray(landmarks5, dtype=np.float32), target)
    if m is None:
        return None
    warped = cv2.warpAffine(grey, m, (big, big), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.resize(warped, (SIDE, SIDE), interpolation=cv2.INTER_AREA)


def signature_of(grey: np.ndarray, bbox: BBox, landmarks5: np.ndarray | None = None) -> PictureSignature:
    """Both signatures of the face at ``bbox`` (``landmarks5``: its points, for the aligned one)."""
    grey = grey.astype(np.float32)
    box = box_crop(grey, bbox)
    aligned = None
    if landmarks5 is not None and np.shape(landmarks5) == (5, 2):
        crop = aligned_crop(grey, landmarks5)
        aligned = None if crop is None else _unit(crop, sigma=1.0)
    return PictureSignature(None if box is None else _unit(box), aligned)


def face_signature(path: str, bbox: BBox, landmarks5: np.ndarray | None = None) -> PictureSignature | None:
    """The signatures of the face at ``bbox`` in the image at ``path`` (None if unreadable)."""
    from faceatlas.io.images import open_image

    try:
        rgb = open_image(path).full()
    except Exception:  # an unreadable file has no signature; it cannot be a near duplicate
        return None
    return signature_of(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY), bbox, landmarks5)


def image_thumbnail(path: str) -> np.ndarray | None:
    """The whole picture in grey at :data:`THUMB_SIDE` × :data:`THUMB_SIDE` px, blurred, zero mean and
    unit length (None if unreadable or flat): a copy of a photo keeps it whatever the detector does
    with the copy's face."""
    from faceatlas.io.images import open_image

    try:
        rgb = np.ascontiguousarray(open_image(path).full())
    except Exception:  # an unreadable file has no thumbnail; it cannot be a near duplicate
        return None
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return _unit(cv2.resize(grey, (THUMB_SIDE, THUMB_SIDE), interpolation=cv2.INTER_AREA))


def _ncc(a: np.ndarray | None, b: np.ndarray | None) -> float:
    return 0.0 if a is None or b is None else float(a @ b)


def same_picture(a: PictureSignature | None, b: PictureSignature | None, aligned: float, box: float) -> bool:
    """Whether two faces show one picture: aligned crops correlating at least ``aligned``, or box
    crops at least ``box`` (missing signatures never match)."""
    if a is None or b is None:
        return False
    return _ncc(a.aligned, b.aligned) >= aligned or _ncc(a.box, b.box) >= box
