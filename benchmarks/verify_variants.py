"""Which chip and embedding choices verify best? Measured on celeba_dev pairs (choose on the dev half).

For the largest face of every photo of the pairs (faces, boxes and 68 landmarks from the evaluation
face cache of the default analyzer), the chip is cut several ways and embedded with the same network:

- ``68``: dlib's get_face_chip on the 68 fitted points (faceatlas's chip until revision 2);
- ``5of68``: on five of those points in dlib's 5-point layout (eye corners + nose base);
- ``5pt``: on dlib's own 5-point predictor run in the same box (face_recognition's alignment);

each also mirrored (flip averaging) and jittered (dlib's ``jitter_image``, 4 copies; the mean, as
face_recognition's ``num_jitters``), raw and L2-normalised. Prints accuracy at the threshold, the best
threshold and accuracy, ROC AUC, colour and grey, beside face_recognition on the same pairs.

    PYTHONPATH=src nice python3 benchmarks/verify_variants.py --half dev [--pairs 3000 --per-identity 10]
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
from pathlib import Path

import numpy as np

from faceatlas.eval import peers, variants
from faceatlas.eval.cache import FaceCache, cache_root
from faceatlas.eval.devsets import celeba_pairs
from faceatlas.eval.pairs import score_distances
from faceatlas.io import open_image
from faceatlas.models import load
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.pipeline.align import dlib5_layout, face_chip, landmark_box

CHIPS = ("68", "5of68", "5pt")
JITTERS = 4


def _chips(rgb: np.ndarray, face, five) -> dict[str, np.ndarray]:
    box = face.bbox
    out = {
        "68": face_chip(rgb, box, face.landmarks68, 150, 0.25),
        "5of68": face_chip(rgb, box, dlib5_layout(face.landmarks68), 150, 0.25),
    }
    pts5 = five.landmarks(rgb, landmark_box(box, face.detector))
    out["5pt"] = face_chip(rgb, box, pts5, 150, 0.25)
    return out


def photo_vectors(path: Path, grey: bool, cache: FaceCache, embedder, five) -> dict[str, np.ndarray] | None:
    """Per chip kind: (1 + 1 + JITTERS, 128) vectors (plain, mirrored, jittered), None without a face."""
    import dlib

    faces = cache.faces(path, "grey" if grey else "colour")
    if not faces or faces[0].landmarks68 is None:
        return None
    rgb = (variants.grayscale(path) if grey else open_image(path)).full()
    out = {}
    for kind, chip in _chips(rgb, faces[0], five).items():
        jittered = [np.asarray(j) for j in dlib.jitter_image(np.ascontiguousarray(chip), JITTERS)]
        batch = [chip, np.ascontiguousarray(chip[:, ::-1])] + jittered
        out[kind] = embedder.embed_chips(batch)
    return out


SELECT = {"plain": slice(0, 1), "flip": slice(0, 2), "jitter": slice(2, None), "flip+jitter": slice(0, None)}


def combine(v: dict[str, np.ndarray] | None, kind: str, how: str, norm: bool) -> np.ndarray | None:
    """One photo's vector: the mean of the selected copies of one chip kind, L2-normalised or not."""
    if v is None:
        return None
    e = v[kind][SELECT[how]].mean(0)
    return e / np.linalg.norm(e) if norm else e


def pair_distances(pairs: list, vec: dict[Path, np.ndarray | None]) -> np.ndarray:
    """Euclidean distance per pair (inf where a photo has no face)."""
    return np.array(
        [np.inf if vec[a] is None or vec[b] is None else float(np.linalg.norm(vec[a] - vec[b])) for a, b, _ in pairs]
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--half", default="dev")
    ap.add_argument("--pairs", type=int, default=3000)
    ap.add_argument("--per-identity", type=int, default=10)
    ap.add_argument("--threshold", type=float, default=0.6)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()

    pairs = celeba_pairs(None, args.half, args.pairs, 0, args.per_identity or None)
    analyzer = FaceAnalyzer()
    cache = FaceCache(analyzer)
    embedder = load("dlib-resnet-onnx")
    five = load("dlib-5pt")
    photos = sorted({p for a, b, _ in pairs for p in (a, b)})
    y = np.array([s for _, _, s in pairs])
    for grey in (False, True):
        ident = f"variants|{args.half}|{args.pairs}|{args.per_identity}|{grey}|{cache.folder.name}"
        key = hashlib.sha1(ident.encode()).hexdigest()
        store = cache_root() / "variants" / f"{key}.pkl"
        if store.is_file():
            vecs = pickle.loads(store.read_bytes())
        else:
            vecs = {p: photo_vectors(p, grey, cache, embedder, five) for p in photos}
            store.parent.mkdir(parents=True, exist_ok=True)
            store.write_bytes(pickle.dumps(vecs))
        print(f"\n{args.half} half, {'grey' if grey else 'colour'}: {len(pairs)} pairs, {len(photos)} photos")
        print(f"{'variant':<28}{'acc@t':>8}{'best':>8}{'thr':>8}{'AUC':>8}")

        def row(name: str, d: np.ndarray, t: float) -> None:
            r = score_distances(d, y, t)
            print(f"{name:<28}{r.accuracy:>8.4f}{r.best_accuracy:>8.4f}{r.best_threshold:>8.3f}{r.roc_auc:>8.4f}")

        for kind in CHIPS:
            for how in SELECT:
                for norm in (False, True):
                    d = pair_distances(pairs, {p: combine(v, kind, how, norm) for p, v in vecs.items()})
                    row(f"{kind} {how}{' L2' if norm else ''}", d, args.threshold)
        if not args.no_peer and peers.available():
            pv = {p: peers.embedding(p, grey) for p in photos}
            row("face_recognition (0.6)", pair_distances(pairs, pv), 0.6)


if __name__ == "__main__":
    main()
