"""Verification accuracy on labelled pairs (``file_x,file_y,Decision`` CSV, Decision Yes/No)."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceatlas.errors import FaceAtlasError
from faceatlas.eval import variants
from faceatlas.pipeline import FaceAnalyzer


@dataclass
class PairsReport:
    pairs: int
    evaluated: int
    images: int
    images_without_face: list[str]
    threshold: float
    accuracy: float
    best_accuracy: float
    best_threshold: float
    roc_auc: float
    tar_at_far_1e2: float
    tar_at_far_1e3: float
    seconds: float
    distances: np.ndarray
    labels: np.ndarray

    def to_dict(self) -> dict:
        return {
            "pairs": self.pairs,
            "evaluated_pairs": self.evaluated,
            "images": self.images,
            "images_without_face": self.images_without_face,
            "threshold": self.threshold,
            "accuracy": round(self.accuracy, 4),
            "best_accuracy": round(self.best_accuracy, 4),
            "best_threshold": round(self.best_threshold, 4),
            "roc_auc": round(self.roc_auc, 4),
            "tar_at_far_1e-2": round(self.tar_at_far_1e2, 4),
            "tar_at_far_1e-3": round(self.tar_at_far_1e3, 4),
            "seconds": round(self.seconds, 2),
        }


def read_pairs(csv_path: Path, root: Path | None) -> list[tuple[Path, Path, bool]]:
    """Pairs with paths resolved against ``root`` (default: the CSV's folder); a path that does not
    exist there is tried by its file name alone (peer CSVs carry their own repo prefixes)."""
    base = root or csv_path.parent
    out = []
    with csv_path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        ix, iy, idec = (header.index(c) for c in ("file_x", "file_y", "Decision"))
        for row in reader:
            out.append(
                (
                    _resolve(base, row[ix]),
                    _resolve(base, row[iy]),
                    row[idec].strip().lower() in {"yes", "1", "true", "same"},
                )
            )
    return out


def _resolve(base: Path, name: str) -> Path:
    p = base / name
    return p if p.exists() else base / Path(name).name


GRAYSCALE_MODES = ("none", "both", "first")


def _sides(
    pairs: list[tuple[Path, Path, bool]], grayscale: str
) -> list[tuple[tuple[Path, bool], tuple[Path, bool], bool]]:
    """Each pair as ((path, grey?), (path, grey?), same)."""
    return [((a, grayscale != "none"), (b, grayscale == "both"), same) for a, b, same in pairs]


def images_to_embed(pairs: list[tuple[Path, Path, bool]], grayscale: str = "none") -> int:
    """How many distinct (photo, variant) embeddings :func:`evaluate_pairs` computes."""
    return len({key for ka, kb, _ in _sides(pairs, grayscale) for key in (ka, kb)})


EmbedOf = Callable[[Path, bool], np.ndarray | None]


def analyzer_embeddings(analyzer: FaceAnalyzer, cache: bool = True) -> EmbedOf:
    """``(path, grey) →`` the embedding of the photo's largest face (None: no face / unreadable), from
    the on-disk face cache of ``analyzer`` when ``cache`` (see :mod:`faceatlas.eval.cache`)."""
    from faceatlas.eval.cache import FaceCache

    store = FaceCache(analyzer) if cache else None

    def embed(path: Path, grey: bool) -> np.ndarray | None:
        if store is not None:
            faces = store.faces(path, "grey" if grey else "colour")
        else:
            try:
                faces = analyzer.analyze(variants.grayscale(path) if grey else path)
            except FaceAtlasError:
                faces = None
        return faces[0].embedding if faces else None

    return embed


def evaluate_pairs(
    pairs: list[tuple[Path, Path, bool]],
    analyzer: FaceAnalyzer | None = None,
    threshold: float | None = None,
    progress=None,
    grayscale: str = "none",
    embed_of: EmbedOf | None = None,
    distance: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> PairsReport:
    """Embed each distinct image once (largest face) and score every pair. ``grayscale``: "both"
    compares grey copies of both photos, "first" a grey first photo with a colour second one.
    ``embed_of`` / ``distance`` replace the analyzer's (e.g. a cached one, or a peer's); the analyzer
    then only supplies the threshold when none is given."""
    if grayscale not in GRAYSCALE_MODES:
        raise ValueError(f"grayscale must be one of {GRAYSCALE_MODES}, not {grayscale!r}")
    if embed_of is None or distance is None or threshold is None:
        analyzer = analyzer or FaceAnalyzer()
        threshold = analyzer.space.threshold if threshold is None else threshold
        embed_of = embed_of or analyzer_embeddings(analyzer, cache=False)
        distance = distance or analyzer.space.distance
    start = time.perf_counter()
    sides = _sides(pairs, grayscale)
    images = sorted({key for ka, kb, _ in sides for key in (ka, kb)})
    vectors: dict[tuple[Path, bool], np.ndarray | None] = {}
    for path, grey in images:
        vectors[(path, grey)] = embed_of(path, grey)
        if progress:
            progress()
    dists, labels = [], []
    for ka, kb, same in sides:
        va, vb = vectors[ka], vectors[kb]
        # a pair with a missing face counts as "different" (and as a wrong answer when same)
        dists.append(np.inf if va is None or vb is None else distance(va, vb))
        labels.append(same)
    report = score_distances(np.asarray(dists), np.asarray(labels), threshold)
    report.pairs = len(pairs)
    report.images = len(images)
    report.images_without_face = [str(p) + (" (grey)" if g else "") for (p, g), v in vectors.items() if v is None]
    report.seconds = time.perf_counter() - start
    return report


def score_distances(d: np.ndarray, y: np.ndarray, threshold: float) -> PairsReport:
    """Accuracy at ``threshold``, the best threshold, ROC AUC and TAR at FAR of pair distances ``d``
    (inf: a face missing) and labels ``y`` (True: same person)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    finite = np.where(np.isfinite(d), d, 10.0)
    acc = float(np.mean((finite <= threshold) == y))
    candidates = np.unique(finite)
    accs = [float(np.mean((finite <= t) == y)) for t in candidates]
    best = int(np.argmax(accs))
    both = 0 < y.sum() < len(y)
    auc = float(roc_auc_score(y, -finite)) if both else float("nan")
    fpr, tpr, _ = roc_curve(y, -finite) if both else (np.array([0.0]), np.array([0.0]), None)
    return PairsReport(
        pairs=len(d),
        evaluated=int(np.isfinite(d).sum()),
        images=0,
        images_without_face=[],
        threshold=threshold,
        accuracy=acc,
        best_accuracy=accs[best],
        best_threshold=float(candidates[best]),
        roc_auc=auc,
        tar_at_far_1e2=_tar_at(fpr, tpr, 1e-2),
        tar_at_far_1e3=_tar_at(fpr, tpr, 1e-3),
        seconds=0.0,
        distances=d,
        labels=y,
    )


def peer_report(
    pairs: list[tuple[Path, Path, bool]], grayscale: str = "none", progress=None, threshold: float = 0.6
) -> PairsReport:
    """face_recognition (:mod:`faceatlas.eval.peers`) on the same pairs, at its own default 0.6."""
    from faceatlas.eval import peers

    def dist(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(a.astype(np.float64) - b))

    return evaluate_pairs(pairs, None, threshold, progress, grayscale, peers.embedding, dist)


def _tar_at(fpr: np.ndarray, tpr: np.ndarray, far: float) -> float:
    ok = fpr <= far
    return float(tpr[ok].max()) if ok.any() else 0.0


def plot_roc(report: PairsReport, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    finite = np.where(np.isfinite(report.distances), report.distances, 10.0)
    fpr, tpr, _ = roc_curve(report.labels, -finite)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, label=f"AUC {report.roc_auc:.4f}")
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_xlabel("false accept rate")
    ax.set_ylabel("true accept rate")
    ax.set_title("faceatlas verification ROC")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
