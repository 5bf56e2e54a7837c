"""Face regions in XMP, the Metadata Working Group (MWG) region format that digiKam, Lightroom
Classic, PhotoPrism, Picasa's successors and exiftool read and write.

A region is a face's box in normalised coordinates (centre x, y and width, height, 0..1 of the image
as displayed, i.e. after its EXIF orientation, as faceatlas analyses it) with the person's name.
Writing also lists the names as keywords (``dc:subject``) and as digiKam's ``People/NAME`` tags or
Lightroom's ``People|NAME`` hierarchical keywords. Reading takes the regions of type Face with a
name from a sidecar or from the XMP packet embedded in the photo.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from faceatlas.types import BBox

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "mwg-rs": "http://www.metadataworkinggroup.com/schemas/regions/",
    "stDim": "http://ns.adobe.com/xap/1.0/sType/Dimensions#",
    "stArea": "http://ns.adobe.com/xmp/sType/Area#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "digiKam": "http://www.digikam.org/ns/1.0/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

STYLES = ("digikam", "lightroom")


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


@dataclass(frozen=True)
class Region:
    """A named face box in pixels of the image as displayed."""

    name: str
    x1: float
    y1: float
    x2: float
    y2: float

    def iou(self, box: tuple[float, float, float, float]) -> float:
        return BBox(self.x1, self.y1, self.x2, self.y2).iou(BBox(*box))


def sidecar_path(photo: Path, style: str = "digikam") -> Path:
    """``photo.jpg.xmp`` (digiKam, darktable) or ``photo.xmp`` (Lightroom, Capture One)."""
    if style not in STYLES:
        raise ValueError(f"sidecar style must be one of {STYLES}, not {style!r}")
    return photo.with_name(photo.name + ".xmp") if style == "digikam" else photo.with_suffix(".xmp")


def _fmt(v: float) -> str:
    return f"{min(1.0, max(0.0, v)):.6f}"


def _regions_element(regions: list[Region], width: int, height: int) -> ET.Element:
    root = ET.Element(_q("mwg-rs:Regions"), {_q("rdf:parseType"): "Resource"})
    ET.SubElement(
        root,
        _q("mwg-rs:AppliedToDimensions"),
        {_q("stDim:w"): str(width), _q("stDim:h"): str(height), _q("stDim:unit"): "pixel"},
    )
    bag = ET.SubElement(ET.SubElement(root, _q("mwg-rs:RegionList")), _q("rdf:Bag"))
    for r in regions:
        li = ET.SubElement(bag, _q("rdf:li"))
        desc = ET.SubElement(li, _q("rdf:Description"), {_q("mwg-rs:Name"): r.name, _q("mwg-rs:Type"): "Face"})
        ET.SubElement(
            desc,
            _q("mwg-rs:Area"),
            {
                _q("stArea:x"): _fmt((r.x1 + r.x2) / 2 / width),
                _q("stArea:y"): _fmt((r.y1 + r.y2) / 2 / height),
                _q("stArea:w"): _fmt((r.x2 - r.x1) / width),
                _q("stArea:h"): _fmt((r.y2 - r.y1) / height),
                _q("stArea:unit"): "normalized",
            },
        )
    return root


def _list(parent: ET.Element, tag: str, container: str, items: list[str]) -> None:
    el = ET.SubElement(parent, _q(tag))
    seq = ET.SubElement(el, _q(container))
    for it in items:
        ET.SubElement(seq, _q("rdf:li")).text = it


def _description(tree: ET.Element) -> ET.Element:
    rdf = tree.find("rdf:RDF", NS) if tree.tag == _q("x:xmpmeta") else tree
    if rdf is None:
        rdf = ET.SubElement(tree, _q("rdf:RDF"))
    desc = rdf.find("rdf:Description", NS)
    if desc is None:
        desc = ET.SubElement(rdf, _q("rdf:Description"), {_q("rdf:about"): ""})
    return desc


_REPLACED = ("mwg-rs:Regions", "digiKam:TagsList", "lr:hierarchicalSubject", "dc:subject")


def write_sidecar(path: Path, regions: list[Region], width: int, height: int, style: str = "digikam") -> None:
    """Write (or update) the XMP sidecar at ``path``: its face regions, people keywords and tags are
    replaced by ``regions``; everything else an existing sidecar holds is kept. Atomic."""
    tree = None
    if path.is_file():
        try:
            tree = ET.fromstring(path.read_bytes())
        except ET.ParseError:
            tree = None  # unreadable: rewritten
    if tree is None:
        tree = ET.Element(_q("x:xmpmeta"))
    desc = _description(tree)
    for tag in _REPLACED:
        for old in desc.findall(tag, NS):
            desc.remove(old)
        desc.attrib.pop(_q(tag), None)
    names = sorted({r.name for r in regions})
    desc.append(_regions_element(regions, width, height))
    _list(desc, "dc:subject", "rdf:Bag", names)
    if style == "digikam":
        _list(desc, "digiKam:TagsList", "rdf:Seq", [f"People/{n}" for n in names])
    else:
        _list(desc, "lr:hierarchicalSubject", "rdf:Bag", [f"People|{n}" for n in names])
    ET.indent(tree)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + ET.tostring(tree)
        + b'\n<?xpacket end="w"?>\n'
    )
    tmp.replace(path)


def parse_regions(xml: bytes | str, width: int | None = None, height: int | None = None) -> list[Region]:
    """Named face regions of an XMP packet, in pixels of an image of ``width`` × ``height`` (default:
    the packet's AppliedToDimensions). Regions that are not faces, or have no name, are left out."""
    root = ET.fromstring(xml)
    out = []
    for regions in root.iter(_q("mwg-rs:Regions")):
        dims = regions.find("mwg-rs:AppliedToDimensions", NS)
        w = width or float(_attr(dims, "stDim:w") or 0)
        h = height or float(_attr(dims, "stDim:h") or 0)
        if not w or not h:
            continue
        for desc in regions.iterfind("mwg-rs:RegionList/rdf:Bag/rdf:li/rdf:Description", NS):
            name = _attr(desc, "mwg-rs:Name")
            kind = _attr(desc, "mwg-rs:Type") or "Face"
            area = desc.find("mwg-rs:Area", NS)
            if not name or kind != "Face" or area is None:
                continue
            cx, cy = float(_attr(area, "stArea:x") or 0), float(_attr(area, "stArea:y") or 0)
            aw, ah = float(_attr(area, "stArea:w") or 0), float(_attr(area, "stArea:h") or 0)
            out.append(Region(name.strip(), (cx - aw / 2) * w, (cy - ah / 2) * h, (cx + aw / 2) * w, (cy + ah / 2) * h))
    return out


def _attr(el: ET.Element | None, name: str) -> str | None:
    """An RDF property written as an attribute or as a child element."""
    if el is None:
        return None
    if _q(name) in el.attrib:
        return el.attrib[_q(name)]
    child = el.find(name, NS)
    return child.text if child is not None else None


_PACKET = re.compile(rb"<x:xmpmeta[\s\S]*?</x:xmpmeta>")


def embedded_xmp(photo: Path) -> bytes | None:
    """The XMP packet embedded in a photo (JPEG APP1, PNG iTXt, TIFF...), found by its markers."""
    data = photo.read_bytes()
    m = _PACKET.search(data)
    return m.group(0) if m else None
