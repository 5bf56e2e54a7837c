"""Unit tests (no models, no shared data): person attributes from faces, attribute filters, the
rotated ROI, the TF.js weights reader, the migration that records an old atlas's embedder."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from faceatlas.errors import FaceAtlasError
from faceatlas.models.roi import Roi, points_roi
from faceatlas.models.tfjs import read_weights
from faceatlas.people.attributes import combine, matches, parse_conditions, parse_where, person_attributes

KNOWN = ["gender", "gender_score", "age", "expression", "expression_scores", "liveness"]


def test_person_attributes_majority_and_median_over_good_faces():
    faces = [
        (0.9, {"gender": "female", "age": 30.0, "expression_scores": {"happy": 0.9, "sad": 0.1}}),
        (0.8, {"gender": "female", "age": 34.0, "expression_scores": {"happy": 0.7, "sad": 0.3}}),
        (0.7, {"gender": "male", "age": 50.0, "expression_scores": {"happy": 0.2, "sad": 0.8}}),
        (0.1, {"gender": "male", "age": 90.0}),  # poor: left out while good faces exist
        (0.2, {"gender": "male", "age": 91.0}),
    ]
    got = person_attributes(faces)
    assert got["gender"] == "female" and got["age"] == 34.0
    assert got["expression_scores"] == {"happy": 0.7, "sad": 0.3}
    assert person_attributes([(0.1, {"age": 20.0}), (None, {"age": 40.0})]) == {"age": 30.0}  # none good: all
    assert person_attributes([(0.9, {})]) == {}
    assert combine([None, None]) is None and combine(["a", "b", "b"]) == "b"
    assert combine(["x", "y"]) == "x"  # a tie goes to the best-quality face's value


def test_filters():
    conds = parse_where(["gender=Female", "age_max=30", "age_min=20"], KNOWN)
    assert matches({"gender": "female", "age": 25.0}, conds)
    assert not matches({"gender": "female", "age": 31.0}, conds)
    assert not matches({"gender": "male", "age": 25.0}, conds)
    assert not matches({"gender": "female"}, conds)  # unknown age: not a match
    assert matches({"liveness": 0.9}, parse_conditions([("liveness_min", "0.5")], KNOWN))
    with pytest.raises(FaceAtlasError, match="unknown attribute 'colour'"):
        parse_where(["colour=red"], KNOWN)
    with pytest.raises(FaceAtlasError, match="a number is needed"):
        parse_where(["age_max=young"], KNOWN)
    with pytest.raises(FaceAtlasError, match="KEY=VALUE"):
        parse_where(["gender"], KNOWN)


def test_roi_cut_and_back():
    """A point of the image lands where the matrix says in the patch, and comes back (also mirrored)."""
    image = np.zeros((200, 300, 3), np.uint8)
    image[120, 170] = 255
    roi = Roi(160.0, 110.0, 80.0, math.radians(20))
    for flip in (False, True):
        m = roi.matrix(64, flip)
        px = m @ np.array([170.0, 120.0, 1.0])
        patch = roi.cut(image, 64, flip)
        assert np.unravel_index(np.argmax(patch[..., 0]), patch.shape[:2]) == (round(px[1]), round(px[0]))
        back = roi.to_image(np.array([[px[0], px[1], 3.0]]), 64, flip)
        assert np.allclose(back[0, :2], [170, 120], atol=1e-4) and back[0, 2] == pytest.approx(3.0 * 80 / 64)
    eye = points_roi(np.array([10.0, 10.0]), np.array([20.0, 20.0]), 2.0)
    assert (eye.cx, eye.cy, eye.side) == (15.0, 15.0, 20.0) and eye.angle == pytest.approx(math.pi / 4)


def test_tfjs_weights_reader_float16_uint8_and_size_check():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([0.5, -1.25], dtype=np.float16)
    q = np.array([0, 10, 255], dtype=np.uint8)
    manifest = [
        {
            "weights": [
                {"name": "a", "shape": [2, 3], "dtype": "float32"},
                {"name": "b", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16"}},
                {
                    "name": "q",
                    "shape": [3],
                    "dtype": "float32",
                    "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1},
                },
            ]
        }
    ]
    data = a.tobytes() + b.tobytes() + q.tobytes()
    w = read_weights(json.loads(json.dumps(manifest)), data)
    assert np.array_equal(w["a"], a) and np.allclose(w["b"], [0.5, -1.25]) and np.allclose(w["q"], [-1, 4, 126.5])
    with pytest.raises(FaceAtlasError, match="bytes"):
        read_weights(manifest, data + b"\0")


def test_migration_records_the_embedder_of_an_existing_atlas(tmp_path):
    from faceatlas.store import Atlas
    from faceatlas.store.db import connect
    from faceatlas.store.schema import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    before = [i for i, m in enumerate(MIGRATIONS, 1) if "CREATE TABLE IF NOT EXISTS meta" in m][0] - 1
    conn = connect(path, migrate_to=before)
    conn.execute("INSERT INTO images (id, path, status, scanned_at) VALUES (1, '/x.jpg', 'done', 0)")
    for model in ("dlib-resnet/1", "dlib-resnet/1", "other/1"):
        conn.execute(
            "INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, embedding, model) "
            "VALUES (1, 0, 0, 1, 1, 1, '[]', x'00000000', ?)",
            (model,),
        )
    conn.close()
    with Atlas(path) as atlas:
        assert atlas.embedder == "dlib-resnet/1" and atlas.embedder_model is None
        assert all(f.attributes == {} for f in atlas.faces.live())


def test_people_attributes_follow_changes(tmp_path):
    """The per-process cache of person attributes notices new faces, changed attributes and moves."""
    from faceatlas.people.attributes import people_attributes
    from faceatlas.store import Atlas

    with Atlas(tmp_path / "a.sqlite3") as atlas, atlas.transaction():
        atlas.conn.execute("INSERT INTO images (id, path, status, scanned_at) VALUES (1, '/x.jpg', 'done', 0)")
        for pid in (1, 2):
            atlas.conn.execute("INSERT INTO people (id, created_at) VALUES (?, 0)", (pid,))

        def face(pid: int, attrs: dict) -> int:
            cur = atlas.conn.execute(
                "INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, embedding, model, quality, attributes)"
                " VALUES (1, 0, 0, 1, 1, 1, '[]', x'00', 'm', 0.9, ?)",
                (json.dumps(attrs),),
            )
            atlas.people.assign(cur.lastrowid, pid, "auto", 1.0)
            return cur.lastrowid

        first = face(1, {"gender": "female", "age": 30.0})
        assert people_attributes(atlas) == {1: {"gender": "female", "age": 30.0}}
        face(1, {"gender": "female", "age": 40.0})
        assert people_attributes(atlas)[1]["age"] == 35.0
        atlas.conn.execute("UPDATE faces SET attributes = ? WHERE id = ?", (json.dumps({"age": 20.0}), first))
        assert people_attributes(atlas)[1] == {"age": 30.0, "gender": "female"}
        atlas.people.assign(first, 2, "user", 1.0)
        assert people_attributes(atlas) == {1: {"gender": "female", "age": 40.0}, 2: {"age": 20.0}}


def test_a_damaged_vector_is_left_out_of_the_centroid_not_fatal(tmp_path):
    """A face whose stored vector is not float32 of the space's width does not break the pages'
    per-person figures: its attributes count, its vector is left out of the centroid."""
    import numpy as np

    from faceatlas.people.similar import centroids
    from faceatlas.store import Atlas

    good = np.arange(128, dtype=np.float32) / 128
    with Atlas(tmp_path / "a.sqlite3") as atlas, atlas.transaction():
        atlas.conn.execute("INSERT INTO images (id, path, status, scanned_at) VALUES (1, '/x.jpg', 'done', 0)")
        atlas.conn.execute("INSERT INTO people (id, created_at) VALUES (1, 0)")
        for blob in (good.tobytes(), good.tobytes(), b"\x00", np.zeros(64, np.float32).tobytes()):
            cur = atlas.conn.execute(
                "INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, embedding, model, quality, attributes)"
                " VALUES (1, 0, 0, 1, 1, 1, '[]', ?, 'm', 0.9, '{\"gender\": \"female\"}')",
                (blob,),
            )
            atlas.people.assign(cur.lastrowid, 1, "auto", 1.0)
        known = centroids(atlas)
        assert known.ids.tolist() == [1] and np.allclose(known.vectors[0], good)
