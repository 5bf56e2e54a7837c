"""Video input: which files are videos, sampling frames at a fixed interval, reading one frame.

OpenCV's FFmpeg backend decodes (the formats its wheel supports: MP4/H.264, MOV, AVI, MKV, WebM...).
Frames are read in order and skipped with ``grab()`` between samples: seeking is slow and, on some
containers, inexact.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def sample_frames(path: str | Path, every_ms: int = 1000, max_frames: int = 600) -> Iterator[tuple[int, np.ndarray]]:
    """(time in ms, RGB frame) every ``every_ms`` (fewer, evenly spread, when the video is long
    enough to exceed ``max_frames``). Raises :class:`ImageError` when no frame can be decoded."""
    import cv2

    cap = _capture(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        step = max(1, round(fps * every_ms / 1000))
        if count and count / step > max_frames:
            step = int(np.ceil(count / max_frames))
        index = yielded = 0
        while cap.grab():
            if index % step == 0:
                ok, frame = cap.retrieve()
                if ok and frame is not None:
                    yielded += 1
                    yield round(index * 1000 / fps), cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            index += 1
        if yielded == 0:
            raise ImageError("no frame of this video could be decoded", str(path))
    finally:
        cap.release()


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
