"""A video as faces for the atlas: one face per face track (:mod:`faceatlas.video`).

Each track gives one face: its best-quality detected frame (box, landmarks, pose, quality; the
thumbnail is cut from that frame, ``frame_ms``), the track's quality-weighted aggregated embedding,
and the track's time range (``span_ms``). Tracks of one person separated by more than the
tracker's re-identification window are separate faces; the atlas's clusterer joins them (faces of
different frames of a video may be one person).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from faceatlas.pipeline import FaceAnalyzer
from faceatlas.types import Face
from faceatlas.video import VideoConfig, track_video, video_analyzer
from faceatlas.video.tracks import VideoTracks


def faces_of_tracks(result: VideoTracks) -> list[Face]:
    """One face per track, largest first."""
    faces = []
    for track in result.tracks:
        if track.best is None or track.embedding is None:
            continue
        faces.append(replace(track.best, embedding=track.embedding, span_ms=(track.start_ms, track.end_ms)))
    return sorted(faces, key=lambda f: -f.bbox.area)


def analyze_video(
    analyzer: FaceAnalyzer, path: str | Path, config: VideoConfig | None = None
) -> tuple[list[Face], tuple[int, int]]:
    """(one face per track of the video, largest first; (width, height) of the video)."""
    config = config or VideoConfig()
    result = track_video(path, video_analyzer(analyzer.config, config), config)
    return faces_of_tracks(result), (result.width, result.height)
