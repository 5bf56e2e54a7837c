"""Research tools: curate (data-set cleaning), idsim (identity preservation), fairness per group."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from faceatlas.research import CurateThresholds, DatasetFile, FoundFace, judge
from faceatlas.research.consensus import identity_consensus
from faceatlas.types import BBox

T = CurateThresholds.for_space()
BOX = BBox(10, 10, 110, 110)


def _person(rng: np.random.Generator, n: int, spread: float = 0.15) -> np.ndarray:
    centre = rng.normal(size=128)
    centre *= 1.5 / np.linalg.norm(centre)  # people ~2 apart, photos of one ~0.2 from their centre
    return centre + rng.normal(scale=spread / np.sqrt(128), size=(n, 128))


def _files(groups: dict[str, list[np.ndarray]]) -> list[DatasetFile]:
    out = []
    for identity, vectors in groups.items():
        for k, v in enumerate(vectors):
            name = f"{identity}/{k:02d}.jpg"
            out.append(DatasetFile(name, identity, name, [FoundFace(BOX, v, 0.9)], sha256=name))
    return out


def _no_picture(item, face):  # synthetic files have no pixels: no near duplicate is confirmed
    return None


def test_consensus_ignores_outliers():
    rng = np.random.default_rng(0)
    good = _person(rng, 8)
    far = _person(rng, 3)
    cons = identity_consensus(np.vstack([good, far]), agree=T.core)
    assert set(cons.core.tolist()) == set(range(8))
    assert np.linalg.norm(cons.centre - good.mean(0)) < 0.05


def test_consensus_needs_agreement():
    rng = np.random.default_rng(1)
    assert identity_consensus(_person(rng, 1), T.core).centre is None  # one photo
    two_people = np.vstack([_person(rng, 1), _person(rng, 1)])
    assert identity_consensus(two_people, T.core).centre is None  # a tie: nobody can be called wrong


def test_judge_finds_mislabel_and_duplicates_on_synthetic_embeddings():
    rng = np.random.default_rng(2)
    a, b, c = _person(rng, 6), _person(rng, 5), _person(rng, 4)
    files = _files({"a": list(a) + [b[0]], "b": list(b[1:]), "c": list(c), "solo": [_person(rng, 1)[0]]})
    files.append(DatasetFile("c/99_copy.jpg", "c", "c/99_copy.jpg", [FoundFace(BOX, c[2], 0.9)], sha256="c/02.jpg"))
    files.append(DatasetFile("a/zz_empty.jpg", "a", "a/zz_empty.jpg", [], sha256="x"))
    report = judge(files, T, signature=_no_picture)
    by = {f.file: f for f in report.files}
    assert [f.file for f in report.flagged("mislabelled")] == ["a/06.jpg"]
    assert by["a/06.jpg"].distance_to_identity > T.mislabelled
    assert [f.file for f in report.flagged("duplicate")] == ["c/99_copy.jpg"]
    assert by["c/99_copy.jpg"].duplicate_of == "c/02.jpg"
    assert by["a/zz_empty.jpg"].flags == ["no_face"]
    assert by["solo/00.jpg"].flags == [] and by["solo/00.jpg"].distance_to_identity is None
    data = report.to_dict()
    json.dumps(data)
    assert {i["identity"]: i["flagged"] for i in data["identities"]} == {"a": 2, "b": 0, "c": 1, "solo": 0}


def test_judge_near_duplicates_need_the_same_picture():
    rng = np.random.default_rng(3)
    a = _person(rng, 4)
    near = a[1] + 0.01
    files = _files({"a": list(a) + [near]})
    same = {"a/01.jpg", "a/04.jpg"}

    def picture(item, face):
        return np.ones(4) / 2 if item.file in same else np.array([1.0, -1.0, 0.0, 0.0]) / np.sqrt(2)

    by = {f.file: f for f in judge(files, T, signature=picture).files}
    assert by["a/04.jpg"].duplicate_of == "a/01.jpg"
    assert not any(f.duplicate_of for f in judge(files, T, signature=_no_picture).files)


def test_judge_look_alike_identities():
    rng = np.random.default_rng(4)
    a = _person(rng, 8)
    files = _files({"anna": list(a[:4]), "anna_k": list(a[4:]), "bob": list(_person(rng, 4))})
    looks = {i.identity: [x.identity for x in i.looks_like] for i in judge(files, T, signature=_no_picture).identities}
    assert looks == {"anna": ["anna_k"], "anna_k": ["anna"], "bob": []}


# --- on real photos (../shared/data) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def dirty_set(shared_data, tmp_path_factory):
    """Three people from deepface's photos with known errors: a photo of person A filed under C,
    an exact and a near copy in B, a picture of dogs (no face), and a person with one photo."""
    data = shared_data
    root = tmp_path_factory.mktemp("dirty") / "set"
    layout = {
        "A": ["img53.jpg", "img55.jpg"],
        "B": ["img43.jpg", "img44.jpg", "img45.jpg", "img46.jpg"],
        "C": ["img16.jpg", "img17.jpg", "img61.jpg", "img62.jpg", "img12.jpg"],  # img12 is person A
        "D": ["img5.jpg"],
    }
    for identity, names in layout.items():
        (root / identity).mkdir(parents=True)
        for name in names:
            shutil.copy(data / "deepface" / name, root / identity / name)
    shutil.copy(data / "deepface" / "img44.jpg", root / "B" / "img44_copy.jpg")
    img = Image.open(data / "deepface" / "img45.jpg").convert("RGB")
    img.resize((img.width * 7 // 10, img.height * 7 // 10)).save(root / "B" / "img45_small.jpg", quality=70)
    shutil.copy(data / "detection" / "dlib_faces" / "dogs.jpg", root / "A" / "dogs.jpg")
    return root


@pytest.mark.shared_data
def test_curate_finds_injected_errors_on_real_photos(dirty_set, tmp_path):
    from faceatlas.research import curate

    out = tmp_path / "out"
    report = curate(dirty_set, out)
    by = {f.file: f for f in report.files}
    assert [f.file for f in report.flagged("mislabelled")] == ["C/img12.jpg"]
    assert by["B/img44_copy.jpg"].duplicate_of == "B/img44.jpg"
    assert by["B/img45_small.jpg"].duplicate_of == "B/img45.jpg"
    assert {f.file for f in report.flagged("duplicate")} == {"B/img44_copy.jpg", "B/img45_small.jpg"}
    assert "no_face" in by["A/dogs.jpg"].flags
    assert by["D/img5.jpg"].flags == [] and by["D/img5.jpg"].distance_to_identity is None  # one photo: no verdict
    assert by["A/img53.jpg"].distance_to_identity is not None  # two agreeing photos make a consensus
    clean = (out / "clean.txt").read_text().split()
    assert "C/img12.jpg" not in clean and "A/dogs.jpg" not in clean and "C/img16.jpg" in clean
    rows = (out / "curate.csv").read_text().splitlines()
    assert rows[0] == "file,identity,flags,distance_to_identity,duplicate_of" and len(rows) == len(report.files) + 1
    page = (out / "report.html").read_text()
    assert "C/img12.jpg" in page and page.count("data:image/png;base64") == 2
    assert report.analysed == len(report.files)
    again = curate(dirty_set, out)  # resumes from OUT/curate.sqlite3: nothing is analysed twice
    assert again.analysed == 0 and again.to_dict() == report.to_dict()
