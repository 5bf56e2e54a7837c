"""Faces in videos: the tracker, landmark smoothing, track embeddings, `faceatlas video`, scanning
videos one face per track, and POST /v1/video. Clips are small and generated in tmp from the real
faces shipped in installed packages (no ../shared needed)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from atlas_fixtures import astronaut, hopper, make_album
from faceatlas.cli.app import app
from faceatlas.engines import scan
from faceatlas.people.corrections import name_person
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.service import ServiceSettings, create_app
from faceatlas.store import Atlas
from faceatlas.types import BBox, Face
from faceatlas.video import TrackerConfig, VideoConfig, track_video
from faceatlas.video.aggregate import aggregate_embedding
from faceatlas.video.smoothing import OneEuroFilter
from faceatlas.video.synthetic import Mover, crossing_movers, face_patch, identity_score, render_clip
from faceatlas.video.tracker import Tracker

# ---------------------------------------------------------------- unit: no model


def test_one_euro_filter_steadies_a_still_point_and_follows_a_moving_one():
    rng = np.random.default_rng(0)
    fps, scale = 25.0, 100.0
    f = OneEuroFilter()
    still = np.array([f(np.array([50.0, 50.0]) + rng.normal(0, 1.0, 2), k / fps, scale) for k in range(100)])
    assert still[20:].std(0).mean() * 3 <= 1.0, "at least 3x steadier than the 1 px noise"
    f.reset()
    speed = 4.0  # px per frame
    moving = np.array([f(np.array([speed * k, 0.0]), k / fps, scale) for k in range(60)])
    lag_frames = (speed * np.arange(60)[20:] - moving[20:, 0]).mean() / speed
    assert 0 <= lag_frames <= 1.0


def test_aggregate_embedding_weights_quality_and_drops_poor_frames():
    good, poor = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    agg = aggregate_embedding([good, good, poor], [0.9, 0.8, 0.3])
    np.testing.assert_allclose(agg, good, atol=1e-6)  # 0.3 < half of the best: left out
    agg = aggregate_embedding([good, poor], [0.9, 0.6])
    assert agg[0] > agg[1] > 0
    with pytest.raises(ValueError):
        aggregate_embedding([], [])


def _face(x: float, y: float, emb: np.ndarray, side: float = 60.0, quality: float = 0.9) -> Face:
    pts = np.array(
        [
            [x + 0.3 * side, y + 0.4 * side],
            [x + 0.7 * side, y + 0.4 * side],
            [x + 0.5 * side, y + 0.6 * side],
            [x + 0.35 * side, y + 0.8 * side],
            [x + 0.65 * side, y + 0.8 * side],
        ]
    )
    return Face(BBox(x, y, x + side, y + side), 0.9, landmarks5=pts, quality=quality, embedding=emb)


def test_tracker_reidentifies_a_face_hidden_for_a_second_and_never_swaps():
    """A walks right behind B (hidden frames 20–45, 1 s at 25 fps) and comes back; B stays. With
    detections on every frame: two tracks, A's spans both sides of the gap, no track mixes them."""
    ea, eb = np.zeros(128), np.zeros(128)
    ea[0], eb[1] = 1.0, 1.0
    tracker = Tracker(25.0, TrackerConfig(), None)
    for k in range(70):
        faces = [_face(200, 100, eb + 0.01 * np.sin(k))]
        if not 20 <= k <= 45:
            faces.append(_face(60 + 4 * k, 104, ea + 0.01 * np.cos(k)))
        tracker.detected(k, k * 40, faces)
    tracks = tracker.finish()
    assert len(tracks) == 2
    a = next(t for t in tracks if t.embedding[0] > 0.5)
    b = next(t for t in tracks if t.embedding[1] > 0.5)
    assert [f.index for f in a.frames] == [k for k in range(70) if not 20 <= k <= 45]
    assert len(b.frames) == 70
    assert all(abs(f.bbox.x1 - (60 + 4 * f.index)) < 5 for f in a.frames), "A's frames hold A's boxes"
    assert (a.id, b.id) == (1, 2) or (a.id, b.id) == (2, 1)


def test_tracker_does_not_reidentify_a_different_face():
    ea, eb = np.zeros(128), np.zeros(128)
    ea[0], eb[1] = 1.0, 1.0
    tracker = Tracker(25.0)
    for k in range(10):
        tracker.detected(k, k * 40, [_face(100, 100, ea)])
    for k in range(20, 30):  # someone else, where A was, after a second
        tracker.detected(k, k * 40, [_face(100, 100, eb)])
    assert len(tracker.finish()) == 2


# ---------------------------------------------------------------- real models, synthetic clips


