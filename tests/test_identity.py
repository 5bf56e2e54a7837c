"""Distances, similarity and false-match-rate estimates."""

from __future__ import annotations

import numpy as np

from faceatlas.identity import DEFAULT_THRESHOLD, calibration, similarity, verify_embeddings


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
