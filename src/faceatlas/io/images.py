"""Decode any supported image into 8-bit RGB numpy arrays, with EXIF orientation applied.

One entry point, :func:`open_image`, returns a :class:`DecodedImage` that can hand out a reduced
view for detection (decoded at reduced size when the format allows, via JPEG draft mode) and the
full-resolution pixels for landmarks and embeddings (decoded lazily, only when asked for).
Every failure is an :class:`~faceatlas.errors.ImageError` with a one-line reason.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from faceatlas.errors import ImageError

try:  # HEIC/HEIF/AVIF where the optional decoder is installed
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_SUPPORTED = False

ImageFile.LOAD_TRUNCATED_IMAGES = False
ImageSource = str | Path | bytes | bytearray | Image.Image | np.ndarray


@dataclass(frozen=True)
class ImageLimits:
    """Guards against hostile or absurd inputs."""

    max_pixels: int = 150_000_000  # ~12k x 12k; a 50000x50000 header is refused before decoding
    max_bytes: int = 512 * 1024 * 1024
    min_side: int = 16


DEFAULT_LIMITS = ImageLimits()


class DecodedImage:
    """An opened image. ``full()`` is the full-resolution RGB array; ``reduced(max_side)`` a smaller
    copy for detection together with the factor that maps its pixels back to full resolution."""

    def __init__(self, name: str, pil: Image.Image | None, array: np.ndarray | None, data: bytes | None):
        self.name = name
        self._pil = pil
        self._data = data
        self._full = array
        if array is not None:
            self.size = (array.shape[1], array.shape[0])
        else:
            assert pil is not None
            self.size = _oriented_size(pil)

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]

    def full(self) -> np.ndarray:
        """Full-resolution pixels, HxWx3 uint8 RGB (decoded once, then cached)."""
        if self._full is None:
            assert self._pil is not None
            self._full = _decode(self._fresh_pil(), self.name)
        return self._full

    def reduced(self, max_side: int) -> tuple[np.ndarray, float]:
        """Pixels whose longer side is at most ``max_side`` and ``scale`` such that
        full-resolution coordinates = reduced coordinates * scale."""
        longest = max(self.size)
        if longest <= max_side:
            return self.full(), 1.0
        if self._full is None and self._pil is not None and self._pil.format == "JPEG":
            pil = self._fresh_pil()
            target = _draft_target(pil.size, max(self.size), max_side)
            pil.draft("RGB", target)
            arr = _decode(pil, self.name)
        else:
            arr = self.full()
        return _shrink(arr, max_side, self.size)

    def _fresh_pil(self) -> Image.Image:
        # A PIL image decodes once; re-open from the bytes so full and draft decodes are independent.
        if self._data is None:
            assert self._pil is not None
            return self._pil
        return _open_pil(self._data)


def _draft_target(stored: tuple[int, int], longest: int, max_side: int) -> tuple[int, int]:
    factor = max_side / longest
    return (max(1, int(stored[0] * factor)), max(1, int(stored[1] * factor)))


def _shrink(arr: np.ndarray, max_side: int, full_size: tuple[int, int]) -> tuple[np.ndarray, float]:
    import cv2

    h, w = arr.shape[:2]
    factor = max_side / max(h, w)
    if factor < 1.0:
        arr = cv2.resize(arr, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    return arr, full_size[0] / arr.shape[1]


def open_image(source: ImageSource, limits: ImageLimits = DEFAULT_LIMITS, name: str | None = None) -> DecodedImage:
    """Open ``source`` (path, bytes, PIL image or RGB/gray numpy array) and check it against ``limits``.

    Raises :class:`ImageError` with a one-line reason for anything that is not a usable image.
    """
    if isinstance(source, np.ndarray):
        label = name or "<array>"
        arr = to_rgb_array(source, label)
        _check_dims(arr.shape[1], arr.shape[0], limits, label)
        return DecodedImage(label, None, arr, None)
    if isinstance(source, Image.Image):
        label = name or "<PIL image>"
        _check_dims(*source.size, limits, label)
        return DecodedImage(label, None, _decode(source, label), None)
    if isinstance(source, (bytes, bytearray)):
        label = name or "<bytes>"
        data = bytes(source)
    else:
        path = Path(source)
        label = name or str(path)
        data = _read_file(path, limits, label)
    if not data:
        raise ImageError("empty file", label)
    if len(data) > limits.max_bytes:
        raise ImageError(
            f"file is {len(data) / 2**20:.0f} MiB, over the {limits.max_bytes / 2**20:.0f} MiB limit", label
        )
    try:
        pil = _open_pil(data)
    except UnidentifiedImageError:
        raise ImageError("not an image (unrecognised format)", label) from None
    except Image.DecompressionBombError as exc:
        raise ImageError(f"refused as a decompression bomb ({exc})", label) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"unreadable image header: {_short(exc)}", label) from None
    except Exception as exc:  # any decoder's own error (e.g. RuntimeError from AVIF) is a bad image
        raise ImageError(f"unreadable image header: {type(exc).__name__}: {_short(exc)}", label) from None
    _check_dims(*pil.size, limits, label)
    return DecodedImage(label, pil, None, data)


def _open_pil(data: bytes) -> Image.Image:
    """``Image.open`` without Pillow's own pixel-count warning: the size is checked against
    :class:`ImageLimits` (150 MP by default) right after, before any pixel is decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def _read_file(path: Path, limits: ImageLimits, label: str) -> bytes:
    from faceatlas.io.files import read_regular

    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_regular says why
    if size > limits.max_bytes:
        raise ImageError(f"file is {size / 2**20:.0f} MiB, over the {limits.max_bytes / 2**20:.0f} MiB limit", label)
    try:
        return read_regular(path, limits.max_bytes)
    except ImageError as exc:
        raise ImageError(exc.reason, label) from None


