"""Identity: distances, the default threshold, verification and false-match-rate estimates."""

from faceatlas.identity.calibration import Calibration, calibration
from faceatlas.identity.verify import DEFAULT_THRESHOLD, distance, distances, similarity, verify_embeddings

__all__ = [
    "DEFAULT_THRESHOLD",
    "Calibration",
    "calibration",
    "distance",
    "distances",
    "similarity",
    "verify_embeddings",
]
