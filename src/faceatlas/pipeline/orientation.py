"""Which way up is a face? The quarter turn that makes a detected face upright.

Photos are upright once their EXIF orientation is applied, but a face can still lie on its side
(someone lying down, a photo without EXIF). A detector's own keypoints cannot tell: BlazeFace
regresses its eye and mouth points as if the face were upright, so a sideways face and a face turned
in profile (yaw) both come with low scores and plausible-looking points, and a rule on the eye line
turned profiles upside down (issue 17: ten AFW faces fitted with their eyes on the mouth).

Evidence that does separate them, measured on ``landmarks_afw`` and its copies turned 90/180/270°
(1,348 faces): the score of BlazeFace's *short-range* model (trained on close, upright faces filling
the frame) on a square crop twice the face's size, turned each of the four ways (the previous
session measured the full-range model on the same crops, the eye-line rule and the embedding chip's
recognizability each wrong on 20-55 of those faces). A face the detector saw upright and sure (eyes
level, score >= 0.85) is not re-checked. With the rule below, every one of the 1,348 faces is found
and reports its labelled roll within 30° (`faceatlas eval landmarks --turn 90 --turn 180 --turn 270`).

But the short-range scores of an upright face are often near-saturated in two turns (0.910 upright,
0.914 turned 90°, on a smiling frontal CelebA face): taking the highest alone turned 11 of 450 upright
celeba_dev photos (dev half, 10 per identity) on their side, with meaningless landmarks and
embeddings. So a face whose detector keypoints put its eyes level stays as the detector found it
unless another turn beats that score by ``TURN_MARGIN`` (eyes not level: the highest score wins).
Wrong turns over those 450 photos + ``landmarks_afw`` as it is and turned 90° (674 faces; truth: the
turn that brings the labelled eye line nearest level), by margin: 0 → 11 + 0, 0.02 → 5 + 0,
**0.05 → 5 + 0**, 0.1 → 5 + 1, 0.2 → 5 + 6. The same margin for every face: 0.05 → 3 + 2, but on
the AFW copies turned 270° it left 4 faces sideways. Preferring the photo's own frame instead (faces
lie in photos less often than they stand) cost the turned AFW copies 15-65 faces at 0.05-0.1.
"""

from __future__ import annotations

import numpy as np

from faceatlas.pipeline.geometry import box_of, corners, rotate_array, unrotate_points
from faceatlas.types import Detection

TURNS = (0, 90, 180, 270)
SURE_SCORE = 0.85  # above this, with level eyes, a detection is taken as upright without a check
LEVEL_EYES_DEG = 30.0
CROP_FACTOR = 2.0  # crop side / face size for the re-check
RESCORER = "blazeface-short"
TURN_MARGIN = 0.05  # with level eyes, another turn's rescore must beat the face as found by this much


def eyes_level(det: Detection, tolerance_deg: float = LEVEL_EYES_DEG) -> bool:
    """Whether the detector's two eye keypoints lie on a line within ``tolerance_deg`` of level."""
    if det.keypoints is None or len(det.keypoints) < 2:
        return True
    dx, dy = det.keypoints[1] - det.keypoints[0]
    return abs(float(np.degrees(np.arctan2(dy, dx)))) < tolerance_deg


def square_crop(frame: np.ndarray, det: Detection, factor: float = CROP_FACTOR) -> tuple[np.ndarray, int, int]:
    """A square crop of ``factor`` times the face's larger side, centred on it (clipped to the image),
    and its top-left corner in ``frame``."""
    cx, cy = det.bbox.center
    half = max(det.bbox.width, det.bbox.height) * factor / 2
    x1, y1 = int(max(0, cx - half)), int(max(0, cy - half))
    return frame[y1 : int(cy + half), x1 : int(cx + half)], x1, y1


def upright_turn(frame: np.ndarray, det: Detection, rescorer) -> tuple[int, Detection]:
    """(the extra clockwise turn 0/90/180/270 that makes the face of ``det`` upright, the face's
    detection in ``frame``'s pixels). ``frame`` is the image in the frame ``det`` was found in,
    ``rescorer`` a detector (see the module docstring). A face that needs a turn gets the detection
    the rescorer made of it upright: a detector draws the box of an upside-down face as if it were
    upright, off the face. A face with level eyes is turned only when a turn's score beats the face
    as found by ``TURN_MARGIN``. Keypoint-free detections are left as found (the image-level rotated retry covers
    them)."""
    if det.keypoints is None or (det.score >= SURE_SCORE and eyes_level(det)):
        return 0, det
    crop, x0, y0 = square_crop(frame, det)
    if crop.size == 0:
        return 0, det
    found = [max(rescorer.detect(rotate_array(crop, t)), key=lambda d: d.score, default=None) for t in TURNS]
    scores = [d.score if d is not None else 0.0 for d in found]
    best = int(np.argmax(scores))
    margin = TURN_MARGIN if eyes_level(det) else 0.0
    if scores[best] <= 0 or TURNS[best] == 0 or scores[best] - scores[0] < margin:
        return 0, det
    turn, upright = TURNS[best], found[best]
    size = (crop.shape[1], crop.shape[0])
    offset = np.array([x0, y0], dtype=np.float32)
    box = box_of(unrotate_points(corners(upright.bbox), turn, size) + offset)
    kps = None if upright.keypoints is None else unrotate_points(upright.keypoints, turn, size) + offset
    return turn, Detection(box, upright.score, kps, upright.detector)
