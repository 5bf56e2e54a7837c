"""Photo variants for robustness evaluations (the same labelled photos, taken differently)."""

from __future__ import annotations

from pathlib import Path

import cv2

from faceatlas.io import DecodedImage, open_image


def grayscale(path: Path) -> DecodedImage:
    """The photo at ``path`` as a camera without colour would give it (luma only)."""
    return open_image(cv2.cvtColor(open_image(path).full(), cv2.COLOR_RGB2GRAY), name=f"{path} (grey)")
