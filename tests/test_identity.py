"""Distances, similarity and false-match-rate estimates."""

from __future__ import annotations

import numpy as np
import pytest

from faceatlas.identity import (
    ChipSpec,
    IdentitySpace,
    Metric,
    calibration,
    default_space,
    default_threshold,
    similarity,
    space_of,
    verify_embeddings,
)

DEFAULT_THRESHOLD = default_threshold()


def test_threshold_and_similarity_are_consistent():
    a = np.zeros(128, np.float64)
    b = a.copy()
    b[0] = DEFAULT_THRESHOLD
    v = verify_embeddings(a, b)
    assert v.same and abs(v.similarity - 0.5) < 1e-6
    b[0] = DEFAULT_THRESHOLD + 0.01
    assert not verify_embeddings(a, b).same
    assert verify_embeddings(a, b, threshold=0.7).same
    assert similarity(0.2) > similarity(0.5) > similarity(0.8)


def test_false_match_rate_is_monotone_and_bounded():
    cal = calibration()
    rates = [cal.false_match_rate(d) for d in np.linspace(0.1, 1.5, 50)]
    assert all(0 <= r <= 1 for r in rates)
    assert all(x <= y for x, y in zip(rates, rates[1:]))
    assert rates[0] < 1e-6 and rates[-1] > 0.99


def test_shipped_calibration_was_measured():
    cal = calibration()
    assert len(cal.impostor_distances) > 1000, "the FMR table must come from real impostor pairs"
    assert cal.ui_centroid is not None and cal.ui_centroid.shape == (128,)
    assert cal.ui_lo < cal.ui_hi
    assert 0.001 < cal.false_match_rate(DEFAULT_THRESHOLD) < 0.05


def test_every_embedder_names_its_space():
    from faceatlas.models import specs
    from faceatlas.models.registry import ModelKind

    embedders = specs(ModelKind.EMBEDDER)
    assert embedders
    for spec in embedders:
        assert spec.space is not None and spec.space.dim > 0 and spec.space.threshold > 0
    # the ONNX rebuild and dlib itself give the same vectors: one space
    assert space_of("dlib-resnet") == space_of("dlib-resnet-onnx") == default_space()


def test_verification_reads_the_space():
    """Threshold, similarity and dimension come from the space, not from module constants."""
    space = IdentitySpace("toy", "v1", dim=4, metric=Metric.COSINE, threshold=0.9, chip=ChipSpec(112, 0.0, "5"))
    a, b = space.prepare(np.array([[1.0, 0, 0, 0], [1.0, 1.0, 0, 0]]))
    assert np.allclose(np.linalg.norm([a, b], axis=1), 1.0)  # a cosine space stores unit vectors
    v = verify_embeddings(a, b, space=space)
    assert v.threshold == 0.9 and v.same  # chordal distance sqrt(2 - 2 cos 45°) = 0.765
    assert abs(v.distance - np.sqrt(2 - 2 * np.cos(np.pi / 4))) < 1e-6
    assert space.key == "toy/v1"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_nonsense_thresholds_are_refused(bad):
    with pytest.raises(ValueError, match="threshold"):
        verify_embeddings(np.zeros(128), np.zeros(128), threshold=bad)
