"""Deciding which files a scan must analyse: new or changed ones (size, mtime, then content hash)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faceatlas.errors import FaceAtlasError, ImageError
from faceatlas.io import iter_media_files
from faceatlas.io.files import open_regular
from faceatlas.io.images import DEFAULT_LIMITS
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
    unreadable: list[dict] = field(default_factory=list)  # {"path", "error"} of folders that cannot be listed
    kept: list[tuple[int, str]] = field(default_factory=list)  # (image id, path) of files not re-analysed


def file_sha256(path: str, limit: int = DEFAULT_LIMITS.max_bytes) -> str:
    """SHA-256 of a regular file; a FIFO, device or socket is refused at once, and a file that turns
    out longer than ``limit`` while being read (whatever its reported size) is refused
    (:class:`~faceatlas.errors.ImageError`)."""
    digest = hashlib.sha256()
    total = 0
    with open_regular(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            total += len(chunk)
            if total > limit:
                raise ImageError(f"file is over the {limit / 2**20:.0f} MiB limit", path)
            digest.update(chunk)
    return digest.hexdigest()


def _sha_or_none(path: str) -> str | None:
    try:
        return file_sha256(path)
    except (FaceAtlasError, OSError):
        return None  # analysed again, and the analysis says why it cannot be read


def make_plan(
    atlas: Atlas,
    roots: list[Path],
    rescan_failed: bool = False,
    confine: list[Path] | None = None,
    on_error: Callable[[str, str], None] | None = None,
) -> Plan:
    """Files under ``roots`` that need analysis. A file whose size and mtime match its row is skipped
    without reading it; one whose mtime changed but whose content hash matches is only touched.
    A dangling link or a link loop is judged by the link itself, so it is reported once, not on every
    scan. With ``confine``, files whose real path (symlinks resolved) leaves those folders are
    ignored. Folders that cannot be listed are reported to ``on_error`` and in ``Plan.unreadable``."""
    allowed = [os.path.realpath(c) for c in confine] if confine is not None else None
    todo: list[WorkItem] = []
    kept: list[tuple[int, str]] = []
    unchanged = 0
    seen_paths: set[str] = set()
    unreadable: list[dict] = []

    def folder_error(path: str, reason: str) -> None:
        unreadable.append({"path": path, "error": reason})
        if on_error is not None:
            on_error(path, reason)

    for path in iter_media_files(roots, on_error=folder_error):
        p = str(Path(os.path.abspath(path)))
        if p in seen_paths or (allowed is not None and not is_within(p, allowed)):
            continue
        seen_paths.add(p)
        try:
            st = os.stat(p)
        except OSError:
            try:
                st = os.lstat(p)  # a dangling link or a loop: the link itself identifies it
            except OSError:
                todo.append(WorkItem(p, -1, -1))  # the analysis step reports why
                continue
        row = atlas.images.get_by_path(p)
        if row and row.status in ("done", "failed") and not (rescan_failed and row.status == "failed"):
            if row.size == st.st_size and row.mtime_ns == st.st_mtime_ns:
                unchanged += 1
                kept.append((row.id, p))
                continue
            if row.status == "done" and row.size == st.st_size and row.sha256 == _sha_or_none(p):
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
    return Plan(todo, unchanged, vanished, len(seen_paths), unreadable, kept)


def is_within(path: str | Path, folders: list[str]) -> bool:
    """Whether ``path``'s real location (symlinks and ``..`` resolved) lies inside one of ``folders``
    (themselves real paths)."""
    real = os.path.realpath(path)
    return any(real == f or real.startswith(f.rstrip(os.sep) + os.sep) for f in folders)
