"""A video as face tracks: decode every frame (OpenCV), run the analyzer's detection and enrichment
stages on every ``every``-th frame, re-fit the landmarks of the tracked faces on the frames between
(the landmark stage alone, in each track's predicted box), and track (:mod:`faceatlas.video.tracker`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from faceatlas.errors import ImageError
from faceatlas.io.images import open_image
from faceatlas.io.video import open_video
from faceatlas.models.registry import ModelKind, ModelOptions, load_kind
from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer
from faceatlas.pipeline.align import landmark_box
from faceatlas.types import BBox
from faceatlas.video.tracker import Tracker, TrackerConfig
from faceatlas.video.tracks import VideoTracks

# Chosen by measurement (README, "Video"): detection every 3rd frame keeps 1280x720 faster than
# real time on 2 cores while a face hidden for a moment is re-found within 0.1 s.
DEFAULT_EVERY = 3
VIDEO_STAGES = ("landmarks", "pose", "align", "embed", "quality")


@dataclass(frozen=True)
class VideoConfig:
    every: int = DEFAULT_EVERY  # detect on every N-th frame (1 = every frame)
    tiles: int = 1  # detector tiles on video frames (faces in video are rarely tiny: see README)
    max_frames: int | None = None  # stop after this many frames (None: the whole video)
    tracker: TrackerConfig = TrackerConfig()


def video_analyzer_config(config: AnalyzerConfig, video: VideoConfig | None = None) -> AnalyzerConfig:
    """The analyzer configuration for video frames: ``config``'s models, no rotated retries (video
    frames are upright), ``video.tiles`` tiles, a working view of at most 640 px (BlazeFace reads
    192 px anyway; halving 720p is a cheap resize), and only the stages tracking needs."""
    video = video or VideoConfig()
    detector = replace(
        config.detector, tiles=video.tiles, rotate_retry=False, max_side=min(config.detector.max_side, 640)
    )
    stages = tuple(s for s in VIDEO_STAGES if s in config.stage_names)
    return replace(config, detector=detector, stages=stages, heads=(), mesh=False)


_ANALYZERS: dict[AnalyzerConfig, FaceAnalyzer] = {}


def video_analyzer(config: AnalyzerConfig | None = None, video: VideoConfig | None = None) -> FaceAnalyzer:
    """A (cached) analyzer for video frames derived from ``config`` (the default analyzer's)."""
    cfg = video_analyzer_config(config or AnalyzerConfig(), video)
    if cfg not in _ANALYZERS:
        _ANALYZERS[cfg] = FaceAnalyzer(cfg)
    return _ANALYZERS[cfg]


def _refit(landmarker, rgb: np.ndarray, box: BBox, detector: str) -> np.ndarray:
    """The landmarks of the face expected in ``box`` (a detector-style box), fitted on a crop around
    it (the landmarker converts the whole image it is given: a crop is several times faster)."""
    h, w = rgb.shape[:2]
    side = max(box.width, box.height)
    x0, y0 = max(0, int(box.x1 - side)), max(0, int(box.y1 - side))
    x1, y1 = min(w, int(box.x2 + side) + 1), min(h, int(box.y2 + side) + 1)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    shifted = BBox(box.x1 - x0, box.y1 - y0, box.x2 - x0, box.y2 - y0)
    return landmarker.landmarks(crop, landmark_box(shifted, detector)).astype(np.float64) + np.array([x0, y0])


def track_video(
    path: str | Path,
    analyzer: FaceAnalyzer | None = None,
    config: VideoConfig | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> VideoTracks:
    """The face tracks of the video at ``path``. Raises :class:`ImageError` with a one-line reason
    when the file cannot be decoded (or holds no frame)."""
    import cv2

    config = config or VideoConfig()
    analyzer = analyzer or video_analyzer(video=config)
    landmarker = load_kind(analyzer.config.landmarker, ModelKind.LANDMARKER, ModelOptions(analyzer.config.threads))
    detector_name = analyzer.config.detector.model_name
    start = time.perf_counter()
    cap, fps = open_video(path)
    if on_start:
        on_start(int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
    tracker = Tracker(fps, config.tracker, analyzer.space)
    every = max(1, int(config.every))
    index = 0
    size = (0, 0)
    try:
        while config.max_frames is None or index < config.max_frames:
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            size = (rgb.shape[1], rgb.shape[0])
            t_ms = round(index * 1000 / fps)
            if index % every == 0:
                image = open_image(rgb, analyzer.limits, name=f"{path}@{t_ms}ms")
                tracker.detected(index, t_ms, analyzer.analyze(image))
            else:
                boxes = tracker.to_carry(index)
                if boxes:
                    tracker.carried(
                        index, t_ms, {i: _refit(landmarker, rgb, b, detector_name) for i, b in boxes.items()}
                    )
            index += 1
            if progress:
                progress(1)
    finally:
        cap.release()
    if index == 0:
        raise ImageError("no frame of this video could be decoded", str(path))
    tracks = tracker.finish()
    return VideoTracks(str(path), fps, index, size[0], size[1], tracks, round(time.perf_counter() - start, 3))
