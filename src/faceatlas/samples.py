"""Real face photos that ship inside installed packages, for demos and the quick start:
scikit-image's astronaut (Eileen Collins) and matplotlib's Grace Hopper portrait."""

from __future__ import annotations

from pathlib import Path

from faceatlas.paths import user_data_dir


def sample_images(folder: Path | None = None) -> list[Path]:
    """Paths of the sample photos (the astronaut is written once as a PNG into ``folder``)."""
    from matplotlib import cbook
    from PIL import Image
    from skimage import data

    folder = folder or user_data_dir() / "samples"
    folder.mkdir(parents=True, exist_ok=True)
    astronaut = folder / "astronaut.png"
    if not astronaut.exists():
        Image.fromarray(data.astronaut()).save(astronaut)
    hopper = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return [astronaut, hopper]
