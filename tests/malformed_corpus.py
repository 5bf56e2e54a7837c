"""A seeded corpus of malformed and exotic files (every class of issue 14), for the corpus test and
``benchmarks/reliability.py``. Nothing here needs ../shared: the real faces ship with scikit-image
and matplotlib."""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".bmp", ".heic", ".avif")


# ``python -c`` program that runs the faceatlas CLI and reports its own peak RSS (KiB) on stderr as
# "PEAK_RSS_KB n": VmHWM of this process image (ru_maxrss would carry the parent's peak across exec).
PEAK_RSS_CHILD = (
    "import runpy, sys\n"
    "def _hwm():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            return int(line.split()[1])\n"
    "    return -1\n"
    "sys.argv = ['faceatlas'] + sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_module('faceatlas', run_name='__main__')\n"
    "finally:\n"
    "    print('PEAK_RSS_KB', _hwm(), file=sys.stderr)\n"
)


def peak_rss_kib(stderr: str) -> int | None:
    """The peak RSS a :data:`PEAK_RSS_CHILD` run reported, in KiB (None if it died first)."""
    return int(stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0]) if "PEAK_RSS_KB" in stderr else None


@dataclass
class Corpus:
    root: Path
    bad: dict[str, list[Path]] = field(default_factory=dict)  # class -> files that must be reported
    fine: list[Path] = field(default_factory=list)  # exotic but readable (no error expected)
    maybe: list[Path] = field(default_factory=list)  # damaged inside the pixels: a decoder may recover
    faces: list[Path] = field(default_factory=list)  # real photos whose faces must be stored

    def add(self, kind: str, path: Path) -> None:
        self.bad.setdefault(kind, []).append(path)

    @property
    def n_bad(self) -> int:
        return sum(len(v) for v in self.bad.values())

    @property
    def total(self) -> int:
        return self.n_bad + len(self.fine) + len(self.maybe) + len(self.faces)


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def build(root: Path, seed: int = 14, size: int = 1000) -> Corpus:
    """About ``size`` files under ``root`` (at least 1,000 with the default): see the classes below."""
    rng = np.random.default_rng(seed)
    c = Corpus(root)
    root.mkdir(parents=True, exist_ok=True)
    scale = size / 1000
    n = lambda k: max(1, round(k * scale))  # noqa: E731
    noise = [Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)) for _ in range(4)]
    valid = {
        "jpg": _encoded(noise[0], "JPEG", quality=80),
        "png": _encoded(noise[1], "PNG"),
        "gif": _encoded(noise[2].convert("P"), "GIF"),
        "webp": _encoded(noise[3], "WEBP"),
        "tif": _encoded(noise[0], "TIFF"),
        "bmp": _encoded(noise[1], "BMP"),
    }
    try:
        valid["avif"] = _encoded(noise[2], "AVIF")
    except (KeyError, OSError, ValueError):
        pass
    d = root / "junk"
    for i in range(n(330)):  # random bytes behind an image extension
        c.add(
            "random bytes",
            _write(d / f"random_{i}{EXTENSIONS[i % len(EXTENSIONS)]}", rng.bytes(int(rng.integers(1, 4096)))),
        )
    for i in range(n(200)):  # valid files cut short, inside the header
        fmt = list(valid)[i % len(valid)]
        data = valid[fmt]
        c.add("truncated", _write(root / "truncated" / f"cut_{i}.{fmt}", data[: int(rng.integers(1, 24))]))
    for i in range(n(120)):  # valid files cut inside the pixel data: some decoders recover, some refuse
        fmt = list(valid)[i % len(valid)]
        data = valid[fmt]
        c.maybe.append(_write(root / "cut_late" / f"late_{i}.{fmt}", data[: int(len(data) * rng.uniform(0.5, 0.95))]))
    for i in range(n(50)):
        c.add("empty", _write(root / "empty" / f"empty_{i}.jpg", b""))
    for i in range(n(50)):
        c.add("text", _write(root / "text" / f"notes_{i}.png", f"line {i}\n".encode() * 20))
    for i, (w, h) in enumerate([(16_000, 10_000), (20_000, 20_000), (50_000, 50_000), (65_535, 65_535)] * n(8)):
        c.add("over 150 MP (header only)", _write(root / "bombs" / f"bomb_{i}.png", _png_header(w, h)))
    for i in range(2):  # 108 MP: passes the limit, its pixels are missing
        c.add("108 MP, pixels missing", _write(root / "big" / f"phone108_{i}.png", _png_header(12_000, 9_000)))
    for i in range(n(30)):
        side = int(rng.integers(1, 16))
        c.add("tiny", _write(root / "tiny" / f"tiny_{i}.png", _encoded(Image.new("RGB", (side, side)), "PNG")))
    exotic = root / "exotic"
    for i in range(n(10)):
        arr16 = rng.integers(0, 65535, (40, 40), dtype=np.uint16)
        c.fine.append(_write(exotic / f"gray16_{i}.png", _encoded(Image.fromarray(arr16), "PNG")))
        f32 = rng.uniform(0, 4, (40, 40)).astype(np.float32)
        c.fine.append(_write(exotic / f"float_{i}.tif", _encoded(Image.fromarray(f32, mode="F"), "TIFF")))
        c.fine.append(_write(exotic / f"cmyk_{i}.jpg", _encoded(noise[i % 4].convert("CMYK"), "JPEG")))
        rgba = noise[i % 4].convert("RGBA")
        c.fine.append(_write(exotic / f"alpha_{i}.png", _encoded(rgba, "PNG")))
    if "avif" in valid:
        for i in range(n(20)):
            data = bytearray(valid["avif"])
            pos = int(rng.integers(len(data) // 2, len(data)))
            data[pos] ^= 0xFF
            c.maybe.append(_write(root / "avif" / f"flipped_{i}.avif", bytes(data)))
    special = root / "special"
    special.mkdir()
    for i in range(3):
        os.mkfifo(special / f"fifo_{i}.jpg")
        c.add("FIFO", special / f"fifo_{i}.jpg")
    for i, dev in enumerate(("/dev/zero", "/dev/urandom", "/dev/null")):
        (special / f"device_{i}.jpg").symlink_to(dev)
        c.add("device link", special / f"device_{i}.jpg")
    for i in range(n(20)):
        (special / f"dangling_{i}.png").symlink_to(special / f"gone_{i}.png")
        c.add("dangling link", special / f"dangling_{i}.png")
    for i in range(n(5)):
        a, b = special / f"loop_{i}a.jpg", special / f"loop_{i}b.jpg"
        a.symlink_to(b)
        b.symlink_to(a)
        c.add("link loop", a)
        c.add("link loop", b)
    (special / "dirloop").symlink_to(special)  # a folder loop: never followed
    names = root / "names"
    names.mkdir()
    raw = os.fsencode(names)
    for i in range(n(50)):
        bad = bytes(int(b) for b in rng.integers(0x80, 0xFF, 3))
        path = raw + b"/" + bad + f"_{i}.jpg".encode()
        with open(path, "wb") as fh:
            fh.write(rng.bytes(200))
        c.add("name not UTF-8", Path(os.fsdecode(path)))
    for i in range(n(20)):
        sub = names / f"markup_{i}["
        sub.mkdir()
        c.add("rich markup in path", _write(sub / f"i]bad_{i}.jpg", b"x"))
        c.add("rich markup in path", _write(names / f"[bold]x{i}.jpg", b"y"))
    deep = root.joinpath(*[f"d{k}" for k in range(40)])
    c.add("deep folder", _write(deep / "deep.jpg", b"deep"))
    photos = root / "photos"
    photos.mkdir()
    from skimage import data as skdata

    Image.fromarray(skdata.astronaut()).save(photos / "astronaut.jpg", quality=90)
    from matplotlib import cbook

    hopper = Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB")
    hopper.save(photos / "hopper.jpg", quality=90)
    c.faces += [photos / "astronaut.jpg", photos / "hopper.jpg"]
    with open(photos / "astronaut.jpg.txt", "wb") as fh:  # a 20 MB caption sidecar: capped, never stored whole
        fh.write(b"Eileen Collins. " * (20 * 2**20 // 16))
    return c
