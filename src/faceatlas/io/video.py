"""Video input: which files are videos, opening one for decoding, reading one frame.

OpenCV's FFmpeg backend decodes (the formats its wheel supports: MP4/H.264, MOV, AVI, MKV, WebM...).
Tracking (:mod:`faceatlas.video`) reads every frame in order; seeking is used only to cut one frame
for a thumbnail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.errors import ImageError

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".wmv", ".mpg", ".mpeg", ".3gp", ".mts", ".m2ts"}
)


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _capture(path: str | Path):
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise ImageError("cannot decode this video (unknown format or corrupt file)", str(path))
    return cap


def open_video(path: str | Path):
    """(an opened cv2.VideoCapture, its frame rate; 25 when the container does not say). Raises
    :class:`ImageError` for an empty, missing or undecodable file."""
    import cv2

    p = Path(path)
    if p.is_file() and p.stat().st_size == 0:
        raise ImageError("empty file (0 bytes)", str(path))
    cap = _capture(path)
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not np.isfinite(fps) or fps <= 0 or fps > 1000:
        fps = 25.0
    return cap, fps


def read_frame(path: str | Path, ms: int) -> np.ndarray:
    """The RGB frame at (or just after) ``ms`` milliseconds."""
    import cv2

    cap = _capture(path)
    try:
        cap.set(cv2.CAP_PROP_POS_MSEC, float(ms))
        ok, frame = cap.read()
        if not ok or frame is None:
            raise ImageError(f"no frame at {ms} ms", str(path))
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()
