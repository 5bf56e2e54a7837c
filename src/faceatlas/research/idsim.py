"""Identity preservation of generated images (``faceatlas idsim``): how close each generated face is
to the reference person, as identity-customisation papers report it (mean ± std cosine similarity,
share of images verified as the same person, detection failures).

Figures depend on the embedder: papers use ArcFace models, faceatlas uses the embedder of its
identity space (dlib's ResNet by default), so compare figures only within one embedder."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceatlas.errors import FaceAtlasError
from faceatlas.identity.space import IdentitySpace
from faceatlas.types import Face

# path → faces (largest first), or None when the file cannot be read
FaceSource = Callable[[Path], "list[Face] | None"]
NOTE = "figures compare only within one embedder (papers report ArcFace similarities)"


@dataclass
class GeneratedScore:
    """One generated image against its reference identity."""

    generated: str
    reference: str
    face: bool
    cosine: float | None = None
    distance: float | None = None
    same: bool = False
    error: str | None = None  # the file could not be read

    def to_dict(self) -> dict:
        return {
            "generated": self.generated,
            "reference": self.reference,
            "face": self.face,
            "cosine": None if self.cosine is None else round(self.cosine, 4),
            "distance": None if self.distance is None else round(self.distance, 4),
            "same": self.same,
        }


@dataclass
class IdSimReport:
    embedder: str
    threshold: float
    images: list[GeneratedScore] = field(default_factory=list)
    references_without_face: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        n = len(self.images)
        found = [s for s in self.images if s.face]
        scored = [s for s in found if s.cosine is not None]  # (a pair whose reference has no face is not)
        cos = np.array([s.cosine for s in scored], dtype=float)
        dist = np.array([s.distance for s in scored], dtype=float)
        same = sum(s.same for s in self.images)

        def stat(x: np.ndarray, f) -> float | None:
            return round(float(f(x)), 4) if len(x) else None

        return {
            "images": n,
            "faces_found": len(found),
            "scored": len(scored),
            "detection_failures": n - len(found),
            "detection_failure_rate": round((n - len(found)) / n, 4) if n else None,
            "unreadable": sum(s.error is not None for s in self.images),
            "cosine_mean": stat(cos, np.mean),
            "cosine_std": stat(cos, np.std),
            "distance_mean": stat(dist, np.mean),
            "distance_std": stat(dist, np.std),
            "threshold": self.threshold,
            "verified": same,
            "verified_rate": round(same / n, 4) if n else None,  # a failed detection is not verified
            "verified_rate_of_detected": round(same / len(found), 4) if found else None,
            "references_without_face": self.references_without_face,  # or that cannot be read
            "note": NOTE,
        }

    def to_dict(self) -> dict:
        return {"embedder": self.embedder, "summary": self.summary(), "images": [s.to_dict() for s in self.images]}

    def write_csv(self, path: Path) -> Path:
        with Path(path).open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["generated", "reference", "face", "cosine", "distance", "same"])
            for s in self.images:
                d = s.to_dict()
                w.writerow([d["generated"], d["reference"], d["face"], d["cosine"], d["distance"], d["same"]])
        return Path(path)


def analyzer_source(analyzer) -> FaceSource:
    """Faces from a :class:`~faceatlas.pipeline.FaceAnalyzer`; None for a file it cannot read."""

    def faces(path: Path) -> list[Face] | None:
        try:
            return analyzer.analyze(path)
        except FaceAtlasError:
            return None

    return faces


class _Embeddings:
    """Largest-face embeddings of files, each computed once."""

    def __init__(self, source: FaceSource) -> None:
        self.source = source
        self.memo: dict[Path, tuple[np.ndarray | None, bool]] = {}

    def __call__(self, path: Path) -> tuple[np.ndarray | None, bool]:
        """(embedding or None, readable)."""
        if path not in self.memo:
            faces = self.source(path)
            vec = faces[0].embedding if faces else None
            self.memo[path] = (None if vec is None else np.asarray(vec, dtype=np.float64), faces is not None)
        return self.memo[path]


def _centre(space: IdentitySpace, vectors: list[np.ndarray]) -> np.ndarray:
    """The reference identity: the mean embedding (re-normalised in a cosine space)."""
    return space.prepare(np.mean(np.stack(vectors), axis=0)).astype(np.float64)


def _score(space: IdentitySpace, threshold: float, ref: np.ndarray, gen: Path, ref_name: str, emb) -> GeneratedScore:
    vec, readable = emb(gen)
    if vec is None:
        return GeneratedScore(str(gen), ref_name, False, error=None if readable else "cannot read this image")
    d = space.distance(vec, ref)
    return GeneratedScore(str(gen), ref_name, True, space.cosine(vec, ref), d, d <= threshold)


def idsim(
    references: Sequence[Path | str],
    generated: Sequence[Path | str],
    space: IdentitySpace,
    source: FaceSource,
    threshold: float | None = None,
) -> IdSimReport:
    """Every ``generated`` image against the mean embedding of ``references`` (largest faces).
    Raises :class:`FaceAtlasError` when no reference shows a face."""
    t = space.threshold if threshold is None else threshold
    emb = _Embeddings(source)
    refs = [Path(r) for r in references]
    vectors = [v for v in (emb(r)[0] for r in refs) if v is not None]
    report = IdSimReport(space.key, t, references_without_face=[str(r) for r in refs if emb(r)[0] is None])
    if not vectors:
        raise FaceAtlasError("no face found in any reference image")
    centre = _centre(space, vectors)
    name = ";".join(str(r) for r in refs)
    report.images = [_score(space, t, centre, Path(g), name, emb) for g in generated]
    return report


def idsim_pairs(
    pairs: Sequence[tuple[Path | str, Path | str]],
    space: IdentitySpace,
    source: FaceSource,
    threshold: float | None = None,
) -> IdSimReport:
    """Each (reference, generated) pair on its own; a reference without a face leaves its
    generated image unscored (face false)."""
    t = space.threshold if threshold is None else threshold
    emb = _Embeddings(source)
    report = IdSimReport(space.key, t)
    for ref, gen in pairs:
        ref_vec, _ = emb(Path(ref))
        if ref_vec is None:
            if str(ref) not in report.references_without_face:
                report.references_without_face.append(str(ref))
            report.images.append(GeneratedScore(str(gen), str(ref), emb(Path(gen))[0] is not None))
            continue
        report.images.append(_score(space, t, _centre(space, [ref_vec]), Path(gen), str(ref), emb))
    return report


def read_pairs(csv_path: Path) -> list[tuple[Path, Path]]:
    """``reference,generated`` rows, paths relative to the CSV's folder unless absolute."""
    base = Path(csv_path).parent
    with Path(csv_path).open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"reference", "generated"} - set(reader.fieldnames or [])
        if missing:
            raise FaceAtlasError(f"{csv_path}: needs the columns reference,generated (missing {', '.join(missing)})")
        return [(base / r["reference"], base / r["generated"]) for r in reader]
