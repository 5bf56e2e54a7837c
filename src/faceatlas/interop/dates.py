"""When a photo was taken: EXIF DateTimeOriginal (else DateTimeDigitized, else DateTime)."""

from __future__ import annotations

import re
from pathlib import Path

_EXIF_IFD = 0x8769
_TAGS = (0x9003, 0x9004)  # DateTimeOriginal, DateTimeDigitized (in the Exif IFD)
_DATETIME = 0x0132  # DateTime (in IFD0: when the file was last changed, the last resort)
_FORMAT = re.compile(r"^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def normalise(value: str | bytes | None) -> str | None:
    """EXIF's "YYYY:MM:DD HH:MM:SS" as ISO 8601 "YYYY-MM-DDTHH:MM:SS"; None when absent or blank
    ("0000:00:00 00:00:00", as cameras without a clock write)."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    m = _FORMAT.match((value or "").strip())
    if not m or m.group(1) == "0000":
        return None
    y, mo, d, h, mi, s = m.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}"


def taken_at(path: Path | str) -> str | None:
    """When the photo at ``path`` was taken, from its EXIF (reads the header only); None if unknown."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            exif = im.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
            for tag in _TAGS:
                found = normalise(sub.get(tag))
                if found:
                    return found
            return normalise(exif.get(_DATETIME))
    except Exception:  # not an image PIL reads (a video, a broken file): no date
        return None
