"""Image input: formats, orientation, colour modes, reduced decoding, and typed errors."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from faceatlas.errors import ImageError
from faceatlas.io import iter_image_files, open_image


def _encode(arr: np.ndarray, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF"])
def test_formats_decode_to_rgb8(astronaut, fmt):
    img = open_image(_encode(astronaut, fmt))
    full = img.full()
    assert full.shape == astronaut.shape and full.dtype == np.uint8
    assert np.abs(full.astype(int) - astronaut.astype(int)).mean() < 20


def test_gif_first_frame():
    frames = [Image.new("RGB", (64, 64), c) for c in [(255, 0, 0), (0, 0, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    full = open_image(buf.getvalue()).full()
    assert full[0, 0, 0] > 200 and full[0, 0, 2] < 50


def test_exif_orientation_applied(astronaut):
    pil = Image.fromarray(astronaut[:, :400])  # 400 wide, 512 tall
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", exif=exif)
    img = open_image(buf.getvalue())
    assert img.size == (512, 400)
    assert img.full().shape == (400, 512, 3)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK", "LA", "1"])
def test_colour_modes_become_rgb(astronaut, mode):
    pil = Image.fromarray(astronaut).convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG" if mode != "1" else "BMP"
    buf = io.BytesIO()
    pil.save(buf, format=fmt)
    full = open_image(buf.getvalue()).full()
    assert full.shape == (512, 512, 3) and full.dtype == np.uint8


def test_16bit_grey_png_scaled_to_8bit():
    arr = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    full = open_image(buf.getvalue()).full()
    assert full.dtype == np.uint8 and full.max() == 255 and full.min() == 0


def test_alpha_composited_on_white():
    rgba = np.zeros((32, 32, 4), dtype=np.uint8)  # fully transparent black
    full = open_image(_encode(rgba, "PNG")).full()
    assert (full == 255).all()


def test_numpy_inputs(astronaut):
    grey = astronaut.mean(axis=2).astype(np.uint8)
    assert open_image(grey).full().shape == (512, 512, 3)
    as_float = astronaut.astype(np.float32) / 255
    assert np.abs(open_image(as_float).full().astype(int) - astronaut).max() <= 1
    with pytest.raises(ImageError):
        open_image(np.zeros((10, 10, 7), dtype=np.uint8))


def test_reduced_view_uses_jpeg_draft(astronaut):
    big = np.kron(astronaut, np.ones((6, 6, 1), dtype=np.uint8))  # 3072 x 3072
    img = open_image(_encode(big, "JPEG", quality=85))
    view, scale = img.reduced(1024)
    assert max(view.shape[:2]) == 1024 and scale == pytest.approx(3.0)
    assert img._full is None, "the reduced view must not need the full decode"
    assert img.full().shape == big.shape


MALFORMED = {
    "empty": b"",
    "text": b"this is not a picture, just text pretending to be one\n" * 10,
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_garbage_gives_typed_error(name):
    with pytest.raises(ImageError) as err:
        open_image(MALFORMED[name]).full()
    assert err.value.reason and "\n" not in str(err.value)


def test_truncated_jpeg(astronaut):
    data = _encode(astronaut, "JPEG")
    with pytest.raises(ImageError, match="truncated|corrupt"):
        open_image(data[: len(data) // 2]).full()


def test_tiny_image_refused():
    with pytest.raises(ImageError, match="smaller than"):
        open_image(_encode(np.zeros((1, 1, 3), np.uint8), "PNG"))


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_refused_fast():
    start = time.perf_counter()
    with pytest.raises(ImageError, match="limit"):
        open_image(_png_header_only(50000, 50000))
    assert time.perf_counter() - start < 1.0


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        open_image(tmp_path / "nope.jpg")
    with pytest.raises(ImageError, match="directory"):
        open_image(tmp_path)


def test_walk_finds_images_sorted_and_skips_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for p in ["a.jpg", "b/c.PNG", "b/notes.txt", ".hidden/x.jpg"]:
        (tmp_path / p).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_image_files([tmp_path])]
    assert found == ["a.jpg", "b/c.PNG"]


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_heic_and_avif(astronaut, tmp_path, fmt):
    from faceatlas.io.images import HEIF_SUPPORTED

    if not HEIF_SUPPORTED:
        pytest.skip("pillow-heif is not installed")
    path = tmp_path / f"photo.{fmt.lower()}"
    try:
        Image.fromarray(astronaut).save(path, format=fmt, quality=85)
    except (KeyError, OSError, ValueError) as exc:
        pytest.skip(f"this pillow-heif build cannot encode {fmt}: {exc}")
    full = open_image(path).full()
    assert full.shape == astronaut.shape
    assert np.abs(full.astype(int) - astronaut.astype(int)).mean() < 20


def test_grayscale_variant_has_equal_channels(astronaut, tmp_path):
    from faceatlas.eval.variants import grayscale

    path = tmp_path / "a.png"
    Image.fromarray(astronaut).save(path)
    grey = grayscale(path).full()
    assert grey.shape == astronaut.shape and grey.dtype == np.uint8
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    assert not (astronaut[..., 0] == astronaut[..., 1]).all()
