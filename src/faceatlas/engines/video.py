"""A video as faces: sample frames, analyse each, and keep one face per person seen in the video.

The faces of all sampled frames are clustered with the atlas's own clusterer (faces of one frame
are never one person, as faces of one photo are not); each group gives its best-quality face, with
the time of its frame. A face seen in one sampled frame only is kept when its quality would let it
found a person, so a passer-by caught in a blurred frame does not become one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.io import open_image
from faceatlas.io.video import sample_frames
from faceatlas.people.cluster import FaceClusterer
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.types import Face

EVERY_MS = 1000  # one frame a second
MAX_FRAMES = 600  # longer videos are sampled more sparsely


def analyze_video(analyzer: FaceAnalyzer, path: str | Path) -> tuple[list[Face], tuple[int, int]]:
    """(one face per person seen in the video, largest first; (width, height) of the video)."""
    faces: list[Face] = []
    frame_of: list[int] = []
    size = (0, 0)
    for k, (ms, rgb) in enumerate(sample_frames(path, EVERY_MS, MAX_FRAMES)):
        size = (rgb.shape[1], rgb.shape[0])
        for face in analyzer.analyze(open_image(rgb, analyzer.limits, name=f"{path}@{ms}ms")):
            face.frame_ms = ms
            faces.append(face)
            frame_of.append(k)
    return _one_per_person(faces, np.array(frame_of)), size


def _one_per_person(faces: list[Face], frame_of: np.ndarray) -> list[Face]:
    if not faces:
        return []
    clusterer = FaceClusterer()
    quality = np.array([f.quality if f.quality is not None else 1.0 for f in faces])
    labels = clusterer.fit_predict(np.stack([f.embedding for f in faces]), groups=frame_of, quality=quality)
    kept = [faces[i] for i in np.nonzero((labels < 0) & (quality >= clusterer.min_quality))[0]]
    for label in np.unique(labels[labels >= 0]):
        members = np.nonzero(labels == label)[0]
        kept.append(faces[members[np.argmax(quality[members])]])
    return sorted(kept, key=lambda f: -f.bbox.area)
