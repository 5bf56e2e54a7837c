"""A second opinion on a doubtful face: BlazeFace finds "faces" in a coffee cup or a rocket with
scores (0.55–0.79) that some real faces also get, so a face the detector was not sure of is looked
for again by dlib's detectors on a crop around it (HOG first, fast; then the MMOD CNN, which also
finds turned faces). On the dev half of celeba_dev (README, "Research tools") this rejects the
"faces" of all 5 faceless pictures where BlazeFace found one and leaves every real photo a face; on
the test half it rejects all 7 and 2 small real faces (26 and 32 px wide)."""

from __future__ import annotations

import numpy as np

from faceatlas.research.signature import square_crop
from faceatlas.types import BBox

SIDE = 200  # px: the crop (twice the face box) is resized to this, so the face is ~100 px wide
CONTEXT = 2.0  # crop side / face box side
DETECTORS = ("dlib-hog", "dlib-mmod")  # the cheaper first


def face_crop(rgb: np.ndarray, bbox: BBox, context: float = CONTEXT, side: int = SIDE) -> np.ndarray | None:
    """A square crop ``context`` times the box around its centre (edges replicated), ``side`` px."""
    return square_crop(rgb, bbox, context, side)


def confirmed_on(crop: np.ndarray, detectors: tuple[str, ...] = DETECTORS) -> bool:
    """Whether one of ``detectors`` finds a face centred in the middle of ``crop`` (True when none of
    them is installed: without a second opinion the first one stands)."""
    from faceatlas.errors import ModelUnavailableError
    from faceatlas.models import load

    side = crop.shape[0]
    asked = 0
    for name in detectors:
        try:
            detector = load(name)
        except ModelUnavailableError:
            continue
        asked += 1
        for d in detector.detect(crop):
            cx, cy = d.bbox.center
            if abs(cx - side / 2) <= side / 4 and abs(cy - side / 2) <= side / 4:
                return True
    return asked == 0


def second_opinion(path: str, bbox: BBox) -> bool:
    """Whether dlib also sees a face at ``bbox`` in the image at ``path`` (False if unreadable)."""
    from faceatlas.io.images import open_image

    try:
        rgb = np.ascontiguousarray(open_image(path).full())
    except Exception:  # an unreadable file has no face to confirm
        return False
    crop = face_crop(rgb, bbox)
    return crop is not None and confirmed_on(crop)
