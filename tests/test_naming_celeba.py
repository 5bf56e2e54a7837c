"""Guard of the naming figures on real faces: a small fixed subset of celeba_dev's test half (8
identities, 36 composites with news-style captions), named end to end. Skips without the devsets."""

from __future__ import annotations

import pytest

from faceatlas.eval.devsets import celeba_photos, celeba_root

IDENTITIES = 8
COMPOSITES = 36
# measured on this subset when the guard was written: named right 0.949 (75 of the 79 people shown),
# precision 1.000 (the whole test half: README, Naming); the guard leaves room for two faces

MIN_NAMED_RIGHT = 0.92
MIN_PRECISION = 0.97


@pytest.fixture(scope="module")
def celeba_test_subset():
    if not (celeba_root() / "identities.csv").is_file():
        pytest.skip(f"celeba_dev not found at {celeba_root()} (set FACEATLAS_DEVSETS); real-face guard skipped")
    photos = celeba_photos(half="test")
    keep = sorted({p.identity for p in photos})[:IDENTITIES]
    return [p for p in photos if p.identity in keep]


def test_naming_on_news_composites_of_celeba_holds(celeba_test_subset, tmp_path, monkeypatch):
    from faceatlas.eval.cache import FaceCache
    from faceatlas.eval.news import analyse, build_news, run_naming, score
    from faceatlas.people.naming import AUTO_CONFIDENCE
    from faceatlas.pipeline import FaceAnalyzer

    monkeypatch.setenv("FACEATLAS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "news"
    items, names = build_news(celeba_test_subset, out, count=COMPOSITES, seed=11)
    assert all(it.absent for it in items) and any("(" in it.caption for it in items)
    run = analyse(items, names, out, FaceCache(FaceAnalyzer()))
    assert run.names_found == 1.0
    figures = score(run, run_naming(run), AUTO_CONFIDENCE)
    assert figures["named_right"] >= MIN_NAMED_RIGHT, figures
    assert figures["precision"] >= MIN_PRECISION, figures


def test_eval_naming_command_on_celeba(celeba_test_subset, tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from faceatlas.cli.app import app

    monkeypatch.setenv("FACEATLAS_CACHE", str(tmp_path / "cache"))
    runner = CliRunner()
    args = ["eval", "naming", str(celeba_root()), "--set", "celeba", "--half", "test", "--count", "3", "--json"]
    res = runner.invoke(app, args + ["--out", str(tmp_path / "news")])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["set"] == "celeba_dev test" and report["photos"] == 3 and 0 <= report["named_right"] <= 1
    assert (tmp_path / "news" / "celeba_test" / "captions_news.jsonl").is_file()
    bad = runner.invoke(app, ["eval", "naming", str(celeba_root()), "--set", "celeba", "--half", "train"])
    assert bad.exit_code == 2 and "--half" in bad.output
