"""Finding image (and video) files under the paths a user gives."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from faceatlas.errors import ImageError

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif"}
)


def iter_image_files(
    paths: Iterable[str | Path], recursive: bool = True, on_error: Callable[[str, str], None] | None = None
) -> Iterator[Path]:
    """Yield image files: a file given by name is always yielded (so a bad file gets its own error);
    directories are walked in sorted order and yield files with an image extension. Hidden entries
    are skipped. A folder that cannot be listed is passed to ``on_error(path, reason)``."""
    return _files(paths, recursive, IMAGE_EXTENSIONS, on_error)


def iter_media_files(
    paths: Iterable[str | Path], recursive: bool = True, on_error: Callable[[str, str], None] | None = None
) -> Iterator[Path]:
    """Like :func:`iter_image_files`, videos included."""
    from faceatlas.io.video import VIDEO_EXTENSIONS

    return _files(paths, recursive, IMAGE_EXTENSIONS | VIDEO_EXTENSIONS, on_error)


def _files(
    paths: Iterable[str | Path],
    recursive: bool,
    extensions: frozenset[str],
    on_error: Callable[[str, str], None] | None,
) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path, recursive, extensions, on_error)
        else:
            yield path


def _walk(
    root: Path, recursive: bool, extensions: frozenset[str], on_error: Callable[[str, str], None] | None
) -> Iterator[Path]:
    def report(exc: OSError) -> None:
        if on_error is not None:
            on_error(str(exc.filename or root), f"folder not readable: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=report, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in extensions:
                yield Path(dirpath) / name


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | Path) -> BinaryIO:
    """Open ``path`` for reading only if it is (or links to) a regular file: a FIFO, a device (a link
    to /dev/zero), a socket or a directory is refused with :class:`ImageError` without blocking
    (the file is opened non-blocking and checked with ``fstat`` before anything is read)."""
    label = str(path)
    try:
        kind = _not_regular(os.stat(path).st_mode)
        if kind is None:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            kind = _not_regular(os.fstat(fd).st_mode)  # it may have been swapped since the stat
            if kind is not None:
                os.close(fd)
    except FileNotFoundError:
        raise ImageError("no such file", label) from None
    except PermissionError:
        raise ImageError("permission denied", label) from None
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror or exc}", label) from None
    if kind is not None:
        raise ImageError(f"not a regular file ({kind})", label)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_regular(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, refused with :class:`ImageError` once more than ``limit``
    bytes have been read (whatever the size the file system reported: /proc files, growing files)."""
    with open_regular(path) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise ImageError(f"cannot read file: {exc.strerror or exc}", str(path)) from None
    if len(data) > limit:
        raise ImageError(f"file is over the {limit / 2**20:.0f} MiB limit", str(path))
    return data
