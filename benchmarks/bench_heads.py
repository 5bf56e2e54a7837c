"""Attribute heads on celeba_dev: gender, smiling vs "happy", age vs "Young", time per face.

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

HEADS = ("cydral-gender", "cydral-age", "fer-emotion")


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

        if args.emotion_scales:
            for name, head in heads.items():
                rep = evaluate_heads(photos, {name: head}, faces_of, image_of)
                results[f"{variant} {name}"] = rep.summary()
        else:
            results[variant] = evaluate_heads(photos, heads, faces_of, image_of).summary()
        print(f"{variant}: done", file=sys.stderr)
    out = {"half": args.half, "heads": list(heads), "results": results}
    print(json.dumps(out, indent=1) if args.json else out)


if __name__ == "__main__":
    main()
