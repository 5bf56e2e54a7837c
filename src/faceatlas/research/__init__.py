"""Research tools: clean a face data set (:func:`curate`), score identity preservation of generated
images (:func:`idsim`, :func:`idsim_pairs`), report verification error rates per demographic group
(:func:`fairness` over :func:`score_pairs`)."""

from faceatlas.research.curate import curate
from faceatlas.research.fairness import FairnessReport, ScoredPair, fairness, score_pairs
from faceatlas.research.idsim import IdSimReport, analyzer_source, idsim, idsim_pairs
from faceatlas.research.judge import CurateReport, judge
from faceatlas.research.records import DatasetFile, FileVerdict, FoundFace, IdentityVerdict
from faceatlas.research.thresholds import CurateThresholds

__all__ = [
    "CurateReport",
    "CurateThresholds",
    "DatasetFile",
    "FairnessReport",
    "FileVerdict",
    "FoundFace",
    "IdSimReport",
    "IdentityVerdict",
    "ScoredPair",
    "analyzer_source",
    "curate",
    "fairness",
    "idsim",
    "idsim_pairs",
    "judge",
    "score_pairs",
]
