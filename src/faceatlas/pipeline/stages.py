"""The enrichment stages that run after detection, each adding fields to the faces of one image.

A stage has a ``name``, the fields it ``requires`` and ``provides``, and ``enrich(ctx, faces)``; the
analyzer checks the order once, when it is built (scikit-learn's Pipeline idea), and stages load
their models lazily on first use. Standard order: landmarks → pose → align → embed → quality →
attributes (→ mesh on request). A new head is one model file registered with kind ``attribute``: the
attributes stage runs every configured head through its ``get(image, face)`` (InsightFace's idea).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from faceatlas.identity.space import space_of
from faceatlas.models.registry import ModelKind, ModelOptions, is_available, load_kind
from faceatlas.pipeline.align import dlib5_layout, face_chip, five_points, landmark_box
from faceatlas.pipeline.context import AnalysisContext
from faceatlas.pipeline.pose import head_pose
from faceatlas.pipeline.quality import combine, quality_parts
from faceatlas.types import Face

if TYPE_CHECKING:
    from faceatlas.pipeline.analyzer import AnalyzerConfig

# Every face's ``attributes`` holds these keys; a key stays None when no installed head gives it.
ATTRIBUTE_KEYS = ("gender", "gender_score", "age", "expression", "expression_scores", "liveness")


class Stage(Protocol):
    name: str
    requires: frozenset[str]
    provides: frozenset[str]

    def enrich(self, ctx: AnalysisContext, faces: list[Face]) -> None:
        """Add this stage's fields to ``faces`` (the image's faces, aligned with ``ctx.work``)."""
        ...


@dataclass
class LandmarkStage:
    """Landmarks on the full-resolution image, in each face's upright frame, from the detector's box
    mapped to the box geometry the landmarker was trained on; kept in original pixels on the face."""

    landmarker: str
    options: ModelOptions
    name: str = "landmarks"
    requires: frozenset[str] = frozenset({"detection"})
    provides: frozenset[str] = frozenset({"landmarks"})

    def enrich(self, ctx: AnalysisContext, faces: list[Face]) -> None:
        model = load_kind(self.landmarker, ModelKind.LANDMARKER, self.options)
        for i, face in enumerate(faces):
            w = ctx.work[i]
            w.landmarks = model.landmarks(ctx.turned(w.turn), landmark_box(w.detection.bbox, w.detection.detector))
            pts = ctx.to_original(w.landmarks, i)
            face.landmarks5 = five_points(pts)
            face.landmarks68 = pts if len(pts) == 68 else None


@dataclass
class PoseStage:
    """Head pose from the 68 landmarks (PnP against a generic head)."""

    name: str = "pose"
    requires: frozenset[str] = frozenset({"landmarks"})
    provides: frozenset[str] = frozenset({"pose"})

    def enrich(self, ctx: AnalysisContext, faces: list[Face]) -> None:
        for face in faces:
            if face.landmarks68 is not None:
                face.pose = head_pose(face.landmarks68, ctx.size)


@dataclass
class AlignStage:
    """The aligned chip the embedder reads, cut as its identity space says (size, padding, which
    landmarks align it: the fitted 68, five of them, or dlib's 5-point predictor run in the face's
    landmark box), in the face's upright frame."""

    embedder: str
    options: ModelOptions = field(default_factory=ModelOptions)
    name: str = "align"
    requires: frozenset[str] = frozenset({"landmarks"})
    provides: frozenset[str] = frozenset({"chip"})

    def enrich(self, ctx: AnalysisContext, faces: list[Face]) -> None:
        spec = space_of(self.embedder).chip
        five = load_kind("dlib-5pt", ModelKind.LANDMARKER, self.options) if spec.landmarks == "dlib-5pt" else None
        for w in ctx.work:
            assert w.landmarks is not None
            image = ctx.turned(w.turn)
            if five is not None:
                pts = five.landmarks(image, landmark_box(w.detection.bbox, w.detection.detector))
            elif spec.landmarks == "5":
                pts = dlib5_layout(w.landmarks)
            else:
                pts = w.landmarks
            w.chip = face_chip(image, w.detection.bbox, pts, spec.size, spec.padding)


