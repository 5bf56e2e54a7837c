"""Verification accuracy on labelled pairs (``file_x,file_y,Decision`` CSV, Decision Yes/No)."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceatlas.errors import FaceAtlasError
from faceatlas.identity.verify import DEFAULT_THRESHOLD
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


def evaluate_pairs(
    pairs: list[tuple[Path, Path, bool]],
    analyzer: FaceAnalyzer | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    progress=None,
) -> PairsReport:
    """Embed each distinct image once (largest face) and score every pair."""
    from sklearn.metrics import roc_auc_score, roc_curve

    analyzer = analyzer or FaceAnalyzer()
    start = time.perf_counter()
    images = sorted({p for a, b, _ in pairs for p in (a, b)})
    vectors: dict[Path, np.ndarray | None] = {}
    for path in images:
        try:
            faces = analyzer.analyze(path)
            vectors[path] = faces[0].embedding if faces else None
        except FaceAtlasError:
            vectors[path] = None
        if progress:
            progress()
    dists, labels = [], []
    for a, b, same in pairs:
        va, vb = vectors[a], vectors[b]
        # a pair with a missing face counts as "different" (and as a wrong answer when same)
        dists.append(np.inf if va is None or vb is None else float(np.linalg.norm(va - vb)))
        labels.append(same)
    d, y = np.asarray(dists), np.asarray(labels)
    finite = np.where(np.isfinite(d), d, 10.0)
    acc = float(np.mean((finite <= threshold) == y))
    candidates = np.unique(finite)
    accs = [float(np.mean((finite <= t) == y)) for t in candidates]
    best = int(np.argmax(accs))
    auc = float(roc_auc_score(y, -finite)) if 0 < y.sum() < len(y) else float("nan")
    fpr, tpr, _ = roc_curve(y, -finite) if 0 < y.sum() < len(y) else (np.array([0.0]), np.array([0.0]), None)
    return PairsReport(
        pairs=len(pairs),
        evaluated=int(np.isfinite(d).sum()),
        images=len(images),
        images_without_face=[str(p) for p, v in vectors.items() if v is None],
        threshold=threshold,
        accuracy=acc,
        best_accuracy=accs[best],
        best_threshold=float(candidates[best]),
        roc_auc=auc,
        tar_at_far_1e2=_tar_at(fpr, tpr, 1e-2),
        tar_at_far_1e3=_tar_at(fpr, tpr, 1e-3),
        seconds=time.perf_counter() - start,
        distances=d,
        labels=y,
    )


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
