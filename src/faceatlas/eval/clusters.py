"""Clustering quality on a folder-per-identity set: pairwise and BCubed precision/recall/F for
faceatlas's FaceClusterer and four baselines on the same embeddings — DBSCAN, dlib's Chinese
whispers, agglomerative clustering with average linkage, and approximate rank-order clustering
(Otto et al. 2018). Each baseline has a parameter grid searched on the dev half
(:func:`tune`, ``faceatlas eval tune-clusters``); :data:`DEV_TUNED` holds the values found there."""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceatlas.eval.cluster_sets import Degradation, FaceSet, degraded_copy, link_into, load_faces, set_info
from faceatlas.people.cluster import FaceClusterer
from faceatlas.pipeline import FaceAnalyzer


@dataclass
class ClusterScore:
    method: str
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f: float
    clusters: int
    unassigned: int
    identities: int

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _singletons(pred: np.ndarray) -> np.ndarray:
    """Unassigned faces (-1) count as clusters of their own."""
    out = pred.copy()
    nxt = out.max() + 1 if len(out) else 0
    for i in np.nonzero(out < 0)[0]:
        out[i] = nxt
        nxt += 1
    return out


def _f(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(method: str, truth: np.ndarray, pred: np.ndarray) -> ClusterScore:
    p = _singletons(np.asarray(pred))
    t = np.asarray(truth)
    pair_c = Counter(zip(p.tolist(), t.tolist()))
    same_both = sum(v * (v - 1) / 2 for v in pair_c.values())
    same_pred = sum(v * (v - 1) / 2 for v in Counter(p.tolist()).values())
    same_true = sum(v * (v - 1) / 2 for v in Counter(t.tolist()).values())
    pp = same_both / same_pred if same_pred else 1.0
    pr = same_both / same_true if same_true else 1.0
    csize, tsize = Counter(p.tolist()), Counter(t.tolist())
    bp = float(np.mean([pair_c[(a, b)] / csize[a] for a, b in zip(p.tolist(), t.tolist())]))
    br = float(np.mean([pair_c[(a, b)] / tsize[b] for a, b in zip(p.tolist(), t.tolist())]))
    assigned = np.asarray(pred) >= 0
    return ClusterScore(
        method,
        pp,
        pr,
        _f(pp, pr),
        bp,
        br,
        _f(bp, br),
        clusters=len(set(np.asarray(pred)[assigned].tolist())),
        unassigned=int((~assigned).sum()),
        identities=len(tsize),
    )


def _unassign_singletons(labels: np.ndarray) -> np.ndarray:
    """Clusters of one face become unassigned (-1), as faceatlas reports them."""
    labels = np.asarray(labels)
    counts = Counter(labels.tolist())
    return np.array([lab if lab >= 0 and counts[lab] > 1 else -1 for lab in labels.tolist()], dtype=np.int64)


def dbscan(x: np.ndarray, eps: float = 0.5, min_samples: int = 2) -> np.ndarray:
    from sklearn.cluster import DBSCAN

    return DBSCAN(eps=eps, min_samples=min_samples, metric="euclidean").fit_predict(x)


def chinese_whispers(x: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """dlib's Chinese whispers graph clustering (0.5 is the threshold of dlib's face-clustering
    example); clusters of one face are reported as unassigned like the other methods."""
    import dlib

    labels = dlib.chinese_whispers_clustering([dlib.vector(v.tolist()) for v in x], threshold)
    return _unassign_singletons(np.asarray(labels))


def hac_average(x: np.ndarray, threshold: float = 0.6) -> np.ndarray:
    """Agglomerative clustering with average linkage (scikit-learn), cut at ``threshold``."""
    from sklearn.cluster import AgglomerativeClustering

    if len(x) < 2:
        return np.full(len(x), -1)
    hac = AgglomerativeClustering(n_clusters=None, distance_threshold=threshold, linkage="average")
    return _unassign_singletons(hac.fit_predict(x))


def rank_order(x: np.ndarray, threshold: float = 1.0, k: int = 20) -> np.ndarray:
    """Approximate rank-order clustering (Otto et al. 2018): faces within each other's top ``k``
    whose rank-order distance is below ``threshold`` are linked; clusters are the linked groups."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from faceatlas.index.knn import knn
    from faceatlas.people.rank_order import rank_order_edges

    n = len(x)
    if n < 2:
        return np.full(n, -1)
    _, idx = knn(x, min(k + 1, n))
    a, b, dist = rank_order_edges(idx)
    keep = dist < threshold
    graph = coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n, n))
    return _unassign_singletons(connected_components(graph, directed=False)[1])


def faceatlas_clusterer(fs: FaceSet, **params) -> np.ndarray:
    """faceatlas's clusterer with the photo and quality information the atlas gives it."""
    return FaceClusterer(**params).fit_predict(fs.x, groups=fs.photos, quality=fs.quality)


@dataclass(frozen=True)
class Method:
    """A clustering method under comparison: how to run it and the grid searched on the dev half."""

    name: str
    run: Callable[..., np.ndarray]  # (FaceSet, **params) -> labels
    grid: dict[str, tuple]
    precision_floor: float = 0.0  # tuning keeps only settings at least this precise on every dev set


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "faceatlas",
            faceatlas_clusterer,
            {
                "min_quality": (0.6, 0.65, 0.7),
                "attach_threshold": (0.4, 0.55),
                "attach_margin": (0.0, 0.2),
                "poor_threshold": (0.35, 0.4),
                "join_threshold": (None, 0.5),
            },
            precision_floor=0.97,
        ),
        Method(
            "chinese-whispers",
            lambda fs, **p: chinese_whispers(fs.x, **p),
            {"threshold": tuple(np.round(np.arange(0.40, 0.62, 0.02), 2))},
        ),
        Method(
            "dbscan",
            lambda fs, **p: dbscan(fs.x, **p),
            {"eps": tuple(np.round(np.arange(0.40, 0.62, 0.02), 2)), "min_samples": (1, 2, 3)},
        ),
        Method(
            "hac-average",
            lambda fs, **p: hac_average(fs.x, **p),
            {"threshold": tuple(np.round(np.arange(0.50, 0.72, 0.025), 3))},
        ),
        Method(
            "rank-order",
            lambda fs, **p: rank_order(fs.x, **p),
            {"k": (10, 20, 40), "threshold": (0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0)},
        ),
    )
}

