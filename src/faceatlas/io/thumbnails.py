"""Face thumbnails: square crops cached as JPEG files beside the atlas (rebuildable at any time)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from faceatlas.io.images import open_image
from faceatlas.types import BBox


def face_crop(
    image_path: str, bbox: BBox, size: int = 160, margin: float = 0.35, frame_ms: int | None = None
) -> Image.Image:
    """A ``size`` px square crop around ``bbox`` with ``margin`` of the box added on each side (of the
    frame at ``frame_ms`` when the file is a video)."""
    if frame_ms is None:
        img = open_image(image_path)
    else:
        from faceatlas.io.video import read_frame

        img = open_image(read_frame(image_path, frame_ms), name=image_path)
    side = max(bbox.width, bbox.height) * (1 + 2 * margin)
    cx, cy = bbox.center
    scale = 1.0
    view = None
    if side > 2 * size:  # a big face: cut it from a reduced decode (JPEG draft when possible)
        target = int(max(img.size) * 2 * size / side)
        view, scale = img.reduced(max(target, size))
    if view is None:
        view = img.full()
    h, w = view.shape[:2]
    s = side / scale
    x1, y1 = int(max(0, cx / scale - s / 2)), int(max(0, cy / scale - s / 2))
    x2, y2 = int(min(w, cx / scale + s / 2)), int(min(h, cy / scale + s / 2))
    crop = Image.fromarray(view[y1:y2, x1:x2])
    crop.thumbnail((size, size), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (size, size), (24, 24, 27))
    canvas.paste(crop, ((size - crop.width) // 2, (size - crop.height) // 2))
    return canvas


class ThumbnailCache:
    """``<folder>/<face id>.jpg``, made on first request."""

    def __init__(self, folder: Path, size: int = 160) -> None:
        self.folder = folder
        self.size = size

    def path_for(self, face_id: int, image_path: str, bbox: BBox, frame_ms: int | None = None) -> Path:
        path = self.folder / f"{face_id}.jpg"
        if not path.is_file():
            self.folder.mkdir(parents=True, exist_ok=True)
            buf = io.BytesIO()
            face_crop(image_path, bbox, self.size, frame_ms=frame_ms).save(buf, format="JPEG", quality=88)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(buf.getvalue())
            tmp.replace(path)
        return path

    def prune(self, live_ids: set[int]) -> int:
        """Delete the cached crops of faces that are gone (and leftover temporary files); returns how
        many files were removed."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.iterdir():
            gone = path.suffix == ".jpg" and path.stem.isdigit() and int(path.stem) not in live_ids
            stale = gone or path.suffix == ".tmp"
            if stale and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
        return removed
