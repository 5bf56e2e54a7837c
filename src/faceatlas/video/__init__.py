"""Faces in videos: tracks between detections, smoothed landmarks, one aggregated embedding per track,
annotated copies."""

from faceatlas.video.run import DEFAULT_EVERY, VideoConfig, track_video, video_analyzer
from faceatlas.video.tracker import Tracker, TrackerConfig
from faceatlas.video.tracks import FaceTrack, TrackFrame, VideoTracks

__all__ = [
    "DEFAULT_EVERY",
    "FaceTrack",
    "TrackFrame",
    "Tracker",
    "TrackerConfig",
    "VideoConfig",
    "VideoTracks",
    "track_video",
    "video_analyzer",
]
