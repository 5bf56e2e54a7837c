"""XMP face regions: faceatlas's sidecars read back by exiv2 (pyexiv2, a second implementation), and
regions written by exiv2 imported as labels. Synthetic atlas over small generated photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from faceatlas.cli.app import app as cli
from faceatlas.interop import export_xmp, import_xmp, read_regions, sidecar_path
from faceatlas.people import corrections
from faceatlas.store import Atlas

pyexiv2 = pytest.importorskip("pyexiv2", reason="pyexiv2 (the test extra) reads XMP back")
runner = CliRunner()


def _face(atlas: Atlas, image_id: int, box: tuple[float, float, float, float], seed: int) -> int:
    vec = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    cur = atlas.conn.execute(
        "INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, quality, embedding, model) "
        "VALUES (?, ?, ?, ?, ?, 0.99, '[]', 0.9, ?, 'test')",
        (image_id, *box, (vec / np.linalg.norm(vec)).tobytes()),
    )
    return int(cur.lastrowid)


@pytest.fixture()
def album(tmp_path):
    """Two photos (400×200 and 300×300) with two faces each; the first photo's faces are people."""
    photos = [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    Image.new("RGB", (400, 200), (120, 100, 90)).save(photos[0])
    Image.new("RGB", (300, 300), (90, 100, 120)).save(photos[1])
    db = tmp_path / "atlas.sqlite3"
    with Atlas(db) as atlas, atlas.transaction():
        ids = [atlas.images.upsert(str(p), size=1, mtime_ns=1, sha256=None, status="done") for p in photos]
        faces = [
            _face(atlas, ids[0], (40, 20, 140, 140), 1),
            _face(atlas, ids[0], (200, 50, 260, 110), 2),
            _face(atlas, ids[1], (30, 30, 130, 150), 3),
            _face(atlas, ids[1], (180, 40, 260, 140), 4),
        ]
        grace, ann = atlas.people.create(), atlas.people.create()
        atlas.people.assign(faces[0], grace, "auto", 1.0)
        atlas.people.assign(faces[1], ann, "auto", 1.0)
    with Atlas(db) as atlas:
        corrections.name_person(atlas, grace, "Grace Hopper")
        corrections.name_person(atlas, ann, "Ann O'Neil & Co")
    return {"db": db, "photos": photos, "faces": faces, "people": (grace, ann)}


def _exiv2_regions(path) -> dict[str, tuple[float, ...]]:
    img = pyexiv2.Image(str(path))
    try:
        xmp = img.read_xmp()
    finally:
        img.close()
    base = "Xmp.mwg-rs.Regions/mwg-rs:RegionList"
    out = {}
    i = 1
    while f"{base}[{i}]/mwg-rs:Name" in xmp:
        area = [float(xmp[f"{base}[{i}]/mwg-rs:Area/stArea:{k}"]) for k in "xywh"]
        assert xmp[f"{base}[{i}]/mwg-rs:Type"] == "Face"
        out[xmp[f"{base}[{i}]/mwg-rs:Name"]] = tuple(area)
        i += 1
    return out | {"_dims": (float(xmp[f"Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:{k}"]) for k in "wh")}


@pytest.mark.parametrize("style", ["digikam", "lightroom"])
def test_exported_regions_read_back_by_exiv2(album, style):
    photo = album["photos"][0]
    side = sidecar_path(photo, style)
    assert side.name == ("a.jpg.xmp" if style == "digikam" else "a.xmp")
    side.write_text(  # an existing sidecar: its other metadata must survive
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/>'
        "</rdf:RDF></x:xmpmeta>"
    )
    with Atlas(album["db"]) as atlas:
        report = export_xmp(atlas, style)
    assert report.photos == 1 and report.regions == 2 and not report.errors  # b.jpg has no named people
    assert not sidecar_path(album["photos"][1], style).exists()
    regions = _exiv2_regions(side)
    assert tuple(regions.pop("_dims")) == (400.0, 200.0)
    assert regions["Grace Hopper"] == pytest.approx((0.225, 0.4, 0.25, 0.6))
    assert regions["Ann O'Neil & Co"] == pytest.approx((0.575, 0.4, 0.15, 0.3))
    img = pyexiv2.Image(str(side))
    xmp = img.read_xmp()
    img.close()
    assert xmp["Xmp.xmp.Rating"] == "4"
    tags = xmp["Xmp.digiKam.TagsList"] if style == "digikam" else xmp["Xmp.lr.hierarchicalSubject"]
    sep = "/" if style == "digikam" else "|"
    assert sorted(tags) == [f"People{sep}Ann O'Neil & Co", f"People{sep}Grace Hopper"]
    # and faceatlas reads its own regions back in pixels
    boxes = {r.name: (r.x1, r.y1, r.x2, r.y2) for r in read_regions(photo)}
    assert boxes["Grace Hopper"] == pytest.approx((40, 20, 140, 140))


def test_regions_written_by_exiv2_import_as_labels(album):
    photo = album["photos"][1]  # its two faces are in no person
    base = "Xmp.mwg-rs.Regions/mwg-rs:RegionList"
    img = pyexiv2.Image(str(photo))
    img.modify_xmp(
        {
            "Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:w": "300",
            "Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:h": "300",
            "Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:unit": "pixel",
            base: 'type="Bag"',
            f"{base}[1]/mwg-rs:Name": "Grace Hopper",
            f"{base}[1]/mwg-rs:Type": "Face",
            f"{base}[1]/mwg-rs:Area/stArea:x": "0.2667",
            f"{base}[1]/mwg-rs:Area/stArea:y": "0.3",
            f"{base}[1]/mwg-rs:Area/stArea:w": "0.3333",
            f"{base}[1]/mwg-rs:Area/stArea:h": "0.4",
            f"{base}[1]/mwg-rs:Area/stArea:unit": "normalized",
            f"{base}[2]/mwg-rs:Name": "Nobody Here",  # no face under it
            f"{base}[2]/mwg-rs:Type": "Face",
            f"{base}[2]/mwg-rs:Area/stArea:x": "0.9",
            f"{base}[2]/mwg-rs:Area/stArea:y": "0.9",
            f"{base}[2]/mwg-rs:Area/stArea:w": "0.1",
            f"{base}[2]/mwg-rs:Area/stArea:h": "0.1",
        }
    )
    img.close()
    grace = album["people"][0]
    with Atlas(album["db"]) as atlas:
        report = import_xmp(atlas, only_under=photo.parent)
        assert (report.photos, report.regions, report.labelled, report.unmatched) == (1, 2, 1, 1)
        face = atlas.faces.get(album["faces"][2])
        assert face.person_id == grace and face.source == "user"
        assert atlas.faces.get(album["faces"][3]).person_id is None
        assert atlas.actions.list(1)[0].kind == "import"
        atlas.actions.undo()  # one undo takes the whole import back
        assert atlas.faces.get(album["faces"][2]).person_id is None


def test_xmp_cli(album):
    db = str(album["db"])
    res = runner.invoke(cli, ["xmp", "export", "--sidecar-style", "lightroom", "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["regions"] == 2 and (album["photos"][0].with_suffix(".xmp")).is_file()
    res = runner.invoke(cli, ["xmp", "export", "--sidecar-style", "picasa", "--db", db, "--json"])
    assert res.exit_code == 2 and "digikam or lightroom" in res.stdout
    res = runner.invoke(cli, ["xmp", "import", "--db", db, "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["regions"] == 2  # its own regions: nothing to change
    assert json.loads(res.stdout)["labelled"] == 0


def _video(path: Path, creation_time: str | None) -> Path:
    """A three-frame MPEG-4 video written with PyAV, with ``creation_time`` in its container."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        if creation_time is not None:
            container.metadata["creation_time"] = creation_time
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height = 64, 48
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 90, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_video_creation_date_is_read_stored_by_scan_and_zero_dates_are_none(tmp_path):
    from faceatlas.engines import scan
    from faceatlas.interop.dates import taken_at
    from faceatlas.store import Atlas

    album = tmp_path / "album"
    album.mkdir()
    dated = _video(album / "party.mp4", "2019-05-01T12:34:56.000000Z")
    assert taken_at(dated) == "2019-05-01T12:34:56"
    assert taken_at(_video(tmp_path / "epoch.mov", "1904-01-01T00:00:00.000000Z")) is None  # no clock: no date
    assert taken_at(_video(tmp_path / "none.mp4", None)) is None
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(dated.read_bytes()[:40])
    assert taken_at(broken) is None  # unreadable: no date, no exception
    with Atlas(tmp_path / "atlas.sqlite3") as atlas:
        scan(atlas, [album])
        row = atlas.images.get_by_path(str(dated.resolve())) or atlas.images.get_by_path(str(dated))
        assert row is not None and atlas.images.taken_at(row.id) == "2019-05-01T12:34:56"
