"""The verification and landmark evaluations' own logic (no shared data needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from faceatlas.cli.app import app
from faceatlas.eval.calibrate import order_statistics
from faceatlas.eval.devsets import LandmarkFace, celeba_fixed_pairs, celeba_pairs
from faceatlas.eval.landmarks import FoundFace, _nearest, angle_between, labelled_roll
from faceatlas.eval.pairs import evaluate_pairs, score_distances
from faceatlas.identity.calibration import Calibration

runner = CliRunner()


def _face(roll_deg: float = 0.0, scale: float = 40.0) -> LandmarkFace:
    """68 points whose outer eye corners (36, 45) lie ``scale`` px apart at ``roll_deg``."""
    pts = np.zeros((68, 2))
    c, s = np.cos(np.radians(roll_deg)), np.sin(np.radians(roll_deg))
    pts[36:42] = [100 - scale / 2 * c, 100 - scale / 2 * s]
    pts[42:48] = [100 + scale / 2 * c, 100 + scale / 2 * s]
    pts[36], pts[45] = pts[36:42].mean(0), pts[42:48].mean(0)
    pts[30] = [100, 120]
    pts[48], pts[54] = [85, 140], [115, 140]
    return LandmarkFace(Path("x.jpg"), pts)


def test_labelled_roll_and_angle_difference():
    assert labelled_roll(_face(0)) == pytest.approx(0, abs=1e-6)
    assert labelled_roll(_face(25)) == pytest.approx(25, abs=1e-6)
    assert labelled_roll(_face(-170)) == pytest.approx(-170, abs=1e-6)
    assert angle_between(170, -170) == pytest.approx(20)
    assert angle_between(-90, 90) == pytest.approx(180)
    assert angle_between(5, 5) == 0


def test_nearest_found_face_must_lie_within_an_eye_distance():
    labels = _face()
    near = FoundFace(labels.points5 + 3)
    far = FoundFace(labels.points5 + 60)  # more than one outer-eye-corner distance (40 px) away
    assert _nearest([far, near], labels) is near
    assert _nearest([far], labels) is None


def test_score_distances_counts_missing_faces_as_different():
    d = np.array([0.3, 0.5, np.inf, 0.7, 0.9, np.inf])
    y = np.array([True, True, True, False, False, False])
    r = score_distances(d, y, 0.6)
    assert r.accuracy == pytest.approx(5 / 6)  # the same-person pair without a face is wrong
    assert r.best_accuracy == pytest.approx(5 / 6)
    assert r.evaluated == 4
    assert score_distances(d, y, 0.2).accuracy == pytest.approx(3 / 6)


def test_evaluate_pairs_with_given_embeddings_and_grey_sides(tmp_path):
    a, b, c = (tmp_path / n for n in ("a", "b", "c"))
    vectors = {a: np.zeros(2), b: np.array([0.5, 0.0]), c: np.array([0.0, 2.0])}
    seen = []

    def embed_of(path, grey):
        seen.append((path.name, grey))
        return None if grey and path == c else vectors[path]

    def dist(u, v):
        return float(np.linalg.norm(u - v))

    pairs = [(a, b, True), (a, c, False)]
    r = evaluate_pairs(pairs, threshold=0.6, embed_of=embed_of, distance=dist)
    assert r.accuracy == 1.0 and r.images == 3 and r.images_without_face == []
    r = evaluate_pairs(pairs, threshold=0.6, grayscale="both", embed_of=embed_of, distance=dist)
    assert r.accuracy == 1.0 and r.evaluated == 1 and r.images_without_face == [f"{c} (grey)"]
    assert ("c", True) in seen


def test_order_statistics_keep_the_empirical_false_match_rate():
    rng = np.random.default_rng(0)
    values = np.sort(rng.normal(0.85, 0.09, 200_000))
    kept = order_statistics(values, 2000)
    assert len(kept) == 2000 and np.all(np.diff(kept) >= 0)
    cal = Calibration(impostor_distances=tuple(kept), impostor_mean=0.85, impostor_std=0.09)
    for d in (0.6, 0.7, 0.85, 1.0):
        assert cal.false_match_rate(d) == pytest.approx(np.mean(values <= d), abs=1e-3)
    assert len(order_statistics(values[:50], 2000)) == 50


def _celeba(tmp_path, identities=10, photos=6):
    rows = ["file,identity,half"]
    for i in range(1, identities + 1):
        for k in range(photos):
            rows.append(f"{i:05d}/{k}.jpg,{i},{'dev' if i % 2 == 0 else 'test'}")
    (tmp_path / "identities.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_celeba_pairs_stay_in_their_half_and_are_deterministic(tmp_path):
    root = _celeba(tmp_path)
    pairs = celeba_pairs(root, "dev", 20, seed=3)
    assert pairs == celeba_pairs(root, "dev", 20, seed=3)
    assert sum(s for *_, s in pairs) == 20 and len(pairs) == 40
    assert all(int(p.parent.name) % 2 == 0 for a, b, _ in pairs for p in (a, b))
    assert all((a.parent == b.parent) == same for a, b, same in pairs)


def test_celeba_fixed_pairs_are_every_pair_of_a_fixed_subset(tmp_path):
    root = _celeba(tmp_path)
    pairs = celeba_fixed_pairs(root, "test", identities=3, per_identity=4)
    assert len(pairs) == 12 * 11 // 2 and sum(s for *_, s in pairs) == 3 * 6
    assert {a.parent.name for a, _, _ in pairs} <= {"00001", "00003", "00005"}


def test_eval_cli_rejects_bad_arguments():
    result = runner.invoke(app, ["eval", "pairs", "--json"])
    assert result.exit_code == 2 and "celeba" in result.output
    result = runner.invoke(app, ["eval", "pairs", "--set", "lfw", "--json"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["eval", "landmarks", "--turn", "45", "--json"])
    assert result.exit_code == 2 and "270" in result.output


def test_eval_pairs_cli_json_on_a_csv(tmp_path, astronaut, grace_hopper_path):
    from PIL import Image

    Image.fromarray(astronaut).save(tmp_path / "a.jpg", quality=92)
    Image.fromarray(astronaut[:, ::-1]).save(tmp_path / "a_mirror.jpg", quality=92)
    Image.open(grace_hopper_path).save(tmp_path / "h.jpg")
    (tmp_path / "pairs.csv").write_text("file_x,file_y,Decision\na.jpg,a_mirror.jpg,Yes\na.jpg,h.jpg,No\n")
    result = runner.invoke(app, ["eval", "pairs", str(tmp_path / "pairs.csv"), "--no-cache", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["pairs"] == 2 and data["accuracy"] == 1.0 and data["images_without_face"] == []


@pytest.mark.parametrize("landmarks", ["5", "dlib-5pt"])
def test_chips_aligned_on_five_points_embed_like_the_68_point_chip(astronaut, monkeypatch, landmarks):
    """The alignments compared on celeba_dev's dev half (README, Verification) cut the same face."""
    from faceatlas.identity.space import ChipSpec, space_of
    from faceatlas.models import load
    from faceatlas.pipeline import FaceAnalyzer
    from faceatlas.pipeline import stages as stages_module
    from faceatlas.pipeline.context import AnalysisContext

    analyzer = FaceAnalyzer()
    ctx = AnalysisContext(analyzer.open(astronaut))
    faces = analyzer.detection.run(ctx)
    stages = {s.name: s for s in analyzer.stages}
    stages["landmarks"].enrich(ctx, faces)
    stages["align"].enrich(ctx, faces)
    reference = ctx.work[0].chip
    space = space_of(analyzer.config.embedder)
    other = type(space)(space.name, "test", space.dim, chip=ChipSpec(150, 0.25, landmarks))
    monkeypatch.setattr(stages_module, "space_of", lambda name: other)
    stages["align"].enrich(ctx, faces)
    chip = ctx.work[0].chip
    assert chip.shape == reference.shape == (150, 150, 3) and not np.array_equal(chip, reference)
    a, b = load(analyzer.config.embedder).embed_chips([reference, chip])
    assert np.linalg.norm(a - b) < 0.25


