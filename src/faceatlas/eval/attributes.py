"""Attribute heads against celeba_dev's labels: gender (``identity_gender.csv``: every photo of 71
labelled people), smiling vs the expression "happy" and age vs "Young" (``attributes.csv``: 234
photos), in colour or grey, with each head's time per face on one thread.

The faces (boxes, landmarks) come from the evaluation cache of the default analyzer; only the heads
run here, on the largest face of each photo, the image decoded as the analyzer saw it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceatlas.eval.devsets import celeba_attributes, celeba_gender, celeba_photos, celeba_root

Head = Callable[[np.ndarray, Any], dict[str, Any]]


@dataclass(frozen=True)
class AttributePhoto:
    """One photo with whatever labels it has (None where the set has none)."""

    path: Path
    identity: str
    gender: str | None = None  # the person's majority gender
    smiling: bool | None = None
    young: bool | None = None
    male: bool | None = None  # this photo's own CelebA label


def attribute_photos(root: Path | None = None, half: str = "dev") -> list[AttributePhoto]:
    """The photos of one half of celeba_dev that carry a gender or an attribute label."""
    base = celeba_root(root)
    attrs = celeba_attributes(base)
    genders = celeba_gender(base)
    out = []
    for photo in celeba_photos(base, half):
        rel = photo.path.relative_to(base).as_posix()
        a = attrs.get(rel)
        gender = genders.get(photo.identity)
        if a is None and gender is None:
            continue
        out.append(
            AttributePhoto(
                photo.path,
                photo.identity,
                gender,
                None if a is None else a["Smiling"] > 0,
                None if a is None else a["Young"] > 0,
                None if a is None else a["Male"] > 0,
            )
        )
    return out


@dataclass
class AttributeReport:
    """What the heads said on one half in one variant, against the labels."""

    photos: int = 0
    no_face: int = 0
    gender_correct: int = 0
    gender_total: int = 0
    smiling_correct: int = 0
    smiling_total: int = 0
    age_young: list[float] = field(default_factory=list)
    age_old: list[float] = field(default_factory=list)
    ms: dict[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float | None:
            return None if b == 0 else round(a / b, 4)

        return {
            "photos": self.photos,
            "no_face": self.no_face,
            "gender_accuracy": ratio(self.gender_correct, self.gender_total),
            "gender": f"{self.gender_correct}/{self.gender_total}",
            "smiling_vs_happy": ratio(self.smiling_correct, self.smiling_total),
            "smiling": f"{self.smiling_correct}/{self.smiling_total}",
            "age_median_young": round(statistics.median(self.age_young), 1) if self.age_young else None,
            "age_median_not_young": round(statistics.median(self.age_old), 1) if self.age_old else None,
            "ms_per_face": {k: round(statistics.median(v), 3) for k, v in self.ms.items() if v},
        }


def evaluate_heads(
    photos: Sequence[AttributePhoto],
    heads: dict[str, Head],
    faces_of: Callable[[Path], list | None],
    image_of: Callable[[Path], np.ndarray],
    progress: Callable[[], None] | None = None,
) -> AttributeReport:
    """Run ``heads`` (name → ``get(image, face)``) on the largest face of each photo; ``faces_of``
    gives a photo's faces (the cache), ``image_of`` its RGB pixels (colour or grey)."""
    report = AttributeReport(ms={name: [] for name in heads})
    for photo in photos:
        report.photos += 1
        faces = faces_of(photo.path)
        if progress:
            progress()
        if not faces:
            report.no_face += 1
            continue
        image, face = image_of(photo.path), faces[0]
        found: dict[str, Any] = {}
        for name, head in heads.items():
            start = time.perf_counter()
            found.update(head(image, face))
            report.ms[name].append((time.perf_counter() - start) * 1000)
        if photo.gender is not None and found.get("gender") is not None:
            report.gender_total += 1
            report.gender_correct += found["gender"] == photo.gender
        if photo.smiling is not None and found.get("expression") is not None:
            report.smiling_total += 1
            report.smiling_correct += (found["expression"] == "happy") == photo.smiling
        if photo.young is not None and found.get("age") is not None:
            (report.age_young if photo.young else report.age_old).append(float(found["age"]))
    return report
