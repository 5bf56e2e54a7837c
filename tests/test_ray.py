"""`scan --engine ray` on a local Ray cluster the test starts (2 CPUs) and stops: same end state as
a local scan, and an interrupted atlas finishes the same way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from atlas_fixtures import make_album
from faceatlas.cli.app import app
from faceatlas.store import Atlas
from test_atlas import partition

ray = pytest.importorskip("ray", reason="ray is not installed (pip install -e '.[ray]')")
runner = CliRunner()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """`ray start --head --num-cpus 2`, then `ray stop` at the end."""
    exe = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
    tmp = tmp_path_factory.mktemp("ray")
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    port = "6391"
    start = subprocess.run(
        [
            exe,
            "start",
            "--head",
            "--num-cpus",
            "2",
            "--port",
            port,
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={tmp}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    if start.returncode != 0:
        pytest.fail(f"ray start failed: {start.stderr[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([exe, "stop", "--force"], capture_output=True, env=env, timeout=120)


def test_ray_scan_equals_local_scan(cluster, tmp_path):
    album = make_album(tmp_path / "album")
    local, remote = tmp_path / "local.sqlite3", tmp_path / "ray.sqlite3"
    assert runner.invoke(app, ["scan", str(album), "--db", str(local), "--workers", "1", "--json"]).exit_code == 0
    res = runner.invoke(
        app, ["scan", str(album), "--db", str(remote), "--engine", "ray", "--address", cluster, "--json"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["analyzed"] == 7 and len(summary["failed"]) == 1
    with Atlas(local) as a, Atlas(remote) as b:
        assert partition(a) == partition(b)
        assert a.images.failures() == b.images.failures()
    again = json.loads(
        runner.invoke(
            app, ["scan", str(album), "--db", str(remote), "--engine", "ray", "--address", cluster, "--json"]
        ).stdout
    )
    assert again["analyzed"] == 0 and again["skipped_unchanged"] == 7
