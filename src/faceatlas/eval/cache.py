"""An on-disk cache of analysed faces for evaluations: a pass over a devset costs minutes, so each
photo's faces (boxes, landmarks, quality, embeddings...) are kept per analyzer.

The key of a cache folder is a hash of the analyzer's configuration, its embedder's name/version and
the source of the code that produces faces (``pipeline/``, ``models/``, ``io/``, ``types.py``): any
change there starts a new folder, so a cached result never outlives the code that made it. Files are
written atomically (temporary file + rename), so concurrent evaluations can share one cache.

Location: ``$FACEATLAS_CACHE`` or ``~/.cache/faceatlas``, under ``eval/``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from faceatlas.types import Face

_CODE_PARTS = ("pipeline", "models", "io", "identity", "types.py")


def cache_root() -> Path:
    env = os.environ.get("FACEATLAS_CACHE")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "faceatlas"
    return base / "eval"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-1 over the source files that decide what a face looks like."""
    pkg = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1()
    for part in _CODE_PARTS:
        target = pkg / part
        files = sorted(target.rglob("*.py")) + sorted(target.rglob("*.json")) if target.is_dir() else [target]
        for f in files:
            digest.update(str(f.relative_to(pkg)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def analyzer_key(analyzer) -> str:
    """The cache folder name for ``analyzer`` (a :class:`~faceatlas.pipeline.FaceAnalyzer`)."""
    text = f"{analyzer.config!r}|{analyzer.embedder_name}|{code_fingerprint()}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class FaceCache:
    """Faces of photos for one analyzer, computed once and read back afterwards."""

    def __init__(self, analyzer, root: Path | None = None) -> None:
        self.analyzer = analyzer
        self.folder = (root or cache_root()) / analyzer_key(analyzer)

    def _file(self, path: Path, variant: str) -> Path:
        st = path.stat()
        ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{variant}"
        return self.folder / (hashlib.sha1(ident.encode()).hexdigest() + ".pkl")

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
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, cached)
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
