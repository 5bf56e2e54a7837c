"""Options and helpers several command groups share."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from faceatlas.paths import default_db_path
from faceatlas.pipeline import AnalyzerConfig, DetectorConfig, FaceAnalyzer

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout (no progress bar).")]
DetectorOpt = Annotated[
    str, typer.Option("--detector", help="auto | blazeface-full | blazeface-short | dlib-hog | dlib-mmod")
]
EmbedderOpt = Annotated[
    str, typer.Option("--embedder", help="dlib-resnet-onnx (fast, default) | dlib-resnet (dlib itself, the reference)")
]
DbOpt = Annotated[
    Path | None, typer.Option("--db", help="Atlas database (default: $FACEATLAS_DB or the user data dir).")
]


def analyzer_from_options(
    detector: str = "auto", flip_tta: bool = False, embedder: str = "dlib-resnet-onnx"
) -> FaceAnalyzer:
    """The analyzer the options ask for; with the default detector, its models must be installed
    (else :class:`ModelUnavailableError`: the command exits 2 saying `faceatlas models install default`)."""
    if detector == "auto":
        from faceatlas.models.install import require_default_models

        require_default_models()
    config = AnalyzerConfig(detector=replace(DetectorConfig(), model=detector), flip_tta=flip_tta, embedder=embedder)
    return FaceAnalyzer(config)


def db_path(db: Path | None) -> Path:
    return db or default_db_path()
