"""The face pipeline: models run over an image → :class:`~faceatlas.types.Face` records."""

from faceatlas.pipeline.analyzer import AnalyzerConfig, FaceAnalyzer
from faceatlas.pipeline.detect import DetectorConfig

__all__ = ["AnalyzerConfig", "DetectorConfig", "FaceAnalyzer"]