def _check_dims(width: int, height: int, limits: ImageLimits, label: str) -> None:
    if width * height > limits.max_pixels:
        raise ImageError(
            f"image is {width}x{height} ({width * height / 1e6:.0f} MP), "
            f"over the {limits.max_pixels / 1e6:.0f} MP limit",
            label,
        )
    if min(width, height) < limits.min_side:
        raise ImageError(f"image is {width}x{height}, smaller than {limits.min_side} px on a side", label)


def _oriented_size(pil: Image.Image) -> tuple[int, int]:
    try:
        orientation = pil.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not make the image unreadable
        orientation = 1
    w, h = pil.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _decode(pil: Image.Image, label: str) -> np.ndarray:
    """Fully decode, apply EXIF orientation (first frame of animations) and convert to 8-bit RGB."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pil.seek(0)
            pil.load()
            try:
                oriented = ImageOps.exif_transpose(pil)
            except Exception:  # malformed EXIF: keep the stored orientation
                oriented = pil
    except Image.DecompressionBombError as exc:
        raise ImageError(f"refused as a decompression bomb ({exc})", label) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageError(f"truncated or corrupt image data: {_short(exc)}", label) from None
    except MemoryError:
        raise ImageError("not enough memory to decode this image", label) from None
    except Exception as exc:  # a decoder's own error (RuntimeError from a corrupt AVIF...) is a bad image
        raise ImageError(f"corrupt image data: {type(exc).__name__}: {_short(exc)}", label) from None
    return _pil_to_rgb(oriented if oriented is not None else pil, label)


def _pil_to_rgb(pil: Image.Image, label: str) -> np.ndarray:
    mode = pil.mode
    if mode == "F":  # a float TIFF: 0..1, or its own range (HDR, 16-bit data stored as float)
        return to_rgb_array(_float_to_uint8(np.asarray(pil), own_range=True), label)
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(pil)
        return to_rgb_array(arr, label)
    if mode == "P":
        pil = pil.convert("RGBA") if "transparency" in pil.info else pil.convert("RGB")
        mode = pil.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = pil.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        pil = Image.alpha_composite(white, rgba)
    if pil.mode != "RGB":
        pil = pil.convert("RGB")
    return np.ascontiguousarray(np.asarray(pil, dtype=np.uint8))


def to_rgb_array(arr: np.ndarray, label: str = "<array>") -> np.ndarray:
    """Normalise an array to HxWx3 uint8 RGB: gray is replicated, alpha dropped, 16-bit and float
    ranges scaled to 8 bits."""
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise ImageError(f"array of shape {arr.shape} is not an image (need HxW, HxWx3 or HxWx4)", label)
    if arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.dtype != np.uint8:
        arr = _to_uint8(arr)
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr)


def _float_to_uint8(arr: np.ndarray, own_range: bool) -> np.ndarray:
    """Floats to 8 bits: 0..1 when every value is in it; else, for an array (``own_range`` False),
    0..255 when the values fit it (the usual ``img.astype(float)``); else scaled from min(0, lowest)
    to the highest value, so nothing is clipped white or crushed dark. NaN and infinities are clamped."""
    finite = arr[np.isfinite(arr)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    if lo >= 0.0 and hi <= 1.0:
        lo, top = 0.0, 1.0
    elif lo >= 0.0 and hi <= 255.0 and not own_range:
        lo, top = 0.0, 255.0
    else:
        top = hi - lo
    clean = np.nan_to_num(arr.astype(np.float64), nan=lo, posinf=lo + top, neginf=lo) - lo
    return np.clip(clean / max(top, 1e-12) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    if np.issubdtype(arr.dtype, np.floating):
        return _float_to_uint8(arr, own_range=False)
    if arr.dtype == np.uint16:
        return (arr.astype(np.float32) * (255.0 / 65535.0) + 0.5).astype(np.uint8)
    peak = int(arr.max()) if arr.size else 0
    if peak <= 255:
        return arr.astype(np.uint8)
    top = 65535 if peak <= 65535 else int(np.iinfo(arr.dtype).max)
    return (arr.astype(np.float64) * (255.0 / top) + 0.5).astype(np.uint8)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
