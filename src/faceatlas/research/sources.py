"""Where curation gets its faces: a resumable scan into the curation's own atlas (the command), or
the evaluation face cache (the measurements, which reuse faces analysed once)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from faceatlas.io import iter_image_files
from faceatlas.pipeline import AnalyzerConfig
from faceatlas.research.records import DatasetFile, FoundFace

ATLAS_NAME = "curate.sqlite3"


@dataclass(frozen=True)
class DatasetEntry:
    """A file of a folder-per-identity set: its path, its path relative to the set, its identity."""

    path: Path
    file: str
    identity: str


def list_dataset(root: Path) -> list[DatasetEntry]:
    """Every image under ``root``; the identity is the first folder below ``root`` ("" for files
    lying directly in it, which take part in duplicate checks only)."""
    root = Path(root)
    out = []
    for path in iter_image_files([root]):
        rel = Path(os.path.relpath(path, root))
        out.append(DatasetEntry(path, rel.as_posix(), rel.parts[0] if len(rel.parts) > 1 else ""))
    return sorted(out, key=lambda e: e.file)


def from_atlas(
    root: Path,
    db: Path,
    config: AnalyzerConfig | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_error: Callable[[str, str], None] | None = None,
) -> tuple[list[DatasetFile], int]:
    """Scan ``root`` into the atlas at ``db`` (only new or changed files are analysed, so an
    interrupted run resumes) and read every file's faces back; also returns how many files this
    call analysed."""
    from faceatlas.engines import scan
    from faceatlas.store import Atlas

    entries = list_dataset(root)
    db.parent.mkdir(parents=True, exist_ok=True)
    with Atlas(db) as atlas:
        summary = scan(
            atlas, [root], config, workers, progress=progress, on_plan=on_plan, on_error=on_error, assign=False
        )
        out = []
        for e in entries:
            row = atlas.images.get_by_path(str(Path(os.path.abspath(e.path))))
            item = DatasetFile(e.file, e.identity, str(e.path))
            if row is None or row.status != "done":
                item.error = (row.error if row else None) or "not analysed"
                out.append(item)
                continue
            item.sha256 = row.sha256
            poses = atlas.faces.poses(row.id)
            points = atlas.faces.landmarks(row.id)
            item.faces = [
                FoundFace(f.bbox, f.embedding, f.quality, poses.get(f.id), f.score, points.get(f.id))
                for f in atlas.faces.of_image(row.id)
            ]
            out.append(item)
    return out, summary.analyzed


def from_cache(entries: list[DatasetEntry], cache, progress: Callable[[], None] | None = None) -> list[DatasetFile]:
    """Faces of ``entries`` from a :class:`faceatlas.eval.cache.FaceCache` (analysed once, then read)."""
    from faceatlas.engines.plan import file_sha256

    out = []
    for e in entries:
        faces = cache.faces(e.path)
        item = DatasetFile(e.file, e.identity, str(e.path), sha256=file_sha256(str(e.path)))
        if faces is None:
            item.error = "cannot read this image"
        else:
            item.faces = [
                FoundFace(f.bbox, f.embedding, f.quality, f.pose, f.score, f.landmarks5)
                for f in faces
                if f.embedding is not None
            ]
        out.append(item)
        if progress:
            progress()
    return out