def test_chip_spec_refuses_unknown_landmarks():
    from faceatlas.identity.space import ChipSpec

    with pytest.raises(ValueError, match="68"):
        ChipSpec(150, 0.25, "7")


def test_recache_redoes_only_the_stages_after_landmarks(tmp_path, astronaut):
    from PIL import Image

    from faceatlas.eval.recache import redo_after_landmarks
    from faceatlas.pipeline import FaceAnalyzer

    Image.fromarray(astronaut).save(tmp_path / "a.jpg", quality=92)
    analyzer = FaceAnalyzer()
    fresh = analyzer.analyze(tmp_path / "a.jpg")
    stale = [type(f)(**{**f.__dict__, "embedding": f.embedding + 0.5, "quality": 0.0}) for f in fresh]
    redone = redo_after_landmarks(analyzer, tmp_path / "a.jpg", "colour", stale)
    assert redone is not None and len(redone) == len(fresh)
    assert np.allclose(redone[0].embedding, fresh[0].embedding, atol=1e-5)
    assert redone[0].quality == fresh[0].quality and np.array_equal(redone[0].landmarks68, fresh[0].landmarks68)


def test_eval_landmarks_cli_on_a_labelled_photo(tmp_path, astronaut, monkeypatch):
    """A one-photo AFW-style set labelled with faceatlas's own points: found, NME ~0; turned 90°, found
    upright with its roll (a face fitted sideways has an NME of 50-120 %)."""
    from PIL import Image

    from faceatlas.pipeline import FaceAnalyzer

    monkeypatch.setenv("FACEATLAS_CACHE", str(tmp_path / "cache"))
    Image.fromarray(astronaut).save(tmp_path / "a.jpg", quality=95)
    pts = FaceAnalyzer().analyze(tmp_path / "a.jpg", embed=False)[0].landmarks68 + 1.0  # 1-based, as 300-W
    header = "file," + ",".join(f"x{i}" for i in range(68)) + "," + ",".join(f"y{i}" for i in range(68))
    row = "a.jpg," + ",".join(f"{x:.2f}" for x in pts[:, 0]) + "," + ",".join(f"{y:.2f}" for y in pts[:, 1])
    (tmp_path / "landmarks.csv").write_text(header + "\n" + row + "\n")
    result = runner.invoke(app, ["eval", "landmarks", str(tmp_path), "--turn", "90", "--no-peer", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["turn"] for r in rows] == [0, 90]
    assert rows[0]["found"] == 1 and rows[0]["mean_nme_pct"] < 0.1, rows
    assert rows[1]["found"] == 1 and rows[1]["mean_nme_pct"] < 3 and rows[1]["roll_off"] == 0, rows
