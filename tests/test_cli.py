"""The command line: JSON shapes, exit codes, bad files reported while the rest goes on."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from faceatlas.cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def photos(tmp_path_factory, astronaut, grace_hopper_path):
    root = tmp_path_factory.mktemp("photos")
    Image.fromarray(astronaut).save(root / "astronaut.jpg", quality=92)
    Image.fromarray(astronaut[:, ::-1]).save(root / "astronaut_mirror.png")
    Image.open(grace_hopper_path).save(root / "hopper.jpg")
    (root / "broken.jpg").write_bytes(b"definitely not a jpeg")
    return root


def _json(result):
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_analyze_json_shape(photos):
    data = _json(runner.invoke(app, ["analyze", str(photos), "--json", "--embeddings"]))
    by_name = {d["image"].split("/")[-1]: d for d in data}
    assert set(by_name) == {"astronaut.jpg", "astronaut_mirror.png", "hopper.jpg", "broken.jpg"}
    assert by_name["broken.jpg"]["error"] and by_name["broken.jpg"]["faces"] == []
    face = by_name["astronaut.jpg"]["faces"][0]
    assert set(face) == {"bbox", "score", "landmarks5", "pose", "quality", "attributes", "embedding"}
    assert set(face["attributes"]) == {"gender", "gender_score", "age", "expression", "expression_scores", "liveness"}
    assert len(face["bbox"]) == 4 and len(face["landmarks5"]) == 5 and len(face["embedding"]) == 128
    assert set(face["pose"]) == {"yaw", "pitch", "roll"}
    assert by_name["astronaut.jpg"]["error"] is None


def test_analyze_without_embeddings_and_draw(photos, tmp_path):
    data = _json(runner.invoke(app, ["analyze", str(photos / "astronaut.jpg"), "--json", "--draw", str(tmp_path)]))
    assert "embedding" not in data[0]["faces"][0]
    drawn = np.asarray(Image.open(tmp_path / "astronaut.faces.jpg"))
    assert drawn.shape == (512, 512, 3)


def test_detect_json(photos):
    data = _json(runner.invoke(app, ["detect", str(photos / "hopper.jpg"), "--json"]))
    assert len(data[0]["faces"]) == 1 and len(data[0]["faces"][0]["keypoints"]) == 6


def test_verify_exit_codes(photos):
    same = runner.invoke(app, ["verify", str(photos / "astronaut.jpg"), str(photos / "astronaut_mirror.png"), "--json"])
    assert same.exit_code == 0
    out = json.loads(same.stdout)
    assert set(out) == {"same", "distance", "threshold", "similarity", "false_match_rate"} and out["same"]
    diff = runner.invoke(app, ["verify", str(photos / "astronaut.jpg"), str(photos / "hopper.jpg"), "--json"])
    assert diff.exit_code == 1 and json.loads(diff.stdout)["same"] is False
    bad = runner.invoke(app, ["verify", str(photos / "astronaut.jpg"), str(photos / "broken.jpg"), "--json"])
    assert bad.exit_code == 2 and "not an image" in json.loads(bad.stdout)["error"]


def test_verify_no_face_is_error(photos, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (120, 120, 120)).save(blank)
    res = runner.invoke(app, ["verify", str(photos / "astronaut.jpg"), str(blank)])
    assert res.exit_code == 2 and "no face" in res.stdout


def test_embed_npz(photos, tmp_path):
    out = tmp_path / "e.npz"
    res = runner.invoke(app, ["embed", str(photos), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    z = np.load(out)
    assert z["embeddings"].shape == (3, 128) and len(z["images"]) == 3 and z["boxes"].shape == (3, 4)
    assert json.loads(res.stdout)["errors"][0]["image"].endswith("broken.jpg")


def test_models_list_json():
    rows = _json(runner.invoke(app, ["models", "--json"]))
    names = {r["name"]: r for r in rows}
    assert names["dlib-resnet"]["available"] and names["dlib-resnet"]["kind"] == "embedder"