# Found by ``faceatlas eval tune-clusters`` on the dev half of celeba_dev, separately for the sets
# without ("clean") and with ("lowres") low-resolution copies, colour and grey sets jointly: each
# baseline's best mean BCubed F. faceatlas runs with its defaults everywhere (one setting for all).
DEV_TUNED: dict[str, dict[str, dict]] = {
    "clean": {
        "faceatlas": {},
        "chinese-whispers": {"threshold": 0.54},
        "dbscan": {"eps": 0.5, "min_samples": 1},
        "hac-average": {"threshold": 0.625},
        "rank-order": {"k": 20, "threshold": 0.5},
    },
    "lowres": {
        "faceatlas": {},
        "chinese-whispers": {"threshold": 0.5},
        "dbscan": {"eps": 0.44, "min_samples": 1},
        "hac-average": {"threshold": 0.65},
        "rank-order": {"k": 40, "threshold": 0.2},
    },
}


def _label(name: str, params: dict) -> str:
    return f"{name}({', '.join(f'{k}={v}' for k, v in params.items())})" if params else name


def condition(root: Path) -> str:
    """ "lowres" for a set built with low-resolution copies, else "clean" (which :data:`DEV_TUNED`)."""
    return "lowres" if set_info(root).get("lowres") else "clean"


def evaluate_set(
    fs: FaceSet, params: dict[str, dict] | None = None, methods: list[str] | None = None
) -> list[ClusterScore]:
    """Every method (or those named) on the same faces, with ``params`` (default: the clean-set
    :data:`DEV_TUNED`)."""
    params = DEV_TUNED["clean"] if params is None else params
    out = []
    for name in methods or list(METHODS):
        p = params.get(name, {})
        out.append(score(_label(name, p), fs.truth, METHODS[name].run(fs, **p)))
    return out


