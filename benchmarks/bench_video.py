"""Video figures for the README ("Video"): speed, landmark jitter, identity switches on crossing
clips, aggregated vs single-frame verification, and the Hamilton clip.

    python benchmarks/bench_video.py [speed] [jitter] [crossing] [aggregate] [hamilton] [--json OUT]

Needs ../shared/data (the Hamilton clip; deepface's labelled photos for the synthetic clips).
Clips are generated, seeded, in a temporary folder. Speed is reported as wall-clock frames/s with
the machine's load average beside it, and as frames per CPU-second of this process (what 2 idle
cores would give, since tracking uses at most about 2 cores).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HAMILTON = SHARED / "face_recognition" / "examples" / "short_hamilton_clip.mp4"
SIZE = (640, 360)


def _identities() -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    with (SHARED / "deepface" / "identities.csv").open() as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["identity"], []).append(SHARED / "deepface" / row["file"])
    return out


def _patch(analyzer, path: Path, side: int) -> np.ndarray | None:
    from faceatlas.video.synthetic import face_patch

    img = analyzer.open(path)
    faces = analyzer.analyze(img, embed=False)
    return face_patch(img.full(), faces[0].bbox, side) if faces else None


def speed(tmp: Path) -> list[dict]:
    import cv2

    from faceatlas.video import VideoConfig, track_video, video_analyzer

    big = tmp / "hamilton_720p.mp4"
    cap = cv2.VideoCapture(str(HAMILTON))
    writer = cv2.VideoWriter(str(big), cv2.VideoWriter_fourcc(*"mp4v"), cap.get(cv2.CAP_PROP_FPS), (1280, 720))
    while (frame := cap.read())[0]:
        writer.write(cv2.resize(frame[1], (1280, 720), interpolation=cv2.INTER_CUBIC))
    writer.release()
    analyzer = video_analyzer()
    track_video(HAMILTON, analyzer, VideoConfig(max_frames=5))  # load the models
    rows = []
    for clip, label in ((HAMILTON, "640x360"), (big, "1280x720")):
        for every in (1, 2, 3, 5):
            wall, cpu = time.perf_counter(), time.process_time()
            r = track_video(clip, analyzer, VideoConfig(every=every))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows.append(
                {
                    "clip": label,
                    "every": every,
                    "frames": r.frames,
                    "video_fps": round(r.fps, 2),
                    "fps_wall": round(r.frames / wall, 1),
                    "fps_cpu": round(r.frames / cpu, 1),
                    "tracks": len(r.tracks),
                    "load": round(os.getloadavg()[0], 1),
                }
            )
            print(rows[-1], flush=True)
    return rows


def jitter(tmp: Path, faces: int = 6) -> list[dict]:
    from faceatlas.pipeline import FaceAnalyzer
    from faceatlas.video import TrackerConfig, VideoConfig, track_video
    from faceatlas.video.synthetic import Mover, render_clip

    analyzer = FaceAnalyzer()
    photos = [p[0] for p in _identities().values()][:faces]
    rows = []
    for k, photo in enumerate(photos):
        patch = _patch(analyzer, photo, 140)
        if patch is None:
            continue
        for speed_px in (0.0, 100.0, 200.0):
            clip = tmp / f"jitter_{k}_{int(speed_px)}.avi"
            render_clip(clip, [Mover(patch, (160 if speed_px else 320, 180), (speed_px, 0))], SIZE, 25.0, 3.0, k, 8.0)
            series = {}
            for smooth in (False, True):
                r = track_video(clip, config=VideoConfig(tracker=TrackerConfig(smooth=smooth)))
                t = max(r.tracks, key=lambda t: len(t.frames))
                series[smooth] = np.stack([f.landmarks5 for f in t.frames])[10:]
            n = min(len(series[False]), len(series[True]))
            row = {"face": photo.name, "speed_px_s": speed_px}
            if speed_px == 0:
                row["std_raw"] = round(float(series[False].std(0).mean()), 3)
                row["std_smooth"] = round(float(series[True].std(0).mean()), 3)
            else:  # lag: how far the smoothed points trail the raw ones, in frames
                gap = (series[False][:n, :, 0] - series[True][:n, :, 0]).mean()
                row["lag_frames"] = round(float(gap / (speed_px / 25.0)), 2)
            rows.append(row)
            print(row, flush=True)
    return rows


def crossing(tmp: Path, clips: int = 8) -> list[dict]:
    from faceatlas.pipeline import FaceAnalyzer
    from faceatlas.video import TrackerConfig, VideoConfig, track_video
    from faceatlas.video.synthetic import crossing_movers, identity_score, render_clip

    # the baseline: motion and box overlap only (no appearance: no re-identification, no stitching)
    iou_only = TrackerConfig(appearance_strict=-1.0, appearance_loose=1e9)

    analyzer = FaceAnalyzer()
    people = [v[0] for v in _identities().values()]
    rng = np.random.default_rng(0)
    pairs = [tuple(people[i] for i in rng.choice(len(people), 2, replace=False)) for _ in range(clips)]
    rows = []
    for k, (far, near) in enumerate(pairs):
        pf, pn = _patch(analyzer, far, 100), _patch(analyzer, near, 170)
        if pf is None or pn is None:
            continue
        clip = tmp / f"cross_{k}.avi"
        truth = render_clip(clip, crossing_movers(pf, pn, SIZE), SIZE, 25.0, 4.0, k, 3.0)
        hidden = sum(v[0] < 0.5 for v in truth.visible) / truth.fps
        for every, tracker in ((1, "full"), (3, "full"), (5, "full"), (3, "iou-only")):
            config = VideoConfig(every=every, tracker=iou_only if tracker == "iou-only" else TrackerConfig())
            s = identity_score(track_video(clip, config=config).tracks, truth)
            head = {"clip": k, "far": far.name, "near": near.name, "hidden_s": round(hidden, 2), "every": every}
            rows.append(head | {"tracker": tracker} | s.to_dict())
            print(rows[-1], flush=True)
    return rows


def aggregate(tmp: Path) -> dict:
    """Each labelled deepface photo becomes a 1.6 s clip of its face, small (about 45 px) and
    degraded frame to frame (noise, varying blur); the track's embedding is compared with every
    other labelled photo (full quality): aggregated vs a random detected frame vs the best-quality
    frame, at the verification threshold."""
    from sklearn.metrics import roc_auc_score

    from faceatlas.pipeline import FaceAnalyzer
    from faceatlas.video import VideoConfig, track_video
    from faceatlas.video.synthetic import Mover, face_patch, render_clip

    analyzer = FaceAnalyzer()
    rng = np.random.default_rng(0)
    refs, clips = [], []
    patches = {}
    for identity, photos in _identities().items():
        for photo in photos:
            img = analyzer.open(photo)
            faces = analyzer.analyze(img)
            if faces:
                refs.append((identity, photo, faces[0].embedding))
                patches[photo] = face_patch(img.full(), faces[0].bbox, 90)
    vectors: dict[str, list] = {"aggregated": [], "mean, norm kept": [], "random frame": [], "best frame": []}
    for k, (identity, photo, _) in enumerate(refs):
        patch = patches[photo]
        clip = tmp / f"agg_{k}.avi"
        render_clip(clip, [Mover(patch, (200, 180), (60, 0))], SIZE, 25.0, 1.6, k, noise=10.0, blur=2.5)
        tracks = track_video(clip, config=VideoConfig()).tracks
        if not tracks:
            continue
        t = max(tracks, key=lambda t: len(t.samples))
        samples = t.samples
        clips.append((identity, photo))
        vectors["aggregated"].append(t.embedding)
        x, q = np.stack([e for e, _ in samples]), np.array([qq or 0.5 for _, qq in samples])
        w = np.where(q >= 0.5 * q.max(), q, 0.0)
        mean = (w[:, None] * x).sum(0) / w.sum()
        norm = (w * np.linalg.norm(x, axis=1)).sum() / w.sum()
        vectors["mean, norm kept"].append(mean / np.linalg.norm(mean) * norm)
        vectors["random frame"].append(samples[rng.integers(len(samples))][0])
        vectors["best frame"].append(max(samples, key=lambda s: s[1] or 0)[0])
    out = {"clips": len(clips), "references": len(refs)}
    for name, vecs in vectors.items():
        d, same = [], []
        for (identity, photo), v in zip(clips, vecs):
            for rid, rphoto, r in refs:
                if rphoto != photo:
                    d.append(float(np.linalg.norm(np.asarray(v) - r)))
                    same.append(rid == identity)
        d, same = np.array(d), np.array(same)
        out[name] = {
            "accuracy@0.6": round(float(((d <= 0.6) == same).mean()), 4),
            "TAR@0.6": round(float((d[same] <= 0.6).mean()), 4),
            "FAR@0.6": round(float((d[~same] <= 0.6).mean()), 4),
            "AUC": round(float(roc_auc_score(same, -d)), 4),
            "genuine_mean_d": round(float(d[same].mean()), 4),
        }
        print(name, out[name], flush=True)
    return out


def hamilton() -> dict:
    from faceatlas.video import track_video

    start = time.perf_counter()
    r = track_video(HAMILTON)
    out = {
        "frames": r.frames,
        "seconds": round(time.perf_counter() - start, 2),
        "tracks": [
            {"id": t.id, "start_ms": t.start_ms, "end_ms": t.end_ms, "frames": len(t.frames), "quality": t.quality}
            for t in r.tracks
        ],
    }
    emb = [t.embedding for t in r.tracks]
    out["closest_pair_distance"] = round(min(float(np.linalg.norm(a - b)) for a, b in combinations(emb, 2)), 3)
    print(out, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("parts", nargs="*", default=["speed", "jitter", "crossing", "aggregate", "hamilton"])
    ap.add_argument("--json", type=Path, help="write all figures here")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for part in args.parts:
            fn = globals()[part]
            results[part] = fn() if part == "hamilton" else fn(Path(tmp))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
