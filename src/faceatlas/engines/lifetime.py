"""Worker processes that do not outlive their parent (a killed scan, a stopped server)."""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from faceatlas.errors import FaceAtlasError

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to send SIGKILL to this process when its parent dies (Linux; elsewhere a no-op),
    and exit now if the parent is already gone. Called first in every pool worker's initializer."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - exotic libc
            pass
    if parent == 1 or not _alive(parent):  # the parent died before prctl took effect
        os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - exists, owned by someone else
        return True
    return True


class AtlasBusyError(FaceAtlasError):
    """Another process is scanning this atlas (``faceatlas scan`` exits 3)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        super().__init__(f"atlas busy (pid {pid if pid is not None else 'unknown'})")


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (holding this process's pid) for the block, or raise
    :class:`AtlasBusyError` naming the holder at once. The kernel drops the lock when its holder dies,
    however it dies, so a killed scan never leaves the atlas locked."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise AtlasBusyError(int(raw) if raw.isdigit() else None) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
