"""Curation thresholds. Distances are expressed as multiples of the identity space's verification
threshold (``IdentitySpace.threshold``), so they follow the embedder; the multiples were chosen on
the dev half of ``celeba_dev`` (README, "Research tools"). Geometry limits are in pixels/degrees."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from faceatlas.identity.space import IdentitySpace, default_space

# multiples of the space's verification threshold, chosen on celeba_dev's dev half with injected
# errors as the most precise setting that keeps recall >= 0.90 (benchmarks/bench_curate.py --sweep)
MISLABELLED_FACTOR = 1.3
DUPLICATE_FACTOR = 0.3
LOOKS_LIKE_FACTOR = 0.55
# whole-picture duplicates whose faces are farther apart than this are two people photographed alike
IMAGE_FACES_FACTOR = 1.2
# a photo this many times farther from its own identity's centre than from another's is mislabelled
NEARER_OTHER = 1.3


@dataclass(frozen=True)
class CurateThresholds:
    """Everything that decides a flag (distances in the space's own units)."""

    mislabelled: float  # distance to the identity's centre above which a photo is mislabelled (far from all)
    duplicate: float  # embedding distance at or below which two photos may be near duplicates...
    looks_like: float  # identity centres at most this far apart: probably one person
    core: float  # two photos this close agree (builds each identity's core)
    nearer_other: float = NEARER_OTHER  # own-centre distance / nearest other centre's above which: mislabelled
    duplicate_picture: float = 0.93  # near duplicates also need aligned face-and-surroundings crops this alike...
    duplicate_box: float = 0.99  # ...or crops of the detector's box (widened) this alike
    duplicate_image: float = 0.96  # whole pictures' 16 x 16 thumbnails this alike: near duplicates (1: off)...
    duplicate_image_faces: float = float("inf")  # ...if their faces (where both have one) are at most this far apart
    small_face: float = 40.0  # px: the face box's shorter side below this is small
    low_quality: float = 0.5  # faceatlas quality score below this is low
    max_yaw: float = 60.0  # degrees
    max_pitch: float = 40.0  # degrees
    second_opinion_below: float = 0.8  # detector score under which a second detector must see the face too
    second_face: float = 0.5  # another face at least this fraction of the largest's width: multiple faces

    @classmethod
    def for_space(cls, space: IdentitySpace | None = None, **overrides: float | None) -> CurateThresholds:
        """Defaults for ``space`` (default: the default embedder's); ``overrides`` that are not None win."""
        space = space or default_space()
        base = cls(
            mislabelled=MISLABELLED_FACTOR * space.threshold,
            duplicate=DUPLICATE_FACTOR * space.threshold,
            looks_like=LOOKS_LIKE_FACTOR * space.threshold,
            core=space.threshold,
            duplicate_image_faces=IMAGE_FACES_FACTOR * space.threshold,
        )
        values = asdict(base) | {k: float(v) for k, v in overrides.items() if v is not None}
        return cls(**values)

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}
