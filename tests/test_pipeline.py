"""The face pipeline on real faces that ship inside installed packages."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import faceatlas
from faceatlas.errors import NoFaceError


@pytest.fixture(scope="module")
def reference(astronaut):
    faces = faceatlas.analyze(astronaut)
    assert len(faces) == 1
    return faces[0]


def test_face_record_is_complete(reference):
    f = reference
    b = f.bbox
    assert 150 < b.x1 < 200 and 60 < b.y1 < 110 and 250 < b.x2 < 300 and 150 < b.y2 < 200
    assert f.landmarks5.shape == (5, 2)
    assert all(b.x1 <= x <= b.x2 and b.y1 <= y <= b.y2 for x, y in f.landmarks5)
    left_eye, right_eye, nose, mouth_l, mouth_r = f.landmarks5
    assert left_eye[0] < right_eye[0] and mouth_l[0] < mouth_r[0] and nose[1] > left_eye[1]
    assert f.embedding.shape == (128,) and f.embedding.dtype == np.float32
    assert 0.5 < f.quality <= 1.0
    d = f.to_dict()
    assert set(d) == {"bbox", "score", "landmarks5", "pose", "quality", "attributes"}
    from faceatlas.pipeline.stages import ATTRIBUTE_KEYS

    assert set(d["attributes"]) == set(ATTRIBUTE_KEYS)  # every key present, None without its head
    assert "embedding" in f.to_dict(embedding=True)


def _rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -degrees, 1.0)  # positive = clockwise in the image
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda im: im[:, ::-1].copy(), id="flip"),
        pytest.param(lambda im: cv2.resize(im, (256, 256), interpolation=cv2.INTER_AREA), id="half-scale"),
        pytest.param(lambda im: cv2.resize(im, (1024, 1024)), id="double-scale"),
        pytest.param(lambda im: im[40:400, 100:420].copy(), id="crop"),
        pytest.param(lambda im: _rotate(im, 12), id="rotate-12"),
        pytest.param(lambda im: cv2.GaussianBlur(im, (0, 0), 1.5), id="mild-blur"),
    ],
)
def test_same_person_under_transforms(astronaut, reference, transform):
    other = faceatlas.largest_face(transform(astronaut))
    v = faceatlas.compare(reference, other)
    assert v.same, v
    assert v.distance < 0.45


def test_astronaut_vs_grace_hopper_differ(astronaut, grace_hopper_path):
    v = faceatlas.verify(astronaut, grace_hopper_path)
    assert not v.same and v.distance > 0.6
    assert 0 <= v.similarity < 0.5 and 0 < v.false_match_rate < 0.1


@pytest.mark.parametrize("quarter", [1, 2, 3])
def test_rotated_photo_found_with_roll(astronaut, reference, quarter):
    rotated = np.ascontiguousarray(np.rot90(astronaut, k=-quarter))  # clockwise quarter turns
    face = faceatlas.largest_face(rotated)
    assert faceatlas.compare(reference, face).same
    expected = (90 * quarter + 180) % 360 - 180
    diff = (face.pose.roll - expected + 180) % 360 - 180
    assert abs(diff) < 15, (face.pose, expected)
    assert abs(face.pose.yaw - reference.pose.yaw) < 10


def test_roll_follows_small_rotation(astronaut, reference):
    for degrees in (-20, 20):
        face = faceatlas.largest_face(_rotate(astronaut, degrees))
        assert face.pose.roll - reference.pose.roll == pytest.approx(degrees, abs=6)


def test_mirror_flips_yaw_and_roll(astronaut):
    img = _rotate(astronaut, 8)  # a visible roll as well as the portrait's own yaw
    a = faceatlas.largest_face(img).pose
    b = faceatlas.largest_face(img[:, ::-1].copy()).pose
    assert abs(a.yaw) > 3, "needs a slightly turned face to be meaningful"
    assert np.sign(a.yaw) == -np.sign(b.yaw)
    assert a.yaw == pytest.approx(-b.yaw, abs=5)
    assert a.roll == pytest.approx(-b.roll, abs=4)
    assert a.pitch == pytest.approx(b.pitch, abs=5)


def test_quality_orders_degradations(astronaut):
    q = [faceatlas.largest_face(astronaut).quality]
    for scale in (0.5, 0.25):
        small = cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        q.append(faceatlas.largest_face(small).quality)
    blurred = [faceatlas.largest_face(cv2.GaussianBlur(astronaut, (0, 0), s)).quality for s in (1.5, 3.0)]
    assert q[0] >= q[1] > q[2], q
    assert q[0] > blurred[0] > blurred[1], (q[0], blurred)


def test_no_face(astronaut):
    assert faceatlas.analyze(np.full((200, 200, 3), 127, np.uint8)) == []
    with pytest.raises(NoFaceError):
        faceatlas.embed(np.full((200, 200, 3), 127, np.uint8))


def test_flip_tta_changes_little(astronaut, reference):
    tta = faceatlas.FaceAnalyzer(faceatlas.AnalyzerConfig(flip_tta=True)).analyze(astronaut)[0]
    assert 0 < faceatlas.compare(reference, tta).distance < 0.2


def test_each_detector_finds_the_astronaut(astronaut):
    for name in ("dlib-hog", "blazeface-short", "blazeface-full"):
        dets = faceatlas.FaceAnalyzer(faceatlas.AnalyzerConfig(detector=faceatlas.DetectorConfig(model=name))).detect(
            astronaut
        )
        assert len(dets) == 1, name
        assert dets[0].bbox.iou(faceatlas.BBox(175, 75, 275, 175)) > 0.5, (name, dets[0].bbox)