@pytest.fixture(scope="module")
def patches() -> dict[str, np.ndarray]:
    analyzer = FaceAnalyzer()
    a, h = astronaut(), hopper()
    return {
        "far": face_patch(a, analyzer.analyze(a)[0].bbox, 100),
        "near": face_patch(h, analyzer.analyze(h)[0].bbox, 170),
        "still": face_patch(a, analyzer.analyze(a)[0].bbox, 140),
    }


def test_crossing_clip_keeps_identities(tmp_path, patches):
    """Two faces cross, the near one hiding the far one for about a second: one track per person, no
    identity switch, and the far face's track resumes after it is hidden."""
    clip = tmp_path / "cross.avi"
    truth = render_clip(clip, crossing_movers(patches["far"], patches["near"]), seconds=4.0, seed=1)
    hidden = [k for k, v in enumerate(truth.visible) if v[0] < 0.5]
    assert len(hidden) >= 20, "the far face is hidden for 0.8 s or more"
    result = track_video(clip)
    score = identity_score(result.tracks, truth)
    assert score.switches == 0 and score.tracks == 2 and score.tracks_per_person == [1, 1], score
    far = next(t for t in result.tracks if abs(t.frames[0].bbox.center[0] - 0.15 * 640) < 40)
    assert far.frames[0].index < hidden[0] and far.frames[-1].index > hidden[-1]
    assert score.coverage > 0.85


def _landmark_series(clip: Path, **tracker) -> np.ndarray:
    result = track_video(clip, config=VideoConfig(tracker=TrackerConfig(**tracker)))
    track = max(result.tracks, key=lambda t: len(t.frames))
    return np.stack([f.landmarks5 for f in track.frames])


def test_smoothing_reduces_landmark_jitter_on_a_still_clip(tmp_path, patches):
    clip = tmp_path / "still.avi"
    render_clip(clip, [Mover(patches["still"], (320, 180))], seconds=2.0, seed=2, noise=8.0)
    raw = _landmark_series(clip, smooth=False)[10:].std(0).mean()
    smooth = _landmark_series(clip)[10:].std(0).mean()
    assert smooth * 2.5 <= raw, (raw, smooth)


# ---------------------------------------------------------------- CLI


def _small_clip(path: Path) -> Path:
    render_clip(
        path,
        [Mover(face_patch(astronaut(), BBox(170, 40, 280, 170), 120), (160, 120), (40, 0))],
        size=(320, 240),
        fps=10,
        seconds=1.5,
        seed=4,
    )
    return path


