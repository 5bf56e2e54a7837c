"""``faceatlas curate``: clean a folder-per-identity face data set (see :func:`curate`)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from faceatlas.identity.space import space_of
from faceatlas.paths import user_data_dir
from faceatlas.pipeline import AnalyzerConfig
from faceatlas.research.judge import CurateReport, judge
from faceatlas.research.report import write_outputs
from faceatlas.research.sources import ATLAS_NAME, from_atlas
from faceatlas.research.thresholds import CurateThresholds


def default_atlas(root: Path) -> Path:
    """Where curation keeps its atlas for ``root`` when no ``out`` folder is given (never the user's
    own atlas): a folder per data set under the user data dir."""
    key = hashlib.sha1(os.path.abspath(root).encode()).hexdigest()[:16]
    return user_data_dir() / "curate" / key / ATLAS_NAME


def curate(
    root: Path | str,
    out: Path | str | None = None,
    thresholds: CurateThresholds | None = None,
    config: AnalyzerConfig | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_error: Callable[[str, str], None] | None = None,
) -> CurateReport:
    """Flag the files of the folder-per-identity data set ``root``: no_face, multiple_faces,
    small_face, low_quality, extreme_pose, duplicate (exact and near, across identities too) and
    mislabelled (far from the identity's robust centre), plus look-alike identities. Faces are
    scanned into ``out/curate.sqlite3`` (resumable); with ``out`` the CSV, clean list and HTML
    report are written there too."""
    start = time.perf_counter()
    root = Path(root)
    if not root.is_dir():
        from faceatlas.errors import FaceAtlasError

        raise FaceAtlasError(f"{root}: not a folder")
    config = config or AnalyzerConfig()
    space = space_of(config.embedder)
    thresholds = thresholds or CurateThresholds.for_space(space)
    db = Path(out) / ATLAS_NAME if out is not None else default_atlas(root)
    files, analysed = from_atlas(root, db, config, workers, progress=progress, on_plan=on_plan, on_error=on_error)
    report = judge(files, thresholds, space.key)
    report.analysed = analysed
    if out is not None:
        write_outputs(report, files, Path(out))
    report.seconds = time.perf_counter() - start
    return report
