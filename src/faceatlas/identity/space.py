"""Identity spaces: the facts an embedder's vectors carry with them.

Every embedder names the space its vectors live in (``ModelSpec.space``): dimension, metric, the
default verification threshold, how the face chip is made (size, padding, which landmarks align
it), and the calibration that turns a distance into a false-match rate and a recognizability. Two
backends of the same network (dlib itself and its ONNX rebuild) share one space, so their vectors
mix; anything that changes the vectors (another network, another alignment) is another space or a
new ``version`` of it, and an atlas never mixes spaces.

Distances are always euclidean between the stored vectors. A ``cosine`` space stores unit-length
vectors (the embed stage normalises them), so its euclidean distance is sqrt(2 - 2 cos): one index
and one set of distance code for every space. Thresholds are expressed in those distance units, and
so are the clustering, naming and review parameters the space carries (``params``,
:mod:`faceatlas.identity.params`): the people code reads its defaults from the space, not from
module constants.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceatlas.errors import EmbedderMismatchError  # noqa: F401  (re-exported: raised by space users)
from faceatlas.identity.params import PeopleParams

if TYPE_CHECKING:
    from faceatlas.identity.calibration import Calibration

DATA_DIR = Path(__file__).with_name("data")


class Metric(StrEnum):
    EUCLIDEAN = "euclidean"
    COSINE = "cosine"


CHIP_LANDMARKS = ("68", "5", "dlib-5pt")


@dataclass(frozen=True)
class ChipSpec:
    """How the aligned face chip an embedder reads is cut: ``size`` px square, dlib-style
    ``padding`` around the landmark template, aligned on ``landmarks``: "68" (the 68 fitted iBUG
    points), "5" (five of them in dlib's 5-point layout: eye corners and nose base) or "dlib-5pt"
    (dlib's own 5-point shape predictor run in the face's box; for dlib's ResNet it verified as
    well as "68" on celeba_dev's dev half, no better, so that space keeps "68")."""

    size: int = 150
    padding: float = 0.25
    landmarks: str = "68"

    def __post_init__(self) -> None:
        if self.landmarks not in CHIP_LANDMARKS:
            raise ValueError(f"chip landmarks must be one of {CHIP_LANDMARKS}, not {self.landmarks!r}")


@dataclass(frozen=True)
class IdentitySpace:
    """Where an embedder's vectors live and how to compare them (see the module docstring)."""

    name: str
    version: str
    dim: int
    metric: Metric = Metric.EUCLIDEAN
    threshold: float = 0.6
    similarity_scale: float = 0.05  # width of the logistic that maps a distance to a [0, 1] similarity
    chip: ChipSpec = ChipSpec()
    calibration_file: str = ""  # a JSON file in identity/data/ (see faceatlas.identity.calibration)
    description: str = ""
    params: PeopleParams | None = None  # clustering / naming / review parameters measured for this space

    @property
    def people(self) -> PeopleParams:
        """The clustering, naming and review parameters of this space (they are in its distance units,
        so a space without them cannot cluster or name)."""
        if self.params is None:
            raise ValueError(
                f"identity space {self.key} has no clustering / naming parameters: measure them on a dev set "
                "(faceatlas eval tune-clusters, eval naming) and give the space a PeopleParams"
            )
        return self.params

    @property
    def key(self) -> str:
        """``name/version``: what the atlas records and compares."""
        return f"{self.name}/{self.version}"

    def prepare(self, vectors: np.ndarray) -> np.ndarray:
        """Vectors as stored: float32, unit length in a cosine space."""
        x = np.asarray(vectors, dtype=np.float32)
        if self.metric is Metric.COSINE:
            norms = np.linalg.norm(x, axis=-1, keepdims=True)
            x = x / np.maximum(norms, 1e-12)
        return x

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))

    def distances(self, query: np.ndarray, many: np.ndarray) -> np.ndarray:
        many = np.asarray(many, dtype=np.float64).reshape(-1, self.dim)
        return np.linalg.norm(many - np.asarray(query, dtype=np.float64), axis=1)

    def similarity(self, d: float, threshold: float | None = None) -> float:
        """A [0, 1] score, 0.5 at the threshold, falling as the distance grows."""
        t = self.threshold if threshold is None else threshold
        z = (d - t) / self.similarity_scale
        return 1.0 / (1.0 + math.exp(min(max(z, -60.0), 60.0)))

    def cosine(self, a: np.ndarray, b: np.ndarray) -> float:
        """Cosine similarity of two vectors of this space (for reports that want it)."""
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))

    @cached_property
    def calibration(self) -> Calibration:
        """The shipped calibration (defaults when the file is absent, as while it is rebuilt)."""
        from faceatlas.identity.calibration import Calibration

        path = DATA_DIR / self.calibration_file if self.calibration_file else None
        if path is not None and path.is_file():
            return Calibration.from_json(json.loads(path.read_text()))
        return Calibration(embedder=self.key)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "key": self.key,
            "dim": self.dim,
            "metric": str(self.metric),
            "threshold": self.threshold,
            "chip": {"size": self.chip.size, "padding": self.chip.padding, "landmarks": self.chip.landmarks},
            "people": None if self.params is None else self.params.to_dict(),
        }


def space_of(embedder: str) -> IdentitySpace:
    """The identity space of the embedder model called ``embedder`` (no model is loaded)."""
    from faceatlas.models.registry import get_spec

    spec = get_spec(embedder)
    if spec.space is None:
        raise ValueError(f"model {embedder!r} is not an embedder")
    return spec.space


DEFAULT_EMBEDDER = "dlib-resnet-onnx"


def default_space() -> IdentitySpace:
    return space_of(DEFAULT_EMBEDDER)
