"""The people parameters of an identity space: what clustering, caption naming and the review
questions need to know about an embedder's distances, measured for that embedder.

An embedder's space (:class:`faceatlas.identity.space.IdentitySpace`) carries them like its
calibration; for dlib's ResNet they are read from ``identity/data/dlib-resnet-people.json``, where
the values chosen on celeba_dev's dev half live. Fields in the space's distance units are marked
``unit="distance"``: :meth:`PeopleParams.scaled` multiplies exactly those, which gives the
parameters of the same vectors measured on another scale. Everything else (counts, qualities,
shares) has no unit.

The estimators take ``space=`` and read their defaults here; an explicit argument still wins.
Because some parameters use ``None`` as a value ("pass off"), "take the space's value" is marked by
:data:`FROM_SPACE`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Final

DATA_DIR = Path(__file__).with_name("data")


class FromSpace(Enum):
    """The marker of a parameter whose default comes from the identity space."""

    DEFAULT = "from the identity space"

    def __repr__(self) -> str:
        return "FROM_SPACE"


FROM_SPACE: Final = FromSpace.DEFAULT


@dataclass(frozen=True)
class ClusterParams:
    """:class:`faceatlas.people.cluster.FaceClusterer`'s parameters (see its module docstring)."""

    threshold: float = field(metadata={"unit": "distance"})
    strong_threshold: float = field(metadata={"unit": "distance"})
    neighbour_threshold: float = field(metadata={"unit": "distance"})
    min_shared: float
    centroid_threshold: float = field(metadata={"unit": "distance"})
    k: int
    min_quality: float
    attach_threshold: float = field(metadata={"unit": "distance"})
    attach_margin: float = field(metadata={"unit": "distance"})
    poor_threshold: float | None = field(metadata={"unit": "distance"})  # None: strong_threshold
    join_threshold: float | None = field(metadata={"unit": "distance"})  # None: no pass (d)
    join_margin: float = field(metadata={"unit": "distance"})
    min_cluster_size: int


@dataclass(frozen=True)
class NamingParams:
    """:func:`faceatlas.people.naming.name_faces`'s parameters (see its module docstring)."""

    unknown_cost: float = field(metadata={"unit": "distance"})  # cost of the "unknown" answer
    link: float = field(metadata={"unit": "distance"})  # two faces this close are look-alikes
    hint_weight: float = field(metadata={"unit": "distance"})  # cost per place away from "(L)" / "(R)"
    verify_at: float | None = field(metadata={"unit": "distance"})  # None: no cap on a far face's confidence
    confidence_scale: float = field(metadata={"unit": "distance"})  # width of the confidence logistics
    no_model_discount: float = field(metadata={"unit": "distance"})  # a name without a model costs unknown - this


@dataclass(frozen=True)
class ReviewParams:
    """Distances of the review questions and suggestions (:mod:`faceatlas.people.labeling`)."""

    confirm_distance: float = field(metadata={"unit": "distance"})  # "Is this X?" within this of X's centroid
    similar_distance: float = field(metadata={"unit": "distance"})  # "may be the same person" within this


def _scale(params, factor: float):
    changes = {
        f.name: (None if getattr(params, f.name) is None else getattr(params, f.name) * factor)
        for f in fields(params)
        if f.metadata.get("unit") == "distance"
    }
    return replace(params, **changes)


@dataclass(frozen=True)
class TrackingParams:
    """Appearance distances of the video tracker (:class:`faceatlas.video.tracker.TrackerConfig`)."""

    appearance_strict: float = field(metadata={"unit": "distance"})  # same face by appearance alone (re-id)
    appearance_loose: float = field(metadata={"unit": "distance"})  # overlapping boxes farther apart: not matched


@dataclass(frozen=True)
class PeopleParams:
    """Everything above, for one identity space."""

    clustering: ClusterParams
    naming: NamingParams
    review: ReviewParams
    tracking: TrackingParams
    notes: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> PeopleParams:
        return cls(
            ClusterParams(**data["clustering"]),
            NamingParams(**data["naming"]),
            ReviewParams(**data["review"]),
            TrackingParams(**data["tracking"]),
            data.get("notes", ""),
        )

    @classmethod
    def load(cls, name: str) -> PeopleParams:
        """The parameters in ``identity/data/<name>``."""
        return cls.from_dict(json.loads((DATA_DIR / name).read_text()))

    def to_dict(self) -> dict:
        return asdict(self)

    def scaled(self, factor: float) -> PeopleParams:
        """The same parameters for vectors ``factor`` times as far apart (distance fields only)."""
        return PeopleParams(
            _scale(self.clustering, factor),
            _scale(self.naming, factor),
            _scale(self.review, factor),
            _scale(self.tracking, factor),
            self.notes,
        )


def resolve(defaults: object, **given: object) -> dict:
    """``given`` with every :data:`FROM_SPACE` value replaced by the same-named field of ``defaults``."""
    return {k: (getattr(defaults, k) if v is FROM_SPACE else v) for k, v in given.items()}
