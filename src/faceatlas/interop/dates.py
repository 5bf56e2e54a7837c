"""When a photo was taken (EXIF DateTimeOriginal, else DateTimeDigitized, else DateTime) or a video
recorded (its container's creation date)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

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


# Container keys, most local first: phones write QuickTime's creation date in local time with its
# offset (like EXIF, the time on the clock); creation_time is UTC as the muxer wrote it.
_VIDEO_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date")
# Muxers that had no date write the epoch of their format: no date, not 1904 or 1970.
_ZERO_DATES = ("1904-01-01T00:00:00", "1970-01-01T00:00:00")


def video_taken_at(path: Path | str) -> str | None:
    """When the video at ``path`` was recorded, from its container's metadata (FFmpeg through PyAV
    reads MP4/MOV, Matroska/WebM, AVI; the header only); None if unknown or unreadable."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            tags = [dict(container.metadata)] + [dict(s.metadata) for s in container.streams]
    except Exception:  # not a video FFmpeg reads: no date (the scan reports the file itself)
        return None
    for key in _VIDEO_KEYS:
        for found in (normalise(t.get(key)) for t in tags):
            if found and found not in _ZERO_DATES:
                return found
    return None


def taken_at(path: Path | str) -> str | None:
    """When the photo at ``path`` was taken, from its EXIF, or the video recorded, from its
    container (reads the header only); None if unknown."""
    from PIL import Image

    from faceatlas.io.video import is_video

    if is_video(path):
        return video_taken_at(path)

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


T = TypeVar("T")
_BOUND = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_bound(value: str | None, what: str) -> str | None:
    """A date bound typed by the user, "YYYY", "YYYY-MM" or "YYYY-MM-DD" (kept as typed: it is
    compared with the first as many characters of ``taken_at``); None when blank.
    Raises :class:`InvalidInputError` naming ``what`` when it is not such a date."""
    from datetime import date

    from faceatlas.errors import InvalidInputError

    text = (value or "").strip()
    if not text:
        return None
    m = _BOUND.match(text)
    try:
        if not m:
            raise ValueError
        date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        raise InvalidInputError(f"{what}: {text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)") from None
    return text


@dataclass(frozen=True)
class DateRange:
    """When photos were taken, both ends inclusive at the precision typed: after 2019 and before
    2019 is the year 2019; before 2020-03 includes March 2020. Undated photos are in no range."""

    after: str | None = None
    before: str | None = None

    @classmethod
    def parse(cls, after: str | None, before: str | None, names: tuple[str, str] = ("after", "before")) -> DateRange:
        return cls(parse_bound(after, names[0]), parse_bound(before, names[1]))

    def __bool__(self) -> bool:
        return self.after is not None or self.before is not None

    def contains(self, when: str | None) -> bool:
        """Whether a ``taken_at`` (ISO 8601) lies in the range; an empty range holds every photo."""
        if not self:
            return True
        if not when:
            return False
        if self.after is not None and when[: len(self.after)] < self.after:
            return False
        return self.before is None or when[: len(self.before)] <= self.before


def by_year(items: Iterable[T], when: Callable[[T], str | None]) -> list[tuple[str | None, list[T]]]:
    """``items`` grouped by the year ``when`` gives them, newest year first and newest first within
    it (ties keep their order), the undated last under ``None``."""
    items = list(items)
    dated = sorted((i for i in items if when(i)), key=lambda i: when(i) or "", reverse=True)
    groups: dict[str | None, list[T]] = {}
    for item in dated:
        groups.setdefault((when(item) or "")[:4], []).append(item)
    undated = [i for i in items if not when(i)]
    return list(groups.items()) + ([(None, undated)] if undated else [])
