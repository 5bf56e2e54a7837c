"""Interoperability with other photo managers: people as XMP face regions (``faceatlas xmp``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from faceatlas.interop.xmp import STYLES, Region, embedded_xmp, parse_regions, sidecar_path, write_sidecar
from faceatlas.store import Atlas

MATCH_IOU = 0.3  # a region names the atlas face it overlaps most, from this intersection-over-union


@dataclass
class XmpReport:
    photos: int = 0  # photos written (export) or read (import)
    regions: int = 0
    labelled: int = 0  # import: faces given the region's name
    unmatched: int = 0  # import: regions with no face of the atlas under them
    errors: list[str] = field(default_factory=list)  # "path: reason"

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _displayed_size(path: Path) -> tuple[int, int]:
    """Width and height of the photo as displayed (EXIF orientation applied), without decoding it."""
    from PIL import Image

    with Image.open(path) as im:
        w, h = im.size
        orientation = im.getexif().get(0x0112, 1)
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _faces_by_photo(atlas: Atlas, only_under: Path | None = None) -> dict[str, list]:
    """The live faces of each photo (of the photos under ``only_under`` when given), by path."""
    root = str(only_under.resolve()) if only_under else None
    photos: dict[str, list] = defaultdict(list)
    for f in atlas.faces.live():
        if f.frame_ms is not None:  # video faces have no place in a photo's XMP
            continue
        if root is None or f.image_path == root or f.image_path.startswith(root.rstrip("/") + "/"):
            photos[f.image_path].append(f)
    return photos


def export_xmp(atlas: Atlas, style: str = "digikam", only_under: Path | None = None) -> XmpReport:
    """Write an XMP sidecar beside every photo with a named (shown) person in it: their face
    regions, names as keywords and people tags. Existing sidecars keep their other metadata."""
    if style not in STYLES:
        raise ValueError(f"sidecar style must be one of {STYLES}, not {style!r}")
    names, states = atlas.people.names(), atlas.people.states()
    report = XmpReport()
    for image, faces in sorted(_faces_by_photo(atlas, only_under).items()):
        named = [f for f in faces if names.get(f.person_id) and states.get(f.person_id) == "shown"]
        if not named:
            continue
        path = Path(image)
        try:
            width, height = _displayed_size(path)
            regions = [Region(names[f.person_id], *f.bbox.to_list()) for f in named]
            write_sidecar(sidecar_path(path, style), regions, width, height, style)
        except (OSError, ValueError) as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        report.photos += 1
        report.regions += len(regions)
    return report


def read_regions(photo: Path) -> list[Region]:
    """The named face regions of a photo: from its sidecar (``photo.jpg.xmp`` or ``photo.xmp``),
    else from the XMP embedded in it; in pixels of the photo as displayed."""
    width, height = _displayed_size(photo)
    for style in STYLES:
        side = sidecar_path(photo, style)
        if side.is_file():
            return parse_regions(side.read_bytes(), width, height)
    packet = embedded_xmp(photo)
    return parse_regions(packet, width, height) if packet else []


def import_xmp(atlas: Atlas, only_under: Path | None = None) -> XmpReport:
    """Read the named face regions of every photo in the atlas (sidecar or embedded) as your own
    labels: each names the atlas face it overlaps most (IoU ≥ 0.3), as a review answer does (an
    unnamed person takes the name; from a person named otherwise only that face moves). One action
    in the history, so one ``faceatlas undo`` takes the whole import back."""
    import xml.etree.ElementTree as ET

    from faceatlas.people.labeling import NeedsConfirmation, answer_name, identify_around

    report = XmpReport()
    names = atlas.people.names()
    changed: list[int] = []
    with atlas.transaction(), atlas.actions.record("import", "imported names from XMP face regions") as action:
        for image, faces in sorted(_faces_by_photo(atlas, only_under).items()):
            try:
                regions = read_regions(Path(image))
            except (OSError, ValueError, ET.ParseError) as exc:
                report.errors.append(f"{image}: {exc}")
                continue
            if not regions:
                continue
            report.photos += 1
            for region in regions:
                report.regions += 1
                best = max(faces, key=lambda f: region.iou(tuple(f.bbox.to_list())))
                if region.iou(tuple(best.bbox.to_list())) < MATCH_IOU:
                    report.unmatched += 1
                    continue
                if names.get(best.person_id) == region.name and best.source == "user":
                    continue
                try:  # like a review answer: an unnamed group takes the name, a named one gives up the face
                    answer_name(atlas, best.id, region.name, identify_after=False)
                except NeedsConfirmation:
                    answer_name(atlas, best.id, region.name, scope="face", identify_after=False)
                names = atlas.people.names()
                changed.append(best.id)
                report.labelled += 1
        if changed:
            identify_around(atlas, changed)
        atlas.actions.set_summary(action, f"imported {report.labelled} names from XMP face regions")
    return report


__all__ = ["Region", "XmpReport", "export_xmp", "import_xmp", "read_regions", "sidecar_path", "write_sidecar"]
