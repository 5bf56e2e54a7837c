"""An on-disk cache of analysed faces for evaluations: a pass over a devset costs minutes, so each
photo's faces (boxes, landmarks, quality, embeddings...) are kept per analyzer.

The key of a cache folder is a hash of the analyzer's configuration, its embedder's name/version and
:data:`faceatlas.pipeline.analyzer.ANALYSIS_REVISION`, which is bumped by every change that alters
what the analyzer returns (as an embedder's version is bumped when its vectors change). A photo's
entry also carries its size and mtime. Files are written atomically (temporary file + rename), so
concurrent evaluations can share one cache.

Location: ``$FACEATLAS_CACHE`` or ``~/.cache/faceatlas``, under ``eval/``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path

from faceatlas.types import Face


def cache_root() -> Path:
    env = os.environ.get("FACEATLAS_CACHE")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "faceatlas"
    return base / "eval"


def analyzer_key(analyzer, embedder: str | None = None, revision: str | None = None) -> str:
    """The cache folder name for ``analyzer`` (a :class:`~faceatlas.pipeline.FaceAnalyzer`); with
    ``embedder`` / ``revision``, the name its configuration had under that embedder key / revision."""
    from faceatlas.pipeline.analyzer import ANALYSIS_REVISION

    text = f"{analyzer.config!r}|{embedder or analyzer.embedder_name}|{revision or ANALYSIS_REVISION}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def photo_ident(path: Path) -> str:
    """What identifies a photo's version in cache keys: its resolved path, size and mtime."""
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def entry_file(folder: Path, path: Path, variant: str) -> Path:
    """The file of ``path``'s ``variant`` entry in the cache folder ``folder``."""
    ident = f"{photo_ident(path)}|{variant}"
    return folder / (hashlib.sha1(ident.encode()).hexdigest() + ".pkl")


def write_entry(file: Path, value: object) -> None:
    """Pickle ``value`` to ``file`` atomically (temporary file + rename: concurrent evaluations share a
    cache)."""
    tmp = file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(tmp, file)


class FaceCache:
    """Faces of photos for one analyzer, computed once and read back afterwards."""

    def __init__(self, analyzer, root: Path | None = None) -> None:
        self.analyzer = analyzer
        self.folder = (root or cache_root()) / analyzer_key(analyzer)

    def _file(self, path: Path, variant: str) -> Path:
        return entry_file(self.folder, path, variant)

    def faces(self, path: Path, variant: str = "colour") -> list[Face] | None:
        """All faces of ``path`` (largest first); None when the photo cannot be read. ``variant``:
        "colour" (as stored) or "grey" (luma only, as a camera without colour gives it)."""
        path = Path(path)
        cached = self._file(path, variant)
        if cached.is_file():
            try:
                return pickle.loads(cached.read_bytes())
            except Exception:  # a file from another layout of Face: recompute
                pass
        result = self._compute(path, variant)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_entry(cached, result)
        return result

    def _compute(self, path: Path, variant: str) -> list[Face] | None:
        from faceatlas.errors import FaceAtlasError
        from faceatlas.eval import variants

        try:
            source = variants.grayscale(path) if variant == "grey" else path
            return self.analyzer.analyze(source)
        except FaceAtlasError:
            return None

    def many(
        self, paths: Iterable[Path], variant: str = "colour", progress: Callable[[], None] | None = None
    ) -> list[list[Face] | None]:
        out = []
        for p in paths:
            out.append(self.faces(p, variant))
            if progress:
                progress()
        return out
