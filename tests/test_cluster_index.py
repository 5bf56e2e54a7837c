"""The clustering estimator and the vector index on synthetic embeddings with dlib-like spread."""

from __future__ import annotations

import numpy as np
import pytest

from faceatlas.eval.clusters import score
from faceatlas.index import FaceIndex, build_faiss, knn
from faceatlas.people import FaceClusterer
from faceatlas.store import Atlas
from faceatlas.types import BBox, Face


def identities(n_ids: int, per_id: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Centres ~0.86 apart and same-identity pairs ~0.4 apart, as dlib's descriptors are measured."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.054, (n_ids, 128))
    x = np.repeat(centres, per_id, axis=0) + rng.normal(0, 0.025, (n_ids * per_id, 128))
    return x.astype(np.float32), np.repeat(np.arange(n_ids), per_id)


def test_estimator_interface():
    c = FaceClusterer(threshold=0.45, k=8)
    assert c.get_params()["threshold"] == 0.45 and c.get_params()["k"] == 8
    assert c.set_params(k=12) is c and c.k == 12
    x, y = identities(20, 5)
    labels = c.fit_predict(x)
    assert labels is c.labels_ and labels.shape == (100,)
    assert score("fa", y, labels).bcubed_f == pytest.approx(1.0)


def test_singletons_stay_unassigned():
    x, _ = identities(5, 1)
    assert (FaceClusterer().fit_predict(x) == -1).all()


def test_same_photo_is_cannot_link():
    x, _ = identities(1, 4)
    labels = FaceClusterer().fit_predict(x, groups=np.array([0, 0, 1, 2]))
    assert labels[0] != labels[1] or labels[0] == -1


def test_must_and_cannot_link():
    x, y = identities(2, 4)
    must = np.full(8, -1)
    must[0], must[4] = 7, 7  # the user says faces 0 and 4 are one person, despite the embeddings
    cannot = {1: {7}}  # face 1 must never join person 7
    labels = FaceClusterer().fit_predict(x, must_link=must, cannot_link=cannot)
    assert labels[0] == labels[4] != -1
    assert labels[1] != labels[0]


def test_low_quality_faces_attach_to_people_and_group_only_among_themselves():
    x, y = identities(2, 4)
    rng = np.random.default_rng(1)
    blurry = (x[:4].mean(axis=0) + rng.normal(0, 0.01, 128)).astype(np.float32)  # near identity 0
    lonely = rng.normal(0, 0.054, (2, 128)).astype(np.float32)  # two poor faces of nobody known
    lonely[1] = lonely[0] + 0.001
    xx = np.vstack([x, blurry[None], lonely])
    quality = np.array([0.9] * 8 + [0.1, 0.1, 0.1])
    labels = FaceClusterer().fit_predict(xx, quality=quality)
    assert labels[8] == labels[0]
    assert labels[9] == labels[10] != -1 and labels[9] not in (labels[0], labels[4])


def test_poor_faces_of_two_people_do_not_bridge_them():
    """Small, blurred faces of different people collapse towards one "unrecognisable" point: closer
    to each other than to their own good faces. They must join their own person, not each other's."""
    x, y = identities(2, 4, seed=5)
    rng = np.random.default_rng(2)
    blur_centre = (x[y == 0].mean(0) + x[y == 1].mean(0)) / 2 + rng.normal(0, 0.02, 128)
    poor = [
        c + 0.7 * (blur_centre - c) + rng.normal(0, 0.012, 128)
        for c in (x[:4].mean(0), x[4:].mean(0))
        for _ in range(3)
    ]
    xx = np.vstack([x, np.array(poor, dtype=np.float32)])
    quality = np.array([0.9] * 8 + [0.45] * 6)
    loose = FaceClusterer(attach_threshold=0.55, attach_margin=0.0)  # the mechanism, not the defaults
    labels = loose.fit_predict(xx, quality=quality)
    assert set(labels[8:11]) == {labels[0]} and set(labels[11:]) == {labels[4]} and labels[0] != labels[4]
    seeded_by_all = FaceClusterer(min_quality=0.0).fit_predict(xx, quality=quality)
    assert seeded_by_all[8] == seeded_by_all[11], "letting poor faces seed does chain them (the case tested)"


def test_bridge_faces_do_not_chain_two_people():
    from faceatlas.eval.clusters import dbscan

    x, y = identities(2, 6, seed=3)
    a, b = x[y == 0].mean(axis=0), x[y == 1].mean(axis=0)
    bridges = np.stack([a + t * (b - a) for t in (0.34, 0.66)]).astype(np.float32)  # ambiguous faces
    xx = np.vstack([x, bridges])
    labels = FaceClusterer().fit_predict(xx)
    assert labels[0] != labels[6], "two people joined through bridge faces"
    assert len(set(dbscan(xx).tolist())) == 1, "the single-linkage baseline does chain them"


def _store_faces(atlas: Atlas, x: np.ndarray, quality: list[float], first: int = 0) -> None:
    """One photo per face, as a scan would store them."""
    for i, (v, q) in enumerate(zip(x, quality), start=first):
        image = atlas.images.upsert(f"/p{i}.jpg", size=1, mtime_ns=1, sha256=str(i), status="done")
        face = Face(BBox(0, 0, 10, 10), 1.0, np.zeros((5, 2)), quality=q, embedding=v.astype(np.float32))
        atlas.faces.replace_for_image(image, [face])


def test_incremental_assignment_attaches_poor_faces_by_centroid(tmp_path):
    from faceatlas.people.assign import assign_new_faces

    x, y = identities(2, 4, seed=7)
    rng = np.random.default_rng(3)
    centre = x[y == 0].mean(axis=0)
    away = rng.normal(0, 1, 128)
    away *= 0.52 / np.linalg.norm(away)  # farther than any face-to-face edge (0.5), within 0.55
    loose = FaceClusterer(attach_threshold=0.55, attach_margin=0.0)  # the mechanism, not the defaults
    newcomers = np.stack([centre + away, centre - away])
    with Atlas(tmp_path / "a.sqlite3") as atlas:
        _store_faces(atlas, x, [0.9] * 8)
        assign_new_faces(atlas, loose)
        first = {f.id: f.person_id for f in atlas.faces.live()}
        _store_faces(atlas, newcomers, [0.4, 0.9], first=8)  # a poor face, then a good one
        report = assign_new_faces(atlas, loose)
        faces = {f.image_path: f for f in atlas.faces.live()}
        assert all(faces[f"/p{i}.jpg"].person_id == first[faces[f"/p{i}.jpg"].id] for i in range(8))
        assert faces["/p8.jpg"].person_id == faces["/p0.jpg"].person_id, "the poor face joins by centroid"
        assert faces["/p9.jpg"].person_id is None, "a good face needs neighbours that vote for the person"
        assert report.assigned == 1


def test_knn_exact_and_ivf_agree():
    x, _ = identities(500, 4)
    d_exact, i_exact = knn(x, 2)
    assert (i_exact[:, 0] == np.arange(len(x))).all() and np.allclose(d_exact[:, 0], 0, atol=1e-3)
    ivf = build_faiss(x, exact_limit=100)
    assert type(ivf).__name__ == "IndexIVFFlat"
    _, i_ivf = ivf.search(x[:200], 1)
    assert (i_ivf[:, 0] == np.arange(200)).mean() >= 0.99


def test_face_index_persists_and_rebuilds_when_stale(tmp_path):
    x, _ = identities(3, 2)
    with Atlas(tmp_path / "a.sqlite3") as atlas:
        with atlas.transaction():
            image = atlas.images.upsert("/p.jpg", size=1, mtime_ns=1, sha256="x", status="done")
            faces = [
                Face(BBox(i, 0, i + 10, 10), 0.9, np.zeros((5, 2)), embedding=v, embedder="t") for i, v in enumerate(x)
            ]
            atlas.faces.replace_for_image(image, faces[:4])
        index = FaceIndex.open(atlas)
        assert index.size == 4 and atlas.sidecar(".faiss").is_file()
        d, ids = index.search(x[1], 2)
        assert ids[0][0] == index.ids[1] and d[0][0] < 1e-3
        assert FaceIndex.open(atlas).size == 4  # loaded from disk
        with atlas.transaction():
            atlas.faces.replace_for_image(image, faces)
        assert FaceIndex.open(atlas).size == 6  # stale: rebuilt
        atlas.sidecar(".faiss").write_bytes(b"garbage")
        assert FaceIndex.open(atlas).size == 6  # unreadable: rebuilt


def test_large_graphs_use_hnsw(monkeypatch):
    import importlib

    knn_module = importlib.import_module("faceatlas.index.knn")
    monkeypatch.setattr(knn_module, "GRAPH_HNSW_LIMIT", 100)
    x, y = identities(60, 5)
    d, idx = knn_module.knn(x, 5)
    assert (idx[:, 0] == np.arange(len(x))).mean() > 0.95
    assert (y[idx[:, 1]] == y).mean() > 0.95  # the nearest other face is the same person
    assert score("fa", y, FaceClusterer().fit_predict(x)).bcubed_f > 0.95
