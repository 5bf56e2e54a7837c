"""Photo folders for atlas tests, made from the real faces shipped in installed packages."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image


def hopper() -> np.ndarray:
    from matplotlib import cbook

    return np.asarray(Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB"))


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def variants(img: np.ndarray) -> list[np.ndarray]:
    """Three different photos of one face: as is, mirrored and rescaled, cropped and brighter."""
    h, w = img.shape[:2]
    return [
        img,
        cv2.resize(img[:, ::-1], (int(w * 0.8), int(h * 0.8)), interpolation=cv2.INTER_AREA),
        np.clip(img[h // 10 :, w // 12 :].astype(int) + 25, 0, 255).astype(np.uint8),
    ]


def make_album(root: Path) -> Path:
    """root/astronaut_{0,1,2}.jpg, root/sub/hopper_{0,1,2}.jpg, root/broken.jpg (not an image)."""
    (root / "sub").mkdir(parents=True, exist_ok=True)
    for i, v in enumerate(variants(astronaut())):
        Image.fromarray(v).save(root / f"astronaut_{i}.jpg", quality=92)
    for i, v in enumerate(variants(hopper())):
        Image.fromarray(v).save(root / "sub" / f"hopper_{i}.jpg", quality=92)
    (root / "broken.jpg").write_bytes(b"this is text, not a JPEG")
    return root


def side_by_side(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    h = max(a.shape[0], b.shape[0])
    pad = lambda x: np.pad(x, ((0, h - x.shape[0]), (0, 0), (0, 0)), constant_values=255)  # noqa: E731
    return np.concatenate([pad(a), pad(b)], axis=1)


def make_video(path: Path, clips: list[np.ndarray], seconds: float = 2.0, fps: int = 5, side: int = 480) -> Path:
    """An MJPEG AVI showing each image of ``clips`` (resized to ``side`` px square) for ``seconds``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (side, side))
    for img in clips:
        frame = cv2.cvtColor(cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR)
        for _ in range(int(seconds * fps)):
            writer.write(frame)
    writer.release()
    return path
