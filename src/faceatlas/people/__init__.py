"""People: clustering faces into people, incremental assignment, and the user's corrections."""

from faceatlas.people.cluster import FaceClusterer

__all__ = ["FaceClusterer"]
