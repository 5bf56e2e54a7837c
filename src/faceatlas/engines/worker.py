"""Analysing one file (a photo, or a video as one face per face track), in whatever process runs it.
Models load once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from faceatlas.engines.plan import WorkItem, file_sha256
from faceatlas.engines.video import analyze_video
from faceatlas.errors import FaceAtlasError
from faceatlas.interop.dates import taken_at
from faceatlas.io.captions import caption_for
from faceatlas.io.video import is_video
from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer
from faceatlas.types import Face

_ANALYZER: FaceAnalyzer | None = None


@dataclass
class WorkResult:
    item: WorkItem
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    faces: list[Face] = field(default_factory=list)
    error: str | None = None
    model: str | None = None
    caption: tuple[str, str] | None = None  # (text, source)
    taken_at: str | None = None  # when the photo was taken / the video recorded (ISO 8601)


def init_worker(config: AnalyzerConfig, single_thread: bool = True) -> None:
    """Pool initializer: one analyzer per process; one thread each so workers do not oversubscribe."""
    global _ANALYZER
    if single_thread:
        from dataclasses import replace

        import cv2

        cv2.setNumThreads(1)
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        config = replace(config, threads=1)  # the models' intra-op threads: options, not the environment
    _ANALYZER = FaceAnalyzer(config)


def analyze_item(item: WorkItem) -> WorkResult:
    assert _ANALYZER is not None, "init_worker must run first"
    result = WorkResult(item)
    try:
        result.sha256 = file_sha256(item.path)
        if is_video(item.path):
            result.faces, (result.width, result.height) = analyze_video(_ANALYZER, item.path)
        else:
            image = _ANALYZER.open(item.path)
            result.width, result.height = image.size
            result.faces = _ANALYZER.analyze(image)
        result.model = _ANALYZER.embedder_name
        result.caption = caption_for(Path(item.path))
        result.taken_at = taken_at(item.path)
    except FaceAtlasError as exc:
        result.error = str(getattr(exc, "reason", exc))
    except OSError as exc:
        result.error = f"cannot read file: {exc.strerror or exc}"
    except Exception as exc:  # one bad file must never stop the scan
        result.error = f"unexpected {type(exc).__name__}: {str(exc)[:160]}"
    return result
