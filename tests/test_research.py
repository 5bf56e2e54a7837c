"""Research tools: curate (data-set cleaning), idsim (identity preservation), fairness per group."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from faceatlas.research import CurateThresholds, DatasetFile, FoundFace, judge
from faceatlas.research.consensus import identity_consensus
from faceatlas.research.signature import PictureSignature
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

    def picture(item, face):  # the aligned crops tell the copy; the box crops (placed apart) do not
        aligned = np.ones(4) / 2 if item.file in same else np.array([1.0, -1.0, 0.0, 0.0]) / np.sqrt(2)
        return PictureSignature(box=np.eye(8)[files.index(item)], aligned=aligned)

    by = {f.file: f for f in judge(files, T, signature=picture).files}
    assert by["a/04.jpg"].duplicate_of == "a/01.jpg"
    assert not any(f.duplicate_of for f in judge(files, T, signature=_no_picture).files)


def test_picture_signatures_match_a_copy_not_another_photo_of_the_shoot(astronaut):
    import cv2

    from faceatlas.research.signature import same_picture, signature_of

    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    points = np.array([[203.2, 101.5], [247, 104], [225, 127], [200, 139], [246, 140]], dtype=np.float32)
    box = BBox(173, 69, 280, 176)  # the default analyzer's face: box and five landmarks
    original = signature_of(grey, box, points)
    small = cv2.resize(grey, (384, 384), interpolation=cv2.INTER_AREA)  # a copy at 3/4 size...
    copy = signature_of(small, BBox(135, 48, 215, 128), points * 0.75)  # ...its box placed a little apart
    assert float(original.box @ copy.box) < T.duplicate_box < float(original.aligned @ copy.aligned)
    assert same_picture(original, copy, T.duplicate_picture, T.duplicate_box)
    moved = grey.copy()  # the next photo of the shoot: she moved 20 px against the background
    moved[60:190, 160:290] = np.roll(grey, 20, axis=1)[60:190, 160:290]
    other = signature_of(moved, BBox(193, 69, 300, 176), points + [20, 0])
    assert not same_picture(original, other, T.duplicate_picture, T.duplicate_box)
    assert same_picture(original, other, 0.8, 2.0)  # thresholds are honoured
    assert not same_picture(original, None, -1.0, -1.0)


def test_near_copy_found_by_its_whole_picture_when_its_face_was_boxed_differently(astronaut, tmp_path):
    from faceatlas.research.signature import image_thumbnail

    Image.fromarray(astronaut).save(tmp_path / "a.jpg", quality=95)
    small = Image.fromarray(astronaut[8:500, 6:506]).resize((300, 295))  # cropped, resized, re-encoded
    small.save(tmp_path / "b.jpg", quality=70)
    Image.fromarray(np.ascontiguousarray(astronaut[:, ::-1])).save(tmp_path / "c.jpg", quality=95)  # mirrored
    thumbs = {k: image_thumbnail(str(tmp_path / f"{k}.jpg")) for k in "abc"}
    assert float(thumbs["a"] @ thumbs["b"]) > T.duplicate_image > float(thumbs["a"] @ thumbs["c"])
    assert image_thumbnail(str(tmp_path / "missing.jpg")) is None

    rng = np.random.default_rng(7)
    a = _person(rng, 4)
    boxed_apart = a[0] + _at((0, 0.65))  # the copy's face embedded 0.65 from the original's (over T.duplicate)
    stranger = _person(rng, 1)[0]  # someone else in a picture as alike as a copy (aligned face crops)
    files = _files({"a": list(a[:3]), "b": [boxed_apart], "c": [stranger]})
    for f, k in zip(files, "accba", strict=True):
        f.path = str(tmp_path / f"{k}.jpg")
    assert T.duplicate < 0.65 < T.duplicate_image_faces < float(np.linalg.norm(stranger - a[0]))
    by = {f.file: f for f in judge(files, T, signature=_no_picture).files}
    assert by["b/00.jpg"].duplicate_of == "a/00.jpg" and "duplicate" in by["b/00.jpg"].flags
    assert by["a/01.jpg"].duplicate_of is None and by["a/02.jpg"].duplicate_of == "a/01.jpg"  # same picture: c
    assert by["c/00.jpg"].duplicate_of is None  # faces too far apart for one photo
    off = replace(T, duplicate_image=1.0)
    assert not any(f.duplicate_of for f in judge(files, off, signature=_no_picture).files)


def test_judge_look_alike_identities():
    rng = np.random.default_rng(4)
    a = _person(rng, 8)
    files = _files({"anna": list(a[:4]), "anna_k": list(a[4:]), "bob": list(_person(rng, 4))})
    looks = {i.identity: [x.identity for x in i.looks_like] for i in judge(files, T, signature=_no_picture).identities}
    assert looks == {"anna": ["anna_k"], "anna_k": ["anna"], "bob": []}


def _at(*coords: tuple[int, float]) -> np.ndarray:
    """A 128-d vector with the given (axis, value) coordinates, zero elsewhere."""
    v = np.zeros(128)
    for axis, value in coords:
        v[axis] = value
    return v


def test_mislabelled_is_nearer_another_identity_or_far_from_everyone():
    rng = np.random.default_rng(5)
    a = rng.normal(scale=0.1 / np.sqrt(128), size=(8, 128))  # centre ~0
    b = _at((0, 0.75)) + rng.normal(scale=0.1 / np.sqrt(128), size=(8, 128))  # centre 0.75 along axis 0
    moved = _at((0, 0.55))  # 0.55 from a's centre (under the far limit), 0.2 from b's: b's photo
    hard = _at((1, 0.55))  # as far from a, but farther still from b: a hard photo of a
    stranger = _at((2, 1.0))  # far from everyone: someone not in the set
    files = _files({"a": list(a) + [moved, hard, stranger], "b": list(b)})
    assert T.nearer_other * 0.2 < 0.55 < T.mislabelled < 1.0
    by = {f.file: f for f in judge(files, T, signature=_no_picture).files}
    assert "mislabelled" in by["a/08.jpg"].flags  # moved: nearer b's centre
    assert "mislabelled" not in by["a/09.jpg"].flags  # hard but nearer its own centre than any other
    assert "mislabelled" in by["a/10.jpg"].flags  # beyond the far limit
    assert by["a/09.jpg"].distance_to_identity == pytest.approx(by["a/08.jpg"].distance_to_identity, abs=0.05)
    loose = replace(T, nearer_other=10.0)  # the inter-class part switched off: only the far part is left
    assert "mislabelled" not in {f.file: f for f in judge(files, loose, signature=_no_picture).files}["a/08.jpg"].flags


def test_a_doubtful_face_needs_a_second_opinion():
    rng = np.random.default_rng(6)
    a = _person(rng, 5)
    files = _files({"a": list(a)})
    sure, unsure = files[0], files[1]
    sure.faces[0] = replace(sure.faces[0], score=0.95)
    unsure.faces[0] = replace(unsure.faces[0], score=0.6)  # e.g. a "face" in a picture of a coffee cup
    asked = []

    def nobody_there(item, k):
        asked.append(item.file)
        return False

    by = {f.file: f for f in judge(files, T, signature=_no_picture, face_check=nobody_there).files}
    assert asked == [unsure.file]  # sure faces (and faces without a score) are not checked again
    assert by[unsure.file].flags == ["no_face"] and by[unsure.file].distance_to_identity is None
    assert by[sure.file].flags == []
    by = {f.file: f for f in judge(files, T, signature=_no_picture, face_check=lambda item, k: True).files}
    assert by[unsure.file].flags == []


def test_second_detector_rejects_faces_found_in_faceless_pictures(astronaut):
    from skimage import data

    from faceatlas.research.verify import confirmed_on, face_crop

    # boxes BlazeFace (the default detector) reports, with scores 0.97, 0.56 and 0.69
    assert confirmed_on(face_crop(astronaut, BBox(173, 69, 280, 176)))
    assert not confirmed_on(face_crop(data.coffee(), BBox(336, 253, 378, 295)))
    assert not confirmed_on(face_crop(data.rocket(), BBox(158, 370, 195, 407)))
    assert confirmed_on(face_crop(data.coffee(), BBox(336, 253, 378, 295)), detectors=("no-such-model",))


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
    (root / "B" / "broken.jpg").write_bytes(b"not a picture")
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
    assert by["B/broken.jpg"].flags == ["no_face"]  # an unreadable file is reported, the run goes on
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
    from faceatlas.research.sources import ATLAS_NAME, from_atlas

    stored, _ = from_atlas(dirty_set, out / ATLAS_NAME)  # what the picture checks read back from the atlas
    faces = [face for item in stored for face in item.faces]
    assert faces and all(f.score is not None and np.shape(f.landmarks5) == (5, 2) for f in faces)

    from typer.testing import CliRunner

    from faceatlas.cli.app import app

    result = CliRunner().invoke(app, ["curate", str(dirty_set), "--out", str(out), "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["files"] == report.to_dict()["files"] and data["identities"][0]["identity"] == "A"
    assert set(data["files"][0]) == {"file", "identity", "flags", "distance_to_identity", "duplicate_of"}
    missing = CliRunner().invoke(app, ["curate", str(tmp_path / "nope"), "--json"])
    assert missing.exit_code == 2 and "not a folder" in json.loads(missing.stdout)["error"]


# --- idsim --------------------------------------------------------------------------------------------


def test_idsim_on_a_folder_without_faces_reports_detection_failures(tmp_path, astronaut):
    from skimage import data
    from typer.testing import CliRunner

    from faceatlas.cli.app import app

    ref = tmp_path / "ref.png"
    Image.fromarray(astronaut).save(ref)
    gen = tmp_path / "generated"
    gen.mkdir()
    Image.fromarray(data.chelsea()).save(gen / "cat.png")  # pictures without a face (measured: none found)
    Image.fromarray(data.brick()).save(gen / "brick.jpg")
    (gen / "broken.jpg").write_bytes(b"not an image")
    csv_file = tmp_path / "scores.csv"
    result = CliRunner().invoke(app, ["idsim", str(ref), "--generated", str(gen), "--json", "--csv", str(csv_file)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["embedder"] == "dlib-resnet/v1"
    s = out["summary"]
    assert (s["images"], s["faces_found"], s["detection_failures"], s["verified"]) == (3, 0, 3, 0)
    assert s["cosine_mean"] is None and s["unreadable"] == 1
    assert all(not i["face"] and i["cosine"] is None and not i["same"] for i in out["images"])
    assert csv_file.read_text().splitlines()[0] == "generated,reference,face,cosine,distance,same"


def _fake_source(vectors: dict[str, np.ndarray | None]):
    from faceatlas.types import Face

    def source(path):
        v = vectors[path.name]
        return None if v is None else ([] if v.size == 0 else [Face(BOX, 0.9, embedding=v)])

    return source


def test_idsim_scores_against_the_mean_reference():
    from faceatlas.identity.space import default_space
    from faceatlas.research.idsim import idsim, idsim_pairs

    space = default_space()
    rng = np.random.default_rng(5)
    me, other = _person(rng, 4), _person(rng, 1)
    vectors = {
        "r1.jpg": me[0],
        "r2.jpg": me[1],
        "g_same.jpg": me[2],
        "g_other.jpg": other[0],
        "g_none.jpg": np.zeros(0),
    }
    report = idsim(["r1.jpg", "r2.jpg"], ["g_same.jpg", "g_other.jpg", "g_none.jpg"], space, _fake_source(vectors))
    by = {s.generated: s for s in report.images}
    assert by["g_same.jpg"].same and not by["g_other.jpg"].same and not by["g_none.jpg"].face
    centre = me[:2].mean(0)
    assert by["g_same.jpg"].distance == pytest.approx(np.linalg.norm(me[2] - centre))
    assert by["g_same.jpg"].cosine > by["g_other.jpg"].cosine
    s = report.summary()
    assert (s["verified"], s["verified_rate"], s["verified_rate_of_detected"]) == (1, 0.3333, 0.5)
    pairs = idsim_pairs([("r1.jpg", "g_same.jpg"), ("g_none.jpg", "g_other.jpg")], space, _fake_source(vectors))
    assert pairs.images[0].same and pairs.references_without_face == ["g_none.jpg"]
    assert pairs.summary()["scored"] == 1 and pairs.summary()["cosine_mean"] == pytest.approx(
        pairs.images[0].cosine, abs=1e-4
    )


# --- fairness -----------------------------------------------------------------------------------------


def _pair(a, b, same, d, ia, ib):
    from faceatlas.research.fairness import ScoredPair

    return ScoredPair(a, b, same, d, ia, ib)


def test_fairness_group_of_one_pair_gets_a_wide_interval():
    from faceatlas.research.fairness import fairness

    rng = np.random.default_rng(6)
    pairs, groups = [], {}
    for k in range(40):  # group "big": 40 people, genuine ~0.4, impostor ~0.85
        a, b = f"p{k}_a", f"p{k}_b"
        groups[a] = groups[b] = "big"
        pairs.append(_pair(a, b, True, 0.4 + 0.1 * rng.standard_normal(), f"p{k}", f"p{k}"))
        pairs.append(
            _pair(a, f"p{(k + 1) % 40}_a", False, 0.85 + 0.08 * rng.standard_normal(), f"p{k}", f"p{(k + 1) % 40}")
        )
    groups["s_a"] = groups["s_b"] = "small"
    pairs.append(_pair("s_a", "s_b", True, 0.3, "s", "s"))
    pairs.append(_pair("s_a", "p0_a", False, 0.9, "s", "p0"))  # across groups: reported apart
    report = fairness(pairs, groups, default_threshold=0.6, fmr=1e-3, bootstrap=200)
    small = next(g for g in report.groups if g.group == "small")
    assert (small.genuine, small.impostor) == (1, 0)
    assert small.fnmr_default.value == 0.0 and small.fnmr_default.high > 0.5  # one pair proves little
    assert small.fmr_default.value is None and small.threshold_needed is None
    big = next(g for g in report.groups if g.group == "big")
    assert big.fnmr_default.low <= big.fnmr_default.value <= big.fnmr_default.high < 0.5
    assert report.cross_group is not None and report.cross_group.impostor == 1
    json.dumps(report.to_dict())


def test_threshold_for_fmr():
    from faceatlas.research.fairness import threshold_for_fmr

    d = np.arange(1, 1001) / 1000.0
    assert threshold_for_fmr(d, 1e-2) == pytest.approx(0.010)
    assert np.mean(d <= threshold_for_fmr(d, 1e-2)) <= 1e-2
    assert threshold_for_fmr(d[:10], 1e-3) < 0.001  # too few pairs: just below the smallest
    assert threshold_for_fmr(np.array([]), 1e-3) is None


@pytest.mark.shared_data
def test_eval_fairness_command_on_real_photos(shared_data, tmp_path, monkeypatch):
    from itertools import combinations

    from typer.testing import CliRunner

    from faceatlas.cli.app import app

    monkeypatch.setenv("FACEATLAS_CACHE", str(tmp_path / "cache"))
    people = {
        "A": ["img53.jpg", "img55.jpg", "img12.jpg"],
        "B": ["img44.jpg", "img45.jpg"],
        "C": ["img16.jpg", "img17.jpg"],
    }
    group = {"A": "g1", "B": "g1", "C": "g2"}
    photos = [(shared_data / "deepface" / f, p) for p, files in people.items() for f in files]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "file_x,file_y,Decision\n"
        + "".join(f"{a},{b},{'Yes' if pa == pb else 'No'}\n" for (a, pa), (b, pb) in combinations(photos, 2))
    )
    groups = tmp_path / "groups.csv"
    groups.write_text("file,group,identity\n" + "".join(f"{f},{group[p]},{p}\n" for f, p in photos))
    plot = tmp_path / "fair.png"
    args = [
        "eval",
        "fairness",
        str(pairs),
        "--groups",
        str(groups),
        "--plot",
        str(plot),
        "--bootstrap",
        "100",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    rows = {g["group"]: g for g in out["groups"]}
    assert (rows["g1"]["genuine_pairs"], rows["g1"]["impostor_pairs"]) == (4, 6)
    assert (rows["g2"]["genuine_pairs"], rows["g2"]["impostor_pairs"]) == (1, 0)
    assert out["cross_group_impostors"]["impostor_pairs"] == 10 and out["pairs_without_group"] == 0
    assert rows["g1"]["at_default_threshold"]["fnmr"]["rate"] == 0.0  # good portraits of one person verify
    assert rows["g2"]["at_default_threshold"]["fmr"]["rate"] is None and plot.stat().st_size > 0
    bad = CliRunner().invoke(app, ["eval", "fairness", str(pairs), "--json"])
    assert bad.exit_code == 2 and "groups" in json.loads(bad.stdout)["error"]
    from faceatlas.models import is_available

    by_head = CliRunner().invoke(app, ["eval", "fairness", str(pairs), "--groups-from", "gender", "--json"])
    if is_available("cydral-gender"):  # groups from the gender head: the portraits get "male" / "female"
        assert by_head.exit_code == 0, by_head.output
        assert {g["group"] for g in json.loads(by_head.stdout)["groups"]} <= {"male", "female"}
    else:
        assert by_head.exit_code == 2 and "no attribute head" in json.loads(by_head.stdout)["error"]