def test_video_command_json_contract_and_annotated_copy(tmp_path):
    clip = _small_clip(tmp_path / "walk.avi")
    out = tmp_path / "annotated.avi"
    res = CliRunner().invoke(app, ["video", str(clip), "--json", "--out", str(out), "--every", "2"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["video"] == str(clip) and doc["fps"] == 10 and doc["frames"] == 15
    assert [t["id"] for t in doc["tracks"]] == [1]
    track = doc["tracks"][0]
    assert set(track) == {"id", "start_ms", "end_ms", "frames", "quality", "person"}
    assert track["person"] is None and track["start_ms"] == 0 and track["end_ms"] == track["frames"][-1]["t_ms"]
    first = track["frames"][0]
    assert set(first) == {"t_ms", "bbox", "landmarks5", "detected"} and len(first["landmarks5"]) == 5
    assert [f["detected"] for f in track["frames"][:4]] == [True, False, True, False]
    assert len(track["frames"]) == 15
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 15
    cap.release()


@pytest.mark.parametrize("kind", ["empty", "corrupt", "truncated"])
def test_video_command_bad_files_one_line_error(tmp_path, kind):
    path = _bad_video(tmp_path, kind)
    res = CliRunner().invoke(app, ["video", str(path), "--json"])
    assert res.exit_code == 2
    doc = json.loads(res.stdout)
    assert doc["video"] == str(path) and doc["error"] and "\n" not in doc["error"]
    res = CliRunner().invoke(app, ["video", str(path)])
    assert res.exit_code == 2 and len(res.stdout.strip().splitlines()) == 1


def _bad_video(folder: Path, kind: str) -> Path:
    path = folder / f"{kind}.mp4"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "corrupt":
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    else:  # an MP4 cut in half: its index (written last) is gone
        good = folder / "whole.mp4"
        render_clip(
            good,
            [Mover(np.full((64, 64, 3), 128, np.uint8), (80, 60))],
            size=(160, 120),
            fps=10,
            seconds=1.0,
            fourcc="mp4v",
        )
        data = good.read_bytes()
        good.unlink()
        path.write_bytes(data[: len(data) // 2])
    return path


# ---------------------------------------------------------------- scan and service


def test_scan_of_a_folder_with_videos_stores_one_face_per_track_and_goes_on(tmp_path, patches):
    folder = make_album(tmp_path / "album")
    render_clip(folder / "cross.avi", crossing_movers(patches["far"], patches["near"]), seconds=4.0, seed=1)
    bad = [_bad_video(folder, kind) for kind in ("empty", "corrupt", "truncated")]
    with Atlas(tmp_path / "atlas.sqlite3") as atlas:
        summary = scan(atlas, [folder])
        failed = {f["image"]: f["error"] for f in summary.failed}
        assert {str(p) for p in bad} <= set(failed) and all("\n" not in e for e in failed.values())
        clip = [f for f in atlas.faces.live() if f.image_path.endswith("cross.avi")]
        assert len(clip) == 2, "one face per track: the two people of the clip"
        assert all(f.start_ms == 0 and f.end_ms >= 3800 and f.start_ms <= f.frame_ms <= f.end_ms for f in clip)
        photo_people = {f.person_id for f in atlas.faces.live() if f.image_path.endswith(".jpg")} - {None}
        assert {f.person_id for f in clip} == photo_people, "each track joins its person from the photos"
        astronaut_person = next(f.person_id for f in atlas.faces.live() if "astronaut_0" in f.image_path)
        name_person(atlas, astronaut_person, "Eileen Collins")
        faces_before = atlas.faces.count()
    walk = _small_clip(tmp_path / "walk.avi")
    res = CliRunner().invoke(app, ["video", str(walk), "--json", "--db", str(tmp_path / "atlas.sqlite3")])
    person = json.loads(res.stdout)["tracks"][0]["person"]
    assert person == {"id": astronaut_person, "name": "Eileen Collins"}, "video --db names the track"
    with Atlas(tmp_path / "atlas.sqlite3") as atlas:
        assert atlas.faces.count() == faces_before, "video never writes to the atlas"
    settings = ServiceSettings(db=tmp_path / "atlas.sqlite3", analysis_processes=0)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        page = client.get(f"/people/{astronaut_person}").text
        face = next(f for f in clip if f.person_id == astronaut_person)
        assert f"▶ 0.0–{face.end_ms / 1000:.1f} s" in page, "the person page shows the video face's time range"
        faces = client.get(f"/v1/people/{astronaut_person}").json()["faces"]
        assert {(f.get("start_ms"), f.get("end_ms")) for f in faces} >= {(face.start_ms, face.end_ms)}


def test_video_endpoint_runs_a_job(tmp_path):
    album = tmp_path / "album"
    album.mkdir()
    clip = _small_clip(album / "walk.avi")
    settings = ServiceSettings(db=tmp_path / "a.sqlite3", roots=(album,), analysis_processes=0, max_video_bytes=10**6)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        assert "/v1/video" in client.get("/openapi.json").json()["paths"]
        r = client.post("/v1/video", files={"video": ("walk.avi", clip.read_bytes())})
        assert r.status_code == 202, r.text
        job = _wait(client, r.json()["id"])
        assert job["kind"] == "video" and job["state"] == "done", job
        assert job["result"]["video"] == "walk.avi" and [t["id"] for t in job["result"]["tracks"]] == [1]
        by_path = _wait(client, client.post("/v1/video", json={"path": "walk.avi"}).json()["id"])
        assert by_path["result"]["tracks"][0]["frames"] == job["result"]["tracks"][0]["frames"]
        assert client.post("/v1/video", json={"path": "/etc/passwd"}).status_code == 403
        big = client.post("/v1/video", files={"video": ("big.mp4", b"\x00" * (10**6 + 10))})
        assert big.status_code == 413
        broken = _wait(client, client.post("/v1/video", files={"video": ("x.mp4", b"nope")}).json()["id"])
        assert broken["state"] == "failed" and "cannot decode" in broken["error"]


def _wait(client, job_id: int) -> dict:
    deadline = time.monotonic() + 120
    while (job := client.get(f"/v1/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return job


def test_video_command_refuses_an_output_it_cannot_write_before_working(tmp_path):
    res = CliRunner().invoke(app, ["video", str(tmp_path / "any.mp4"), "--out", str(tmp_path / "x.gif"), "--json"])
    assert res.exit_code == 2 and "cannot write x.gif" in json.loads(res.stdout)["error"]


def test_serve_takes_the_video_upload_limit(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from faceatlas.cli.app import app as cli

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    db = str(tmp_path / "a.sqlite3")
    result = CliRunner().invoke(cli, ["serve", "--db", db, "--max-video-mb", "3", "--json"])
    assert result.exit_code == 0, result.output
    settings = served[0].state.settings
    assert settings.max_video_bytes == 3 * 1024 * 1024 and settings.max_upload_bytes == 20 * 1024 * 1024
    assert CliRunner().invoke(cli, ["serve", "--db", db, "--max-video-mb", "0"]).exit_code == 2
