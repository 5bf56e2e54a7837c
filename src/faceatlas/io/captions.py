"""Captions of photos: sidecar text files, JSON-lines manifests, and the description fields
embedded in the image (IPTC Caption-Abstract, XMP dc:description, EXIF ImageDescription)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, IptcImagePlugin

from faceatlas.errors import ImageError
from faceatlas.io.files import open_regular

_XMP_DESC = re.compile(
    rb"<dc:description>.*?<rdf:li[^>]*>(.*?)</rdf:li>.*?</dc:description>", re.DOTALL | re.IGNORECASE
)


MAX_CAPTION_BYTES = 16 * 1024  # a caption is a sentence or two; a longer sidecar is cut here


def sidecar_caption(image: Path) -> str | None:
    """Text of ``IMAGE.txt`` (``photo.jpg.txt``) or ``IMAGE-stem.txt`` (``photo.txt``) beside the photo,
    at most :data:`MAX_CAPTION_BYTES` of it (a FIFO or device named so is ignored)."""
    for candidate in (image.with_name(image.name + ".txt"), image.with_suffix(".txt")):
        if candidate.is_file():
            try:
                with open_regular(candidate) as fh:
                    raw = fh.read(MAX_CAPTION_BYTES)
            except ImageError:
                continue
            text = raw.decode("utf-8", errors="replace").strip()
            if text:
                return text
    return None


def embedded_caption(image: Path) -> str | None:
    """The first of IPTC 2:120, XMP dc:description, EXIF ImageDescription that is present."""
    try:
        with Image.open(image) as im:
            iptc = IptcImagePlugin.getiptcinfo(im) or {}
            value = iptc.get((2, 120))
            if value:
                return _text(value[0] if isinstance(value, list) else value)
            xmp = im.info.get("xmp")
            if xmp:
                match = _XMP_DESC.search(xmp if isinstance(xmp, bytes) else xmp.encode())
                if match and match.group(1).strip():
                    return _unescape(match.group(1).decode("utf-8", "replace").strip())
            desc = im.getexif().get(0x010E)
            if desc:
                return _text(desc)
    except Exception:  # unreadable metadata is no caption, never an error
        return None
    return None


def caption_for(image: Path) -> tuple[str, str] | None:
    """(caption, source) from the sidecar first (the user's own), then embedded metadata."""
    text = sidecar_caption(image)
    if text:
        return text, "sidecar"
    text = embedded_caption(image)
    return (text, "embedded") if text else None


def read_manifest(path: Path) -> Iterator[tuple[Path, str]]:
    """``{"image": ..., "caption": ...}`` per line; image paths relative to the manifest's folder."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                image, caption = row["image"], row["caption"]
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a {{'image', 'caption'}} JSON object ({exc})") from None
            p = Path(image)
            yield (p if p.is_absolute() else path.parent / p), str(caption)


def _text(value: bytes | str) -> str | None:
    if isinstance(value, bytes):
        for enc in ("utf-8", "latin-1"):
            try:
                value = value.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    text = str(value).strip().strip("\x00").strip()
    return text or None


def _unescape(text: str) -> str:
    return (
        text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
    )
