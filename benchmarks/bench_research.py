"""idsim and fairness measured on celeba_dev (README, "Research tools").

    python benchmarks/bench_research.py idsim --half test [--refs 1 3] [--peer]
    python benchmarks/bench_research.py fairness --half test [--peer]

idsim: for every identity of the half, its first R photos (sorted) are the references and its other
photos are same-person "generated" stand-ins; every photo of the other identities of the half is an
other-person stand-in. AUC of the cosine similarity over all (identity, stand-in) pairs, faces found
only (detection failures are counted apart). fairness: every pair of photos of the half whose person
has a gender in identity_gender.csv, run through the ``faceatlas eval fairness`` command (faces from
the evaluation cache). ``--peer`` adds face_recognition 1.3.0 on the same photos and protocol.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from itertools import combinations
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from faceatlas.eval.cache import FaceCache
from faceatlas.eval.devsets import celeba_gender, celeba_photos, paths_by_identity
from faceatlas.identity.space import default_space
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.research.idsim import idsim
from faceatlas.types import BBox, Face


def peer_source(path: Path):
    from faceatlas.eval import peers

    vec = peers.embedding(path)
    return [] if vec is None else [Face(BBox(0, 0, 1, 1), 1.0, embedding=vec)]


def by_identity(half: str, only: set[Path] | None = None) -> dict[str, list[Path]]:
    return paths_by_identity(p for p in celeba_photos(half=half) if only is None or p.path in only)


def idsim_auc(half: str, refs: int, source, only: set[Path] | None = None) -> dict:
    space = default_space()
    ids = by_identity(half, only)
    scores, labels, failures, skipped = [], [], set(), 0
    for identity, paths in sorted(ids.items()):
        if len(paths) <= refs:
            skipped += 1
            continue
        same = paths[refs:]
        other = [p for k, ps in ids.items() if k != identity for p in ps]
        try:
            report = idsim(paths[:refs], same + other, space, source)
        except Exception:  # no face in any reference
            skipped += 1
            continue
        for k, s in enumerate(report.images):
            if not s.face:
                failures.add(s.generated)
                continue
            scores.append(s.cosine)
            labels.append(k < len(same))
    y, x = np.array(labels), np.array(scores)
    return {
        "half": half,
        "photos": "where both tools find a face" if only is not None else "all",
        "references": refs,
        "identities_scored": len(ids) - skipped,
        "same_pairs": int(y.sum()),
        "other_pairs": int((~y).sum()),
        "auc_cosine": round(float(roc_auc_score(y, x)), 4),
        "cosine_same_mean": round(float(x[y].mean()), 4),
        "cosine_other_mean": round(float(x[~y].mean()), 4),
        "photos_without_face": len(failures),
    }


def write_fairness_csvs(half: str, folder: Path) -> tuple[Path, Path]:
    gender = celeba_gender()
    photos = [p for p in celeba_photos(half=half) if p.identity in gender]
    pairs_csv, groups_csv = folder / "pairs.csv", folder / "groups.csv"
    with pairs_csv.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file_x", "file_y", "Decision"])
        for a, b in combinations(photos, 2):
            w.writerow([a.path, b.path, "Yes" if a.identity == b.identity else "No"])
    with groups_csv.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "group", "identity"])
        for p in photos:
            w.writerow([p.path, gender[p.identity], p.identity])
    return pairs_csv, groups_csv


def peer_fairness(pairs_csv: Path, groups_csv: Path) -> dict:
    from faceatlas.eval.pairs import read_pairs
    from faceatlas.research.fairness import fairness, read_groups, score_pairs

    groups, identities = read_groups(groups_csv)
    scored = score_pairs(read_pairs(pairs_csv, None), default_space(), peer_source, identities)
    return fairness(scored, groups, 0.6, "face_recognition-1.3.0 (HOG + dlib ResNet)").to_dict()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["idsim", "fairness"])
    ap.add_argument("--half", default="test", choices=["dev", "test", "all"])
    ap.add_argument("--refs", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args()
    if args.what == "idsim":
        cache = FaceCache(FaceAnalyzer())
        both = None
        if args.peer:
            both = {p.path for p in celeba_photos(half=args.half) if cache.faces(p.path) and peer_source(p.path)}
        for r in args.refs:
            print(json.dumps({"faceatlas": idsim_auc(args.half, r, cache.faces)}))
            if args.peer:
                print(json.dumps({"face_recognition": idsim_auc(args.half, r, peer_source)}))
                print(json.dumps({"faceatlas": idsim_auc(args.half, r, cache.faces, both)}))
                print(json.dumps({"face_recognition": idsim_auc(args.half, r, peer_source, both)}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        pairs_csv, groups_csv = write_fairness_csvs(args.half, Path(tmp))
        cmd = [sys.executable, "-m", "faceatlas", "eval", "fairness", str(pairs_csv), "--groups", str(groups_csv)]
        if args.plot:
            cmd += ["--plot", str(args.plot)]
        done = subprocess.run(cmd + ["--json"], check=True, capture_output=True, text=True)
        results = {"faceatlas": json.loads(done.stdout)}
        if args.peer:
            results["face_recognition"] = peer_fairness(pairs_csv, groups_csv)
    print(json.dumps(results))
    print("| tool | group | people | genuine / impostor pairs | FNMR @ 0.6 | FMR @ 0.6 | FNMR @ common | FMR @ common "
          "| threshold for FMR 1e-3 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for tool, r in results.items():
        rows = r["groups"] + ([r["cross_group_impostors"]] if r["cross_group_impostors"] else [])
        for g in rows:
            cells = []
            for where in ("at_default_threshold", "at_common_threshold"):
                for kind in ("fnmr", "fmr"):
                    x = g[where][kind]
                    cells.append(
                        "-" if x["rate"] is None else f"{x['rate']:.4f} [{x['ci95'][0]:.4f}, {x['ci95'][1]:.4f}]"
                    )
            print(
                f"| {tool} (common {r['common_threshold']}) | {g['group']} | {g['identities']} | "
                f"{g['genuine_pairs']} / {g['impostor_pairs']} | " + " | ".join(cells) + f" | {g['threshold_needed']} |"
            )


if __name__ == "__main__":
    main()