@dataclass
class EmbedStage:
    """Identity embeddings of the image's chips, batched; optional flip test-time augmentation
    (the mean of the chip's and its mirror's vectors)."""

    embedder: str
    options: ModelOptions
    flip_tta: bool = False
    name: str = "embed"
    requires: frozenset[str] = frozenset({"chip"})
    provides: frozenset[str] = frozenset({"embedding"})

    def enrich(self, ctx: AnalysisContext, faces: list[Face]) -> None:
        if not faces:
            return
        model = load_kind(self.embedder, ModelKind.EMBEDDER, self.options)
        chips = [w.chip for w in ctx.work]
        if self.flip_tta:
            both = model.embed_chips(chips + [np.ascontiguousarray(c[:, ::-1]) for c in chips])
            vectors = (both[: len(chips)] + both[len(chips) :]) / 2
        else:
            vectors = model.embed_chips(chips)
        space = model.space
        for face, vec in zip(faces, space.prepare(vectors)):
            face.embedding = vec
            face.embedder = space.key


@dataclass
class QualityStage:
    """Face quality from size, sharpness, pose and (with an embedding) recognizability."""

    embedder: str
    name: str = "quality"
    requires: frozenset[str] = frozenset({"chip"})
    provides: frozenset[str] = frozenset({"quality"})

    def enrich(self, ctx: AnalysisContext, faces: list[Face]) -> None:
        cal = space_of(self.embedder).calibration
        for face, w in zip(faces, ctx.work):
            face.quality_parts = quality_parts(face.landmarks5, w.chip, face.pose, face.embedding, cal)
            face.quality = round(combine(face.quality_parts), 4)


@dataclass
class AttributeStage:
    """The configured attribute heads, each reading the face the right way up; every key of
    :data:`ATTRIBUTE_KEYS` is present on every face (None where no installed head gives it). Of heads
    giving the same keys, the first installed one runs (a fallback order, not an ensemble)."""

    heads: tuple[str, ...]
    options: ModelOptions
    name: str = "attributes"
    requires: frozenset[str] = frozenset({"landmarks"})
    provides: frozenset[str] = frozenset({"attributes"})

    _models: list | None = field(default=None, init=False, repr=False, compare=False)

    def enrich(self, ctx: AnalysisContext, faces: list[Face]) -> None:
        if self._models is None:  # which heads are installed is looked up once, not per image
            self._models = self._load()
        models = self._models
        for i, face in enumerate(faces):
            found: dict = dict.fromkeys(ATTRIBUTE_KEYS)
            image, upright = ctx.upright(i, face)
            for model, keys in models:
                found.update({k: v for k, v in model.get(image, upright).items() if k in keys})
            face.attributes = found

    def _load(self) -> list[tuple[Any, frozenset[str]]]:
        """The installed heads, each with the keys it is first to give (heads with none are left out)."""
        models, given = [], set()
        for name in self.heads:
            if not is_available(name):
                continue
            model = load_kind(name, ModelKind.ATTRIBUTE, self.options)
            keys = frozenset(model.provides) - given
            if keys:  # else an earlier installed head already gives all its keys
                given.update(keys)
                models.append((model, keys))
        return models


@dataclass
class MeshStage:
    """The dense 3D mesh (468 points) and irises (10), in original-image pixels."""

    model: str
    options: ModelOptions
    name: str = "mesh"
    requires: frozenset[str] = frozenset({"landmarks"})
    provides: frozenset[str] = frozenset({"mesh"})

    def enrich(self, ctx: AnalysisContext, faces: list[Face]) -> None:
        model = load_kind(self.model, ModelKind.MESH, self.options)
        for i, face in enumerate(faces):
            image, upright = ctx.upright(i, face)
            mesh, iris = model.get(image, upright)
            face.mesh, face.iris = ctx.to_original(mesh, i), ctx.to_original(iris, i)


def _options(config: AnalyzerConfig) -> ModelOptions:
    return ModelOptions(threads=config.threads)


# stage name → how to build it from the analyzer's configuration
STAGES: dict[str, Callable[[AnalyzerConfig], Stage]] = {
    "landmarks": lambda c: LandmarkStage(c.landmarker, _options(c)),
    "pose": lambda c: PoseStage(),
    "align": lambda c: AlignStage(c.embedder, _options(c)),
    "embed": lambda c: EmbedStage(c.embedder, _options(c), c.flip_tta),
    "quality": lambda c: QualityStage(c.embedder),
    "attributes": lambda c: AttributeStage(c.head_names, _options(c)),
    "mesh": lambda c: MeshStage(c.mesh_model, _options(c)),
}


def build_stages(config: AnalyzerConfig) -> list[Stage]:
    """The configured stages, checked once: each one's inputs are provided by an earlier one."""
    have = {"detection"}
    stages: list[Stage] = []
    for name in config.stage_names:
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r}; known stages: {', '.join(STAGES)}")
        stage = STAGES[name](config)
        missing = stage.requires - have
        if missing:
            raise ValueError(f"stage {name!r} needs {', '.join(sorted(missing))} from an earlier stage")
        have |= stage.provides
        stages.append(stage)
    return stages
