"""Deciding which files a scan must analyse: new or changed ones (size, mtime, then content hash)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from faceatlas.io import iter_media_files
from faceatlas.store import Atlas


@dataclass(frozen=True)
class WorkItem:
    path: str
    size: int
    mtime_ns: int


@dataclass
class Plan:
    todo: list[WorkItem]
    unchanged: int
    vanished: list[int]  # image ids under the scanned folders whose file is gone
    seen: int
    kept: list[tuple[int, str]] = field(default_factory=list)  # (image id, path) of files not re-analysed


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def make_plan(atlas: Atlas, roots: list[Path], rescan_failed: bool = False, confine: list[Path] | None = None) -> Plan:
    """Files under ``roots`` that need analysis. A file whose size and mtime match its row is skipped
    without reading it; one whose mtime changed but whose content hash matches is only touched.
    With ``confine``, files whose real path (symlinks resolved) leaves those folders are ignored."""
    allowed = [os.path.realpath(c) for c in confine] if confine is not None else None
    todo: list[WorkItem] = []
    kept: list[tuple[int, str]] = []
    unchanged = 0
    seen_paths: set[str] = set()
    for path in iter_media_files(roots):
        p = str(Path(os.path.abspath(path)))
        if p in seen_paths or (allowed is not None and not is_within(p, allowed)):
            continue
        seen_paths.add(p)
        try:
            st = os.stat(p)
        except OSError:
            todo.append(WorkItem(p, -1, -1))  # the analysis step reports why
            continue
        row = atlas.images.get_by_path(p)
        if row and row.status in ("done", "failed") and not (rescan_failed and row.status == "failed"):
            if row.size == st.st_size and row.mtime_ns == st.st_mtime_ns:
                unchanged += 1
                kept.append((row.id, p))
                continue
            if row.status == "done" and row.size == st.st_size and row.sha256 == file_sha256(p):
                with atlas.transaction():
                    atlas.images.touch(row.id, st.st_size, st.st_mtime_ns)
                unchanged += 1
                kept.append((row.id, p))
                continue
        todo.append(WorkItem(p, st.st_size, st.st_mtime_ns))
    vanished = []
    for root in roots:
        prefix = str(Path(os.path.abspath(root)))
        for row in atlas.images.under(prefix):
            if row.status != "missing" and row.path not in seen_paths and not os.path.exists(row.path):
                vanished.append(row.id)
    return Plan(todo, unchanged, vanished, len(seen_paths), kept)


def is_within(path: str | Path, folders: list[str]) -> bool:
    """Whether ``path``'s real location (symlinks and ``..`` resolved) lies inside one of ``folders``
    (themselves real paths)."""
    real = os.path.realpath(path)
    return any(real == f or real.startswith(f.rstrip(os.sep) + os.sep) for f in folders)
