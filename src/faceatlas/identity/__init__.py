"""Identity: distances, the default threshold, verification and false-match-rate estimates."""

from faceatlas.identity.calibration import Calibration, calibration
from faceatlas.identity.space import ChipSpec, IdentitySpace, Metric, default_space, space_of
from faceatlas.identity.verify import default_threshold, distance, distances, similarity, verify_embeddings

__all__ = [
    "Calibration",
    "ChipSpec",
    "IdentitySpace",
    "Metric",
    "default_space",
    "default_threshold",
    "space_of",
    "calibration",
    "distance",
    "distances",
    "similarity",
    "verify_embeddings",
]
