"""Carry the evaluation face cache over to a new analysis revision whose change starts after the
landmarks (a new chip alignment, embedder version, quality reference or attribute head): each cached
face keeps its detection, 68 landmarks and pose, and the align → embed → quality → attributes (→ mesh)
stages run again, with the current code and configuration, on the photo: ~30 ms a photo instead of
a full analysis (~1 s on 2 cores).

A face that may have been analysed turned (|roll| > 30°: its upright frame is not the photo's) and a
photo without a cache entry are analysed in full. The result equals a fresh analysis of a photo
whose faces are upright: the stages that rerun are the analyzer's own.

    PYTHONPATH=src python3 -m faceatlas.eval.recache --from-revision 2 --from-embedder dlib-resnet/v1
"""

from __future__ import annotations

import argparse
import pickle
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from faceatlas.eval import variants
from faceatlas.eval.cache import FaceCache, analyzer_key, cache_root, entry_file, write_entry
from faceatlas.io import open_image
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.pipeline.context import AnalysisContext, FaceWork
from faceatlas.types import Detection, Face

RERUN = ("align", "embed", "quality", "attributes", "mesh")  # every stage after landmarks and pose
MAX_ROLL = 30.0  # a face rolled more may have been analysed turned: analysed again in full


def old_folder(analyzer: FaceAnalyzer, revision: str, embedder: str, root: Path | None = None) -> Path:
    """The cache folder ``analyzer``'s configuration had under an earlier revision and embedder key."""
    return (root or cache_root()) / analyzer_key(analyzer, embedder, revision)


def redo_after_landmarks(analyzer: FaceAnalyzer, path: Path, variant: str, faces: list[Face]) -> list[Face] | None:
    """``faces`` (cached for ``path``) with chips, embeddings and quality made again; None when a face
    may not be upright in the photo (then only a full analysis is right)."""
    if any(f.landmarks68 is None or (f.pose is not None and abs(f.pose.roll) > MAX_ROLL) for f in faces):
        return None
    image = variants.grayscale(path) if variant == "grey" else open_image(path)
    ctx = AnalysisContext(image)
    fresh = [replace(f, embedding=None, quality=None, quality_parts={}, attributes={}) for f in faces]
    for f in fresh:
        ctx.work.append(FaceWork(0, Detection(f.bbox, f.score, None, f.detector), f.landmarks68))
    for stage in analyzer.stages:
        if stage.name in RERUN:
            stage.enrich(ctx, fresh)
    return fresh


def carry_over(
    analyzer: FaceAnalyzer, source: Path, paths: Iterable[Path], kinds: Iterable[str] = ("colour", "grey")
) -> dict[str, int]:
    """Fill ``analyzer``'s cache for ``paths`` × ``kinds`` from the entries in ``source`` (an older
    cache folder); entries already in the new cache are redone too (their quality may predate a
    recalibration). Counts of entries carried, analysed in full, and absent from ``source``."""
    cache = FaceCache(analyzer)
    cache.folder.mkdir(parents=True, exist_ok=True)
    counts = {"carried": 0, "analysed": 0, "absent": 0}
    for path in paths:
        for kind in kinds:
            old = entry_file(source, path, kind)
            if not old.is_file():
                old = cache._file(path, kind)  # only in the new cache: redo its quality in place
            if not old.is_file():
                counts["absent"] += 1
                continue
            faces = pickle.loads(old.read_bytes())
            result = redo_after_landmarks(analyzer, path, kind, faces) if faces else faces
            if faces and result is None:
                result = cache._compute(path, kind)
                counts["analysed"] += 1
            else:
                counts["carried"] += 1
            write_entry(cache._file(path, kind), result)
    return counts


def main() -> None:
    from faceatlas.eval.devsets import afw_faces, celeba_photos

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from-revision", required=True)
    ap.add_argument("--from-embedder", required=True)
    ap.add_argument("--half", default="all", help="celeba_dev half (dev | test | all)")
    ap.add_argument("--kind", action="append", help="colour | grey (default: both); AFW is colour only")
    ap.add_argument("--no-afw", action="store_true")
    args = ap.parse_args()
    kinds = tuple(args.kind or ("colour", "grey"))
    analyzer = FaceAnalyzer()
    source = old_folder(analyzer, args.from_revision, args.from_embedder)
    print("from", source, "to", FaceCache(analyzer).folder)
    print("celeba_dev", carry_over(analyzer, source, [p.path for p in celeba_photos(half=args.half)], kinds))
    if not args.no_afw:
        print("landmarks_afw", carry_over(analyzer, source, [f.path for f in afw_faces()], ("colour",)))


if __name__ == "__main__":
    main()
