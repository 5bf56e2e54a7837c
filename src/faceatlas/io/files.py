"""Finding image (and video) files under the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif"}
)


def iter_image_files(paths: Iterable[str | Path], recursive: bool = True) -> Iterator[Path]:
    """Yield image files: a file given by name is always yielded (so a bad file gets its own error);
    directories are walked in sorted order and yield files with an image extension. Hidden entries
    are skipped."""
    return _files(paths, recursive, IMAGE_EXTENSIONS)


def iter_media_files(paths: Iterable[str | Path], recursive: bool = True) -> Iterator[Path]:
    """Like :func:`iter_image_files`, videos included."""
    from faceatlas.io.video import VIDEO_EXTENSIONS

    return _files(paths, recursive, IMAGE_EXTENSIONS | VIDEO_EXTENSIONS)


def _files(paths: Iterable[str | Path], recursive: bool, extensions: frozenset[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path, recursive, extensions)
        else:
            yield path


def _walk(root: Path, recursive: bool, extensions: frozenset[str]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in extensions:
                yield Path(dirpath) / name
