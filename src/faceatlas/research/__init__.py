"""Research tools: clean a face data set (:func:`curate`), score identity preservation of generated
images (:func:`idsim`), report verification error rates per demographic group (:func:`fairness`)."""

from faceatlas.research.curate import curate
from faceatlas.research.judge import CurateReport, judge
from faceatlas.research.records import DatasetFile, FileVerdict, FoundFace, IdentityVerdict
from faceatlas.research.thresholds import CurateThresholds

__all__ = [
    "CurateReport",
    "CurateThresholds",
    "DatasetFile",
    "FileVerdict",
    "FoundFace",
    "IdentityVerdict",
    "curate",
    "judge",
]
