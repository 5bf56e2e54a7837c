"""faceatlas: an offline face-identity engine.

>>> import faceatlas
>>> faces = faceatlas.analyze("photo.jpg")            # doctest: +SKIP
>>> faceatlas.verify("a.jpg", "b.jpg").same            # doctest: +SKIP
"""

from faceatlas.api import analyze, compare, default_analyzer, detect, embed, largest_face, verify
from faceatlas.errors import FaceAtlasError, ImageError, ModelUnavailableError, NoFaceError
from faceatlas.pipeline import AnalyzerConfig, DetectorConfig, FaceAnalyzer
from faceatlas.types import BBox, Detection, Face, Pose, Verification

__version__ = "0.1.0"

__all__ = [
    "AnalyzerConfig",
    "BBox",
    "Detection",
    "DetectorConfig",
    "Face",
    "FaceAnalyzer",
    "FaceAtlasError",
    "ImageError",
    "ModelUnavailableError",
    "NoFaceError",
    "Pose",
    "Verification",
    "analyze",
    "compare",
    "default_analyzer",
    "detect",
    "embed",
    "largest_face",
    "verify",
]
