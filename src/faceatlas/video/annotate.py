"""The annotated copy of a video: each tracked face's box, track id (and name), and its 5 smoothed
landmarks; boxes carried by the tracker are drawn thinner than detected ones.

Codec by the output's extension: ``.webm`` → VP8 (plays in every browser); ``.mp4``/``.m4v``/``.mov``
→ H.264 when OpenCV's FFmpeg build can encode it, else MPEG-4 Part 2 (``mp4v``: plays in VLC and
most desktop players, not in browsers); ``.avi`` → Motion JPEG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.errors import FaceAtlasError
from faceatlas.io.video import open_video
from faceatlas.video.tracks import TrackFrame, VideoTracks

CODECS = {
    ".webm": ("VP80",),
    ".mp4": ("avc1", "mp4v"),
    ".m4v": ("avc1", "mp4v"),
    ".mov": ("avc1", "mp4v"),
    ".avi": ("MJPG",),
}
COLOURS = [(66, 135, 245), (245, 166, 35), (80, 200, 120), (220, 60, 60), (170, 90, 220), (40, 200, 200)]


def check_output(out: str | Path) -> tuple[str, ...]:
    """The FourCCs to try for ``out``, best first; a clear error for an extension it cannot write."""
    codecs = CODECS.get(Path(out).suffix.lower())
    if codecs is None:
        raise FaceAtlasError(f"cannot write {Path(out).name}: use .webm, .mp4, .m4v, .mov or .avi")
    return codecs


def open_writer(out: Path, fps: float, size: tuple[int, int]):
    """(an opened cv2.VideoWriter, the FourCC it writes) for ``out``."""
    import cv2

    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # a missing encoder is not an error
    try:
        for fourcc in check_output(out):
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*fourcc), fps, size)
            if writer.isOpened():
                return writer, fourcc
            writer.release()
    finally:
        cv2.utils.logging.setLogLevel(level)
    raise FaceAtlasError(f"OpenCV cannot write {out.name} here")


def draw(bgr: np.ndarray, frame: TrackFrame, track_id: int, label: str) -> None:
    import cv2

    colour = COLOURS[(track_id - 1) % len(COLOURS)][::-1]
    b = frame.bbox
    p1, p2 = (int(b.x1), int(b.y1)), (int(b.x2), int(b.y2))
    cv2.rectangle(bgr, p1, p2, colour, 2 if frame.detected else 1, cv2.LINE_AA)
    if frame.landmarks5 is not None:
        for x, y in frame.landmarks5:
            cv2.circle(bgr, (int(round(x)), int(round(y))), 2, colour, -1, cv2.LINE_AA)
    cv2.putText(bgr, label, (p1[0], max(12, p1[1] - 5)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)


def write_annotated(result: VideoTracks, out: str | Path) -> str:
    """Decode ``result.video`` again and write the annotated copy to ``out``; returns the FourCC."""
    out = Path(out)
    by_frame: dict[int, list[tuple[int, str, TrackFrame]]] = {}
    for t in result.tracks:
        label = f"#{t.id}" + (f" {t.person['name']}" if t.person and t.person.get("name") else "")
        for f in t.frames:
            by_frame.setdefault(f.index, []).append((t.id, label, f))
    cap, fps = open_video(result.video)
    writer, fourcc = open_writer(out, fps, (result.width, result.height))
    try:
        for index in range(result.frames):
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            for tid, label, f in by_frame.get(index, []):
                draw(bgr, f, tid, label)
            writer.write(bgr)
    finally:
        cap.release()
        writer.release()
    return fourcc
