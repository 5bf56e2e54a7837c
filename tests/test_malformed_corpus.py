"""Issue 14: a seeded corpus of 1,000+ malformed and exotic files (every class the audit found).

``scan`` must exit 0, report every bad file in exactly one line, store the real photos' faces, never
hang (FIFOs, devices) and stay under a bounded peak RSS; ``analyze --json`` must print valid JSON with
one entry per file. The commands run as real processes, as a user would run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from faceatlas.store import Atlas
from malformed_corpus import PEAK_RSS_CHILD, build, peak_rss_kib

PEAK_RSS_BOUND = 2**30  # bytes (measured: ~375 MiB, most of it the models)
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, /dev links, ru_maxrss in KiB")


def _run(args: list[str], timeout: float) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run ``python -m faceatlas ARGS``; (result, seconds, peak RSS in bytes of that process)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK_RSS_CHILD, *args], capture_output=True, timeout=timeout)
    seconds = time.perf_counter() - start
    err = proc.stderr.decode("utf-8")
    kib = peak_rss_kib(err)
    peak = -1 if kib is None else kib * 1024
    return proc, seconds, peak


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build(tmp_path_factory.mktemp("corpus") / "c")


def _shown(path) -> str:
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def test_scan_of_the_malformed_corpus(corpus, tmp_path):
    assert corpus.total >= 1000
    db = tmp_path / "atlas.sqlite3"
    proc, seconds, peak = _run(["scan", str(corpus.root), "--db", str(db), "--workers", "1"], timeout=300)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("skip ")]
    with Atlas(db) as atlas:
        failed = dict(atlas.images.failures())
        stored = {f.image_path for f in atlas.faces.live()}
    for kind, files in corpus.bad.items():
        for path in files:
            assert str(path) in failed, (kind, path)
            mentions = [ln for ln in lines if ln.startswith(f"skip {_shown(path)}: ")]
            assert len(mentions) == 1, (kind, path, mentions)
    for path in corpus.fine:
        assert str(path) not in failed, (path, failed.get(str(path)))
    assert len(lines) == len(failed)  # one line per failed file, nothing else
    assert {str(p) for p in corpus.faces} <= stored
    assert 0 < peak < PEAK_RSS_BOUND, peak
    print(
        f"\ncorpus scan: {corpus.total} files, {len(failed)} reported, {seconds:.1f} s, peak RSS {peak / 2**20:.0f} MiB"
    )


def test_analyze_json_of_the_malformed_corpus(corpus):
    from faceatlas.io import iter_image_files

    proc, seconds, peak = _run(["analyze", str(corpus.root), "--json"], timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    entries = json.loads(proc.stdout)  # valid JSON, whatever the files
    expected = [str(p) for p in iter_image_files([corpus.root])]
    assert [e["image"] for e in entries] == expected  # one entry per file, names as \udcXX where not UTF-8
    by_image = {e["image"]: e for e in entries}
    for files in corpus.bad.values():
        for path in files:
            if os.path.splitext(str(path))[1].lower() in {".jpg", ".jpeg", ".png", ".avif", ".tif"}:
                assert by_image[str(path)]["error"], path
    assert all(by_image[str(p)]["faces"] for p in corpus.faces)
    assert 0 < peak < PEAK_RSS_BOUND, peak
    print(f"\ncorpus analyze --json: {len(entries)} entries, {seconds:.1f} s, peak RSS {peak / 2**20:.0f} MiB")