def evaluate(
    root: Path, analyzer: FaceAnalyzer | None = None, params: dict[str, dict] | None = None
) -> list[ClusterScore]:
    """faceatlas (using photo and quality information, as the atlas does) against the baselines on
    the same embeddings of the set at ``root`` (faces from the face cache; baselines with the
    parameters tuned on the dev half for the set's condition unless ``params`` are given)."""
    return evaluate_set(load_faces(root, analyzer), params or DEV_TUNED[condition(root)])


@dataclass
class TuneResult:
    method: str
    params: dict
    mean_f: float
    min_precision: float
    per_set: list[ClusterScore]

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "params": self.params,
            "mean_bcubed_f": round(self.mean_f, 4),
            "min_bcubed_precision": round(self.min_precision, 4),
        }


def tune(
    sets: list[FaceSet], methods: list[str] | None = None, precision_floor: float | None = None
) -> list[TuneResult]:
    """Grid-search each method on ``sets`` (dev-half sets): the setting of best mean BCubed F among
    those whose precision reaches the method's floor (or ``precision_floor`` for every method) on
    every set; the best F when none does."""
    results = []
    for name in methods or list(METHODS):
        m = METHODS[name]
        keys = list(m.grid)
        tried = []
        for values in itertools.product(*(m.grid[k] for k in keys)):
            p = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in zip(keys, values)}
            scores = [score(_label(name, p), fs.truth, m.run(fs, **p)) for fs in sets]
            tried.append(
                TuneResult(
                    name,
                    p,
                    float(np.mean([s.bcubed_f for s in scores])),
                    min(s.bcubed_precision for s in scores),
                    scores,
                )
            )
        floor = m.precision_floor if precision_floor is None else precision_floor
        ok = [t for t in tried if t.min_precision >= floor] or tried
        results.append(max(ok, key=lambda t: t.mean_f))
    return results


def build_eval_set(
    data_root: Path, out: Path, analyzer: FaceAnalyzer | None = None, degradation: Degradation | None = Degradation()
) -> dict:
    """Build a clustering benchmark from ../shared/data in ``out``:

    - ``identities/<identity>/``: the labelled photos (symlinks): deepface's 13 identities,
      face_recognition's 5 knn people, CompreFace's people A, B, C;
    - with a ``degradation``, beside each labelled photo a low-resolution copy (by default its face
      ~32 px wide and slightly blurred: the small faces that make real albums hard);
    - ``distractors/``: the group photos (every face a different person; dlib's collage
      ``bald_guys.jpg`` is left out because it repeats people).
    """
    analyzer = analyzer or FaceAnalyzer()
    ident = out / "identities"
    photos: list[tuple[Path, str]] = []
    with (data_root / "deepface" / "identities.csv").open() as fh:
        photos += [(data_root / "deepface" / r["file"], r["identity"]) for r in csv.DictReader(fh)]
    train = data_root / "face_recognition" / "examples" / "knn_examples" / "train"
    for person in sorted(p for p in train.iterdir() if p.is_dir()):
        photos += [(p, f"fr_{person.name}") for p in sorted(person.iterdir())]
    compreface = data_root / "detection" / "compreface"
    for p in sorted(compreface.glob("*.jpg")):
        letter = p.stem.split("_")[1]
        if letter.isalpha():
            photos.append((p, f"cf_{letter}"))
        elif letter != "0":
            link_into(p, out / "distractors")
    for p in sorted((data_root / "detection" / "dlib_faces").glob("*.jpg")):
        if p.name not in {"bald_guys.jpg", "dogs.jpg"}:
            link_into(p, out / "distractors")
    made = 0
    for src, identity in photos:
        link_into(src, ident / identity)
        if degradation is not None:
            found = analyzer.analyze(src, embed=False)
            if found:
                made += degraded_copy(
                    src, ident / identity / f"lowres_{src.stem}.jpg", found[0].bbox.width, degradation
                )
    info = {
        "set": "shared",
        "lowres": degradation is not None,
        "variant": "colour",
        "photos": len(photos),
        "degraded_copies": made,
        "distractor_photos": len(list((out / "distractors").glob("*"))),
    }
    (out / "set.json").write_text(json.dumps(info, indent=1))
    return info
