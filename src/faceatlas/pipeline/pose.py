"""Head pose from 68 landmarks: PnP (OpenCV solvePnP) against a generic 3D face.

Camera frame: x to the image's right, y down, z away from the camera. Angles come from where the
fitted head points, so they read naturally: yaw > 0 when the face turns towards the image's right,
pitch > 0 when the chin goes up, roll > 0 when the face is rotated clockwise in the image. A mirrored
image flips the signs of yaw and roll.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from faceatlas.types import Pose

# A generic adult head in millimetres (camera-frame axes, origin at the nose tip), for the iBUG
# points: nose tip 30, chin 8, outer eye corners 36 / 45, mouth corners 48 / 54, nose root 27,
# inner eye corners 39 / 42. Approximate anthropometric averages.
_MODEL_IDS = [30, 8, 36, 45, 48, 54, 27, 39, 42]
_MODEL = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.0, 66.0, 13.0],
        [-45.0, -34.0, 27.0],
        [45.0, -34.0, 27.0],
        [-30.0, 30.0, 25.0],
        [30.0, 30.0, 25.0],
        [0.0, -40.0, 20.0],
        [-15.0, -33.0, 25.0],
        [15.0, -33.0, 25.0],
    ],
    dtype=np.float64,
)


def head_pose(landmarks68: np.ndarray, image_size: tuple[int, int]) -> Pose | None:
    """Yaw, pitch, roll in degrees, or None if PnP fails."""
    w, h = image_size
    focal = float(max(w, h))
    camera = np.array([[focal, 0, w / 2], [0, focal, h / 2], [0, 0, 1]], dtype=np.float64)
    pts = landmarks68[_MODEL_IDS].astype(np.float64)
    ok, rvec, tvec = cv2.solvePnP(_MODEL, pts, camera, None, flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        return None
    rot, _ = cv2.Rodrigues(rvec)
    # Roll: where the model's x axis (towards the image's right eye corner) points in the image.
    ax, ay, _ = rot @ np.array([1.0, 0.0, 0.0])
    roll = math.degrees(math.atan2(ay, ax))
    # Undo the roll about the camera axis, then read yaw and pitch from where the face looks
    # (model -z, towards the camera when frontal): head-relative, whatever the roll.
    c, s = math.cos(math.radians(-roll)), math.sin(math.radians(-roll))
    unroll = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    fx, fy, fz = unroll @ rot @ np.array([0.0, 0.0, -1.0])
    yaw = math.degrees(math.atan2(fx, -fz))
    pitch = math.degrees(math.atan2(-fy, math.hypot(fx, fz)))
    return Pose(yaw=yaw, pitch=pitch, roll=roll)
